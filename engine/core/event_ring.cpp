#include "core/event_ring.h"

#include <algorithm>
#include <bit>

namespace loopscope {

EventRing::EventRing(std::size_t capacity)
    : m_slots(std::make_unique<EventRecord[]>(std::bit_ceil(std::max<std::size_t>(capacity, 2))))
    , m_mask(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1)
{
}

std::size_t EventRing::pop(EventRecord* out, std::size_t max)
{
    const std::size_t tail = m_tail.load(std::memory_order_relaxed);
    if (m_headCache == tail)
        m_headCache = m_head.load(std::memory_order_acquire);
    const std::size_t n = std::min(max, m_headCache - tail);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = m_slots[(tail + i) & m_mask];
    m_tail.store(tail + n, std::memory_order_release);
    return n;
}

} // namespace loopscope
