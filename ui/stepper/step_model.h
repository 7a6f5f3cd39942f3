// StepModel: what the event loop's last step did, read from the recording. In step mode the loop
// records one LoopDispatch per ready event of a step (and per disk job, timer or file it read
// itself), then a LoopStepped when the step is done. This sink gathers each step's dispatches
// and, at its LoopStepped, shows them as rows: what was ready, which fd or connection, the epoll
// bits in words, and the handler it went to.
//
// Contract: GUI thread; an EventSink fed by the TraceConsumer, reading records only (never the
// engine). Rows change only when a step is complete (one model reset), so a view never shows
// half a step. A step cut by eviction or by the store being cleared starts over.
#pragma once

#include "core/event_record.h"
#include "model/event_sink.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace loopscope {

class StepModel : public QAbstractTableModel, public EventSink {
    Q_OBJECT
public:
    enum Column { EventColumn, TargetColumn, BitsColumn, HandlerColumn, ColumnCount };

    struct Row {
        std::int64_t t = 0;
        LoopSource source = LoopSource::Connection;
        LoopHandler handler = LoopHandler::Nothing;
        std::uint32_t events = 0; // epoll bits
        std::uint32_t conn = 0;
    };

    explicit StepModel(QObject* parent = nullptr);

    // EventSink
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override;
    void cleared() override;

    // QAbstractTableModel
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const std::vector<Row>& rows() const { return m_rows; }
    std::uint64_t lastStep() const { return m_lastStep; } // 0 before the first step
    bool loopPaused() const { return m_paused; }          // as the records last said

    // "listening socket", "connection 7", "disk eventfd (connection 7)" ...
    static QString targetText(const Row& row);

signals:
    void stepped(quint64 step, int readyCount);
    void pausedChanged(bool paused);

private:
    void onRecord(const EventRecord& r);
    void finishStep(const EventRecord& r);
    void setPaused(bool paused);

    std::vector<Row> m_pending; // dispatches of the step under way
    std::vector<Row> m_rows;    // the last complete step
    std::uint64_t m_lastStep = 0;
    bool m_paused = false;
};

} // namespace loopscope
