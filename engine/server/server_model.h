// ServerModelRunner: what Server drives, whichever model serves (see ServerModel in server.h).
//
// Contract: open() prepares everything that can fail (on the thread calling Server::start, so
// errors are reported synchronously); run() serves on the server's main thread until wake() is
// called from any other thread, then closes every connection, joins every thread it started and
// records ServerStopped. nudge() never stops it. The runner owns the listening socket and the root directory fd it is
// given and closes them when destroyed.
#pragma once

#include <atomic>
#include <cstdint>

namespace loopscope {

// What other threads change while the event loop serves: its step mode and the switches that
// break it on purpose (see Server::setStepMode, Server::setLoopBreaks). The loop reads them once
// per iteration; the other models ignore them.
struct LoopControls {
    std::atomic<bool> stepMode{false};
    std::atomic<std::uint64_t> stepsAsked{0};  // steps asked for since the Server was made
    std::atomic<bool> syncDisk{false};         // read files on the loop thread
    std::atomic<std::uint32_t> cpuMsPerRequest{0}; // CPU burnt on the loop thread per response
};

struct LoopCounters {
    std::atomic<std::uint64_t> connectionsAccepted{0};
    std::atomic<std::uint64_t> requestsServed{0};
    std::atomic<std::uint64_t> activeConnections{0};
};

class ServerModelRunner {
public:
    virtual ~ServerModelRunner() = default;
    virtual int open() = 0; // 0 or -errno
    virtual void run() = 0;
    virtual void wake() = 0;
    // From any thread: the LoopControls changed (a step was asked for, step mode ended); a
    // model that waits for them re-reads them now. The others need not.
    virtual void nudge() {}
    virtual std::uint32_t nextConnectionId() const = 0;
};

} // namespace loopscope
