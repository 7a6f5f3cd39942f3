// Server: the event-loop HTTP/1.1 static-file server that records every step.
//
// Contract: start() and stop() may be called from any thread, any number of times, in any order.
// start() binds and listens on the calling thread (so its errors are reported synchronously as
// one clear sentence) and then runs the loop on a new engine thread; stop() wakes the loop, which
// closes every connection, and joins the engine thread and the disk workers, releasing every fd.
// The loop thread is the only producer of the Recorder passed in (which must outlive the server);
// it never blocks except in epoll_wait.
#pragma once

#include "http/request.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace loopscope {

class Recorder;

struct ServerConfig {
    std::string root;                       // document root (must be an existing directory)
    std::string bindAddress = "127.0.0.1";  // IPv4 address to listen on
    std::uint16_t port = 8080;              // 0 picks an ephemeral port (see Server::port())
    ParserLimits limits;
    std::chrono::milliseconds headerTimeout{10'000};   // first byte to complete head
    std::chrono::milliseconds keepAliveTimeout{5'000}; // idle between requests
    unsigned maxConnections = 10'000;
    unsigned diskWorkers = 2;
    std::chrono::milliseconds acceptPause{100}; // after EMFILE/ENFILE
    // Open-file cache: files up to 256 KiB read by a disk worker are served from memory for this
    // long afterwards (recorded as FileCacheHit). Off: every request goes to a disk worker.
    bool fileCache = true;
    std::size_t fileCacheBytes = 32u << 20;
    std::chrono::milliseconds fileCacheValidity{1'000};
};

struct StartResult {
    bool ok = false;
    std::string error; // one sentence: what is wrong and what to do
};

// Counters a caller can read at any time (relaxed; for status lines and tests).
struct ServerStats {
    std::uint64_t connectionsAccepted = 0;
    std::uint64_t requestsServed = 0;
    std::uint64_t activeConnections = 0;
};

class Server {
public:
    explicit Server(Recorder* recorder = nullptr);
    ~Server(); // stops if running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    StartResult start(const ServerConfig& config);
    void stop();
    bool isRunning() const;
    std::uint16_t port() const; // the bound port while running, else 0
    ServerStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace loopscope
