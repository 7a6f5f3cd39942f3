#include "load/load_generator.h"

#include "core/clock.h"
#include "load/load_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <thread>

namespace loopscope {

const char* toString(LoadError error)
{
    switch (error) {
    case LoadError::ConnectFailed: return "connect failed";
    case LoadError::Reset: return "reset";
    case LoadError::Timeout: return "timeout";
    case LoadError::Malformed: return "malformed response";
    }
    return "error";
}

std::uint64_t LoadCounts::errorTotal() const
{
    return std::accumulate(errors.begin(), errors.end(), std::uint64_t(0));
}

struct LoadGenerator::Impl {
    std::thread thread;
    int epoll = -1;
    int wake = -1;
    std::atomic<bool> stopRequested{false};
    LoadShared shared;
    LoadPlan plan; // the loop reads it; it does not change while the thread runs

    bool openFds(std::string& error);
    void closeFds();
};

bool LoadGenerator::Impl::openFds(std::string& error)
{
    epoll = epoll_create1(EPOLL_CLOEXEC);
    wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = UINT64_MAX; // the loop's wake token
    if (epoll < 0 || wake < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &ev) != 0) {
        error = std::string("The load generator could not create its event loop (") + std::strerror(errno)
                + "); close some programs or files and try again.";
        closeFds();
        return false;
    }
    return true;
}

void LoadGenerator::Impl::closeFds()
{
    if (epoll >= 0)
        close(epoll);
    if (wake >= 0)
        close(wake);
    epoll = wake = -1;
}

LoadGenerator::LoadGenerator()
    : m_impl(std::make_unique<Impl>())
{
}

LoadGenerator::~LoadGenerator()
{
    stop();
}

bool LoadGenerator::start(const LoadPlan& plan, std::string& error)
{
    stop();
    error = validate(plan);
    if (!error.empty())
        return false;
    Impl& d = *m_impl;
    if (!d.openFds(error))
        return false;
    d.plan = plan;
    d.stopRequested = false;
    {
        std::lock_guard lock(d.shared.mutex);
        d.shared.snapshot = LoadSnapshot();
        d.shared.snapshot.running = true;
        d.shared.snapshot.startedNs = monotonicNs();
        d.shared.latency.clear();
    }
    d.thread = std::thread([&d] {
        LoadLoop loop(d.plan, d.epoll, d.wake, d.stopRequested, d.shared);
        loop.run();
    });
    return true;
}

void LoadGenerator::stop()
{
    Impl& d = *m_impl;
    if (!d.thread.joinable())
        return;
    d.stopRequested = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t r = write(d.wake, &one, sizeof one);
    d.thread.join();
    d.closeFds();
}

bool LoadGenerator::isRunning() const
{
    std::lock_guard lock(m_impl->shared.mutex);
    return m_impl->shared.snapshot.running;
}

bool LoadGenerator::waitUntilFinished(std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(m_impl->shared.mutex);
    return m_impl->shared.finishedChanged.wait_for(lock, timeout, [this] { return m_impl->shared.snapshot.finished; });
}

LoadSnapshot LoadGenerator::snapshot() const
{
    std::lock_guard lock(m_impl->shared.mutex);
    return m_impl->shared.snapshot;
}

LoadReport LoadGenerator::report() const
{
    std::lock_guard lock(m_impl->shared.mutex);
    return {m_impl->shared.snapshot, m_impl->shared.latency};
}

LoadPlan singlePhasePlan(const LoadUrl& target, const LoadSettings& settings, double durationSeconds, std::string name)
{
    LoadPlan plan;
    plan.target = target;
    plan.phases.push_back({std::move(name), durationSeconds, settings});
    return plan;
}

} // namespace loopscope
