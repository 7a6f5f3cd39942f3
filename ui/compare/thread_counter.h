// ThreadCounter: how many server threads a recording used, from its ThreadStarted and
// ThreadExited records (the thread-per-connection model records them; the other models
// start no thread per connection, so they have none).
//
// Contract: an EventSink, GUI thread only. now() is the number of connection threads running
// at the newest record, most() the largest number running at once, started() every one begun.
// A recording joined mid-run may see exits without starts; now() never goes below 0.
#pragma once

#include "model/event_sink.h"

#include <cstdint>

namespace loopscope {

class ThreadCounter : public EventSink {
public:
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override;
    void cleared() override { *this = ThreadCounter(); }

    std::uint64_t now() const { return m_now; }
    std::uint64_t most() const { return m_most; }
    std::uint64_t started() const { return m_started; }

private:
    std::uint64_t m_now = 0;
    std::uint64_t m_most = 0;
    std::uint64_t m_started = 0;
};

} // namespace loopscope
