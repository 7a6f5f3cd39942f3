#include "export/trace_export.h"

#include "model/trace_store.h"

#include <algorithm>
#include <vector>

namespace loopscope {

namespace {
constexpr std::uint64_t kChunk = 64 * 1024;
}

StoreRange rangeForTimes(const TraceStore& store, std::int64_t t0, std::int64_t t1)
{
    StoreRange range{store.endIndex(), store.endIndex()};
    bool inside = false;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i) {
        const EventRecord& r = store.at(i);
        if (r.kind == EventKind::RequestText)
            continue; // belongs with the record before it
        const bool within = r.t_ns >= t0 && r.t_ns <= t1;
        if (within && !inside) {
            range.from = std::min(range.from, i);
            inside = true;
        }
        if (within)
            range.to = i + 1;
    }
    // Carry the side records of the last request inside the range.
    while (range.to < store.endIndex() && store.at(range.to).kind == EventKind::RequestText)
        ++range.to;
    if (range.from > range.to)
        range.from = range.to;
    return range;
}

bool exportTrace(const TraceStore& store, StoreRange range, const QString& path, const TraceInfo& info,
                 const ExportProgress& progress, QString& error)
{
    const std::string file = path.toStdString();
    TraceFormat format;
    if (!traceFormatForPath(file, format)) {
        error = QStringLiteral("%1 has an unknown format; name it .json, .json.gz or .csv.").arg(path);
        return false;
    }
    std::string why;
    std::unique_ptr<TraceSink> sink = openTraceSink(file, format, info, why);
    if (!sink) {
        error = QString::fromStdString(why);
        return false;
    }
    range.from = std::max(range.from, store.beginIndex());
    range.to = std::min(range.to, store.endIndex());
    const std::uint64_t total = range.to > range.from ? range.to - range.from : 0;
    std::vector<EventRecord> batch;
    for (std::uint64_t i = range.from; i < range.to; i += kChunk) {
        const std::uint64_t end = std::min(range.to, i + kChunk);
        batch.clear();
        for (std::uint64_t j = i; j < end; ++j)
            batch.push_back(store.at(j));
        sink->write(batch.data(), batch.size());
        if (progress && !progress(end - range.from, total)) {
            error = QStringLiteral("The export was cancelled; %1 was not changed.").arg(path);
            return false; // the sink's destructor removes its temporary file
        }
    }
    if (!sink->finish(info, why)) {
        error = QString::fromStdString(why);
        return false;
    }
    return true;
}

} // namespace loopscope
