#include "server/event_loop.h"

#include "core/clock.h"
#include "core/recorder.h"
#include "http/response.h"
#include "server/response_plan.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace loopscope {

namespace {

// epoll_event.data tags for the loop's own descriptors; connections use their slot index.
constexpr std::uint64_t kListenerTag = ~std::uint64_t(0);
constexpr std::uint64_t kDiskTag = ~std::uint64_t(0) - 1;
constexpr std::uint64_t kWakeTag = ~std::uint64_t(0) - 2;
// The step-mode eventfd: in the main set only while the loop runs freely (so Pause interrupts an
// idle wait), in the pause set only while paused (so Step never cuts a step's own wait short).
constexpr std::uint64_t kStepTag = ~std::uint64_t(0) - 3;

constexpr int kMaxEvents = 256;
constexpr int kMaxAcceptsPerWake = 128; // fairness: let established connections run too
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::int64_t kSendTimeoutNs = 60'000'000'000;  // a client that stops reading (nginx: 60 s)
constexpr std::int64_t kLingerTimeoutNs = 2'000'000'000; // reading leftovers before closing
constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::uint64_t kNoDelayBodyBytes = 16 * 1024;

// sendfile(2) has no MSG_NOSIGNAL: writing to a socket the client closed raises SIGPIPE, which
// would kill the whole program. The loop thread blocks it (for this thread only, leaving the
// host program's own handling alone) and clears the one a failed sendfile left pending.
sigset_t brokenPipeOnly()
{
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    return pipe;
}

void blockBrokenPipeSignal()
{
    const sigset_t pipe = brokenPipeOnly();
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

void clearPendingBrokenPipe()
{
    const sigset_t pipe = brokenPipeOnly();
    const timespec now{0, 0};
    while (sigtimedwait(&pipe, nullptr, &now) == SIGPIPE) {
    }
}

Connection& connectionOf(TimerNode& node)
{
    // TimerNode is the first member of Connection.
    return *reinterpret_cast<Connection*>(&node);
}

} // namespace

EventLoop::EventLoop(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                     LoopCounters& counters, LoopControls& controls, std::uint32_t firstConnectionId)
    : m_config(config)
    , m_recorder(recorder)
    , m_counters(counters)
    , m_controls(controls)
    , m_listen(listenFd)
    , m_root(rootFd)
    , m_nextId(firstConnectionId)
{
    m_headerTimers.durationNs = std::int64_t(config.headerTimeout.count()) * kNsPerMs;
    m_idleTimers.durationNs = std::int64_t(config.keepAliveTimeout.count()) * kNsPerMs;
    m_sendTimers.durationNs = kSendTimeoutNs;
    m_lingerTimers.durationNs = kLingerTimeoutNs;
    // Steps asked for before this start are not this loop's to take. Read here, on the thread
    // calling Server::start, so a step asked for right after start() returns is never lost.
    m_stepsTaken = controls.stepsAsked.load(std::memory_order_acquire);
    static_assert(offsetof(Connection, timer) == 0);
}

EventLoop::~EventLoop() = default;

int EventLoop::open()
{
    m_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    m_wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    m_pauseEpoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    m_stepWake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!m_epoll.valid() || !m_wake.valid() || !m_pauseEpoll.valid() || !m_stepWake.valid())
        return -errno;
    if (int rc = m_disk.start(m_config.diskWorkers, m_root.get()); rc != 0)
        return rc;
    m_readBuffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
    if (m_config.fileCache)
        m_cache = std::make_unique<FileCache>(m_config.fileCacheBytes,
                                              std::int64_t(m_config.fileCacheValidity.count()) * kNsPerMs);
    const std::pair<int, std::uint64_t> fds[] = {{m_listen.get(), kListenerTag},
                                                 {m_disk.eventFd(), kDiskTag},
                                                 {m_wake.get(), kWakeTag},
                                                 {m_stepWake.get(), kStepTag}};
    for (auto [fd, tag] : fds) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            return -errno;
    }
    // While paused the loop listens for a stop or a step only.
    for (auto [fd, tag] : {std::pair{m_wake.get(), kWakeTag}, std::pair{m_stepWake.get(), kStepTag}}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (::epoll_ctl(m_pauseEpoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
            return -errno;
    }
    return 0;
}

void EventLoop::wake()
{
    m_stopRequested.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    (void)!::write(m_wake.get(), &one, sizeof one);
}

void EventLoop::nudge()
{
    const std::uint64_t one = 1;
    (void)!::write(m_stepWake.get(), &one, sizeof one);
}

void EventLoop::run()
{
    blockBrokenPipeSignal();
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(m_listen.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    recordLoop(EventKind::ServerStarted, ntohs(addr.sin_port), monotonicNs(), m_config.maxConnections);
    while (!m_stopRequested.load(std::memory_order_acquire)) {
        if ((m_paused || m_controls.stepMode.load(std::memory_order_acquire)) && !waitForStep())
            continue;
        runOnce();
    }
    const std::uint64_t open = m_active;
    closeAll(monotonicNs());
    m_disk.stop();
    m_completed.clear();
    m_loopReads.clear();
    m_loads.clear();
    const std::int64_t end = monotonicNs();
    recordLoop(EventKind::ServerStopped, open, end);
    m_recorder.flushDrops(end);
}

// --- Phases -------------------------------------------------------------------------------

// One turn of the seed's `while true`: wait, dispatch what is ready, expire timeouts. In step
// mode this is one step, closed by a LoopStepped record.
void EventLoop::runOnce()
{
    m_stepping = m_paused;
    m_stepDispatches = 0;
    waitForEvents();
    expireTimers(monotonicNs());
    if (!m_stepping)
        return;
    m_stepping = false;
    const std::int64_t nowNs = monotonicNs();
    recordLoop(EventKind::LoopStepped, ++m_stepNumber, nowNs, m_stepDispatches);
    m_pausedSinceNs = nowNs; // frozen again until the next step
}

int EventLoop::pollTimeoutMs(std::int64_t nowNs) const
{
    std::int64_t next = LLONG_MAX;
    for (const TimerList* list : {&m_headerTimers, &m_idleTimers, &m_sendTimers, &m_lingerTimers})
        if (list->head)
            next = std::min(next, list->head->deadlineNs);
    if (m_acceptPaused)
        next = std::min(next, m_acceptResumeNs);
    next = std::min<std::int64_t>(next, m_cacheSweepNs);
    if (next == LLONG_MAX)
        return -1;
    // Round up so we never wake a hair before the deadline and spin.
    return int(std::clamp<std::int64_t>((next - nowNs + kNsPerMs - 1) / kNsPerMs, 0, INT_MAX));
}

void EventLoop::waitForEvents()
{
    epoll_event events[kMaxEvents];
    const std::int64_t before = monotonicNs();
    const int timeout = pollTimeoutMs(before);
    recordLoop(EventKind::LoopPollBegin, timeout < 0 ? ~std::uint64_t(0) : std::uint64_t(timeout), before);
    const int n = ::epoll_wait(m_epoll.get(), events, kMaxEvents, timeout);
    recordLoop(EventKind::LoopPollEnd, n < 0 ? 0 : std::uint64_t(n), monotonicNs());
    if (n < 0 && errno != EINTR) {
        // Only a programming error gets here (EBADF, EINVAL): say so and stop rather than spin.
        recordLoop(EventKind::ServerFailed, std::uint64_t(errno), monotonicNs());
        m_stopRequested.store(true, std::memory_order_release);
    }
    bool listenerTurn = false;
    for (int i = 0; i < n; ++i) {
        listenerTurn = listenerTurn || events[i].data.u64 == kListenerTag;
        dispatch(events[i].data.u64, events[i].events);
        if (!m_loopReads.empty())
            finishLoopDiskReads();
    }
    // Connections still queued after the listener's last turn get another turn each iteration
    // until the queue is empty: epoll hands a level-triggered listener back only after every
    // other ready descriptor, so behind thousands of busy connections new ones waited seconds
    // to be accepted (p99 2.5 s at 10,000 connections and half a core). A step is one
    // epoll_wait and its dispatches only, so step mode leaves this to epoll.
    if (m_acceptBacklog && !listenerTurn && !m_acceptPaused && !m_stepping)
        onAccept();
}

void EventLoop::dispatch(std::uint64_t tag, std::uint32_t events)
{
    if (tag == kListenerTag) {
        recordDispatch(LoopSource::Listener, LoopHandler::OnAccept, events, 0);
        return onAccept();
    }
    if (tag == kWakeTag) {
        recordDispatch(LoopSource::WakeUp, LoopHandler::CheckStop, events, 0);
        return; // run() checks m_stopRequested
    }
    if (tag == kDiskTag)
        return onDiskEventFd(events);
    if (tag == kStepTag) {
        drainStepWake(); // step mode was switched on: run() pauses after this iteration
        return;
    }
    if (tag >= m_slots.size() || !m_slots[tag] || m_slots[tag]->fd < 0) {
        // Closed earlier in this batch.
        recordDispatch(LoopSource::Connection, LoopHandler::Nothing, events,
                       tag < m_slots.size() && m_slots[tag] ? m_slots[tag]->id : 0);
        return;
    }
    dispatchConnection(*m_slots[tag], events);
}

void EventLoop::dispatchConnection(Connection& c, std::uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c.readReady = true;
    if (events & EPOLLRDHUP)
        c.peerClosed = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c.writeReady = true;
    const LoopHandler handler = connectionHandler(c, events);
    recordDispatch(LoopSource::Connection, handler, events, c.id);
    switch (handler) {
    case LoopHandler::CloseOnError:
        return closeConnection(c, CloseReason::Error, monotonicNs());
    case LoopHandler::DrainLingering:
        return drainLingering(c, monotonicNs());
    case LoopHandler::OnReadable:
        return onReadable(c);
    case LoopHandler::OnWritable:
        return onWritable(c);
    default:
        return;
    }
}

// Where a connection's readiness goes: the seed's branch for the state it is in.
LoopHandler EventLoop::connectionHandler(const Connection& c, std::uint32_t events) const
{
    if ((events & EPOLLERR) || ((events & EPOLLHUP) && c.state != ConnectionState::ReadingHeaders
                                && c.state != ConnectionState::Accepted
                                && c.state != ConnectionState::KeepAlive && !c.lingering))
        return LoopHandler::CloseOnError;
    if (c.lingering)
        return LoopHandler::DrainLingering;
    switch (c.state) {
    case ConnectionState::Accepted:
    case ConnectionState::ReadingHeaders:
    case ConnectionState::KeepAlive:
        return c.readReady ? LoopHandler::OnReadable : LoopHandler::Nothing;
    case ConnectionState::WritingHeaders:
    case ConnectionState::WritingBody:
        return c.writeReady ? LoopHandler::OnWritable : LoopHandler::Nothing;
    default:
        return LoopHandler::Nothing; // FetchingFile: input waits in the socket until the response is done
    }
}

// FINISHED_READING_FROM_DISK for every job the workers finished since the eventfd last fired.
void EventLoop::onDiskEventFd(std::uint32_t events)
{
    m_disk.takeCompleted(m_completed);
    if (m_completed.empty())
        recordDispatch(LoopSource::DiskDone, LoopHandler::Nothing, events, 0);
    for (auto& job : m_completed) {
        recordDispatch(LoopSource::DiskDone, LoopHandler::OnDiskDone, events, job->connId);
        onDiskDone(std::move(job));
    }
    m_completed.clear();
}

void EventLoop::expireTimers(std::int64_t nowNs)
{
    timeOut(m_headerTimers, TimeoutKind::Header, nowNs);
    timeOut(m_idleTimers, TimeoutKind::KeepAliveIdle, nowNs);
    timeOut(m_sendTimers, TimeoutKind::Send, nowNs);
    while (TimerNode* node = m_lingerTimers.expired(nowNs)) {
        Connection& c = connectionOf(*node);
        recordDispatch(LoopSource::Timer, LoopHandler::ExpireTimers, 0, c.id);
        closeConnection(c, c.rejected ? CloseReason::Rejected : CloseReason::Done, nowNs);
    }
    if (m_acceptPaused && nowNs >= m_acceptResumeNs) {
        recordDispatch(LoopSource::Timer, LoopHandler::ExpireTimers, 0, 0);
        resumeAccepting();
    }
    if (m_cache && nowNs >= m_cacheSweepNs)
        m_cacheSweepNs = m_cache->dropStale(nowNs);
}

// Closes every connection of `list` whose deadline has passed, recording why.
void EventLoop::timeOut(TimerList& list, TimeoutKind kind, std::int64_t nowNs)
{
    while (TimerNode* node = list.expired(nowNs)) {
        Connection& c = connectionOf(*node);
        recordDispatch(LoopSource::Timer, LoopHandler::ExpireTimers, 0, c.id);
        record(c, EventKind::TimedOut, c.state, std::uint64_t(kind), 0, nowNs);
        closeConnection(c, CloseReason::TimedOut, nowNs);
    }
}

// --- Step mode ---------------------------------------------------------------------------

// Between steps: blocks in epoll_wait on the pause set (the wake-up and step eventfds only) until
// a step is asked for. Returns true when one may run; false when step mode ended or the loop
// must look at its stop flag.
bool EventLoop::waitForStep()
{
    if (!m_controls.stepMode.load(std::memory_order_acquire)) {
        leavePause(monotonicNs());
        return false;
    }
    if (!m_paused)
        enterPause(monotonicNs());
    if (m_controls.stepsAsked.load(std::memory_order_acquire) > m_stepsTaken) {
        ++m_stepsTaken;
        thawTimers(monotonicNs());
        return true;
    }
    epoll_event events[2];
    if (::epoll_wait(m_pauseEpoll.get(), events, 2, -1) < 0 && errno != EINTR) {
        recordLoop(EventKind::ServerFailed, std::uint64_t(errno), monotonicNs());
        m_stopRequested.store(true, std::memory_order_release);
    }
    drainStepWake();
    return false;
}

void EventLoop::drainStepWake()
{
    std::uint64_t count;
    (void)!::read(m_stepWake.get(), &count, sizeof count);
}

// While paused the step eventfd leaves the main set, so only real events end a step's wait.
void EventLoop::watchStepWake(bool inMainSet)
{
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kStepTag;
    ::epoll_ctl(m_epoll.get(), inMainSet ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, m_stepWake.get(), &ev);
}

void EventLoop::enterPause(std::int64_t nowNs)
{
    m_paused = true;
    m_pausedSinceNs = nowNs;
    watchStepWake(false);
    recordLoop(EventKind::LoopPaused, m_stepNumber, nowNs);
}

void EventLoop::leavePause(std::int64_t nowNs)
{
    if (!m_paused)
        return;
    thawTimers(nowNs);
    m_paused = false;
    watchStepWake(true);
    recordLoop(EventKind::LoopResumed, m_stepNumber, nowNs);
}

// Time does not run for the timers while the loop is paused: a connection waiting for its next
// step must not time out because a person took a minute to press Step.
void EventLoop::thawTimers(std::int64_t nowNs)
{
    const std::int64_t pausedNs = nowNs - m_pausedSinceNs;
    for (TimerList* list : {&m_headerTimers, &m_idleTimers, &m_sendTimers, &m_lingerTimers})
        list->postpone(pausedNs);
    if (m_acceptPaused)
        m_acceptResumeNs += pausedNs;
    m_pausedSinceNs = nowNs;
}

// One ready thing of a step and the handler it goes to. Only steps record these: the running
// loop pays one predictable branch.
void EventLoop::recordDispatch(LoopSource source, LoopHandler handler, std::uint32_t events,
                                      std::uint32_t conn)
{
    if (!m_stepping)
        return;
    ++m_stepDispatches;
    m_recorder.record(monotonicNs(), EventKind::LoopDispatch, conn, ConnectionState::None,
                      ConnectionState::None, loopDispatchArg(source, handler), events);
}

// --- Break-the-loop switches ---------------------------------------------------------------

// Disk workers read files, unless the "synchronous disk" switch makes the loop read them itself:
// then the read blocks this thread, and every other connection waits for it.
void EventLoop::submitDiskJob(std::unique_ptr<DiskJob> job)
{
    if (!m_controls.syncDisk.load(std::memory_order_relaxed))
        return m_disk.submit(std::move(job));
    job->worker = 0; // recorded as "the serving thread read it", as the blocking models do
    job->startNs = monotonicNs();
    runDiskJob(m_root.get(), *job);
    job->endNs = monotonicNs();
    m_loopReads.push_back(std::move(job));
}

// Files the loop read itself are handled after the handler that asked for them returns, not
// inside it: a big file's next chunk is asked for while the previous one is being written.
void EventLoop::finishLoopDiskReads()
{
    while (!m_loopReads.empty()) {
        std::unique_ptr<DiskJob> job = std::move(m_loopReads.front());
        m_loopReads.pop_front();
        recordDispatch(LoopSource::LoopDiskRead, LoopHandler::OnDiskDone, 0, job->connId);
        onDiskDone(std::move(job));
    }
}

// The "CPU per request" switch: real work on the loop thread, FNV-1a over the response's bytes
// again and again, until the thread has used `ms` of CPU time. Everyone else waits meanwhile.
void EventLoop::burnCpu(const Connection& c, std::uint32_t ms)
{
    const char* data = c.bodyBytes > 0 ? c.body : c.head.data();
    const std::size_t len = c.bodyBytes > 0 ? c.bodyBytes : c.head.size();
    if (len == 0)
        return;
    constexpr std::size_t kBytesBetweenClockReads = 64 * 1024;
    const std::int64_t until = threadCpuNs() + std::int64_t(ms) * kNsPerMs;
    std::uint64_t hash = 14695981039346656037ull;
    do {
        for (std::size_t done = 0; done < kBytesBetweenClockReads; done += len)
            for (std::size_t i = 0; i < len; ++i)
                hash = (hash ^ std::uint8_t(data[i])) * 1099511628211ull;
    } while (threadCpuNs() < until);
    m_cpuHash ^= hash;
}

// --- NEW_TCP_CONNECTION ------------------------------------------------------------------

void EventLoop::onAccept()
{
    m_acceptBacklog = false;
    for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        const int fd = ::accept4(m_listen.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pauseAccepting(errno, monotonicNs());
            return; // EAGAIN, or an aborted handshake: nothing more to take now
        }
        acceptOne(fd, ntohl(peer.sin_addr.s_addr), ntohs(peer.sin_port), monotonicNs());
    }
    m_acceptBacklog = true; // the limit ended this turn: more may be queued
}

void EventLoop::acceptOne(int fd, std::uint32_t peerAddress, std::uint16_t peerPort, std::int64_t nowNs)
{
    Connection& c = newConnection(fd);
    m_counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
    record(c, EventKind::ConnectionAccepted, ConnectionState::Accepted, peerPort, peerAddress, nowNs);
    if (m_active > m_config.maxConnections) {
        closeConnection(c, CloseReason::TooManyConnections, nowNs);
        return;
    }
    m_headerTimers.arm(c.timer, nowNs);
    // Most clients send the request right behind the handshake: try reading at once, and join
    // the epoll set only if the connection is still open afterwards. A one-shot request answered
    // from the cache never waits, so it saves the epoll_ctl and the removal at close (about 5%
    // of the CPU of a `Connection: close` request, profiled). Adding later loses nothing: the
    // kernel checks readiness when a descriptor is added, even edge-triggered.
    c.readReady = true;
    onReadable(c);
    if (c.fd < 0)
        return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = c.slot;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, c.fd, &ev) != 0)
        closeConnection(c, CloseReason::Error, monotonicNs());
}

// Out of descriptors: stop asking epoll about the listener for a moment instead of spinning on
// a listener that stays readable (libuv and nginx do the same).
void EventLoop::pauseAccepting(int error, std::int64_t nowNs)
{
    if (m_acceptPaused)
        return;
    m_acceptPaused = true;
    m_acceptResumeNs = nowNs + std::int64_t(m_config.acceptPause.count()) * kNsPerMs;
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_listen.get(), nullptr);
    recordLoop(EventKind::AcceptPaused, std::uint64_t(error), nowNs);
}

void EventLoop::resumeAccepting()
{
    m_acceptPaused = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTag;
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_listen.get(), &ev);
}

// --- Reading the request -----------------------------------------------------------------

void EventLoop::onReadable(Connection& c)
{
    const std::int64_t nowNs = monotonicNs();
    while (c.readReady && c.fd >= 0 && !c.lingering
           && (c.state == ConnectionState::Accepted || c.state == ConnectionState::ReadingHeaders
               || c.state == ConnectionState::KeepAlive)) {
        if (!readInput(c, nowNs))
            return;
    }
}

// One recv and what follows from it. Returns false when the connection was closed.
bool EventLoop::readInput(Connection& c, std::int64_t nowNs)
{
    const ssize_t n = ::recv(c.fd, m_readBuffer.get(), kReadBufferBytes, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c.readReady = false;
            return true;
        }
        if (errno == EINTR)
            return true;
        closeConnection(c, CloseReason::Error, nowNs);
        return false;
    }
    if (n == 0) {
        closeConnection(c, CloseReason::PeerClosed, nowNs);
        return false;
    }
    // A short read emptied the socket: with edge triggering, new data will raise a new event.
    if (std::size_t(n) < kReadBufferBytes)
        c.readReady = false;
    if (c.state == ConnectionState::KeepAlive)
        m_headerTimers.arm(c.timer, nowNs); // the idle wait is over; the head must now arrive in time
    record(c, EventKind::BytesRead, ConnectionState::ReadingHeaders, std::uint64_t(n), 0, nowNs);
    parseInput(c, m_readBuffer.get(), std::size_t(n), nowNs);
    return c.fd >= 0;
}

void EventLoop::parseInput(Connection& c, const char* data, std::size_t len, std::int64_t nowNs)
{
    const RequestParser::Result r = c.parser->feed(data, len);
    switch (r.status) {
    case RequestParser::Status::NeedMore:
        return;
    case RequestParser::Status::Error:
        if (r.inAnsweredBody) { // its request is answered: close without a second response
            c.keepAlive = false;
            c.rejected = true;
            return startLingering(c, nowNs);
        }
        return onRequestRejected(c, r.httpStatus, nowNs);
    case RequestParser::Status::Request:
        // Bytes after this request's head are the next requests (pipelining) or its body: keep
        // them until this response is done.
        c.pipelined.assign(data + r.consumed, len - r.consumed);
        return onHeadersRead(c, nowNs);
    }
}

// FINISHED_READING_FROM_SOCKET: start fetching the file from disk.
void EventLoop::onHeadersRead(Connection& c, std::int64_t nowNs)
{
    const HttpRequest& req = c.parser->request();
    ++c.requests;
    c.keepAlive = req.keepAlive;
    c.isHead = req.method == HttpMethod::Head;
    TimerList::disarm(c.timer);
    record(c, EventKind::RequestHeadersRead, ConnectionState::FetchingFile, c.requests,
           std::uint32_t(req.method), nowNs);
    m_recorder.recordText(c.id, req.path, nowNs);
    if (serveFromCache(c, req, nowNs) || waitForLoad(c, req))
        return;
    submitFileJob(c, req, true);
}

// A file that went stale is asked for by every connection at once (a hot file, 1,000 clients):
// one disk read fills the cache again, and the requests that arrive meanwhile wait for it and
// are then served from the cache (recorded as cache hits after their wait), instead of each
// sending a worker to read the same file (profiled at 1,000 connections: 3% of requests were
// such reads, with their context switches).
bool EventLoop::waitForLoad(Connection& c, const HttpRequest& req)
{
    if (!m_cache)
        return false;
    const auto load = m_loads.find(req.path);
    if (load == m_loads.end())
        return false;
    load->second.emplace_back(c.slot, c.id);
    return true;
}

// Opens and reads the request's file on a disk worker. A plain GET's read may fill the cache
// (`mayLoadCache`): later requests for the path wait for it.
void EventLoop::submitFileJob(Connection& c, const HttpRequest& req, bool mayLoadCache)
{
    auto job = std::make_unique<DiskJob>();
    job->type = DiskJob::Type::OpenFile;
    job->connSlot = c.slot;
    job->connId = c.id;
    job->method = req.method;
    job->path = req.path;
    job->range = req.range;
    job->ifModifiedSince = req.ifModifiedSince;
    job->loadsCache = mayLoadCache && m_cache && req.method == HttpMethod::Get && req.range.empty()
                      && req.ifModifiedSince.empty() && m_loads.try_emplace(req.path).second;
    if (c.spare) { // reuse the connection's buffer for small files
        job->buffer = std::move(c.spare);
        job->bufferCapacity = c.spareCapacity;
        c.spareCapacity = 0;
    }
    c.diskJobPending = true;
    submitDiskJob(std::move(job));
}

// The read that was filling the cache for `path` is done (its file is cached, or could not
// be): its waiters are served from the cache, or, failing that, each reads the file itself.
void EventLoop::releaseWaiters(const std::string& path, std::int64_t nowNs)
{
    const auto load = m_loads.find(path);
    if (load == m_loads.end())
        return;
    const std::vector<std::pair<std::uint32_t, std::uint32_t>> waiters = std::move(load->second);
    m_loads.erase(load);
    for (const auto& [slot, id] : waiters) {
        Connection* w = connectionAt(slot, id);
        if (!w)
            continue; // closed meanwhile (a waiter does nothing else until it is released)
        const HttpRequest& req = w->parser->request();
        if (!serveFromCache(*w, req, nowNs))
            submitFileJob(*w, req, false); // not waiting again: a missing file is not cached
    }
}

// A hot small file: answer from memory, no disk worker (recorded as a cache hit, not a read).
bool EventLoop::serveFromCache(Connection& c, const HttpRequest& req, std::int64_t nowNs)
{
    if (!m_cache)
        return false;
    std::shared_ptr<const CachedFile> file = m_cache->find(req.path, nowNs);
    if (!file)
        return false;
    struct stat st{};
    st.st_mode = S_IFREG;
    st.st_size = off_t(file->size);
    st.st_mtime = file->lastModified;
    ResponsePlan plan;
    planFileResponse(req.method, {}, req.range, req.ifModifiedSince, st, plan);
    record(c, EventKind::FileCacheHit, ConnectionState::WritingHeaders, file->size, 0, nowNs);
    if (plan.status == 416) {
        startErrorResponse(c, 416, &plan, c.isHead, nowNs);
        return true;
    }
    plan.contentType = file->contentType;
    c.cached = std::move(file);
    if (c.cached->file.valid()) {
        c.sendFileFd = c.cached->file.get();
        c.sendFileOffset = plan.bodyOffset;
    } else {
        c.body = c.cached->content.data() + plan.bodyOffset;
    }
    c.bodyBytes = std::size_t(plan.bodyLength);
    startResponse(c, plan, nowNs);
    return true;
}

// Keeps a file that a worker just opened, for the next requests of the same path: a small one's
// bytes, or a big one's descriptor: the job's own when it was read whole (the response needs it
// no more), else a duplicate (the response goes on reading through its own).
void EventLoop::rememberFile(DiskJob& job)
{
    const ResponsePlan& plan = job.plan;
    if (!m_cache || job.error != 0 || plan.status != 200 || job.method != HttpMethod::Get)
        return;
    auto file = std::make_shared<CachedFile>();
    file->size = plan.fileSize;
    if (FileCache::keepsInMemory(plan.fileSize)) {
        if (job.bytesRead != plan.fileSize)
            return;
        file->content.assign(job.buffer.get(), job.bytesRead);
    } else {
        if (!job.file.valid())
            return;
        if (job.bytesRead >= plan.bodyLength)
            file->file = std::move(job.file);
        else
            file->file.reset(::fcntl(job.file.get(), F_DUPFD_CLOEXEC, 0));
        if (!file->file.valid())
            return; // out of descriptors: serve without caching
    }
    file->contentType = plan.contentType;
    file->lastModified = plan.lastModified;
    file->loadedNs = job.endNs;
    m_cacheSweepNs = std::min(m_cacheSweepNs, m_cache->insert(job.path, std::move(file)));
}

void EventLoop::onRequestRejected(Connection& c, int status, std::int64_t nowNs)
{
    TimerList::disarm(c.timer);
    c.keepAlive = false;
    c.rejected = true;
    record(c, EventKind::RequestRejected, ConnectionState::WritingHeaders, std::uint64_t(status), 0, nowNs);
    startErrorResponse(c, status, nullptr, false, nowNs);
}

// --- FINISHED_READING_FROM_DISK ----------------------------------------------------------

void EventLoop::onDiskDone(std::unique_ptr<DiskJob> job)
{
    Connection* c = connectionAt(job->connSlot, job->connId);
    if (!c) { // the connection closed meanwhile; the job's destructor closes its file
        if (job->loadsCache) { // others wait for this read: it still fills the cache for them
            rememberFile(*job);
            releaseWaiters(job->path, monotonicNs());
        }
        return;
    }
    c->diskJobPending = false;
    const std::int64_t nowNs = monotonicNs();
    const bool first = job->type == DiskJob::Type::OpenFile;
    // The worker's own clock readings: when the disk work really began and ended.
    record(*c, EventKind::DiskReadStarted, c->state, job->offset, job->worker, job->startNs, job->worker);
    record(*c, EventKind::DiskReadDone, first ? ConnectionState::WritingHeaders : c->state,
           job->bytesRead, std::uint32_t(job->error), job->endNs, job->worker);
    if (first) {
        rememberFile(*job); // may take the descriptor of a file read whole
        if (job->bytesRead >= job->plan.bodyLength)
            job->file.reset(); // read whole: the response needs no descriptor
        startFileResponse(*c, *job, nowNs);
        if (job->loadsCache)
            releaseWaiters(job->path, nowNs);
        return;
    }
    if (job->error != 0)
        return closeConnection(*c, CloseReason::Error, nowNs);
    takeChunk(*c, *job);
    if (c->waitingForDisk) {
        c->waitingForDisk = false;
        advanceBody(*c);
        writeResponse(*c);
    }
}

void EventLoop::startFileResponse(Connection& c, DiskJob& job, std::int64_t nowNs)
{
    const ResponsePlan& plan = job.plan;
    if (plan.status >= 300 && plan.status != 304)
        return startErrorResponse(c, plan.status, &plan, c.isHead, nowNs);
    c.fileRemaining = plan.bodyLength - job.bytesRead;
    c.fileOffset = job.offset + job.bytesRead;
    c.file = std::move(job.file);
    // The first chunk becomes the body being sent.
    c.chunk = std::move(job.buffer);
    c.chunkCapacity = job.bufferCapacity;
    c.body = c.chunk.get();
    c.bodyBytes = job.bytesRead;
    startResponse(c, plan, nowNs);
    if (c.fd >= 0 && c.fileRemaining > 0)
        readNextChunk(c);
}

// Error pages, redirects and 416: a small HTML body made here.
void EventLoop::startErrorResponse(Connection& c, int status, const ResponsePlan* plan, bool isHead,
                                   std::int64_t nowNs)
{
    c.errorBody = errorBody(status);
    c.status = status;
    c.body = c.errorBody.data();
    c.bodyBytes = isHead ? 0 : c.errorBody.size();
    c.bodyTotal = c.bodyBytes;
    sendHead(c, errorResponseHead(status, plan, c.errorBody.size()), nowNs);
}

// A file response (200, 206, 304); the body's first bytes are already in c.body.
void EventLoop::startResponse(Connection& c, const ResponsePlan& plan, std::int64_t nowNs)
{
    c.status = plan.status;
    c.bodyTotal = plan.bodyLength;
    sendHead(c, fileResponseHead(plan), nowNs);
}

void EventLoop::sendHead(Connection& c, const ResponseHead& head, std::int64_t nowNs)
{
    ResponseHead h = head;
    h.date = m_date.now();
    // A client that half-closed will send no further request: do not promise to wait for one.
    c.keepAlive = c.keepAlive && !c.peerClosed;
    h.keepAlive = c.keepAlive;
    // Nagle's algorithm only delays the tail of a response that needs several segments, or the
    // next response on a kept-alive connection; turn it off then, as nginx does, and save the
    // syscall for a one-shot small response.
    if (!c.noDelay && (c.keepAlive || c.bodyTotal > kNoDelayBodyBytes)) {
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.noDelay = true;
    }
    c.head.clear();
    appendResponseHead(c.head, h);
    c.headSent = 0;
    c.bodySent = 0;
    c.bodyTotalSent = 0;
    m_sendTimers.arm(c.timer, nowNs);
    if (const std::uint32_t ms = m_controls.cpuMsPerRequest.load(std::memory_order_relaxed))
        burnCpu(c, ms);
    writeResponse(c);
}

// A chunk read ahead arrives: keep it until the current one is sent.
void EventLoop::takeChunk(Connection& c, DiskJob& job)
{
    c.file = std::move(job.file);
    c.nextChunk = std::move(job.buffer);
    c.nextChunkCapacity = job.bufferCapacity;
    c.nextChunkBytes = job.bytesRead;
    c.fileOffset += job.bytesRead;
    c.fileRemaining -= std::min<std::uint64_t>(c.fileRemaining, job.bytesRead);
}

void EventLoop::readNextChunk(Connection& c)
{
    if (c.diskJobPending || c.nextChunk || c.fileRemaining == 0 || !c.file.valid())
        return;
    auto job = std::make_unique<DiskJob>();
    job->type = DiskJob::Type::ReadChunk;
    job->connSlot = c.slot;
    job->connId = c.id;
    job->file = std::move(c.file);
    job->offset = c.fileOffset;
    job->length = std::size_t(std::min<std::uint64_t>(c.fileRemaining, DiskPool::kChunkBytes));
    job->buffer = std::move(c.spare);
    job->bufferCapacity = c.spareCapacity;
    c.spareCapacity = 0;
    c.diskJobPending = true;
    submitDiskJob(std::move(job));
}

// --- FINISHED_WRITING_TO_SOCKET ----------------------------------------------------------

void EventLoop::onWritable(Connection& c)
{
    writeResponse(c);
}

// Sends as much of the head and current body chunk as the socket takes: both in one sendmsg from
// memory, or for a body sent from a file, the head and then the body with sendfile.
void EventLoop::writeResponse(Connection& c)
{
    while (c.fd >= 0 && c.writeReady && !c.waitingForDisk) {
        const std::size_t headLeft = c.head.size() - c.headSent;
        const std::size_t bodyLeft = c.bodyBytes - c.bodySent;
        std::size_t offered = headLeft + bodyLeft;
        ssize_t n = 0;
        if (offered > 0) {
            n = c.sendFileFd >= 0 ? sendFromFile(c, headLeft, bodyLeft, offered)
                                  : sendFromMemory(c, headLeft, bodyLeft);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    c.writeReady = false;
                    return;
                }
                if (errno == EINTR)
                    continue;
                return closeConnection(c, CloseReason::Error, monotonicNs());
            }
        }
        const std::int64_t nowNs = monotonicNs();
        if (std::size_t(n) < offered)
            c.writeReady = false; // the socket buffer is full: wait for EPOLLOUT
        const std::size_t headPart = std::min(std::size_t(n), headLeft);
        c.headSent += headPart;
        if (headLeft > 0 && c.headSent == c.head.size())
            record(c, EventKind::ResponseHeadersWritten, ConnectionState::WritingBody,
                   std::uint64_t(c.status), std::uint32_t(c.head.size()), nowNs);
        const std::size_t bodyPart = std::size_t(n) - headPart;
        if (bodyPart > 0) {
            c.bodySent += bodyPart;
            c.bodyTotalSent += bodyPart;
            record(c, EventKind::BodyBytesWritten, c.state, bodyPart, 0, nowNs);
            m_sendTimers.arm(c.timer, nowNs); // progress: restart the send timeout
        }
        if (c.headSent < c.head.size() || c.bodySent < c.bodyBytes)
            continue;
        if (c.bodyTotalSent >= c.bodyTotal)
            return onResponseDone(c, nowNs);
        if (!advanceBody(c))
            return; // waiting for the disk worker's next chunk
    }
}

ssize_t EventLoop::sendFromMemory(Connection& c, std::size_t headLeft, std::size_t bodyLeft)
{
    iovec iov[2];
    int count = 0;
    if (headLeft > 0)
        iov[count++] = {c.head.data() + c.headSent, headLeft};
    if (bodyLeft > 0)
        iov[count++] = {const_cast<char*>(c.body) + c.bodySent, bodyLeft};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = std::size_t(count);
    // The end of a response the connection closes after: held back (MSG_MORE) so that the FIN
    // the close sends next leaves in the same segment (9 segments per connection instead of 10).
    const bool closesNext = !c.keepAlive && c.bodyTotalSent + bodyLeft >= c.bodyTotal;
    return ::sendmsg(c.fd, &msg, MSG_NOSIGNAL | (closesNext ? MSG_MORE : 0));
}

// The head first, flagged MSG_MORE so it leaves in the same segment as the body's first bytes;
// then the body straight from the page cache. Sets `offered` to what this one call asked for.
ssize_t EventLoop::sendFromFile(Connection& c, std::size_t headLeft, std::size_t bodyLeft,
                                std::size_t& offered)
{
    if (headLeft > 0) {
        offered = headLeft;
        return ::send(c.fd, c.head.data() + c.headSent, headLeft,
                      MSG_NOSIGNAL | (bodyLeft > 0 ? MSG_MORE : 0));
    }
    // Linux sends at most 0x7ffff000 bytes per call.
    offered = std::min<std::size_t>(bodyLeft, 0x7ffff000);
    off_t offset = off_t(c.sendFileOffset + c.bodySent);
    const ssize_t n = ::sendfile(c.fd, c.sendFileFd, &offset, offered);
    if (n < 0 && errno == EPIPE) {
        clearPendingBrokenPipe();
        errno = EPIPE;
    }
    if (n == 0) {
        errno = EIO; // the file shrank after it was cached: the promised length cannot be sent
        return -1;
    }
    return n;
}

// The current chunk is sent; move to the next one. Returns false when it is not read yet.
bool EventLoop::advanceBody(Connection& c)
{
    if (c.bodySent < c.bodyBytes)
        return true;
    if (!c.nextChunk) {
        c.waitingForDisk = true;
        readNextChunk(c);
        return false;
    }
    // The sent chunk's buffer becomes the spare that the next read fills.
    c.spare = std::move(c.chunk);
    c.spareCapacity = c.chunkCapacity;
    c.chunk = std::move(c.nextChunk);
    c.chunkCapacity = c.nextChunkCapacity;
    c.body = c.chunk.get();
    c.bodyBytes = c.nextChunkBytes;
    c.bodySent = 0;
    c.nextChunkBytes = 0;
    c.nextChunkCapacity = 0;
    readNextChunk(c);
    return true;
}

void EventLoop::onResponseDone(Connection& c, std::int64_t nowNs)
{
    TimerList::disarm(c.timer);
    ++c.responses;
    m_counters.requestsServed.fetch_add(1, std::memory_order_relaxed);
    // Keep one buffer for the next small file; a big file's buffers go.
    if (c.chunk && c.chunkCapacity <= DiskPool::kWholeFileBytes && !c.spare) {
        c.spare = std::move(c.chunk);
        c.spareCapacity = c.chunkCapacity;
    }
    releaseResponse(c);
    if (!c.keepAlive) {
        record(c, EventKind::BodyWritten, c.state, c.bodyTotalSent, 0, nowNs);
        if (c.rejected || c.parser->midRequest() || !c.pipelined.empty())
            return startLingering(c, nowNs);
        return closeConnection(c, CloseReason::Done, nowNs);
    }
    record(c, EventKind::BodyWritten, ConnectionState::KeepAlive, c.bodyTotalSent, 0, nowNs);
    record(c, EventKind::KeepAlive, ConnectionState::KeepAlive, c.responses, 0, nowNs);
    m_idleTimers.arm(c.timer, nowNs);
    c.parser->next();
    if (!c.pipelined.empty()) {
        // Requests the client sent ahead: parse them now, before reading the socket again.
        std::string pending = std::move(c.pipelined);
        c.pipelined.clear();
        TimerList::disarm(c.timer);
        m_headerTimers.arm(c.timer, nowNs);
        record(c, EventKind::BytesRead, ConnectionState::ReadingHeaders, pending.size(), 1, nowNs);
        parseInput(c, pending.data(), pending.size(), nowNs);
        if (c.fd < 0 || c.state != ConnectionState::ReadingHeaders)
            return;
    }
    if (c.readReady || c.peerClosed)
        onReadable(c);
}

// --- Closing -----------------------------------------------------------------------------

// After an error response the client may still be sending (a body, pipelined requests).
// Closing now would make the kernel send RST, which can destroy the response before the client
// reads it, so stop writing and drain its input for a short while first (nginx's lingering close).
void EventLoop::startLingering(Connection& c, std::int64_t nowNs)
{
    c.lingering = true;
    ::shutdown(c.fd, SHUT_WR);
    m_lingerTimers.arm(c.timer, nowNs);
    c.readReady = true;
    drainLingering(c, nowNs);
}

void EventLoop::drainLingering(Connection& c, std::int64_t nowNs)
{
    while (c.fd >= 0 && c.readReady) {
        const ssize_t n = ::recv(c.fd, m_readBuffer.get(), kReadBufferBytes, 0);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c.readReady = false;
            return;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return closeConnection(c, c.rejected ? CloseReason::Rejected : CloseReason::Done, nowNs);
    }
}

void EventLoop::closeConnection(Connection& c, CloseReason reason, std::int64_t nowNs)
{
    if (c.fd < 0)
        return;
    TimerList::disarm(c.timer);
    record(c, EventKind::ConnectionClosed, ConnectionState::Closed, std::uint64_t(reason), 0, nowNs);
    ::close(c.fd); // also removes it from epoll
    c.fd = -1;
    --m_active;
    m_counters.activeConnections.store(m_active, std::memory_order_relaxed);
    // Release what the connection held now, not when its slot is reused (a disk job in flight
    // owns its own file and buffer).
    releaseResponse(c);
    c.parser.reset();
    c.pipelined = std::string();
    c.head = std::string();
    c.errorBody = std::string();
    c.spare.reset();
    c.spareCapacity = 0;
    m_freeSlots.push_back(c.slot);
}

// Drops the finished (or abandoned) response's body sources; strings keep their capacity for
// the next response on a kept-alive connection.
void EventLoop::releaseResponse(Connection& c)
{
    c.chunk.reset();
    c.nextChunk.reset();
    c.chunkCapacity = c.nextChunkCapacity = 0;
    c.file.reset();
    c.cached.reset();
    c.sendFileFd = -1;
    c.sendFileOffset = 0;
    c.body = nullptr;
    c.bodyBytes = c.bodySent = 0;
    c.errorBody.clear();
    c.head.clear();
    c.fileRemaining = 0;
}

void EventLoop::closeAll(std::int64_t nowNs)
{
    for (auto& slot : m_slots)
        if (slot && slot->fd >= 0)
            closeConnection(*slot, CloseReason::ServerStopping, nowNs);
}

// --- Bookkeeping -------------------------------------------------------------------------

Connection* EventLoop::connectionAt(std::uint32_t slot, std::uint32_t id)
{
    if (slot >= m_slots.size() || !m_slots[slot])
        return nullptr;
    Connection* c = m_slots[slot].get();
    return c->id == id && c->fd >= 0 ? c : nullptr;
}

Connection& EventLoop::newConnection(int fd)
{
    std::uint32_t slot;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
    } else {
        slot = std::uint32_t(m_slots.size());
        m_slots.push_back(nullptr);
    }
    // A fresh object: nothing of the previous connection in this slot survives.
    m_slots[slot] = std::make_unique<Connection>();
    Connection& c = *m_slots[slot];
    c.slot = slot;
    c.fd = fd;
    c.id = m_nextId++;
    c.parser = std::make_unique<RequestParser>(m_config.limits);
    ++m_active;
    m_counters.activeConnections.store(m_active, std::memory_order_relaxed);
    return c;
}

void EventLoop::record(Connection& c, EventKind kind, ConnectionState to, std::uint64_t arg,
                       std::uint32_t aux, std::int64_t nowNs, std::uint8_t thread)
{
    m_recorder.record(nowNs, kind, c.id, c.state, to, arg, aux, thread);
    c.state = to;
}

void EventLoop::recordLoop(EventKind kind, std::uint64_t arg, std::int64_t nowNs, std::uint32_t aux)
{
    m_recorder.record(nowNs, kind, 0, ConnectionState::None, ConnectionState::None, arg, aux);
}

} // namespace loopscope
