// Recorder: the engine's side of recording. Wraps one EventRing and never blocks.
//
// Contract: one producer thread at a time calls record()/recordText() (the engine loop); one
// consumer thread calls drain(). When the ring is full the record is counted as dropped; as soon
// as there is room again the producer first pushes a RecordsDropped record carrying that count
// (stamped with the time of the first record lost), so the consumer sees every loss, in order,
// at the place it happened. A disabled recorder records nothing and holds no ring memory (used
// to measure what recording costs).
#pragma once

#include "core/event_ring.h"

#include <atomic>
#include <cstdint>
#include <string_view>

namespace loopscope {

class Recorder {
public:
    static constexpr std::size_t kDefaultCapacity = 1u << 20; // 32 MiB of records at most

    explicit Recorder(std::size_t capacity = kDefaultCapacity, bool enabled = true);

    bool enabled() const { return m_enabled; }

    // Producer side: the hot path. Writes the fields straight into the ring slot.
    void record(std::int64_t t_ns, EventKind kind, std::uint32_t conn, ConnectionState from,
                ConnectionState to, std::uint64_t arg, std::uint32_t aux, std::uint8_t thread = 0)
    {
        if (!m_enabled)
            return;
        if (m_pendingDrops != 0 && !flushDrops(t_ns)) {
            countDrop(t_ns);
            return;
        }
        EventRecord* slot = m_ring.claim();
        if (!slot) {
            countDrop(t_ns);
            return;
        }
        slot->t_ns = t_ns;
        slot->arg = arg;
        slot->conn = conn;
        slot->aux = aux;
        slot->kind = kind;
        slot->from = from;
        slot->to = to;
        slot->thread = thread;
        slot->reserved = 0;
        m_ring.publish();
    }
    // A record built elsewhere. `t_ns` is when it happened, for drop accounting (a RequestText
    // record's own t_ns field holds text).
    void record(const EventRecord& r, std::int64_t t_ns);
    void record(const EventRecord& r) { record(r, r.kind == EventKind::RequestText ? m_lastNs : r.t_ns); }
    // Records the request target as RequestText side records after RequestHeadersRead at t_ns.
    void recordText(std::uint32_t conn, std::string_view text, std::int64_t t_ns);
    void recordText(std::uint32_t conn, std::string_view text) { recordText(conn, text, m_lastNs); }
    // Tries once to deliver a pending drop count (call when the producer goes idle or stops).
    bool flushDrops(std::int64_t t_ns);

    // Consumer side.
    std::size_t drain(EventRecord* out, std::size_t max) { return m_ring.pop(out, max); }
    std::size_t waiting() const { return m_ring.size(); }

    // Either side: total records dropped so far (including those not yet reported in the ring).
    std::uint64_t droppedTotal() const { return m_droppedTotal.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return m_ring.capacity(); }

private:
    void countDrop(std::int64_t t_ns)
    {
        if (m_pendingDrops++ == 0)
            m_firstDropNs = t_ns;
        m_droppedTotal.store(m_droppedTotal.load(std::memory_order_relaxed) + 1,
                             std::memory_order_relaxed);
    }

    EventRing m_ring;
    bool m_enabled;
    // Producer-owned.
    std::uint64_t m_pendingDrops = 0;
    std::int64_t m_firstDropNs = 0;
    std::int64_t m_lastNs = 0; // time of the last record given with its own time
    std::atomic<std::uint64_t> m_droppedTotal{0};
};

} // namespace loopscope
