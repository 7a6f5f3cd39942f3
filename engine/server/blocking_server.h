// BlockingServer: the model the event loop is explained against. One thread accepts a
// connection, serves it to the end (keep-alive requests included) with blocking recv, send and
// file reads, and only then accepts the next; everyone else waits in the listen backlog. Its
// waits for a client or for input are the engine loop lane's LoopPollBegin/LoopPollEnd, so the
// timeline shows the one thread blocked while connections queue up.
#pragma once

#include "server/blocking_model.h"

namespace loopscope {

class Recorder;

class BlockingServer : public BlockingModel {
public:
    // Takes ownership of the listening socket and the root directory fd.
    BlockingServer(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                   LoopCounters& counters, std::uint32_t firstConnectionId);

    void run() override;

private:
    void serveOne(const AcceptedClient& client);

    std::uint64_t m_closedByStop = 0;
};

} // namespace loopscope
