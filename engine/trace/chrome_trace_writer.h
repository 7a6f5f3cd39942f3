// ChromeTraceWriter: records as Chrome Trace Event JSON, for Perfetto UI and chrome://tracing.
//
// Contract: the writer streams. add() turns records into events as they come and keeps only
// per-open-connection state and a bounded buffer of GUI spans; finish() closes what is still
// open at the last timestamp and ends the document. The writer only formats: output()
// accumulates bytes for the caller to write and clear at any time. Any record sequence, including garbage kinds and states, records that
// begin mid-connection or contradict each other, yields valid JSON with properly nested spans.
//
// Document: {"traceEvents":[...],"otherData":{...}} with one process
// (pid 1) named after TraceInfo::processName. `ts`/`dur` are microseconds with three decimals
// (full nanosecond precision) since the first record's timestamp, whose absolute CLOCK_MONOTONIC
// value is otherData.time_origin_ns. A disk worker's timestamp from before the first record is
// shown at 0 (some importers reject negative times); times more than 2^50 ns (~13 days) after it
// are clamped there (only damaged timestamps get that far; doubles keep nanoseconds up to there). otherData also carries the drop total,
// document root, listen address and loopscope version.
//
// Tracks, one tid each (thread_name and thread_sort_index metadata: the engine loop first, the
// GUI loop right after it, then producer lanes, then connections):
//  - "engine loop" (tid 1; producer lane k > 0 is tid 1 + k, "thread k", sort index 1 + k):
//    X spans "epoll_wait" (args timeout_ms, ready) and "dispatch" (PollEnd to the next
//    PollBegin, args ready), and instants for server events (ServerStarted, AcceptPaused, ...)
//    and for step mode: LoopPaused/LoopResumed (args steps), LoopStepped (args step,
//    dispatched) and one LoopDispatch per ready event of a step (args source, handler, events
//    in words, conn), on this track even when it concerns a connection.
//  - "GUI event loop" (tid 257, sort index 1; the Gui* kinds, whatever their thread field):
//    an X span "event" (args type: the QEvent::Type) per GuiEventHandled and an X span named
//    after the GuiWorkKind ("drain", "paint", ...; "work" with args work_kind if unknown) per
//    GuiWork, from t for arg ns. Work nests inside the event that ran it: the GUI records a
//    work span before or after its event, so GUI spans wait in a bounded buffer (kGuiPending)
//    and are written in start order, enclosing span first. A span that arrives after spans
//    starting later were written, or that overlaps a written span without containing it, is
//    clamped to fit (start moved up, end cut): only damaged or very late records get that.
//    Counters "GUI loop delay (ms)" (args ms, one per GuiLoopDelay) and "GUI loop
//    iterations/s" (args iterations: GuiLoopAboutToBlock records per second, seconds counted
//    from the first one; written at the second's start once it has ended, a 0 after a second
//    without any; the last second is written only if the trace goes past its end).
//    GuiLoopAwake and GuiLoopAboutToBlock get no event of their own (thousands per second
//    would drown the track).
//  - "conn N" (tid 1000 + N): an X span per connection state (named after the state, KeepAlive
//    idle included); per request an X span "GET /path" from RequestHeadersRead to BodyWritten
//    (or to close) with args {method, path, request, status, bytes} that contains the state spans
//    of that request (a rejected request is a span "rejected <status>" from RequestRejected);
//    an X span "disk read" per DiskReadStarted..DiskReadDone (args bytes, errno, offset, worker)
//    inside the state span it happened in; a FileCacheHit gives the (zero-length) FetchingFile
//    span args {cache:"hit", bytes} plus an instant "file cache hit" (args bytes), and the
//    request span's args say cache:"hit" or cache:"disk" (a disk read ran for it; neither
//    when no file was fetched, e.g. a rejected request); thread instants for the raw events
//    that are not spans (ConnectionAccepted, BytesRead, BodyBytesWritten, KeepAlive,
//    RequestRejected, TimedOut, ConnectionClosed with its reason in words).
//  - "load generator" (tid 258, sort index 1; LoadPhase records): an instant per phase named
//    after the phase (its RequestText records; "phase N" without them, "load stopped" when the
//    generator stopped) with args {phase, name, stopped}. The instant is written once its name
//    is complete or the next other record arrives.
//  - counters "active connections" (args count) and "dropped records" (args total); each
//    RecordsDropped is also a process-scoped instant.
// Nesting: per connection, times are clamped to be non-decreasing, and spans are levels
// request > state > disk read; opening or closing an outer level closes (and where needed
// reopens) the inner ones at the same instant. X events are written when they end, but a span
// that starts at the same instant as its enclosing span is held back and written right after
// it, so importers that keep file order for equal timestamps still nest them correctly.
// There is deliberately no "displayTimeUnit": Perfetto's JSON importer takes "ns" there as the
// unit of every timestamp (not just of the display), which would shrink our microseconds 1000x.
#pragma once

#include "core/event_record.h"
#include "trace/request_assembler.h"
#include "trace/text_buffer.h"
#include "trace/trace_sink.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace loopscope {

class ChromeTraceWriter {
public:
    static constexpr std::uint64_t kProcessId = 1;
    static constexpr std::uint64_t kLoopTid = 1;              // + the record's thread lane
    static constexpr std::uint64_t kConnectionTidBase = 1000; // + the connection id
    static constexpr std::uint64_t kGuiTid = kLoopTid + 256;  // after every producer lane
    static constexpr std::uint64_t kLoadTid = kGuiTid + 1;
    // GUI spans held back for sorting. A work span is recorded at most one drain (~16 ms)
    // away from its event, a few hundred spans at most; this leaves a wide margin and bounds
    // memory (32 bytes a span).
    static constexpr std::size_t kGuiPending = 4096;

    explicit ChromeTraceWriter(const TraceInfo& info);
    ~ChromeTraceWriter();
    ChromeTraceWriter(const ChromeTraceWriter&) = delete;
    ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;

    void add(const EventRecord* records, std::size_t count);
    // Closes open spans at the last timestamp and ends the document. `info` may carry updated
    // totals (drops); empty strings keep the values given at construction.
    void finish(const TraceInfo& info);

    TextBuffer& output() { return m_out; }

private:
    struct ConnectionLane;
    struct LoopLane;

    void addOne(const EventRecord& record);
    std::int64_t relativeTime(std::int64_t t_ns);

    // Engine loop lanes.
    LoopLane& loopLane(std::uint8_t thread);
    void addLoopRecord(const EventRecord& record, std::int64_t t);
    void closeLoopSpans(LoopLane& lane, std::uint8_t thread, std::int64_t t,
                        const std::uint64_t* readyAtEnd = nullptr);
    void addDropRecord(const EventRecord& record, std::int64_t t);

    // The GUI's event loop.
    struct GuiSpan {
        std::int64_t start = 0;
        std::int64_t end = 0;
        std::uint32_t aux = 0; // QEvent::Type or GuiWorkKind
        bool work = false;     // GuiWork, else GuiEventHandled
    };
    void guiLaneNamed();
    void addGuiRecord(const EventRecord& record, std::int64_t t);
    void flushGuiSpans(std::size_t keep);
    void writeGuiSpan(const GuiSpan& span);
    void countGuiIteration(std::int64_t t);
    void writeGuiIterations(std::int64_t second, std::uint64_t count);

    // The load generator's phases.
    void beginLoadPhase(const EventRecord& record, std::int64_t t);
    void writeLoadPhase();

    // Connection lanes.
    ConnectionLane& laneFor(std::uint32_t conn, std::int64_t t);
    void addConnectionRecord(const EventRecord& record, std::int64_t t);
    void noteCacheHit(ConnectionLane& lane, const EventRecord& record);
    void applyRequestEffects(ConnectionLane& lane, const EventRecord& record, std::int64_t t);
    void closeLane(ConnectionLane& lane, std::int64_t t, bool connectionEnded);
    void rememberClosedLane(std::uint32_t conn, std::int64_t end);
    std::int64_t laneFloor(std::uint32_t conn) const;
    void openSpan(ConnectionLane& lane, int level, std::int64_t t);
    void closeSpan(ConnectionLane& lane, int level, std::int64_t t);
    TextBuffer& destinationFor(ConnectionLane& lane, int level);
    void writeSpan(TextBuffer& out, const ConnectionLane& lane, int level, std::int64_t end);
    void enterState(ConnectionLane& lane, ConnectionState state, std::int64_t t);
    void beginRequest(ConnectionLane& lane, const EventRecord& record, std::int64_t t, bool rejected);
    void endRequest(ConnectionLane& lane, std::int64_t t);
    void beginDiskRead(ConnectionLane& lane, const EventRecord& record, std::int64_t t);
    bool finishDiskRead(ConnectionLane& lane, const EventRecord& record, std::int64_t t);
    void writeConnectionInstant(const ConnectionLane& lane, const EventRecord& record, std::int64_t t);

    void writeThreadNames(std::uint64_t tid, const std::string& name, std::int64_t sortIndex);
    void writeCounter(const char* name, const char* key, std::uint64_t value, std::int64_t t,
                      std::uint64_t tid = kLoopTid);
    void writeOtherData();

    TextBuffer m_out;
    std::string m_scratch;
    TraceInfo m_info;
    bool m_haveOrigin = false;
    bool m_finished = false;
    std::int64_t m_origin = 0;
    std::int64_t m_lastT = 0;
    std::uint64_t m_records = 0;
    std::uint64_t m_droppedInTrace = 0;
    std::uint64_t m_activeConnections = 0;
    std::unordered_map<std::uint32_t, std::unique_ptr<ConnectionLane>> m_lanes;
    // Where recently closed connections' tracks end: a damaged stream may reuse an id with
    // earlier times, and the new spans must not be drawn over the old ones. Bounded: ids
    // forgotten in FIFO order raise m_forgottenLaneEnd, the floor for ids not remembered.
    std::unordered_map<std::uint32_t, std::int64_t> m_closedLaneEnds;
    std::deque<std::uint32_t> m_closedOrder;
    std::int64_t m_forgottenLaneEnd = 0;
    std::vector<std::unique_ptr<ConnectionLane>> m_spareLanes; // reused: keeps string capacity
    std::unique_ptr<std::array<LoopLane, 256>> m_loops;

    bool m_loadNamed = false;
    bool m_loadPending = false;       // a LoadPhase whose name is still arriving
    std::int64_t m_loadT = 0;
    EventRecord m_loadRecord;
    AssembledRequest m_loadName;      // the phase name, collected like a request target

    bool m_guiNamed = false;
    std::vector<GuiSpan> m_guiPending;
    std::vector<std::int64_t> m_guiOpenEnds; // ends of written GUI spans enclosing the sweep point
    std::int64_t m_guiWrittenStart = 0;      // start of the last written GUI span
    bool m_guiCounting = false;              // an iteration second is being counted
    std::int64_t m_guiIterationOrigin = 0;   // the first iteration's time: second 0 starts there
    std::int64_t m_guiSecond = 0;            // the second being counted
    std::uint64_t m_guiIterations = 0;       // iterations counted in it
};

} // namespace loopscope
