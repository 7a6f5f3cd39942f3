#include "stepper/step_model.h"

#include "model/trace_store.h"

#include <algorithm>

namespace loopscope {

StepModel::StepModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void StepModel::ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to)
{
    for (std::uint64_t i = std::max(from, store.beginIndex()); i < to; ++i)
        onRecord(store.at(i));
}

void StepModel::cleared()
{
    beginResetModel();
    m_pending.clear();
    m_rows.clear();
    m_lastStep = 0;
    endResetModel();
}

void StepModel::onRecord(const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::LoopDispatch:
        m_pending.push_back({r.t_ns, loopSourceOf(r.arg), loopHandlerOf(r.arg), r.aux, r.conn});
        return;
    case EventKind::LoopStepped:
        return finishStep(r);
    case EventKind::LoopPaused:
        m_pending.clear();
        return setPaused(true);
    case EventKind::LoopResumed:
    case EventKind::ServerStopped:
    case EventKind::ServerStarted:
        m_pending.clear();
        return setPaused(false);
    default:
        return;
    }
}

void StepModel::finishStep(const EventRecord& r)
{
    beginResetModel();
    m_rows.swap(m_pending);
    m_pending.clear();
    m_lastStep = r.arg;
    endResetModel();
    emit stepped(m_lastStep, int(m_rows.size()));
}

void StepModel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    emit pausedChanged(paused);
}

int StepModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int StepModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString StepModel::targetText(const Row& row)
{
    const QString conn = QStringLiteral("connection %1").arg(row.conn);
    switch (row.source) {
    case LoopSource::Listener: return QStringLiteral("listening socket");
    case LoopSource::Connection: return row.conn ? conn : QStringLiteral("a closed connection");
    case LoopSource::DiskDone: return row.conn ? QStringLiteral("disk eventfd (%1)").arg(conn) : QStringLiteral("disk eventfd");
    case LoopSource::WakeUp: return QStringLiteral("wake-up eventfd");
    case LoopSource::Timer: return row.conn ? QStringLiteral("timeout of %1").arg(conn) : QStringLiteral("accept pause timer");
    case LoopSource::LoopDiskRead: return QStringLiteral("%1 (file read on the loop)").arg(conn);
    }
    return conn;
}

QVariant StepModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& row = m_rows[std::size_t(index.row())];
    if (role == Qt::ToolTipRole && index.column() == BitsColumn)
        return QStringLiteral("epoll_event.events = 0x%1").arg(row.events, 0, 16);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case EventColumn: return QString::fromLatin1(toString(row.source));
    case TargetColumn: return targetText(row);
    case BitsColumn: return row.events ? QString::fromStdString(epollBitsText(row.events)) : QStringLiteral("–");
    case HandlerColumn: return QString::fromLatin1(toString(row.handler));
    default: return {};
    }
}

QVariant StepModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case EventColumn: return tr("Ready");
    case TargetColumn: return tr("fd / connection");
    case BitsColumn: return tr("epoll bits");
    case HandlerColumn: return tr("Handler");
    default: return {};
    }
}

} // namespace loopscope
