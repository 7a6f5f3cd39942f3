#include "core/record_merger.h"

#include "core/clock.h"

#include <algorithm>
#include <climits>

namespace loopscope {

namespace {

// Enough to hold any realistic burst of a ring that is waiting for another ring to catch up,
// small enough that the staging copy stays cheap.
constexpr std::size_t kMaxStagedPerLane = 64 * 1024;
constexpr std::size_t kPullBatch = 4096;

bool isText(const EventRecord& r)
{
    return r.kind == EventKind::RequestText;
}

template <class Lane>
std::int64_t headTime(const Lane& lane)
{
    return lane.staged[lane.head].t_ns;
}

} // namespace

void RecordMerger::addRing(ProducerRing* ring)
{
    Lane lane;
    lane.ring = ring;
    m_lanes.push_back(std::move(lane));
}

std::size_t RecordMerger::held() const
{
    std::size_t n = 0;
    for (const Lane& lane : m_lanes)
        n += lane.staged.size() - lane.head;
    return n;
}

// Takes what the ring has published. The activity is read before the ring, so "idle and empty"
// means the producer had published everything before it went idle.
void RecordMerger::pull(Lane& lane)
{
    if (lane.head > 0 && lane.head == lane.staged.size()) {
        lane.staged.clear();
        lane.head = 0;
    } else if (lane.head > kMaxStagedPerLane / 2) {
        lane.staged.erase(lane.staged.begin(), lane.staged.begin() + std::ptrdiff_t(lane.head));
        lane.head = 0;
    }
    const bool idle = lane.ring->activity() == ProducerRing::Activity::Idle;
    bool emptied = false;
    while (!emptied) {
        const std::size_t room = kMaxStagedPerLane - std::min(kMaxStagedPerLane, lane.staged.size());
        if (room == 0)
            break;
        const std::size_t want = std::min(room, kPullBatch);
        const std::size_t old = lane.staged.size();
        lane.staged.resize(old + want);
        const std::size_t n = lane.ring->drain(lane.staged.data() + old, want);
        lane.staged.resize(old + n);
        emptied = n < want;
        for (std::size_t i = old; i < old + n; ++i)
            if (!isText(lane.staged[i]))
                lane.lastTime = lane.staged[i].t_ns;
    }
    lane.quiet = idle && emptied;
}

// The earliest time the lane's next record (staged or still to come) can carry.
std::int64_t RecordMerger::bound(const Lane& lane, std::int64_t consumerNs) const
{
    if (lane.head < lane.staged.size())
        return lane.staged[lane.head].t_ns;
    return lane.quiet ? consumerNs : lane.lastTime;
}

// One past the last record of the unit at the lane's head (the record and its RequestText).
std::size_t RecordMerger::unitEnd(const Lane& lane) const
{
    std::size_t end = lane.head + 1;
    while (end < lane.staged.size() && isText(lane.staged[end]))
        ++end;
    return end;
}

// The head unit can go out: more records follow it, or its text is complete, or the producer
// has gone quiet (nothing more will follow, even if text was dropped).
bool RecordMerger::headReady(const Lane& lane) const
{
    if (lane.head >= lane.staged.size())
        return false;
    const std::size_t end = unitEnd(lane);
    if (end < lane.staged.size() || lane.quiet)
        return true;
    const EventRecord& last = lane.staged[end - 1];
    if (isText(last))
        return (last.aux & kTextLast) != 0;
    return last.kind != EventKind::RequestHeadersRead;
}

int RecordMerger::earliestReadyLane() const
{
    int best = -1;
    for (std::size_t i = 0; i < m_lanes.size(); ++i) {
        const Lane& lane = m_lanes[i];
        if (!headReady(lane))
            continue;
        if (best < 0 || lane.staged[lane.head].t_ns < headTime(m_lanes[std::size_t(best)]))
            best = int(i);
    }
    return best;
}

// Hands out the lane's head unit, or as much of it as fits (the rest goes first next time).
std::size_t RecordMerger::handOut(Lane& lane, EventRecord* out, std::size_t max)
{
    std::size_t n = 0;
    const std::size_t end = unitEnd(lane);
    while (lane.head < end && n < max)
        out[n++] = lane.staged[lane.head++];
    return n;
}

std::size_t RecordMerger::drain(EventRecord* out, std::size_t max)
{
    const std::int64_t consumerNs = monotonicNs(); // read before any ring's activity
    for (Lane& lane : m_lanes)
        pull(lane);
    std::size_t n = 0;
    // Text of a record handed out last time: it follows its record before anything else.
    if (m_unfinished >= 0) {
        Lane& lane = m_lanes[std::size_t(m_unfinished)];
        while (n < max && lane.head < lane.staged.size() && isText(lane.staged[lane.head]))
            out[n++] = lane.staged[lane.head++];
        if (n == max)
            return n;
        m_unfinished = -1;
    }
    while (n < max) {
        const int best = earliestReadyLane();
        if (best < 0)
            break;
        Lane& lane = m_lanes[std::size_t(best)];
        const std::int64_t t = lane.staged[lane.head].t_ns;
        std::int64_t limit = INT64_MAX;
        for (std::size_t i = 0; i < m_lanes.size(); ++i)
            if (int(i) != best)
                limit = std::min(limit, bound(m_lanes[i], consumerNs));
        if (t > limit)
            break;
        n += handOut(lane, out + n, max - n);
        if (n == max && lane.head < lane.staged.size() && isText(lane.staged[lane.head]))
            m_unfinished = best;
    }
    return n;
}

} // namespace loopscope
