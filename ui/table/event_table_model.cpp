#include "table/event_table_model.h"

#include "model/trace_store.h"
#include "table/record_text.h"
#include "trace/request_assembler.h"

#include <algorithm>

namespace loopscope {

namespace {

// A target holds at most kMaxTargetBytes, 16 bytes a record; other connections' records may be
// interleaved, so allow some slack beyond that.
constexpr std::uint64_t kMaxTextScan = AssembledRequest::kMaxTargetBytes / kTextBytesPerRecord + 256;

void lowerAscii(std::string& s)
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
}

} // namespace

EventTableModel::EventTableModel(const TraceStore& store, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_begin(store.beginIndex())
    , m_end(store.beginIndex())
    , m_ingestedTo(store.beginIndex())
{
}

// ---- EventSink ------------------------------------------------------------------------------

void EventTableModel::ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to)
{
    (void)store; // the same store as m_store
    (void)from;  // the model keeps its own cursor, so a range given twice is not shown twice
    removeFront(m_store.beginIndex()); // in case eviction was not reported first
    to = std::min<std::uint64_t>(to, m_store.endIndex());
    m_ingestedTo = std::max(m_ingestedTo, to);
    if (to <= m_end)
        return;
    const Scan scan = scanNew(to, true);
    const std::size_t added = m_filtered ? m_newMatches.size()
                                         : std::size_t(scan.stop - m_end) - m_newTexts.size();
    if (added >= std::size_t(kMaxRows)) // every row shown now would be dropped: start afresh
        return replaceRows(scan.stop);
    const int first = rowCount();
    if (added > 0)
        beginInsertRows({}, first, first + int(added) - 1);
    takeScanned(scan.stop);
    if (added > 0)
        endInsertRows();
    keepWithinRowLimit();
}

// The new rows alone fill the table (a firehose, between two of the table's updates): one
// reset instead of inserting them all and removing as many from the front. Qt's header view
// walks every row for each insert and each removal, so that pair cost 2-3 times the reset.
void EventTableModel::replaceRows(std::uint64_t end)
{
    beginResetModel();
    takeScanned(end);
    dropFront(rowLimitBegin());
    endResetModel();
}

// Takes scanNew's rows up to `end` (no signals). Over the row limit, droppedOldRows() says so
// at once, before the rows are signalled, so the panel's note shows with them.
void EventTableModel::takeScanned(std::uint64_t end)
{
    m_texts.append(m_newTexts);
    m_matches.append(m_newMatches);
    m_end = end;
    if (rowCount() > kMaxRows)
        m_droppedOldRows = true;
}

// The store index of the oldest row within kMaxRows (m_begin when the table is within it).
std::uint64_t EventTableModel::rowLimitBegin() const
{
    const int rows = rowCount();
    return rows > kMaxRows ? storeIndexAt(rows - kMaxRows) : m_begin;
}

void EventTableModel::keepWithinRowLimit()
{
    if (rowCount() <= kMaxRows)
        return;
    m_droppedOldRows = true;
    removeFront(rowLimitBegin());
}

void EventTableModel::evicted(const TraceStore& store)
{
    (void)store;
    removeFront(m_store.beginIndex());
}

void EventTableModel::cleared()
{
    beginResetModel();
    m_begin = m_end = m_ingestedTo = m_store.endIndex();
    m_droppedOldRows = false;
    m_texts.clear();
    m_matches.clear();
    m_deferredAt = UINT64_MAX;
    endResetModel();
}

// Reads [m_end, to) into m_newTexts and (filtered) m_newMatches. With a text filter, stops before
// a RequestHeadersRead whose target is still arriving, once, so its path can be matched later.
EventTableModel::Scan EventTableModel::scanNew(std::uint64_t to, bool allowDefer)
{
    m_newTexts.clear();
    m_newMatches.clear();
    std::string target;
    for (std::uint64_t i = m_end; i < to; ++i) {
        const EventRecord& r = m_store.at(i);
        if (hidden(r)) {
            m_newTexts.push_back(i);
            continue;
        }
        if (allowDefer && !m_needle.empty() && r.kind == EventKind::RequestHeadersRead && i != m_deferredAt
            && !targetOf(i, target)) {
            m_deferredAt = i;
            return {i};
        }
        if (m_filtered && matches(i, r))
            m_newMatches.push_back(i);
    }
    return {to};
}

bool EventTableModel::matches(std::uint64_t index, const EventRecord& r) const
{
    if (!m_filter.acceptsKind(r.kind))
        return false;
    if (m_filter.connection != 0 && r.conn != m_filter.connection)
        return false;
    if (m_needle.empty())
        return true;
    m_haystack = toString(r.kind);
    m_haystack += '\n';
    std::string target;
    const bool haveTarget = r.kind == EventKind::RequestHeadersRead && (targetOf(index, target) || !target.empty());
    m_haystack += record_text::detail(r, target, haveTarget);
    lowerAscii(m_haystack);
    return m_haystack.find(m_needle) != std::string::npos;
}

// ---- Eviction and filtering -----------------------------------------------------------------

// Rows showing store indices before `storeIndex` (which must be within [m_begin, m_end]).
std::uint64_t EventTableModel::rowsBefore(std::uint64_t storeIndex) const
{
    if (m_filtered)
        return m_matches.lowerBound(storeIndex);
    const std::uint64_t texts = m_texts.lowerBound(storeIndex);
    return storeIndex - m_begin - texts;
}

void EventTableModel::removeFront(std::uint64_t newBegin)
{
    if (newBegin <= m_begin)
        return;
    const std::uint64_t gone = rowsBefore(std::min(newBegin, m_end));
    if (gone > 0)
        beginRemoveRows({}, 0, int(gone) - 1);
    dropFront(newBegin);
    if (gone > 0)
        endRemoveRows();
}

// Forgets the store indices before `newBegin` (no signals: the caller sends them).
void EventTableModel::dropFront(std::uint64_t newBegin)
{
    if (newBegin <= m_begin)
        return;
    const std::uint64_t cut = std::min(newBegin, m_end);
    while (!m_texts.empty() && m_texts.front() < cut)
        m_texts.pop_front();
    while (!m_matches.empty() && m_matches.front() < cut)
        m_matches.pop_front();
    m_begin = newBegin;
    m_end = std::max(m_end, newBegin); // records evicted before being ingested are never shown
    m_ingestedTo = std::max(m_ingestedTo, m_end);
}

void EventTableModel::setFilter(const EventFilter& filter)
{
    beginResetModel();
    m_filter = filter;
    m_filtered = filter.isActive();
    const QByteArray needle = filter.text.toLower().toUtf8();
    m_needle.assign(needle.constData(), std::size_t(needle.size()));
    // Records held back for a target still arriving are taken in now: the filter changed.
    if (m_end < m_ingestedTo) {
        scanNew(m_ingestedTo, false);
        m_texts.append(m_newTexts);
        m_end = m_ingestedTo;
    }
    rebuildMatches();
    endResetModel();
    keepWithinRowLimit();
}

// RequestText side records never get a row (their text is in their request's row); the GUI
// loop's own bookkeeping (events handled, wake-ups, sleeps, delay samples: hundreds a second even
// when nothing happens) only when asked for, so the server's events are not drowned.
bool EventTableModel::hidden(const EventRecord& r) const
{
    if (r.kind == EventKind::RequestText)
        return true;
    if (m_showGuiLoop)
        return false;
    return isGuiLoopKind(r.kind) && r.kind != EventKind::GuiWork;
}

void EventTableModel::setShowGuiLoop(bool show)
{
    if (show == m_showGuiLoop)
        return;
    beginResetModel();
    m_showGuiLoop = show;
    m_texts.clear();
    for (std::uint64_t i = m_begin; i < m_end; ++i)
        if (hidden(m_store.at(i)))
            m_texts.push_back(i);
    rebuildMatches();
    endResetModel();
    keepWithinRowLimit();
}

void EventTableModel::rebuildMatches()
{
    m_matches.clear();
    if (!m_filtered)
        return;
    for (std::uint64_t i = m_begin; i < m_end; ++i) {
        const EventRecord& r = m_store.at(i);
        if (!hidden(r) && matches(i, r))
            m_matches.push_back(i);
    }
}

// ---- Row mapping ----------------------------------------------------------------------------

quint64 EventTableModel::storeIndexAt(int row) const
{
    if (m_filtered)
        return m_matches[std::size_t(row)];
    // Rows skip RequestText records: find how many text indices precede the row's record. For the
    // k-th text index t_k, t_k - m_begin - k rows come before it; that grows with k.
    std::size_t lo = 0, hi = m_texts.size();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (m_texts[mid] - m_begin - mid <= std::uint64_t(row))
            lo = mid + 1;
        else
            hi = mid;
    }
    return m_begin + std::uint64_t(row) + lo;
}

int EventTableModel::rowOf(quint64 storeIndex) const
{
    if (storeIndex < m_begin || storeIndex >= m_end)
        return -1;
    if (m_filtered) {
        const std::size_t at = m_matches.lowerBound(storeIndex);
        return at < m_matches.size() && m_matches[at] == storeIndex ? int(at) : -1;
    }
    if (m_texts.contains(storeIndex))
        return -1;
    return int(rowsBefore(storeIndex));
}

bool EventTableModel::targetOf(std::uint64_t storeIndex, std::string& target) const
{
    target.clear();
    if (storeIndex < m_store.beginIndex() || storeIndex >= m_store.endIndex())
        return false;
    const EventRecord& head = m_store.at(storeIndex);
    AssembledRequest request;
    request.start(head);
    const std::uint64_t end = std::min<std::uint64_t>(m_store.endIndex(), storeIndex + 1 + kMaxTextScan);
    for (std::uint64_t i = storeIndex + 1; i < end; ++i) {
        const EventRecord& r = m_store.at(i);
        if (r.conn != head.conn)
            continue; // another connection's record, interleaved
        if (r.kind != EventKind::RequestText)
            break; // the connection moved on: the text ends here
        if (request.addText(r))
            break;
    }
    target = std::move(request.target);
    return request.complete;
}

// ---- QAbstractItemModel ---------------------------------------------------------------------

int EventTableModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    const std::uint64_t rows = m_filtered ? m_matches.size() : (m_end - m_begin) - m_texts.size();
    return int(std::min<std::uint64_t>(rows, std::uint64_t(INT32_MAX)));
}

int EventTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const quint64 storeIndex = storeIndexAt(index.row());
    if (storeIndex < m_store.beginIndex() || storeIndex >= m_store.endIndex())
        return {};
    if (role == StoreIndexRole)
        return QVariant::fromValue(storeIndex);
    if (role == Qt::TextAlignmentRole && (index.column() == TimeColumn || index.column() == ConnectionColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    const EventRecord& r = m_store.at(storeIndex);
    switch (index.column()) {
    case TimeColumn:
        return record_text::relativeTime(r.t_ns - m_store.originNs());
    case KindColumn:
        return QString::fromLatin1(toString(r.kind));
    case ConnectionColumn:
        return record_text::connection(r);
    case StateColumn:
        return record_text::stateChange(r);
    case DetailColumn: {
        std::string target;
        // A request's target and a load phase's name both follow their record as RequestText.
        const bool haveTarget = (r.kind == EventKind::RequestHeadersRead || r.kind == EventKind::LoadPhase)
                                && (targetOf(storeIndex, target) || !target.empty());
        return record_text::detailText(r, target, haveTarget);
    }
    default:
        return {};
    }
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn: return tr("Time");
    case KindColumn: return tr("Event");
    case ConnectionColumn: return tr("Connection");
    case StateColumn: return tr("State change");
    case DetailColumn: return tr("Detail");
    default: return {};
    }
}

} // namespace loopscope
