#include "server/thread_server.h"

#include "core/clock.h"
#include "core/recorder.h"

#include <unistd.h>

#include <system_error>

namespace loopscope {

ThreadServer::ThreadServer(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                           LoopCounters& counters, std::uint32_t firstConnectionId)
    : BlockingModel(config, listenFd, rootFd, recorder, counters, firstConnectionId)
{
}

ThreadServer::~ThreadServer()
{
    joinAll(); // run() has joined them; this only matters if run() never ran
}

void ThreadServer::run()
{
    ProducerRing& ring = m_recorder.mainProducer();
    recordServerStarted(ring, m_acceptor.port(), m_config.maxConnections);
    AcceptedClient client;
    while (m_acceptor.acceptNext(client)) {
        joinFinished();
        startConnection(client);
    }
    m_registry.shutdownAll();
    joinAll();
    recordServerStopped(ring, m_closedByStop.load());
}

// NEW_TCP_CONNECTION: record it here, then hand the socket to a new thread with its own ring.
void ThreadServer::startConnection(const AcceptedClient& client)
{
    const std::uint32_t id = m_nextId++;
    const std::int64_t nowNs = monotonicNs();
    m_counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t active = m_counters.activeConnections.fetch_add(1, std::memory_order_relaxed) + 1;
    m_recorder.record(nowNs, EventKind::ConnectionAccepted, id, ConnectionState::None, ConnectionState::Accepted,
                      client.peerPort, client.peerAddress);
    if (active > m_config.maxConnections)
        return refuse(client.fd, id, CloseReason::TooManyConnections);
    unsigned number = 0;
    ProducerRing* ring = m_recorder.acquireProducer(number);
    if (!ring)
        return refuse(client.fd, id, CloseReason::TooManyConnections); // no ring left to record into
    m_registry.add(client.fd);
    try {
        m_threads.emplace(id, std::thread(&ThreadServer::serveOnThread, this, ring, number, client.fd, id, nowNs));
    } catch (const std::system_error&) {
        // The system would not start another thread: the client is turned away like one over the limit.
        m_recorder.releaseProducer(number, monotonicNs());
        m_recorder.record(monotonicNs(), EventKind::ConnectionClosed, id, ConnectionState::Accepted,
                          ConnectionState::Closed, std::uint64_t(CloseReason::TooManyConnections), 0);
        m_registry.close(client.fd);
        m_counters.activeConnections.fetch_sub(1, std::memory_order_relaxed);
    }
}

void ThreadServer::refuse(int fd, std::uint32_t id, CloseReason reason)
{
    m_recorder.record(monotonicNs(), EventKind::ConnectionClosed, id, ConnectionState::Accepted,
                      ConnectionState::Closed, std::uint64_t(reason), 0);
    ::close(fd);
    m_counters.activeConnections.fetch_sub(1, std::memory_order_relaxed);
}

// One connection's thread, from start to exit.
void ThreadServer::serveOnThread(ProducerRing* ring, unsigned number, int fd, std::uint32_t id,
                                 std::int64_t acceptedNs)
{
    const std::uint8_t thread = threadField(number);
    ring->record(monotonicNs(), EventKind::ThreadStarted, 0, ConnectionState::None, ConnectionState::None,
                 number, id, thread);
    BlockingConnection connection(m_shared, {*ring, thread, false}, fd, id, acceptedNs);
    connection.serve();
    if (connection.closeReason() == CloseReason::ServerStopping)
        m_closedByStop.fetch_add(1);
    const std::int64_t end = monotonicNs();
    ring->record(end, EventKind::ThreadExited, 0, ConnectionState::None, ConnectionState::None, number, id,
                 thread);
    m_recorder.releaseProducer(number, end);
    std::lock_guard lock(m_finishedMutex);
    m_finished.push_back(id);
}

void ThreadServer::joinFinished()
{
    std::vector<std::uint32_t> finished;
    {
        std::lock_guard lock(m_finishedMutex);
        finished.swap(m_finished);
    }
    for (std::uint32_t id : finished) {
        auto it = m_threads.find(id);
        it->second.join();
        m_threads.erase(it);
    }
}

void ThreadServer::joinAll()
{
    for (auto& [id, thread] : m_threads)
        thread.join();
    m_threads.clear();
    std::lock_guard lock(m_finishedMutex);
    m_finished.clear();
}

} // namespace loopscope
