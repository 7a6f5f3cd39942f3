#include "compare/compare_window.h"

#include "compare/compare_side.h"
#include "compare/compare_table.h"
#include "compare/process_memory.h"
#include "compare/timeline_sync.h"
#include "timeline/timeline_legend.h"
#include "timeline/timeline_view.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

namespace loopscope {

CompareWindow::CompareWindow(const QString& root, QWidget* parent)
    : QWidget(parent, Qt::Window)
    , m_root(root)
{
    setWindowTitle(tr("Compare server models — loopscope"));
    for (auto& side : m_sides) {
        side = std::make_unique<CompareSide>();
        connect(side.get(), &CompareSide::finished, this, &CompareWindow::onSideFinished);
    }
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildForm());
    layout->addWidget(buildBody(), 1);
    layout->addWidget(new TimelineLegend(this));
    for (int i = 0; i < 2; ++i) // until a run says which model it recorded
        m_captions[std::size_t(i)]->setText(m_models[std::size_t(i)]->currentText());
    m_sync = new TimelineSync(*m_views[0], m_sides[0]->store(), *m_views[1], m_sides[1]->store(), this);
    m_refresh.setInterval(kRefreshMs);
    connect(&m_refresh, &QTimer::timeout, this, &CompareWindow::refreshFigures);
    showStatus(tr("Press Start to serve %1 with both models and send each the same load.").arg(m_root), false);
    resize(1400, 900);
}

// The views paint from the sides' stores and models: they go first.
CompareWindow::~CompareWindow()
{
    for (auto& side : m_sides)
        side->disconnect(this);
    stop();
    delete m_body;
}

// --- Building the window -----------------------------------------------------------------

QComboBox* CompareWindow::modelBox(ServerModel initial)
{
    auto* box = new QComboBox(this);
    for (ServerModel m : {ServerModel::Blocking, ServerModel::Threads, ServerModel::EventLoop})
        box->addItem(modelCaption(m), int(m));
    box->setCurrentIndex(box->findData(int(initial)));
    return box;
}

QWidget* CompareWindow::buildForm()
{
    auto* form = new QWidget(this);
    auto* grid = new QGridLayout(form);
    grid->setContentsMargins(0, 0, 0, 0);
    m_models = {modelBox(ServerModel::Blocking), modelBox(ServerModel::EventLoop)};
    m_models[0]->setObjectName(QStringLiteral("firstModel"));
    m_models[1]->setObjectName(QStringLiteral("secondModel"));
    grid->addWidget(new QLabel(tr("Top"), form), 0, 0);
    grid->addWidget(m_models[0], 0, 1, 1, 3);
    grid->addWidget(new QLabel(tr("Bottom"), form), 1, 0);
    grid->addWidget(m_models[1], 1, 1, 1, 3);

    m_clients = new QSpinBox(form);
    m_clients->setRange(0, int(LoadSettings::kMaxClients));
    m_clients->setToolTip(tr("Clients sending requests at once, to each server"));
    m_rate = new QDoubleSpinBox(form);
    m_rate->setRange(0, 1e6);
    m_rate->setDecimals(0);
    m_rate->setSuffix(tr(" req/s"));
    m_rate->setSpecialValueText(tr("as fast as answered"));
    m_rate->setToolTip(tr("Requests per second over all clients, to each server. 0 sends each next request as "
                          "soon as the previous is answered: each side then takes all the CPU it can, and the "
                          "two share this machine's cores"));
    m_slowReaders = new QSpinBox(form);
    m_slowReaders->setRange(0, 1000);
    m_slowReaders->setToolTip(tr("More clients with a small receive buffer that read 4 KiB every 20 ms"));
    m_slowHeaders = new QSpinBox(form);
    m_slowHeaders->setRange(0, 1000);
    m_slowHeaders->setToolTip(tr("More clients that send their request one byte every 20 ms"));
    grid->addWidget(new QLabel(tr("Clients"), form), 0, 4);
    grid->addWidget(m_clients, 0, 5);
    grid->addWidget(new QLabel(tr("Rate"), form), 0, 6);
    grid->addWidget(m_rate, 0, 7);
    grid->addWidget(new QLabel(tr("Slow readers"), form), 0, 8);
    grid->addWidget(m_slowReaders, 0, 9);
    grid->addWidget(new QLabel(tr("Slow headers"), form), 0, 10);
    grid->addWidget(m_slowHeaders, 0, 11);

    m_keepAlive = new QCheckBox(tr("Keep-alive"), form);
    m_keepAlive->setToolTip(tr("Untick: a new connection per request"));
    m_giveUp = new QDoubleSpinBox(form);
    m_giveUp->setRange(0.1, 600);
    m_giveUp->setDecimals(1);
    m_giveUp->setSuffix(tr(" s"));
    m_giveUp->setToolTip(tr("A client gives up on a request that makes no progress for this long (a timeout error)"));
    m_duration = new QDoubleSpinBox(form);
    m_duration->setRange(0.5, 3600);
    m_duration->setDecimals(1);
    m_duration->setSuffix(tr(" s"));
    m_paths = new QLineEdit(form);
    m_paths->setToolTip(tr("PATH[:WEIGHT] separated by commas; \"HEAD \" before a path asks for HEAD"));
    grid->addWidget(m_keepAlive, 1, 4, 1, 2);
    grid->addWidget(new QLabel(tr("Give up after"), form), 1, 6);
    grid->addWidget(m_giveUp, 1, 7);
    grid->addWidget(new QLabel(tr("Duration"), form), 1, 8);
    grid->addWidget(m_duration, 1, 9);
    grid->addWidget(new QLabel(tr("Paths"), form), 2, 0);
    grid->addWidget(m_paths, 2, 1, 1, 9);

    m_start = new QPushButton(tr("Start"), form);
    m_start->setToolTip(tr("Serve the document root with both models and send each the same load"));
    m_stop = new QPushButton(tr("Stop"), form);
    m_stop->setEnabled(false);
    grid->addWidget(m_start, 2, 10);
    grid->addWidget(m_stop, 2, 11);
    connect(m_start, &QPushButton::clicked, this, &CompareWindow::start);
    connect(m_stop, &QPushButton::clicked, this, &CompareWindow::stop);
    m_status = new QLabel(form);
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_status->setWordWrap(true);
    grid->addWidget(m_status, 3, 0, 1, 12);
    setLoad(CompareLoad{});
    return form;
}

QWidget* CompareWindow::buildBody()
{
    auto* splitter = new QSplitter(Qt::Vertical, this);
    for (int i = 0; i < 2; ++i)
        splitter->addWidget(buildSideView(i, splitter));
    m_table = new CompareTable(splitter);
    splitter->addWidget(m_table);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 0);
    m_body = splitter;
    return splitter;
}

QWidget* CompareWindow::buildSideView(int index, QWidget* parent)
{
    auto* box = new QWidget(parent);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    CompareSide& s = *m_sides[std::size_t(index)];
    m_captions[std::size_t(index)] = new QLabel(box);
    m_captions[std::size_t(index)]->setStyleSheet(QStringLiteral("font-weight: bold;"));
    auto* view = new TimelineView(s.timeline(), s.store(), box);
    m_views[std::size_t(index)] = view;
    connect(&s.consumer(), &TraceConsumer::appended, view, &TimelineView::refresh);
    connect(&s.consumer(), &TraceConsumer::storeCleared, view, &TimelineView::refresh);
    layout->addWidget(m_captions[std::size_t(index)]);
    layout->addWidget(view, 1);
    return box;
}

// --- The form ----------------------------------------------------------------------------

void CompareWindow::setModels(ServerModel first, ServerModel second)
{
    m_models[0]->setCurrentIndex(m_models[0]->findData(int(first)));
    m_models[1]->setCurrentIndex(m_models[1]->findData(int(second)));
}

CompareLoad CompareWindow::load() const
{
    CompareLoad load;
    load.clients = unsigned(m_clients->value());
    load.rate = m_rate->value();
    load.slowReaders = unsigned(m_slowReaders->value());
    load.slowHeaders = unsigned(m_slowHeaders->value());
    load.keepAlive = m_keepAlive->isChecked();
    load.giveUpMs = unsigned(m_giveUp->value() * 1000);
    load.durationSeconds = m_duration->value();
    load.paths = m_paths->text().trimmed().toStdString();
    load.requestsPerClient = m_budget;
    return load;
}

void CompareWindow::setLoad(const CompareLoad& load)
{
    m_clients->setValue(int(load.clients));
    m_rate->setValue(load.rate);
    m_slowReaders->setValue(int(load.slowReaders));
    m_slowHeaders->setValue(int(load.slowHeaders));
    m_keepAlive->setChecked(load.keepAlive);
    m_giveUp->setValue(load.giveUpMs / 1000.0);
    m_duration->setValue(load.durationSeconds);
    m_paths->setText(QString::fromStdString(load.paths));
    m_budget = load.requestsPerClient;
}

void CompareWindow::setEditable(bool editable)
{
    for (QWidget* w : std::initializer_list<QWidget*>{m_models[0], m_models[1], m_clients, m_rate, m_slowReaders,
                                                      m_slowHeaders, m_keepAlive, m_giveUp, m_duration, m_paths,
                                                      m_start})
        w->setEnabled(editable);
    m_stop->setEnabled(!editable);
}

// --- Running -----------------------------------------------------------------------------

bool CompareWindow::start()
{
    stop();
    m_residentBefore = residentBytes();
    const CompareLoad form = load();
    QString error;
    for (int i = 0; i < 2; ++i) {
        const auto model = ServerModel(m_models[std::size_t(i)]->currentData().toInt());
        if (!m_sides[std::size_t(i)]->start(model, m_root, form, error)) {
            stop(); // the side already running, if any
            showStatus(error, true);
            return false;
        }
        m_captions[std::size_t(i)]->setText(m_sides[std::size_t(i)]->caption());
    }
    m_running = true;
    for (TimelineView* view : m_views)
        view->setFollowLive(true);
    setEditable(false);
    m_refresh.start();
    refreshFigures();
    showStatus(tr("Running for %1 s: the same load to %2 (port %3) and %4 (port %5).")
                   .arg(form.durationSeconds)
                   .arg(QString::fromLatin1(toString(m_sides[0]->model())))
                   .arg(m_sides[0]->port())
                   .arg(QString::fromLatin1(toString(m_sides[1]->model())))
                   .arg(m_sides[1]->port()),
               false);
    emit runningChanged(true);
    return true;
}

void CompareWindow::stop()
{
    for (auto& side : m_sides)
        side->stop(); // finished() ends the run once both are done
}

bool CompareWindow::isRunning() const
{
    return m_running;
}

void CompareWindow::onSideFinished()
{
    if (!m_running || m_sides[0]->isRunning() || m_sides[1]->isRunning())
        return;
    m_running = false;
    m_refresh.stop();
    refreshFigures();
    setEditable(true);
    showStatus(tr("Done. Both recordings are kept: zoom or drag either timeline and the other follows."), false);
    emit runningChanged(false);
    emit finished();
}

void CompareWindow::refreshFigures()
{
    m_table->showFigures(*m_sides[0], *m_sides[1], m_residentBefore);
}

void CompareWindow::closeEvent(QCloseEvent* event)
{
    stop();
    event->accept();
}

// --- Text --------------------------------------------------------------------------------

QString CompareWindow::caption(int index) const
{
    return m_captions[std::size_t(index)]->text();
}

void CompareWindow::showStatus(const QString& text, bool error)
{
    m_status->setStyleSheet(error ? QStringLiteral("color: #c0392b; font-weight: bold;") : QString());
    m_status->setText(text);
}

QString CompareWindow::statusText() const
{
    return m_status->text();
}

} // namespace loopscope
