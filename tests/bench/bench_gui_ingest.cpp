// bench_gui_ingest: how fast the window takes in a live recording, and what a stored event costs.
//
// 1. Live ingest. A producer thread plays an engine: it records realistic traffic (64 concurrent
//    connections, keep-alive and close, disk reads and cache hits, request targets as RequestText,
//    LoopPollBegin/End around every dispatch round) into a Recorder with the default ring
//    (Recorder::kDefaultCapacity), paced in 1 ms batches at a fixed target rate, with real
//    CLOCK_MONOTONIC timestamps. Meanwhile the GUI thread runs what the window runs: the real
//    TraceConsumer (start(16)) into a TraceStore of the window's default capacity (so eviction
//    happens, as in a long session), with TimelineModel, StatsModel and EventTableModel as sinks,
//    and a TimelineView (1600x1000, follow-live, shown offscreen) refreshed on every append.
//    Per target rate it reports the engine records moved into the store per second, the drops
//    (Recorder::droppedTotal), the GUI tick (time in drainNow: the consumer's own GuiWork Drain
//    record) p50/p99/max, the paint p50/p99 and the GUI thread's busy share (drains + paints).
// 2. Memory per stored event. In a child process each (so one configuration's heap does not hide
//    the next one's), 10 million events of the same traffic are appended to a TraceStore large
//    enough to keep them all, in 64K batches, with the same sinks (and, for the breakdown, with
//    each sink alone and none). Reports (VmRSS after - VmRSS before) / events and the store's
//    memoryBytes() / events.
//
// Run:  build-ingest/tests/bench/bench_gui_ingest                       (both parts)
//       build-ingest/tests/bench/bench_gui_ingest --rates 1,2,4,8 --seconds 4 --no-memory
//       build-ingest/tests/bench/bench_gui_ingest --memory all --events 10000000   (one child)
#include "bench_support.h"
#include "synthetic_traffic.h"
#include "charts/stats_model.h"
#include "core/clock.h"
#include "core/recorder.h"
#include "live/trace_consumer.h"
#include "model/event_sink.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "table/event_table_model.h"
#include "timeline/timeline_view.h"

#include <QApplication>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace loopscope;
using namespace loopscope::bench;
using S = ConnectionState;

namespace {

// Traffic into a vector (the memory part).
struct VectorOut {
    std::vector<EventRecord>& out;
    void rec(std::int64_t t, EventKind kind, std::uint32_t conn, S from, S to, std::uint64_t arg,
             std::uint32_t aux, std::uint8_t thread)
    {
        EventRecord r;
        r.t_ns = t;
        r.arg = arg;
        r.conn = conn;
        r.aux = aux;
        r.kind = kind;
        r.from = from;
        r.to = to;
        r.thread = thread;
        out.push_back(r);
    }
    void text(std::uint32_t conn, std::string_view s, std::int64_t)
    {
        do {
            const std::string_view piece = s.substr(0, kTextBytesPerRecord);
            s.remove_prefix(piece.size());
            out.push_back(makeTextRecord(conn, piece, s.empty()));
        } while (!s.empty());
    }
};

// --- Helpers ---------------------------------------------------------------------------------

// Collects the duration of every drainNow: the consumer appends its own GuiWork Drain record
// (began .. after the sinks and appended()) with the next drain, as the last record.
class TickProbe : public EventSink {
public:
    std::vector<std::int64_t> ticks; // while collecting (the producer runs)
    std::uint64_t localRecords = 0;   // all of the consumer's own records seen
    std::int64_t allNs = 0;           // all ticks' time
    bool collecting = true;
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override
    {
        if (to == from)
            return;
        const EventRecord& r = store.at(to - 1);
        if (r.kind == EventKind::GuiWork && r.thread == kGuiThread && r.aux == std::uint32_t(GuiWorkKind::Drain)) {
            ++localRecords;
            allNs += std::int64_t(r.arg);
            if (collecting)
                ticks.push_back(std::int64_t(r.arg));
        }
    }
};

// Wraps a sink to time it (one clock read each side of each call).
class TimedSink : public EventSink {
public:
    explicit TimedSink(EventSink& inner) : m_inner(inner) {}
    std::int64_t ingestNs = 0;
    std::int64_t evictNs = 0;
    std::uint64_t records = 0;
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override
    {
        const std::int64_t t = monotonicNs();
        m_inner.ingest(store, from, to);
        ingestNs += monotonicNs() - t;
        records += to - from;
    }
    void evicted(const TraceStore& store) override
    {
        const std::int64_t t = monotonicNs();
        m_inner.evicted(store);
        evictNs += monotonicNs() - t;
    }
    void cleared() override { m_inner.cleared(); }

private:
    EventSink& m_inner;
};

// --- Part 1: live ingest ---------------------------------------------------------------------

struct LiveResult {
    double targetMps = 0;
    double producedPerSec = 0;
    double movedPerSec = 0;
    std::uint64_t produced = 0;
    std::uint64_t moved = 0;
    std::uint64_t drops = 0;
    std::uint64_t evicted = 0;
    double lagMs = 0; // producer done -> ring empty
    std::size_t ticks = 0;
    double tickP50 = 0, tickP99 = 0, tickMax = 0;
    std::size_t paints = 0;
    double paintP50 = 0, paintP99 = 0;
    double guiBusy = 0; // share of the producer's wall time spent in drains + paints
    double guiCpu = 0;  // GUI thread CPU time / wall time (below guiBusy when the core is shared)
    double producerCpu = 0;
    // Per engine record moved, ns: the sinks' ingest, and the rest of drainNow (ring -> store).
    double timelineNs = 0, statsNs = 0, tableNs = 0, restNs = 0;
    double evictMs = 0; // all sinks' evicted() calls, total
};

LiveResult runLive(double eventsPerSecond, double seconds)
{
    Recorder recorder(Recorder::kDefaultCapacity);
    TraceStore store; // the window's default capacity (MainWindow::Options::storeCapacity)
    TimelineModel timeline;
    StatsModel stats;
    EventTableModel table(store);
    TickProbe probe;
    TraceConsumer consumer(recorder, store);
    TimedSink timedTimeline(timeline), timedStats(stats), timedTable(table);
    consumer.addSink(&timedTimeline);
    consumer.addSink(&timedStats);
    consumer.addSink(&timedTable);
    consumer.addSink(&probe);

    TimelineView view(timeline, store);
    view.resize(1600, 1000);
    view.setFollowLive(true);
    std::vector<std::int64_t> paints;
    view.setWorkRecorder([&](std::int64_t, std::int64_t ns) { paints.push_back(ns); });
    QObject::connect(&consumer, &TraceConsumer::appended, &view, &TimelineView::refresh);
    view.show();
    QApplication::processEvents();
    paints.clear();

    consumer.start(16);

    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> produced{0};
    std::atomic<std::int64_t> producerEnd{0};
    std::atomic<std::int64_t> producerCpuNs{0};
    const std::int64_t durationNs = std::int64_t(seconds * 1e9);
    const std::int64_t start = monotonicNs() + 20'000'000;
    std::thread producer([&] {
        const std::atomic<bool> never{false};
        producePaced(recorder, eventsPerSecond, start, durationNs, produced, never);
        producerCpuNs.store(threadCpuNs());
        producerEnd.store(monotonicNs());
        done.store(true);
    });

    // The GUI thread runs its event loop until the producer is done and the ring is empty.
    QEventLoop loop;
    QTimer watch;
    std::int64_t emptyAt = 0;
    QObject::connect(&watch, &QTimer::timeout, [&] {
        if (!done.load())
            return;
        probe.collecting = false;
        if (recorder.waiting() == 0) {
            if (emptyAt == 0)
                emptyAt = monotonicNs();
            loop.quit();
        }
    });
    watch.start(5);
    const std::uint64_t takenBefore = consumer.eventsTaken();
    const std::int64_t guiCpuBefore = threadCpuNs();
    loop.exec();
    const std::int64_t guiCpuNs = threadCpuNs() - guiCpuBefore;
    producer.join();
    consumer.drainNow();
    consumer.stop();

    LiveResult res;
    res.targetMps = eventsPerSecond / 1e6;
    res.produced = produced.load();
    res.drops = recorder.droppedTotal();
    // Engine records in the store (GuiWork Drain records are the consumer's own: one per tick).
    const std::uint64_t taken = consumer.eventsTaken() - takenBefore;
    res.moved = taken - std::min(taken, probe.localRecords);
    const double wall = double(emptyAt - start) / 1e9;
    const double produceWall = double(producerEnd.load() - start) / 1e9;
    res.producedPerSec = double(res.produced) / produceWall;
    res.movedPerSec = double(std::min(res.moved, res.produced)) / wall;
    res.lagMs = double(emptyAt - producerEnd.load()) / 1e6;
    res.evicted = store.evicted();
    res.ticks = probe.ticks.size();
    res.tickP50 = bench::percentileMs(probe.ticks, 50);
    res.tickP99 = bench::percentileMs(probe.ticks, 99);
    res.tickMax = bench::percentileMs(probe.ticks, 100);
    res.paints = paints.size();
    res.paintP50 = bench::percentileMs(paints, 50);
    res.paintP99 = bench::percentileMs(paints, 99);
    std::int64_t busy = 0;
    for (std::int64_t t : probe.ticks)
        busy += t;
    for (std::int64_t p : paints)
        busy += p;
    res.guiBusy = double(busy) / (produceWall * 1e9);
    res.guiCpu = double(guiCpuNs) / double(emptyAt - start);
    res.producerCpu = double(producerCpuNs.load()) / (produceWall * 1e9);
    const double moved = double(std::max<std::uint64_t>(res.moved, 1));
    const std::int64_t tickSum = probe.allNs;
    const std::int64_t sinkNs = timedTimeline.ingestNs + timedStats.ingestNs + timedTable.ingestNs
                                + timedTimeline.evictNs + timedStats.evictNs + timedTable.evictNs;
    res.timelineNs = double(timedTimeline.ingestNs) / moved;
    res.statsNs = double(timedStats.ingestNs) / moved;
    res.tableNs = double(timedTable.ingestNs) / moved;
    res.evictMs = double(timedTimeline.evictNs + timedStats.evictNs + timedTable.evictNs) / 1e6;
    res.restNs = std::max(0.0, double(tickSum - sinkNs) / moved);
    return res;
}

// --- Part 2: memory per stored event -----------------------------------------------------------

struct MemoryResult {
    std::uint64_t events = 0;
    long rssBeforeKiB = 0;
    long rssAfterKiB = 0;
    std::size_t storeBytes = 0;
};

// One configuration: "none" (store only), "timeline", "stats", "table" or "all" sinks.
MemoryResult runMemory(const std::string& config, std::uint64_t events)
{
    TraceStore store(std::max<std::uint64_t>(events + TraceStore::kChunkRecords, 10'000'000));
    TimelineModel timeline;
    StatsModel stats;
    EventTableModel table(store);
    std::vector<EventSink*> sinks;
    if (config == "timeline" || config == "all")
        sinks.push_back(&timeline);
    if (config == "stats" || config == "all")
        sinks.push_back(&stats);
    if (config == "table" || config == "all")
        sinks.push_back(&table);

    Traffic traffic;
    constexpr std::size_t kBatch = 64 * 1024;
    std::vector<EventRecord> batch;
    batch.resize(kBatch + 256); // touched now, so its pages count before the "before" reading
    batch.clear();
    VectorOut out{batch};
    constexpr std::int64_t kDt = 500; // 2 million events/s of simulated time
    std::int64_t t = 1'000'000'000;

    MemoryResult res;
    res.rssBeforeKiB = bench::rssKiB();
    while (store.endIndex() < events) {
        batch.clear();
        const std::uint64_t n = traffic.generate(std::min<std::uint64_t>(kBatch, events - store.endIndex()), t, kDt, out);
        t += std::int64_t(n) * kDt;
        const std::uint64_t from = store.endIndex();
        store.append(batch.data(), batch.size());
        for (EventSink* s : sinks)
            s->ingest(store, from, store.endIndex());
    }
    res.rssAfterKiB = bench::rssKiB();
    res.events = store.size();
    res.storeBytes = store.memoryBytes();
    if (store.evicted() != 0)
        std::fprintf(stderr, "warning: %llu events evicted\n", (unsigned long long)store.evicted());
    return res;
}

void printMemoryLine(const std::string& config, const MemoryResult& r)
{
    // Machine-readable, parsed by the parent.
    std::printf("MEM %s %llu %ld %ld %zu\n", config.c_str(), (unsigned long long)r.events, r.rssBeforeKiB,
                r.rssAfterKiB, r.storeBytes);
}

std::string selfPath()
{
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, std::size_t(n)) : std::string();
}

std::vector<double> parseRates(const char* s)
{
    std::vector<double> rates;
    while (*s) {
        char* end = nullptr;
        const double v = std::strtod(s, &end);
        if (end == s)
            break;
        rates.push_back(v * 1e6);
        s = *end == ',' ? end + 1 : end;
    }
    return rates;
}

} // namespace

int main(int argc, char** argv)
{
    // Widgets need a platform; offscreen works on machines without a display (CI, SSH).
    qputenv("QT_QPA_PLATFORM", "offscreen");
    std::vector<double> rates{1e6, 2e6, 4e6, 8e6};
    double seconds = 4;
    std::uint64_t events = 10'000'000;
    std::string memoryConfig;
    bool live = true, memory = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rates" && i + 1 < argc)
            rates = parseRates(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else if (a == "--events" && i + 1 < argc)
            events = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--memory" && i + 1 < argc)
            memoryConfig = argv[++i];
        else if (a == "--no-memory")
            memory = false;
        else if (a == "--no-live")
            live = false;
        else {
            std::fprintf(stderr,
                         "usage: %s [--rates M1,M2,...] [--seconds S] [--events N] [--no-live] [--no-memory]\n"
                         "       %s --memory none|timeline|stats|table|all [--events N]\n",
                         argv[0], argv[0]);
            return 2;
        }
    }
    QApplication app(argc, argv);

    if (!memoryConfig.empty()) { // a child of part 2
        printMemoryLine(memoryConfig, runMemory(memoryConfig, events));
        return 0;
    }

    if (live) {
        std::printf("GUI ingest, live: ring %zu records, store capacity %zu, %.1f s per rate, "
                    "TimelineView 1600x1000 offscreen follow-live\n",
                    Recorder::kDefaultCapacity, TraceStore::kDefaultCapacity, seconds);
        std::printf("%8s %10s %10s %8s %9s %8s %6s %9s %9s %9s %7s %9s %9s %6s\n", "target", "produced/s",
                    "stored/s", "drops", "evicted", "lag_ms", "ticks", "tick_p50", "tick_p99", "tick_max",
                    "paints", "paint_p50", "paint_p99", "gui%");
        std::vector<LiveResult> results;
        for (double rate : rates) {
            const LiveResult r = runLive(rate, seconds);
            results.push_back(r);
            std::printf("%6.1f M %10.0f %10.0f %8llu %9llu %8.1f %6zu %7.2fms %7.2fms %7.2fms %7zu %7.2fms "
                        "%7.2fms %5.0f%%\n",
                        r.targetMps, r.producedPerSec, r.movedPerSec, (unsigned long long)r.drops,
                        (unsigned long long)r.evicted, r.lagMs, r.ticks, r.tickP50, r.tickP99, r.tickMax,
                        r.paints, r.paintP50, r.paintP99, r.guiBusy * 100);
            std::fflush(stdout);
        }
        std::printf("\nWhere the GUI thread's time goes (ns per engine record moved; evict = all sinks' "
                    "evicted() in total; cpu = thread CPU time / wall)\n");
        std::printf("%8s %11s %11s %11s %11s %10s %8s %9s\n", "target", "timeline", "stats", "table",
                    "store+rest", "evict_ms", "gui_cpu", "prod_cpu");
        for (const LiveResult& r : results)
            std::printf("%6.1f M %11.1f %11.1f %11.1f %11.1f %10.1f %7.0f%% %8.0f%%\n", r.targetMps, r.timelineNs,
                        r.statsNs, r.tableNs, r.restNs, r.evictMs, r.guiCpu * 100, r.producerCpu * 100);
    }

    if (memory) {
        std::printf("\nMemory per stored event: %llu events, store capacity >= events (no eviction), "
                    "each configuration in its own process\n",
                    (unsigned long long)events);
        std::printf("%-10s %10s %12s %12s %14s %14s\n", "sinks", "events", "RSS_delta_MB", "RSS_B/event",
                    "store_MB", "store_B/event");
        const std::string self = selfPath();
        for (const char* config : {"none", "timeline", "stats", "table", "all"}) {
            const std::string cmd = self + " --memory " + config + " --events " + std::to_string(events);
            FILE* p = popen(cmd.c_str(), "r");
            if (!p) {
                std::perror("popen");
                return 1;
            }
            char line[512];
            bool ok = false;
            while (std::fgets(line, sizeof line, p)) {
                char name[64];
                unsigned long long n = 0;
                long before = 0, after = 0;
                std::size_t storeBytes = 0;
                if (std::sscanf(line, "MEM %63s %llu %ld %ld %zu", name, &n, &before, &after, &storeBytes) == 5
                    && n > 0) {
                    const double delta = double(after - before) * 1024.0;
                    std::printf("%-10s %10llu %12.1f %12.1f %14.1f %14.1f\n", name, n, delta / 1048576.0,
                                delta / double(n), double(storeBytes) / 1048576.0, double(storeBytes) / double(n));
                    ok = true;
                }
            }
            pclose(p);
            if (!ok)
                std::printf("%-10s (child failed)\n", config);
            std::fflush(stdout);
        }
    }
    return 0;
}
