// TraceStore: every event the window knows about, in arrival order, append-only and bounded.
//
// Contract: used on the GUI thread only. Records are appended in bulk and addressed by a global
// index that never changes (the first record ever appended is index 0). Storage is a list of
// fixed-size chunks; when the store holds more than its capacity, whole chunks are evicted from
// the front (oldest first) and counted, so memory stays bounded and indices of kept records stay
// valid. Drops reported by the engine (RecordsDropped) are summed as they arrive.
//
// Memory: 28 bytes a record. The engine's 32-byte EventRecord ends in 4 reserved bytes that are
// always zero, so the store keeps the other 28 (packed) and at() rebuilds the record by value.
#pragma once

#include "core/event_record.h"

#include <cstdint>
#include <deque>
#include <memory>

namespace loopscope {

class TraceStore {
public:
    static constexpr std::size_t kChunkRecords = 1u << 16; // 2 MiB per chunk
    static constexpr std::size_t kDefaultCapacity = 5'000'000;

    explicit TraceStore(std::size_t capacity = kDefaultCapacity);

    // Appends `count` records; returns how many chunks' worth of old records were evicted.
    std::size_t append(const EventRecord* records, std::size_t count);
    void clear();

    std::uint64_t beginIndex() const { return m_begin; } // oldest kept
    std::uint64_t endIndex() const { return m_end; }     // one past the newest
    std::size_t size() const { return std::size_t(m_end - m_begin); }
    bool empty() const { return m_end == m_begin; }
    EventRecord at(std::uint64_t index) const
    {
        const std::uint64_t offset = index - m_chunkBase;
        return m_chunks[std::size_t(offset / kChunkRecords)]->records[offset % kChunkRecords].unpack();
    }

    // The time of the first record ever appended (not changed by eviction): the zero of every
    // relative time the window shows. 0 until a timed record arrives.
    std::int64_t originNs() const { return m_origin; }

    std::size_t capacity() const { return m_capacity; }
    void setCapacity(std::size_t capacity);
    std::uint64_t evicted() const { return m_evicted; }          // records evicted so far
    std::uint64_t droppedByEngine() const { return m_dropped; }  // sum of RecordsDropped
    std::size_t memoryBytes() const { return m_chunks.size() * sizeof(Chunk); }

private:
#pragma pack(push, 4)
    struct StoredRecord {
        std::int64_t t_ns;
        std::uint64_t arg;
        std::uint32_t conn;
        std::uint32_t aux;
        EventKind kind;
        ConnectionState from;
        ConnectionState to;
        std::uint8_t thread;

        void pack(const EventRecord& r);
        EventRecord unpack() const
        {
            EventRecord r;
            r.t_ns = t_ns;
            r.arg = arg;
            r.conn = conn;
            r.aux = aux;
            r.kind = kind;
            r.from = from;
            r.to = to;
            r.thread = thread;
            return r;
        }
    };
#pragma pack(pop)
    static_assert(sizeof(StoredRecord) == 28);
    struct Chunk {
        StoredRecord records[kChunkRecords];
    };
    void evictIfFull();

    std::size_t m_capacity;
    std::deque<std::unique_ptr<Chunk>> m_chunks;
    std::uint64_t m_chunkBase = 0; // global index of m_chunks.front()->records[0]
    std::uint64_t m_begin = 0;
    std::uint64_t m_end = 0;
    std::uint64_t m_evicted = 0;
    std::uint64_t m_dropped = 0;
    std::int64_t m_origin = 0;
};

} // namespace loopscope
