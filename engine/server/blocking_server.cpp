#include "server/blocking_server.h"

#include "core/clock.h"
#include "core/recorder.h"

namespace loopscope {

BlockingServer::BlockingServer(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                               LoopCounters& counters, std::uint32_t firstConnectionId)
    : BlockingModel(config, listenFd, rootFd, recorder, counters, firstConnectionId)
{
}

void BlockingServer::run()
{
    ProducerRing& ring = m_recorder.mainProducer();
    recordServerStarted(ring, m_acceptor.port(), m_config.maxConnections);
    AcceptedClient client;
    while (m_acceptor.acceptNext(client))
        serveOne(client);
    recordServerStopped(ring, m_closedByStop);
}

// NEW_TCP_CONNECTION, and everything after it until the connection closes.
void BlockingServer::serveOne(const AcceptedClient& client)
{
    const std::uint32_t id = m_nextId++;
    const std::int64_t nowNs = monotonicNs();
    m_counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
    m_counters.activeConnections.fetch_add(1, std::memory_order_relaxed);
    m_recorder.record(nowNs, EventKind::ConnectionAccepted, id, ConnectionState::None, ConnectionState::Accepted,
                      client.peerPort, client.peerAddress);
    m_registry.add(client.fd);
    BlockingConnection connection(m_shared, {m_recorder.mainProducer(), kEngineLoopThread, true}, client.fd, id,
                                  nowNs);
    connection.serve();
    if (connection.closeReason() == CloseReason::ServerStopping)
        ++m_closedByStop;
}

} // namespace loopscope
