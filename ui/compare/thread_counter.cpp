#include "compare/thread_counter.h"

#include "model/trace_store.h"

#include <algorithm>

namespace loopscope {

void ThreadCounter::ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to)
{
    for (std::uint64_t i = std::max(from, store.beginIndex()); i < to; ++i) {
        const EventKind kind = store.at(i).kind;
        if (kind == EventKind::ThreadStarted) {
            ++m_started;
            m_most = std::max(m_most, ++m_now);
        } else if (kind == EventKind::ThreadExited && m_now > 0) {
            --m_now;
        }
    }
}

} // namespace loopscope
