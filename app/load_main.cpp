// loopscope-load: the built-in traffic generator, headless. Runs one phase of load against a
// URL until SIGINT/SIGTERM, --duration or the --requests budget, then prints a summary.
//
// Threads: the generator's own client loop, and this main thread, which waits for the stop
// signal with sigtimedwait (the signals are blocked in every thread) and polls whether the run
// has finished by itself.
#include "load_options.h"

#include "load/load_generator.h"

#include <csignal>
#include <cstdio>
#include <ctime>

using namespace loopscope;

namespace {

constexpr long kPollPeriodNs = 100'000'000; // how quickly a finished run is noticed

bool stopSignalArrived(const sigset_t& signals)
{
    const timespec period{0, kPollPeriodNs};
    return sigtimedwait(&signals, nullptr, &period) > 0;
}

double millis(std::int64_t ns)
{
    return double(ns) / 1e6;
}

void printSummary(const LoadReport& report)
{
    const LoadSnapshot& s = report.snapshot;
    const LoadCounts& c = s.counts;
    const double seconds = double(s.elapsedNs) / 1e9;
    const double perSecond = seconds > 0 ? double(c.responses) / seconds : 0;
    const double mbPerSecond = seconds > 0 ? double(c.bytesReceived) / 1e6 / seconds : 0;
    std::printf("requests done: %llu in %.2f s (%.1f requests/s, %.2f MB/s received), %llu connections\n",
                (unsigned long long)c.responses, seconds, perSecond, mbPerSecond,
                (unsigned long long)c.connectionsOpened);
    std::printf("status: 2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu, other %llu\n",
                (unsigned long long)c.status(2), (unsigned long long)c.status(3), (unsigned long long)c.status(4),
                (unsigned long long)c.status(5), (unsigned long long)(c.status(0) + c.status(1)));
    std::printf("errors: %llu (connect failed %llu, reset %llu, timeout %llu, malformed response %llu);"
                " %llu in flight at the end\n",
                (unsigned long long)c.errorTotal(), (unsigned long long)c.errors[0], (unsigned long long)c.errors[1],
                (unsigned long long)c.errors[2], (unsigned long long)c.errors[3], (unsigned long long)c.abandoned);
    const LatencyHistogram& h = report.latency;
    std::printf("latency: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", millis(h.percentileNs(0.5)),
                millis(h.percentileNs(0.9)), millis(h.percentileNs(0.99)), millis(h.maxNs()));
}

} // namespace

int main(int argc, char** argv)
{
    std::string error;
    const auto options = parseLoadOptions({argv + 1, argv + argc}, error);
    if (!options) {
        std::fprintf(stderr, "loopscope-load: %s\n", error.c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(loadUsage().c_str(), stdout);
        return 0;
    }
    // Block the stop signals before the generator's thread starts, so only sigtimedwait gets them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    LoadGenerator generator;
    if (!generator.start(singlePhasePlan(options->url, options->settings, options->durationSeconds), error)) {
        std::fprintf(stderr, "loopscope-load: %s\n", error.c_str());
        return 1;
    }
    std::printf("loopscope-load: sending to %s; press Ctrl+C to stop.\n", options->url.text().c_str());
    std::fflush(stdout);
    while (generator.isRunning() && !stopSignalArrived(signals)) {
    }
    generator.stop();
    const LoadReport report = generator.report();
    if (!report.snapshot.failure.empty()) {
        std::fprintf(stderr, "loopscope-load: %s\n", report.snapshot.failure.c_str());
        printSummary(report);
        return 1;
    }
    printSummary(report);
    return 0;
}
