// The Loop panel: the seed's pseudocode verbatim and the line each handler highlights; the
// StepModel turning LoopDispatch/LoopStepped records into the ready list (rows only once a step
// is complete); and the panel against a real server: Pause, the Step button produces one step
// and shows its ready rows with the branch highlighted, refusals are one sentence, and the break
// switches reach the server.
#include "synthetic_records.h"
#include "test_support.h"

#include "live/trace_consumer.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "stepper/loop_panel.h"
#include "stepper/pseudocode.h"
#include "stepper/step_model.h"
#include "window/server_controller.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCheckBox>
#include <QFile>
#include <QItemSelectionModel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <sys/epoll.h>

using namespace loopscope;
using namespace loopscope::test;
using S = ConnectionState;

namespace {

EventRecord dispatchRecord(std::int64_t t, LoopSource source, LoopHandler handler, std::uint32_t events,
                           std::uint32_t conn)
{
    return rec(t, EventKind::LoopDispatch, conn, S::None, S::None, loopDispatchArg(source, handler), events);
}

void feed(TraceStore& store, StepModel& model, const std::vector<EventRecord>& records)
{
    const std::uint64_t from = store.endIndex();
    store.append(records.data(), records.size());
    model.ingest(store, from, store.endIndex());
}

} // namespace

class LoopPanelTest : public QObject {
    Q_OBJECT

private slots:
    void pseudocodeIsTheDesignsVerbatim();
    void handlersHighlightTheirBranch_data();
    void handlersHighlightTheirBranch();
    void stepModelShowsCompleteStepsOnly();
    void timelineMarksPausesAndSteps();
    void stepButtonShowsOneStep();
    void refusalsAreOneSentence();
    void switchesReachTheServer();
};

void LoopPanelTest::pseudocodeIsTheDesignsVerbatim()
{
    QFile design(QStringLiteral(LOOPSCOPE_TEST_DATA "/../../../shared/DESIGN.md"));
    if (!design.open(QIODevice::ReadOnly))
        QSKIP("the shared DESIGN.md is not beside this checkout");
    const QString text = QString::fromUtf8(design.readAll());
    const QStringList lines = pseudocode::lines();
    QCOMPARE(lines.size(), 7);
    QVERIFY2(text.contains(lines.join(QLatin1Char('\n'))), "the pseudocode differs from DESIGN.md's");
}

void LoopPanelTest::handlersHighlightTheirBranch_data()
{
    QTest::addColumn<int>("handler");
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("last");
    QTest::addColumn<bool>("branch");
    QTest::newRow("accept") << int(LoopHandler::OnAccept) << 2 << 2 << true;
    QTest::newRow("readable") << int(LoopHandler::OnReadable) << 3 << 3 << true;
    QTest::newRow("disk done") << int(LoopHandler::OnDiskDone) << 4 << 4 << true;
    QTest::newRow("writable") << int(LoopHandler::OnWritable) << 5 << 6 << true;
    QTest::newRow("timers") << int(LoopHandler::ExpireTimers) << 1 << 1 << false;
    QTest::newRow("wake-up") << int(LoopHandler::CheckStop) << 1 << 1 << false;
    QTest::newRow("nothing") << int(LoopHandler::Nothing) << 1 << 1 << false;
    QTest::newRow("error") << int(LoopHandler::CloseOnError) << 1 << 1 << false;
}

void LoopPanelTest::handlersHighlightTheirBranch()
{
    QFETCH(int, handler);
    QFETCH(int, first);
    QFETCH(int, last);
    QFETCH(bool, branch);
    const pseudocode::LineRange lines = pseudocode::linesFor(LoopHandler(handler));
    QCOMPARE(lines.first, first);
    QCOMPARE(lines.last, last);
    QCOMPARE(pseudocode::isSeedBranch(LoopHandler(handler)), branch);
    QVERIFY(!pseudocode::eventNameFor(LoopHandler(handler)).isEmpty());
}

void LoopPanelTest::stepModelShowsCompleteStepsOnly()
{
    TraceStore store;
    StepModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy stepped(&model, &StepModel::stepped);
    QSignalSpy paused(&model, &StepModel::pausedChanged);

    feed(store, model, {rec(10, EventKind::LoopPaused, 0, S::None, S::None),
                        dispatchRecord(20, LoopSource::Listener, LoopHandler::OnAccept, EPOLLIN, 0),
                        dispatchRecord(21, LoopSource::Connection, LoopHandler::OnReadable, EPOLLIN | EPOLLOUT, 7)});
    QCOMPARE(model.loopPaused(), true);
    QCOMPARE(paused.size(), 1);
    QCOMPARE(model.rowCount(), 0); // the step is not done yet
    feed(store, model, {rec(30, EventKind::LoopStepped, 0, S::None, S::None, 1, 2)});
    QCOMPARE(stepped.size(), 1);
    QCOMPARE(stepped.first().at(0).toULongLong(), 1ull);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.lastStep(), 1ull);
    QCOMPARE(model.index(0, StepModel::EventColumn).data().toString(), QStringLiteral("listener"));
    QCOMPARE(model.index(0, StepModel::TargetColumn).data().toString(), QStringLiteral("listening socket"));
    QCOMPARE(model.index(0, StepModel::HandlerColumn).data().toString(), QStringLiteral("onAccept"));
    QCOMPARE(model.index(1, StepModel::TargetColumn).data().toString(), QStringLiteral("connection 7"));
    QCOMPARE(model.index(1, StepModel::BitsColumn).data().toString(), QStringLiteral("EPOLLIN|EPOLLOUT"));
    QCOMPARE(model.index(1, StepModel::HandlerColumn).data().toString(), QStringLiteral("onReadable"));

    // The next step replaces the list; a disk job names its connection.
    feed(store, model, {dispatchRecord(40, LoopSource::DiskDone, LoopHandler::OnDiskDone, EPOLLIN, 7),
                        rec(41, EventKind::LoopStepped, 0, S::None, S::None, 2, 1)});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, StepModel::TargetColumn).data().toString(), QStringLiteral("disk eventfd (connection 7)"));
    feed(store, model, {rec(50, EventKind::LoopResumed, 0, S::None, S::None, 2)});
    QCOMPARE(model.loopPaused(), false);
    model.cleared();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.lastStep(), 0ull);
}

// Pause, step and resume are markers on the engine loop's lane; while paused the lane shows
// the loop blocked (it waits in epoll_wait on its pause set), not dispatching.
void LoopPanelTest::timelineMarksPausesAndSteps()
{
    TraceStore store;
    TimelineModel model;
    const std::vector<EventRecord> records{
        rec(10, EventKind::LoopPollEnd, 0, S::None, S::None, 1),
        rec(20, EventKind::LoopPaused, 0, S::None, S::None, 0),
        rec(30, EventKind::LoopPollBegin, 0, S::None, S::None),
        rec(40, EventKind::LoopPollEnd, 0, S::None, S::None, 1),
        dispatchRecord(41, LoopSource::Listener, LoopHandler::OnAccept, EPOLLIN, 0),
        rec(50, EventKind::LoopStepped, 0, S::None, S::None, 1, 1),
        rec(60, EventKind::LoopResumed, 0, S::None, S::None, 1)};
    store.append(records.data(), records.size());
    model.ingest(store, 0, store.endIndex());
    std::vector<EventKind> kinds;
    for (const Marker& m : model.markers()) {
        QCOMPARE(m.lane, -1);
        kinds.push_back(m.kind);
    }
    QCOMPARE(kinds, (std::vector<EventKind>{EventKind::LoopPaused, EventKind::LoopStepped, EventKind::LoopResumed}));
    const auto& loop = model.engineLoop();
    QCOMPARE(loop[std::size_t(TimelineModel::spanAt(loop, 25))].phase, LoopPhase::Blocked);
    QCOMPARE(loop[std::size_t(TimelineModel::spanAt(loop, 45))].phase, LoopPhase::Dispatching);
    QCOMPARE(loop[std::size_t(TimelineModel::spanAt(loop, 55))].phase, LoopPhase::Blocked);
}

// The whole path: the panel's buttons -> ServerController -> Server, and back through the
// recording -> TraceConsumer -> StepModel -> the table and the highlighted pseudocode.
void LoopPanelTest::stepButtonShowsOneStep()
{
    QTemporaryDir root;
    QVERIFY(writeFile(root.path().toStdString() + "/index.html", "hello\n"));
    ServerController server;
    TraceStore store;
    TraceConsumer consumer(server.recorder(), store);
    LoopPanel panel(server);
    consumer.addSink(panel.model());
    consumer.start(5);
    ServerSettings settings;
    settings.root = root.path();
    settings.port = 0;
    QVERIFY(server.start(settings));

    QSignalSpy modeChanged(&server, &ServerController::stepModeChanged);
    QVERIFY(!panel.stepAction()->isEnabled());
    panel.pauseAction()->trigger();
    QCOMPARE(modeChanged.size(), 1);
    QVERIFY(panel.stepAction()->isEnabled());
    QVERIFY(!panel.pauseAction()->isEnabled());
    QTRY_VERIFY(panel.model()->loopPaused());

    Fd client(connectLoopback(server.port()));
    QVERIFY(client.get() >= 0);
    panel.stepAction()->trigger();
    QTRY_COMPARE(panel.model()->lastStep(), 1ull);
    QTest::qWait(50); // a second step would show here if one had been taken
    consumer.drainNow();
    QCOMPARE(panel.model()->lastStep(), 1ull);
    QTableView* table = panel.readyTable();
    QCOMPARE(table->model()->rowCount(), 1);
    QCOMPARE(table->model()->index(0, StepModel::HandlerColumn).data().toString(), QStringLiteral("onAccept"));
    QCOMPARE(table->model()->index(0, StepModel::BitsColumn).data().toString(), QStringLiteral("EPOLLIN"));
    QCOMPARE(table->selectionModel()->selectedRows().size(), 1); // the first row, by default
    QCOMPARE(panel.highlightedLines(), (pseudocode::LineRange{2, 2}));
    QVERIFY2(panel.statusText().contains(QStringLiteral("Step 1")), qPrintable(panel.statusText()));

    // Send the request and step until its bytes are read; selecting that row highlights line 3.
    QVERIFY(sendAll(client.get(), get("/")));
    int readable = -1;
    for (quint64 step = 2; step <= 6 && readable < 0; ++step) {
        panel.stepAction()->trigger();
        QTRY_COMPARE(panel.model()->lastStep(), step);
        for (int row = 0; row < table->model()->rowCount(); ++row)
            if (table->model()->index(row, StepModel::HandlerColumn).data().toString() == QLatin1String("onReadable"))
                readable = row;
    }
    QVERIFY(readable >= 0);
    table->selectRow(readable);
    QCOMPARE(panel.highlightedLines(), (pseudocode::LineRange{3, 3}));

    panel.runAction()->trigger();
    QVERIFY(!server.stepMode());
    ResponseReader reader(client.get());
    HttpResponse response;
    QCOMPARE(reader.read(response), ReadResult::Ok);
    QCOMPARE(response.status, 200);
    server.stop();
}

void LoopPanelTest::refusalsAreOneSentence()
{
    ServerController server;
    LoopPanel panel(server);
    panel.pauseLoop(); // not serving
    QVERIFY2(panel.statusText().contains(QStringLiteral("not running")), qPrintable(panel.statusText()));
    QVERIFY(!server.stepMode());
    QVERIFY(panel.pauseAction()->isEnabled());
    panel.stepLoop();
    QVERIFY2(panel.statusText().endsWith(QLatin1Char('.')), qPrintable(panel.statusText()));

    QTemporaryDir root;
    ServerSettings settings;
    settings.root = root.path();
    settings.port = 0;
    settings.model = ServerModel::Threads;
    QVERIFY(server.start(settings));
    panel.pauseLoop();
    QVERIFY2(panel.statusText().contains(QStringLiteral("Only the event-loop model")), qPrintable(panel.statusText()));
    QVERIFY(!server.stepMode());
    server.stop();
}

void LoopPanelTest::switchesReachTheServer()
{
    ServerController server;
    LoopPanel panel(server);
    panel.syncDiskBox()->setChecked(true);
    panel.cpuMsBox()->setValue(25);
    QCOMPARE(server.loopBreaks().syncDisk, true);
    QCOMPARE(server.loopBreaks().cpuMsPerRequest, 25u);
    panel.syncDiskBox()->setChecked(false);
    panel.cpuMsBox()->setValue(0);
    QCOMPARE(server.loopBreaks().syncDisk, false);
    QCOMPARE(server.loopBreaks().cpuMsPerRequest, 0u);

    QSignalSpy slow(&panel, &LoopPanel::slowReadersRequested);
    const auto buttons = panel.findChildren<QPushButton*>();
    QCOMPARE(buttons.size(), 1);
    buttons.first()->click();
    QCOMPARE(slow.size(), 1);
    QCOMPARE(slow.first().at(0).toInt(), LoopPanel::kSlowReadersLink);
}

QTEST_MAIN(LoopPanelTest)
#include "tst_loop_panel.moc"
