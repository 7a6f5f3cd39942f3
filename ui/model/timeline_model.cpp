#include "model/timeline_model.h"

#include "model/trace_store.h"

#include <algorithm>

namespace loopscope {

namespace {

bool isConnectionKind(EventKind kind)
{
    switch (kind) {
    case EventKind::ConnectionAccepted:
    case EventKind::BytesRead:
    case EventKind::RequestHeadersRead:
    case EventKind::DiskReadStarted:
    case EventKind::DiskReadDone:
    case EventKind::ResponseHeadersWritten:
    case EventKind::BodyBytesWritten:
    case EventKind::BodyWritten:
    case EventKind::KeepAlive:
    case EventKind::RequestRejected:
    case EventKind::TimedOut:
    case EventKind::ConnectionClosed:
    case EventKind::FileCacheHit:
        return true;
    default:
        return false;
    }
}

// Drops spans that ended before t, keeping the one that covers t (spans last until the next).
// Connection ids skipped without a summary before a new one counts as out of order.
constexpr std::uint32_t kMaxIdGap = 4096;

template <typename Span>
void dropCoveredBefore(Span& spans, std::int64_t t)
{
    while (spans.size() >= 2 && spans[1].start <= t)
        spans.pop_front();
}

} // namespace

TimelineModel::TimelineModel() = default;

void TimelineModel::ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to)
{
    for (std::uint64_t i = std::max(from, store.beginIndex()); i < to; ++i)
        onRecord(store.at(i), i);
}

void TimelineModel::onRecord(const EventRecord& r, std::uint64_t index)
{
    if (r.kind == EventKind::RequestText)
        return; // its t_ns field holds text, not a time
    if (m_firstTime == 0 || r.t_ns < m_firstTime)
        m_firstTime = r.t_ns;
    m_lastTime = std::max(m_lastTime, r.t_ns);
    if (isGuiLoopKind(r.kind))
        return onGuiRecord(r);
    if (r.conn != 0 && isConnectionKind(r.kind))
        return onConnectionRecord(r, index);
    onLoopRecord(r);
}

void TimelineModel::onConnectionRecord(const EventRecord& r, std::uint64_t index)
{
    const int lane = laneFor(r.conn, r.t_ns, index);
    ConnectionSummary& s = summary(r.conn);
    s.lastRecord = index;
    // Disk records carry the disk worker in `thread`; the others the thread serving the
    // connection (non-zero only in the thread-per-connection model).
    if (r.thread != 0 && r.kind != EventKind::DiskReadStarted && r.kind != EventKind::DiskReadDone)
        s.thread = r.thread;
    Lane& l = m_lanes[std::size_t(lane)];
    switch (r.kind) {
    case EventKind::DiskReadStarted:
        m_diskStart[r.conn] = r.t_ns;
        return;
    case EventKind::DiskReadDone: {
        const auto started = m_diskStart.find(r.conn);
        const std::int64_t start = started != m_diskStart.end() ? started->second : r.t_ns;
        if (started != m_diskStart.end())
            m_diskStart.erase(started);
        const std::uint32_t bytes = std::uint32_t(std::min<std::uint64_t>(r.arg, UINT32_MAX));
        l.disk.push_back({start, r.t_ns, bytes, std::int16_t(std::min<std::uint32_t>(r.aux, INT16_MAX)), r.thread});
        break;
    }
    case EventKind::RequestHeadersRead:
        ++s.requests;
        break;
    case EventKind::TimedOut:
    case EventKind::RequestRejected:
        m_markers.push_back({r.t_ns, r.kind, r.conn, lane, r.arg});
        break;
    default:
        break;
    }
    if (r.from == r.to && r.kind != EventKind::ConnectionAccepted)
        return;
    StateSpan span{r.t_ns, r.to, 0};
    if (r.kind == EventKind::FileCacheHit && !l.spans.empty() && l.spans.back().state == ConnectionState::FetchingFile)
        l.spans.back().requestFlags |= kSpanCacheHit; // no time, or a wait for another one's read
    if (r.kind == EventKind::RequestRejected)
        span.requestFlags = kSpanRejected;
    if (r.to == ConnectionState::Closed) {
        s.closed = r.t_ns;
        ++m_closedTotal;
        span.state = ConnectionState::None; // the lane is free from here on
        l.spans.push_back(span);
        releaseLane(r.conn, r.t_ns);
        return;
    }
    l.spans.push_back(span);
}

void TimelineModel::onLoopRecord(const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::LoopPollBegin:
        m_loop.push_back({r.t_ns, 0, LoopPhase::Blocked});
        break;
    case EventKind::LoopPollEnd:
        m_loop.push_back({r.t_ns, std::uint32_t(std::min<std::uint64_t>(r.arg, UINT32_MAX)), LoopPhase::Dispatching});
        break;
    case EventKind::ServerStopped:
    case EventKind::ServerFailed:
        m_loop.push_back({r.t_ns, 0, LoopPhase::Stopped});
        m_markers.push_back({r.t_ns, r.kind, 0, -1, r.arg});
        break;
    case EventKind::ServerStarted:
    case EventKind::RecordsDropped:
    case EventKind::AcceptPaused:
    case EventKind::LoadPhase: // the load generator began a phase (arg: its index)
    case EventKind::LoopResumed:
        m_markers.push_back({r.t_ns, r.kind, 0, -1, r.arg});
        break;
    case EventKind::LoopPaused:  // step mode: the loop waits for the next step in epoll_wait
    case EventKind::LoopStepped: // (on its pause set), so its lane shows it blocked
        m_loop.push_back({r.t_ns, 0, LoopPhase::Blocked});
        m_markers.push_back({r.t_ns, r.kind, 0, -1, r.arg});
        break;
    default:
        break;
    }
}

void TimelineModel::onGuiRecord(const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::GuiEventHandled:
        m_gui.push_back({r.t_ns, r.t_ns + std::int64_t(r.arg), GuiSpanKind::Event, std::uint16_t(r.aux)});
        break;
    case EventKind::GuiWork:
        m_gui.push_back({r.t_ns, r.t_ns + std::int64_t(r.arg),
                         GuiSpanKind(std::min<std::uint32_t>(r.aux + 1, std::uint32_t(GuiSpanKind::Export))), 0});
        break;
    default:
        break; // iterations and delay feed the statistics, not the lane
    }
}

int TimelineModel::laneFor(std::uint32_t conn, std::int64_t t, std::uint64_t index)
{
    if (const auto found = m_laneOf.find(conn); found != m_laneOf.end())
        return found->second;
    // A new connection (or one whose accept was not recorded): take the lowest free lane.
    int lane;
    if (!m_freeLanes.empty()) {
        lane = m_freeLanes.top();
        m_freeLanes.pop();
    } else {
        lane = int(m_lanes.size());
        m_lanes.emplace_back();
    }
    m_laneOf.emplace(conn, lane);
    m_lanes[std::size_t(lane)].tenants.push_back({t, conn});
    ConnectionSummary& s = summary(conn);
    s.lane = lane;
    s.accepted = t;
    s.firstRecord = index;
    return lane;
}

void TimelineModel::releaseLane(std::uint32_t conn, std::int64_t t)
{
    (void)t;
    const auto found = m_laneOf.find(conn);
    if (found == m_laneOf.end())
        return;
    m_freeLanes.push(found->second);
    m_laneOf.erase(found);
    m_diskStart.erase(conn);
}

ConnectionSummary& TimelineModel::summary(std::uint32_t conn)
{
    if (m_connections.empty())
        m_firstId = conn;
    else if (conn >= m_firstId && conn - m_firstId >= m_connections.size() + kMaxIdGap)
        restartIdsAt(conn);
    // Ids arrive in increasing order; a small gap (connections without records) leaves empty
    // entries behind.
    if (conn >= m_firstId) {
        const std::size_t i = conn - m_firstId;
        if (i >= m_connections.size())
            m_connections.resize(i + 1);
        ConnectionSummary& s = m_connections[i];
        s.id = conn;
        return s;
    }
    ConnectionSummary& s = m_strayConnections[conn];
    s.id = conn;
    return s;
}

// A jump in the ids: the summaries so far move aside and the dense part starts again at `conn`.
void TimelineModel::restartIdsAt(std::uint32_t conn)
{
    for (const ConnectionSummary& s : m_connections)
        if (s.id != 0)
            m_strayConnections.emplace(s.id, s);
    m_connections.clear();
    m_firstId = conn;
}

const ConnectionSummary* TimelineModel::connection(std::uint32_t id) const
{
    if (id >= m_firstId && id - m_firstId < m_connections.size()) {
        const ConnectionSummary& s = m_connections[id - m_firstId];
        if (s.id == id)
            return &s;
    }
    const auto found = m_strayConnections.find(id);
    return found == m_strayConnections.end() ? nullptr : &found->second;
}

std::uint32_t TimelineModel::connectionAt(int lane, std::int64_t t) const
{
    if (lane < 0 || lane >= int(m_lanes.size()))
        return 0;
    const std::deque<LaneTenant>& tenants = m_lanes[std::size_t(lane)].tenants;
    const auto after = std::upper_bound(tenants.begin(), tenants.end(), t,
                                        [](std::int64_t time, const LaneTenant& x) { return time < x.since; });
    return after == tenants.begin() ? 0 : std::prev(after)->conn;
}

ConnectionState TimelineModel::stateAt(int lane, std::int64_t t) const
{
    if (lane < 0 || lane >= int(m_lanes.size()))
        return ConnectionState::None;
    const SpanList<StateSpan>& spans = m_lanes[std::size_t(lane)].spans;
    const std::ptrdiff_t i = spanAt(spans, t);
    return i < 0 ? ConnectionState::None : spans[std::size_t(i)].state;
}

std::array<std::uint64_t, 8> TimelineModel::stateCounts(std::int64_t t) const
{
    std::array<std::uint64_t, 8> counts{};
    for (int lane = 0; lane < int(m_lanes.size()); ++lane) {
        const auto state = std::size_t(stateAt(lane, t));
        if (state < counts.size())
            ++counts[state];
    }
    counts[std::size_t(ConnectionState::None)] = 0;
    counts[std::size_t(ConnectionState::Closed)] = m_closedTotal;
    return counts;
}

// Summaries of connections whose last record has left the store go too. An open connection at
// the front (a long keep-alive) moves aside so the ones after it can go.
void TimelineModel::forgetConnectionsBefore(std::uint64_t storeIndex)
{
    while (!m_connections.empty()) {
        const ConnectionSummary& s = m_connections.front();
        if (s.id != 0 && s.lastRecord >= storeIndex)
            break;
        if (s.id != 0 && s.closed < 0 && m_laneOf.contains(s.id))
            m_strayConnections.emplace(s.id, s);
        m_connections.pop_front();
        ++m_firstId;
    }
    std::erase_if(m_strayConnections, [&](const auto& entry) {
        return entry.second.lastRecord < storeIndex && !m_laneOf.contains(entry.first);
    });
}

void TimelineModel::evicted(const TraceStore& store)
{
    if (store.empty())
        return cleared();
    // Everything before the oldest kept record's time is gone from the store; let it go here too.
    std::int64_t t = store.at(store.beginIndex()).t_ns;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex() && store.at(i).kind == EventKind::RequestText; ++i)
        t = store.at(i + 1 < store.endIndex() ? i + 1 : i).t_ns;
    for (Lane& lane : m_lanes) {
        dropCoveredBefore(lane.spans, t);
        while (!lane.disk.empty() && lane.disk.front().end < t)
            lane.disk.pop_front();
        while (lane.tenants.size() >= 2 && lane.tenants[1].since <= t)
            lane.tenants.pop_front();
    }
    forgetConnectionsBefore(store.beginIndex());
    dropCoveredBefore(m_loop, t);
    while (!m_gui.empty() && m_gui.front().end < t)
        m_gui.pop_front();
    while (!m_markers.empty() && m_markers.front().t < t)
        m_markers.pop_front();
    m_firstTime = t;
}

void TimelineModel::cleared()
{
    *this = TimelineModel();
}

} // namespace loopscope
