// CsvTraceWriter: the raw event records as CSV, one row per record.
//
// Contract: the first row is the header
//   t_ns,kind,conn,from,to,arg,aux,thread,detail
// and each following row is one record, in recording order: t_ns is the record's own
// CLOCK_MONOTONIC nanoseconds (absolute, unlike the Chrome JSON's relative times), kind/from/to
// are names ("Unknown" for values outside the enums), arg/aux/thread are unsigned decimals and
// detail is the record decoded in words (see record_detail.h).
// RequestText side records are folded into the detail of the RequestHeadersRead they follow
// ("GET /index.html, request 1"), so they get no rows of their own; the RequestHeadersRead row is
// written when its text is complete or, if text was lost, when the next other record arrives
// (detail then ends in " (text incomplete)"). A LoadPhase record's RequestText records (its
// phase name) are folded the same way: "load phase 2 began: burst". A RequestText record that follows no
// RequestHeadersRead gets its own row with empty t_ns and arg (those bytes hold text) and the
// piece as detail. Fields are quoted per RFC 4180 (rows end in CRLF); text is valid UTF-8.
// The writer only formats: output() accumulates bytes for the caller to write and clear.
#pragma once

#include "core/event_record.h"
#include "trace/request_assembler.h"
#include "trace/text_buffer.h"
#include "trace/trace_sink.h"

#include <cstddef>
#include <string>

namespace loopscope {

class CsvTraceWriter {
public:
    explicit CsvTraceWriter(const TraceInfo& info);

    void add(const EventRecord* records, std::size_t count);
    // Writes any pending row. Nothing may be added afterwards.
    void finish(const TraceInfo& info);

    TextBuffer& output() { return m_out; }

private:
    void addOne(const EventRecord& record);
    void writeRow(const EventRecord& record, const std::string& detail);
    void writePendingRequest();

    TextBuffer m_out;
    std::string m_detail;
    // The RequestHeadersRead whose text is still arriving (at most one: its text follows it).
    bool m_pending = false;
    EventRecord m_pendingRecord;
    AssembledRequest m_pendingRequest;
};

} // namespace loopscope
