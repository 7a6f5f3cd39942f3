#include "stepper/loop_panel.h"

#include "stepper/step_model.h"
#include "window/server_controller.h"

#include <QAction>
#include <QCheckBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTextBlock>
#include <QToolButton>
#include <QVBoxLayout>

namespace loopscope {

namespace {

QToolButton* buttonFor(QAction* action, QWidget* parent)
{
    auto* button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

} // namespace

LoopPanel::LoopPanel(ServerController& server, QWidget* parent)
    : QWidget(parent)
    , m_server(server)
    , m_model(new StepModel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildButtons());

    auto* split = new QSplitter(Qt::Vertical, this);
    m_table = new QTableView(split);
    m_table->setObjectName(QStringLiteral("readyList"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setToolTip(tr("What the last step's epoll_wait returned, in order, and where each went; "
                           "select a row to see its branch in the pseudocode"));
    m_code = new QPlainTextEdit(split);
    m_code->setObjectName(QStringLiteral("pseudocode"));
    m_code->setReadOnly(true);
    m_code->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_code->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_code->setPlainText(pseudocode::lines().join(QLatin1Char('\n')));
    split->addWidget(m_table);
    split->addWidget(m_code);
    layout->addWidget(split, 1);
    m_branch = new QLabel(this);
    m_branch->setWordWrap(true);
    layout->addWidget(m_branch);
    layout->addWidget(buildSwitches());

    connect(m_model, &StepModel::stepped, this, &LoopPanel::onStepped);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LoopPanel::onRowSelected);
    connect(&m_server, &ServerController::stepModeChanged, this, &LoopPanel::onStepModeChanged);
    onStepModeChanged(m_server.stepMode());
    highlight({});
}

QWidget* LoopPanel::buildButtons()
{
    auto* row = new QWidget(this);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    m_pause = new QAction(tr("Pause"), this);
    m_pause->setShortcut(QKeySequence(Qt::Key_F8));
    m_pause->setToolTip(tr("Pause the event loop between two epoll_wait calls (F8; event-loop model)"));
    m_step = new QAction(tr("Step"), this);
    m_step->setShortcut(QKeySequence(Qt::Key_F10));
    m_step->setToolTip(tr("Run one iteration: one epoll_wait (it waits until something is ready) and "
                          "everything it returned (F10)"));
    m_run = new QAction(tr("Run"), this);
    m_run->setShortcut(QKeySequence(Qt::Key_F5));
    m_run->setToolTip(tr("Leave step mode: the loop runs freely again (F5)"));
    for (QAction* a : {m_pause, m_step, m_run}) {
        a->setShortcutContext(Qt::WindowShortcut);
        h->addWidget(buttonFor(a, row));
    }
    connect(m_pause, &QAction::triggered, this, &LoopPanel::pauseLoop);
    connect(m_step, &QAction::triggered, this, &LoopPanel::stepLoop);
    connect(m_run, &QAction::triggered, this, &LoopPanel::runLoop);
    m_status = new QLabel(row);
    m_status->setObjectName(QStringLiteral("loopStatus"));
    m_status->setWordWrap(true);
    h->addWidget(m_status, 1);
    return row;
}

QWidget* LoopPanel::buildSwitches()
{
    auto* box = new QGroupBox(tr("Break the loop (event-loop model)"), this);
    auto* form = new QFormLayout(box);
    m_syncDisk = new QCheckBox(tr("Read files on the loop thread"), box);
    m_syncDisk->setToolTip(tr("The loop opens and reads files itself instead of the disk workers: every "
                              "connection waits while it reads (untick File cache to see every request do it)"));
    form->addRow(m_syncDisk);
    m_cpuMs = new QSpinBox(box);
    m_cpuMs->setRange(0, 1000);
    m_cpuMs->setSuffix(tr(" ms"));
    m_cpuMs->setSpecialValueText(tr("off"));
    m_cpuMs->setToolTip(tr("Each response first burns this much of the loop thread's CPU hashing its bytes"));
    form->addRow(tr("CPU per request"), m_cpuMs);
    auto* slow = new QPushButton(tr("Add %1 slow readers in the Traffic panel").arg(kSlowReadersLink), box);
    slow->setToolTip(tr("Slow clients are a load setting: they read the response 4 KiB every 20 ms"));
    form->addRow(tr("Slow clients"), slow);
    const LoopBreaks breaks = m_server.loopBreaks();
    m_syncDisk->setChecked(breaks.syncDisk);
    m_cpuMs->setValue(int(breaks.cpuMsPerRequest));
    connect(m_syncDisk, &QCheckBox::toggled, this, &LoopPanel::applyBreaks);
    connect(m_cpuMs, &QSpinBox::valueChanged, this, &LoopPanel::applyBreaks);
    connect(slow, &QPushButton::clicked, this, [this] { emit slowReadersRequested(kSlowReadersLink); });
    return box;
}

QString LoopPanel::statusText() const
{
    return m_status->text();
}

void LoopPanel::pauseLoop()
{
    const QString why = m_server.setStepMode(true);
    if (!why.isEmpty())
        return say(why, true);
    say(tr("Paused between two epoll_wait calls; press Step (F10)."));
}

void LoopPanel::stepLoop()
{
    const QString why = m_server.step();
    if (!why.isEmpty())
        return say(why, true);
    say(tr("Stepping: the loop waits in epoll_wait until something is ready (send a request)…"));
}

void LoopPanel::runLoop()
{
    const QString why = m_server.setStepMode(false);
    if (!why.isEmpty())
        return say(why, true);
    say(tr("Running freely."));
}

void LoopPanel::onStepModeChanged(bool on)
{
    m_pause->setEnabled(!on);
    m_step->setEnabled(on);
    m_run->setEnabled(on);
    if (!on && !m_status->text().isEmpty())
        say(tr("Running freely."));
}

void LoopPanel::onStepped(quint64 step, int readyCount)
{
    say(tr("Step %1: epoll_wait returned, %2 dispatched. Press Step (F10) for the next.").arg(step).arg(readyCount));
    if (readyCount > 0)
        m_table->selectRow(0);
    else
        highlight({});
}

void LoopPanel::onRowSelected()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty() || rows.first().row() >= int(m_model->rows().size()))
        return highlight({});
    const StepModel::Row& row = m_model->rows()[std::size_t(rows.first().row())];
    highlight(pseudocode::linesFor(row.handler));
    m_branch->setText(tr("%1 → %2: %3")
                          .arg(StepModel::targetText(row), QString::fromLatin1(toString(row.handler)),
                               pseudocode::eventNameFor(row.handler)));
}

// Marks the branch's lines with the selection colour, whole lines wide.
void LoopPanel::highlight(pseudocode::LineRange lines)
{
    m_highlight = lines;
    QList<QTextEdit::ExtraSelection> marks;
    for (int line = lines.first; line <= lines.last; ++line) {
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(m_code->document()->findBlockByNumber(line));
        mark.format.setBackground(palette().highlight());
        mark.format.setForeground(palette().highlightedText());
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks.append(mark);
    }
    m_code->setExtraSelections(marks);
    if (lines == pseudocode::LineRange{})
        m_branch->setText(tr("The loop waits in epoll_wait for the next event."));
}

void LoopPanel::applyBreaks()
{
    LoopBreaks breaks;
    breaks.syncDisk = m_syncDisk->isChecked();
    breaks.cpuMsPerRequest = unsigned(m_cpuMs->value());
    m_server.setLoopBreaks(breaks);
    if (m_server.isRunning() && m_server.model() != ServerModel::EventLoop)
        say(tr("These switches change only the event-loop model; the %1 model ignores them.")
                .arg(QString::fromLatin1(toString(m_server.model()))), true);
}

void LoopPanel::say(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
}

} // namespace loopscope
