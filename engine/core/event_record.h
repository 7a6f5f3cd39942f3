// EventRecord: one step of the server, as the engine records it.
//
// Contract: a record is 32 bytes, trivially copyable, and carries no pointers, so it can cross
// threads through a ring, be written to a file verbatim and be read back by another build.
// `EventKind` and `ConnectionState` values are a file format: only ever add at the end.
// Timestamps are CLOCK_MONOTONIC nanoseconds (the same clock in every thread, so lanes line up).
//
// Records from one producer arrive in the order they were recorded. Their timestamps are
// non-decreasing except for the event loop's DiskReadStarted/DiskReadDone, which carry the disk
// worker's own clock readings and are recorded by the loop when it learns of the completion (so
// they are a little in the past). Several producer threads (the thread-per-connection server)
// each record into a ring of their own; the Recorder merges them into one stream by time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace loopscope {

// States of one connection, in the order of the seed's state machine.
enum class ConnectionState : std::uint8_t {
    None = 0,           // not yet accepted, or not a connection event
    Accepted = 1,       // accepted, no request bytes yet
    ReadingHeaders = 2, // request bytes arriving, headers not complete
    FetchingFile = 3,   // a disk worker is opening/reading the file
    WritingHeaders = 4, // response headers being sent
    WritingBody = 5,    // response body being sent (possibly waiting for EPOLLOUT)
    KeepAlive = 6,      // response done, idle until the next request's first byte
    Closed = 7,
};
inline constexpr int kConnectionStateCount = 8;

// What happened. The meaning of `arg` and `aux` is given for each kind; `conn` is the
// connection id (0 = not about a connection). Append only.
enum class EventKind : std::uint8_t {
    ServerStarted = 0,          // arg: bound port. aux: max connections.
    ServerStopped = 1,          // arg: connections closed by the stop.
    LoopPollBegin = 2,          // arg: epoll_wait timeout in ms (UINT64_MAX = infinite).
    LoopPollEnd = 3,            // arg: ready count returned by epoll_wait.
    ConnectionAccepted = 4,     // arg: peer port. aux: peer IPv4 address (host order). None -> Accepted.
    BytesRead = 5,              // arg: bytes returned by one recv. aux: 1 if the bytes were already
                                // buffered (sent ahead, pipelined), 0 if from recv.
                                // May move Accepted/KeepAlive -> ReadingHeaders.
    RequestHeadersRead = 6,     // arg: request number on this connection (1-based). aux: HttpMethod.
                                // ReadingHeaders -> FetchingFile. Followed by RequestText records.
    RequestText = 7,            // Side record: up to 16 bytes of the preceding request's target,
                                // see textOf(). aux: bytes used (low 8 bits) | kTextLast flag.
    DiskReadStarted = 8,        // t: the worker's own start time. aux: worker index (1..n; 0 when
                                // the serving thread read the file itself: the blocking and
                                // thread-per-connection servers). arg: file offset.
    DiskReadDone = 9,           // t: the worker's own end time. arg: bytes read. aux: errno (0 = ok).
                                // The first read of a request moves FetchingFile -> WritingHeaders.
    ResponseHeadersWritten = 10,// arg: status code. aux: header bytes. WritingHeaders -> WritingBody.
    BodyBytesWritten = 11,      // arg: bytes accepted by one send/writev (body part only).
    BodyWritten = 12,           // arg: body bytes of this response. WritingBody -> KeepAlive (or stays
                                // until ConnectionClosed when the connection will close).
    KeepAlive = 13,             // arg: responses served on this connection so far.
    RequestRejected = 14,       // arg: status code. ReadingHeaders -> WritingHeaders.
    TimedOut = 15,              // arg: TimeoutKind.
    ConnectionClosed = 16,      // arg: CloseReason. any -> Closed.
    RecordsDropped = 17,        // arg: records dropped because the ring was full since the last such record.
    AcceptPaused = 18,          // arg: errno of accept4 (EMFILE/ENFILE); accepting resumes after a pause.
    ServerFailed = 19,          // arg: errno. The loop hit an unrecoverable error and stops.
    FileCacheHit = 20,          // arg: file bytes. The file was served from the open-file cache,
                                // no disk worker involved: FetchingFile -> WritingHeaders.
    // The GUI's own Qt event loop (recorded by the GUI on its thread, thread = kGuiThread):
    GuiEventHandled = 21,       // t: start of an outermost QCoreApplication::notify. arg: duration ns.
                                // aux: QEvent::Type.
    GuiLoopAwake = 22,          // the GUI loop woke up (QAbstractEventDispatcher::awake).
    GuiLoopAboutToBlock = 23,   // the GUI loop is going to sleep (aboutToBlock). arg: iterations so far.
    GuiLoopDelay = 24,          // arg: how late the heartbeat timer fired, in ns (loop delay).
    GuiWork = 25,               // t: start of the GUI's own work. arg: duration ns. aux: GuiWorkKind.
    // The built-in load generator (engine/load), recorded by whoever runs it (the GUI), conn 0,
    // thread kLoadGeneratorThread:
    LoadPhase = 26,             // t: when the phase began (or the generator stopped). arg: phase
                                // index (0-based). aux: 1 when the generator stopped or finished
                                // (arg: the last phase's index), else 0. Followed by RequestText
                                // records (conn 0) naming the phase.
    // The thread-per-connection server (ServerModel::Threads), recorded by the thread itself
    // (conn = 0, thread = its number, clamped to 253):
    ThreadStarted = 27,         // arg: thread number (1, 2, ...: the lowest free one, reused after
                                // a thread exits). aux: the connection it serves.
    ThreadExited = 28,          // arg: thread number. aux: the connection it served.
    // Step mode of the event loop (Server::setStepMode/step), recorded by the loop (conn as
    // given, thread 0). Only recorded while step mode is on: the running loop records none.
    LoopDispatch = 29,          // One ready thing a step's epoll_wait returned (or a timer that
                                // expired, or a file the loop read itself), recorded just before
                                // its handler runs. conn: the connection it concerns (0: the
                                // listener, the wake-up eventfd, a disk eventfd with no job).
                                // arg: LoopSource | LoopHandler << 8 (see loopDispatchArg()).
                                // aux: the epoll event bits (EPOLLIN ...; 0 for timers and reads
                                // on the loop thread).
    LoopPaused = 30,            // The loop entered step mode: it now waits between epoll_wait
                                // calls until a step is asked for. arg: steps taken so far.
    LoopStepped = 31,           // One step is done: one epoll_wait, everything it returned
                                // dispatched, timers expired. arg: step number (1, 2, ... since
                                // the server started). aux: LoopDispatch records in the step.
    LoopResumed = 32,           // The loop left step mode and runs freely again. arg: steps taken
                                // so far.
};
// One past the highest kind.
inline constexpr int kEventKindCount = 33;

// Lanes that are not connections (EventRecord::thread).
inline constexpr std::uint8_t kEngineLoopThread = 0;
inline constexpr std::uint8_t kGuiThread = 0xff;
inline constexpr std::uint8_t kLoadGeneratorThread = 0xfe;
// EventRecord::thread of the thread-per-connection server's thread `number` (1, 2, ...).
inline std::uint8_t threadField(unsigned number)
{
    return std::uint8_t(number < kLoadGeneratorThread ? number : kLoadGeneratorThread - 1);
}

// True for kinds this build knows.
bool isKnownKind(EventKind kind);

// What the GUI was doing (aux of GuiWork): the visualiser shows its own cost.
enum class GuiWorkKind : std::uint8_t { Drain = 0, Paint = 1, Charts = 2, Table = 3, Export = 4 };

// What a LoopDispatch was about (low byte of its arg).
enum class LoopSource : std::uint8_t {
    Listener = 0,     // the listening socket: new connections wait in the backlog
    Connection = 1,   // a client socket
    DiskDone = 2,     // the disk workers' eventfd: one LoopDispatch per finished job
    WakeUp = 3,       // the loop's own wake-up eventfd (stop)
    Timer = 4,        // a deadline passed (epoll_wait's timeout): one per connection timed out
    LoopDiskRead = 5, // a file read on the loop thread itself (the "synchronous disk" switch)
};
// Which of the seed's handlers it went to (second byte of a LoopDispatch's arg).
enum class LoopHandler : std::uint8_t {
    Nothing = 0,        // nothing to do now (e.g. writable while still reading the request)
    OnAccept = 1,       // NEW_TCP_CONNECTION
    OnReadable = 2,     // bytes to read: FINISHED_READING_FROM_SOCKET once the head is complete
    OnWritable = 3,     // FINISHED_WRITING_TO_SOCKET
    OnDiskDone = 4,     // FINISHED_READING_FROM_DISK
    ExpireTimers = 5,   // a timeout closes the connection
    CloseOnError = 6,   // EPOLLERR / EPOLLHUP mid-response: the connection is closed
    DrainLingering = 7, // reading what a rejected client still sends before closing
    CheckStop = 8,      // the wake-up: the loop checks whether it must stop
};
inline constexpr std::uint64_t loopDispatchArg(LoopSource source, LoopHandler handler)
{
    return std::uint64_t(source) | std::uint64_t(handler) << 8;
}
inline constexpr LoopSource loopSourceOf(std::uint64_t arg) { return LoopSource(arg & 0xff); }
inline constexpr LoopHandler loopHandlerOf(std::uint64_t arg) { return LoopHandler((arg >> 8) & 0xff); }

// Header: no complete request head within the header timeout (from the first byte, or accept).
// KeepAliveIdle: no new request within the keep-alive timeout. Send: the client took no bytes
// of the response for the send timeout (a reader that stopped reading).
enum class TimeoutKind : std::uint8_t { Header = 0, KeepAliveIdle = 1, Send = 2 };

enum class CloseReason : std::uint8_t {
    Done = 0,               // response complete and the connection does not keep alive
    PeerClosed = 1,         // recv returned 0
    Error = 2,              // recv/send failed (ECONNRESET, EPIPE, ...)
    Rejected = 3,           // after answering a malformed or refused request (RequestRejected)
    TimedOut = 4,
    TooManyConnections = 5, // accepted over the limit and closed at once
    ServerStopping = 6,
};

// HTTP methods as recorded (aux of RequestHeadersRead). Other = any other token.
enum class HttpMethod : std::uint8_t { Other = 0, Get = 1, Head = 2, Post = 3, Put = 4, Delete = 5,
                                       Options = 6, Patch = 7, Trace = 8, Connect = 9 };

inline constexpr std::uint32_t kTextLast = 0x100; // RequestText aux flag: last piece
inline constexpr std::size_t kTextBytesPerRecord = 16;

struct EventRecord {
    std::int64_t t_ns = 0;   // CLOCK_MONOTONIC nanoseconds
    std::uint64_t arg = 0;   // kind-specific, see EventKind
    std::uint32_t conn = 0;  // connection id, 0 = none
    std::uint32_t aux = 0;   // kind-specific, see EventKind
    EventKind kind = EventKind::ServerStarted;
    ConnectionState from = ConnectionState::None;
    ConnectionState to = ConnectionState::None;
    std::uint8_t thread = 0; // producing lane: 0 = engine loop (the event loop, the blocking
                             // server, the acceptor); disk records: the disk worker (1..n) or,
                             // in the thread-per-connection server, the connection's thread
    std::uint32_t reserved = 0;
};
static_assert(sizeof(EventRecord) == 32, "EventRecord is a 32-byte file format");
static_assert(std::is_trivially_copyable_v<EventRecord>);
static_assert(std::is_standard_layout_v<EventRecord>);

// RequestText payload: the text occupies the t_ns and arg fields (16 bytes).
inline std::string_view textOf(const EventRecord& r)
{
    std::size_t n = r.aux & 0xff;
    if (n > kTextBytesPerRecord)
        n = kTextBytesPerRecord;
    return {reinterpret_cast<const char*>(&r.t_ns), n};
}

inline EventRecord makeTextRecord(std::uint32_t conn, std::string_view piece, bool last)
{
    EventRecord r;
    static_assert(offsetof(EventRecord, arg) == offsetof(EventRecord, t_ns) + 8);
    std::size_t n = piece.size() < kTextBytesPerRecord ? piece.size() : kTextBytesPerRecord;
    std::memcpy(&r.t_ns, piece.data(), n);
    r.conn = conn;
    r.aux = static_cast<std::uint32_t>(n) | (last ? kTextLast : 0);
    r.kind = EventKind::RequestText;
    return r;
}

// True for the records the GUI makes about its own Qt loop (kinds 21-25).
inline bool isGuiLoopKind(EventKind kind)
{
    return kind == EventKind::GuiEventHandled || kind == EventKind::GuiLoopAwake
           || kind == EventKind::GuiLoopAboutToBlock || kind == EventKind::GuiLoopDelay
           || kind == EventKind::GuiWork;
}

// A GuiWork record: the GUI's own work (drain, paint, ...) from startNs for durationNs.
inline EventRecord makeGuiWorkRecord(GuiWorkKind work, std::int64_t startNs, std::int64_t durationNs)
{
    EventRecord r;
    r.t_ns = startNs;
    r.arg = std::uint64_t(durationNs);
    r.aux = std::uint32_t(work);
    r.kind = EventKind::GuiWork;
    r.thread = kGuiThread;
    return r;
}

// A LoadPhase record (without its name: send that as RequestText records with conn 0).
inline EventRecord makeLoadPhaseRecord(std::int64_t startNs, std::uint64_t phaseIndex, bool stopped)
{
    EventRecord r;
    r.t_ns = startNs;
    r.arg = phaseIndex;
    r.aux = stopped ? 1 : 0;
    r.kind = EventKind::LoadPhase;
    r.thread = kLoadGeneratorThread;
    return r;
}

const char* toString(EventKind kind);
const char* toString(ConnectionState state);
const char* toString(CloseReason reason);
const char* toString(TimeoutKind kind);
const char* toString(HttpMethod method);
const char* toString(GuiWorkKind kind);
const char* toString(LoopSource source);   // "listener", "connection", "disk eventfd", ...
const char* toString(LoopHandler handler); // "onAccept", "onReadable", ...
// epoll event bits in words: "EPOLLIN|EPOLLOUT" ("none" for 0).
std::string epollBitsText(std::uint32_t bits);

} // namespace loopscope
