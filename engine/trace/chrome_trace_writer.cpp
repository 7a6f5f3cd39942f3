#include "trace/chrome_trace_writer.h"

#include "trace/record_detail.h"
#include "trace/request_assembler.h"
#include "trace/trace_text.h"

#include <algorithm>

#ifndef LOOPSCOPE_VERSION
#define LOOPSCOPE_VERSION "0.1.0"
#endif

namespace loopscope {

using namespace std::string_view_literals;

using trace_text::appendJsonEscaped;
using trace_text::appendJsonString;
using trace_text::appendMicros;
using trace_text::appendSigned;
using trace_text::appendUnsigned;

namespace {

// Span levels on a connection's track, outermost first. A level only ever contains deeper ones.
enum SpanLevel : int { kRequestLevel = 0, kStateLevel = 1, kDiskLevel = 2, kLevelCount = 3 };

// Times are clamped to 2^50 ns (about 13 days) after the first record: up to there, readers that
// hold microseconds as doubles (JavaScript viewers, QJsonDocument) still get every nanosecond
// exactly; in practice only a damaged timestamp gets that far.
constexpr std::int64_t kMaxRelativeNs = std::int64_t(1) << 50;
constexpr std::uint64_t kInfiniteTimeout = UINT64_MAX;
constexpr std::size_t kMaxSpareLanes = 1024;
constexpr std::size_t kRememberedClosedLanes = 65536;
// Nesting depth of GUI spans (an event, its work, work inside that work): real traces need 3;
// damaged ones must not grow the stack without bound.
constexpr std::size_t kGuiMaxDepth = 64;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// What fetched the file of a connection's current request (request span args "cache").
enum class FileSource : std::uint8_t { None, CacheHit, Disk };

bool isLiveState(ConnectionState s)
{
    return s != ConnectionState::None && s != ConnectionState::Closed;
}

// Every event but the document's first starts with ",\n", so held-back events can be moved
// around as plain text without caring which one ends up first.
void openEvent(TextBuffer& out, char phase, std::uint64_t tid)
{
    out += ",\n{\"ph\":\""sv;
    out += phase;
    out += "\",\"pid\":1,\"tid\":"sv;
    appendUnsigned(out, tid);
}
void openTimedEvent(TextBuffer& out, char phase, std::uint64_t tid, std::int64_t ts)
{
    openEvent(out, phase, tid);
    out += ",\"ts\":"sv;
    appendMicros(out, ts);
}

void openSpanEvent(TextBuffer& out, std::uint64_t tid, std::int64_t start, std::int64_t end)
{
    openTimedEvent(out, 'X', tid, start);
    out += ",\"dur\":"sv;
    appendMicros(out, end - start);
}

void openInstantEvent(TextBuffer& out, std::uint64_t tid, std::int64_t ts, char scope)
{
    openTimedEvent(out, 'i', tid, ts);
    out += ",\"s\":\""sv;
    out += scope;
    out += '"';
}

// For the writer's own names (states, kinds, "epoll_wait"): nothing in them needs escaping.
void appendPlainName(TextBuffer& out, std::string_view name)
{
    out += ",\"name\":\""sv;
    out += name;
    out += '"';
}

// Writes ,"args":{...} one key at a time; close() ends the args and the event.
class Args {
public:
    explicit Args(TextBuffer& out)
        : m_out(out)
    {
        m_out += ",\"args\":{"sv;
    }
    Args& number(std::string_view key, std::uint64_t value)
    {
        appendKey(key);
        appendUnsigned(m_out, value);
        return *this;
    }
    Args& text(std::string_view key, std::string_view value)
    {
        appendKey(key);
        appendJsonString(m_out, value);
        return *this;
    }
    Args& flag(std::string_view key, bool value)
    {
        appendKey(key);
        m_out += value ? "true" : "false";
        return *this;
    }
    void close() { m_out += "}}"sv; }

private:
    void appendKey(std::string_view key)
    {
        if (!m_first)
            m_out += ',';
        m_first = false;
        m_out += '"';
        m_out += key;
        m_out += "\":"sv;
    }

    TextBuffer& m_out;
    bool m_first = true;
};

void appendTimeout(Args& args, std::uint64_t timeout)
{
    if (timeout == kInfiniteTimeout)
        args.text("timeout_ms", "infinite");
    else
        args.number("timeout_ms", timeout);
}

std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

} // namespace

struct ChromeTraceWriter::LoopLane {
    bool named = false;
    bool waiting = false;     // inside epoll_wait
    bool dispatching = false; // between PollEnd and the next PollBegin
    std::int64_t waitStart = 0;
    std::int64_t dispatchStart = 0;
    std::int64_t lastT = 0;
    std::uint64_t timeout = 0;
    std::uint64_t ready = 0;
};

struct ChromeTraceWriter::ConnectionLane {
    struct OpenSpan {
        bool open = false;
        std::int64_t start = 0;
        TextBuffer deferred; // complete events of enclosed spans that start at `start`
    };

    std::uint32_t conn = 0;
    std::uint64_t tid = 0;
    std::int64_t lastT = 0;
    OpenSpan spans[kLevelCount];
    ConnectionState spanState = ConnectionState::None; // the open state span's state
    bool stateCacheHit = false; // the open (FetchingFile) state span ended in a cache hit
    std::uint64_t cacheBytes = 0;
    FileSource fileSource = FileSource::None; // of the open request

    AssembledRequest request;
    bool rejected = false;
    bool hasStatus = false;
    bool hasBytes = false;
    std::uint64_t status = 0;
    std::uint64_t bytes = 0;

    std::uint64_t diskOffset = 0;
    std::uint32_t diskWorker = 0;
    bool diskDone = false;
    std::uint64_t diskBytes = 0;
    std::uint32_t diskErrno = 0;

    void reset(std::uint32_t id, std::int64_t t)
    {
        conn = id;
        tid = kConnectionTidBase + id;
        lastT = t;
        for (OpenSpan& span : spans) {
            span.open = false;
            span.deferred.clear();
        }
        spanState = ConnectionState::None;
        stateCacheHit = false;
        fileSource = FileSource::None;
        request.stop();
        request.target.clear();
        rejected = hasStatus = hasBytes = diskDone = false;
    }
};

ChromeTraceWriter::ChromeTraceWriter(const TraceInfo& info)
    : m_info(info)
    , m_loops(std::make_unique<std::array<LoopLane, 256>>())
{
    m_out += "{\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"process_name\",\"args\":{\"name\":"sv;
    appendJsonString(m_out, m_info.processName);
    m_out += "}}"sv;
    // The engine loop is named up front so it is the first track even before it records.
    loopLane(0);
}

ChromeTraceWriter::~ChromeTraceWriter() = default;

void ChromeTraceWriter::add(const EventRecord* records, std::size_t count)
{
    if (m_finished)
        return;
    for (std::size_t i = 0; i < count; ++i)
        addOne(records[i]);
}

std::int64_t ChromeTraceWriter::relativeTime(std::int64_t t_ns)
{
    if (!m_haveOrigin) {
        m_haveOrigin = true;
        m_origin = t_ns;
    }
    std::int64_t rel;
    if (__builtin_sub_overflow(t_ns, m_origin, &rel))
        return t_ns > m_origin ? kMaxRelativeNs : 0;
    return std::clamp<std::int64_t>(rel, 0, kMaxRelativeNs);
}

void ChromeTraceWriter::addOne(const EventRecord& r)
{
    ++m_records;
    if (m_loadPending) {
        if (r.kind == EventKind::RequestText && r.conn == 0) {
            if (m_loadName.addText(r))
                writeLoadPhase();
            return;
        }
        writeLoadPhase(); // its name was cut short: write what arrived
    }
    if (r.kind == EventKind::RequestText) {
        // Side record: its t_ns holds text. It extends the request its connection is reading.
        const auto it = m_lanes.find(r.conn);
        if (it != m_lanes.end())
            it->second->request.addText(r);
        return;
    }
    const std::int64_t t = relativeTime(r.t_ns);
    m_lastT = std::max(m_lastT, t);
    switch (r.kind) {
    case EventKind::GuiEventHandled:
    case EventKind::GuiLoopAwake:
    case EventKind::GuiLoopAboutToBlock:
    case EventKind::GuiLoopDelay:
    case EventKind::GuiWork:
        addGuiRecord(r, t); // by kind: the GUI's records belong on its track whatever their lane
        return;
    case EventKind::ServerStarted:
    case EventKind::ServerStopped:
    case EventKind::LoopPollBegin:
    case EventKind::LoopPollEnd:
    case EventKind::AcceptPaused:
    case EventKind::ServerFailed:
    case EventKind::ThreadStarted:
    case EventKind::ThreadExited:
    case EventKind::LoopDispatch: // step mode: on the loop's track even when about a connection
    case EventKind::LoopPaused:
    case EventKind::LoopStepped:
    case EventKind::LoopResumed:
        addLoopRecord(r, t);
        return;
    case EventKind::RecordsDropped:
        addDropRecord(r, t);
        return;
    case EventKind::LoadPhase:
        beginLoadPhase(r, t);
        return;
    default:
        break;
    }
    if (r.conn == 0)
        addLoopRecord(r, t); // a connection event without a connection: shown where it was seen
    else
        addConnectionRecord(r, t);
}

// ---- Engine loop lanes ---------------------------------------------------------------------

ChromeTraceWriter::LoopLane& ChromeTraceWriter::loopLane(std::uint8_t thread)
{
    LoopLane& lane = (*m_loops)[thread];
    if (!lane.named) {
        lane.named = true;
        // Lanes other than the loop's are the thread-per-connection server's threads.
        std::string name = thread == 0 ? std::string("engine loop") : "thread " + std::to_string(thread);
        // Sort index 1 is the GUI loop's, right below the engine loop it is compared with.
        writeThreadNames(kLoopTid + thread, name, thread == 0 ? 0 : std::int64_t(thread) + 1);
    }
    return lane;
}

void ChromeTraceWriter::addLoopRecord(const EventRecord& r, std::int64_t t)
{
    LoopLane& lane = loopLane(r.thread);
    t = std::max(t, lane.lastT);
    lane.lastT = t;
    const std::uint64_t tid = kLoopTid + r.thread;
    if (r.kind == EventKind::LoopPollBegin || r.kind == EventKind::LoopPollEnd) {
        // PollEnd's ready count belongs on the wait it ends as well as on the dispatch it starts.
        closeLoopSpans(lane, r.thread, t, r.kind == EventKind::LoopPollEnd ? &r.arg : nullptr);
        const bool begin = r.kind == EventKind::LoopPollBegin;
        (begin ? lane.waiting : lane.dispatching) = true;
        (begin ? lane.waitStart : lane.dispatchStart) = t;
        (begin ? lane.timeout : lane.ready) = r.arg;
        return;
    }
    openInstantEvent(m_out, tid, t, 't');
    appendPlainName(m_out, toString(r.kind));
    Args args(m_out);
    switch (r.kind) {
    case EventKind::ServerStarted:
        args.number("port", r.arg).number("max_connections", r.aux);
        break;
    case EventKind::ServerStopped:
        args.number("connections_closed", r.arg);
        break;
    case EventKind::AcceptPaused:
    case EventKind::ServerFailed:
        args.number("errno", r.arg);
        if (r.arg > 0 && r.arg < 4096)
            args.text("error", trace_text::errnoText(int(r.arg)));
        break;
    case EventKind::ThreadStarted:
    case EventKind::ThreadExited:
        args.number("thread", r.arg).number("conn", r.aux);
        break;
    case EventKind::LoopDispatch:
        args.text("source", toString(loopSourceOf(r.arg)))
            .text("handler", toString(loopHandlerOf(r.arg)))
            .text("events", epollBitsText(r.aux))
            .number("conn", r.conn);
        break;
    case EventKind::LoopPaused:
    case EventKind::LoopResumed:
        args.number("steps", r.arg);
        break;
    case EventKind::LoopStepped:
        args.number("step", r.arg).number("dispatched", r.aux);
        break;
    default: // a connection event without a connection, or a kind this build does not know
        if (r.conn != 0)
            args.number("conn", r.conn);
        args.number("kind", static_cast<unsigned>(r.kind)).number("arg", r.arg).number("aux", r.aux);
        m_scratch.clear();
        appendRecordDetail(m_scratch, r);
        if (!m_scratch.empty())
            args.text("detail", m_scratch);
        break;
    }
    args.close();
}

// Ends the loop's open span: epoll_wait ends at PollEnd (which also tells how many fds were
// ready), dispatch ends at the next PollBegin. Anything else (finish, a repeated PollBegin in a
// damaged stream) cuts the open span at `t`.
void ChromeTraceWriter::closeLoopSpans(LoopLane& lane, std::uint8_t thread, std::int64_t t,
                                       const std::uint64_t* readyAtEnd)
{
    const std::uint64_t tid = kLoopTid + thread;
    if (lane.waiting) {
        lane.waiting = false;
        openSpanEvent(m_out, tid, lane.waitStart, t);
        appendPlainName(m_out, "epoll_wait"sv);
        Args args(m_out);
        appendTimeout(args, lane.timeout);
        if (readyAtEnd)
            args.number("ready", *readyAtEnd);
        args.close();
    }
    if (lane.dispatching) {
        lane.dispatching = false;
        openSpanEvent(m_out, tid, lane.dispatchStart, t);
        appendPlainName(m_out, "dispatch"sv);
        Args(m_out).number("ready", lane.ready).close();
    }
}

void ChromeTraceWriter::addDropRecord(const EventRecord& r, std::int64_t t)
{
    loopLane(r.thread);
    m_droppedInTrace = saturatingAdd(m_droppedInTrace, r.arg);
    openInstantEvent(m_out, kLoopTid + r.thread, t, 'p');
    appendPlainName(m_out, "RecordsDropped"sv);
    Args(m_out).number("count", r.arg).close();
    writeCounter("dropped records", "total", m_droppedInTrace, t);
}

// ---- The load generator's phases ------------------------------------------------------------

void ChromeTraceWriter::beginLoadPhase(const EventRecord& r, std::int64_t t)
{
    m_loadPending = true;
    m_loadT = t;
    m_loadRecord = r;
    m_loadName.start(r);
}

void ChromeTraceWriter::writeLoadPhase()
{
    m_loadPending = false;
    if (!m_loadNamed) {
        m_loadNamed = true;
        writeThreadNames(kLoadTid, "load generator", 1);
    }
    const bool stopped = m_loadRecord.aux == 1;
    std::string name = m_loadName.target;
    if (stopped)
        name = "load stopped";
    else if (name.empty())
        name = "phase " + std::to_string(m_loadRecord.arg);
    openInstantEvent(m_out, kLoadTid, m_loadT, 't');
    m_out += ",\"name\":"sv;
    appendJsonString(m_out, name);
    Args(m_out).number("phase", m_loadRecord.arg).text("name", m_loadName.target).flag("stopped", stopped).close();
}

// ---- The GUI's event loop ------------------------------------------------------------------

void ChromeTraceWriter::guiLaneNamed()
{
    if (m_guiNamed)
        return;
    m_guiNamed = true;
    writeThreadNames(kGuiTid, "GUI event loop", 1);
}

void ChromeTraceWriter::addGuiRecord(const EventRecord& r, std::int64_t t)
{
    guiLaneNamed();
    switch (r.kind) {
    case EventKind::GuiEventHandled:
    case EventKind::GuiWork: {
        // t is within [0, kMaxRelativeNs]; so is the end, whatever the duration says.
        const auto room = static_cast<std::uint64_t>(kMaxRelativeNs - t);
        const std::int64_t end = t + static_cast<std::int64_t>(std::min(r.arg, room));
        m_guiPending.push_back({t, end, r.aux, r.kind == EventKind::GuiWork});
        // Keep the later half: the spans that may still get an enclosing event or nested work.
        if (m_guiPending.size() >= kGuiPending)
            flushGuiSpans(kGuiPending / 2);
        return;
    }
    case EventKind::GuiLoopDelay:
        openTimedEvent(m_out, 'C', kGuiTid, t);
        appendPlainName(m_out, "GUI loop delay (ms)"sv);
        m_out += ",\"args\":{\"ms\":"sv;
        appendMicros(m_out, static_cast<std::int64_t>(r.arg / 1000)); // µs as ms.mmm
        m_out += "}}"sv;
        return;
    case EventKind::GuiLoopAboutToBlock:
        countGuiIteration(t);
        return;
    default: // GuiLoopAwake: one per iteration, counted through AboutToBlock already
        return;
    }
}

// Writes all but the `keep` latest-starting pending spans, in start order with the enclosing
// span first (longer first, an event before work of the same extent).
void ChromeTraceWriter::flushGuiSpans(std::size_t keep)
{
    if (m_guiPending.size() <= keep)
        return;
    std::sort(m_guiPending.begin(), m_guiPending.end(), [](const GuiSpan& a, const GuiSpan& b) {
        if (a.start != b.start)
            return a.start < b.start;
        if (a.end != b.end)
            return a.end > b.end;
        if (a.work != b.work)
            return !a.work;
        return a.aux < b.aux;
    });
    const auto n = static_cast<std::ptrdiff_t>(m_guiPending.size() - keep);
    for (auto it = m_guiPending.begin(); it != m_guiPending.begin() + n; ++it)
        writeGuiSpan(*it);
    m_guiPending.erase(m_guiPending.begin(), m_guiPending.begin() + n);
}

// A sweep over spans in start order: m_guiOpenEnds holds the ends of the written spans that
// enclose the current start, innermost last. A span is moved to start no earlier than the last
// written one (so file order stays start order, which importers rely on for equal times) and
// cut to end inside its enclosing span, so the track always nests.
void ChromeTraceWriter::writeGuiSpan(const GuiSpan& span)
{
    const std::int64_t start = std::max(span.start, m_guiWrittenStart);
    std::int64_t end = std::max(span.end, start);
    while (!m_guiOpenEnds.empty() && m_guiOpenEnds.back() <= start)
        m_guiOpenEnds.pop_back();
    if (!m_guiOpenEnds.empty())
        end = std::min(end, m_guiOpenEnds.back());
    if (m_guiOpenEnds.size() >= kGuiMaxDepth)
        end = start;
    if (end > start)
        m_guiOpenEnds.push_back(end);
    m_guiWrittenStart = start;

    openSpanEvent(m_out, kGuiTid, start, end);
    if (!span.work) {
        appendPlainName(m_out, "event"sv);
        Args(m_out).number("type", span.aux).close();
    } else if (span.aux <= static_cast<std::uint32_t>(GuiWorkKind::Export)) {
        appendPlainName(m_out, toString(static_cast<GuiWorkKind>(span.aux)));
        m_out += '}';
    } else {
        appendPlainName(m_out, "work"sv);
        Args(m_out).number("work_kind", span.aux).close();
    }
}

// Iterations are counted per second from the first one (so the first second is a whole one).
// A second's count is written, at its start, once a later iteration shows it has ended.
void ChromeTraceWriter::countGuiIteration(std::int64_t t)
{
    if (!m_guiCounting) {
        m_guiCounting = true;
        m_guiIterationOrigin = t;
        m_guiSecond = 0;
        m_guiIterations = 0;
    }
    // An iteration from before the current second (damaged order) counts into it.
    const std::int64_t second = std::max<std::int64_t>(0, t - m_guiIterationOrigin) / kNsPerSecond;
    if (second > m_guiSecond) {
        writeGuiIterations(m_guiSecond, m_guiIterations);
        if (second > m_guiSecond + 1) // a second without any iteration: the GUI was stuck
            writeGuiIterations(m_guiSecond + 1, 0);
        m_guiSecond = second;
        m_guiIterations = 0;
    }
    ++m_guiIterations;
}

void ChromeTraceWriter::writeGuiIterations(std::int64_t second, std::uint64_t count)
{
    const std::int64_t t = std::min(kMaxRelativeNs, m_guiIterationOrigin + second * kNsPerSecond);
    writeCounter("GUI loop iterations/s", "iterations", count, t, kGuiTid);
}

// ---- Connection lanes ----------------------------------------------------------------------

ChromeTraceWriter::ConnectionLane& ChromeTraceWriter::laneFor(std::uint32_t conn, std::int64_t t)
{
    auto [it, inserted] = m_lanes.try_emplace(conn);
    if (!inserted)
        return *it->second;
    if (m_spareLanes.empty()) {
        it->second = std::make_unique<ConnectionLane>();
    } else {
        it->second = std::move(m_spareLanes.back());
        m_spareLanes.pop_back();
    }
    ConnectionLane& lane = *it->second;
    lane.reset(conn, std::max(t, laneFloor(conn)));
    writeThreadNames(lane.tid, "conn " + std::to_string(conn), std::int64_t(lane.tid));
    ++m_activeConnections;
    writeCounter("active connections", "count", m_activeConnections, lane.lastT);
    return lane;
}

void ChromeTraceWriter::addConnectionRecord(const EventRecord& r, std::int64_t t)
{
    ConnectionLane& lane = laneFor(r.conn, t);
    t = std::max(t, lane.lastT);
    lane.lastT = t;
    const bool moves = r.from != r.to;
    // The disk span ends before the state change it causes (FetchingFile -> WritingHeaders).
    const bool diskSpanEnded = r.kind == EventKind::DiskReadDone && finishDiskRead(lane, r, t);
    if (r.kind == EventKind::FileCacheHit)
        noteCacheHit(lane, r); // before the FetchingFile span it marks is written
    if (moves)
        closeSpan(lane, kStateLevel, t);
    applyRequestEffects(lane, r, t);
    if (moves || !lane.spans[kStateLevel].open)
        enterState(lane, r.to, t); // without a move this adopts the state of a lane seen mid-way
    if (r.kind == EventKind::DiskReadStarted)
        beginDiskRead(lane, r, t);
    if (!diskSpanEnded)
        writeConnectionInstant(lane, r, t);
    if (r.to == ConnectionState::Closed || r.kind == EventKind::ConnectionClosed)
        closeLane(lane, t, true);
}

void ChromeTraceWriter::noteCacheHit(ConnectionLane& lane, const EventRecord& r)
{
    if (lane.spans[kStateLevel].open && lane.spanState == ConnectionState::FetchingFile) {
        lane.stateCacheHit = true;
        lane.cacheBytes = r.arg;
    }
    if (lane.spans[kRequestLevel].open && lane.fileSource == FileSource::None)
        lane.fileSource = FileSource::CacheHit;
}

void ChromeTraceWriter::applyRequestEffects(ConnectionLane& lane, const EventRecord& r, std::int64_t t)
{
    const bool inRequest = lane.spans[kRequestLevel].open;
    switch (r.kind) {
    case EventKind::RequestHeadersRead:
        beginRequest(lane, r, t, false);
        return;
    case EventKind::RequestRejected:
        if (!inRequest) {
            beginRequest(lane, r, t, true);
            return;
        }
        [[fallthrough]];
    case EventKind::ResponseHeadersWritten:
        lane.hasStatus = inRequest;
        lane.status = r.arg;
        return;
    case EventKind::BodyWritten:
        lane.hasBytes = inRequest;
        lane.bytes = r.arg;
        endRequest(lane, t);
        return;
    case EventKind::ConnectionClosed:
        endRequest(lane, t);
        return;
    default:
        return;
    }
}

void ChromeTraceWriter::closeLane(ConnectionLane& lane, std::int64_t t, bool connectionEnded)
{
    for (int level = kRequestLevel; level < kLevelCount; ++level)
        closeSpan(lane, level, t);
    if (connectionEnded) {
        --m_activeConnections;
        writeCounter("active connections", "count", m_activeConnections, t);
    }
    rememberClosedLane(lane.conn, t);
    const auto it = m_lanes.find(lane.conn);
    if (m_spareLanes.size() < kMaxSpareLanes)
        m_spareLanes.push_back(std::move(it->second));
    m_lanes.erase(it);
}

void ChromeTraceWriter::rememberClosedLane(std::uint32_t conn, std::int64_t end)
{
    auto [it, inserted] = m_closedLaneEnds.try_emplace(conn, end);
    if (!inserted) {
        it->second = std::max(it->second, end);
        return;
    }
    m_closedOrder.push_back(conn);
    if (m_closedOrder.size() <= kRememberedClosedLanes)
        return;
    const auto oldest = m_closedLaneEnds.find(m_closedOrder.front());
    m_forgottenLaneEnd = std::max(m_forgottenLaneEnd, oldest->second);
    m_closedLaneEnds.erase(oldest);
    m_closedOrder.pop_front();
}

// The earliest time a new track for `conn` may start: after the end of its previous track.
std::int64_t ChromeTraceWriter::laneFloor(std::uint32_t conn) const
{
    const auto it = m_closedLaneEnds.find(conn);
    return it != m_closedLaneEnds.end() ? it->second : m_forgottenLaneEnd;
}

void ChromeTraceWriter::openSpan(ConnectionLane& lane, int level, std::int64_t t)
{
    // An inner span may not start before the outer one: close inner levels first.
    for (int deeper = kLevelCount - 1; deeper >= level; --deeper)
        closeSpan(lane, deeper, t);
    lane.spans[level].open = true;
    lane.spans[level].start = t;
}

void ChromeTraceWriter::closeSpan(ConnectionLane& lane, int level, std::int64_t t)
{
    auto& span = lane.spans[level];
    if (!span.open)
        return;
    for (int deeper = kLevelCount - 1; deeper > level; --deeper)
        closeSpan(lane, deeper, t);
    TextBuffer& out = destinationFor(lane, level);
    writeSpan(out, lane, level, t);
    out.append(span.deferred.view());
    span.deferred.clear();
    span.open = false;
}

// X events are written when they end, so an enclosed span is written before its enclosing one.
// Importers sort by start time; for equal start times some keep file order, which would put the
// enclosed span first and break nesting. Such spans are therefore held by the enclosing span
// and written right after it.
TextBuffer& ChromeTraceWriter::destinationFor(ConnectionLane& lane, int level)
{
    for (int outer = level - 1; outer >= 0; --outer) {
        auto& enclosing = lane.spans[outer];
        if (enclosing.open)
            return enclosing.start == lane.spans[level].start ? enclosing.deferred : m_out;
    }
    return m_out;
}

void ChromeTraceWriter::writeSpan(TextBuffer& out, const ConnectionLane& lane, int level, std::int64_t end)
{
    openSpanEvent(out, lane.tid, lane.spans[level].start, end);
    if (level == kStateLevel) {
        appendPlainName(out, toString(lane.spanState));
        if (lane.stateCacheHit)
            Args(out).text("cache", "hit").number("bytes", lane.cacheBytes).close();
        else
            out += '}';
        return;
    }
    if (level == kDiskLevel) {
        appendPlainName(out, "disk read"sv);
        Args args(out);
        args.number("offset", lane.diskOffset).number("worker", lane.diskWorker);
        if (lane.diskDone)
            args.number("bytes", lane.diskBytes).number("errno", lane.diskErrno);
        args.close();
        return;
    }
    out += ",\"name\":\""sv;
    if (lane.rejected) {
        out += "rejected "sv;
        appendUnsigned(out, lane.status);
    } else { // "GET /path"
        out += lane.request.methodName();
        out += ' ';
        appendJsonEscaped(out, lane.request.target);
    }
    out += '"';
    Args args(out);
    if (!lane.rejected) {
        args.text("method", lane.request.methodName())
            .text("path", lane.request.target)
            .number("request", lane.request.number);
        if (!lane.request.complete || lane.request.truncated)
            args.flag("path_incomplete", true);
    }
    if (lane.hasStatus)
        args.number("status", lane.status);
    if (lane.hasBytes)
        args.number("bytes", lane.bytes);
    if (!lane.rejected && lane.fileSource != FileSource::None)
        args.text("cache", lane.fileSource == FileSource::CacheHit ? "hit"sv : "disk"sv);
    args.close();
}

void ChromeTraceWriter::enterState(ConnectionLane& lane, ConnectionState state, std::int64_t t)
{
    if (!isLiveState(state))
        return;
    openSpan(lane, kStateLevel, t);
    lane.spanState = state;
    lane.stateCacheHit = false;
}

void ChromeTraceWriter::beginRequest(ConnectionLane& lane, const EventRecord& r, std::int64_t t,
                                     bool rejected)
{
    endRequest(lane, t);
    // The request is the outermost span: a state span already open moves inside it.
    const bool hadState = lane.spans[kStateLevel].open;
    const ConnectionState state = lane.spanState;
    openSpan(lane, kRequestLevel, t);
    lane.rejected = rejected;
    lane.hasStatus = rejected;
    lane.status = rejected ? r.arg : 0;
    lane.hasBytes = false;
    lane.fileSource = FileSource::None;
    if (rejected) {
        lane.request.stop();
        lane.request.target.clear();
        lane.request.complete = true;
    } else {
        lane.request.start(r);
    }
    if (hadState)
        enterState(lane, state, t);
}

void ChromeTraceWriter::endRequest(ConnectionLane& lane, std::int64_t t)
{
    if (!lane.spans[kRequestLevel].open)
        return;
    // A state that outlives the request (WritingBody until the close) continues outside it.
    const bool hadState = lane.spans[kStateLevel].open;
    const ConnectionState state = lane.spanState;
    closeSpan(lane, kRequestLevel, t);
    lane.request.stop();
    if (hadState)
        enterState(lane, state, t);
}

void ChromeTraceWriter::beginDiskRead(ConnectionLane& lane, const EventRecord& r, std::int64_t t)
{
    openSpan(lane, kDiskLevel, t);
    if (lane.spans[kRequestLevel].open && lane.fileSource == FileSource::None)
        lane.fileSource = FileSource::Disk;
    lane.diskOffset = r.arg;
    lane.diskWorker = r.aux;
    lane.diskDone = false;
}

bool ChromeTraceWriter::finishDiskRead(ConnectionLane& lane, const EventRecord& r, std::int64_t t)
{
    if (!lane.spans[kDiskLevel].open)
        return false;
    lane.diskDone = true;
    lane.diskBytes = r.arg;
    lane.diskErrno = r.aux;
    closeSpan(lane, kDiskLevel, t);
    return true;
}

void ChromeTraceWriter::writeConnectionInstant(const ConnectionLane& lane, const EventRecord& r,
                                               std::int64_t t)
{
    const char* key = nullptr;
    switch (r.kind) {
    case EventKind::RequestHeadersRead:
    case EventKind::DiskReadStarted:
    case EventKind::ResponseHeadersWritten:
    case EventKind::BodyWritten:
        return; // shown by spans and their args
    case EventKind::BytesRead:
    case EventKind::BodyBytesWritten:
        key = "bytes";
        break;
    case EventKind::KeepAlive:
        key = "responses";
        break;
    case EventKind::RequestRejected:
        key = "status";
        break;
    case EventKind::FileCacheHit:
        key = "bytes";
        break;
    default:
        break;
    }
    openInstantEvent(m_out, lane.tid, t, 't');
    // A hit takes no time, so its FetchingFile span is invisible at most zoom levels.
    appendPlainName(m_out, r.kind == EventKind::FileCacheHit ? "file cache hit"sv : toString(r.kind));
    Args args(m_out);
    if (key) {
        args.number(key, r.arg);
    } else if (r.kind == EventKind::ConnectionAccepted) {
        m_scratch.clear();
        trace_text::appendIpv4(m_scratch, r.aux, r.arg);
        args.text("peer", m_scratch);
    } else if (r.kind == EventKind::TimedOut) {
        args.text("timeout", timeoutText(r.arg));
    } else if (r.kind == EventKind::ConnectionClosed) {
        args.text("reason", closeReasonText(r.arg));
    } else if (r.kind == EventKind::DiskReadDone) {
        args.number("bytes", r.arg).number("errno", r.aux);
    } else {
        args.number("kind", static_cast<unsigned>(r.kind)).number("arg", r.arg).number("aux", r.aux);
    }
    args.close();
}

// ---- Metadata, counters, the end ------------------------------------------------------------

void ChromeTraceWriter::writeThreadNames(std::uint64_t tid, const std::string& name, std::int64_t sortIndex)
{
    openEvent(m_out, 'M', tid);
    appendPlainName(m_out, "thread_name"sv);
    Args(m_out).text("name", name).close();
    openEvent(m_out, 'M', tid);
    appendPlainName(m_out, "thread_sort_index"sv);
    m_out += ",\"args\":{\"sort_index\":"sv;
    appendSigned(m_out, sortIndex);
    m_out += "}}"sv;
}

void ChromeTraceWriter::writeCounter(const char* name, const char* key, std::uint64_t value, std::int64_t t,
                                     std::uint64_t tid)
{
    openTimedEvent(m_out, 'C', tid, t);
    appendPlainName(m_out, name);
    Args(m_out).number(key, value).close();
}

void ChromeTraceWriter::finish(const TraceInfo& info)
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_loadPending)
        writeLoadPhase();
    if (!info.documentRoot.empty())
        m_info.documentRoot = info.documentRoot;
    if (!info.listenAddress.empty())
        m_info.listenAddress = info.listenAddress;
    m_info.droppedRecords = std::max({m_info.droppedRecords, info.droppedRecords, m_droppedInTrace});

    // Connections still open are cut at the last timestamp, in id order so output is repeatable.
    std::vector<std::uint32_t> open;
    open.reserve(m_lanes.size());
    for (const auto& entry : m_lanes)
        open.push_back(entry.first);
    std::sort(open.begin(), open.end());
    for (std::uint32_t conn : open)
        closeLane(*m_lanes.at(conn), m_lastT, false);
    for (std::size_t thread = 0; thread < m_loops->size(); ++thread)
        closeLoopSpans((*m_loops)[thread], static_cast<std::uint8_t>(thread), m_lastT);
    flushGuiSpans(0);
    if (m_guiCounting && m_lastT - m_guiIterationOrigin >= (m_guiSecond + 1) * kNsPerSecond)
        writeGuiIterations(m_guiSecond, m_guiIterations); // the last second, if it is complete
    writeOtherData();
}

void ChromeTraceWriter::writeOtherData()
{
    m_out += "\n],\n\"otherData\":{\"loopscope_version\":"sv;
    appendJsonString(m_out, LOOPSCOPE_VERSION);
    m_out += ",\"process_name\":"sv;
    appendJsonString(m_out, m_info.processName);
    m_out += ",\"document_root\":"sv;
    appendJsonString(m_out, m_info.documentRoot);
    m_out += ",\"listen_address\":"sv;
    appendJsonString(m_out, m_info.listenAddress);
    m_out += ",\"dropped_records\":"sv;
    appendUnsigned(m_out, m_info.droppedRecords);
    m_out += ",\"dropped_records_in_trace\":"sv;
    appendUnsigned(m_out, m_droppedInTrace);
    m_out += ",\"records\":"sv;
    appendUnsigned(m_out, m_records);
    m_out += ",\"clock\":\"CLOCK_MONOTONIC\",\"time_origin_ns\":"sv;
    appendSigned(m_out, m_origin);
    m_out += ",\"time_unit\":\"ts and dur are microseconds since time_origin_ns\"}}\n"sv;
}

} // namespace loopscope
