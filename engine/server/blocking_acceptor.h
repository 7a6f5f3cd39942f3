// BlockingAcceptor: the accepting half of the blocking and thread-per-connection servers. Its
// thread blocks in poll on the listening socket (and on an eventfd that stop() writes), records
// that wait as LoopPollBegin/LoopPollEnd on the engine loop lane, and records each accepted
// connection as ConnectionAccepted. Out of descriptors (EMFILE/ENFILE) it records AcceptPaused
// and pauses, as the event loop does, instead of spinning.
#pragma once

#include "core/producer_ring.h"
#include "server/disk_pool.h"
#include "server/server.h"

#include <atomic>
#include <cstdint>

namespace loopscope {

struct AcceptedClient {
    int fd = -1;
    std::uint32_t peerAddress = 0; // IPv4, host order
    std::uint16_t peerPort = 0;
};

class BlockingAcceptor {
public:
    // Takes ownership of the listening socket.
    BlockingAcceptor(int listenFd, const ServerConfig& config, ProducerRing& ring);

    int open(); // creates the wake-up eventfd; 0 or -errno
    void wake(); // from any thread: acceptNext() returns false soon, and from then on
    bool stopping() const { return m_stopping.load(); }
    const std::atomic<bool>& stoppingFlag() const { return m_stopping; }
    std::uint16_t port() const;

    // Blocks until a client connects (true: `out` is its blocking socket) or wake() (false).
    bool acceptNext(AcceptedClient& out);

private:
    bool waitForClient();
    void pause(int error);

    FileDescriptor m_listen;
    FileDescriptor m_wake;
    const ServerConfig& m_config;
    ProducerRing& m_ring;
    std::atomic<bool> m_stopping{false};
};

// The first and last records of a blocking-style server's run (the engine loop lane's start and
// stop markers), on the acceptor's ring. The stop also delivers any drop count still pending.
void recordServerStarted(ProducerRing& ring, std::uint16_t port, unsigned maxConnections);
void recordServerStopped(ProducerRing& ring, std::uint64_t connectionsClosedByStop);

} // namespace loopscope
