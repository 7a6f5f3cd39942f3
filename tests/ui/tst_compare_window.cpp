// The Compare window, offscreen, with real servers on 127.0.0.1 port 0: its two runs record into
// two separate stores, each labelled with its model (the blocking side never starts a thread per
// connection, the threads side does), each side's server counts exactly the requests its own
// generator saw answered; zoom and pan on one timeline move the other; stopping mid-run and
// closing the window mid-run leave no fd behind; the main window's own server and recording are
// untouched. Every wait is bounded; checks are by counts, never by wall time.
#include "compare/compare_side.h"
#include "compare/compare_table.h"
#include "compare/compare_window.h"
#include "compare/thread_counter.h"
#include "live/trace_consumer.h"
#include "model/trace_store.h"
#include "timeline/timeline_view.h"
#include "window/main_window.h"

#include <QAction>
#include <QDir>
#include <QPointer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace loopscope;

namespace {

constexpr int kTimeoutMs = 60'000;

const QString kRoot = QStringLiteral(LOOPSCOPE_DEMO_SITE);

// A short run that ends by itself once every client has its answers: counts can then be
// compared exactly (nothing is left in flight).
CompareLoad budgetLoad()
{
    CompareLoad load;
    load.clients = 3;
    load.rate = 0;
    load.slowReaders = 0;
    load.requestsPerClient = 4;
    load.paths = "/index.html";
    load.giveUpMs = 30'000;
    load.durationSeconds = 120; // an upper bound: the budget ends it long before
    return load;
}

std::uint64_t countKind(const TraceStore& store, EventKind kind)
{
    std::uint64_t n = 0;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
        n += store.at(i).kind == kind;
    return n;
}

// The ports the store's server announced (ServerStarted's arg).
QList<quint64> serverPorts(const TraceStore& store)
{
    QList<quint64> ports;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
        if (store.at(i).kind == EventKind::ServerStarted)
            ports << store.at(i).arg;
    return ports;
}

int openFds()
{
    return int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size());
}

bool runToTheEnd(CompareWindow& window)
{
    QSignalSpy finished(&window, &CompareWindow::finished);
    if (!window.start())
        return false;
    return finished.wait(kTimeoutMs) || finished.count() == 1;
}

} // namespace

class TestCompareWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void threadCounterCountsThreadsAtOnce();
    void eachSideRecordsItsOwnModel();
    void answeredCountsAgreeOnBothSides_data();
    void answeredCountsAgreeOnBothSides();
    void zoomAndPanMoveTheOtherTimeline();
    void followLiveIsShared();
    void badInputIsOneSentence();
    void stoppingMidRunLeavesNoFd();
    void closingDuringARunIsClean();
    void mainWindowKeepsItsOwnServer();
    void serverMenuOpensTheComparison();
};

void TestCompareWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("loopscope-tests"));
    // The first window loads fonts and the platform's own fds; fd counts start after that.
    CompareWindow warmUp(kRoot);
    warmUp.show();
    QVERIFY(QTest::qWaitForWindowExposed(&warmUp));
}

void TestCompareWindow::threadCounterCountsThreadsAtOnce()
{
    TraceStore store;
    std::vector<EventRecord> records;
    auto thread = [&](EventKind kind, std::int64_t t) {
        EventRecord r;
        r.t_ns = t;
        r.kind = kind;
        records.push_back(r);
    };
    thread(EventKind::ThreadExited, 1); // joined mid-run: an exit without its start
    thread(EventKind::ThreadStarted, 2);
    thread(EventKind::ThreadStarted, 3);
    thread(EventKind::ThreadStarted, 4);
    thread(EventKind::ThreadExited, 5);
    thread(EventKind::ThreadStarted, 6);
    thread(EventKind::ThreadExited, 7);
    store.append(records.data(), records.size());
    ThreadCounter counter;
    counter.ingest(store, store.beginIndex(), store.endIndex());
    QCOMPARE(counter.started(), 4u);
    QCOMPARE(counter.most(), 3u);
    QCOMPARE(counter.now(), 2u);
    counter.cleared();
    QCOMPARE(counter.most(), 0u);
}

void TestCompareWindow::eachSideRecordsItsOwnModel()
{
    CompareWindow window(kRoot);
    window.setModels(ServerModel::Blocking, ServerModel::Threads);
    window.setLoad(budgetLoad());
    QVERIFY2(runToTheEnd(window), qPrintable(window.statusText()));

    CompareSide& blocking = window.side(0);
    CompareSide& threads = window.side(1);
    QCOMPARE(blocking.model(), ServerModel::Blocking);
    QCOMPARE(threads.model(), ServerModel::Threads);
    QVERIFY2(window.caption(0).startsWith(QStringLiteral("blocking")), qPrintable(window.caption(0)));
    QVERIFY2(window.caption(1).startsWith(QStringLiteral("threads")), qPrintable(window.caption(1)));
    QVERIFY(&blocking.store() != &threads.store());

    // Separate servers on separate ports, each in its own store only.
    const QList<quint64> blockingPorts = serverPorts(blocking.store());
    const QList<quint64> threadPorts = serverPorts(threads.store());
    QCOMPARE(blockingPorts.size(), 1);
    QCOMPARE(threadPorts.size(), 1);
    QVERIFY(blockingPorts.front() != threadPorts.front());

    // Only the thread-per-connection server starts threads.
    QCOMPARE(countKind(blocking.store(), EventKind::ThreadStarted), 0u);
    QCOMPARE(blocking.threads().most(), 0u);
    QVERIFY(countKind(threads.store(), EventKind::ThreadStarted) >= 1);
    QCOMPARE(threads.threads().started(), countKind(threads.store(), EventKind::ThreadStarted));
    QCOMPARE(countKind(threads.store(), EventKind::ThreadExited), countKind(threads.store(), EventKind::ThreadStarted));
    QCOMPARE(threads.threads().now(), 0u); // every thread exited with its connection

    const int row = window.table().rowOf(QStringLiteral("Server threads"));
    QVERIFY(row >= 0);
    QVERIFY2(window.table().cell(row, 0).startsWith(QStringLiteral("1:")), qPrintable(window.table().cell(row, 0)));
    QVERIFY2(window.table().cell(row, 1).contains(QStringLiteral("connection threads")),
             qPrintable(window.table().cell(row, 1)));
}

void TestCompareWindow::answeredCountsAgreeOnBothSides_data()
{
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("second");
    QTest::newRow("blocking vs eventloop") << int(ServerModel::Blocking) << int(ServerModel::EventLoop);
    QTest::newRow("threads vs eventloop") << int(ServerModel::Threads) << int(ServerModel::EventLoop);
}

void TestCompareWindow::answeredCountsAgreeOnBothSides()
{
    QFETCH(int, first);
    QFETCH(int, second);
    CompareWindow window(kRoot);
    window.setModels(ServerModel(first), ServerModel(second));
    const CompareLoad load = budgetLoad();
    window.setLoad(load);
    QVERIFY2(runToTheEnd(window), qPrintable(window.statusText()));
    const std::uint64_t expected = load.clients * load.requestsPerClient;
    const int row = window.table().rowOf(QStringLiteral("Answered"));
    QVERIFY(row >= 0);
    for (int i = 0; i < 2; ++i) {
        const CompareSide& side = window.side(i);
        const LoadSnapshot s = side.load();
        QVERIFY(s.finished);
        QCOMPARE(s.counts.errorTotal(), 0u);
        QCOMPARE(s.counts.responses, expected);
        QCOMPARE(side.stats().requestsCompleted(), s.counts.responses);
        QCOMPARE(countKind(side.store(), EventKind::BodyWritten), expected);
        QCOMPARE(window.table().cell(row, i), QStringLiteral("%1 / %1").arg(expected));
    }
    QVERIFY2(window.table().memoryText().contains(QStringLiteral("whole loopscope process")),
             qPrintable(window.table().memoryText()));
}

void TestCompareWindow::zoomAndPanMoveTheOtherTimeline()
{
    CompareWindow window(kRoot);
    window.setLoad(budgetLoad());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY2(runToTheEnd(window), qPrintable(window.statusText()));
    TimelineView& top = window.view(0);
    TimelineView& bottom = window.view(1);
    const std::int64_t topOrigin = window.side(0).store().originNs();
    const std::int64_t bottomOrigin = window.side(1).store().originNs();
    QVERIFY(topOrigin != 0 && bottomOrigin != 0);
    QCOMPARE(top.scale().width, bottom.scale().width); // stacked: the same width

    // A range on the top view: the bottom shows the same range of its own run.
    top.setVisibleRange(topOrigin + 2'000'000, topOrigin + 52'000'000);
    QVERIFY(!bottom.followLive());
    QCOMPARE(bottom.scale().nsPerPixel, top.scale().nsPerPixel);
    QCOMPARE(bottom.scale().startNs - bottomOrigin, top.scale().startNs - topOrigin);

    // Zooming with the keyboard on the bottom view zooms the top one.
    const double before = top.scale().nsPerPixel;
    QTest::keyClick(&bottom, Qt::Key_Plus);
    QVERIFY(top.scale().nsPerPixel < before);
    QCOMPARE(top.scale().nsPerPixel, bottom.scale().nsPerPixel);
    QCOMPARE(top.scale().startNs - topOrigin, bottom.scale().startNs - bottomOrigin);

    // Panning the bottom one pans the top one.
    const std::int64_t topStart = top.scale().startNs;
    QTest::keyClick(&bottom, Qt::Key_Left);
    QVERIFY(top.scale().startNs < topStart);
    QCOMPARE(top.scale().startNs - topOrigin, bottom.scale().startNs - bottomOrigin);
}

void TestCompareWindow::followLiveIsShared()
{
    CompareWindow window(kRoot);
    TimelineView& top = window.view(0);
    TimelineView& bottom = window.view(1);
    QVERIFY(top.followLive() && bottom.followLive());
    top.setFollowLive(false);
    QVERIFY(!bottom.followLive());
    bottom.setFollowLive(true);
    QVERIFY(top.followLive());
    // Before any run there is no origin: the zoom is still shared.
    top.zoomOut();
    QCOMPARE(bottom.scale().nsPerPixel, top.scale().nsPerPixel);
}

void TestCompareWindow::badInputIsOneSentence()
{
    auto isOneSentence = [](const QString& text) {
        return !text.isEmpty() && text.front().isUpper() && text.endsWith(QLatin1Char('.')) && !text.contains('\n');
    };
    CompareWindow missingRoot(QStringLiteral("/nonexistent/loopscope-root"));
    QVERIFY(!missingRoot.start());
    QVERIFY(!missingRoot.isRunning());
    QVERIFY2(isOneSentence(missingRoot.statusText()), qPrintable(missingRoot.statusText()));
    QVERIFY(!missingRoot.side(0).isRunning() && !missingRoot.side(1).isRunning());

    CompareWindow badPaths(kRoot);
    CompareLoad load = budgetLoad();
    load.paths = "index.html";
    badPaths.setLoad(load);
    QVERIFY(!badPaths.start());
    QVERIFY2(isOneSentence(badPaths.statusText()), qPrintable(badPaths.statusText()));
    QVERIFY(!badPaths.side(0).isRunning() && !badPaths.side(1).isRunning());
}

void TestCompareWindow::stoppingMidRunLeavesNoFd()
{
    const int before = openFds();
    {
        CompareWindow window(kRoot);
        window.setModels(ServerModel::Threads, ServerModel::EventLoop);
        window.show(); // the default load: slow readers, keep-alive clients, a 10 s run
        QVERIFY(window.start());
        QTRY_VERIFY_WITH_TIMEOUT(window.side(0).load().counts.responses > 0
                                     && window.side(1).load().counts.responses > 0, kTimeoutMs);
        QVERIFY(window.isRunning());
        QSignalSpy finished(&window, &CompareWindow::finished);
        window.stop();
        QCOMPARE(finished.count(), 1);
        QVERIFY(!window.isRunning());
        QVERIFY(!window.side(0).isRunning() && !window.side(1).isRunning());
        QCOMPARE(window.side(0).port(), quint16(0)); // its server stopped
        QCOMPARE(countKind(window.side(0).store(), EventKind::ServerStopped), 1u);
        QCOMPARE(countKind(window.side(1).store(), EventKind::ServerStopped), 1u);
    }
    QCOMPARE(openFds(), before);
}

void TestCompareWindow::closingDuringARunIsClean()
{
    const int before = openFds();
    QPointer<CompareWindow> window = new CompareWindow(kRoot);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setModels(ServerModel::Blocking, ServerModel::Threads);
    window->show();
    QVERIFY(window->start());
    QTRY_VERIFY_WITH_TIMEOUT(window->side(1).store().size() > 0 && window->side(1).threads().started() > 0, kTimeoutMs);
    QVERIFY(window->close());
    QTRY_VERIFY_WITH_TIMEOUT(window.isNull(), kTimeoutMs);
    QCOMPARE(openFds(), before);
}

void TestCompareWindow::mainWindowKeepsItsOwnServer()
{
    WindowOptions options;
    options.server.root = kRoot;
    options.server.port = 0;
    MainWindow main(options);
    main.startServer();
    QVERIFY(main.server().isRunning());
    const quint16 mainPort = main.server().port();
    main.consumer().drainNow();
    const std::uint64_t mainAccepted = countKind(main.store(), EventKind::ConnectionAccepted);

    CompareWindow window(kRoot, &main);
    window.setLoad(budgetLoad());
    QVERIFY2(runToTheEnd(window), qPrintable(window.statusText()));
    main.consumer().drainNow();

    QVERIFY(main.server().isRunning());
    QCOMPARE(main.server().port(), mainPort);
    QCOMPARE(serverPorts(main.store()), QList<quint64>{mainPort});
    QCOMPARE(countKind(main.store(), EventKind::ConnectionAccepted), mainAccepted); // none of the comparison's
    for (int i = 0; i < 2; ++i) {
        QVERIFY(!serverPorts(window.side(i).store()).contains(mainPort));
        QVERIFY(countKind(window.side(i).store(), EventKind::ConnectionAccepted) > 0);
    }
    main.stopServer();
}

void TestCompareWindow::serverMenuOpensTheComparison()
{
    WindowOptions options;
    options.server.root = kRoot;
    options.server.port = 0;
    MainWindow main(options);
    QAction* compare = nullptr;
    for (QAction* action : main.findChildren<QAction*>())
        if (action->text().remove(QLatin1Char('&')).startsWith(QStringLiteral("Compare models")))
            compare = action;
    QVERIFY(compare);
    compare->trigger();
    const auto windows = main.findChildren<CompareWindow*>();
    QCOMPARE(windows.size(), 1);
    QCOMPARE(windows.front()->root(), kRoot); // the main window's document root
    QVERIFY(windows.front()->isVisible());
    QVERIFY(!main.server().isRunning()); // usable without the main window's server
    windows.front()->close();
}

QTEST_MAIN(TestCompareWindow)
#include "tst_compare_window.moc"
