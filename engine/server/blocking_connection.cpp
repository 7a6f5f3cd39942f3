#include "server/blocking_connection.h"

#include "core/clock.h"
#include "http/response.h"
#include "server/response_plan.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace loopscope {

namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;  // as the event loop's
constexpr int kSendTimeoutSeconds = 60;              // a client that stops reading (nginx: 60 s)
constexpr std::int64_t kLingerTimeoutNs = 2'000'000'000;
constexpr std::int64_t kNsPerMs = 1'000'000;

std::int64_t durationNs(std::chrono::milliseconds d)
{
    return std::int64_t(d.count()) * kNsPerMs;
}

} // namespace

// --- ConnectionRegistry ------------------------------------------------------------------

void ConnectionRegistry::add(int fd)
{
    std::lock_guard lock(m_mutex);
    m_fds.insert(fd);
    if (m_shutDown)
        ::shutdown(fd, SHUT_RDWR);
}

void ConnectionRegistry::close(int fd)
{
    std::lock_guard lock(m_mutex);
    m_fds.erase(fd);
    ::close(fd);
}

// Ends every blocking recv/send/poll on the connections at once: reads see end of file, writes
// fail. Each serving thread then closes its own socket.
void ConnectionRegistry::shutdownAll()
{
    std::lock_guard lock(m_mutex);
    m_shutDown = true;
    for (int fd : m_fds)
        ::shutdown(fd, SHUT_RDWR);
}

// --- BlockingConnection ------------------------------------------------------------------

BlockingConnection::BlockingConnection(const BlockingServerShared& shared, const RecordingThread& recording,
                                       int fd, std::uint32_t id, std::int64_t acceptedNs)
    : m_shared(shared)
    , m_recording(recording)
    , m_fd(fd)
    , m_id(id)
    , m_headerDeadlineNs(acceptedNs + durationNs(shared.config.headerTimeout))
    , m_parser(shared.config.limits)
{
    // Each response goes out as head and body in one writev, then the next one is awaited:
    // Nagle's algorithm could only delay it.
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A blocking send gives up (EAGAIN) when the client has taken nothing for this long.
    const timeval sendTimeout{kSendTimeoutSeconds, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, sizeof sendTimeout);
}

void BlockingConnection::serve()
{
    m_readBuffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
    while (m_open) {
        if (m_state == ConnectionState::KeepAlive && !m_pipelined.empty())
            takePipelined();
        else
            readOnce();
    }
}

// --- Reading the request -----------------------------------------------------------------

// Waits for input (within the header or keep-alive timeout), then one recv and what follows.
void BlockingConnection::readOnce()
{
    const bool idle = m_state == ConnectionState::KeepAlive;
    switch (waitForInput(idle ? m_idleDeadlineNs : m_headerDeadlineNs)) {
    case Wait::Ready:
        break;
    case Wait::TimedOut:
        record(EventKind::TimedOut, m_state,
               std::uint64_t(idle ? TimeoutKind::KeepAliveIdle : TimeoutKind::Header), 0, monotonicNs());
        return close(CloseReason::TimedOut);
    case Wait::Failed:
        return close(failureReason());
    }
    const ssize_t n = ::recv(m_fd, m_readBuffer.get(), kReadBufferBytes, 0);
    if (n < 0)
        return errno == EINTR ? void() : close(failureReason());
    if (n == 0)
        return close(m_shared.stopping.load() ? CloseReason::ServerStopping : CloseReason::PeerClosed);
    const std::int64_t nowNs = monotonicNs();
    if (idle)
        m_headerDeadlineNs = nowNs + durationNs(m_shared.config.headerTimeout);
    record(EventKind::BytesRead, ConnectionState::ReadingHeaders, std::uint64_t(n), 0, nowNs);
    takeInput(m_readBuffer.get(), std::size_t(n));
}

// Requests the client sent ahead: parse them before reading the socket again.
void BlockingConnection::takePipelined()
{
    const std::string pending = std::move(m_pipelined);
    m_pipelined.clear();
    const std::int64_t nowNs = monotonicNs();
    m_headerDeadlineNs = nowNs + durationNs(m_shared.config.headerTimeout);
    record(EventKind::BytesRead, ConnectionState::ReadingHeaders, pending.size(), 1, nowNs);
    takeInput(pending.data(), pending.size());
}

void BlockingConnection::takeInput(const char* data, std::size_t len)
{
    const RequestParser::Result r = m_parser.feed(data, len);
    switch (r.status) {
    case RequestParser::Status::NeedMore:
        return;
    case RequestParser::Status::Error:
        if (r.inAnsweredBody) { // its request is answered: close without a second response
            m_keepAlive = false;
            m_rejected = true;
            return linger();
        }
        return onRequestRejected(r.httpStatus);
    case RequestParser::Status::Request:
        // Bytes after this request's head are the next requests or its body: keep them until
        // this response is done.
        m_pipelined.assign(data + r.consumed, len - r.consumed);
        return onHeadersRead();
    }
}

// Blocks in poll until the socket is readable (or closed, or shut down by stop) or the deadline
// passes. The thread is idle meanwhile: its ring says so, and the blocking server's loop lane
// shows the wait.
BlockingConnection::Wait BlockingConnection::waitForInput(std::int64_t deadlineNs)
{
    for (;;) {
        const std::int64_t nowNs = monotonicNs();
        if (nowNs >= deadlineNs)
            return Wait::TimedOut;
        // Round up so we never wake a hair before the deadline and spin.
        const int timeoutMs = int(std::min<std::int64_t>((deadlineNs - nowNs + kNsPerMs - 1) / kNsPerMs, INT_MAX));
        recordWait(EventKind::LoopPollBegin, std::uint64_t(timeoutMs), nowNs);
        m_recording.ring.markIdle(nowNs);
        pollfd p{m_fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, timeoutMs);
        const int error = errno;
        m_recording.ring.markBusy();
        recordWait(EventKind::LoopPollEnd, rc > 0 ? std::uint64_t(rc) : 0, monotonicNs());
        if (rc > 0)
            return Wait::Ready;
        if (rc < 0 && error != EINTR)
            return Wait::Failed;
    }
}

// FINISHED_READING_FROM_SOCKET: fetch the file (on this thread), then answer.
void BlockingConnection::onHeadersRead()
{
    const HttpRequest& req = m_parser.request();
    ++m_requests;
    m_keepAlive = req.keepAlive;
    m_isHead = req.method == HttpMethod::Head;
    const std::int64_t nowNs = monotonicNs();
    record(EventKind::RequestHeadersRead, ConnectionState::FetchingFile, m_requests,
           std::uint32_t(req.method), nowNs);
    m_recording.ring.recordText(m_id, req.path, nowNs);

    DiskJob job;
    job.type = DiskJob::Type::OpenFile;
    job.method = req.method;
    job.path = req.path;
    job.range = req.range;
    job.ifModifiedSince = req.ifModifiedSince;
    readFile(job, true);
    const ResponsePlan& plan = job.plan;
    const bool answered = plan.status >= 300 && plan.status != 304
        ? respondWithError(plan.status, &plan, m_isHead)
        : respondWithFile(job);
    if (answered)
        onResponseDone();
}

void BlockingConnection::onRequestRejected(int status)
{
    m_keepAlive = false;
    m_rejected = true;
    record(EventKind::RequestRejected, ConnectionState::WritingHeaders, std::uint64_t(status), 0, monotonicNs());
    if (respondWithError(status, nullptr, false))
        onResponseDone();
}

// --- FINISHED_READING_FROM_DISK ----------------------------------------------------------

// One open-and-read or one chunk read, timed by this thread's own clock. Returns false when the
// connection was closed because a chunk could not be read.
bool BlockingConnection::readFile(DiskJob& job, bool first)
{
    job.worker = 0; // no disk worker: the serving thread itself
    job.startNs = monotonicNs();
    runDiskJob(m_shared.rootFd, job);
    job.endNs = monotonicNs();
    record(EventKind::DiskReadStarted, m_state, job.offset, job.worker, job.startNs);
    record(EventKind::DiskReadDone, first ? ConnectionState::WritingHeaders : m_state, job.bytesRead,
           std::uint32_t(job.error), job.endNs);
    if (!first && job.error != 0) {
        close(CloseReason::Error);
        return false;
    }
    return true;
}

// A file response (200, 206, 304): the head with the first chunk, then the rest chunk by chunk.
// Returns false when the connection closed on the way.
bool BlockingConnection::respondWithFile(DiskJob& job)
{
    const ResponsePlan& plan = job.plan;
    m_status = plan.status;
    if (!sendHead(fileResponseHead(plan), job.buffer.get(), job.bytesRead))
        return false;
    std::uint64_t remaining = plan.bodyLength - job.bytesRead;
    while (remaining > 0) {
        job.type = DiskJob::Type::ReadChunk;
        job.offset += job.bytesRead;
        job.length = std::size_t(std::min<std::uint64_t>(remaining, DiskPool::kChunkBytes));
        job.bytesRead = 0;
        if (!readFile(job, false) || !send(nullptr, 0, job.buffer.get(), job.bytesRead))
            return false;
        remaining -= std::min<std::uint64_t>(remaining, job.bytesRead);
    }
    return true;
}

// Error pages, redirects and 416: a small HTML body made here.
bool BlockingConnection::respondWithError(int status, const ResponsePlan* plan, bool isHead)
{
    const std::string body = errorBody(status);
    m_status = status;
    return sendHead(errorResponseHead(status, plan, body.size()), body.data(), isHead ? 0 : body.size());
}

// --- FINISHED_WRITING_TO_SOCKET ----------------------------------------------------------

bool BlockingConnection::sendHead(const ResponseHead& head, const char* body, std::size_t bodyBytes)
{
    ResponseHead h = head;
    h.date = m_date.now();
    h.keepAlive = m_keepAlive;
    m_head.clear();
    appendResponseHead(m_head, h);
    m_bodySent = 0;
    return send(m_head.data(), m_head.size(), body, bodyBytes);
}

// Blocking writev of what is left of the head and `body`; records the head once it is all sent
// and every body part. Returns false when the connection was closed (error, send timeout, stop).
bool BlockingConnection::send(const char* head, std::size_t headBytes, const char* body, std::size_t bodyBytes)
{
    std::size_t headSent = 0;
    std::size_t bodySent = 0;
    while (headSent < headBytes || bodySent < bodyBytes) {
        iovec iov[2];
        int count = 0;
        if (headSent < headBytes)
            iov[count++] = {const_cast<char*>(head) + headSent, headBytes - headSent};
        if (bodySent < bodyBytes)
            iov[count++] = {const_cast<char*>(body) + bodySent, bodyBytes - bodySent};
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = std::size_t(count);
        m_recording.ring.markIdle(monotonicNs()); // blocked while the client's window is full
        const ssize_t n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
        const int error = errno;
        m_recording.ring.markBusy();
        const std::int64_t nowNs = monotonicNs();
        if (n < 0 && error == EINTR)
            continue;
        if (n < 0 && (error == EAGAIN || error == EWOULDBLOCK)) {
            record(EventKind::TimedOut, m_state, std::uint64_t(TimeoutKind::Send), 0, nowNs);
            close(CloseReason::TimedOut);
            return false;
        }
        if (n < 0) {
            close(failureReason());
            return false;
        }
        const std::size_t headPart = std::min(std::size_t(n), headBytes - headSent);
        headSent += headPart;
        if (headPart > 0 && headSent == headBytes)
            record(EventKind::ResponseHeadersWritten, ConnectionState::WritingBody, std::uint64_t(m_status),
                   std::uint32_t(headBytes), nowNs);
        const std::size_t bodyPart = std::size_t(n) - headPart;
        if (bodyPart > 0) {
            bodySent += bodyPart;
            m_bodySent += bodyPart;
            record(EventKind::BodyBytesWritten, m_state, bodyPart, 0, nowNs);
        }
    }
    return true;
}

void BlockingConnection::onResponseDone()
{
    ++m_responses;
    m_shared.counters.requestsServed.fetch_add(1, std::memory_order_relaxed);
    const std::int64_t nowNs = monotonicNs();
    if (!m_keepAlive) {
        record(EventKind::BodyWritten, m_state, m_bodySent, 0, nowNs);
        if (m_rejected || m_parser.midRequest() || !m_pipelined.empty())
            return linger();
        return close(CloseReason::Done);
    }
    record(EventKind::BodyWritten, ConnectionState::KeepAlive, m_bodySent, 0, nowNs);
    record(EventKind::KeepAlive, ConnectionState::KeepAlive, m_responses, 0, nowNs);
    m_idleDeadlineNs = nowNs + durationNs(m_shared.config.keepAliveTimeout);
    m_parser.next();
}

// --- Closing -----------------------------------------------------------------------------

// After an error response the client may still be sending; closing at once would make the
// kernel send RST, which can destroy the response before the client reads it. Stop writing and
// drain its input for a short while first (nginx's lingering close), as the event loop does.
void BlockingConnection::linger()
{
    ::shutdown(m_fd, SHUT_WR);
    const std::int64_t deadlineNs = monotonicNs() + kLingerTimeoutNs;
    while (waitForInput(deadlineNs) == Wait::Ready) {
        const ssize_t n = ::recv(m_fd, m_readBuffer.get(), kReadBufferBytes, 0);
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    close(m_rejected ? CloseReason::Rejected : CloseReason::Done);
}

void BlockingConnection::close(CloseReason reason)
{
    if (!m_open)
        return;
    record(EventKind::ConnectionClosed, ConnectionState::Closed, std::uint64_t(reason), 0, monotonicNs());
    m_shared.registry.close(m_fd);
    m_open = false;
    m_closeReason = reason;
    m_shared.counters.activeConnections.fetch_sub(1, std::memory_order_relaxed);
}

// A failed recv/send is the stop's doing when the server is stopping (it shut the socket down).
CloseReason BlockingConnection::failureReason() const
{
    return m_shared.stopping.load() ? CloseReason::ServerStopping : CloseReason::Error;
}

// --- Bookkeeping -------------------------------------------------------------------------

void BlockingConnection::record(EventKind kind, ConnectionState to, std::uint64_t arg, std::uint32_t aux,
                                std::int64_t nowNs)
{
    m_recording.ring.record(nowNs, kind, m_id, m_state, to, arg, aux, m_recording.thread);
    m_state = to;
}

// The blocking server's one thread waiting for input: its loop lane shows it blocked.
void BlockingConnection::recordWait(EventKind kind, std::uint64_t arg, std::int64_t nowNs)
{
    if (m_recording.recordWaits)
        m_recording.ring.record(nowNs, kind, 0, ConnectionState::None, ConnectionState::None, arg, 0,
                                m_recording.thread);
}

} // namespace loopscope
