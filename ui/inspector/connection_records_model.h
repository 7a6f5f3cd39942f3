// ConnectionRecordsModel: one connection's records, as the inspector lists them.
//
// Contract: load() copies the connection's records out of the store (so eviction while the
// dialog is open cannot invalidate them), in recording order, RequestText side records folded
// into the RequestHeadersRead they follow. It scans the store between the connection's first
// and last record when the TimelineModel still has its summary, otherwise the newest
// kMaxScanRecords records; at most kMaxRows rows are kept (truncated() says so). Each state
// change row carries the time spent in the state it leaves. Cell text is computed in data().
#pragma once

#include "core/event_record.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <string>
#include <vector>

namespace loopscope {

class TimelineModel;
class TraceStore;

// What a connection did, totalled for the inspector's title line.
struct ConnectionTotals {
    std::uint32_t conn = 0;
    bool sawAccept = false;
    std::uint32_t peerAddress = 0; // IPv4, host order
    std::uint64_t peerPort = 0;
    std::int64_t firstNs = 0;
    std::int64_t lastNs = 0;
    bool closed = false;
    std::uint64_t closeReason = 0;
    std::uint32_t requests = 0;  // RequestHeadersRead
    std::uint32_t rejected = 0;  // RequestRejected
    std::uint64_t bytesRead = 0; // from recv (not re-read pipelined bytes)
    std::uint64_t bytesSent = 0; // response headers and body
};

class ConnectionRecordsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, EventColumn, StateColumn, InPreviousColumn, DetailColumn, ColumnCount };
    static constexpr std::uint64_t kMaxScanRecords = 4'000'000;
    static constexpr std::size_t kMaxRows = 1'000'000;

    using QAbstractTableModel::QAbstractTableModel;

    void load(const TraceStore& store, const TimelineModel& timeline, std::uint32_t conn);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const EventRecord& recordAt(int row) const { return m_rows[std::size_t(row)].record; }
    // Time spent in the state this row's record leaves, or -1 when the row changes no state.
    std::int64_t inPreviousNs(int row) const { return m_rows[std::size_t(row)].inPreviousNs; }
    const ConnectionTotals& totals() const { return m_totals; }
    bool truncated() const { return m_truncated; }
    // "Connection 7 · peer 127.0.0.1:5000 · lifetime 9.00 µs (closed: done) · 1 request · ..."
    QString summaryText() const;

private:
    struct Row {
        EventRecord record;
        std::int64_t inPreviousNs = -1;
        std::uint32_t target = UINT32_MAX; // index into m_targets for RequestHeadersRead rows
    };
    void addRecord(const EventRecord& r);
    void total(const EventRecord& r);

    std::vector<Row> m_rows;
    std::vector<std::string> m_targets;
    ConnectionTotals m_totals;
    std::int64_t m_origin = 0;
    std::int64_t m_stateSince = -1;
    bool m_collectingText = false;
    bool m_truncated = false;
};

} // namespace loopscope
