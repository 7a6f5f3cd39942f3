// StatsModel: exact bucket counts, loop utilisation split across buckets, GUI busy time without
// double counting, latency percentiles (whole recording and recent window), bounded history,
// throttled updated().
#include "charts/charts_panel.h"
#include "charts/stats_model.h"
#include "model/trace_store.h"

#include <QSignalSpy>
#include <QtTest>

#include <vector>

using namespace loopscope;
using K = EventKind;

class TestStatsModel : public QObject {
    Q_OBJECT
private slots:
    void requestsAndActiveConnectionsPerBucket();
    void engineLoopUtilisationFromPollPairs();
    void guiUtilisationCountsOutermostEventsOnly();
    void latencyPercentilesOfKnownInputs();
    void recentWindowIsExactAndBounded();
    void recentKeepsLatenciesOfSeconds();
    void recentSaysWhatSpanItCovers();
    void histogramIsLogSpaced();
    void historyIsBounded();
    void updatedIsThrottledAndOnlyOnChange();
    void chartsPanelRedrawsAndReportsItsWork();
};

namespace {

constexpr std::int64_t kT0 = 1'000'000'000; // origin: the first record's time
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kUs = 1'000;

EventRecord rec(std::int64_t t, K kind, std::uint32_t conn = 0, std::uint64_t arg = 0, std::uint32_t aux = 0)
{
    EventRecord r;
    r.t_ns = kT0 + t;
    r.kind = kind;
    r.conn = conn;
    r.arg = arg;
    r.aux = aux;
    return r;
}

void feed(TraceStore& store, StatsModel& model, const std::vector<EventRecord>& records)
{
    const std::uint64_t from = store.endIndex();
    store.append(records.data(), records.size());
    model.ingest(store, from, store.endIndex());
}

// One request on its own connection: headers read at t, body written `latency` later.
std::vector<EventRecord> timedRequest(std::uint32_t conn, std::int64_t t, std::int64_t latency)
{
    return {rec(t, K::RequestHeadersRead, conn, 1, 1), makeTextRecord(conn, "/", true),
            rec(t + latency, K::BodyWritten, conn, 100)};
}

} // namespace

void TestStatsModel::requestsAndActiveConnectionsPerBucket()
{
    TraceStore store;
    StatsModel model;
    feed(store, model, {rec(0, K::ConnectionAccepted, 1), rec(1 * kMs, K::ConnectionAccepted, 2),
                        rec(2 * kMs, K::ConnectionAccepted, 3), rec(3 * kMs, K::ConnectionAccepted, 4),
                        rec(100 * kMs, K::BodyWritten, 1), rec(101 * kMs, K::BodyWritten, 2),
                        rec(300 * kMs, K::RequestRejected, 3, 400),
                        rec(310 * kMs, K::ConnectionClosed, 1), rec(311 * kMs, K::ConnectionClosed, 2),
                        rec(600 * kMs, K::LoopPollBegin)});
    QCOMPARE(model.buckets().size(), std::size_t(3));
    QCOMPARE(model.buckets()[0].completed, 2u);
    QCOMPARE(model.buckets()[0].accepted, 4u);
    QCOMPARE(model.buckets()[0].activeAtEnd, 4);
    QCOMPARE(model.requestsPerSecond(0), 8.0);
    QCOMPARE(model.buckets()[1].rejected, 1u);
    QCOMPARE(model.buckets()[1].closed, 2u);
    QCOMPARE(model.buckets()[1].activeAtEnd, 2);
    QCOMPARE(model.requestsPerSecond(1), 4.0);
    QCOMPARE(model.buckets()[2].activeAtEnd, 2);
    QCOMPARE(model.bucketStartNs(2), 500 * kMs);
    QCOMPARE(model.requestsCompleted(), 3u);
    QCOMPARE(model.activeConnections(), 2);
    // A recording that starts mid-connection sees a close without its accept: never below zero.
    feed(store, model, {rec(700 * kMs, K::ConnectionClosed, 8), rec(701 * kMs, K::ConnectionClosed, 9),
                        rec(702 * kMs, K::ConnectionClosed, 3), rec(703 * kMs, K::ConnectionClosed, 4)});
    QCOMPARE(model.activeConnections(), 0);
}

void TestStatsModel::engineLoopUtilisationFromPollPairs()
{
    TraceStore store;
    StatsModel model;
    feed(store, model, {rec(0, K::LoopPollBegin), rec(100 * kMs, K::LoopPollEnd, 0, 2),
                        rec(150 * kMs, K::LoopPollBegin), rec(300 * kMs, K::LoopPollEnd, 0, 1),
                        rec(400 * kMs, K::LoopPollBegin)});
    QCOMPARE(model.buckets()[0].engineBlockedNs, 200 * kMs);
    QCOMPARE(model.buckets()[0].engineDispatchNs, 50 * kMs);
    QCOMPARE(model.engineUtilisation(0), 20.0);
    QCOMPARE(model.buckets()[1].engineBlockedNs, 50 * kMs);
    QCOMPARE(model.buckets()[1].engineDispatchNs, 100 * kMs);
    QVERIFY(qFuzzyCompare(model.engineUtilisation(1), 200.0 / 3.0));
    // The loop stops while dispatching: the dispatch ends with the stop.
    feed(store, model, {rec(410 * kMs, K::LoopPollEnd), rec(430 * kMs, K::ServerStopped)});
    QCOMPARE(model.buckets()[1].engineDispatchNs, 120 * kMs);
}

void TestStatsModel::guiUtilisationCountsOutermostEventsOnly()
{
    TraceStore store;
    StatsModel model;
    EventRecord work = rec(10 * kMs, K::GuiWork, 0, 20 * kMs, std::uint32_t(GuiWorkKind::Paint));
    work.thread = kGuiThread; // nested inside the first event: not counted again
    feed(store, model, {rec(0, K::GuiEventHandled, 0, 50 * kMs, 12), work,
                        rec(200 * kMs, K::GuiEventHandled, 0, 100 * kMs, 12),
                        rec(210 * kMs, K::GuiLoopDelay, 0, 3 * kMs), rec(220 * kMs, K::GuiLoopDelay, 0, 5 * kMs)});
    QCOMPARE(model.buckets().size(), std::size_t(2));
    QCOMPARE(model.guiUtilisation(0), 40.0);
    QCOMPARE(model.guiUtilisation(1), 20.0);
    QCOMPARE(model.buckets()[0].guiDelayMaxNs, 5 * kMs);
    QCOMPARE(model.buckets()[0].guiDelaySumNs / model.buckets()[0].guiDelayCount, 4 * kMs);
}

void TestStatsModel::latencyPercentilesOfKnownInputs()
{
    TraceStore store;
    StatsModel model;
    std::vector<EventRecord> records;
    std::uint32_t conn = 1;
    auto add = [&](int n, std::int64_t latency) {
        for (int i = 0; i < n; ++i, ++conn) {
            const auto r = timedRequest(conn, conn * kMs, latency);
            records.insert(records.end(), r.begin(), r.end());
        }
    };
    add(90, 10 * kUs);
    add(9, 1 * kMs);
    add(1, 100 * kMs);
    feed(store, model, records);
    const LatencyPercentiles all = model.latencyOverall();
    QCOMPARE(all.count, 100u);
    QCOMPARE(all.p50, 10 * kUs);
    QCOMPARE(all.p90, 10 * kUs);
    QCOMPARE(all.p99, 1 * kMs);
    const LatencyPercentiles recent = model.latencyRecent();
    QCOMPARE(recent.count, 100u);
    QCOMPARE(recent.p50, 10 * kUs);
    QCOMPARE(recent.p90, 10 * kUs);
    QCOMPARE(recent.p99, 1 * kMs);
    // A request still in flight when its connection closes is no sample.
    feed(store, model, {rec(900 * kMs, K::RequestHeadersRead, 500, 1, 1), rec(901 * kMs, K::ConnectionClosed, 500),
                        rec(902 * kMs, K::BodyWritten, 500)});
    QCOMPARE(model.latencyOverall().count, 100u);
}

// The recent window keeps at most kMaxRecentSamples: while fewer requests completed in it, the
// percentiles cover the whole window; beyond, they cover only the newest samples' span, and say so.
void TestStatsModel::recentSaysWhatSpanItCovers()
{
    TraceStore store(8u << 20);
    StatsModel model;
    std::vector<EventRecord> records;
    QCOMPARE(model.recentWindowNs(), 10'000 * kMs);
    // Ten requests a millisecond for 2 s: 20,000 samples, all kept.
    std::uint32_t conn = 1;
    const auto addMilliseconds = [&](std::int64_t fromMs, std::int64_t toMs) {
        for (std::int64_t ms = fromMs; ms < toMs; ++ms)
            for (int k = 0; k < 10; ++k, ++conn) {
                const auto r = timedRequest(conn, ms * kMs, 50 * kUs);
                records.insert(records.end(), r.begin(), r.end());
            }
        feed(store, model, records);
        records.clear();
    };
    addMilliseconds(1, 2'001);
    LatencyPercentiles recent = model.latencyRecent();
    QCOMPARE(recent.count, 20'000u);
    QCOMPARE(recent.spanNs, model.recentWindowNs());
    // 14 s more at twenty a millisecond: 200,000 samples in the 10 s window, of which the newest
    // 100,000 are kept, and those span 5 s.
    for (std::int64_t ms = 2'001; ms < 16'001; ++ms)
        for (int k = 0; k < 20; ++k, ++conn) {
            const auto r = timedRequest(conn, ms * kMs, 50 * kUs);
            records.insert(records.end(), r.begin(), r.end());
        }
    feed(store, model, records);
    recent = model.latencyRecent();
    QCOMPARE(recent.count, std::uint64_t(StatsModel::kMaxRecentSamples));
    // The oldest kept sample completed 4,999 ms before the newest (20 a ms, 100,000 samples).
    QCOMPARE(recent.spanNs, 4'999 * kMs);
    QCOMPARE(recent.p99, 50 * kUs);
}

// Recent samples keep a latency in 32 bits: in ns below 2.1 s, in µs above (still exact here).
void TestStatsModel::recentKeepsLatenciesOfSeconds()
{
    TraceStore store;
    StatsModel model;
    std::vector<EventRecord> records;
    const std::int64_t latencies[] = {5'000'000 * kUs, 2'147'483 * kUs, 1 * kUs};
    for (std::uint32_t i = 0; i < 3; ++i) {
        const auto r = timedRequest(1 + i, 100 * kMs * (i + 1), latencies[i]);
        records.insert(records.end(), r.begin(), r.end());
    }
    feed(store, model, records);
    const LatencyPercentiles recent = model.latencyRecent();
    QCOMPARE(recent.count, 3u);
    QCOMPARE(recent.p50, 2'147'483 * kUs);
    QCOMPARE(recent.p99, 5'000'000 * kUs);
}

void TestStatsModel::recentWindowIsExactAndBounded()
{
    TraceStore store;
    StatsModel model;
    model.setRecentWindowNs(1000 * kMs);
    std::vector<EventRecord> records;
    for (std::uint32_t i = 1; i <= 50; ++i) { // old: 1 s latencies, long before the window
        const auto r = timedRequest(i, std::int64_t(i) * kMs, 1000 * kMs);
        records.insert(records.end(), r.begin(), r.end());
    }
    for (std::uint32_t i = 1; i <= 100; ++i) { // recent: 1..100 µs
        const auto r = timedRequest(1000 + i, 10'000 * kMs + std::int64_t(i) * kMs, std::int64_t(i) * kUs);
        records.insert(records.end(), r.begin(), r.end());
    }
    feed(store, model, records);
    const LatencyPercentiles recent = model.latencyRecent();
    QCOMPARE(recent.count, 100u);
    QCOMPARE(recent.p50, 50 * kUs);
    QCOMPARE(recent.p90, 90 * kUs);
    QCOMPARE(recent.p99, 99 * kUs);
    const LatencyPercentiles all = model.latencyOverall();
    QCOMPARE(all.count, 150u);
    // Whole recording: rank 75 of 150 is 75 µs; the histogram names its bin's largest sample,
    // at most one bin (2.3 %) above.
    QVERIFY(all.p50 >= 75 * kUs && all.p50 <= 75 * kUs * 1024 / 1000);
    QCOMPARE(all.p99, 1000 * kMs);
}

void TestStatsModel::histogramIsLogSpaced()
{
    TraceStore store;
    StatsModel model;
    std::vector<EventRecord> records;
    const std::int64_t latencies[] = {500, 2 * kUs, 2 * kUs, 15 * kUs, 3 * kMs, 20'000 * kMs};
    std::uint32_t conn = 1;
    for (std::int64_t latency : latencies) {
        const auto r = timedRequest(conn, conn * kMs, latency);
        records.insert(records.end(), r.begin(), r.end());
        ++conn;
    }
    feed(store, model, records);
    const std::vector<LatencyBin> bins = model.latencyHistogram(10);
    QCOMPARE(bins.size(), std::size_t(70));
    QCOMPARE(bins.front().lowNs, 1 * kUs);
    QCOMPARE(bins.back().highNs, 10'000 * kMs);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < bins.size(); ++i) {
        total += bins[i].count;
        if (i > 0)
            QCOMPARE(bins[i].lowNs, bins[i - 1].highNs);
    }
    QCOMPARE(total, 4u);
    QCOMPARE(model.latencyBelowRange(), 1u);
    QCOMPARE(model.latencyAboveRange(), 1u);
    const auto holding = [&](std::int64_t ns) {
        for (const LatencyBin& b : bins)
            if (ns >= b.lowNs && ns < b.highNs)
                return b.count;
        return std::uint64_t(0);
    };
    QCOMPARE(holding(2 * kUs), 2u);
    QCOMPARE(holding(15 * kUs), 1u);
    QCOMPARE(holding(3 * kMs), 1u);
}

void TestStatsModel::historyIsBounded()
{
    TraceStore store;
    StatsModel model;
    model.setHistoryNs(1000 * kMs); // four 250 ms buckets
    std::vector<EventRecord> records;
    for (int i = 0; i < 40; ++i)
        records.push_back(rec(i * 250 * kMs, K::BodyWritten, 1));
    feed(store, model, records);
    QCOMPARE(model.buckets().size(), std::size_t(4));
    QCOMPARE(model.bucketStartNs(0), 36 * 250 * kMs);
    QCOMPARE(model.buckets()[3].completed, 1u);
    feed(store, model, {rec(3600'000 * kMs, K::BodyWritten, 1)}); // an hour later: starts afresh
    QCOMPARE(model.buckets().size(), std::size_t(1));
    QCOMPARE(model.requestsCompleted(), 41u);
}

void TestStatsModel::updatedIsThrottledAndOnlyOnChange()
{
    TraceStore store;
    StatsModel model;
    model.setUpdateIntervalMs(20);
    QSignalSpy updated(&model, &StatsModel::updated);
    for (int i = 0; i < 10; ++i)
        feed(store, model, {rec(i * kMs, K::BodyWritten, 1)});
    QCOMPARE(updated.count(), 0); // not from inside ingest
    QVERIFY(updated.wait(1000));
    QCOMPARE(updated.count(), 1); // ten ingests, one signal
    QTest::qWait(80);
    QCOMPARE(updated.count(), 1); // nothing changed since
}

void TestStatsModel::chartsPanelRedrawsAndReportsItsWork()
{
    TraceStore store;
    StatsModel model;
    model.setUpdateIntervalMs(10);
    ChartsPanel panel(model);
    int reports = 0;
    std::int64_t lastDuration = -1;
    panel.setWorkRecorder([&](std::int64_t, std::int64_t duration) {
        ++reports;
        lastDuration = duration;
    });
    panel.show();
    std::vector<EventRecord> records;
    for (std::uint32_t i = 1; i <= 20; ++i) {
        const auto r = timedRequest(i, std::int64_t(i) * 100 * kMs, 50 * kUs);
        records.insert(records.end(), r.begin(), r.end());
    }
    feed(store, model, records);
    // A live redraw comes in two halves (time charts, then latency), each reported.
    QTRY_COMPARE_WITH_TIMEOUT(reports, 2, 2000);
    QVERIFY(lastDuration >= 0);
    QTest::qWait(400);
    QCOMPARE(reports, 2); // no change, no redraw
    panel.refresh(); // an explicit refresh redraws everything at once
    QCOMPARE(reports, 3);
}

QTEST_MAIN(TestStatsModel)
#include "tst_stats_model.moc"
