// Exporting what the window holds: the whole recording or a time range, through the engine's
// streaming trace writers (the same ones the headless CLI uses), written atomically.
#pragma once

#include "trace/trace_sink.h"

#include <QString>

#include <cstdint>
#include <functional>

namespace loopscope {

class TraceStore;

struct StoreRange {
    std::uint64_t from = 0;
    std::uint64_t to = 0; // one past the last
};

// The records of the store whose time lies in [t0, t1] (RequestText side records travel with
// the record before them).
StoreRange rangeForTimes(const TraceStore& store, std::int64_t t0, std::int64_t t1);

// Called every chunk with records done and total; return false to cancel.
using ExportProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;

// Writes `range` of the store to `path` (format from the name: .json, .json.gz, .csv). Returns
// false with `error` set to one sentence on failure or cancel; an earlier file at `path` is then
// left untouched.
bool exportTrace(const TraceStore& store, StoreRange range, const QString& path, const TraceInfo& info,
                 const ExportProgress& progress, QString& error);

} // namespace loopscope
