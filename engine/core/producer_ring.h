// ProducerRing: one producer thread's side of recording: an EventRing plus the drop accounting
// and text records every producer needs. It never blocks.
//
// Contract: one producer thread at a time calls record()/recordText()/flushDrops() and the
// activity marks (a ring may pass from one thread to the next, with a happens-before between
// them, as Recorder::acquireProducer/releaseProducer give); one consumer thread calls drain().
// When the ring is full the record is counted as dropped; as soon as there is room again the
// producer first pushes a RecordsDropped record carrying that count (stamped with the time of the
// first record lost), so the consumer sees every loss, in order, at the place it happened.
//
// Timestamps of one ring never go back (except the event loop's disk records, which carry a
// worker's earlier clock; the loop is then the only producer). The activity mark is what lets a
// consumer merge several rings by time without waiting for a thread that is blocked: a producer
// marks itself Idle, after publishing everything, before it blocks (in accept, recv, send) and
// Busy when it wakes, before it reads the clock for its next record. So a consumer that reads the
// clock (C) and then sees Idle with the ring empty knows that ring's next record has t >= C.
// (CLOCK_MONOTONIC is read in order with the sequentially consistent mark on Linux: the vDSO
// reads the TSC with a fence, and the mark is a full barrier.)
#pragma once

#include "core/event_ring.h"

#include <atomic>
#include <cstdint>
#include <string_view>

namespace loopscope {

class ProducerRing {
public:
    enum class Activity : int { Idle = 0, Busy = 1 };

    ProducerRing(std::size_t capacity, bool enabled);

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
    void record(const EventRecord& r, std::int64_t t_ns);
    void record(const EventRecord& r) { record(r, r.kind == EventKind::RequestText ? m_lastNs : r.t_ns); }
    void recordText(std::uint32_t conn, std::string_view text, std::int64_t t_ns);
    void recordText(std::uint32_t conn, std::string_view text) { recordText(conn, text, m_lastNs); }
    bool flushDrops(std::int64_t t_ns);

    // Producer side, around every blocking wait (see the header comment).
    void markIdle(std::int64_t nowNs)
    {
        flushDrops(nowNs);
        m_activity.store(Activity::Idle, std::memory_order_seq_cst);
    }
    void markBusy() { m_activity.store(Activity::Busy, std::memory_order_seq_cst); }

    // Consumer side.
    std::size_t drain(EventRecord* out, std::size_t max) { return m_ring.pop(out, max); }
    Activity activity() const { return m_activity.load(std::memory_order_seq_cst); }

    // Either side.
    std::size_t waiting() const { return m_ring.size(); }
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
    std::atomic<Activity> m_activity{Activity::Idle};
};

} // namespace loopscope
