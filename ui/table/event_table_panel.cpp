#include "table/event_table_panel.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QRegularExpressionValidator>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace loopscope {

EventTablePanel::EventTablePanel(const TraceStore& store, QWidget* parent)
    : QWidget(parent)
    , m_model(store)
    , m_view(new QTableView(this))
{
    m_view->setModel(&m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    // Uniform row heights: with Fixed sections the view never measures rows, so millions cost
    // nothing. The vertical header (row numbers) would be meaningless after eviction: hidden.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->verticalHeader()->hide();
    QHeaderView* columns = m_view->horizontalHeader();
    columns->setStretchLastSection(true);
    const int digit = m_view->fontMetrics().horizontalAdvance(QLatin1Char('0'));
    columns->resizeSection(EventTableModel::TimeColumn, digit * 18);
    columns->resizeSection(EventTableModel::KindColumn, digit * 24);
    columns->resizeSection(EventTableModel::ConnectionColumn, digit * 11);
    columns->resizeSection(EventTableModel::StateColumn, digit * 32);

    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(250);
    connect(&m_filterDelay, &QTimer::timeout, this, &EventTablePanel::applyFilter);
    connect(&m_model, &QAbstractItemModel::rowsInserted, this, &EventTablePanel::onRowsChanged);
    connect(&m_model, &QAbstractItemModel::modelReset, this, &EventTablePanel::onRowsChanged);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &EventTablePanel::onCurrentRowChanged);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(buildFilterBar());
    layout->addWidget(m_view);
}

QWidget* EventTablePanel::buildFilterBar()
{
    auto* bar = new QWidget(this);
    m_kinds = new QToolButton(bar);
    m_kinds->setText(tr("Events: all"));
    m_kinds->setPopupMode(QToolButton::InstantPopup);
    m_kindMenu = new QMenu(m_kinds);
    m_kinds->setMenu(m_kindMenu);
    buildKindMenu();

    m_connection = new QLineEdit(bar);
    m_connection->setPlaceholderText(tr("any"));
    m_connection->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,10}")), m_connection));
    m_connection->setClearButtonEnabled(true);
    m_connection->setMaximumWidth(m_connection->fontMetrics().horizontalAdvance(QLatin1Char('0')) * 14);
    m_text = new QLineEdit(bar);
    m_text->setPlaceholderText(tr("Filter text (event, path, status…)"));
    m_text->setClearButtonEnabled(true);
    m_rowLimitNote = new QLabel(tr("newest %L1 shown").arg(EventTableModel::kMaxRows), bar);
    m_rowLimitNote->setToolTip(tr("The table lists the newest %L1 events; the timeline, the "
                                  "connection inspector and exports keep every recorded event")
                                   .arg(EventTableModel::kMaxRows));
    m_rowLimitNote->setVisible(false);
    m_follow = new QCheckBox(tr("Follow newest"), bar);
    m_follow->setChecked(true);
    auto* guiLoop = new QCheckBox(tr("GUI loop events"), bar);
    guiLoop->setToolTip(tr("Also list the window's own loop bookkeeping: events handled, wake-ups, sleeps, delay samples"));
    connect(guiLoop, &QCheckBox::toggled, this, [this](bool on) { m_model.setShowGuiLoop(on); });
    for (QLineEdit* edit : {m_connection, m_text})
        connect(edit, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));

    auto* layout = new QHBoxLayout(bar);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->addWidget(m_kinds);
    layout->addWidget(new QLabel(tr("Connection"), bar));
    layout->addWidget(m_connection);
    layout->addWidget(m_text, 1);
    layout->addWidget(guiLoop);
    layout->addWidget(m_rowLimitNote);
    layout->addWidget(m_follow);
    return bar;
}

void EventTablePanel::buildKindMenu()
{
    QAction* all = m_kindMenu->addAction(tr("All events"));
    m_kindMenu->addSeparator();
    QList<QAction*> kindActions;
    for (int k = 0; k < kEventKindCount; ++k) {
        if (EventKind(k) == EventKind::RequestText || !isKnownKind(EventKind(k)))
            continue; // text is folded into its request's row; unknown kinds never occur
        QAction* a = m_kindMenu->addAction(QString::fromLatin1(toString(EventKind(k))));
        a->setCheckable(true);
        a->setData(k);
        kindActions << a;
        connect(a, &QAction::toggled, this, &EventTablePanel::applyFilter);
    }
    connect(all, &QAction::triggered, this, [this, kindActions] {
        const QSignalBlocker blocker(m_kindMenu);
        for (QAction* a : kindActions) {
            const QSignalBlocker actionBlocker(a);
            a->setChecked(false);
        }
        applyFilter();
    });
}

void EventTablePanel::applyFilter()
{
    m_filterDelay.stop();
    EventFilter filter;
    int checked = 0;
    for (QAction* a : m_kindMenu->actions())
        if (a->isCheckable() && a->isChecked()) {
            filter.addKind(EventKind(a->data().toInt()));
            ++checked;
        }
    m_kinds->setText(checked == 0 ? tr("Events: all") : tr("Events: %1").arg(checked));
    filter.connection = m_connection->text().toUInt();
    filter.text = m_text->text();
    if (filter == m_model.filter())
        return;
    // Keep the selected record selected across the rebuild, when it still matches.
    const QModelIndex current = m_view->currentIndex();
    const quint64 selected = current.isValid() ? m_model.storeIndexAt(current.row()) : UINT64_MAX;
    m_model.setFilter(filter);
    if (selected != UINT64_MAX)
        selectEvent(selected);
    else if (followNewest())
        m_view->scrollToBottom();
}

bool EventTablePanel::followNewest() const
{
    return m_follow->isChecked();
}

void EventTablePanel::setFollowNewest(bool follow)
{
    m_follow->setChecked(follow);
}

// New rows, or all rows anew (a filter, or a firehose replacing them all): the note says
// whether old rows were dropped, and a view following the newest shows them.
void EventTablePanel::onRowsChanged()
{
    m_rowLimitNote->setVisible(m_model.droppedOldRows());
    if (followNewest())
        m_view->scrollToBottom();
}

void EventTablePanel::onCurrentRowChanged(const QModelIndex& current)
{
    if (!current.isValid() || m_selectingProgrammatically)
        return;
    setFollowNewest(false);
    emit eventSelected(m_model.storeIndexAt(current.row()));
}

void EventTablePanel::selectEvent(quint64 storeIndex)
{
    const int row = m_model.rowOf(storeIndex);
    if (row < 0)
        return;
    m_selectingProgrammatically = true;
    setFollowNewest(false);
    const QModelIndex index = m_model.index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index, QAbstractItemView::PositionAtCenter);
    m_selectingProgrammatically = false;
}

} // namespace loopscope
