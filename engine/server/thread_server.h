// ThreadServer: the thread-per-connection model. An acceptor thread (the engine loop lane:
// its waits in accept are LoopPollBegin/LoopPollEnd) records each connection as accepted and
// starts one thread for it; that thread serves the connection with blocking I/O, as
// BlockingConnection does, recording into a ring of its own (ThreadStarted first, ThreadExited
// last, every record carrying its number in `thread`) and exits when the connection closes.
// At most max-connections threads run at once (more clients are accepted and closed at once,
// as the event loop does), and at most as many as the Recorder has rings (Recorder::kMaxProducers).
//
// Finished threads are joined by the acceptor the next time it accepts, and all of them by stop.
#pragma once

#include "server/blocking_model.h"

#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loopscope {

class Recorder;

class ThreadServer : public BlockingModel {
public:
    // Takes ownership of the listening socket and the root directory fd.
    ThreadServer(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
                 LoopCounters& counters, std::uint32_t firstConnectionId);
    ~ThreadServer() override;

    void run() override;

private:
    void startConnection(const AcceptedClient& client);
    void refuse(int fd, std::uint32_t id, CloseReason reason);
    void serveOnThread(ProducerRing* ring, unsigned number, int fd, std::uint32_t id, std::int64_t acceptedNs);
    void joinFinished();
    void joinAll();


    std::unordered_map<std::uint32_t, std::thread> m_threads; // by connection id; acceptor only
    std::mutex m_finishedMutex;
    std::vector<std::uint32_t> m_finished; // connection ids whose thread is about to exit
    std::atomic<std::uint64_t> m_closedByStop{0};
};

} // namespace loopscope
