#include "live/trace_consumer.h"

#include "core/clock.h"
#include "core/recorder.h"
#include "model/event_sink.h"
#include "model/trace_store.h"

#include <algorithm>

namespace loopscope {

namespace {
constexpr std::size_t kBatchRecords = 64 * 1024;
}

TraceConsumer::TraceConsumer(Recorder& recorder, TraceStore& store, QObject* parent)
    : QObject(parent)
    , m_recorder(recorder)
    , m_store(store)
    , m_batch(kBatchRecords)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &TraceConsumer::tick);
    m_rateClock.start();
}

void TraceConsumer::addSink(EventSink* sink, int minIntervalMs)
{
    m_sinks.push_back({sink, std::int64_t(minIntervalMs) * 1'000'000, m_store.endIndex()});
}

void TraceConsumer::start(int intervalMs)
{
    m_timer.start(intervalMs);
}

void TraceConsumer::stop()
{
    m_timer.stop();
}

void TraceConsumer::drainNow()
{
    drain(true);
}

void TraceConsumer::tick()
{
    drain(false);
}

void TraceConsumer::catchUp()
{
    const std::int64_t nowNs = monotonicNs();
    for (Sink& s : m_sinks)
        if (s.handedTo < m_store.endIndex())
            handOver(s, nowNs);
}

void TraceConsumer::drain(bool everySink)
{
    const std::int64_t began = monotonicNs();
    const std::uint64_t from = m_store.endIndex();
    const std::uint64_t evictedBefore = m_store.evicted();
    std::uint64_t count = 0;
    // Bulk moves; bounded so one tick cannot take the GUI hostage (the ring holds the rest).
    for (int round = 0; round < 64; ++round) {
        const std::size_t n = m_recorder.drain(m_batch.data(), m_batch.size());
        if (n == 0)
            break;
        m_store.append(m_batch.data(), n);
        count += n;
    }
    if (!m_local.empty()) {
        m_store.append(m_local.data(), m_local.size());
        count += m_local.size();
        m_local.clear();
    }
    m_taken += count;
    updateRate(count);
    if (m_store.evicted() != evictedBefore)
        for (Sink& s : m_sinks)
            s.sink->evicted(m_store);
    const std::uint64_t to = m_store.endIndex();
    for (Sink& s : m_sinks)
        if (s.handedTo < to && (everySink || began - s.lastIngestNs >= s.minIntervalNs))
            handOver(s, began);
    if (to > from)
        emit appended(from, to);
    // The drain is the GUI's own work: it shows on the GUI loop lane.
    if (count > 0)
        m_local.push_back(makeGuiWorkRecord(GuiWorkKind::Drain, began, monotonicNs() - began));
}

void TraceConsumer::handOver(Sink& s, std::int64_t nowNs)
{
    s.sink->ingest(m_store, std::max(s.handedTo, m_store.beginIndex()), m_store.endIndex());
    s.handedTo = m_store.endIndex();
    s.lastIngestNs = nowNs;
}

void TraceConsumer::updateRate(std::uint64_t count)
{
    m_rateCount += count;
    const qint64 ms = m_rateClock.elapsed();
    if (ms >= 1000) {
        m_rate = double(m_rateCount) * 1000.0 / double(ms);
        m_rateCount = 0;
        m_rateClock.restart();
    }
}

void TraceConsumer::clear()
{
    m_store.clear();
    m_local.clear();
    for (Sink& s : m_sinks) {
        s.handedTo = m_store.endIndex(); // what was held back is gone with the store
        s.sink->cleared();
    }
    emit storeCleared();
}

} // namespace loopscope
