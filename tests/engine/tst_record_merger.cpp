// Tests of the Recorder's per-thread rings and the merge of them (RecordMerger): one stream in
// time order, each ring's order kept, a request's text right behind it, drops delivered where
// they happened, and no ring held back by a thread that is blocked (idle) - but always by one
// that is busy and may still record something earlier.
#include "core/clock.h"
#include "core/recorder.h"

#include <QtTest>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

using namespace loopscope;

namespace {

void put(ProducerRing& ring, std::int64_t t, std::uint32_t conn, EventKind kind = EventKind::BytesRead,
         std::uint8_t thread = 0)
{
    ring.record(t, kind, conn, ConnectionState::None, ConnectionState::None, std::uint64_t(t), 0, thread);
}

std::vector<EventRecord> drainAll(Recorder& recorder, std::size_t batch = 64)
{
    std::vector<EventRecord> out;
    std::vector<EventRecord> buf(batch);
    while (std::size_t n = recorder.drain(buf.data(), buf.size()))
        out.insert(out.end(), buf.begin(), buf.begin() + std::ptrdiff_t(n));
    return out;
}

std::vector<std::int64_t> times(const std::vector<EventRecord>& records)
{
    std::vector<std::int64_t> out;
    for (const EventRecord& r : records)
        if (r.kind != EventKind::RequestText)
            out.push_back(r.t_ns);
    return out;
}

} // namespace

class RecordMergerTest : public QObject {
    Q_OBJECT

private slots:
    void ringsAreNumberedAndReused();
    void idleRingsMergeInTimeOrder();
    void busyRingHoldsBackLaterRecords();
    void idleRingHoldsNothingBack();
    void textStaysBehindItsRequest_data();
    void textStaysBehindItsRequest();
    void dropsAreDeliveredInTheirRing();
    void concurrentProducersComeOutInOrder();
};

void RecordMergerTest::ringsAreNumberedAndReused()
{
    Recorder recorder(64, true, 64);
    unsigned a = 0, b = 0, c = 0;
    QVERIFY(recorder.acquireProducer(a));
    QVERIFY(recorder.acquireProducer(b));
    QCOMPARE(a, 1u);
    QCOMPARE(b, 2u);
    recorder.releaseProducer(a, 1);
    QVERIFY(recorder.acquireProducer(c));
    QCOMPARE(c, 1u); // the lowest free number: "thread 1" again
    QCOMPARE(recorder.ringCount(), 3u);
}

void RecordMergerTest::idleRingsMergeInTimeOrder()
{
    Recorder recorder(64, true, 64);
    unsigned n1 = 0, n2 = 0;
    ProducerRing* p1 = recorder.acquireProducer(n1);
    ProducerRing* p2 = recorder.acquireProducer(n2);
    for (std::int64_t t : {10, 40, 70})
        put(recorder.mainProducer(), t, 1);
    for (std::int64_t t : {20, 50, 80})
        put(*p1, t, 2);
    for (std::int64_t t : {30, 40, 90})
        put(*p2, t, 3);
    recorder.releaseProducer(n1, 100);
    recorder.releaseProducer(n2, 100);
    const std::vector<EventRecord> all = drainAll(recorder, 2); // tiny batches: the merge resumes
    QCOMPARE(times(all), (std::vector<std::int64_t>{10, 20, 30, 40, 40, 50, 70, 80, 90}));
}

void RecordMergerTest::busyRingHoldsBackLaterRecords()
{
    Recorder recorder(64, true, 64);
    unsigned n = 0;
    ProducerRing* worker = recorder.acquireProducer(n); // busy: may still record
    put(*worker, 100, 2);
    put(recorder.mainProducer(), 200, 1);
    // 200 must wait: the busy worker has said nothing beyond 100 yet.
    QCOMPARE(times(drainAll(recorder)), std::vector<std::int64_t>{100});
    put(*worker, 150, 2);
    QCOMPARE(times(drainAll(recorder)), std::vector<std::int64_t>{150});
    put(*worker, 250, 2);
    // The main ring is idle (no server runs) and empty: it holds nothing back.
    QCOMPARE(times(drainAll(recorder)), (std::vector<std::int64_t>{200, 250}));
    recorder.releaseProducer(n, 300);
    QCOMPARE(drainAll(recorder).size(), std::size_t(0));
}

// A thread blocked in recv (idle) holds nothing back: its next record will be later than now.
void RecordMergerTest::idleRingHoldsNothingBack()
{
    Recorder recorder(64, true, 64);
    unsigned n = 0;
    ProducerRing* worker = recorder.acquireProducer(n);
    put(*worker, 100, 2);
    worker->markIdle(101);
    const std::int64_t now = monotonicNs();
    put(recorder.mainProducer(), now - 1, 1);
    QCOMPARE(times(drainAll(recorder)), (std::vector<std::int64_t>{100, now - 1}));
    worker->markBusy();
    put(*worker, monotonicNs(), 2);
    // The main ring, idle and empty now, holds back nothing either.
    QCOMPARE(drainAll(recorder).size(), std::size_t(1));
}

void RecordMergerTest::textStaysBehindItsRequest_data()
{
    QTest::addColumn<int>("batch");
    QTest::newRow("batch of 64") << 64;
    QTest::newRow("batch of 1") << 1;
    QTest::newRow("batch of 2") << 2;
}

void RecordMergerTest::textStaysBehindItsRequest()
{
    QFETCH(int, batch);
    Recorder recorder(64, true, 64);
    unsigned n = 0;
    ProducerRing* worker = recorder.acquireProducer(n);
    put(*worker, 50, 2, EventKind::RequestHeadersRead);
    // The head without its text is not handed out yet: the text is on its way.
    put(recorder.mainProducer(), 60, 1);
    QCOMPARE(drainAll(recorder, std::size_t(batch)).size(), std::size_t(0));
    worker->recordText(2, "/a/path/longer/than/thirty-two/bytes", 50);
    put(*worker, 70, 2);
    recorder.releaseProducer(n, 80);
    const std::vector<EventRecord> all = drainAll(recorder, std::size_t(batch));
    QCOMPARE(all.size(), std::size_t(1 + 3 + 2));
    QCOMPARE(all[0].kind, EventKind::RequestHeadersRead);
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(all[std::size_t(i)].kind, EventKind::RequestText);
    QVERIFY(all[3].aux & kTextLast);
    QCOMPARE(all[4].t_ns, std::int64_t(60));
    QCOMPARE(all[5].t_ns, std::int64_t(70));
}

void RecordMergerTest::dropsAreDeliveredInTheirRing()
{
    Recorder recorder(64, true, 4);
    unsigned n = 0;
    ProducerRing* worker = recorder.acquireProducer(n);
    for (std::int64_t t = 1; t <= 10; ++t)
        put(*worker, t, 2); // 4 fit, 6 are dropped
    put(recorder.mainProducer(), 5, 1);
    QCOMPARE(recorder.droppedTotal(), std::uint64_t(6));
    std::vector<EventRecord> all = drainAll(recorder);
    recorder.releaseProducer(n, 20); // room again: the drop count goes into the ring
    const std::vector<EventRecord> rest = drainAll(recorder);
    all.insert(all.end(), rest.begin(), rest.end());
    QCOMPARE(times(all), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 5}));
    QCOMPARE(all.back().kind, EventKind::RecordsDropped);
    QCOMPARE(all.back().arg, std::uint64_t(6));
}

// Producer threads that block now and then (idle) and record clock times, a consumer draining
// all the while: one stream in time order, every record exactly once, each ring's order kept.
void RecordMergerTest::concurrentProducersComeOutInOrder()
{
    constexpr int kThreads = 4;
    constexpr std::uint64_t kPerThread = 20'000;
    Recorder recorder(1u << 16, true, 1u << 16);
    std::atomic<int> running{kThreads};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        unsigned number = 0;
        ProducerRing* ring = recorder.acquireProducer(number);
        QVERIFY(ring);
        threads.emplace_back([&, ring, number] {
            std::minstd_rand rng(number);
            for (std::uint64_t seq = 0; seq < kPerThread; ++seq) {
                ring->record(monotonicNs(), EventKind::BytesRead, number, ConnectionState::None,
                             ConnectionState::None, seq, 0, std::uint8_t(number));
                if (rng() % 512 == 0) { // block for a moment, as a thread in recv does
                    ring->markIdle(monotonicNs());
                    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
                    ring->markBusy();
                }
            }
            recorder.releaseProducer(number, monotonicNs());
            running.fetch_sub(1);
        });
    }
    std::vector<EventRecord> all;
    std::vector<EventRecord> buf(4096);
    while (running.load() > 0 || recorder.waiting() > 0) {
        const std::size_t n = recorder.drain(buf.data(), buf.size());
        all.insert(all.end(), buf.begin(), buf.begin() + std::ptrdiff_t(n));
    }
    for (std::thread& t : threads)
        t.join();
    const std::vector<EventRecord> rest = drainAll(recorder);
    all.insert(all.end(), rest.begin(), rest.end());

    QCOMPARE(all.size(), std::size_t(kThreads * kPerThread));
    std::vector<std::uint64_t> next(kThreads + 1, 0);
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i > 0 && all[i].t_ns < all[i - 1].t_ns)
            QFAIL(("out of time order at record " + std::to_string(i)).c_str());
        const EventRecord& r = all[i];
        QVERIFY(r.thread >= 1 && r.thread <= kThreads);
        QCOMPARE(r.arg, next[r.thread]);
        ++next[r.thread];
    }
}

QTEST_GUILESS_MAIN(RecordMergerTest)
#include "tst_record_merger.moc"
