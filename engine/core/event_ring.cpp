#include "core/event_ring.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace loopscope {

namespace {
std::size_t slotCount(std::size_t capacity)
{
    return std::bit_ceil(std::max<std::size_t>(capacity, 2));
}
} // namespace

// EventRecord is trivially copyable (an implicit-lifetime type), so calloc'ed zero bytes are
// valid records; untouched pages of a large ring are never faulted in.
EventRing::EventRing(std::size_t capacity)
    : m_slots(static_cast<EventRecord*>(std::calloc(slotCount(capacity), sizeof(EventRecord))))
    , m_mask(slotCount(capacity) - 1)
{
    if (!m_slots)
        throw std::bad_alloc();
}

void EventRing::FreeSlots::operator()(EventRecord* p) const
{
    std::free(p);
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
