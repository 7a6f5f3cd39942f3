// bench_timeline_paint: the cost of one timeline frame, the GUI's own work at 60 Hz (budget
// 16 ms). Renders TimelineView into a 1600x1000 QImage, offscreen, with 1 million recorded
// events:
//   ZoomedOut/100Lanes   10,000 connections (100 at a time, each ~100 records: ten keep-alive
//                        requests) over 10 s plus the engine loop, all 10 s in view, all lanes
//                        on screen (lane height 8 px);
//   ZoomedIn/100Lanes    the same data, 20 ms in view;
//   ZoomedOut/10000Lanes 10,000 connections all open at once (10,000 lanes, ~100 records each
//                        over 10 s); only the lanes on screen are painted.
// Run: build-view/tests/bench/bench_timeline_paint --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/timeline_view.h"

#include <QApplication>
#include <QImage>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <vector>

using namespace loopscope;
using S = ConnectionState;

namespace {

constexpr std::int64_t kOrigin = 1'000'000'000;
constexpr std::int64_t kSessionNs = 10'000'000'000;
constexpr int kRequestsPerConnection = 10;

struct Timed {
    std::int64_t key; // sort time (RequestText sorts with its RequestHeadersRead)
    std::uint64_t seq;
    EventRecord record;
};

struct Builder {
    std::vector<Timed> out;
    std::uint64_t seq = 0;

    void add(std::int64_t t, EventKind kind, std::uint32_t conn, S from, S to, std::uint64_t arg = 0)
    {
        EventRecord r;
        r.t_ns = t;
        r.kind = kind;
        r.conn = conn;
        r.from = from;
        r.to = to;
        r.arg = arg;
        out.push_back({t, seq++, r});
    }
    void text(std::int64_t t, std::uint32_t conn) { out.push_back({t, seq++, makeTextRecord(conn, "/index.html", true)}); }

    // A keep-alive connection from t0 to t1 serving kRequestsPerConnection requests (~102 records).
    void connection(std::uint32_t conn, std::int64_t t0, std::int64_t t1)
    {
        add(t0, EventKind::ConnectionAccepted, conn, S::None, S::Accepted);
        const std::int64_t per = (t1 - t0) / kRequestsPerConnection;
        S state = S::Accepted;
        for (int i = 0; i < kRequestsPerConnection; ++i) {
            const std::int64_t t = t0 + i * per;
            const std::int64_t d = per / 10;
            add(t + d, EventKind::BytesRead, conn, state, S::ReadingHeaders, 80);
            add(t + 2 * d, EventKind::RequestHeadersRead, conn, S::ReadingHeaders, S::FetchingFile, std::uint64_t(i + 1));
            text(t + 2 * d, conn);
            add(t + 2 * d + 10, EventKind::DiskReadStarted, conn, S::FetchingFile, S::FetchingFile);
            add(t + 3 * d, EventKind::DiskReadDone, conn, S::FetchingFile, S::WritingHeaders, 4096);
            add(t + 4 * d, EventKind::ResponseHeadersWritten, conn, S::WritingHeaders, S::WritingBody, 200);
            add(t + 5 * d, EventKind::BodyBytesWritten, conn, S::WritingBody, S::WritingBody, 4096);
            add(t + 6 * d, EventKind::BodyWritten, conn, S::WritingBody, S::WritingBody, 4096);
            add(t + 6 * d + 1, EventKind::KeepAlive, conn, S::WritingBody, S::KeepAlive, std::uint64_t(i + 1));
            state = S::KeepAlive;
        }
        add(t1, EventKind::ConnectionClosed, conn, state, S::Closed);
    }
    void engineLoop(int iterations)
    {
        const std::int64_t period = kSessionNs / iterations;
        for (int i = 0; i < iterations; ++i) {
            add(kOrigin + i * period, EventKind::LoopPollBegin, 0, S::None, S::None, 1000);
            add(kOrigin + i * period + period / 2, EventKind::LoopPollEnd, 0, S::None, S::None, 3);
        }
    }
};

struct Recording {
    TraceStore store{8'000'000};
    TimelineModel model;
    std::size_t events = 0;

    explicit Recording(Builder& b)
    {
        std::sort(b.out.begin(), b.out.end(), [](const Timed& x, const Timed& y) {
            return x.key != y.key ? x.key < y.key : x.seq < y.seq;
        });
        std::vector<EventRecord> records;
        records.reserve(b.out.size());
        for (const Timed& t : b.out)
            records.push_back(t.record);
        // Fed in consumer-sized batches, as the live window does.
        for (std::size_t i = 0; i < records.size(); i += 65'536) {
            const std::size_t n = std::min<std::size_t>(65'536, records.size() - i);
            const std::uint64_t from = store.endIndex();
            store.append(records.data() + i, n);
            model.ingest(store, from, store.endIndex());
        }
        events = records.size();
    }
};

// 100 connections at a time, each lasting 100 ms: 100 lanes of 100 connections each.
const Recording& hundredLanes()
{
    static const std::unique_ptr<Recording> recording = [] {
        Builder b;
        for (std::uint32_t slot = 0; slot < 100; ++slot)
            for (std::uint32_t j = 0; j < 100; ++j) {
                const std::int64_t t0 = kOrigin + std::int64_t(j) * 100'000'000 + slot * 997;
                b.connection(1 + slot * 100 + j, t0, t0 + 99'000'000);
            }
        b.engineLoop(40'000);
        return std::make_unique<Recording>(b);
    }();
    return *recording;
}

// 10,000 connections all open for the whole session: 10,000 lanes.
const Recording& tenThousandLanes()
{
    static const std::unique_ptr<Recording> recording = [] {
        Builder b;
        for (std::uint32_t c = 0; c < 10'000; ++c)
            b.connection(1 + c, kOrigin + c * 1000, kOrigin + kSessionNs - 1000 + c);
        return std::make_unique<Recording>(b);
    }();
    return *recording;
}

void paintFrames(benchmark::State& state, const Recording& rec, std::int64_t visibleNs)
{
    TimelineView view(rec.model, rec.store);
    view.resize(1600, 1000);
    view.setLaneHeight(8);
    const std::int64_t middle = kOrigin + kSessionNs / 2;
    if (visibleNs >= kSessionNs)
        view.fitAll();
    else
        view.setVisibleRange(middle - visibleNs / 2, middle + visibleNs / 2);
    std::int64_t paints = 0;
    std::int64_t paintNs = 0;
    view.setWorkRecorder([&](std::int64_t, std::int64_t ns) {
        ++paints;
        paintNs += ns;
    });
    QImage image(1600, 1000, QImage::Format_ARGB32_Premultiplied);
    for (auto _ : state) {
        view.render(&image);
        benchmark::DoNotOptimize(image.constBits());
    }
    state.counters["events"] = double(rec.events);
    state.counters["lanes"] = rec.model.connectionLaneCount();
    state.counters["paintEvent_ms"] = paints ? double(paintNs) / double(paints) / 1e6 : 0.0;
}

void BM_Paint_ZoomedOut_100Lanes(benchmark::State& state) { paintFrames(state, hundredLanes(), kSessionNs); }
void BM_Paint_ZoomedIn_100Lanes(benchmark::State& state) { paintFrames(state, hundredLanes(), 20'000'000); }
void BM_Paint_ZoomedOut_10000Lanes(benchmark::State& state) { paintFrames(state, tenThousandLanes(), kSessionNs); }

BENCHMARK(BM_Paint_ZoomedOut_100Lanes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Paint_ZoomedIn_100Lanes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Paint_ZoomedOut_10000Lanes)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

int main(int argc, char** argv)
{
    // Widgets need a platform; offscreen works on machines without a display (CI, SSH).
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
