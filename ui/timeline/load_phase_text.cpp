#include "timeline/load_phase_text.h"

#include "model/trace_store.h"
#include "timeline/span_details.h"
#include "trace/request_assembler.h"

namespace loopscope {

namespace {

// The time of a record for searching (RequestText records borrow their predecessor's time).
std::int64_t searchTime(const TraceStore& store, std::uint64_t i)
{
    while (i > store.beginIndex() && store.at(i).kind == EventKind::RequestText)
        --i;
    return store.at(i).t_ns;
}

// First index whose time is at or after t (store times are nearly sorted).
std::uint64_t lowerBoundByTime(const TraceStore& store, std::int64_t t)
{
    std::uint64_t lo = store.beginIndex(), hi = store.endIndex();
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (searchTime(store, mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

QString nameAfter(const TraceStore& store, std::uint64_t index)
{
    AssembledRequest name;
    name.start(store.at(index));
    for (std::uint64_t i = index + 1; i < store.endIndex(); ++i) {
        const EventRecord& r = store.at(i);
        if (r.kind != EventKind::RequestText || r.conn != 0 || name.addText(r))
            break;
    }
    return QString::fromUtf8(name.target.data(), qsizetype(name.target.size()));
}

} // namespace

LoadPhaseFacts loadPhaseFacts(const TraceStore& store, std::int64_t t, std::uint64_t phase)
{
    if (store.empty())
        return {};
    const std::uint64_t from = lowerBoundByTime(store, t);
    const std::uint64_t end = std::min(store.endIndex(), from + kMaxScannedRecords);
    for (std::uint64_t i = from; i < end; ++i) {
        const EventRecord& r = store.at(i);
        if (r.kind == EventKind::LoadPhase && r.t_ns == t && r.arg == phase)
            return {true, r.aux == 1, nameAfter(store, i)};
    }
    return {};
}

QString loadPhaseTitle(std::uint64_t phase, bool stopped, const QString& name)
{
    if (stopped)
        return QStringLiteral("load generator stopped after phase %1").arg(phase + 1);
    QString text = QStringLiteral("load phase %1").arg(phase + 1);
    if (!name.isEmpty())
        text += QStringLiteral(": ") + name;
    return text;
}

} // namespace loopscope
