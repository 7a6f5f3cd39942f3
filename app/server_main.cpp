// loopscope-server: the headless program. Serves a folder, records every step, and on SIGINT,
// SIGTERM or after --duration writes the trace and exits.
//
// Threads: the server's own (the event loop and its disk workers, or the blocking server's one
// thread, or an acceptor and a thread per connection), and this main thread, which drains the
// recorder every few milliseconds (one stream merged by time from every producer thread's ring) straight into the streaming trace writer (so a long run never
// holds its whole recording in memory) and waits for the stop signal with sigtimedwait.
#include "cli_options.h"

#include "core/clock.h"
#include "core/recorder.h"
#include "server/server.h"
#include "trace/trace_sink.h"

#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

using namespace loopscope;

namespace {

constexpr std::size_t kDrainBatch = 64 * 1024;
constexpr long kDrainPeriodNs = 5'000'000; // 5 ms: the ring (1M records) never fills at any sane rate

struct Totals {
    std::uint64_t events = 0;
};

void drainInto(Recorder& recorder, TraceSink* sink, std::vector<EventRecord>& batch, Totals& totals)
{
    for (;;) {
        const std::size_t n = recorder.drain(batch.data(), batch.size());
        if (n == 0)
            return;
        totals.events += n;
        if (sink)
            sink->write(batch.data(), n);
    }
}

// Waits up to one drain period for SIGINT/SIGTERM; returns true if one arrived.
bool stopSignalArrived(const sigset_t& signals)
{
    const timespec period{0, kDrainPeriodNs};
    return sigtimedwait(&signals, nullptr, &period) > 0;
}

int fail(const std::string& message, int code)
{
    std::fprintf(stderr, "loopscope-server: %s\n", message.c_str());
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    std::string error;
    const auto options = parseServerOptions({argv + 1, argv + argc}, error);
    if (!options)
        return fail(error, 2);
    if (options->help) {
        std::fputs(serverUsage().c_str(), stdout);
        return 0;
    }

    // Block the stop signals before any thread starts, so only sigtimedwait below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    Recorder recorder(Recorder::kDefaultCapacity, options->record);
    TraceInfo info;
    info.documentRoot = options->config.root;
    std::unique_ptr<TraceSink> sink;
    if (!options->tracePath.empty()) {
        TraceFormat format;
        traceFormatForPath(options->tracePath, format);
        sink = openTraceSink(options->tracePath, format, info, error);
        if (!sink)
            return fail(error, 1);
    }

    Server server(&recorder);
    server.setLoopBreaks(options->breaks);
    const StartResult started = server.start(options->config);
    if (!started.ok)
        return fail(started.error, 1);
    info.listenAddress = options->config.bindAddress + ":" + std::to_string(server.port());
    if (!options->quiet)
        std::printf("loopscope-server: serving %s at http://%s/ (%s model)%s; press Ctrl+C to stop.\n",
                    options->config.root.c_str(), info.listenAddress.c_str(), toString(options->config.model),
                    options->tracePath.empty() ? "" : (" (recording to " + options->tracePath + ")").c_str());
    if (!options->quiet && (options->breaks.syncDisk || options->breaks.cpuMsPerRequest > 0))
        std::printf("loopscope-server: the loop is broken on purpose:%s%s.\n",
                    options->breaks.syncDisk ? " it reads files itself" : "",
                    options->breaks.cpuMsPerRequest > 0
                        ? (std::string(options->breaks.syncDisk ? "," : "") + " it burns "
                           + std::to_string(options->breaks.cpuMsPerRequest) + " ms of CPU per response").c_str()
                        : "");
    std::fflush(stdout);

    std::vector<EventRecord> batch(kDrainBatch);
    Totals totals;
    const std::int64_t endNs = options->durationSeconds > 0
        ? monotonicNs() + std::int64_t(options->durationSeconds * 1e9) : INT64_MAX;
    while (!stopSignalArrived(signals) && monotonicNs() < endNs)
        drainInto(recorder, sink.get(), batch, totals);

    const ServerStats stats = server.stats();
    server.stop();
    drainInto(recorder, sink.get(), batch, totals);
    info.droppedRecords = recorder.droppedTotal();
    if (sink && !sink->finish(info, error))
        return fail(error, 1);
    if (!options->quiet) {
        std::printf("loopscope-server: served %llu requests on %llu connections; recorded %llu events"
                    " (%llu dropped)%s%s\n",
                    (unsigned long long)stats.requestsServed, (unsigned long long)stats.connectionsAccepted,
                    (unsigned long long)totals.events, (unsigned long long)info.droppedRecords,
                    options->tracePath.empty() ? "" : "; trace written to ",
                    options->tracePath.c_str());
    }
    return 0;
}
