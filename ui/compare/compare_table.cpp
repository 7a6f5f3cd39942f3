#include "compare/compare_table.h"

#include "compare/compare_side.h"
#include "compare/process_memory.h"
#include "timeline/time_scale.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <iterator>

namespace loopscope {

namespace {

QString grouped(std::uint64_t n)
{
    return QLocale(QLocale::English).toString(qulonglong(n));
}

QString mebibytes(std::uint64_t bytes)
{
    return QString::number(double(bytes) / double(1u << 20), 'f', 1) + QStringLiteral(" MiB");
}

QString percentiles(std::initializer_list<std::int64_t> ns)
{
    QStringList parts;
    for (std::int64_t v : ns)
        parts << formatDuration(v);
    return parts.join(QStringLiteral(" / "));
}

// While running, the rate of the last second (what is happening now); when done, the whole
// run's average (what the run achieved).
QString requestsPerSecond(const CompareSide& side)
{
    const LoadSnapshot s = side.load();
    if (s.running)
        return QString::number(s.requestsPerSecond, 'f', 0);
    if (s.elapsedNs <= 0)
        return QStringLiteral("–");
    return QString::number(double(s.counts.responses) * 1e9 / double(s.elapsedNs), 'f', 1);
}

QString answered(const CompareSide& side)
{
    return grouped(side.load().counts.responses) + QStringLiteral(" / ") + grouped(side.stats().requestsCompleted());
}

QString errors(const CompareSide& side)
{
    const LoadCounts c = side.load().counts;
    QString text = grouped(c.errorTotal());
    QStringList kinds;
    for (int i = 0; i < kLoadErrorKinds; ++i)
        if (c.errors[std::size_t(i)] > 0)
            kinds << QStringLiteral("%1 %2").arg(grouped(c.errors[std::size_t(i)]), QString::fromLatin1(toString(LoadError(i))));
    return kinds.isEmpty() ? text : text + QStringLiteral(" (") + kinds.join(QStringLiteral(", ")) + QLatin1Char(')');
}

QString unanswered(const CompareSide& side)
{
    const LoadSnapshot s = side.load();
    return grouped(s.inFlight + s.counts.abandoned);
}

QString clientLatency(const CompareSide& side)
{
    const LoadSnapshot s = side.load();
    return s.counts.responses == 0 ? QStringLiteral("–") : percentiles({s.p50Ns, s.p90Ns, s.p99Ns});
}

QString serverLatency(const CompareSide& side)
{
    const LatencyPercentiles p = side.stats().latencyOverall();
    return p.count == 0 ? QStringLiteral("–") : percentiles({p.p50, p.p99});
}

QString connections(const CompareSide& side)
{
    return grouped(std::uint64_t(std::max<std::int64_t>(0, side.stats().activeConnections())));
}

// Every thread the server runs: its main thread (loop, lone server or acceptor) plus its
// helpers: disk workers, or one thread per connection at the most at once.
std::uint64_t threadsAtMost(const CompareSide& side)
{
    return 1 + side.diskWorkers() + side.threads().most();
}

QString threads(const CompareSide& side)
{
    switch (side.model()) {
    case ServerModel::Blocking:
        return CompareTable::tr("1: accepts and serves one connection at a time");
    case ServerModel::EventLoop:
        return CompareTable::tr("%1: the loop + %2 disk workers").arg(threadsAtMost(side)).arg(side.diskWorkers());
    case ServerModel::Threads:
        return CompareTable::tr("%1 at most: the acceptor + %2 connection threads at once (%3 now, %4 started)")
            .arg(grouped(threadsAtMost(side)), grouped(side.threads().most()), grouped(side.threads().now()),
                 grouped(side.threads().started()));
    }
    return {};
}

QString stacks(const CompareSide& side)
{
    const std::uint64_t each = threadStackBytes();
    if (each == 0)
        return CompareTable::tr("unknown (the system does not say)");
    return CompareTable::tr("%1 × %2 = %3").arg(grouped(threadsAtMost(side)), mebibytes(each),
                                                mebibytes(threadsAtMost(side) * each));
}

struct Row {
    const char* label;
    const char* tip; // what the figure leaves out, or why two figures may differ
    QString (*text)(const CompareSide&);
};

#define ROW_TEXT(text) QT_TRANSLATE_NOOP("CompareTable", text)
const Row kRows[] = {
    {ROW_TEXT("Requests/s (the last second while running, the whole run when done)"),
     ROW_TEXT("Responses the load generator received"), requestsPerSecond},
    {ROW_TEXT("Answered: by the clients' count / by the server's recording"),
     ROW_TEXT("The server's count can be higher: it may answer a request whose client already gave up waiting"),
     answered},
    {ROW_TEXT("Errors the clients saw"),
     ROW_TEXT("Timeout: a request made no progress for the 'give up after' time; reset: the server closed or "
              "reset the connection"),
     errors},
    {ROW_TEXT("Not answered: still waiting, or waiting when the run ended"), nullptr, unanswered},
    {ROW_TEXT("Latency p50 / p90 / p99 as the clients saw it (from when each request was due)"),
     ROW_TEXT("Answered requests only; time spent queued (for a blocking server, in the kernel's listen "
              "backlog) counts"),
     clientLatency},
    {ROW_TEXT("Time inside the server p50 / p99 (request read → response written)"),
     ROW_TEXT("From the server's recording; it cannot see time spent waiting to be accepted"), serverLatency},
    {ROW_TEXT("Connections the server holds open now"),
     ROW_TEXT("Accepted and not yet closed, from the server's recording; connections waiting in the listen "
              "backlog are not yet the server's"),
     connections},
    {ROW_TEXT("Server threads"),
     ROW_TEXT("For threads: the most connection threads at once, from ThreadStarted/ThreadExited records"),
     threads},
    {ROW_TEXT("Stack address space the server's threads reserved (virtual: only touched pages use RAM)"), nullptr,
     stacks},
};
#undef ROW_TEXT
constexpr int kRowCount = int(std::size(kRows));

} // namespace

CompareTable::CompareTable(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_table = new QTableWidget(kRowCount, 2, this);
    m_table->setObjectName(QStringLiteral("compareFigures"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    for (int r = 0; r < kRowCount; ++r) {
        auto* label = new QTableWidgetItem(tr(kRows[r].label));
        if (kRows[r].tip)
            label->setToolTip(tr(kRows[r].tip));
        m_table->setVerticalHeaderItem(r, label);
        for (int c = 0; c < 2; ++c)
            m_table->setItem(r, c, new QTableWidgetItem(QStringLiteral("–")));
    }
    // As tall as its rows: the timelines above get the rest of the window.
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_table->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_table->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    layout->addWidget(m_table);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("compareMemory"));
    m_memory->setWordWrap(true);
    layout->addWidget(m_memory);
}

void CompareTable::showFigures(const CompareSide& first, const CompareSide& second, std::uint64_t residentBefore)
{
    m_table->setHorizontalHeaderLabels({first.caption(), second.caption()});
    showSide(0, first);
    showSide(1, second);
    showMemory(residentBefore);
}

void CompareTable::showSide(int column, const CompareSide& side)
{
    for (int r = 0; r < kRowCount; ++r)
        m_table->item(r, column)->setText(kRows[r].text(side));
}

void CompareTable::showMemory(std::uint64_t residentBefore)
{
    const std::uint64_t now = residentBytes();
    if (now == 0 || residentBefore == 0) {
        m_memory->setText(tr("Resident memory: unknown (/proc/self/statm cannot be read)."));
        return;
    }
    m_residentPeak = std::max({m_residentPeak, now, residentBefore});
    const double grew = (double(now) - double(residentBefore)) / double(1u << 20);
    m_memory->setText(tr("Resident memory of the whole loopscope process — both servers, both recordings and "
                         "every window together, so it cannot be split by side: %1 before the run, %2 now "
                         "(%3 MiB), %4 at the most since the window opened.")
                          .arg(mebibytes(residentBefore), mebibytes(now),
                               QString::asprintf("%+.1f", grew), mebibytes(m_residentPeak)));
}

QString CompareTable::cell(int row, int column) const
{
    return m_table->item(row, column)->text();
}

int CompareTable::rowOf(const QString& labelStart) const
{
    for (int r = 0; r < kRowCount; ++r)
        if (tr(kRows[r].label).startsWith(labelStart))
            return r;
    return -1;
}

QString CompareTable::memoryText() const
{
    return m_memory->text();
}

} // namespace loopscope
