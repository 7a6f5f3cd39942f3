#include "core/recorder.h"

namespace loopscope {

Recorder::Recorder(std::size_t capacity, bool enabled)
    : m_ring(capacity)
    , m_enabled(enabled)
{
}

bool Recorder::flushDrops(std::int64_t t_ns)
{
    if (m_pendingDrops == 0)
        return true;
    EventRecord r;
    r.t_ns = t_ns;
    r.kind = EventKind::RecordsDropped;
    r.arg = m_pendingDrops;
    if (!m_ring.tryPush(r))
        return false;
    m_pendingDrops = 0;
    return true;
}

void Recorder::recordText(std::uint32_t conn, std::string_view text)
{
    if (!m_enabled)
        return;
    // An empty target still gets one (empty, last) record so consumers know the text is complete.
    do {
        const std::string_view piece = text.substr(0, kTextBytesPerRecord);
        text.remove_prefix(piece.size());
        record(makeTextRecord(conn, piece, text.empty()));
    } while (!text.empty());
}

} // namespace loopscope
