// EventSink: anything that builds a view of the recording from the TraceStore (the timeline's
// lanes, the statistics behind the charts, the event table). The TraceConsumer calls ingest()
// with each newly appended range, in order, on the GUI thread.
#pragma once

#include <cstdint>

namespace loopscope {

class TraceStore;

class EventSink {
public:
    virtual ~EventSink() = default;
    // Records [from, to) were appended to the store.
    virtual void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) = 0;
    // Old records were evicted: everything before store.beginIndex() is gone.
    virtual void evicted(const TraceStore& store) { (void)store; }
    // The store was cleared (a new recording starts).
    virtual void cleared() {}
};

} // namespace loopscope
