// Recorder: the engine's side of recording. Wraps one EventRing and never blocks.
//
// Contract: one producer thread at a time calls record() (the engine loop); one consumer thread
// calls drain(). When the ring is full the record is counted as dropped; as soon as there is room
// again the producer first pushes a RecordsDropped record carrying that count, so the consumer
// sees every loss, in order, at the place it happened. A disabled recorder records nothing (used
// to measure what recording costs).
#pragma once

#include "core/event_ring.h"

#include <atomic>
#include <cstdint>
#include <string_view>

namespace loopscope {

class Recorder {
public:
    static constexpr std::size_t kDefaultCapacity = 1u << 20; // 32 MiB of records

    explicit Recorder(std::size_t capacity = kDefaultCapacity, bool enabled = true);

    bool enabled() const { return m_enabled; }

    // Producer side.
    void record(const EventRecord& r)
    {
        if (!m_enabled)
            return;
        if (m_pendingDrops != 0 && !flushDrops(r.t_ns)) {
            countDrop();
            return;
        }
        if (!m_ring.tryPush(r))
            countDrop();
    }
    // Records the request target as RequestText side records after RequestHeadersRead.
    void recordText(std::uint32_t conn, std::string_view text);
    // Tries once to deliver a pending drop count (call when the producer goes idle or stops).
    bool flushDrops(std::int64_t t_ns);

    // Consumer side.
    std::size_t drain(EventRecord* out, std::size_t max) { return m_ring.pop(out, max); }
    std::size_t waiting() const { return m_ring.size(); }

    // Either side: total records dropped so far (including those not yet reported in the ring).
    std::uint64_t droppedTotal() const { return m_droppedTotal.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return m_ring.capacity(); }

private:
    void countDrop()
    {
        ++m_pendingDrops;
        m_droppedTotal.store(m_droppedTotal.load(std::memory_order_relaxed) + 1,
                             std::memory_order_relaxed);
    }

    EventRing m_ring;
    bool m_enabled;
    std::uint64_t m_pendingDrops = 0; // producer-owned
    std::atomic<std::uint64_t> m_droppedTotal{0};
};

} // namespace loopscope
