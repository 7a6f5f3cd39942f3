#include "window/main_window.h"

#include "charts/charts_panel.h"
#include "charts/stats_model.h"
#include "compare/compare_window.h"
#include "core/clock.h"
#include "export/trace_export.h"
#include "inspector/connection_inspector.h"
#include "live/gui_loop_probe.h"
#include "live/trace_consumer.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "table/event_table_model.h"
#include "table/event_table_panel.h"
#include "timeline/timeline_legend.h"
#include "timeline/timeline_view.h"
#include "stepper/loop_panel.h"
#include "stepper/step_model.h"
#include "traffic/traffic_panel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDockWidget>
#include "diagram/state_diagram.h"
#include "timeline/palette.h"
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QComboBox>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

namespace loopscope {

namespace {

constexpr int kTableIntervalMs = 100;

// Deferred accept became the default on 2026-11-27. Windows before that saved the box on every
// start, so the old key holds "off" for everyone who ever started a server, chosen or not: a new
// key lets everyone start from the new default once.
const char* const kDeferAcceptKey = "server/tcpDeferAccept";
const char* const kOldDeferAcceptKey = "server/deferAccept";

QString grouped(std::uint64_t n)
{
    return QLocale(QLocale::English).toString(qulonglong(n));
}

} // namespace

MainWindow::MainWindow(const WindowOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , m_server(std::make_unique<ServerController>())
    , m_store(std::make_unique<TraceStore>(options.storeCapacity))
    , m_timelineModel(std::make_unique<TimelineModel>())
{
    setWindowTitle(QStringLiteral("loopscope"));
    m_stats = std::make_unique<StatsModel>();
    m_consumer = new TraceConsumer(m_server->recorder(), *m_store, this);
    buildToolbar();
    buildCentre();
    buildDocks();
    buildMenus();
    wirePipeline();
    restoreSettings(options);
    statusBar()->showMessage(tr("Press Start (Ctrl+R) to serve %1, then open the URL in a browser.")
                                 .arg(m_root->text()));
    if (options.demo)
        QTimer::singleShot(0, this, &MainWindow::startDemo);
    else if (options.autostart)
        QTimer::singleShot(0, this, &MainWindow::startServer);
}

MainWindow::~MainWindow()
{
    if (m_probe)
        m_probe->setSink({});
    m_server->stop();
}

// --- Building the window -----------------------------------------------------------------

void MainWindow::buildToolbar()
{
    QToolBar* bar = addToolBar(tr("Server"));
    bar->setObjectName(QStringLiteral("serverToolbar"));
    bar->setMovable(false);
    m_startAction = bar->addAction(tr("Start"), this, &MainWindow::startServer);
    m_startAction->setShortcut(QKeySequence(tr("Ctrl+R")));
    m_startAction->setToolTip(tr("Start serving the document root (Ctrl+R)"));
    m_stopAction = bar->addAction(tr("Stop"), this, &MainWindow::stopServer);
    m_stopAction->setShortcut(QKeySequence(tr("Ctrl+T")));
    m_stopAction->setToolTip(tr("Stop the server: every connection is closed (Ctrl+T)"));
    m_stopAction->setEnabled(false);
    QAction* demo = bar->addAction(tr("Demo"), this, &MainWindow::startDemo);
    demo->setToolTip(tr("Serve if needed and drive a few phases of built-in traffic made for watching"));
    bar->addSeparator();

    bar->addWidget(new QLabel(tr(" Model "), bar));
    m_model = new QComboBox(bar);
    m_model->setObjectName(QStringLiteral("serverModel"));
    m_model->addItem(tr("Event loop"), int(ServerModel::EventLoop));
    m_model->addItem(tr("Blocking, one at a time"), int(ServerModel::Blocking));
    m_model->addItem(tr("Thread per connection"), int(ServerModel::Threads));
    m_model->setToolTip(tr("How the server serves connections: one epoll event loop; one thread "
                           "serving one connection at a time while the rest wait; or one thread "
                           "per connection"));
    bar->addWidget(m_model);
    bar->addWidget(new QLabel(tr(" Port "), bar));
    m_port = new QSpinBox(bar);
    m_port->setRange(0, 65535);
    m_port->setToolTip(tr("TCP port; 0 picks a free one"));
    bar->addWidget(m_port);
    bar->addWidget(new QLabel(tr(" Bind "), bar));
    m_bind = new QLineEdit(bar);
    m_bind->setMaximumWidth(120);
    m_bind->setToolTip(tr("IPv4 address to listen on; 127.0.0.1 is this machine only"));
    bar->addWidget(m_bind);
    bar->addWidget(new QLabel(tr(" Root "), bar));
    m_root = new QLineEdit(bar);
    m_root->setMinimumWidth(220);
    m_root->setToolTip(tr("The folder to serve"));
    bar->addWidget(m_root);
    QAction* browse = bar->addAction(tr("…"), this, &MainWindow::chooseRoot);
    browse->setToolTip(tr("Choose the folder to serve"));
    m_fileCache = new QCheckBox(tr("File cache"), bar);
    m_fileCache->setToolTip(tr("Serve files read in the last second without a disk worker "
                               "(shown as cache hits): small ones from memory, big ones with "
                               "sendfile; off sends every request to a disk worker"));
    bar->addWidget(m_fileCache);
    m_deferAccept = new QCheckBox(tr("Defer accept"), bar);
    m_deferAccept->setObjectName(QStringLiteral("deferAccept"));
    m_deferAccept->setToolTip(tr("Accept a connection only once its first bytes arrived (TCP_DEFER_ACCEPT, "
                                 "on by default as in h2o): the loop wakes once per connection instead of "
                                 "twice, but a client that connects and stays silent appears about a "
                                 "second late. Turn it off to see such a client at once"));
    bar->addWidget(m_deferAccept);
    bar->addSeparator();

    m_url = new QLabel(bar);
    m_url->setTextFormat(Qt::RichText);
    m_url->setOpenExternalLinks(true);
    m_url->setToolTip(tr("Open in the browser"));
    bar->addWidget(m_url);
    m_error = new QLabel(bar);
    m_error->setObjectName(QStringLiteral("startError"));
    m_error->setStyleSheet(QStringLiteral("color: #c0392b; font-weight: bold;"));
    m_error->setWordWrap(true);
    bar->addWidget(m_error);
}

void MainWindow::buildCentre()
{
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_timeline = new TimelineView(*m_timelineModel, *m_store, centre);
    layout->addWidget(m_timeline, 1);
    layout->addWidget(new TimelineLegend(centre));
    setCentralWidget(centre);
}

void MainWindow::buildDocks()
{
    m_tablePanel = new EventTablePanel(*m_store, this);
    auto* tableDock = new QDockWidget(tr("Events"), this);
    tableDock->setObjectName(QStringLiteral("eventsDock"));
    tableDock->setWidget(m_tablePanel);
    addDockWidget(Qt::BottomDockWidgetArea, tableDock);

    m_charts = new ChartsPanel(*m_stats, this);
    auto* chartsDock = new QDockWidget(tr("Charts"), this);
    chartsDock->setObjectName(QStringLiteral("chartsDock"));
    chartsDock->setWidget(m_charts);
    addDockWidget(Qt::RightDockWidgetArea, chartsDock);

    // The state machine under the charts, both worth watching at once during a demo (the charts
    // keep most of the height); the traffic form shares the charts' place as a tab.
    m_diagram = new StateDiagram(this);
    auto* diagramDock = new QDockWidget(tr("State machine"), this);
    diagramDock->setObjectName(QStringLiteral("stateMachineDock"));
    diagramDock->setWidget(m_diagram);
    addDockWidget(Qt::RightDockWidgetArea, diagramDock);
    splitDockWidget(chartsDock, diagramDock, Qt::Vertical);
    resizeDocks({chartsDock, diagramDock}, {560, 250}, Qt::Vertical);

    m_traffic = new TrafficPanel(this);
    m_trafficDock = new QDockWidget(tr("Traffic"), this);
    m_trafficDock->setObjectName(QStringLiteral("trafficDock"));
    m_trafficDock->setWidget(m_traffic);
    addDockWidget(Qt::RightDockWidgetArea, m_trafficDock);
    tabifyDockWidget(chartsDock, m_trafficDock);

    m_loopPanel = new LoopPanel(*m_server, this);
    m_loopDock = new QDockWidget(tr("Loop"), this);
    m_loopDock->setObjectName(QStringLiteral("loopDock"));
    m_loopDock->setWidget(m_loopPanel);
    addDockWidget(Qt::RightDockWidgetArea, m_loopDock);
    tabifyDockWidget(chartsDock, m_loopDock);
    chartsDock->raise();
    m_docks = {tableDock, chartsDock, diagramDock, m_trafficDock, m_loopDock};

    m_rate = new QLabel(this);
    m_stored = new QLabel(this);
    m_dropped = new QLabel(this);
    m_serverState = new QLabel(this);
    statusBar()->addPermanentWidget(m_serverState);
    statusBar()->addPermanentWidget(m_rate);
    statusBar()->addPermanentWidget(m_stored);
    statusBar()->addPermanentWidget(m_dropped);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* exportAll = file->addAction(tr("&Export recording…"), this, [this] { exportDialog(false); });
    exportAll->setShortcut(QKeySequence(tr("Ctrl+E")));
    file->addAction(tr("Export &selected range…"), this, [this] { exportDialog(true); });
    file->addSeparator();
    QAction* clear = file->addAction(tr("&Clear recording"), this, [this] { m_consumer->clear(); });
    clear->setShortcut(QKeySequence(tr("Ctrl+L")));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* server = menuBar()->addMenu(tr("&Server"));
    server->addAction(m_startAction);
    server->addAction(m_stopAction);
    server->addSeparator();
    // A window of its own with two servers of its own: it never touches this window's server.
    server->addAction(tr("&Compare models…"), this, [this] {
        auto* compare = new CompareWindow(m_root->text(), this);
        compare->setAttribute(Qt::WA_DeleteOnClose);
        compare->show();
    });
    server->addSeparator();
    // In the menu too, so their keys work while the Loop panel is hidden.
    server->addAction(m_loopPanel->pauseAction());
    server->addAction(m_loopPanel->stepAction());
    server->addAction(m_loopPanel->runAction());

    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_followAction = view->addAction(tr("&Follow live"));
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    m_followAction->setShortcut(QKeySequence(tr("Space")));
    connect(m_followAction, &QAction::toggled, m_timeline, &TimelineView::setFollowLive);
    connect(m_timeline, &TimelineView::followLiveChanged, m_followAction, &QAction::setChecked);
    view->addAction(tr("Zoom to &fit"), m_timeline, &TimelineView::fitAll);
    QAction* replay = view->addAction(tr("&Replay the last 5 s in slow motion"), this, [this] {
        m_timeline->startReplay(TimelineView::kDefaultReplayNs, TimelineView::kDefaultReplaySpeed);
        m_timeline->setFocus();
    });
    replay->setShortcut(QKeySequence(tr("Ctrl+Shift+R")));
    replay->setToolTip(tr("Ten times slower than real time; any key or click on the timeline stops it"));
    m_presenterAction = view->addAction(tr("&Presenter mode"));
    m_presenterAction->setCheckable(true);
    m_presenterAction->setShortcut(QKeySequence(tr("F11")));
    m_presenterAction->setToolTip(tr("Large fonts, tall lanes and stronger colours for a projector"));
    connect(m_presenterAction, &QAction::toggled, this, &MainWindow::setPresenterMode);
    QAction* showAll = view->addAction(tr("Show &all lanes"), this, [this] { filterLanes(std::nullopt); });
    showAll->setToolTip(tr("Clear the lane filter set by clicking a state in the state machine"));
    view->addSeparator();
    for (QDockWidget* dock : m_docks)
        view->addAction(dock->toggleViewAction());
    m_trafficDock->toggleViewAction()->setText(tr("&Traffic panel"));
    m_loopDock->toggleViewAction()->setText(tr("&Loop panel (step mode)"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard and mouse"), this, &MainWindow::showShortcuts);
    help->addAction(tr("&About loopscope"), this, [this] {
        QMessageBox::about(this, tr("About loopscope"),
                           tr("<p><b>loopscope</b> shows an event loop at work: a real epoll HTTP/1.1 "
                              "server records every step of every connection, and this window draws "
                              "them live beside the server's loop and its own Qt loop.</p>"));
    });
}

void MainWindow::wirePipeline()
{
    m_consumer->addSink(m_timelineModel.get());
    m_consumer->addSink(m_stats.get());
    // The table takes new rows at most ten times a second: Qt's header view walks every row on
    // each insert and removal, which at 2 million events/s cost 6% of the process when done at
    // every drain (bench_gui_firehose, perf). A table of a firehose is read, not watched frame by frame.
    m_consumer->addSink(m_tablePanel->model(), kTableIntervalMs);
    m_consumer->addSink(m_loopPanel->model());
    connect(m_consumer, &TraceConsumer::appended, m_timeline, &TimelineView::refresh);
    connect(m_consumer, &TraceConsumer::storeCleared, m_timeline, &TimelineView::refresh);

    // The GUI's own loop is a lane: every outermost event, and our own paints and drains.
    m_probe = new GuiLoopProbe(this);
    m_probe->setSink([consumer = m_consumer](const EventRecord& r) { consumer->appendLocal(r); });
    GuiLoopProbe::setInstance(m_probe);
    m_probe->start();
    m_timeline->setWorkRecorder([this](std::int64_t start, std::int64_t duration) {
        recordGuiWork(GuiWorkKind::Paint, start, duration);
    });
    m_charts->setWorkRecorder([this](std::int64_t start, std::int64_t duration) {
        recordGuiWork(GuiWorkKind::Charts, start, duration);
    });
    m_consumer->start(16);

    connect(m_server.get(), &ServerController::started, this, &MainWindow::onServerStarted);
    connect(m_server.get(), &ServerController::stopped, this, &MainWindow::onServerStopped);
    connect(m_server.get(), &ServerController::startFailed, this, &MainWindow::onStartFailed);

    // Load phases become records on the GUI thread, stored with the next drain like its own.
    m_traffic->setRecordSink([consumer = m_consumer](const EventRecord& r) { consumer->appendLocal(r); });
    m_traffic->setServerStarter([this] {
        startServer();
        return m_server->url();
    });
    connect(m_server.get(), &ServerController::started, m_traffic, &TrafficPanel::setServerUrl);
    connect(m_server.get(), &ServerController::stopped, m_traffic, [this] { m_traffic->setServerUrl({}); });
    connect(m_loopPanel, &LoopPanel::slowReadersRequested, this, [this](int clients) {
        m_traffic->setSlowReaders(clients);
        m_trafficDock->show();
        m_trafficDock->raise();
    });

    connect(m_timeline, &TimelineView::eventSelected, this, [this](quint64 storeIndex) {
        m_consumer->catchUp(); // the table takes new rows ten times a second: it may lack this one
        m_tablePanel->selectEvent(storeIndex);
    });
    connect(m_tablePanel, &EventTablePanel::eventSelected, m_timeline, &TimelineView::selectEvent);
    connect(m_timeline, &TimelineView::rangeSelected, this, [this](qint64 t0, qint64 t1) {
        m_selectionStart = t0;
        m_selectionEnd = t1;
    });
    connect(m_timeline, &TimelineView::connectionClicked, this, [this](quint32 conn) {
        if (!m_inspector)
            m_inspector = new ConnectionInspector(this);
        m_inspector->showConnection(*m_store, *m_timelineModel, conn);
    });

    connect(m_diagram, &StateDiagram::stateClicked, this, &MainWindow::filterLanes);

    auto* status = new QTimer(this);
    connect(status, &QTimer::timeout, this, &MainWindow::showStatus);
    connect(status, &QTimer::timeout, this, &MainWindow::updateDiagram);
    status->start(250);
}

// The diagram counts connections at the timeline's right edge: now while following live, the
// moment looked at while paused, so it always describes what the lanes show.
void MainWindow::updateDiagram()
{
    const std::int64_t last = m_timelineModel->lastTime();
    const std::int64_t at = m_timeline->followLive() ? last : std::min(m_timeline->scale().endNs(), last);
    m_diagram->setCounts(m_timelineModel->stateCounts(at));
}

// For an audience: everything readable from the back of the room. The application font grows
// (every widget follows it), lanes get tall and idle colours darker; leaving restores all three.
void MainWindow::setPresenterMode(bool on)
{
    if (on == m_presenter)
        return;
    m_presenter = on;
    m_presenterAction->setChecked(on);
    palette::setHighContrast(on);
    if (on) {
        m_normalFont = QApplication::font();
        m_normalLaneHeight = m_timeline->laneHeight();
        QFont big = m_normalFont;
        big.setPointSizeF(m_normalFont.pointSizeF() * kPresenterFontScale);
        QApplication::setFont(big);
        m_timeline->setLaneHeight(kPresenterLaneHeight);
    } else {
        QApplication::setFont(m_normalFont);
        m_timeline->setLaneHeight(m_normalLaneHeight);
    }
    m_timeline->update();
    m_diagram->update();
}

void MainWindow::filterLanes(std::optional<ConnectionState> state)
{
    m_diagram->setSelectedState(state);
    m_timeline->setStateFilter(state);
}

void MainWindow::recordGuiWork(GuiWorkKind kind, std::int64_t startNs, std::int64_t durationNs)
{
    m_consumer->appendLocal(makeGuiWorkRecord(kind, startNs, durationNs));
}

// --- Settings ----------------------------------------------------------------------------

void MainWindow::restoreSettings(const WindowOptions& options)
{
    QSettings settings;
    // Command-line options win over remembered settings, which win over defaults.
    m_port->setValue(settings.value(QStringLiteral("server/port"), options.server.port).toInt());
    m_bind->setText(settings.value(QStringLiteral("server/bind"), options.server.bindAddress).toString());
    m_root->setText(settings.value(QStringLiteral("server/root"), options.server.root).toString());
    m_fileCache->setChecked(settings.value(QStringLiteral("server/fileCache"), options.server.fileCache).toBool());
    m_deferAccept->setChecked(settings.value(QLatin1String(kDeferAcceptKey), options.server.deferAccept).toBool());
    ServerModel model = ServerModel::EventLoop;
    parseServerModel(settings.value(QStringLiteral("server/model")).toString().toStdString(), model);
    m_model->setCurrentIndex(std::max(0, m_model->findData(int(model))));
    if (options.server.port != ServerSettings{}.port)
        m_port->setValue(options.server.port);
    if (options.server.bindAddress != ServerSettings{}.bindAddress)
        m_bind->setText(options.server.bindAddress);
    if (!options.server.root.isEmpty())
        m_root->setText(options.server.root);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("server/port"), m_port->value());
    settings.setValue(QStringLiteral("server/bind"), m_bind->text());
    settings.setValue(QStringLiteral("server/root"), m_root->text());
    settings.setValue(QStringLiteral("server/fileCache"), m_fileCache->isChecked());
    settings.setValue(QLatin1String(kDeferAcceptKey), m_deferAccept->isChecked());
    settings.remove(QLatin1String(kOldDeferAcceptKey));
    settings.setValue(QStringLiteral("server/model"), QString::fromLatin1(toString(currentSettings().model)));
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
}

ServerSettings MainWindow::currentSettings() const
{
    ServerSettings s;
    s.root = m_root->text();
    s.bindAddress = m_bind->text();
    s.port = m_port->value();
    s.fileCache = m_fileCache->isChecked();
    s.deferAccept = m_deferAccept->isChecked();
    s.model = ServerModel(m_model->currentData().toInt());
    return s;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    m_traffic->stop();
    m_server->stop();
    event->accept();
}

// --- Server ------------------------------------------------------------------------------

void MainWindow::startServer()
{
    m_error->clear();
    m_server->start(currentSettings());
}

void MainWindow::startDemo()
{
    m_trafficDock->show();
    m_trafficDock->raise();
    m_traffic->startDemo();
}

void MainWindow::stopServer()
{
    m_server->stop();
}

void MainWindow::onServerStarted(const QString& url)
{
    m_startAction->setEnabled(false);
    m_stopAction->setEnabled(true);
    setServerSettingsEditable(false);
    m_url->setText(QStringLiteral("&nbsp;<a href=\"%1\">%1</a>&nbsp;").arg(url.toHtmlEscaped()));
    statusBar()->showMessage(tr("Serving %1 at %2").arg(m_root->text(), url), 5000);
    saveSettings();
}

void MainWindow::onServerStopped()
{
    m_startAction->setEnabled(true);
    m_stopAction->setEnabled(false);
    setServerSettingsEditable(true);
    m_url->clear();
    statusBar()->showMessage(tr("Server stopped; the recording is kept."), 5000);
}

// The server's settings can change only while it is stopped.
void MainWindow::setServerSettingsEditable(bool editable)
{
    for (QWidget* w : std::initializer_list<QWidget*>{m_model, m_port, m_bind, m_root, m_fileCache, m_deferAccept})
        w->setEnabled(editable);
}

void MainWindow::onStartFailed(const QString& reason)
{
    m_error->setText(QStringLiteral("  ") + reason);
    statusBar()->showMessage(reason, 10000);
}

void MainWindow::chooseRoot()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder to serve"), m_root->text());
    if (!dir.isEmpty())
        m_root->setText(dir);
}

void MainWindow::showStatus()
{
    const bool running = m_server->isRunning();
    m_serverState->setText(running ? tr("serving on port %1").arg(m_server->port()) : tr("stopped"));
    m_rate->setText(tr("%1 events/s").arg(grouped(std::uint64_t(m_consumer->eventsPerSecond()))));
    m_stored->setText(tr("%1 stored, %2 evicted").arg(grouped(m_store->size()), grouped(m_store->evicted())));
    // Drops are never silent: the engine's count, and the ring's not yet reported.
    const std::uint64_t dropped = std::max(m_store->droppedByEngine(), m_server->recorder().droppedTotal());
    m_dropped->setText(tr("%1 dropped").arg(grouped(dropped)));
    m_dropped->setStyleSheet(dropped ? QStringLiteral("color: #c0392b; font-weight: bold;") : QString());
}

// --- Export ------------------------------------------------------------------------------

bool MainWindow::exportTo(const QString& path, bool selectionOnly, QString& error)
{
    m_consumer->drainNow();
    StoreRange range{m_store->beginIndex(), m_store->endIndex()};
    if (selectionOnly) {
        if (m_selectionEnd <= m_selectionStart) {
            error = tr("No time range is selected; shift+drag on the timeline to select one.");
            return false;
        }
        range = rangeForTimes(*m_store, m_selectionStart, m_selectionEnd);
    }
    TraceInfo info;
    info.processName = "loopscope";
    info.documentRoot = m_root->text().toStdString();
    info.listenAddress = QStringLiteral("%1:%2").arg(m_bind->text()).arg(m_port->value()).toStdString();
    info.droppedRecords = std::max(m_store->droppedByEngine(), m_server->recorder().droppedTotal());

    QProgressDialog progress(tr("Exporting %1 events…").arg(grouped(range.to - range.from)), tr("Cancel"),
                             0, 1000, this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    // Pause the consumer so the store neither grows nor evicts under the range being written;
    // the engine's ring (a million records) holds what arrives meanwhile.
    m_consumer->stop();
    const std::int64_t began = monotonicNs();
    const bool ok = exportTrace(*m_store, range, path, info, [&](std::uint64_t done, std::uint64_t total) {
        progress.setValue(total ? int(done * 1000 / total) : 1000);
        QCoreApplication::processEvents();
        return !progress.wasCanceled();
    }, error);
    recordGuiWork(GuiWorkKind::Export, began, monotonicNs() - began);
    m_consumer->start(16);
    return ok;
}

void MainWindow::exportDialog(bool selectionOnly)
{
    QSettings settings;
    const QString last = settings.value(QStringLiteral("export/last"), QStringLiteral("loopscope-trace.json")).toString();
    const QString path = QFileDialog::getSaveFileName(
        this, selectionOnly ? tr("Export selected range") : tr("Export recording"), last,
        tr("Chrome trace for Perfetto (*.json);;Gzipped Chrome trace (*.json.gz);;CSV of raw events (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportTo(path, selectionOnly, error)) {
        QMessageBox::warning(this, tr("Export failed"), error);
        return;
    }
    settings.setValue(QStringLiteral("export/last"), path);
    statusBar()->showMessage(tr("Wrote %1; open it at ui.perfetto.dev.").arg(path), 8000);
}

void MainWindow::showShortcuts()
{
    QString rows;
    for (const auto& [keys, what] : TimelineView::shortcuts())
        rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
    rows += tr("<tr><td><b>Ctrl+R / Ctrl+T</b></td><td>start / stop the server</td></tr>"
               "<tr><td><b>Ctrl+E</b></td><td>export the recording</td></tr>"
               "<tr><td><b>Ctrl+L</b></td><td>clear the recording</td></tr>"
               "<tr><td><b>F8 / F10 / F5</b></td><td>pause the event loop / run one step / let it run</td></tr>");
    QMessageBox::information(this, tr("Keyboard and mouse"), QStringLiteral("<table>%1</table>").arg(rows));
}

} // namespace loopscope
