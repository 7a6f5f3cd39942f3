#include "trace/csv_trace_writer.h"

#include "trace/record_detail.h"
#include "trace/trace_text.h"

namespace loopscope {

using namespace std::string_view_literals;

using trace_text::appendUnsigned;

CsvTraceWriter::CsvTraceWriter(const TraceInfo&)
{
    m_out += "t_ns,kind,conn,from,to,arg,aux,thread,detail\r\n"sv;
}

void CsvTraceWriter::add(const EventRecord* records, std::size_t count)
{
    for (std::size_t i = 0; i < count; ++i)
        addOne(records[i]);
}

void CsvTraceWriter::finish(const TraceInfo&)
{
    writePendingRequest();
}

void CsvTraceWriter::addOne(const EventRecord& r)
{
    if (r.kind == EventKind::RequestText && m_pending && r.conn == m_pendingRecord.conn) {
        if (m_pendingRequest.addText(r))
            writePendingRequest();
        return;
    }
    writePendingRequest();
    if (r.kind == EventKind::RequestHeadersRead || r.kind == EventKind::LoadPhase) {
        m_pending = true;
        m_pendingRecord = r;
        m_pendingRequest.start(r);
        return;
    }
    m_detail.clear();
    appendRecordDetail(m_detail, r);
    writeRow(r, m_detail);
}

void CsvTraceWriter::writePendingRequest()
{
    if (!m_pending)
        return;
    m_pending = false;
    if (m_pendingRecord.kind == EventKind::LoadPhase) {
        m_detail.clear();
        appendRecordDetail(m_detail, m_pendingRecord);
        if (!m_pendingRequest.target.empty()) {
            m_detail += ": "sv;
            m_detail += m_pendingRequest.target;
        }
        writeRow(m_pendingRecord, m_detail);
        return;
    }
    m_detail = m_pendingRequest.title();
    m_detail += ", request "sv;
    appendUnsigned(m_detail, m_pendingRequest.number);
    if (!m_pendingRequest.complete || m_pendingRequest.truncated)
        m_detail += " (text incomplete)"sv;
    writeRow(m_pendingRecord, m_detail);
}

void CsvTraceWriter::writeRow(const EventRecord& r, const std::string& detail)
{
    // A RequestText record's t_ns and arg hold text, not numbers.
    const bool isText = r.kind == EventKind::RequestText;
    if (!isText)
        trace_text::appendSigned(m_out, r.t_ns);
    m_out += ',';
    m_out += toString(r.kind);
    m_out += ',';
    appendUnsigned(m_out, r.conn);
    m_out += ',';
    m_out += toString(r.from);
    m_out += ',';
    m_out += toString(r.to);
    m_out += ',';
    if (!isText)
        appendUnsigned(m_out, r.arg);
    m_out += ',';
    appendUnsigned(m_out, r.aux);
    m_out += ',';
    appendUnsigned(m_out, r.thread);
    m_out += ',';
    trace_text::appendCsvField(m_out, detail);
    m_out += "\r\n"sv;
}

} // namespace loopscope
