// bench_gui_firehose: the real window under a firehose.
//
// bench_gui_ingest plays the engine with a synthetic producer thread; this one runs the real
// thing end to end. It builds the real MainWindow (resized to 1600x1000 and shown; the size it
// takes is printed), following live, with its settings in a throw-away XDG_CONFIG_HOME; starts
// the real event-loop server through the window's own Start path on 127.0.0.1 with an ephemeral
// port, recording on, serving a temp document root with one 1 KiB file; and drives it with the
// real load generator through the window's own Traffic panel (closed loop: each client sends
// its next request as soon as the previous answer arrives).
// It stops after --seconds, or once the window's store holds --events events.
//
// What it reports, all from the window's own counters and recording:
//  - events/s: produced by the engine (records ingested + still in the ring + dropped, over the
//    load's wall time) and stored (every record the consumer moved into the store, the GUI's
//    own lane records included); drops (Recorder::droppedTotal, the RecordsDropped sum);
//  - requests/s and errors (the Traffic panel's LoadSnapshot);
//  - the GUI loop, from its own lane: the GuiSpans that TimelineModel::guiLoop() holds (the
//    spans the lane draws: handled events, drains, paints) are copied as the model builds them.
//    Frame time is the time from one timeline paint to the next (1/fps; the 33 ms target is
//    30 frames/s); also the paint and drain times, the event deliveries (input waits behind
//    the longest), and the heartbeat's lateness (the probe's GuiLoopDelay records in the same
//    trace). Not the GuiLoopAwake/AboutToBlock pairs: Qt's glib dispatcher (Debian's Qt)
//    emits aboutToBlock before every waiting pass and awake only before a pass that will not
//    wait, so the pair does not bracket the work;
//  - memory: VmRSS growth since just before the load divided by the events stored, the same
//    from the first sample past 2 million stored events to the end ("steady": without one-off
//    costs such as the engine ring's 32 MiB being touched the first time), and the store's
//    memoryBytes() per event. The store is made big enough to keep every event when --events
//    is given (nothing evicted; the evicted count is printed so that this can be checked).
//
// Run:  QT_QPA_PLATFORM=offscreen build/tests/bench/bench_gui_firehose --seconds 10
//       QT_QPA_PLATFORM=offscreen build/tests/bench/bench_gui_firehose --events 10000000
//       xvfb-run -a -s "-screen 0 1600x1000x24" build/tests/bench/bench_gui_firehose --seconds 10
// Options: --seconds S, --events N, --clients N (64), --close (a new connection per request),
// --max-events N (the store's capacity), --synthetic-rate N. Without a display it uses the
// offscreen platform.
//
// --synthetic-rate N: the same window, but the engine is played by bench_gui_ingest's synthetic
// producer (synthetic_traffic.h) at N events/s, recording into the window's own engine ring
// while no server runs (so the producer is that ring's only writer). The real server reaches
// about 350,000 events/s while sharing two cores with the window; this is how the window is
// measured at the rates a bigger machine's server would feed it (the 2 million events/s goal).
#include "bench_support.h"
#include "synthetic_traffic.h"
#include "core/clock.h"
#include "core/recorder.h"
#include "live/gui_loop_probe.h"
#include "live/trace_consumer.h"
#include "load/load_generator.h"
#include "model/event_sink.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/timeline_view.h"
#include "traffic/traffic_panel.h"
#include "window/main_window.h"

#include <QEventLoop>
#include <QFile>
#include <QGuiApplication>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <limits>
#include <optional>
#include <thread>
#include <string>
#include <vector>

using namespace loopscope;

namespace {

constexpr const char* kName = "bench_gui_firehose";
constexpr const char* kFilePath = "/1k.bin";
constexpr std::size_t kFileBytes = 1024;
// The "steady" memory sample: past two rings' worth of records every ring page has been
// written at least once, so growth after it is what more stored events cost.
constexpr std::uint64_t kSteadySampleEvents = 2 * Recorder::kDefaultCapacity;
// With --events and no time limit: give up if nothing arrives for this long.
constexpr std::int64_t kStallNs = 10'000'000'000;

// --- Options -------------------------------------------------------------------------------

struct Options {
    std::optional<double> seconds; // unset: 10, or no limit with --events
    std::uint64_t events = 0;      // 0: no event target
    unsigned clients = 64;
    bool keepAlive = true;
    std::size_t maxEvents = 0; // 0: the window's default, or enough for --events
    double syntheticRate = 0;  // events/s from the synthetic producer instead of the server; 0: off
};

int optionError(const std::string& sentence)
{
    std::fprintf(stderr, "%s: %s\n", kName, sentence.c_str());
    return 2;
}

bool parseNumber(const char* text, double& out)
{
    char* end = nullptr;
    errno = 0;
    out = std::strtod(text, &end);
    return end != text && *end == '\0' && errno == 0;
}

// Returns 0 to run, or the exit code (help printed, or a bad option).
int parseOptions(int argc, char** argv, Options& o)
{
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::printf("usage: %s [--seconds S] [--events N] [--clients N] [--close] [--max-events N]\n"
                        "       %s --synthetic-rate EVENTS_PER_S [--seconds S] [--events N] [--max-events N]\n",
                        kName, kName);
            return -1;
        }
        if (a == "--close") {
            o.keepAlive = false;
            continue;
        }
        if (a != "--seconds" && a != "--events" && a != "--clients" && a != "--max-events" && a != "--synthetic-rate")
            return optionError("unknown option '" + a + "'; see --help.");
        if (i + 1 >= argc)
            return optionError(a + " needs a value; see --help.");
        double v = 0;
        const std::string text = argv[++i];
        if (!parseNumber(text.c_str(), v))
            return optionError(a + " needs a number (got '" + text + "').");
        if (a == "--seconds") {
            if (!(v > 0 && v <= 3600))
                return optionError("--seconds needs a number of seconds from 0 to 3600 (got '" + text + "').");
            o.seconds = v;
        } else if (a == "--events") {
            if (!(v >= 1 && v <= 1e9) || v != double(std::uint64_t(v)))
                return optionError("--events needs a whole number from 1 to 1000000000 (got '" + text + "').");
            o.events = std::uint64_t(v);
        } else if (a == "--clients") {
            if (!(v >= 1 && v <= LoadSettings::kMaxClients) || v != double(unsigned(v)))
                return optionError("--clients needs a whole number from 1 to "
                                   + std::to_string(LoadSettings::kMaxClients) + " (got '" + text + "').");
            o.clients = unsigned(v);
        } else if (a == "--synthetic-rate") {
            if (!(v >= 1000 && v <= 1e8))
                return optionError("--synthetic-rate needs events per second from 1000 to 100000000 (got '" + text + "').");
            o.syntheticRate = v;
        } else {
            if (!(v >= 200'000 && v <= 1e9) || v != double(std::size_t(v)))
                return optionError("--max-events needs a whole number from 200000 to 1000000000 (got '" + text + "').");
            o.maxEvents = std::size_t(v);
        }
    }
    return 0;
}

// --- Measuring helpers -----------------------------------------------------------------------

// The 1-minute load average: the machine is shared, so every figure goes out with it.
double loadAverage()
{
    double load = -1;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &load) != 1)
            load = -1;
        std::fclose(f);
    }
    return load;
}

// A 30 frames/s budget: the frame time target.
constexpr std::int64_t kFrameBudgetNs = 33'333'333;

struct Quantiles {
    std::size_t count = 0;
    double p50 = 0, p99 = 0, max = 0; // ms
    std::size_t overBudget = 0;       // samples above kFrameBudgetNs
};

Quantiles quantiles(const std::vector<std::int64_t>& v)
{
    const auto over = std::count_if(v.begin(), v.end(), [](std::int64_t ns) { return ns > kFrameBudgetNs; });
    return {v.size(), bench::percentileMs(v, 50), bench::percentileMs(v, 99), bench::percentileMs(v, 100), std::size_t(over)};
}

// --- What the GUI loop lane shows ------------------------------------------------------------

struct Sample {
    std::int64_t t = 0;     // when it started
    std::int64_t value = 0; // its duration (or lateness), ns
};

// Added after the window's own sinks: by the time it sees a range, the TimelineModel has built
// its GUI lane spans from it, so the lane's newest spans are this range's. It copies them (the
// lane itself forgets old spans when the store evicts), classifies every record by origin, and
// takes the probe's heartbeat records from the same range.
class LaneWatch : public EventSink {
public:
    explicit LaneWatch(const TimelineModel& model) : m_model(model)
    {
        // Touched now, so the samples' own memory is in the baseline, not in bytes per event.
        for (auto* v : {&paints, &drains, &charts, &events, &delays}) {
            v->resize(1u << 17);
            v->clear();
        }
    }

    std::vector<Sample> paints, drains, charts, events, delays;
    std::uint64_t engineRecords = 0; // from the server's threads (the rest are the window's own)
    std::int64_t lastEngineNs = 0;   // monotonic time engine records were last ingested

    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override
    {
        const std::uint64_t engineBefore = engineRecords;
        std::size_t laneSpans = 0;
        for (std::uint64_t i = std::max(from, store.beginIndex()); i < to; ++i)
            laneSpans += classify(store.at(i));
        copyNewestLaneSpans(laneSpans);
        if (engineRecords != engineBefore) // one clock read per drain, not per record
            lastEngineNs = monotonicNs();
    }

private:
    // Returns 1 if the record became a span of the GUI lane (as TimelineModel::onGuiRecord makes them).
    std::size_t classify(const EventRecord& r)
    {
        if (!isWindowRecord(r)) {
            ++engineRecords;
            return 0;
        }
        switch (r.kind) {
        case EventKind::GuiEventHandled:
        case EventKind::GuiWork:
            return 1;
        case EventKind::GuiLoopDelay:
            delays.push_back({r.t_ns, std::int64_t(r.arg)});
            return 0;
        default:
            return 0;
        }
    }

    // Made by the window, not the engine: the GUI loop's records (kGuiThread) and the Traffic
    // panel's LoadPhase with its name as RequestText on connection 0 (the engine's request
    // texts always name a connection; its ids start at 1).
    static bool isWindowRecord(const EventRecord& r)
    {
        return r.thread == kGuiThread || r.kind == EventKind::LoadPhase
               || (r.kind == EventKind::RequestText && r.conn == 0);
    }

    void copyNewestLaneSpans(std::size_t count)
    {
        const std::deque<GuiSpan>& lane = m_model.guiLoop();
        for (std::size_t i = lane.size() - std::min(count, lane.size()); i < lane.size(); ++i) {
            const GuiSpan& s = lane[i];
            const Sample sample{s.start, s.end - s.start};
            if (s.kind == GuiSpanKind::Paint)
                paints.push_back(sample);
            else if (s.kind == GuiSpanKind::Drain)
                drains.push_back(sample);
            else if (s.kind == GuiSpanKind::Charts)
                charts.push_back(sample);
            else if (s.kind == GuiSpanKind::Event)
                events.push_back(sample);
        }
    }

    const TimelineModel& m_model;
};

// Durations of the samples that started inside [t0, t1).
std::vector<std::int64_t> durationsIn(const std::vector<Sample>& samples, std::int64_t t0, std::int64_t t1)
{
    std::vector<std::int64_t> out;
    for (const Sample& s : samples)
        if (s.t >= t0 && s.t < t1)
            out.push_back(s.value);
    return out;
}

// Frame time: from one timeline paint's start to the next one's, for paints inside [t0, t1).
std::vector<std::int64_t> frameTimes(std::vector<Sample> paints, std::int64_t t0, std::int64_t t1)
{
    std::sort(paints.begin(), paints.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
    std::vector<std::int64_t> out;
    std::int64_t previous = -1;
    for (const Sample& s : paints) {
        if (s.t < t0 || s.t >= t1)
            continue;
        if (previous >= 0)
            out.push_back(s.t - previous);
        previous = s.t;
    }
    return out;
}

// --- The run ---------------------------------------------------------------------------------

// Counters read at one moment (load start, load end, after the last drain).
struct Reading {
    std::int64_t t = 0;
    std::uint64_t stored = 0;        // records the consumer moved into the store, all of them
    std::uint64_t engineRecords = 0; // of which from the engine
    std::uint64_t dropped = 0;
    std::uint64_t waiting = 0; // in the engine's rings, not yet drained
    long rssKiB = 0;
    std::int64_t guiCpuNs = 0;
    std::int64_t processCpuNs = 0;
    double load = 0;
};

struct Results {
    Options options;
    QString platform;
    QSize windowSize, timelineSize;
    Reading before, end, drained;
    std::optional<Reading> steady; // the first reading past kSteadySampleEvents stored
    LoadSnapshot load;
    std::uint64_t storeSize = 0, storeBytes = 0, evicted = 0, capacity = 0;
    Quantiles frame, paint, drain, charts, event, delay;
};

class Firehose {
public:
    Firehose(MainWindow& window, const Options& options) : m_window(window), m_options(options),
        m_watch(window.timelineModel())
    {
        m_window.consumer().addSink(&m_watch);
    }
    // The consumer has no removeSink: it must not drain into m_watch once this is gone.
    ~Firehose()
    {
        stopProducer();
        m_window.consumer().stop();
    }
    Firehose(const Firehose&) = delete;
    Firehose& operator=(const Firehose&) = delete;

    // Starts the server the way the Start button does; false and one sentence if it cannot.
    bool startServer(QString& error)
    {
        const QMetaObject::Connection failed = QObject::connect(
            &m_window.server(), &ServerController::startFailed, [&error](const QString& why) { error = why; });
        m_window.startServer();
        QObject::disconnect(failed);
        if (!m_window.server().isRunning())
            return false;
        if (m_window.server().model() != ServerModel::EventLoop) {
            error = QStringLiteral("the window started a server model other than the event loop.");
            return false;
        }
        return true;
    }

    // Runs the load until the time limit or the event target; false and one sentence if it failed.
    bool run(QString& error)
    {
        settle(500);
        m_results.before = read();
        if (synthetic())
            startProducer();
        else if (!startLoad(error))
            return false;
        QEventLoop loop;
        QObject::connect(&m_window.consumer(), &TraceConsumer::appended, &loop, [&] {
            if (!m_results.steady && m_window.store().size() >= kSteadySampleEvents)
                m_results.steady = read();
            if (m_options.events && m_window.store().size() >= m_options.events)
                loop.quit();
        });
        QTimer limit;
        limit.setSingleShot(true);
        limit.setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% early
        QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);
        if (const double s = timeLimit(); s > 0)
            limit.start(int(s * 1000));
        QTimer stall; // only with no time limit: a run that stops producing must not hang
        QObject::connect(&stall, &QTimer::timeout, &loop, [&] {
            if (monotonicNs() - std::max(m_watch.lastEngineNs, m_results.before.t) > kStallNs) {
                m_stalled = true;
                loop.quit();
            }
        });
        if (timeLimit() == 0)
            stall.start(1000);
        loop.exec();
        m_results.end = read();
        if (synthetic()) {
            stopProducer();
        } else {
            m_results.load = m_window.traffic().snapshot(); // the requests of [before, end)
            m_window.traffic().stop();
        }
        drainAll();
        m_results.drained = read();
        if (m_stalled) {
            error = QStringLiteral("no engine events arrived for 10 s before the store reached --events.");
            return false;
        }
        summarize();
        return true;
    }

    Results& results() { return m_results; }

    bool synthetic() const { return m_options.syntheticRate > 0; }

private:
    // The synthetic engine: records into the window's engine ring, which nothing else writes
    // while no server runs. It runs until stopProducer (the time limit is the run loop's).
    void startProducer()
    {
        const std::int64_t start = monotonicNs();
        m_producer = std::thread([this, start] {
            bench::producePaced(m_window.server().recorder(), m_options.syntheticRate, start,
                                std::numeric_limits<std::int64_t>::max() - start, m_produced, m_stopProducer);
        });
    }

    void stopProducer()
    {
        m_stopProducer.store(true);
        if (m_producer.joinable())
            m_producer.join();
    }

    double timeLimit() const
    {
        if (m_options.seconds)
            return *m_options.seconds;
        return m_options.events ? 0 : 10;
    }

    // Lets the window run by itself for a while (first paints, the server's first records).
    void settle(int ms)
    {
        QEventLoop loop;
        QTimer::singleShot(ms, &loop, &QEventLoop::quit);
        loop.exec();
    }

    bool startLoad(QString& error)
    {
        std::string why;
        const std::optional<LoadUrl> url = parseLoadUrl(m_window.server().url().toStdString() + (kFilePath + 1), why);
        if (!url) {
            error = QString::fromStdString(why);
            return false;
        }
        LoadSettings settings;
        settings.clients = m_options.clients;
        settings.rate = 0; // closed loop: full speed
        settings.keepAlive = m_options.keepAlive;
        settings.paths = {WeightedPath{kFilePath, 1, false}};
        // Duration 0: the phase runs until stopped here (time limit or event target).
        if (!m_window.traffic().startPlan(singlePhasePlan(*url, settings, 0, "firehose"))) {
            error = m_window.traffic().statusText();
            return false;
        }
        return true;
    }

    // After the load stops: whatever is still in the engine's rings goes into the store.
    void drainAll()
    {
        for (int i = 0; i < 1000 && m_window.server().recorder().waiting() > 0; ++i)
            m_window.consumer().drainNow();
        m_window.consumer().drainNow(); // the GUI's own records of the last drain
    }

    Reading read()
    {
        Reading r;
        r.t = monotonicNs();
        r.stored = m_window.consumer().eventsTaken();
        r.engineRecords = m_watch.engineRecords;
        r.dropped = std::max(m_window.server().recorder().droppedTotal(), m_window.store().droppedByEngine());
        r.waiting = m_window.server().recorder().waiting();
        r.rssKiB = bench::rssKiB();
        r.guiCpuNs = threadCpuNs();
        r.processCpuNs = processCpuNs();
        r.load = loadAverage();
        return r;
    }

    void summarize()
    {
        Results& r = m_results;
        const TraceStore& store = m_window.store();
        r.storeSize = store.size();
        r.storeBytes = store.memoryBytes();
        r.evicted = store.evicted();
        r.capacity = store.capacity();
        const std::int64_t t0 = r.before.t, t1 = r.end.t;
        r.frame = quantiles(frameTimes(m_watch.paints, t0, t1));
        r.paint = quantiles(durationsIn(m_watch.paints, t0, t1));
        r.drain = quantiles(durationsIn(m_watch.drains, t0, t1));
        r.charts = quantiles(durationsIn(m_watch.charts, t0, t1));
        r.event = quantiles(durationsIn(m_watch.events, t0, t1));
        r.delay = quantiles(durationsIn(m_watch.delays, t0, t1));
    }

    MainWindow& m_window;
    Options m_options;
    LaneWatch m_watch;
    Results m_results;
    bool m_stalled = false;
    std::thread m_producer;
    std::atomic<bool> m_stopProducer{false};
    std::atomic<std::uint64_t> m_produced{0};
};

// --- Report ----------------------------------------------------------------------------------

struct Rates {
    double seconds = 0, produced = 0, stored = 0, requests = 0;
    std::uint64_t drops = 0;
};

Rates rates(const Results& r)
{
    Rates x;
    x.seconds = double(r.end.t - r.before.t) / 1e9;
    // Produced during the load: ingested + still waiting in the rings + dropped.
    const double produced = double(r.end.engineRecords - r.before.engineRecords) + double(r.end.waiting)
                            - double(r.before.waiting) + double(r.end.dropped - r.before.dropped);
    x.produced = produced / x.seconds;
    x.stored = double(r.end.stored - r.before.stored) / x.seconds;
    x.requests = double(r.load.counts.responses) / x.seconds;
    x.drops = r.drained.dropped - r.before.dropped;
    return x;
}

double bytesPer(long kibAfter, long kibBefore, std::uint64_t events)
{
    return events ? double(kibAfter - kibBefore) * 1024.0 / double(events) : 0;
}

void printQuantiles(const char* name, const Quantiles& q)
{
    std::printf("  %-34s %8.2f %8.2f %8.2f ms  (%zu)\n", name, q.p50, q.p99, q.max, q.count);
}

void printTable(const Results& r)
{
    const Rates x = rates(r);
    const Options& o = r.options;
    std::printf("GUI firehose: real window %dx%d (timeline %dx%d) on '%s', ", r.windowSize.width(),
                r.windowSize.height(), r.timelineSize.width(), r.timelineSize.height(), qPrintable(r.platform));
    if (o.syntheticRate > 0)
        std::printf("synthetic engine at %.0f events/s (no server)\n", o.syntheticRate);
    else
        std::printf("event-loop server, %u %s clients, 1 KiB file\n", o.clients,
                    o.keepAlive ? "keep-alive" : "connection-per-request");
    std::printf("  load %.1f s, load average %.2f at start, %.2f at the end\n", x.seconds, r.before.load, r.end.load);
    std::printf("  %-34s %12.0f\n", "engine events/s produced", x.produced);
    std::printf("  %-34s %12.0f\n", "events/s stored by the window", x.stored);
    std::printf("  %-34s %12llu\n", "dropped by the engine", (unsigned long long)x.drops);
    std::printf("  %-34s %12llu\n", "in the ring when the load stopped", (unsigned long long)r.end.waiting);
    if (o.syntheticRate == 0)
        std::printf("  %-34s %12.0f  (%llu errors)\n", "requests/s", x.requests,
                    (unsigned long long)r.load.counts.errorTotal());
    std::printf("  %-34s %11.0f%%  (process %.0f%% of one core)\n", "GUI thread CPU",
                100.0 * double(r.end.guiCpuNs - r.before.guiCpuNs) / double(r.end.t - r.before.t),
                100.0 * double(r.end.processCpuNs - r.before.processCpuNs) / double(r.end.t - r.before.t));
    std::printf("  GUI loop lane (during the load)     %8s %8s %8s     (count)\n", "p50", "p99", "max");
    printQuantiles("frame time (paint to paint)", r.frame);
    std::printf("  %-34s %8.1f  (%.1f%% of frames over 33 ms)\n", "frames/s", double(r.frame.count) / x.seconds,
                r.frame.count ? 100.0 * double(r.frame.overBudget) / double(r.frame.count) : 0.0);
    printQuantiles("paint", r.paint);
    printQuantiles("drain", r.drain);
    printQuantiles("charts update", r.charts);
    printQuantiles("event delivery", r.event);
    printQuantiles("heartbeat lateness", r.delay);
    const std::uint64_t stored = r.storeSize;
    std::printf("  stored %llu events (capacity %llu, %llu evicted); VmRSS %ld MiB -> %ld MiB\n",
                (unsigned long long)stored, (unsigned long long)r.capacity, (unsigned long long)r.evicted,
                r.before.rssKiB / 1024, r.drained.rssKiB / 1024);
    std::printf("  %-34s %12.1f\n", "bytes/event: RSS growth / stored",
                bytesPer(r.drained.rssKiB, r.before.rssKiB, stored));
    if (r.steady)
        std::printf("  %-34s %12.1f  (from %llu stored)\n", "bytes/event: RSS growth, steady",
                    bytesPer(r.drained.rssKiB, r.steady->rssKiB, stored - std::min<std::uint64_t>(stored, r.steady->stored)),
                    (unsigned long long)r.steady->stored);
    std::printf("  %-34s %12.1f\n", "bytes/event: store memoryBytes()",
                stored ? double(r.storeBytes) / double(stored) : 0.0);
}

const char* mode(const Options& o)
{
    if (o.syntheticRate > 0)
        return "synthetic";
    return o.keepAlive ? "keepalive" : "close";
}

// One line for scripts: key=value pairs.
void printMachineLine(const Results& r)
{
    const Rates x = rates(r);
    const std::uint64_t stored = r.storeSize;
    char steady[32] = "na"; // the run ended before the steady sample
    if (r.steady)
        std::snprintf(steady, sizeof steady, "%.1f",
                      bytesPer(r.drained.rssKiB, r.steady->rssKiB, stored - std::min<std::uint64_t>(stored, r.steady->stored)));
    std::printf("FIREHOSE platform=%s mode=%s clients=%u seconds=%.2f engine_events_per_s=%.0f "
                "stored_events_per_s=%.0f drops=%llu requests_per_s=%.0f load_errors=%llu "
                "frame_p50_ms=%.2f frame_p99_ms=%.2f frame_max_ms=%.2f frames_over_33ms=%zu paint_p99_ms=%.2f "
                "event_max_ms=%.2f heartbeat_late_p99_ms=%.2f events_stored=%llu evicted=%llu rss_before_kib=%ld rss_after_kib=%ld "
                "rss_bytes_per_event=%.1f rss_steady_bytes_per_event=%s store_bytes_per_event=%.1f "
                "loadavg_start=%.2f loadavg_end=%.2f\n",
                qPrintable(r.platform), mode(r.options), r.options.clients, x.seconds,
                x.produced, x.stored, (unsigned long long)x.drops, x.requests,
                (unsigned long long)r.load.counts.errorTotal(), r.frame.p50, r.frame.p99, r.frame.max, r.frame.overBudget, r.paint.p99,
                r.event.max, r.delay.p99, (unsigned long long)stored, (unsigned long long)r.evicted, r.before.rssKiB,
                r.drained.rssKiB, bytesPer(r.drained.rssKiB, r.before.rssKiB, stored), steady,
                stored ? double(r.storeBytes) / double(stored) : 0.0, r.before.load, r.end.load);
}

// --- Set-up ----------------------------------------------------------------------------------

// The document root: one file of kFileBytes.
bool makeDocumentRoot(const QString& dir)
{
    QFile file(dir + QLatin1String(kFilePath));
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QByteArray bytes(int(kFileBytes), '\0');
    for (std::size_t i = 0; i < kFileBytes; ++i)
        bytes[int(i)] = char('a' + i % 26);
    return file.write(bytes) == qint64(kFileBytes);
}

// The store keeps every event of an --events run (chunks are allocated as they fill, so a
// large capacity costs nothing until used); four rings' worth on top covers what arrives
// between reaching the target and the last drain.
std::size_t storeCapacity(const Options& o)
{
    if (o.maxEvents)
        return o.maxEvents;
    const std::size_t windowDefault = WindowOptions{}.storeCapacity;
    if (!o.events)
        return windowDefault;
    return std::max(windowDefault, std::size_t(o.events) + 4 * Recorder::kDefaultCapacity);
}

bool haveDisplay()
{
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    return (platform && *platform) || (display && *display) || (wayland && *wayland);
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    if (const int code = parseOptions(argc, argv, options); code != 0)
        return code < 0 ? 0 : code;
    if (!haveDisplay())
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Settings go to a throw-away place: the window saves port, root and geometry on start.
    QTemporaryDir config, root;
    if (!config.isValid() || !root.isValid() || !makeDocumentRoot(root.path())) {
        std::fprintf(stderr, "%s: cannot make a temporary directory.\n", kName);
        return 1;
    }
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(config.path()));

    LoopscopeApplication app(argc, argv); // times every event for the GUI loop lane
    QCoreApplication::setOrganizationName(QStringLiteral("loopscope-bench"));
    QCoreApplication::setApplicationName(QStringLiteral("bench_gui_firehose"));

    WindowOptions windowOptions;
    windowOptions.server.root = root.path();
    windowOptions.server.port = 0;
    windowOptions.server.bindAddress = QStringLiteral("127.0.0.1");
    windowOptions.storeCapacity = storeCapacity(options);
    MainWindow window(windowOptions);
    window.resize(1600, 1000);
    window.show();
    window.timeline().setFollowLive(true);

    Firehose firehose(window, options);
    QString error;
    int code = 0;
    if (!firehose.synthetic() && !firehose.startServer(error)) {
        std::fprintf(stderr, "%s: the server did not start: %s\n", kName, qPrintable(error));
        code = 1;
    } else if (!firehose.run(error)) {
        std::fprintf(stderr, "%s: %s\n", kName, qPrintable(error));
        code = 1;
    } else {
        Results& r = firehose.results();
        r.options = options;
        r.platform = QGuiApplication::platformName();
        r.windowSize = window.size();
        r.timelineSize = window.timeline().size();
        printTable(r);
        printMachineLine(r);
    }
    window.stopServer();
    window.close();
    return code;
}
