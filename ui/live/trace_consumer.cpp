#include "live/trace_consumer.h"

#include "core/clock.h"
#include "core/recorder.h"
#include "model/event_sink.h"
#include "model/trace_store.h"

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
    connect(&m_timer, &QTimer::timeout, this, &TraceConsumer::drainNow);
    m_rateClock.start();
}

void TraceConsumer::addSink(EventSink* sink)
{
    m_sinks.push_back(sink);
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
        for (EventSink* sink : m_sinks)
            sink->evicted(m_store);
    const std::uint64_t to = m_store.endIndex();
    if (to > from) {
        for (EventSink* sink : m_sinks)
            sink->ingest(m_store, from, to);
        emit appended(from, to);
    }
    // The drain is the GUI's own work: it shows on the GUI loop lane.
    if (count > 0)
        m_local.push_back(makeGuiWorkRecord(GuiWorkKind::Drain, began, monotonicNs() - began));
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
    for (EventSink* sink : m_sinks)
        sink->cleared();
    emit storeCleared();
}

} // namespace loopscope
