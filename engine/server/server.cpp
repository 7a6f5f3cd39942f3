#include "server/server.h"

#include "core/clock.h"
#include "core/recorder.h"
#include "server/blocking_server.h"
#include "server/event_loop.h"
#include "server/thread_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>

namespace loopscope {

namespace {

// Opens the document root as a directory handle, or says in one sentence what is wrong.
int openRoot(const std::string& root, std::string& error)
{
    if (root.empty()) {
        error = "No document root was given; choose a folder to serve.";
        return -1;
    }
    struct stat st{};
    if (::stat(root.c_str(), &st) != 0) {
        const int e = errno;
        error = e == ENOENT ? "The document root " + root + " does not exist; choose an existing folder."
              : e == EACCES ? "Permission denied reading the document root " + root
                              + "; choose a folder you can read."
                            : "Cannot use the document root " + root + ": " + std::strerror(e) + ".";
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        error = "The document root " + root + " is not a folder; choose a folder to serve.";
        return -1;
    }
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        error = "Cannot open the document root " + root + ": " + std::strerror(errno)
                + "; choose a folder you can read.";
    return fd;
}

std::string bindError(int e, const ServerConfig& config)
{
    const std::string where = config.bindAddress + ":" + std::to_string(config.port);
    switch (e) {
    case EADDRINUSE:
        return "Port " + std::to_string(config.port) + " on " + config.bindAddress
               + " is already in use; stop the program using it or choose another port.";
    case EACCES:
        return "Permission denied listening on " + where + "; choose a port above 1023.";
    case EADDRNOTAVAIL:
        return "The address " + config.bindAddress
               + " does not belong to this machine; bind to 127.0.0.1 or one of its own addresses.";
    default:
        return "Cannot listen on " + where + ": " + std::strerror(e) + ".";
    }
}

// Creates the non-blocking listening socket, or says in one sentence what is wrong.
int openListener(const ServerConfig& config, std::string& error)
{
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(config.port);
    if (::inet_pton(AF_INET, config.bindAddress.c_str(), &addr.sin_addr) != 1) {
        error = "'" + config.bindAddress + "' is not an IPv4 address; use for example 127.0.0.1 or 0.0.0.0.";
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("Cannot create a socket: ") + std::strerror(errno) + ".";
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (config.deferAccept) {
        const int seconds = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4096) != 0) {
        error = bindError(errno, config);
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t boundPort(int fd)
{
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

std::unique_ptr<ServerModelRunner> makeRunner(const ServerConfig& config, int listenFd, int rootFd,
                                              Recorder& recorder, LoopCounters& counters,
                                              LoopControls& controls, std::uint32_t firstConnectionId)
{
    switch (config.model) {
    case ServerModel::Blocking:
        return std::make_unique<BlockingServer>(config, listenFd, rootFd, recorder, counters, firstConnectionId);
    case ServerModel::Threads:
        return std::make_unique<ThreadServer>(config, listenFd, rootFd, recorder, counters, firstConnectionId);
    case ServerModel::EventLoop:
        break;
    }
    return std::make_unique<EventLoop>(config, listenFd, rootFd, recorder, counters, controls,
                                       firstConnectionId);
}

} // namespace

const char* toString(ServerModel model)
{
    switch (model) {
    case ServerModel::EventLoop: return "eventloop";
    case ServerModel::Blocking: return "blocking";
    case ServerModel::Threads: return "threads";
    }
    return "eventloop";
}

bool parseServerModel(std::string_view name, ServerModel& out)
{
    for (ServerModel m : {ServerModel::EventLoop, ServerModel::Blocking, ServerModel::Threads}) {
        if (name == toString(m)) {
            out = m;
            return true;
        }
    }
    return false;
}

const char* serverModelNames()
{
    return "eventloop, blocking or threads";
}

struct Server::Impl {
    explicit Impl(Recorder* r) : recorder(r ? r : &disabled) {}

    Recorder disabled{2, false};
    Recorder* recorder;
    std::mutex mutex; // serialises start() and stop()
    std::unique_ptr<ServerModelRunner> loop; // the model serving now
    std::thread thread;
    std::atomic<std::uint16_t> port{0};
    std::uint32_t nextConnectionId = 1; // ids stay unique across restarts of one Server
    LoopCounters counters;
    LoopControls controls;
    std::atomic<ServerModel> model{ServerModel::EventLoop};
};

Server::Server(Recorder* recorder)
    : m_impl(std::make_unique<Impl>(recorder))
{
}

Server::~Server()
{
    stop();
}

StartResult Server::start(const ServerConfig& config)
{
    std::lock_guard lock(m_impl->mutex);
    if (m_impl->loop)
        return {false, "The server is already running on port " + std::to_string(m_impl->port.load())
                           + "; stop it before starting it again."};
    StartResult result;
    const int rootFd = openRoot(config.root, result.error);
    if (rootFd < 0)
        return result;
    const int listenFd = openListener(config, result.error);
    if (listenFd < 0) {
        ::close(rootFd);
        return result;
    }
    const std::uint16_t port = boundPort(listenFd);
    auto loop = makeRunner(config, listenFd, rootFd, *m_impl->recorder, m_impl->counters,
                           m_impl->controls, m_impl->nextConnectionId);
    if (const int rc = loop->open(); rc != 0)
        return {false, std::string("Cannot start the ") + toString(config.model) + " server: "
                           + std::strerror(-rc) + "."};
    m_impl->loop = std::move(loop);
    m_impl->model = config.model;
    m_impl->port = port;
    // The main ring is busy while the server's main thread runs (the blocking models mark their
    // own waits idle), so a consumer merging rings never passes it by.
    m_impl->recorder->mainProducer().markBusy();
    m_impl->thread = std::thread([loop = m_impl->loop.get(), recorder = m_impl->recorder] {
        loop->run();
        recorder->mainProducer().markIdle(monotonicNs());
    });
    return {true, {}};
}

void Server::stop()
{
    std::lock_guard lock(m_impl->mutex);
    if (!m_impl->loop)
        return;
    m_impl->loop->wake();
    m_impl->thread.join();
    m_impl->controls.stepMode = false; // step mode belongs to the loop that just stopped
    m_impl->nextConnectionId = m_impl->loop->nextConnectionId();
    m_impl->loop.reset(); // closes the listener, epoll, eventfds and the root
    m_impl->port = 0;
}

bool Server::isRunning() const
{
    return m_impl->port.load() != 0;
}

std::uint16_t Server::port() const
{
    return m_impl->port.load();
}

ServerModel Server::model() const
{
    return isRunning() ? m_impl->model.load() : ServerModel::EventLoop;
}

// Why step mode is not possible now, or empty.
static std::string stepRefusal(const Server& server)
{
    if (!server.isRunning())
        return "The server is not running; start it before pausing its loop.";
    if (server.model() != ServerModel::EventLoop)
        return std::string("Only the event-loop model can pause between epoll_wait calls; the ")
               + toString(server.model()) + " model has no single loop to step.";
    return {};
}

std::string Server::setStepMode(bool on)
{
    std::lock_guard lock(m_impl->mutex); // the loop stays as it is while we nudge it
    if (std::string why = stepRefusal(*this); !why.empty())
        return on ? why : std::string();
    m_impl->controls.stepMode.store(on, std::memory_order_release);
    m_impl->loop->nudge();
    return {};
}

std::string Server::step()
{
    std::lock_guard lock(m_impl->mutex);
    if (std::string why = stepRefusal(*this); !why.empty())
        return why;
    if (!m_impl->controls.stepMode.load(std::memory_order_acquire))
        return "The loop is running freely; pause it before stepping.";
    m_impl->controls.stepsAsked.fetch_add(1, std::memory_order_acq_rel);
    m_impl->loop->nudge();
    return {};
}

bool Server::stepMode() const
{
    return m_impl->controls.stepMode.load(std::memory_order_acquire);
}

void Server::setLoopBreaks(const LoopBreaks& breaks)
{
    m_impl->controls.syncDisk.store(breaks.syncDisk, std::memory_order_relaxed);
    m_impl->controls.cpuMsPerRequest.store(breaks.cpuMsPerRequest, std::memory_order_relaxed);
}

LoopBreaks Server::loopBreaks() const
{
    return {m_impl->controls.syncDisk.load(std::memory_order_relaxed),
            m_impl->controls.cpuMsPerRequest.load(std::memory_order_relaxed)};
}

bool parseLoopBreaks(std::string_view text, LoopBreaks& out, std::string& error)
{
    constexpr unsigned kMaxCpuMs = 10'000;
    while (true) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        if (item == "sync-disk") {
            out.syncDisk = true;
        } else if (item.starts_with("cpu=")) {
            const std::string_view digits = item.substr(4);
            unsigned ms = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
            if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || ms == 0
                || ms > kMaxCpuMs) {
                error = "'" + std::string(item) + "' is not a CPU time: use cpu=MS with MS from 1 to "
                        + std::to_string(kMaxCpuMs) + ".";
                return false;
            }
            out.cpuMsPerRequest = ms;
        } else {
            error = "'" + std::string(item) + "' is not a way to break the loop: use sync-disk or cpu=MS.";
            return false;
        }
        if (comma == std::string_view::npos)
            return true;
        text.remove_prefix(comma + 1);
    }
}

ServerStats Server::stats() const
{
    ServerStats s;
    s.connectionsAccepted = m_impl->counters.connectionsAccepted.load(std::memory_order_relaxed);
    s.requestsServed = m_impl->counters.requestsServed.load(std::memory_order_relaxed);
    s.activeConnections = m_impl->counters.activeConnections.load(std::memory_order_relaxed);
    return s;
}

} // namespace loopscope
