// Recorder: the engine's side of recording. Each producer thread writes into its own SPSC ring
// (a ProducerRing); the consumer drains one stream merged from all of them by time.
//
// Contract: the main ring (ring 0) is written by the server's main thread (the event loop, the
// blocking server's one thread, the thread-per-connection server's acceptor) through record()/
// recordText() here, exactly as fast as a lone ring. Other threads (the thread-per-connection
// server's connection threads) take a ring of their own with acquireProducer() and give it back
// with releaseProducer(); rings are reused, so their number (1, 2, ...) is a small "thread N"
// that lanes can show. One consumer thread calls drain(), which returns records in time order
// across rings (see RecordMerger); while only the main ring exists it pops it directly. Nothing
// is lost silently: each ring counts its drops and delivers them in its stream as RecordsDropped.
// A disabled recorder records nothing and holds no ring memory (used to measure what recording
// costs).
#pragma once

#include "core/producer_ring.h"
#include "core/record_merger.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

namespace loopscope {

class Recorder {
public:
    static constexpr std::size_t kDefaultCapacity = 1u << 20;     // 32 MiB of records at most
    static constexpr std::size_t kThreadRingCapacity = 1u << 14;  // 512 KiB per extra thread
    static constexpr unsigned kMaxProducers = 4096;               // rings at once, main included

    explicit Recorder(std::size_t capacity = kDefaultCapacity, bool enabled = true,
                      std::size_t threadRingCapacity = kThreadRingCapacity);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    bool enabled() const { return m_main.enabled(); }

    // Main ring, producer side: the hot path.
    void record(std::int64_t t_ns, EventKind kind, std::uint32_t conn, ConnectionState from,
                ConnectionState to, std::uint64_t arg, std::uint32_t aux, std::uint8_t thread = 0)
    {
        m_main.record(t_ns, kind, conn, from, to, arg, aux, thread);
    }
    // A record built elsewhere. `t_ns` is when it happened, for drop accounting (a RequestText
    // record's own t_ns field holds text).
    void record(const EventRecord& r, std::int64_t t_ns) { m_main.record(r, t_ns); }
    void record(const EventRecord& r) { m_main.record(r); }
    // Records the request target as RequestText side records after RequestHeadersRead at t_ns.
    void recordText(std::uint32_t conn, std::string_view text, std::int64_t t_ns) { m_main.recordText(conn, text, t_ns); }
    void recordText(std::uint32_t conn, std::string_view text) { m_main.recordText(conn, text); }
    // Tries once to deliver a pending drop count (call when the producer goes idle or stops).
    bool flushDrops(std::int64_t t_ns) { return m_main.flushDrops(t_ns); }
    ProducerRing& mainProducer() { return m_main; }

    // Other producer threads. acquireProducer() returns a ring marked busy and its number
    // (>= 1, the lowest free one), or nullptr when kMaxProducers rings are in use. The ring
    // passes to the thread that will use it through whatever starts that thread.
    // releaseProducer() is called by that thread when it is done (it flushes pending drops).
    ProducerRing* acquireProducer(unsigned& number);
    void releaseProducer(unsigned number, std::int64_t nowNs);

    // Consumer side: up to `max` records, merged in time order across rings.
    std::size_t drain(EventRecord* out, std::size_t max);
    // Approximate number of records not yet drained (either side may call it).
    std::size_t waiting() const;

    // Either side: total records dropped so far (including those not yet reported in a ring).
    std::uint64_t droppedTotal() const;
    std::size_t capacity() const { return m_main.capacity(); }
    // Rings created so far (the main one included): the most threads that recorded at once.
    unsigned ringCount() const { return m_ringCount.load(std::memory_order_acquire); }

private:
    ProducerRing m_main;
    std::size_t m_threadRingCapacity;
    // Ring n (n >= 1) lives at m_rings[n]; published by m_ringCount (release), never removed.
    std::unique_ptr<ProducerRing*[]> m_rings;
    std::atomic<unsigned> m_ringCount{1};
    std::mutex m_mutex; // guards m_owned and m_free (producers taking and giving back rings)
    std::vector<std::unique_ptr<ProducerRing>> m_owned;
    std::set<unsigned> m_free;
    RecordMerger m_merger; // consumer-owned
};

} // namespace loopscope
