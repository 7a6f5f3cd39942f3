// Server: the HTTP/1.1 static-file server that records every step, served by one of three
// models (ServerModel): the epoll event loop (the default), a blocking server that serves one
// connection at a time, or a thread per connection. All three answer the same bytes and record
// the same steps; only who waits where differs.
//
// Contract: start() and stop() may be called from any thread, any number of times, in any order.
// start() binds and listens on the calling thread (so its errors are reported synchronously as
// one clear sentence) and then runs the loop on a new engine thread; stop() wakes the loop, which
// closes every connection, and joins the engine thread and the disk workers, releasing every fd.
// The server's main thread writes the Recorder's main ring (which must outlive the server); the
// thread-per-connection model's threads take rings of their own. The event loop never blocks
// except in epoll_wait (unless its "synchronous disk" or "CPU per request" switch is on: those
// break it on purpose, to show what blocking the loop does).
//
// Step mode and the switches may be set from any thread at any time. Step mode belongs to the
// serving event loop: it needs a running event-loop server and ends when the server stops. The
// switches are remembered across stops and starts and apply to the event-loop model only.
#pragma once

#include "http/request.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loopscope {

class Recorder;

enum class ServerModel : std::uint8_t {
    EventLoop = 0, // one epoll loop, disk work on a few worker threads (the seed)
    Blocking = 1,  // one thread, one connection at a time, blocking I/O
    Threads = 2,   // an acceptor and one thread per connection, blocking I/O
};

// "eventloop", "blocking", "threads": the names --model and the GUI use.
const char* toString(ServerModel model);
// Parses one of those names; false if it is none of them.
bool parseServerModel(std::string_view name, ServerModel& out);
// "eventloop, blocking or threads", for error messages.
const char* serverModelNames();

struct ServerConfig {
    ServerModel model = ServerModel::EventLoop;
    std::string root;                       // document root (must be an existing directory)
    std::string bindAddress = "127.0.0.1";  // IPv4 address to listen on
    std::uint16_t port = 8080;              // 0 picks an ephemeral port (see Server::port())
    ParserLimits limits;
    std::chrono::milliseconds headerTimeout{10'000};   // first byte to complete head
    std::chrono::milliseconds keepAliveTimeout{5'000}; // idle between requests
    unsigned maxConnections = 10'000;
    unsigned diskWorkers = 2;               // event loop only: the others read on their own thread
    std::chrono::milliseconds acceptPause{100}; // after EMFILE/ENFILE
    // Open-file cache: a file a disk worker opened is served without one for this long
    // afterwards (recorded as FileCacheHit): up to 16 KiB from memory, bigger ones with sendfile
    // from an open descriptor (see FileCache). Off: every request goes to a disk worker.
    // Event loop only.
    bool fileCache = true;
    std::size_t fileCacheBytes = 32u << 20;
    std::chrono::milliseconds fileCacheValidity{1'000};
    // TCP_DEFER_ACCEPT on the listening socket (h2o's default, nginx's `listen ... deferred`):
    // the kernel hands a connection to accept() only once its first bytes arrived (or after about
    // a second), which saves a wake-up per connection: accept, read, respond, instead of accept,
    // a read that finds nothing, epoll_ctl, a second wake-up and the read. On by default, as in
    // h2o; the price is that a client that connects and says nothing (`nc` before typing, a
    // browser's preconnect) is seen about a second late. Slow clients that send their request a
    // byte at a time are accepted with their first byte, so that demo is unchanged.
    bool deferAccept = true;
};

// Switches that break the event loop on purpose (loopscope-server --break, the window's Loop panel).
struct LoopBreaks {
    bool syncDisk = false;    // the loop reads files itself instead of the disk workers
    unsigned cpuMsPerRequest = 0; // ms of the loop thread's CPU burnt before each response
};
// Parses --break values: "sync-disk", "cpu=MS", or a comma list of them, into `out` (adding to
// what it holds). On a bad value returns false and says why in one sentence.
bool parseLoopBreaks(std::string_view text, LoopBreaks& out, std::string& error);

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
    ServerModel model() const; // of the running server (EventLoop while stopped)

    // Step mode: the event loop pauses between epoll_wait calls and runs one iteration per
    // step(). Each returns an empty string, or one sentence saying why it cannot (not running,
    // another model, not paused). setStepMode(false) lets the loop run freely again.
    std::string setStepMode(bool on);
    std::string step();
    bool stepMode() const;

    void setLoopBreaks(const LoopBreaks& breaks);
    LoopBreaks loopBreaks() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace loopscope
