// EventRing: a lock-free single-producer/single-consumer ring of EventRecords.
//
// Contract: exactly one thread calls tryPush() and exactly one (other) thread calls pop();
// neither ever blocks. tryPush() returns false when the ring is full and changes nothing.
// Records come out in the order they went in. Producer and consumer indices live on separate
// cache lines and each side caches the other's index (Rigtorp's SPSCQueue design), so in the
// common case a push touches only producer-owned cache lines.
#pragma once

#include "core/event_record.h"

#include <atomic>
#include <cstddef>
#include <memory>

namespace loopscope {

class EventRing {
public:
    // Capacity is rounded up to a power of two (at least 2).
    explicit EventRing(std::size_t capacity);
    EventRing(const EventRing&) = delete;
    EventRing& operator=(const EventRing&) = delete;

    std::size_t capacity() const { return m_mask + 1; }

    // Producer side.
    bool tryPush(const EventRecord& record)
    {
        EventRecord* slot = claim();
        if (!slot)
            return false;
        *slot = record;
        publish();
        return true;
    }

    // Producer side, two steps: claim() returns the next free slot (nullptr when full) for the
    // caller to fill in place, publish() hands it to the consumer. Filling the slot directly
    // avoids building a record on the stack and copying it, which costs more than the push
    // itself (the narrow field stores cannot be forwarded to the wide loads of the copy).
    EventRecord* claim()
    {
        const std::size_t head = m_head.load(std::memory_order_relaxed);
        if (head - m_tailCache > m_mask) {
            m_tailCache = m_tail.load(std::memory_order_acquire);
            if (head - m_tailCache > m_mask)
                return nullptr;
        }
        return &m_slots[head & m_mask];
    }
    void publish()
    {
        m_head.store(m_head.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    // Consumer side: copies up to `max` records into `out`, returns how many.
    std::size_t pop(EventRecord* out, std::size_t max);

    // Approximate number of records waiting (either side may call it).
    std::size_t size() const
    {
        return m_head.load(std::memory_order_acquire) - m_tail.load(std::memory_order_acquire);
    }

private:
    static constexpr std::size_t kCacheLine = 64;

    struct FreeSlots {
        void operator()(EventRecord* p) const;
    };
    // Allocated zeroed by the system (calloc), so a big ring costs memory only as it is used.
    std::unique_ptr<EventRecord[], FreeSlots> m_slots;
    std::size_t m_mask;
    alignas(kCacheLine) std::atomic<std::size_t> m_head{0}; // written by the producer
    std::size_t m_tailCache = 0;                              // producer's copy of m_tail
    alignas(kCacheLine) std::atomic<std::size_t> m_tail{0}; // written by the consumer
    std::size_t m_headCache = 0;                              // consumer's copy of m_head
    char m_pad[kCacheLine - sizeof(std::size_t)]{};
};

} // namespace loopscope
