// TraceConsumer: drains the recorder into the store and hands each new range to its sinks; a
// sink with a minimum interval gets one range covering everything it missed, evictions at once,
// and everything on drainNow().
#include "core/recorder.h"
#include "live/trace_consumer.h"
#include "model/event_sink.h"
#include "model/trace_store.h"

#include <QtTest>

#include <utility>
#include <vector>

using namespace loopscope;

class TestTraceConsumer : public QObject {
    Q_OBJECT
private slots:
    void everySinkSeesEveryRecordOnce();
    void aThrottledSinkCatchesUpInOneRange();
    void evictionsReachAThrottledSinkAtOnce();
};

namespace {

struct RangeSink : EventSink {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    int evictions = 0;
    void ingest(const TraceStore&, std::uint64_t from, std::uint64_t to) override { ranges.emplace_back(from, to); }
    void evicted(const TraceStore&) override { ++evictions; }
    // The ranges must follow each other without a gap or an overlap.
    std::uint64_t covered() const
    {
        std::uint64_t end = ranges.empty() ? 0 : ranges.front().first;
        for (const auto& [from, to] : ranges) {
            if (from != end)
                return UINT64_MAX;
            end = to;
        }
        return end - (ranges.empty() ? 0 : ranges.front().first);
    }
};

void recordSome(Recorder& recorder, int count)
{
    static std::int64_t t = 1'000;
    for (int i = 0; i < count; ++i)
        recorder.record(t++, EventKind::LoopPollBegin, 0, ConnectionState::None, ConnectionState::None, 0, 0);
}

// The timer's own step, several times, with records arriving in between.
void tick(TraceConsumer& consumer, Recorder& recorder, int times)
{
    for (int i = 0; i < times; ++i) {
        recordSome(recorder, 10);
        consumer.tick();
    }
}

} // namespace

void TestTraceConsumer::everySinkSeesEveryRecordOnce()
{
    Recorder recorder;
    TraceStore store;
    TraceConsumer consumer(recorder, store);
    RangeSink sink;
    consumer.addSink(&sink);
    tick(consumer, recorder, 5);
    QCOMPARE(sink.ranges.size(), std::size_t(5)); // one range per step that brought records
    QCOMPARE(sink.covered(), store.endIndex());
}

void TestTraceConsumer::aThrottledSinkCatchesUpInOneRange()
{
    Recorder recorder;
    TraceStore store;
    TraceConsumer consumer(recorder, store);
    RangeSink everyStep, throttled;
    consumer.addSink(&everyStep);
    consumer.addSink(&throttled, 60'000); // far longer than this test runs
    tick(consumer, recorder, 6);
    QCOMPARE(everyStep.ranges.size(), std::size_t(6));
    QCOMPARE(throttled.ranges.size(), std::size_t(1)); // the first step, then it waits
    QCOMPARE(throttled.ranges.front().second, everyStep.ranges.front().second);

    recordSome(recorder, 10);
    consumer.tick(); // drained into the store, held back from the throttled sink...
    QCOMPARE(throttled.ranges.size(), std::size_t(1));
    consumer.catchUp(); // ...until a user picks a record it may lack
    QCOMPARE(throttled.ranges.size(), std::size_t(2));
    QCOMPARE(throttled.covered(), store.endIndex());
    consumer.catchUp(); // nothing held back now
    QCOMPARE(throttled.ranges.size(), std::size_t(2));

    tick(consumer, recorder, 1);
    consumer.drainNow(); // exports and tests: everything, now
    QCOMPARE(throttled.ranges.size(), std::size_t(3));
    QCOMPARE(throttled.covered(), store.endIndex());
    consumer.drainNow(); // only the last drain's own GUI-lane record is new
    consumer.drainNow();
    QCOMPARE(throttled.covered(), store.endIndex());
    for (const auto& [from, to] : throttled.ranges)
        QVERIFY(to > from); // never an empty range

    tick(consumer, recorder, 1); // held back (the interval has not passed)...
    const std::size_t before = throttled.ranges.size();
    consumer.clear(); // ...and forgotten when a new recording starts
    consumer.drainNow();
    QCOMPARE(throttled.ranges.size(), before);
}

void TestTraceConsumer::evictionsReachAThrottledSinkAtOnce()
{
    Recorder recorder;
    TraceStore store(TraceStore::kChunkRecords * 2);
    TraceConsumer consumer(recorder, store);
    RangeSink throttled;
    consumer.addSink(&throttled, 60'000);
    tick(consumer, recorder, 1);
    recordSome(recorder, int(TraceStore::kChunkRecords) * 3);
    consumer.tick();
    QVERIFY(store.evicted() > 0);
    QCOMPARE(throttled.evictions, 1);
    QCOMPARE(throttled.ranges.size(), std::size_t(1)); // still held back
    consumer.drainNow();
    QCOMPARE(throttled.ranges.size(), std::size_t(2));
    QCOMPARE(throttled.ranges.back().first, store.beginIndex()); // what was evicted meanwhile is skipped
    QCOMPARE(throttled.ranges.back().second, store.endIndex());
}

QTEST_MAIN(TestTraceConsumer)
#include "tst_trace_consumer.moc"
