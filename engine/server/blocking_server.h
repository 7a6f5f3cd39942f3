// BlockingServer: the model the event loop is explained against. One thread accepts a
// connection, serves it to the end (keep-alive requests included) with blocking recv, send and
// file reads, and only then accepts the next; everyone else waits in the listen backlog. Its
// waits for a client or for input are the engine loop lane's LoopPollBegin/LoopPollEnd, so the
// timeline shows the one thread blocked while connections queue up.
#pragma once

#include "server/blocking_acceptor.h"
#include "server/blocking_connection.h"
#include "server/server_model.h"

namespace loopscope {

class Recorder;

class BlockingServer : public ServerModelRunner {
public:
    // Takes ownership of the listening socket and the root directory fd.
    BlockingServer(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                   LoopCounters& counters, std::uint32_t firstConnectionId);

    int open() override;
    void run() override;
    void wake() override;
    std::uint32_t nextConnectionId() const override { return m_nextId; }

private:
    void serveOne(const AcceptedClient& client);

    ServerConfig m_config;
    FileDescriptor m_root;
    Recorder& m_recorder;
    LoopCounters& m_counters;
    BlockingAcceptor m_acceptor;
    ConnectionRegistry m_registry;
    BlockingServerShared m_shared;
    std::uint32_t m_nextId;
    std::uint64_t m_closedByStop = 0;
};

} // namespace loopscope
