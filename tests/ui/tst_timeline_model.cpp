// TimelineModel: lanes built from records; packing of closed connections; loop and GUI lanes;
// eviction. Also TraceStore's chunked, bounded storage.
#include "model/timeline_model.h"
#include "model/trace_store.h"

#include "synthetic_records.h"

#include <QtTest>

#include <deque>
#include <random>
#include <vector>

using namespace loopscope;
using loopscope::test::rec;
using S = ConnectionState;

class TestTimelineModel : public QObject {
    Q_OBJECT
private slots:
    void storeAppendsAcrossChunks();
    void storeEvictsWholeChunksAndCountsDrops();
    void oneConnectionFollowsTheSeedsStates();
    void closedLanesAreReused();
    void concurrentConnectionsGetTheirOwnLanes();
    void loopAndGuiLanes();
    void spanAtFindsTheCoveringSpan();
    void evictionDropsOldSpans();
    void lanesKnowTheirTenants();
    void summariesLeaveWithTheirRecords();
    void connectionIdsMayJump();
    void storeKeepsEveryFieldButReserved();
    void spanListIsADequeAcrossManyChunks();
};

namespace {

// One GET with Connection: close, from accept at t to close at t+9.
std::vector<EventRecord> request(std::uint32_t conn, std::int64_t t)
{
    return {rec(t, EventKind::ConnectionAccepted, conn, S::None, S::Accepted),
            rec(t + 1, EventKind::BytesRead, conn, S::Accepted, S::ReadingHeaders, 70),
            rec(t + 2, EventKind::RequestHeadersRead, conn, S::ReadingHeaders, S::FetchingFile, 1, 1),
            makeTextRecord(conn, "/index.html", true),
            rec(t + 3, EventKind::DiskReadStarted, conn, S::FetchingFile, S::FetchingFile),
            rec(t + 4, EventKind::DiskReadDone, conn, S::FetchingFile, S::WritingHeaders, 1000),
            rec(t + 5, EventKind::ResponseHeadersWritten, conn, S::WritingHeaders, S::WritingBody, 200),
            rec(t + 6, EventKind::BodyBytesWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 7, EventKind::BodyWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 9, EventKind::ConnectionClosed, conn, S::WritingBody, S::Closed)};
}

void feed(TraceStore& store, TimelineModel& model, const std::vector<EventRecord>& records)
{
    const std::uint64_t from = store.endIndex();
    store.append(records.data(), records.size());
    model.ingest(store, from, store.endIndex());
}

std::vector<S> statesOf(const SpanList<StateSpan>& spans)
{
    std::vector<S> out;
    for (const StateSpan& s : spans)
        out.push_back(s.state);
    return out;
}

} // namespace

void TestTimelineModel::storeAppendsAcrossChunks()
{
    TraceStore store(10 * TraceStore::kChunkRecords);
    std::vector<EventRecord> batch(TraceStore::kChunkRecords + 5);
    for (std::size_t i = 0; i < batch.size(); ++i)
        batch[i].arg = i;
    store.append(batch.data(), batch.size());
    store.append(batch.data(), 3);
    QCOMPARE(store.size(), batch.size() + 3);
    QCOMPARE(store.at(TraceStore::kChunkRecords + 4).arg, std::uint64_t(TraceStore::kChunkRecords + 4));
    QCOMPARE(store.at(batch.size() + 2).arg, 2u);
    QCOMPARE(store.evicted(), 0u);
}

void TestTimelineModel::storeEvictsWholeChunksAndCountsDrops()
{
    TraceStore store(2 * TraceStore::kChunkRecords);
    std::vector<EventRecord> batch(TraceStore::kChunkRecords);
    for (std::size_t i = 0; i < batch.size(); ++i)
        batch[i].arg = i;
    batch[7].kind = EventKind::RecordsDropped;
    batch[7].arg = 42;
    for (int i = 0; i < 3; ++i)
        store.append(batch.data(), batch.size());
    store.append(batch.data(), 1); // the fourth chunk starts: the first must go
    QCOMPARE(store.evicted(), std::uint64_t(TraceStore::kChunkRecords) * 2);
    QCOMPARE(store.beginIndex(), std::uint64_t(TraceStore::kChunkRecords) * 2);
    QCOMPARE(store.at(store.beginIndex() + 8).arg, 8u);
    QVERIFY(store.size() <= store.capacity());
    QCOMPARE(store.droppedByEngine(), 42u * 3);
}

void TestTimelineModel::oneConnectionFollowsTheSeedsStates()
{
    TraceStore store;
    TimelineModel model;
    feed(store, model, request(1, 100));
    QCOMPARE(model.connectionLaneCount(), 1);
    const std::vector<S> expected{S::Accepted, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders,
                                  S::WritingBody, S::None};
    QCOMPARE(statesOf(model.laneSpans(0)), expected);
    QCOMPARE(model.laneDiskSpans(0).size(), std::size_t(1));
    QCOMPARE(std::int64_t(model.laneDiskSpans(0)[0].start), 103); // copies: spans are packed
    QCOMPARE(std::int64_t(model.laneDiskSpans(0)[0].end), 104);
    const ConnectionSummary* c = model.connection(1);
    QVERIFY(c);
    QCOMPARE(c->accepted, 100);
    QCOMPARE(c->closed, 109);
    QCOMPARE(c->requests, 1u);
    QCOMPARE(model.openConnections(), std::size_t(0));
}

void TestTimelineModel::closedLanesAreReused()
{
    TraceStore store;
    TimelineModel model;
    for (std::uint32_t conn = 1; conn <= 1000; ++conn)
        feed(store, model, request(conn, conn * 100));
    QCOMPARE(model.connectionLaneCount(), 1); // one after the other: one lane
    QCOMPARE(model.laneSpans(0).size(), std::size_t(6000));
    const auto& spans = model.laneSpans(0);
    for (std::size_t i = 1; i < spans.size(); ++i)
        QVERIFY(spans[i - 1].start <= spans[i].start);
}

void TestTimelineModel::concurrentConnectionsGetTheirOwnLanes()
{
    TraceStore store;
    TimelineModel model;
    std::vector<EventRecord> all;
    for (std::uint32_t conn = 1; conn <= 3; ++conn)
        all.push_back(rec(conn, EventKind::ConnectionAccepted, conn, S::None, S::Accepted));
    all.push_back(rec(10, EventKind::ConnectionClosed, 2, S::Accepted, S::Closed));
    all.push_back(rec(11, EventKind::ConnectionAccepted, 4, S::None, S::Accepted));
    feed(store, model, all);
    QCOMPARE(model.connectionLaneCount(), 3);
    QCOMPARE(model.connection(4)->lane, 1); // took the lane connection 2 gave back
    QCOMPARE(model.openConnections(), std::size_t(3));
}

void TestTimelineModel::loopAndGuiLanes()
{
    TraceStore store;
    TimelineModel model;
    EventRecord gui;
    gui.t_ns = 50;
    gui.arg = 7;
    gui.kind = EventKind::GuiWork;
    gui.aux = std::uint32_t(GuiWorkKind::Paint);
    gui.thread = kGuiThread;
    feed(store, model, {rec(10, EventKind::LoopPollBegin, 0, S::None, S::None, 100),
                        rec(20, EventKind::LoopPollEnd, 0, S::None, S::None, 3), gui,
                        rec(30, EventKind::LoopPollBegin, 0, S::None, S::None, 100)});
    QCOMPARE(model.engineLoop().size(), std::size_t(3));
    QCOMPARE(LoopPhase(model.engineLoop()[1].phase), LoopPhase::Dispatching);
    QCOMPARE(std::uint32_t(model.engineLoop()[1].ready), 3u);
    QCOMPARE(model.guiLoop().size(), std::size_t(1));
    QCOMPARE(model.guiLoop()[0].kind, GuiSpanKind::Paint);
    QCOMPARE(model.guiLoop()[0].end, 57);
    QCOMPARE(model.firstTime(), 10);
    QCOMPARE(model.lastTime(), 50);
    // A load generator phase is a marker on the engine loop's row.
    feed(store, model, {rec(60, EventKind::LoadPhase, 0, S::None, S::None, 2), makeTextRecord(0, "burst", true)});
    QCOMPARE(model.markers().size(), std::size_t(1));
    QCOMPARE(model.markers()[0].kind, EventKind::LoadPhase);
    QCOMPARE(model.markers()[0].lane, -1);
    QCOMPARE(model.markers()[0].arg, 2u);
    QCOMPARE(model.lastTime(), 60);
}

void TestTimelineModel::spanAtFindsTheCoveringSpan()
{
    SpanList<LoopSpan> spans{{10, 0, LoopPhase::Blocked}, {20, 0, LoopPhase::Dispatching}, {30, 0, LoopPhase::Blocked}};
    QCOMPARE(TimelineModel::spanAt(spans, 5), -1);
    QCOMPARE(TimelineModel::spanAt(spans, 10), 0);
    QCOMPARE(TimelineModel::spanAt(spans, 19), 0);
    QCOMPARE(TimelineModel::spanAt(spans, 20), 1);
    QCOMPARE(TimelineModel::spanAt(spans, 1000), 2);
}

void TestTimelineModel::evictionDropsOldSpans()
{
    TraceStore store(2 * TraceStore::kChunkRecords);
    TimelineModel model;
    std::uint32_t conn = 1;
    // Fed a request at a time, as the consumer does: the model sees every record before the
    // store evicts it.
    while (store.evicted() == 0) {
        feed(store, model, request(conn, std::int64_t(conn) * 100));
        ++conn;
    }
    const std::size_t before = model.laneSpans(0).size();
    model.evicted(store);
    QVERIFY(model.laneSpans(0).size() < before);
    QVERIFY(model.laneSpans(0).front().start <= model.firstTime());
    QVERIFY(model.laneSpans(0)[1].start > model.firstTime());
}

// Spans carry no connection id: a lane's tenants say whose a span is.
void TestTimelineModel::lanesKnowTheirTenants()
{
    TraceStore store;
    TimelineModel model;
    feed(store, model, request(1, 100));
    feed(store, model, request(2, 200));
    QCOMPARE(model.connectionLaneCount(), 1);
    QCOMPARE(model.connectionAt(0, 99), 0u);
    QCOMPARE(model.connectionAt(0, 100), 1u);
    QCOMPARE(model.connectionAt(0, 109), 1u); // its closing span
    QCOMPARE(model.connectionAt(0, 150), 1u); // the free lane after it
    QCOMPARE(model.connectionAt(0, 200), 2u);
    QCOMPARE(model.connectionAt(0, 1'000'000), 2u);
    QCOMPARE(model.connectionAt(1, 200), 0u);
    QCOMPARE(model.connectionAt(-1, 200), 0u);
}

// A closed connection's summary goes when its last record leaves the store; an open one whose
// first records have gone stays (its lane still shows it).
void TestTimelineModel::summariesLeaveWithTheirRecords()
{
    TraceStore store(2 * TraceStore::kChunkRecords);
    TimelineModel model;
    feed(store, model, {rec(10, EventKind::ConnectionAccepted, 1, S::None, S::Accepted)}); // stays open
    std::uint32_t conn = 2;
    while (store.evicted() == 0) {
        feed(store, model, request(conn, std::int64_t(conn) * 100));
        ++conn;
    }
    model.evicted(store);
    QVERIFY(model.connection(1) != nullptr);
    QCOMPARE(model.connection(1)->closed, std::int64_t(-1));
    QVERIFY(model.connection(2) == nullptr);
    QVERIFY(model.connection(conn - 1) != nullptr);
    QCOMPARE(model.connection(conn - 1)->id, conn - 1);
    // The open connection carries on normally.
    feed(store, model, {rec(std::int64_t(conn) * 100, EventKind::ConnectionClosed, 1, S::Accepted, S::Closed)});
    QVERIFY(model.connection(1)->closed > 0);
    QCOMPARE(model.openConnections(), std::size_t(0));
}

// Summaries are kept densely by id; ids far apart (or going back) are still found.
void TestTimelineModel::connectionIdsMayJump()
{
    TraceStore store;
    TimelineModel model;
    feed(store, model, request(5, 100));
    feed(store, model, request(9'000'000, 200));
    feed(store, model, request(9'000'002, 300));
    feed(store, model, request(3, 400));
    for (const std::uint32_t id : {5u, 9'000'000u, 9'000'002u, 3u}) {
        QVERIFY2(model.connection(id) != nullptr, qPrintable(QString::number(id)));
        QCOMPARE(model.connection(id)->id, id);
        QCOMPARE(model.connection(id)->requests, 1u);
    }
    QVERIFY(model.connection(9'000'001) == nullptr);
    QVERIFY(model.connection(4) == nullptr);
}

// The store keeps 28 of the record's 32 bytes: everything but the reserved field, text included.
void TestTimelineModel::storeKeepsEveryFieldButReserved()
{
    TraceStore store;
    EventRecord r;
    r.t_ns = -123456789012345;
    r.arg = UINT64_MAX - 7;
    r.conn = 0xdeadbeef;
    r.aux = 0xfeedf00d;
    r.kind = EventKind::DiskReadDone;
    r.from = S::FetchingFile;
    r.to = S::WritingHeaders;
    r.thread = 200;
    const EventRecord text = makeTextRecord(9, "/sixteen-bytes!!", true);
    const EventRecord both[] = {r, text};
    store.append(both, 2);
    const EventRecord back = store.at(0);
    QCOMPARE(back.t_ns, r.t_ns);
    QCOMPARE(back.arg, r.arg);
    QCOMPARE(back.conn, r.conn);
    QCOMPARE(back.aux, r.aux);
    QCOMPARE(back.kind, r.kind);
    QCOMPARE(back.from, r.from);
    QCOMPARE(back.to, r.to);
    QCOMPARE(back.thread, r.thread);
    QCOMPARE(textOf(store.at(1)), std::string_view("/sixteen-bytes!!"));
}

// SpanList against std::deque: bursts of pushes and pops that cross chunk boundaries, empty the
// list now and then (also exactly on a chunk boundary), and retire many chunks (the front chunks
// are released lazily). LoopSpan is packed: its fields are copied before comparing.
void TestTimelineModel::spanListIsADequeAcrossManyChunks()
{
    SpanList<LoopSpan> list;
    std::deque<std::int64_t> expected;
    std::uint64_t pushes = 0;
    std::int64_t next = 0;
    const auto startOf = [](const LoopSpan& span) { return std::int64_t(span.start); };
    const auto push = [&](int count) {
        for (int i = 0; i < count; ++i) {
            list.push_back({next, 0, LoopPhase::Blocked});
            expected.push_back(next++);
            ++pushes;
        }
    };
    const auto pop = [&](int count) {
        for (int i = 0; i < count && !expected.empty(); ++i) {
            QCOMPARE(startOf(list.front()), expected.front());
            list.pop_front();
            expected.pop_front();
        }
    };
    const auto check = [&] {
        QCOMPARE(list.size(), expected.size());
        QCOMPARE(list.pushed(), pushes);
        for (std::size_t i = 0; i < expected.size(); i += 97)
            QCOMPARE(startOf(list[i]), expected[i]);
        if (!expected.empty())
            QCOMPARE(startOf(list.back()), expected.back());
    };
    constexpr int kChunk = 64; // LoopSpan is 13 bytes: 64 to a chunk of about 1 KiB
    push(3 * kChunk); // empties exactly at the end of a chunk, then fills again
    pop(3 * kChunk);
    check();
    push(2 * kChunk + 1); // down to one element, the first of a chunk
    pop(2 * kChunk);
    check();
    push(kChunk - 1); // ...and that chunk full again
    check();
    std::mt19937 random(7);
    for (int round = 0; round < 400; ++round) {
        push(int(random() % 3000));
        pop(round % 50 == 49 ? int(expected.size()) : int(random() % 3000));
        check();
    }
    std::size_t walked = 0;
    for (const LoopSpan& span : list)
        QCOMPARE(startOf(span), expected[walked++]);
    QCOMPARE(walked, expected.size());
}

QTEST_MAIN(TestTimelineModel)
#include "tst_timeline_model.moc"
