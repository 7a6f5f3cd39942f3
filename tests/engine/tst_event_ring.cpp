// Tests of EventRing (the SPSC ring) and Recorder (drop accounting, text records).
//
// The stress tests run a real producer thread against a consumer draining in batches through a
// deliberately small ring, and prove the Recorder's promise: every record produced is either
// consumed, in order, or counted in a RecordsDropped record placed where the loss happened.
#include "core/clock.h"
#include "core/event_ring.h"
#include "core/recorder.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace loopscope;

namespace {

// A data record carrying a sequence number in `arg` (and, redundantly, in t_ns so the
// RecordsDropped record that precedes it can be checked to carry its timestamp).
EventRecord seqRecord(std::uint64_t seq)
{
    EventRecord r;
    r.t_ns = std::int64_t(seq) + 1000;
    r.arg = seq;
    r.conn = 7;
    r.kind = EventKind::BytesRead;
    return r;
}

std::vector<EventRecord> drainAll(Recorder& recorder)
{
    std::vector<EventRecord> out;
    EventRecord buf[64];
    while (std::size_t n = recorder.drain(buf, std::size(buf)))
        out.insert(out.end(), buf, buf + n);
    return out;
}

std::vector<EventRecord> popAll(EventRing& ring)
{
    std::vector<EventRecord> out;
    EventRecord buf[64];
    while (std::size_t n = ring.pop(buf, std::size(buf)))
        out.insert(out.end(), buf, buf + n);
    return out;
}

// Sanitizers slow every access by an order of magnitude; keep the stress tests bounded there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kStressRecords = 2'000'000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::uint64_t kStressRecords = 2'000'000;
#else
constexpr std::uint64_t kStressRecords = 5'000'000;
#endif
#else
constexpr std::uint64_t kStressRecords = 5'000'000;
#endif

// A stress run fails rather than hangs if something deadlocks.
constexpr auto kStressDeadline = std::chrono::seconds(60);

enum class ConsumerPace { Fast, Slow, RandomBatches };

// What the consumer saw, checked as it went; `error` is empty when every invariant held.
struct StressOutcome {
    std::uint64_t consumed = 0;
    std::uint64_t droppedSeen = 0; // sum of RecordsDropped args
    std::uint64_t dropRecords = 0; // number of RecordsDropped records
    std::string error;
};

// Checks one record against the sequence so far. Drops seen since the last data record must
// account exactly for the sequence numbers skipped before the next data record.
class SequenceChecker {
public:
    bool accept(const EventRecord& r)
    {
        if (r.kind == EventKind::RecordsDropped) {
            if (r.arg == 0)
                return fail("RecordsDropped with arg 0");
            m_dropsSinceData += r.arg;
            m_outcome.droppedSeen += r.arg;
            ++m_outcome.dropRecords;
            return true;
        }
        if (r.kind != EventKind::BytesRead)
            return fail("unexpected kind " + std::string(toString(r.kind)));
        if (r.arg < m_next)
            return fail("sequence went back: " + std::to_string(r.arg) + " after "
                        + std::to_string(m_next));
        if (r.arg - m_next != m_dropsSinceData)
            return fail("gap of " + std::to_string(r.arg - m_next) + " before "
                        + std::to_string(r.arg) + " but drops reported "
                        + std::to_string(m_dropsSinceData));
        m_next = r.arg + 1;
        m_dropsSinceData = 0;
        ++m_outcome.consumed;
        return true;
    }

    // After the producer is done: the trailing drops must cover everything after the last record.
    void finish(std::uint64_t produced)
    {
        if (m_outcome.error.empty() && produced - m_next != m_dropsSinceData)
            fail("tail gap of " + std::to_string(produced - m_next) + " but drops reported "
                 + std::to_string(m_dropsSinceData));
    }

    const StressOutcome& outcome() const { return m_outcome; }

private:
    bool fail(std::string why)
    {
        if (m_outcome.error.empty())
            m_outcome.error = std::move(why);
        return false;
    }

    std::uint64_t m_next = 0;
    std::uint64_t m_dropsSinceData = 0;
    StressOutcome m_outcome;
};

// Producer: records `count` sequence numbers, then delivers any pending drop count (retrying
// while the consumer makes room) and says it is done. `stop` aborts it if the consumer gave up.
// A non-zero `burst` pauses after every `burst` records, so the ring fills and empties many
// times and the "report drops when space returns" path runs often, not just once.
void produce(Recorder& recorder, std::uint64_t count, std::uint64_t burst,
             std::atomic<bool>& done, std::atomic<bool>& stop)
{
    for (std::uint64_t seq = 0; seq < count; ++seq) {
        recorder.record(seqRecord(seq));
        if (burst != 0 && seq % burst == burst - 1)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    while (!recorder.flushDrops(std::int64_t(count) + 1000)) {
        if (stop.load(std::memory_order_relaxed))
            break;
        std::this_thread::yield();
    }
    done.store(true, std::memory_order_release);
}

std::size_t batchFor(ConsumerPace pace, std::mt19937& rng)
{
    if (pace == ConsumerPace::RandomBatches)
        return std::uniform_int_distribution<std::size_t>(1, 1024)(rng);
    return pace == ConsumerPace::Slow ? 256 : 1024;
}

StressOutcome runStress(std::size_t capacity, std::uint64_t count, std::uint64_t burst,
                        ConsumerPace pace)
{
    Recorder recorder(capacity);
    std::atomic<bool> done{false};
    std::atomic<bool> stop{false};
    std::thread producer(produce, std::ref(recorder), count, burst, std::ref(done),
                         std::ref(stop));

    SequenceChecker checker;
    std::vector<EventRecord> buf(1024);
    std::mt19937 rng(12345);
    const auto deadline = std::chrono::steady_clock::now() + kStressDeadline;
    bool ok = true;
    for (;;) {
        // Read `done` before draining: once it is set, one more full drain sees everything.
        const bool finished = done.load(std::memory_order_acquire);
        std::size_t n;
        while (ok && (n = recorder.drain(buf.data(), batchFor(pace, rng))) != 0) {
            for (std::size_t i = 0; ok && i < n; ++i)
                ok = checker.accept(buf[i]);
            if (pace == ConsumerPace::Slow)
                std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (finished || !ok)
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            stop.store(true);
            producer.join();
            StressOutcome timedOut = checker.outcome();
            timedOut.error = "stress run exceeded its deadline";
            return timedOut;
        }
        if (pace == ConsumerPace::Slow)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    stop.store(true);
    producer.join();
    if (ok)
        checker.finish(count);
    StressOutcome outcome = checker.outcome();
    if (outcome.error.empty() && outcome.droppedSeen != recorder.droppedTotal())
        outcome.error = "RecordsDropped args sum to " + std::to_string(outcome.droppedSeen)
            + " but droppedTotal() is " + std::to_string(recorder.droppedTotal());
    return outcome;
}

} // namespace

class TestEventRing : public QObject {
    Q_OBJECT

private slots:
    // --- EventRing ---
    void capacityRoundsUpToPowerOfTwo_data();
    void capacityRoundsUpToPowerOfTwo();
    void fillThenDrain();
    void failedPushChangesNothing();
    void wrapAround_data();
    void wrapAround();
    void popPartialBatches();
    void popNeverWritesPastItsCount();

    // --- Recorder ---
    void dropsAreCountedAndReportedOnce();
    void dropRecordTakesTheLastFreeSlot();
    void flushDropsDeliversPendingCount();
    void disabledRecorderRecordsNothing();
    void recordTextSplitsIntoPieces_data();
    void recordTextSplitsIntoPieces();
    void dropReportBeforeTextHasATimestamp();

    // --- Two threads ---
    void stressEveryRecordConsumedOrCounted_data();
    void stressEveryRecordConsumedOrCounted();
};

void TestEventRing::capacityRoundsUpToPowerOfTwo_data()
{
    QTest::addColumn<qulonglong>("requested");
    QTest::addColumn<qulonglong>("expected");
    QTest::newRow("zero gives the minimum") << 0ull << 2ull;
    QTest::newRow("one gives the minimum") << 1ull << 2ull;
    QTest::newRow("two") << 2ull << 2ull;
    QTest::newRow("three") << 3ull << 4ull;
    QTest::newRow("four") << 4ull << 4ull;
    QTest::newRow("five") << 5ull << 8ull;
    QTest::newRow("1000") << 1000ull << 1024ull;
    QTest::newRow("4096 exact") << 4096ull << 4096ull;
    QTest::newRow("4097") << 4097ull << 8192ull;
    QTest::newRow("recorder default") << qulonglong(Recorder::kDefaultCapacity)
                                      << qulonglong(Recorder::kDefaultCapacity);
}

void TestEventRing::capacityRoundsUpToPowerOfTwo()
{
    QFETCH(qulonglong, requested);
    QFETCH(qulonglong, expected);
    EventRing ring(requested);
    QCOMPARE(qulonglong(ring.capacity()), expected);
    QCOMPARE(qulonglong(Recorder(requested).capacity()), expected);

    // The capacity is real: exactly that many pushes fit.
    for (qulonglong i = 0; i < expected; ++i)
        QVERIFY(ring.tryPush(seqRecord(i)));
    QVERIFY(!ring.tryPush(seqRecord(expected)));
    QCOMPARE(qulonglong(ring.size()), expected);
}

void TestEventRing::fillThenDrain()
{
    EventRing ring(8);
    EventRecord out[16];
    QCOMPARE(ring.pop(out, 16), std::size_t(0));
    for (std::uint64_t i = 0; i < 8; ++i) {
        QCOMPARE(ring.size(), std::size_t(i));
        QVERIFY(ring.tryPush(seqRecord(i)));
    }
    QVERIFY(!ring.tryPush(seqRecord(8)));
    QCOMPARE(ring.size(), std::size_t(8));

    QCOMPARE(ring.pop(out, 16), std::size_t(8));
    for (std::uint64_t i = 0; i < 8; ++i) {
        QCOMPARE(out[i].arg, i);
        QCOMPARE(out[i].t_ns, seqRecord(i).t_ns);
        QCOMPARE(out[i].conn, 7u);
        QCOMPARE(out[i].kind, EventKind::BytesRead);
    }
    QCOMPARE(ring.size(), std::size_t(0));
    QCOMPARE(ring.pop(out, 16), std::size_t(0));

    // Emptied, it accepts a full ring's worth again.
    for (std::uint64_t i = 0; i < 8; ++i)
        QVERIFY(ring.tryPush(seqRecord(100 + i)));
    QVERIFY(!ring.tryPush(seqRecord(108)));
}

void TestEventRing::failedPushChangesNothing()
{
    EventRing ring(4);
    for (std::uint64_t i = 0; i < 4; ++i)
        QVERIFY(ring.tryPush(seqRecord(i)));
    for (int attempt = 0; attempt < 10; ++attempt)
        QVERIFY(!ring.tryPush(seqRecord(999)));
    const std::vector<EventRecord> out = popAll(ring);
    QCOMPARE(out.size(), std::size_t(4));
    for (std::uint64_t i = 0; i < 4; ++i)
        QCOMPARE(out[i].arg, i);
}

void TestEventRing::wrapAround_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("pushPerRound");
    QTest::addColumn<int>("popPerCall");
    QTest::newRow("capacity 4, 3 in, pop 3") << 4 << 3 << 3;
    QTest::newRow("capacity 4, full rounds") << 4 << 4 << 4;
    QTest::newRow("capacity 8, 5 in, pop 2 at a time") << 8 << 5 << 2;
    QTest::newRow("capacity 16, 1 in, pop 1") << 16 << 1 << 1;
    QTest::newRow("capacity 16, 15 in, pop 7") << 16 << 15 << 7;
}

// Many rounds move the indices far past the capacity, so every slot is reused many times and
// the masking of the indices is exercised at every offset.
void TestEventRing::wrapAround()
{
    QFETCH(int, capacity);
    QFETCH(int, pushPerRound);
    QFETCH(int, popPerCall);
    EventRing ring{std::size_t(capacity)};
    std::uint64_t pushed = 0;
    std::uint64_t expected = 0;
    std::vector<EventRecord> out(static_cast<std::size_t>(popPerCall));
    // Enough rounds to wrap the indices past the capacity at least 200 times.
    while (pushed < 200 * std::uint64_t(capacity)) {
        for (int i = 0; i < pushPerRound; ++i)
            QVERIFY(ring.tryPush(seqRecord(pushed++)));
        while (std::size_t n = ring.pop(out.data(), out.size())) {
            QVERIFY(n <= out.size());
            for (std::size_t i = 0; i < n; ++i)
                QCOMPARE(out[i].arg, expected++);
        }
        QCOMPARE(ring.size(), std::size_t(0));
    }
    QCOMPARE(expected, pushed);
}

void TestEventRing::popPartialBatches()
{
    EventRing ring(8);
    for (std::uint64_t i = 0; i < 5; ++i)
        QVERIFY(ring.tryPush(seqRecord(i)));
    EventRecord out[8];
    QCOMPARE(ring.pop(out, 2), std::size_t(2));
    QCOMPARE(out[0].arg, 0u);
    QCOMPARE(out[1].arg, 1u);
    QCOMPARE(ring.size(), std::size_t(3));

    // Space freed by a partial pop is usable at once, and order is kept across the wrap.
    for (std::uint64_t i = 5; i < 10; ++i)
        QVERIFY(ring.tryPush(seqRecord(i)));
    QVERIFY(!ring.tryPush(seqRecord(10)));

    QCOMPARE(ring.pop(out, 0), std::size_t(0));
    QCOMPARE(ring.pop(out, 1), std::size_t(1));
    QCOMPARE(out[0].arg, 2u);
    std::uint64_t expected = 3;
    while (std::size_t n = ring.pop(out, 3)) {
        QVERIFY(n <= 3);
        for (std::size_t i = 0; i < n; ++i)
            QCOMPARE(out[i].arg, expected++);
    }
    QCOMPARE(expected, 10u);
}

void TestEventRing::popNeverWritesPastItsCount()
{
    EventRing ring(8);
    for (std::uint64_t i = 0; i < 3; ++i)
        QVERIFY(ring.tryPush(seqRecord(i)));
    EventRecord out[8];
    for (EventRecord& r : out)
        r = seqRecord(0xdead);
    QCOMPARE(ring.pop(out, 8), std::size_t(3));
    for (std::size_t i = 3; i < 8; ++i)
        QCOMPARE(out[i].arg, 0xdeadu);
}

// Ring of 4: four records fit, three more are dropped. After draining, the next record comes
// out preceded by exactly one RecordsDropped record saying 3, stamped with that record's time.
void TestEventRing::dropsAreCountedAndReportedOnce()
{
    Recorder recorder(4);
    QVERIFY(recorder.enabled());
    for (std::uint64_t i = 0; i < 7; ++i)
        recorder.record(seqRecord(i));
    QCOMPARE(recorder.droppedTotal(), 3u);
    QCOMPARE(recorder.waiting(), std::size_t(4));

    std::vector<EventRecord> out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(4));
    for (std::uint64_t i = 0; i < 4; ++i)
        QCOMPARE(out[i].arg, i);

    recorder.record(seqRecord(7));
    recorder.record(seqRecord(8));
    out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(3));
    QCOMPARE(out[0].kind, EventKind::RecordsDropped);
    QCOMPARE(out[0].arg, 3u);
    QCOMPARE(out[0].t_ns, seqRecord(4).t_ns); // stamped when the losses began: the first record lost
    QCOMPARE(out[0].conn, 0u);
    QCOMPARE(out[1].kind, EventKind::BytesRead);
    QCOMPARE(out[1].arg, 7u);
    QCOMPARE(out[2].arg, 8u); // no second RecordsDropped once the count was delivered
    QCOMPARE(recorder.droppedTotal(), 3u);

    // Drops keep accumulating in the total across episodes.
    for (std::uint64_t i = 9; i < 15; ++i)
        recorder.record(seqRecord(i));
    QCOMPARE(recorder.droppedTotal(), 5u);
}

// When only one slot is free, the RecordsDropped record takes it and the record that triggered
// the flush is itself dropped; it is reported by the next RecordsDropped, so nothing is lost
// silently and the sum of reported drops still equals droppedTotal().
void TestEventRing::dropRecordTakesTheLastFreeSlot()
{
    Recorder recorder(4);
    for (std::uint64_t i = 0; i < 6; ++i)
        recorder.record(seqRecord(i)); // 0..3 stored, 4 and 5 dropped
    EventRecord one;
    QCOMPARE(recorder.drain(&one, 1), std::size_t(1));
    QCOMPARE(one.arg, 0u);

    recorder.record(seqRecord(6)); // the drop count (2) fits, record 6 does not
    QCOMPARE(recorder.droppedTotal(), 3u);

    std::vector<EventRecord> out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(4));
    QCOMPARE(out[0].arg, 1u);
    QCOMPARE(out[2].arg, 3u);
    QCOMPARE(out[3].kind, EventKind::RecordsDropped);
    QCOMPARE(out[3].arg, 2u);

    recorder.record(seqRecord(7));
    out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].kind, EventKind::RecordsDropped);
    QCOMPARE(out[0].arg, 1u);
    QCOMPARE(out[1].arg, 7u);
}

void TestEventRing::flushDropsDeliversPendingCount()
{
    Recorder recorder(2);
    QVERIFY(recorder.flushDrops(1)); // nothing pending: succeeds and records nothing
    QCOMPARE(recorder.waiting(), std::size_t(0));

    for (std::uint64_t i = 0; i < 5; ++i)
        recorder.record(seqRecord(i));
    QCOMPARE(recorder.droppedTotal(), 3u);
    QVERIFY(!recorder.flushDrops(42)); // ring still full: the count stays pending
    QCOMPARE(recorder.droppedTotal(), 3u);

    QCOMPARE(drainAll(recorder).size(), std::size_t(2));
    QVERIFY(recorder.flushDrops(42));
    QVERIFY(recorder.flushDrops(43)); // already delivered: nothing more
    const std::vector<EventRecord> out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].kind, EventKind::RecordsDropped);
    QCOMPARE(out[0].arg, 3u);
    QCOMPARE(out[0].t_ns, 42);
}

void TestEventRing::disabledRecorderRecordsNothing()
{
    Recorder recorder(4, false);
    QVERIFY(!recorder.enabled());
    for (std::uint64_t i = 0; i < 100; ++i)
        recorder.record(seqRecord(i));
    recorder.recordText(1, "/index.html");
    recorder.recordText(1, "");
    QVERIFY(recorder.flushDrops(5));
    QCOMPARE(recorder.waiting(), std::size_t(0));
    QCOMPARE(recorder.droppedTotal(), 0u);
    EventRecord out[4];
    QCOMPARE(recorder.drain(out, 4), std::size_t(0));
}

void TestEventRing::recordTextSplitsIntoPieces_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<int>>("pieceSizes");
    QTest::newRow("empty gives one empty last record") << QByteArray() << QList<int>{0};
    QTest::newRow("one byte") << QByteArray("/") << QList<int>{1};
    QTest::newRow("typical 11-byte path") << QByteArray("/index.html") << QList<int>{11};
    QTest::newRow("exactly 16") << QByteArray("/0123456789abcde") << QList<int>{16};
    QTest::newRow("17 spills one byte") << QByteArray("/0123456789abcdef") << QList<int>{16, 1};
    QTest::newRow("exactly 32") << QByteArray(32, 'x') << QList<int>{16, 16};
    QTest::newRow("40") << QByteArray(40, 'y') << QList<int>{16, 16, 8};
    QTest::newRow("embedded NUL kept") << QByteArray("/a\0b", 4) << QList<int>{4};
}

void TestEventRing::recordTextSplitsIntoPieces()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<int>, pieceSizes);
    Recorder recorder(64);
    recorder.recordText(42, std::string_view(text.constData(), std::size_t(text.size())));
    const std::vector<EventRecord> out = drainAll(recorder);
    QCOMPARE(int(out.size()), int(pieceSizes.size()));

    std::string joined;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const EventRecord& r = out[i];
        const bool last = i + 1 == out.size();
        QCOMPARE(r.kind, EventKind::RequestText);
        QCOMPARE(r.conn, 42u);
        QCOMPARE(int(r.aux & 0xff), pieceSizes[qsizetype(i)]);
        QCOMPARE(bool(r.aux & kTextLast), last);
        QCOMPARE(r.aux & ~(0xffu | kTextLast), 0u);
        joined += textOf(r);
    }
    QCOMPARE(QByteArray::fromStdString(joined), text);
    QCOMPARE(recorder.droppedTotal(), 0u);
}

// A RecordsDropped record takes its timestamp from the record it precedes. A RequestText record
// has no timestamp: its t_ns field holds text bytes. So when the first record after an overflow
// is text, the drop report must still carry a real time, not the path's first 8 bytes read as a
// number ("/index.h" is about 7.5e18 ns, i.e. 238 years of uptime).
void TestEventRing::dropReportBeforeTextHasATimestamp()
{
    Recorder recorder(4);
    for (std::uint64_t i = 0; i < 5; ++i)
        recorder.record(seqRecord(i)); // record 4 is dropped
    QCOMPARE(drainAll(recorder).size(), std::size_t(4));

    recorder.recordText(7, "/index.html");
    const std::vector<EventRecord> out = drainAll(recorder);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].kind, EventKind::RecordsDropped);
    QCOMPARE(out[0].arg, 1u);
    QCOMPARE(out[1].kind, EventKind::RequestText);
    // Timestamps never go back: the report is no earlier than the last record delivered...
    QVERIFY(out[0].t_ns >= seqRecord(3).t_ns);
    // ...and, being CLOCK_MONOTONIC, no later than now.
    QVERIFY(out[0].t_ns <= monotonicNs());
}

void TestEventRing::stressEveryRecordConsumedOrCounted_data()
{
    QTest::addColumn<int>("pace");
    QTest::addColumn<int>("producerBurst");
    QTest::addColumn<bool>("mustDrop");
    QTest::newRow("fast consumer") << int(ConsumerPace::Fast) << 0 << false;
    QTest::newRow("slow consumer (sleeps)") << int(ConsumerPace::Slow) << 0 << true;
    QTest::newRow("slow consumer, bursty producer") << int(ConsumerPace::Slow) << 2048 << true;
    QTest::newRow("random partial batches") << int(ConsumerPace::RandomBatches) << 0 << false;
}

void TestEventRing::stressEveryRecordConsumedOrCounted()
{
    QFETCH(int, pace);
    QFETCH(int, producerBurst);
    QFETCH(bool, mustDrop);
    const StressOutcome o =
        runStress(4096, kStressRecords, std::uint64_t(producerBurst), ConsumerPace(pace));
    qInfo("produced %llu, consumed %llu, dropped %llu in %llu RecordsDropped records",
          qulonglong(kStressRecords), qulonglong(o.consumed), qulonglong(o.droppedSeen),
          qulonglong(o.dropRecords));
    QVERIFY2(o.error.empty(), o.error.c_str());
    QCOMPARE(o.consumed + o.droppedSeen, kStressRecords);
    QVERIFY(o.consumed > 0);
    if (mustDrop) {
        // The slow consumer drains at most 256 records per 200 µs; the producer is far faster,
        // so the small ring must overflow and the drop path is really exercised.
        QVERIFY(o.droppedSeen > 0);
        QVERIFY(o.dropRecords > 0);
    }
}

QTEST_GUILESS_MAIN(TestEventRing)
#include "tst_event_ring.moc"
