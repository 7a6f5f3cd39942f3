// What recording costs the engine loop: EventRing::tryPush and Recorder::record, alone and with
// a consumer thread draining at the same time (the realistic case), next to the two clocks a
// record could be stamped with, and recordText for a typical request path.
//
// Every benchmark reports `t_per_record`: the producer thread's CPU time per record pushed (shown
// as e.g. "3.2n" = 3.2 ns); CPU time, because that is what the engine loop pays, and because wall
// time on a shared 2-core machine mostly measures who else is running. Single-thread cases push a
// ring's worth per iteration and drain it with the timer paused, so the ring never fills while
// timed and no pop cost is counted. Threaded cases push one record per iteration while a consumer
// thread (not timed) drains; `dropped_pct` says how many were dropped (a drop is cheaper than a
// push, so a high drop rate flatters the time).
//
// How the record is built matters as much as the ring: `Assembled` sets the fields of a local
// one by one and passes it by reference, as EventLoop::record does; GCC 12
// then builds it on the stack with narrow stores and copies it with 16-byte loads, which cannot
// be store-forwarded and cost ~10 ns. `Prebuilt` pushes records that already sit in memory,
// which isolates the ring's own cost.
//
// Run: bench_ring --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "core/clock.h"
#include "core/event_ring.h"
#include "core/recorder.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define LOOPSCOPE_HAVE_RDTSC 1
#endif

using namespace loopscope;

namespace {

EventRecord sampleRecord(std::uint64_t i)
{
    EventRecord r;
    r.t_ns = std::int64_t(i);
    r.arg = i;
    r.conn = 17;
    r.kind = EventKind::BodyBytesWritten;
    r.from = ConnectionState::WritingBody;
    r.to = ConnectionState::WritingBody;
    return r;
}

// The engine's way (EventLoop::record): fields of a local set one at a time, then pushed.
struct Assembled {
    EventRecord operator()(std::uint64_t i) const { return sampleRecord(i); }
};

// Records made in advance (a small table that stays in L1), copied whole into the ring.
struct Prebuilt {
    std::vector<EventRecord> table;
    Prebuilt()
    {
        for (std::uint64_t i = 0; i < 64; ++i)
            table.push_back(sampleRecord(i));
    }
    const EventRecord& operator()(std::uint64_t i) const { return table[i & 63]; }
};

void setPerRecord(benchmark::State& state, double recordsPerIteration)
{
    state.counters["t_per_record"] = benchmark::Counter(
        recordsPerIteration, benchmark::Counter::kIsIterationInvariantRate
                                 | benchmark::Counter::kInvert);
    state.SetItemsProcessed(std::int64_t(double(state.iterations()) * recordsPerIteration));
}

// Empties the ring without timing it, so the next iteration starts with a ring's worth of room.
template <typename Drain>
void drainUntimed(benchmark::State& state, std::vector<EventRecord>& buf, Drain drain)
{
    state.PauseTiming();
    while (drain(buf.data(), buf.size()) != 0) {
    }
    state.ResumeTiming();
}

// A consumer thread that drains in batches until told to stop: either spinning (the worst case:
// the cache lines of the indices bounce between cores all the time) or every millisecond (closer
// to the GUI's timer-driven drain; 1 ms keeps even the fastest producer inside a 1 Mi ring).
class Drainer {
public:
    template <typename Drain>
    Drainer(Drain drain, std::chrono::microseconds period)
        : m_thread([this, drain, period] {
            std::vector<EventRecord> buf(4096);
            while (!m_stop.load(std::memory_order_relaxed)) {
                while (drain(buf.data(), buf.size()) != 0) {
                }
                if (period.count() > 0)
                    std::this_thread::sleep_for(period);
            }
        })
    {
    }
    ~Drainer()
    {
        m_stop.store(true);
        m_thread.join();
    }

private:
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// --- Reference: what a timestamp costs -------------------------------------------------------

void BM_ClockGettimeMonotonic(benchmark::State& state)
{
    for (auto _ : state) {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        benchmark::DoNotOptimize(ts);
    }
}
BENCHMARK(BM_ClockGettimeMonotonic);

#ifdef LOOPSCOPE_HAVE_RDTSC
void BM_Rdtsc(benchmark::State& state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(__rdtsc());
}
BENCHMARK(BM_Rdtsc);
#endif

// --- Single thread: the ring never fills while timed -----------------------------------------

template <typename Source>
void BM_RingTryPush_NoConsumer(benchmark::State& state)
{
    const Source source;
    EventRing ring(std::size_t(state.range(0)));
    std::vector<EventRecord> buf(4096);
    const std::size_t batch = ring.capacity();
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            benchmark::DoNotOptimize(ring.tryPush(source(seq++)));
        drainUntimed(state, buf, [&](EventRecord* out, std::size_t max) { return ring.pop(out, max); });
    }
    setPerRecord(state, double(batch));
}
BENCHMARK_TEMPLATE(BM_RingTryPush_NoConsumer, Assembled)->Arg(4096)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_RingTryPush_NoConsumer, Prebuilt)->Arg(4096)->Arg(1 << 20);

template <typename Source>
void BM_RecorderRecord_NoConsumer(benchmark::State& state)
{
    const Source source;
    Recorder recorder(std::size_t(state.range(0)));
    std::vector<EventRecord> buf(4096);
    const std::size_t batch = recorder.capacity();
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            recorder.record(source(seq++));
        drainUntimed(state, buf, [&](EventRecord* out, std::size_t max) { return recorder.drain(out, max); });
    }
    if (recorder.droppedTotal() != 0)
        state.SkipWithError("the ring filled: the timing would include drops");
    setPerRecord(state, double(batch));
}
BENCHMARK_TEMPLATE(BM_RecorderRecord_NoConsumer, Assembled)->Arg(4096)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_RecorderRecord_NoConsumer, Prebuilt)->Arg(4096)->Arg(1 << 20);

// What the loop really pays per event: a clock read plus the record.
void BM_RecorderRecordWithTimestamp_NoConsumer(benchmark::State& state)
{
    Recorder recorder(std::size_t(state.range(0)));
    std::vector<EventRecord> buf(4096);
    const std::size_t batch = recorder.capacity();
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i) {
            EventRecord r = sampleRecord(seq++);
            r.t_ns = monotonicNs();
            recorder.record(r);
        }
        drainUntimed(state, buf, [&](EventRecord* out, std::size_t max) { return recorder.drain(out, max); });
    }
    setPerRecord(state, double(batch));
}
BENCHMARK(BM_RecorderRecordWithTimestamp_NoConsumer)->Arg(4096);

// "/index.html" is 11 bytes: one RequestText record.
void BM_RecordText11_NoConsumer(benchmark::State& state)
{
    Recorder recorder(4096);
    std::vector<EventRecord> buf(4096);
    const std::size_t batch = recorder.capacity();
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            recorder.recordText(std::uint32_t(i), "/index.html");
        drainUntimed(state, buf, [&](EventRecord* out, std::size_t max) { return recorder.drain(out, max); });
    }
    if (recorder.droppedTotal() != 0)
        state.SkipWithError("the ring filled: the timing would include drops");
    setPerRecord(state, double(batch));
}
BENCHMARK(BM_RecordText11_NoConsumer);

// --- Two threads: a consumer drains while the producer pushes ---------------------------------

// Args: ring capacity, consumer period in µs (0 = spinning).
template <typename Source>
void BM_RingTryPush_WithConsumer(benchmark::State& state)
{
    const Source source;
    EventRing ring(std::size_t(state.range(0)));
    std::uint64_t seq = 0;
    std::uint64_t failed = 0;
    {
        Drainer drainer([&ring](EventRecord* out, std::size_t max) { return ring.pop(out, max); },
                        std::chrono::microseconds(state.range(1)));
        for (auto _ : state)
            failed += ring.tryPush(source(seq++)) ? 0 : 1;
    }
    setPerRecord(state, 1);
    state.counters["dropped_pct"] = seq ? 100.0 * double(failed) / double(seq) : 0.0;
}
BENCHMARK_TEMPLATE(BM_RingTryPush_WithConsumer, Assembled)
    ->Args({4096, 0})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 1000});
BENCHMARK_TEMPLATE(BM_RingTryPush_WithConsumer, Prebuilt)
    ->Args({4096, 0})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 1000});

template <typename Source>
void BM_RecorderRecord_WithConsumer(benchmark::State& state)
{
    const Source source;
    Recorder recorder(std::size_t(state.range(0)));
    std::uint64_t seq = 0;
    {
        Drainer drainer(
            [&recorder](EventRecord* out, std::size_t max) { return recorder.drain(out, max); },
            std::chrono::microseconds(state.range(1)));
        for (auto _ : state)
            recorder.record(source(seq++));
    }
    setPerRecord(state, 1);
    state.counters["dropped_pct"] =
        seq ? 100.0 * double(recorder.droppedTotal()) / double(seq) : 0.0;
}
BENCHMARK_TEMPLATE(BM_RecorderRecord_WithConsumer, Assembled)
    ->Args({4096, 0})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 1000});
BENCHMARK_TEMPLATE(BM_RecorderRecord_WithConsumer, Prebuilt)
    ->Args({4096, 0})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 1000});

void BM_RecordText11_WithConsumer(benchmark::State& state)
{
    Recorder recorder(Recorder::kDefaultCapacity);
    std::uint64_t calls = 0;
    {
        Drainer drainer(
            [&recorder](EventRecord* out, std::size_t max) { return recorder.drain(out, max); },
            std::chrono::microseconds(1000));
        for (auto _ : state)
            recorder.recordText(std::uint32_t(++calls), "/index.html");
    }
    setPerRecord(state, 1);
    state.counters["dropped_pct"] =
        calls ? 100.0 * double(recorder.droppedTotal()) / double(calls) : 0.0;
}
BENCHMARK(BM_RecordText11_WithConsumer);

} // namespace

// The engine's real path: EventLoop::record() passes the fields and the recorder writes them
// straight into the ring slot (no record on the stack, no copy).
void recordFields(Recorder& recorder, std::uint64_t seq)
{
    recorder.record(std::int64_t(seq), EventKind::BodyBytesWritten, std::uint32_t(seq & 1023),
                    ConnectionState::WritingBody, ConnectionState::WritingBody, seq, 0);
}

void BM_RecorderRecordFields_NoConsumer(benchmark::State& state)
{
    Recorder recorder(std::size_t(state.range(0)));
    std::vector<EventRecord> buf(4096);
    const std::size_t batch = recorder.capacity();
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < batch; ++i)
            recordFields(recorder, seq++);
        drainUntimed(state, buf, [&](EventRecord* out, std::size_t max) { return recorder.drain(out, max); });
    }
    if (recorder.droppedTotal() != 0)
        state.SkipWithError("the ring filled: the timing would include drops");
    setPerRecord(state, double(batch));
}
BENCHMARK(BM_RecorderRecordFields_NoConsumer)->Arg(4096)->Arg(1 << 20);

void BM_RecorderRecordFields_WithConsumer(benchmark::State& state)
{
    Recorder recorder(std::size_t(state.range(0)));
    std::uint64_t seq = 0;
    {
        Drainer drainer(
            [&recorder](EventRecord* out, std::size_t max) { return recorder.drain(out, max); },
            std::chrono::microseconds(state.range(1)));
        for (auto _ : state)
            recordFields(recorder, seq++);
    }
    setPerRecord(state, 1);
    state.counters["dropped_pct"] =
        seq ? 100.0 * double(recorder.droppedTotal()) / double(seq) : 0.0;
}
BENCHMARK(BM_RecorderRecordFields_WithConsumer)->Args({1 << 20, 0})->Args({1 << 20, 1000});

BENCHMARK_MAIN();
