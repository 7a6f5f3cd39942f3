// EventTablePanel: the event table with its filters, a follow-newest switch and selection sync.
//
// Contract: owns its EventTableModel (register model() with the TraceConsumer as a sink).
// eventSelected(storeIndex) is emitted when the user selects a row; selectEvent(storeIndex)
// selects and scrolls to a record chosen elsewhere (the timeline) without echoing the signal,
// and does nothing when that record is filtered out or gone. Any selection turns follow-newest
// off, so the rows being read are not scrolled away. Filter edits are applied after a short
// pause in typing, because each applies with one scan of the store.
#pragma once

#include "table/event_table_model.h"

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QLineEdit;
class QMenu;
class QTableView;
class QLabel;
class QToolButton;

namespace loopscope {

class TraceStore;

class EventTablePanel : public QWidget {
    Q_OBJECT
public:
    explicit EventTablePanel(const TraceStore& store, QWidget* parent = nullptr);

    EventTableModel* model() { return &m_model; }
    QTableView* view() const { return m_view; }
    bool followNewest() const;
    void setFollowNewest(bool follow);

public slots:
    void selectEvent(quint64 storeIndex);

signals:
    void eventSelected(quint64 storeIndex);

private:
    QWidget* buildFilterBar();
    void buildKindMenu();
    void applyFilter();
    void onRowsChanged();
    void onCurrentRowChanged(const QModelIndex& current);

    EventTableModel m_model;
    QTableView* m_view;
    QCheckBox* m_follow;
    QToolButton* m_kinds;
    QLabel* m_rowLimitNote = nullptr; // "newest 200,000 shown" once older rows were dropped
    QMenu* m_kindMenu;
    QLineEdit* m_connection;
    QLineEdit* m_text;
    QTimer m_filterDelay;
    bool m_selectingProgrammatically = false;
};

} // namespace loopscope
