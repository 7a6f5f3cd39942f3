// RecordMerger: the consumer's side of several producer rings: one stream ordered by time.
//
// Contract: one consumer thread calls drain(). Every record of every ring comes out exactly once;
// the records of one ring keep their order; a record and the RequestText records that follow it
// come out together; and across rings the stream is ordered by t_ns (ties in any order). A record
// is handed out only when no ring can still produce an earlier one: each ring's next record is at
// least as late as the first one waiting in it, or, for an empty ring, as the last one it gave
// (its thread is busy) or as the consumer's clock read before seeing the ring empty and idle (its
// thread is blocked, finished or not started; see ProducerRing). So a thread blocked for seconds
// in recv holds nothing back, and a thread that is busy holds back the others only until it
// records again. Records waiting for that are kept here, a bounded number per ring.
#pragma once

#include "core/producer_ring.h"

#include <cstdint>
#include <vector>

namespace loopscope {

class RecordMerger {
public:
    // Adds the next ring (rings are numbered in the order they are added and never removed).
    void addRing(ProducerRing* ring);
    std::size_t ringCount() const { return m_lanes.size(); }

    // Moves up to `max` records, in time order, into `out`; returns how many.
    std::size_t drain(EventRecord* out, std::size_t max);

    // Records taken from the rings but not handed out yet.
    std::size_t held() const;

private:
    struct Lane {
        ProducerRing* ring = nullptr;
        std::vector<EventRecord> staged;
        std::size_t head = 0;            // first staged record not yet handed out
        std::int64_t lastTime = INT64_MIN; // t_ns of the last timed record taken from the ring
        bool quiet = false;              // idle and emptied at the last pull
    };

    void pull(Lane& lane);
    std::int64_t bound(const Lane& lane, std::int64_t consumerNs) const;
    std::size_t unitEnd(const Lane& lane) const;
    bool headReady(const Lane& lane) const;
    std::size_t handOut(Lane& lane, EventRecord* out, std::size_t max);
    int earliestReadyLane() const;

    std::vector<Lane> m_lanes;
    int m_unfinished = -1; // a lane whose record's text did not fit the last call's `out`
};

} // namespace loopscope
