// ServerModelRunner: what Server drives, whichever model serves (see ServerModel in server.h).
//
// Contract: open() prepares everything that can fail (on the thread calling Server::start, so
// errors are reported synchronously); run() serves on the server's main thread until wake() is
// called from any other thread, then closes every connection, joins every thread it started and
// records ServerStopped. The runner owns the listening socket and the root directory fd it is
// given and closes them when destroyed.
#pragma once

#include <atomic>
#include <cstdint>

namespace loopscope {

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
    virtual std::uint32_t nextConnectionId() const = 0;
};

} // namespace loopscope
