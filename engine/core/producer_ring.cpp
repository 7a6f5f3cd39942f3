#include "core/producer_ring.h"

namespace loopscope {

ProducerRing::ProducerRing(std::size_t capacity, bool enabled)
    : m_ring(enabled ? capacity : 2)
    , m_enabled(enabled)
{
}

bool ProducerRing::flushDrops(std::int64_t t_ns)
{
    if (m_pendingDrops == 0)
        return true;
    EventRecord* slot = m_ring.claim();
    if (!slot)
        return false;
    *slot = EventRecord{};
    // The losses began with the first record lost; never stamp later than the caller's now.
    slot->t_ns = m_firstDropNs != 0 && m_firstDropNs <= t_ns ? m_firstDropNs : t_ns;
    slot->kind = EventKind::RecordsDropped;
    slot->arg = m_pendingDrops;
    m_ring.publish();
    m_pendingDrops = 0;
    return true;
}

void ProducerRing::record(const EventRecord& r, std::int64_t t_ns)
{
    if (!m_enabled)
        return;
    if (r.kind != EventKind::RequestText)
        m_lastNs = t_ns;
    if (m_pendingDrops != 0 && !flushDrops(t_ns)) {
        countDrop(t_ns);
        return;
    }
    if (!m_ring.tryPush(r))
        countDrop(t_ns);
}

void ProducerRing::recordText(std::uint32_t conn, std::string_view text, std::int64_t t_ns)
{
    if (!m_enabled)
        return;
    // An empty target still gets one (empty, last) record so consumers know the text is complete.
    do {
        const std::string_view piece = text.substr(0, kTextBytesPerRecord);
        text.remove_prefix(piece.size());
        record(makeTextRecord(conn, piece, text.empty()), t_ns);
    } while (!text.empty());
}

} // namespace loopscope
