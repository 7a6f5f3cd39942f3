#include "load/load_loop.h"

#include "core/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace loopscope {

namespace {

constexpr std::uint64_t kWakeToken = UINT64_MAX;
constexpr int kMaxEvents = 256;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kNsPerMs = 1'000'000;

std::uint64_t token(std::uint32_t index, std::uint32_t serial)
{
    return (std::uint64_t(serial) << 32) | index;
}

std::string requestText(const WeightedPath& p, const std::string& host, bool keepAlive)
{
    std::string out = p.head ? "HEAD " : "GET ";
    out += p.path;
    out += " HTTP/1.1\r\nHost: ";
    out += host;
    out += "\r\nUser-Agent: loopscope-load\r\n";
    if (!keepAlive)
        out += "Connection: close\r\n";
    out += "\r\n";
    return out;
}

bool wouldBlock()
{
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

} // namespace

LoadLoop::LoadLoop(const LoadPlan& plan, int epollFd, int wakeFd, const std::atomic<bool>& stopRequested,
                   LoadShared& shared)
    : m_plan(plan)
    , m_epoll(epollFd)
    , m_wake(wakeFd)
    , m_stop(stopRequested)
    , m_shared(shared)
    , m_readBuffer(kReadBufferBytes)
{
    std::lock_guard lock(m_shared.mutex);
    m_state = m_shared.snapshot;
}

LoadLoop::~LoadLoop()
{
    endPhase(); // closes every fd, whatever ended the run
}

void LoadLoop::run()
{
    for (std::size_t i = 0; i < m_plan.phases.size() && !m_stop.load() && m_failure.empty(); ++i)
        runPhase(i);
    finishRun(m_failure);
}

// ---- Phases ---------------------------------------------------------------------------------

void LoadLoop::runPhase(std::size_t index)
{
    std::int64_t now = monotonicNs();
    beginPhase(index, now);
    publish(now, true);
    while (!m_stop.load(std::memory_order_relaxed) && m_failure.empty() && !phaseOver(now)) {
        std::int64_t wait = std::min(nextTimerIn(now), kPublishPeriodNs);
        if (m_phase->durationSeconds > 0)
            wait = std::min(wait, m_phaseStartNs + std::int64_t(m_phase->durationSeconds * 1e9) - now);
        pollOnce(std::max<std::int64_t>(wait, 0));
        now = monotonicNs();
        runDueTimers(now);
        publish(now, false);
    }
    endPhase();
}

void LoadLoop::beginPhase(std::size_t index, std::int64_t now)
{
    m_phase = &m_plan.phases[index];
    m_phaseStartNs = now;
    const LoadSettings& s = m_phase->settings;
    m_paths = s.paths.empty() ? defaultPathMix() : s.paths;
    m_pathOrder = pathSequence(m_paths);
    m_requestText.clear();
    for (const WeightedPath& p : m_paths)
        m_requestText.push_back(requestText(p, m_plan.target.hostHeader(), s.keepAlive));
    m_periodNs = s.rate > 0 ? std::int64_t(double(s.clients) * s.pipeline * 1e9 / s.rate) : 0;
    m_periodNs = std::max<std::int64_t>(m_periodNs, s.rate > 0 ? 1 : 0);
    m_state.phaseIndex = int(index);
    m_state.phaseName = m_phase->name;
    m_state.phaseStartNs.push_back(now);
    addClients(ClientKind::Regular, s.clients);
    addClients(ClientKind::SlowHeaders, s.slowHeaders);
    addClients(ClientKind::SlowReader, s.slowReaders);
    for (Client& c : m_clients)
        startNextBatch(c, now);
}

void LoadLoop::addClients(ClientKind kind, unsigned count)
{
    const unsigned regular = m_phase->settings.clients;
    for (unsigned i = 0; i < count; ++i) {
        Client c;
        c.kind = kind;
        c.index = std::uint32_t(m_clients.size());
        // Spread the clients' schedules evenly over one period, so the rate is smooth.
        if (kind == ClientKind::Regular && m_periodNs > 0)
            c.offsetNs = m_periodNs * i / std::max(regular, 1u);
        m_clients.push_back(std::move(c));
    }
}

bool LoadLoop::phaseOver(std::int64_t now) const
{
    const double duration = m_phase->durationSeconds;
    if (duration > 0 && now >= m_phaseStartNs + std::int64_t(duration * 1e9))
        return true;
    if (m_phase->settings.requestsPerClient == 0)
        return false;
    return std::all_of(m_clients.begin(), m_clients.end(), [](const Client& c) { return c.step == Step::Finished; });
}

// Requests still in flight are abandoned (neither answered nor failed); every fd is closed.
void LoadLoop::endPhase()
{
    for (Client& c : m_clients) {
        const std::uint64_t open = c.inFlight.size() - c.answered;
        m_state.counts.abandoned += open;
        m_state.inFlight -= open;
        closeConnection(c);
    }
    m_clients.clear();
    m_timers = {};
}

// ---- The loop's own phases ------------------------------------------------------------------

void LoadLoop::pollOnce(std::int64_t timeoutNs)
{
    epoll_event events[kMaxEvents];
    const int ms = int(std::min<std::int64_t>((timeoutNs + kNsPerMs - 1) / kNsPerMs, 1000));
    const int n = epoll_wait(m_epoll, events, kMaxEvents, ms);
    if (n < 0 && errno != EINTR) {
        m_failure = std::string("The load generator's epoll_wait failed (") + std::strerror(errno)
                    + "); start it again.";
        return;
    }
    for (int i = 0; i < n; ++i) {
        const std::uint64_t t = events[i].data.u64;
        if (t == kWakeToken) {
            std::uint64_t ignored;
            [[maybe_unused]] const ssize_t r = read(m_wake, &ignored, sizeof ignored);
            continue;
        }
        const auto index = std::uint32_t(t & 0xffffffffu);
        if (index >= m_clients.size())
            continue;
        Client& c = m_clients[index];
        // An event for a connection this client already closed (same batch of events) is stale.
        if (c.fd >= 0 && c.serial == std::uint32_t(t >> 32))
            onEvent(c, events[i].events);
    }
}

void LoadLoop::runDueTimers(std::int64_t now)
{
    while (!m_timers.empty() && m_timers.top().at <= now) {
        const Timer t = m_timers.top();
        m_timers.pop();
        if (t.client < m_clients.size())
            onTimer(m_clients[t.client], now);
    }
}

std::int64_t LoadLoop::nextTimerIn(std::int64_t now) const
{
    if (m_timers.empty())
        return kPublishPeriodNs;
    return std::max<std::int64_t>(m_timers.top().at - now, 0);
}

// ---- A client's life ------------------------------------------------------------------------

void LoadLoop::onEvent(Client& c, std::uint32_t events)
{
    const std::int64_t now = monotonicNs();
    switch (c.step) {
    case Step::Connecting: {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0 || (events & (EPOLLERR | EPOLLHUP)))
            return fail(c, LoadError::ConnectFailed, now);
        return onConnected(c, now);
    }
    case Step::Sending:
        if (events & (EPOLLERR | EPOLLHUP))
            return fail(c, LoadError::Reset, now);
        return onWritable(c, now);
    case Step::Idle:
    case Step::Receiving:
    case Step::AwaitingClose:
        return onReadable(c, now);
    case Step::Finished:
        return closeConnection(c);
    }
}

// Timers are not cancelled: each one checks what its client is waiting for now.
void LoadLoop::onTimer(Client& c, std::int64_t now)
{
    if (c.wakeNs != 0 && now >= c.wakeNs) {
        c.wakeNs = 0;
        if (c.step == Step::Idle)
            startNextBatch(c, now);
        else if (c.step == Step::Sending)
            onWritable(c, now); // a slow client's next header byte
        else if (c.step == Step::Receiving && c.readPaused) {
            c.readPaused = false; // a slow reader's next read
            setInterest(c, EPOLLIN);
            armTimeout(c, now);
        }
    }
    if (c.timeoutTimerNs != 0 && now >= c.timeoutTimerNs) {
        c.timeoutTimerNs = 0;
        checkTimeout(c, now);
    }
}

void LoadLoop::checkTimeout(Client& c, std::int64_t now)
{
    const bool waiting = c.step == Step::Connecting || c.step == Step::Sending || c.step == Step::Receiving
                         || c.step == Step::AwaitingClose;
    // A slow client pausing on purpose is not stuck; its timeout restarts when it resumes.
    if (!waiting || c.wakeNs != 0 || c.readPaused)
        return;
    if (now < c.deadlineNs) {
        c.timeoutTimerNs = c.deadlineNs;
        m_timers.push({c.deadlineNs, c.index});
        return;
    }
    if (c.step == Step::AwaitingClose) { // the answer is complete; only the close is late
        closeConnection(c);
        c.step = Step::Idle;
        return startNextBatch(c, now);
    }
    fail(c, LoadError::Timeout, now);
}

bool LoadLoop::budgetSpent(const Client& c) const
{
    const std::uint64_t budget = m_phase->settings.requestsPerClient;
    return budget != 0 && c.requests >= budget;
}

std::int64_t LoadLoop::slotTime(const Client& c) const
{
    return m_phaseStartNs + c.offsetNs + std::int64_t(c.nextSlot) * m_periodNs;
}

void LoadLoop::startNextBatch(Client& c, std::int64_t now)
{
    const LoadSettings& s = m_phase->settings;
    if (budgetSpent(c)) {
        c.step = Step::Finished;
        return closeConnection(c);
    }
    std::int64_t scheduled = now;
    const bool regular = c.kind == ClientKind::Regular;
    if (regular && m_periodNs > 0) {
        // Open loop: the batch is due at its slot; a late batch keeps its slot time, so the
        // time it waited counts in its latency.
        scheduled = slotTime(c);
        if (scheduled > now) {
            c.step = Step::Idle;
            return wakeAt(c, scheduled);
        }
        ++c.nextSlot;
    }
    unsigned count = regular && s.keepAlive ? s.pipeline : 1;
    if (s.requestsPerClient != 0)
        count = unsigned(std::min<std::uint64_t>(count, s.requestsPerClient - c.requests));
    queueRequests(c, count, scheduled);
    if (c.fd >= 0 && c.reusable) {
        c.step = Step::Sending;
        return onWritable(c, now);
    }
    openConnection(c, now);
}

void LoadLoop::queueRequests(Client& c, unsigned count, std::int64_t scheduledNs)
{
    c.out.clear();
    c.outSent = 0;
    c.inFlight.clear();
    c.answered = 0;
    for (unsigned k = 0; k < count; ++k) {
        const std::uint32_t path = m_pathOrder[(c.index + c.pathCursor++) % m_pathOrder.size()];
        c.out += m_requestText[path];
        c.inFlight.push_back({scheduledNs, m_paths[path].head});
    }
    c.requests += count;
    m_state.counts.sent += count;
    m_state.inFlight += count;
    c.parser.reset(c.inFlight.front().head);
}

bool LoadLoop::openConnection(Client& c, std::int64_t now)
{
    closeConnection(c);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(c, LoadError::ConnectFailed, now);
        return false;
    }
    if (c.kind == ClientKind::SlowReader) // set before connecting: it sizes the TCP window
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSlowReceiveBuffer, sizeof kSlowReceiveBuffer);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    ++c.serial;
    ++m_state.counts.connectionsOpened;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_plan.target.port);
    addr.sin_addr.s_addr = htonl(m_plan.target.address);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        onConnected(c, now);
        return true;
    }
    if (errno != EINPROGRESS) {
        fail(c, LoadError::ConnectFailed, now);
        return false;
    }
    c.step = Step::Connecting;
    setInterest(c, EPOLLOUT);
    armTimeout(c, now);
    return true;
}

void LoadLoop::onConnected(Client& c, std::int64_t now)
{
    c.step = Step::Sending;
    onWritable(c, now);
}

void LoadLoop::onWritable(Client& c, std::int64_t now)
{
    const bool slow = c.kind == ClientKind::SlowHeaders;
    const std::size_t want = slow ? 1 : c.out.size() - c.outSent;
    const ssize_t n = send(c.fd, c.out.data() + c.outSent, want, MSG_NOSIGNAL);
    if (n < 0 && wouldBlock()) {
        setInterest(c, EPOLLOUT);
        return armTimeout(c, now);
    }
    if (n < 0)
        return fail(c, LoadError::Reset, now);
    c.outSent += std::size_t(n);
    armTimeout(c, now);
    if (c.outSent == c.out.size()) {
        c.step = Step::Receiving;
        return setInterest(c, EPOLLIN);
    }
    if (slow) { // trickle: the next byte after a pause
        setInterest(c, 0);
        return wakeAt(c, now + std::int64_t(m_phase->settings.slowIntervalMs) * kNsPerMs);
    }
    setInterest(c, EPOLLOUT);
}

std::size_t LoadLoop::readLimit(const Client& c) const
{
    if (c.kind == ClientKind::SlowReader && c.step == Step::Receiving)
        return std::min<std::size_t>(m_phase->settings.slowReadBytes, m_readBuffer.size());
    return m_readBuffer.size();
}

void LoadLoop::onReadable(Client& c, std::int64_t now)
{
    const ssize_t n = recv(c.fd, m_readBuffer.data(), readLimit(c), 0);
    if (n < 0 && wouldBlock())
        return;
    if (n < 0)
        return c.step == Step::Receiving ? fail(c, LoadError::Reset, now) : onPeerClosed(c, now);
    if (n == 0)
        return onPeerClosed(c, now);
    m_state.counts.bytesReceived += std::uint64_t(n);
    if (c.step != Step::Receiving) {
        // Bytes nobody asked for on an idle or closing connection: do not trust it any more.
        closeConnection(c);
        if (c.step == Step::AwaitingClose) {
            c.step = Step::Idle;
            startNextBatch(c, now);
        }
        return;
    }
    if (!consumeResponses(c, m_readBuffer.data(), std::size_t(n), now))
        return;
    if (c.step == Step::Receiving) {
        armTimeout(c, now);
        if (c.kind == ClientKind::SlowReader)
            pauseReading(c, now);
    }
}

// Feeds the bytes to the parser, response after response (pipelined answers may share a
// read). Returns false if the client failed.
bool LoadLoop::consumeResponses(Client& c, const char* data, std::size_t n, std::int64_t now)
{
    std::size_t off = 0;
    while (off < n && c.answered < c.inFlight.size()) {
        const std::ptrdiff_t used = c.parser.feed(data + off, n - off);
        if (used == ResponseParser::kMalformed) {
            fail(c, LoadError::Malformed, now);
            return false;
        }
        off += std::size_t(used);
        if (c.parser.done())
            completeResponse(c, now);
        else if (used == 0)
            break;
    }
    if (c.answered < c.inFlight.size())
        return true;
    if (off < n) // more bytes than the responses asked for: this connection cannot be trusted
        closeConnection(c);
    finishBatch(c, now);
    return true;
}

void LoadLoop::completeResponse(Client& c, std::int64_t now)
{
    const InFlight& request = c.inFlight[c.answered++];
    LoadCounts& counts = m_state.counts;
    ++counts.responses;
    const int hundreds = c.parser.status() / 100;
    ++counts.statusClasses[std::size_t(hundreds >= 1 && hundreds <= 5 ? hundreds : 0)];
    --m_state.inFlight;
    m_latency.add(now - request.scheduledNs);
    if (c.parser.closesConnection())
        c.reusable = false;
    if (c.answered < c.inFlight.size())
        c.parser.reset(c.inFlight[c.answered].head);
}

void LoadLoop::finishBatch(Client& c, std::int64_t now)
{
    const bool closing = c.parser.closesConnection() || !m_phase->settings.keepAlive;
    c.inFlight.clear();
    c.answered = 0;
    c.out.clear();
    c.wakeNs = 0;
    if (c.fd >= 0 && closing) {
        c.step = Step::AwaitingClose; // the server closes first (see Step)
        c.reusable = false;
        setInterest(c, EPOLLIN);
        return armTimeout(c, now);
    }
    c.reusable = c.fd >= 0;
    if (c.reusable)
        setInterest(c, EPOLLIN); // notice the server closing an idle keep-alive connection
    c.step = Step::Idle;
    startNextBatch(c, now);
}

void LoadLoop::onPeerClosed(Client& c, std::int64_t now)
{
    switch (c.step) {
    case Step::Receiving:
        // A body that lasts until close ends here; anything else was cut short.
        if (c.parser.finishAtEof() && c.answered + 1 == c.inFlight.size()) {
            completeResponse(c, now);
            closeConnection(c);
            return finishBatch(c, now);
        }
        return fail(c, LoadError::Reset, now);
    case Step::AwaitingClose:
        closeConnection(c);
        c.step = Step::Idle;
        return startNextBatch(c, now);
    case Step::Idle: // the server closed an idle keep-alive connection: reconnect when needed
        return closeConnection(c);
    default:
        return fail(c, LoadError::Reset, now);
    }
}

// Ends every request in flight on the connection with `error`, then retries after a pause
// (so a server that is down is not hammered in a tight loop).
void LoadLoop::fail(Client& c, LoadError error, std::int64_t now)
{
    const std::uint64_t open = c.inFlight.size() - c.answered;
    m_state.counts.errors[std::size_t(error)] += open;
    m_state.inFlight -= open;
    closeConnection(c);
    c.inFlight.clear();
    c.answered = 0;
    c.out.clear();
    if (budgetSpent(c)) {
        c.step = Step::Finished;
        return;
    }
    c.step = Step::Idle;
    wakeAt(c, now + kErrorBackoffNs);
}

void LoadLoop::closeConnection(Client& c)
{
    if (c.fd < 0)
        return;
    close(c.fd); // also removes it from the epoll set
    c.fd = -1;
    c.interest = 0;
    c.reusable = false;
    c.readPaused = false;
    ++c.serial;
}

// Changes the epoll mask only when it really changes (h2o's rule).
void LoadLoop::setInterest(Client& c, std::uint32_t events)
{
    if (c.fd < 0 || events == c.interest)
        return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token(c.index, c.serial);
    const int op = c.interest == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(m_epoll, op, c.fd, &ev) == 0)
        c.interest = events;
}

void LoadLoop::wakeAt(Client& c, std::int64_t at)
{
    c.wakeNs = at;
    m_timers.push({at, c.index});
}

void LoadLoop::armTimeout(Client& c, std::int64_t now)
{
    c.deadlineNs = now + std::int64_t(m_phase->settings.timeoutMs) * kNsPerMs;
    if (c.timeoutTimerNs != 0)
        return; // the pending timer re-arms itself for the later deadline
    c.timeoutTimerNs = c.deadlineNs;
    m_timers.push({c.deadlineNs, c.index});
}

void LoadLoop::pauseReading(Client& c, std::int64_t now)
{
    c.readPaused = true;
    setInterest(c, 0);
    wakeAt(c, now + std::int64_t(m_phase->settings.slowIntervalMs) * kNsPerMs);
}

// ---- Publishing -----------------------------------------------------------------------------

void LoadLoop::publish(std::int64_t now, bool force)
{
    if (!force && now - m_lastPublishNs < kPublishPeriodNs)
        return;
    m_lastPublishNs = now;
    // Requests per second over about the last second, from samples taken at each publish.
    m_rateSamples.emplace_back(now, m_state.counts.responses);
    while (m_rateSamples.size() > 2 && m_rateSamples[1].first <= now - kNsPerSecond)
        m_rateSamples.erase(m_rateSamples.begin());
    const auto& [oldT, oldCount] = m_rateSamples.front();
    m_state.requestsPerSecond = now > oldT ? double(m_state.counts.responses - oldCount) * 1e9 / double(now - oldT) : 0;
    m_state.elapsedNs = now - m_state.startedNs;
    m_state.p50Ns = m_latency.percentileNs(0.50);
    m_state.p90Ns = m_latency.percentileNs(0.90);
    m_state.p99Ns = m_latency.percentileNs(0.99);
    m_state.maxNs = m_latency.maxNs();
    std::lock_guard lock(m_shared.mutex);
    m_shared.snapshot = m_state;
    m_shared.latency = m_latency;
}

void LoadLoop::finishRun(const std::string& failure)
{
    endPhase();
    m_state.running = false;
    m_state.finished = true;
    m_state.failure = failure;
    publish(monotonicNs(), true);
    m_shared.finishedChanged.notify_all();
}

} // namespace loopscope
