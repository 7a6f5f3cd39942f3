#include "core/recorder.h"

namespace loopscope {

Recorder::Recorder(std::size_t capacity, bool enabled, std::size_t threadRingCapacity)
    : m_main(capacity, enabled)
    , m_threadRingCapacity(threadRingCapacity)
    , m_rings(std::make_unique<ProducerRing*[]>(kMaxProducers))
{
    m_rings[0] = &m_main;
}

Recorder::~Recorder() = default;

ProducerRing* Recorder::acquireProducer(unsigned& number)
{
    std::lock_guard lock(m_mutex);
    ProducerRing* ring = nullptr;
    if (!m_free.empty()) {
        number = *m_free.begin();
        m_free.erase(m_free.begin());
        ring = m_rings[number];
    } else {
        number = m_ringCount.load(std::memory_order_relaxed);
        if (number >= kMaxProducers)
            return nullptr;
        m_owned.push_back(std::make_unique<ProducerRing>(m_threadRingCapacity, m_main.enabled()));
        ring = m_owned.back().get();
        m_rings[number] = ring;
        m_ringCount.store(number + 1, std::memory_order_release);
    }
    ring->markBusy();
    return ring;
}

void Recorder::releaseProducer(unsigned number, std::int64_t nowNs)
{
    ProducerRing* ring = m_rings[number];
    ring->markIdle(nowNs);
    std::lock_guard lock(m_mutex);
    m_free.insert(number);
}

std::size_t Recorder::drain(EventRecord* out, std::size_t max)
{
    const unsigned rings = m_ringCount.load(std::memory_order_acquire);
    // The event loop alone: its one ring is already in order.
    if (rings == 1)
        return m_main.drain(out, max);
    while (m_merger.ringCount() < rings)
        m_merger.addRing(m_rings[m_merger.ringCount()]);
    return m_merger.drain(out, max);
}

std::size_t Recorder::waiting() const
{
    std::size_t n = 0;
    const unsigned rings = m_ringCount.load(std::memory_order_acquire);
    for (unsigned i = 0; i < rings; ++i)
        n += m_rings[i]->waiting();
    return n; // plus what the merger holds, which only the consumer may look at
}

std::uint64_t Recorder::droppedTotal() const
{
    std::uint64_t n = 0;
    const unsigned rings = m_ringCount.load(std::memory_order_acquire);
    for (unsigned i = 0; i < rings; ++i)
        n += m_rings[i]->droppedTotal();
    return n;
}

} // namespace loopscope
