// TimelineModel: the lanes the timeline paints, built incrementally from the recording.
//
// Lanes, top to bottom: the engine's loop (blocked in epoll_wait / dispatching), the GUI's own
// Qt loop (busy spans: events handled, drains, paints), then connection lanes. Connections are
// packed: a connection takes the lowest lane that is free when it is accepted and gives it back
// when it closes, so thousands of short connections stay on a few readable lanes.
//
// Invariants: in every lane, spans are in non-decreasing start order (a lane holds one connection
// at a time, and one connection's records are time-ordered), so the visible ones are found by
// binary search. A StateSpan lasts until the next span of its lane starts (a lane between two
// connections holds a ConnectionState::None span); the last span of a lane lasts until now.
//
// Memory (the window keeps millions of events): spans are packed structs without padding and
// without the connection id. A lane knows its tenants instead (which connection took it when),
// so the connection of a span is connectionAt(lane, span.start). A state transition costs
// 10 bytes, an engine loop wake-up 13, a disk read 24, a connection 12 (its tenancy) plus
// 40 (its summary, kept while any of its records is in the store).
#pragma once

#include "core/event_record.h"
#include "model/event_sink.h"
#include "model/span_list.h"

#include <array>
#include <cstdint>
#include <deque>
#include <queue>
#include <unordered_map>
#include <vector>

namespace loopscope {

// Packed: members are read by value (no references to them; see the header comment).
#pragma pack(push, 2)
struct StateSpan {
    std::int64_t start = 0;
    ConnectionState state = ConnectionState::None;
    std::uint8_t requestFlags = 0; // kSpanCacheHit, kSpanRejected
};
#pragma pack(pop)
static_assert(sizeof(StateSpan) == 10);
inline constexpr std::uint8_t kSpanCacheHit = 1; // a FetchingFile span served from the file cache
inline constexpr std::uint8_t kSpanRejected = 2; // a WritingHeaders span answering a bad request

#pragma pack(push, 4)
struct DiskSpan {
    std::int64_t start = 0; // the worker's own clock
    std::int64_t end = 0;
    std::uint32_t bytes = 0; // one read: at most a 256 KiB chunk
    std::int16_t error = 0;  // errno
    std::uint8_t worker = 0;
};
static_assert(sizeof(DiskSpan) == 24);

#pragma pack(pop)

enum class LoopPhase : std::uint8_t { Blocked, Dispatching, Stopped };
#pragma pack(push, 1)
struct LoopSpan {
    std::int64_t start = 0; // lasts until the next LoopSpan
    std::uint32_t ready = 0; // epoll_wait's ready count (Dispatching)
    LoopPhase phase = LoopPhase::Stopped;
};
#pragma pack(pop)
static_assert(sizeof(LoopSpan) == 13);

#pragma pack(push, 4)
// A connection's stay on a lane, from its first record (usually the accept) to the next tenant.
struct LaneTenant {
    std::int64_t since = 0;
    std::uint32_t conn = 0;
};
#pragma pack(pop)

enum class GuiSpanKind : std::uint8_t { Event, Drain, Paint, Charts, Table, Export };
struct GuiSpan {
    std::int64_t start = 0;
    std::int64_t end = 0;
    GuiSpanKind kind = GuiSpanKind::Event;
    std::uint16_t eventType = 0; // QEvent::Type for Event spans
};

// A point event worth a mark on the timeline.
struct Marker {
    std::int64_t t = 0;
    EventKind kind = EventKind::TimedOut;
    std::uint32_t conn = 0;
    std::int32_t lane = -1; // connection lane, or -1 for the engine loop lane
    std::uint64_t arg = 0;
};

struct ConnectionSummary {
    std::uint32_t id = 0;
    std::int32_t lane = -1;
    std::int64_t accepted = 0;
    std::int64_t closed = -1; // -1 while open
    std::uint64_t firstRecord = 0; // store index of its first record (for the inspector's scan)
    std::uint64_t lastRecord = 0;
    std::uint32_t requests = 0;
    std::uint8_t thread = 0; // the thread serving it (thread-per-connection model), 0 = the loop
};
static_assert(sizeof(ConnectionSummary) == 48);

class TimelineModel : public EventSink {
public:
    TimelineModel();

    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override;
    void evicted(const TraceStore& store) override;
    void cleared() override;

    int connectionLaneCount() const { return int(m_lanes.size()); }
    const SpanList<StateSpan>& laneSpans(int lane) const { return m_lanes[std::size_t(lane)].spans; }
    const SpanList<DiskSpan>& laneDiskSpans(int lane) const { return m_lanes[std::size_t(lane)].disk; }
    // The connection on `lane` at time t (the tenant that took it last at or before t), or 0.
    std::uint32_t connectionAt(int lane, std::int64_t t) const;
    // The state of the connection on `lane` at time t (None: the lane is free).
    ConnectionState stateAt(int lane, std::int64_t t) const;
    // How many connections are in each state at time t (indexed by ConnectionState; a lane
    // holds one connection at a time, so this counts lanes). Closed counts closes up to now.
    std::array<std::uint64_t, 8> stateCounts(std::int64_t t) const;
    std::uint64_t connectionsClosed() const { return m_closedTotal; }
    const SpanList<LoopSpan>& engineLoop() const { return m_loop; }
    const std::deque<GuiSpan>& guiLoop() const { return m_gui; }
    const std::deque<Marker>& markers() const { return m_markers; }

    // The time range covered (for follow-live and zoom-to-fit); 0,0 when empty.
    std::int64_t firstTime() const { return m_firstTime; }
    std::int64_t lastTime() const { return m_lastTime; }

    // Connections whose records are still in the store (and every open one).
    const ConnectionSummary* connection(std::uint32_t id) const;
    std::size_t openConnections() const { return m_laneOf.size(); }

    // Index of the span of `spans` that covers time t (the last one starting at or before t),
    // or -1. Works for any of the span deques above (all sorted by start).
    template <typename Span>
    static std::ptrdiff_t spanAt(const Span& spans, std::int64_t t);

private:
    struct Lane {
        SpanList<StateSpan> spans;
        SpanList<DiskSpan> disk;
        std::deque<LaneTenant> tenants;
    };
    void onRecord(const EventRecord& r, std::uint64_t index);
    void onConnectionRecord(const EventRecord& r, std::uint64_t index);
    void onLoopRecord(const EventRecord& r);
    void onGuiRecord(const EventRecord& r);
    int laneFor(std::uint32_t conn, std::int64_t t, std::uint64_t index);
    void releaseLane(std::uint32_t conn, std::int64_t t);
    ConnectionSummary& summary(std::uint32_t conn);
    void forgetConnectionsBefore(std::uint64_t storeIndex);
    void restartIdsAt(std::uint32_t conn);

    std::vector<Lane> m_lanes;
    std::priority_queue<int, std::vector<int>, std::greater<int>> m_freeLanes;
    std::unordered_map<std::uint32_t, int> m_laneOf; // open connections
    // Summaries by id: the engine numbers connections 1, 2, 3 ... so a deque indexed by
    // id - m_firstId is dense. Ids out of that order (another recording) go to m_strayConnections.
    std::deque<ConnectionSummary> m_connections;
    std::uint32_t m_firstId = 0;
    std::unordered_map<std::uint32_t, ConnectionSummary> m_strayConnections;
    std::unordered_map<std::uint32_t, std::int64_t> m_diskStart; // DiskReadStarted awaiting Done
    SpanList<LoopSpan> m_loop;
    std::deque<GuiSpan> m_gui;
    std::deque<Marker> m_markers;
    std::int64_t m_firstTime = 0;
    std::int64_t m_lastTime = 0;
    std::uint64_t m_closedTotal = 0;
};

template <typename Span>
std::ptrdiff_t TimelineModel::spanAt(const Span& spans, std::int64_t t)
{
    std::size_t lo = 0, hi = spans.size();
    while (lo < hi) { // first span starting after t
        const std::size_t mid = (lo + hi) / 2;
        if (spans[mid].start <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return std::ptrdiff_t(lo) - 1;
}

} // namespace loopscope
