// Trace export: streaming writers for recorded EventRecords.
//
// Contract: a TraceSink receives records in recording order (as drained from a Recorder, in
// batches of any size) and writes them out as it goes; it never builds the whole document in
// memory (only small per-connection state for connections still open). Output goes to a
// temporary file in the destination's folder; finish() completes it and renames it over the
// destination. If anything fails, or the sink is destroyed without finish(), the temporary file
// is removed and an earlier file at the destination is left untouched.
#pragma once

#include "core/event_record.h"

#include <cstdint>
#include <memory>
#include <string>

namespace loopscope {

struct TraceInfo {
    std::string processName = "loopscope-server";
    std::string documentRoot;
    std::string listenAddress; // "127.0.0.1:8080"
    std::uint64_t droppedRecords = 0; // drops known to the recorder at finish (also see RecordsDropped records)
};

enum class TraceFormat { ChromeJson, ChromeJsonGz, Csv };

class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void write(const EventRecord* records, std::size_t count) = 0;
    // Completes the file and renames it into place. `info` may carry updated totals.
    // Returns false and sets `error` (one sentence) on failure; the destination is then untouched.
    virtual bool finish(const TraceInfo& info, std::string& error) = 0;
};

// Picks the format from the file name: ".json" Chrome JSON, ".json.gz"/".gz" gzipped Chrome
// JSON, ".csv" CSV. Returns false for any other name.
bool traceFormatForPath(const std::string& path, TraceFormat& format);

// Opens a sink writing `path` (through a temporary file). Returns nullptr and sets `error`
// (one sentence: what is wrong and what to do) if the folder cannot be written.
std::unique_ptr<TraceSink> openTraceSink(const std::string& path, TraceFormat format,
                                         const TraceInfo& info, std::string& error);

} // namespace loopscope
