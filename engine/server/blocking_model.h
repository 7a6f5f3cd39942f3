// BlockingModel: what the two blocking-I/O server models (BlockingServer, ThreadServer) share:
// their configuration, document root, recorder and counters, the acceptor that waits in accept,
// the registry stop() uses to shut every connection's socket, and the connection ids. open()
// and wake() are the same for both; each model's run() decides who serves an accepted client.
#pragma once

#include "core/recorder.h"
#include "server/blocking_acceptor.h"
#include "server/blocking_connection.h"
#include "server/server_model.h"

namespace loopscope {

class BlockingModel : public ServerModelRunner {
public:
    int open() override { return m_acceptor.open(); }
    void wake() override
    {
        m_acceptor.wake();
        m_registry.shutdownAll();
    }
    std::uint32_t nextConnectionId() const override { return m_nextId; }

protected:
    // Takes ownership of the listening socket and the root directory fd.
    BlockingModel(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder, LoopCounters& counters,
                  std::uint32_t firstConnectionId)
        : m_config(config)
        , m_root(rootFd)
        , m_recorder(recorder)
        , m_counters(counters)
        , m_acceptor(listenFd, m_config, recorder.mainProducer())
        , m_shared{m_config, m_root.get(), m_counters, m_registry, m_acceptor.stoppingFlag()}
        , m_nextId(firstConnectionId)
    {
    }

    ServerConfig m_config;
    FileDescriptor m_root;
    Recorder& m_recorder;
    LoopCounters& m_counters;
    BlockingAcceptor m_acceptor;
    ConnectionRegistry m_registry;
    BlockingServerShared m_shared;
    std::uint32_t m_nextId;
};

} // namespace loopscope
