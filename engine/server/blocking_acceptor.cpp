#include "server/blocking_acceptor.h"

#include "core/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace loopscope {

BlockingAcceptor::BlockingAcceptor(int listenFd, const ServerConfig& config, ProducerRing& ring)
    : m_listen(listenFd)
    , m_config(config)
    , m_ring(ring)
{
}

int BlockingAcceptor::open()
{
    m_wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    return m_wake.valid() ? 0 : -errno;
}

void BlockingAcceptor::wake()
{
    m_stopping.store(true);
    const std::uint64_t one = 1;
    (void)!::write(m_wake.get(), &one, sizeof one);
}

std::uint16_t BlockingAcceptor::port() const
{
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(m_listen.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

bool BlockingAcceptor::acceptNext(AcceptedClient& out)
{
    while (waitForClient()) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        // No SOCK_NONBLOCK: the connection is served with blocking I/O.
        const int fd = ::accept4(m_listen.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd >= 0) {
            out = {fd, ntohl(peer.sin_addr.s_addr), ntohs(peer.sin_port)};
            return true;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause(errno);
        // EAGAIN (another waiter took it) or an aborted handshake: wait again.
    }
    return false;
}

// Blocks in poll until the listener is readable (true) or stop() wrote the eventfd (false).
bool BlockingAcceptor::waitForClient()
{
    while (!m_stopping.load()) {
        const std::int64_t before = monotonicNs();
        m_ring.record(before, EventKind::LoopPollBegin, 0, ConnectionState::None, ConnectionState::None,
                      ~std::uint64_t(0), 0);
        m_ring.markIdle(before);
        pollfd fds[2] = {{m_listen.get(), POLLIN, 0}, {m_wake.get(), POLLIN, 0}};
        const int n = ::poll(fds, 2, -1);
        m_ring.markBusy();
        m_ring.record(monotonicNs(), EventKind::LoopPollEnd, 0, ConnectionState::None, ConnectionState::None,
                      n < 0 ? 0 : std::uint64_t(n), 0);
        if (n > 0 && (fds[0].revents & POLLIN) && !m_stopping.load())
            return true;
    }
    return false;
}

// Out of descriptors: wait a moment instead of spinning on a listener that stays readable.
void BlockingAcceptor::pause(int error)
{
    const std::int64_t nowNs = monotonicNs();
    m_ring.record(nowNs, EventKind::AcceptPaused, 0, ConnectionState::None, ConnectionState::None,
                  std::uint64_t(error), 0);
    m_ring.markIdle(nowNs);
    pollfd wakeFd{m_wake.get(), POLLIN, 0};
    ::poll(&wakeFd, 1, int(m_config.acceptPause.count()));
    m_ring.markBusy();
}

void recordServerStarted(ProducerRing& ring, std::uint16_t port, unsigned maxConnections)
{
    ring.record(monotonicNs(), EventKind::ServerStarted, 0, ConnectionState::None, ConnectionState::None, port,
                maxConnections);
}

void recordServerStopped(ProducerRing& ring, std::uint64_t connectionsClosedByStop)
{
    const std::int64_t end = monotonicNs();
    ring.record(end, EventKind::ServerStopped, 0, ConnectionState::None, ConnectionState::None,
                connectionsClosedByStop, 0);
    ring.flushDrops(end);
}

} // namespace loopscope
