// ConnectionInspector: a non-modal dialog listing one connection's records, reused for each
// connection the user asks about (the timeline's click).
//
// Contract: showConnection() copies what it shows (see ConnectionRecordsModel), so the dialog
// stays valid while the recording goes on and old records are evicted; it does not follow the
// connection live (ask again to refresh). A title line summarises the connection.
#pragma once

#include "inspector/connection_records_model.h"

#include <QDialog>

class QLabel;
class QTableView;

namespace loopscope {

class TimelineModel;
class TraceStore;

class ConnectionInspector : public QDialog {
    Q_OBJECT
public:
    explicit ConnectionInspector(QWidget* parent = nullptr);

    void showConnection(const TraceStore& store, const TimelineModel& model, quint32 conn);

    const ConnectionRecordsModel& records() const { return m_records; }
    QString summaryText() const;

private:
    ConnectionRecordsModel m_records;
    QLabel* m_title;
    QTableView* m_table;
};

} // namespace loopscope
