#include "model/trace_store.h"

#include <algorithm>

namespace loopscope {

void TraceStore::StoredRecord::pack(const EventRecord& r)
{
    t_ns = r.t_ns; // RequestText: the first 8 text bytes, copied as they are
    arg = r.arg;
    conn = r.conn;
    aux = r.aux;
    kind = r.kind;
    from = r.from;
    to = r.to;
    thread = r.thread;
}

TraceStore::TraceStore(std::size_t capacity)
    : m_capacity(std::max(capacity, kChunkRecords * 2))
{
}

void TraceStore::setCapacity(std::size_t capacity)
{
    m_capacity = std::max(capacity, kChunkRecords * 2);
    evictIfFull();
}

std::size_t TraceStore::append(const EventRecord* records, std::size_t count)
{
    const std::uint64_t evictedBefore = m_evicted;
    while (count > 0) {
        const std::size_t used = std::size_t((m_end - m_chunkBase) % kChunkRecords);
        if (used == 0 && (m_chunks.empty() || m_end - m_chunkBase == m_chunks.size() * kChunkRecords))
            m_chunks.push_back(std::make_unique_for_overwrite<Chunk>());
        const std::size_t n = std::min(count, kChunkRecords - used);
        StoredRecord* out = &m_chunks.back()->records[used];
        for (std::size_t i = 0; i < n; ++i)
            out[i].pack(records[i]);
        for (std::size_t i = 0; i < n; ++i) {
            if (records[i].kind == EventKind::RecordsDropped)
                m_dropped += records[i].arg;
            else if (m_origin == 0 && records[i].kind != EventKind::RequestText)
                m_origin = records[i].t_ns;
        }
        m_end += n;
        records += n;
        count -= n;
        evictIfFull();
    }
    return std::size_t((m_evicted - evictedBefore) / kChunkRecords);
}

// Whole chunks go, oldest first, keeping at least the chunk being filled.
void TraceStore::evictIfFull()
{
    while (m_end - m_begin > m_capacity && m_chunks.size() > 1) {
        const std::uint64_t chunkEnd = m_chunkBase + kChunkRecords;
        m_evicted += chunkEnd - m_begin;
        m_chunks.pop_front();
        m_chunkBase = chunkEnd;
        m_begin = chunkEnd;
    }
}

void TraceStore::clear()
{
    m_chunks.clear();
    m_chunkBase = m_begin = m_end;
    m_evicted = 0;
    m_dropped = 0;
    m_origin = 0;
}

} // namespace loopscope
