#include "inspector/connection_records_model.h"

#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "table/record_text.h"
#include "trace/record_detail.h"
#include "trace/request_assembler.h"
#include "trace/trace_text.h"

#include <algorithm>

namespace loopscope {

namespace {

// RequestText records follow the connection's last recorded record (the summary does not count
// them); allow for the longest target and some interleaving.
constexpr std::uint64_t kTrailingTextScan = AssembledRequest::kMaxTargetBytes / kTextBytesPerRecord + 256;

} // namespace

void ConnectionRecordsModel::load(const TraceStore& store, const TimelineModel& timeline, std::uint32_t conn)
{
    beginResetModel();
    m_rows.clear();
    m_targets.clear();
    m_totals = {};
    m_totals.conn = conn;
    m_origin = store.originNs();
    m_stateSince = -1;
    m_collectingText = false;
    m_truncated = false;
    std::uint64_t begin = store.endIndex() - std::min<std::uint64_t>(store.size(), kMaxScanRecords);
    std::uint64_t end = store.endIndex();
    if (const ConnectionSummary* s = timeline.connection(conn)) {
        begin = std::max(begin, s->firstRecord);
        end = std::min(end, s->lastRecord + 1 + kTrailingTextScan);
    }
    for (std::uint64_t i = std::max(begin, store.beginIndex()); i < end && !m_truncated; ++i)
        if (store.at(i).conn == conn)
            addRecord(store.at(i));
    endResetModel();
}

void ConnectionRecordsModel::addRecord(const EventRecord& r)
{
    if (r.kind == EventKind::RequestText) {
        if (!m_collectingText || m_targets.empty())
            return;
        const std::string_view piece = textOf(r);
        std::string& target = m_targets.back();
        target.append(piece.data(), std::min(piece.size(), AssembledRequest::kMaxTargetBytes - target.size()));
        m_collectingText = (r.aux & kTextLast) == 0;
        return;
    }
    if (m_rows.size() >= kMaxRows) {
        m_truncated = true;
        return;
    }
    Row row{r, -1, UINT32_MAX};
    m_collectingText = false;
    if (r.kind == EventKind::RequestHeadersRead) {
        row.target = std::uint32_t(m_targets.size());
        m_targets.emplace_back();
        m_collectingText = true;
    }
    if (r.from != r.to) { // a state change: it ends the time spent in the previous state
        if (m_stateSince >= 0)
            row.inPreviousNs = r.t_ns - m_stateSince;
        m_stateSince = r.t_ns;
    }
    m_rows.push_back(row);
    total(r);
}

void ConnectionRecordsModel::total(const EventRecord& r)
{
    ConnectionTotals& t = m_totals;
    if (m_rows.size() == 1)
        t.firstNs = r.t_ns;
    t.lastNs = std::max(t.lastNs, r.t_ns);
    switch (r.kind) {
    case EventKind::ConnectionAccepted:
        t.sawAccept = true;
        t.peerAddress = r.aux;
        t.peerPort = r.arg;
        t.firstNs = r.t_ns;
        break;
    case EventKind::BytesRead:
        if (r.aux == 0) // 1 = bytes already buffered (pipelined), counted when received
            t.bytesRead += r.arg;
        break;
    case EventKind::RequestHeadersRead: ++t.requests; break;
    case EventKind::RequestRejected: ++t.rejected; break;
    case EventKind::ResponseHeadersWritten: t.bytesSent += r.aux; break;
    case EventKind::BodyBytesWritten: t.bytesSent += r.arg; break;
    case EventKind::ConnectionClosed:
        t.closed = true;
        t.closeReason = r.arg;
        break;
    default: break;
    }
}

QString ConnectionRecordsModel::summaryText() const
{
    const ConnectionTotals& t = m_totals;
    QStringList parts{tr("Connection %1").arg(t.conn)};
    if (m_rows.empty())
        return tr("Connection %1: no records kept").arg(t.conn);
    if (t.sawAccept) {
        std::string peer;
        trace_text::appendIpv4(peer, t.peerAddress, t.peerPort);
        parts << tr("peer %1").arg(QString::fromStdString(peer));
    }
    const QString lifetime = record_text::duration(t.lastNs - t.firstNs);
    parts << (t.closed ? tr("lifetime %1 (closed: %2)").arg(lifetime, QString::fromStdString(closeReasonText(t.closeReason)))
                       : tr("open, %1 so far").arg(lifetime));
    parts << tr("%n request(s)", nullptr, int(t.requests));
    if (t.rejected > 0)
        parts << tr("%n rejected", nullptr, int(t.rejected));
    parts << tr("%1 bytes sent, %2 bytes received").arg(t.bytesSent).arg(t.bytesRead);
    if (m_truncated)
        parts << tr("first %1 records shown").arg(m_rows.size());
    return parts.join(QStringLiteral(" · "));
}

int ConnectionRecordsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConnectionRecordsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectionRecordsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == Qt::TextAlignmentRole && (index.column() == TimeColumn || index.column() == InPreviousColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    const EventRecord& r = row.record;
    switch (index.column()) {
    case TimeColumn: return record_text::relativeTime(r.t_ns - m_origin);
    case EventColumn: return QString::fromLatin1(toString(r.kind));
    case StateColumn: return record_text::stateChange(r);
    case InPreviousColumn: return row.inPreviousNs >= 0 ? record_text::duration(row.inPreviousNs) : QString();
    case DetailColumn:
        if (row.target != UINT32_MAX && !m_targets[row.target].empty())
            return record_text::detailText(r, m_targets[row.target], true);
        return record_text::detailText(r);
    default: return {};
    }
}

QVariant ConnectionRecordsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn: return tr("Time");
    case EventColumn: return tr("Event");
    case StateColumn: return tr("State change");
    case InPreviousColumn: return tr("Time in previous state");
    case DetailColumn: return tr("Detail");
    default: return {};
    }
}

} // namespace loopscope
