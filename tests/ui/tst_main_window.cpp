// End to end, offscreen: the main window starts the real server, real requests go over
// loopback, and the window's models show them: connection lanes with the seed's states, the
// GUI's own loop lane, the status bar, exports; and `loopscope --screenshot` writes a PNG.
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "live/trace_consumer.h"
#include "test_support.h"
#include "window/main_window.h"
#include "timeline/palette.h"
#include "timeline/timeline_view.h"
#include "table/event_table_model.h"
#include "table/event_table_panel.h"
#include "core/clock.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonDocument>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace loopscope;
using S = ConnectionState;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void servesAndShowsConnectionLanes();
    void pickingAnEventTheTableHasNotTakenYetSelectsIt();
    void startErrorIsShownInTheWindow();
    void modelBoxChoosesTheServerModel();
    void deferAcceptBoxHoldsSilentClients();
    void deferAcceptIgnoresTheOldDefaultSaved();
    void exportsTheRecording();
    void presenterModeEnlargesAndRestores();
    void screenshotOptionWritesAPng();
};

namespace {

WindowOptions testOptions()
{
    WindowOptions o;
    o.server.root = QStringLiteral(LOOPSCOPE_DEMO_SITE);
    o.server.port = 0;
    o.server.fileCache = false; // every request goes through a disk worker: exact state sequences
    return o;
}

std::string getWithClose(std::uint16_t port, const std::string& path)
{
    const int fd = test::connectLoopback(port);
    if (fd < 0)
        return {};
    test::sendAll(fd, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    std::string response = test::readUntilClose(fd);
    ::close(fd);
    return response;
}

quint16 freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

} // namespace

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
    QCoreApplication::setOrganizationName(QStringLiteral("loopscope-tests"));
    QSettings().clear();
}

void TestMainWindow::servesAndShowsConnectionLanes()
{
    MainWindow w(testOptions());
    w.show();
    w.startServer();
    QVERIFY(w.server().isRunning());
    const std::uint16_t port = w.server().port();
    for (int i = 0; i < 3; ++i)
        QVERIFY(getWithClose(port, "/index.html").starts_with("HTTP/1.1 200"));

    // The consumer drains on its timer; wait until all three connections have closed.
    QTRY_VERIFY_WITH_TIMEOUT(w.timelineModel().connectionLaneCount() >= 1
                                 && w.timelineModel().openConnections() == 0
                                 && w.timelineModel().connection(3) != nullptr
                                 && w.timelineModel().connection(3)->closed > 0,
                             10000);
    // Each connection walked the seed's states; sequential connections share lane 0 (packing).
    const auto& spans = w.timelineModel().laneSpans(0);
    std::vector<S> states;
    for (const StateSpan& s : spans)
        if (w.timelineModel().connectionAt(0, s.start) == 1)
            states.push_back(s.state);
    const std::vector<S> seed{S::Accepted, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders,
                              S::WritingBody, S::None};
    QCOMPARE(states, seed);
    QVERIFY(!w.timelineModel().laneDiskSpans(0).empty());
    QVERIFY(!w.timelineModel().engineLoop().empty());
    // The GUI's own loop lane: events handled and the window's own drains and paints.
    QTRY_VERIFY_WITH_TIMEOUT(!w.timelineModel().guiLoop().empty(), 5000);
    bool sawDrain = false;
    for (const GuiSpan& g : w.timelineModel().guiLoop())
        sawDrain = sawDrain || g.kind == GuiSpanKind::Drain;
    QVERIFY(sawDrain);
    w.stopServer();
    QVERIFY(!w.server().isRunning());
}

// The table takes new rows ten times a second; a record picked on the timeline before that
// is handed to it at once, and selected.
void TestMainWindow::pickingAnEventTheTableHasNotTakenYetSelectsIt()
{
    MainWindow w(testOptions());
    w.show();
    auto* panel = w.findChild<EventTablePanel*>();
    QVERIFY(panel);
    auto* table = panel->findChild<QTableView*>();
    QVERIFY(table);
    w.consumer().appendLocal(makeGuiWorkRecord(GuiWorkKind::Export, monotonicNs(), 1'000'000));
    w.consumer().drainNow(); // the table takes that record: its interval starts now
    w.consumer().appendLocal(makeGuiWorkRecord(GuiWorkKind::Export, monotonicNs(), 1'000'000));
    w.consumer().tick(); // stored; the table waits for its interval
    const quint64 picked = w.store().endIndex() - 1;
    QCOMPARE(w.store().at(picked).kind, EventKind::GuiWork);
    if (panel->model()->rowOf(picked) >= 0)
        qWarning("the table's interval passed before the pick (a slow machine): the catch-up is not exercised");
    emit w.timeline().eventSelected(picked);
    QVERIFY(table->currentIndex().isValid());
    QCOMPARE(table->currentIndex().data(EventTableModel::StoreIndexRole).toULongLong(), picked);
}

void TestMainWindow::startErrorIsShownInTheWindow()
{
    WindowOptions o = testOptions();
    o.server.root = QStringLiteral("/definitely/not/here");
    MainWindow w(o);
    w.show();
    w.startServer();
    QVERIFY(!w.server().isRunning());
    auto* error = w.findChild<QLabel*>(QStringLiteral("startError"));
    QVERIFY(error);
    QVERIFY2(error->text().contains(QStringLiteral("/definitely/not/here")), qPrintable(error->text()));
}

// The toolbar's Model box picks the server model, is locked while serving, and is remembered.
// "Defer accept" reaches the server. On by default (as in h2o): a client that connects and says
// nothing is not accepted (no lane, no count) until its request arrives. Off: it is accepted at
// once. The box is locked while the server runs.
void TestMainWindow::deferAcceptBoxHoldsSilentClients()
{
    MainWindow w(testOptions());
    w.show();
    auto* defer = w.findChild<QCheckBox*>(QStringLiteral("deferAccept"));
    QVERIFY(defer);
    QVERIFY(defer->isChecked()); // on by default
    w.startServer();
    QVERIFY(w.server().isRunning());
    QVERIFY(!defer->isEnabled());
    {
        test::Fd fd(test::connectLoopback(w.server().port()));
        QVERIFY(fd.valid());
        QTest::qWait(300); // well under the one-second deferral
        QCOMPARE(w.server().stats().connectionsAccepted, std::uint64_t(0));
        QVERIFY(test::sendAll(fd.get(), "GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        QVERIFY(test::readUntilClose(fd.get()).starts_with("HTTP/1.1 200"));
        QCOMPARE(w.server().stats().connectionsAccepted, std::uint64_t(1));
    }
    w.stopServer();
    QVERIFY(defer->isEnabled());

    defer->setChecked(false);
    w.startServer();
    QVERIFY(w.server().isRunning());
    const std::uint64_t acceptedBefore = w.server().stats().connectionsAccepted; // counts across starts
    test::Fd silent(test::connectLoopback(w.server().port()));
    QVERIFY(silent.valid());
    QTRY_COMPARE_WITH_TIMEOUT(w.server().stats().connectionsAccepted, acceptedBefore + 1, 5000);
    w.stopServer();
    QSettings().remove(QStringLiteral("server/tcpDeferAccept")); // remembered on start: not for the next tests
}

// Before deferred accept was the default, the window saved the box (then off) on every start.
// That old key is ignored, so everyone starts from the new default once, and dropped on save.
void TestMainWindow::deferAcceptIgnoresTheOldDefaultSaved()
{
    QSettings().setValue(QStringLiteral("server/deferAccept"), false);
    {
        MainWindow w(testOptions());
        w.show();
        auto* defer = w.findChild<QCheckBox*>(QStringLiteral("deferAccept"));
        QVERIFY(defer);
        QVERIFY(defer->isChecked());
        defer->setChecked(false); // a choice made now is remembered
        w.close();
    }
    QVERIFY(!QSettings().contains(QStringLiteral("server/deferAccept")));
    {
        MainWindow w(testOptions());
        QVERIFY(!w.findChild<QCheckBox*>(QStringLiteral("deferAccept"))->isChecked());
    }
    QSettings().remove(QStringLiteral("server/tcpDeferAccept"));
}

void TestMainWindow::modelBoxChoosesTheServerModel()
{
    {
        MainWindow w(testOptions());
        w.show();
        auto* model = w.findChild<QComboBox*>(QStringLiteral("serverModel"));
        QVERIFY(model);
        model->setCurrentIndex(model->findData(int(ServerModel::Threads)));
        w.startServer();
        QVERIFY(w.server().isRunning());
        QVERIFY(!model->isEnabled());
        QVERIFY(getWithClose(w.server().port(), "/index.html").starts_with("HTTP/1.1 200"));
        // The thread-per-connection server's thread shows up in the recording.
        const auto sawThread = [&] {
            TraceStore& store = w.store();
            for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
                if (store.at(i).kind == EventKind::ThreadStarted)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(sawThread(), 10000);
        w.stopServer();
        QVERIFY(model->isEnabled());
    }
    MainWindow again(testOptions());
    auto* model = again.findChild<QComboBox*>(QStringLiteral("serverModel"));
    QCOMPARE(ServerModel(model->currentData().toInt()), ServerModel::Threads);
    QSettings().setValue(QStringLiteral("server/model"), QStringLiteral("eventloop")); // for the other tests
}

void TestMainWindow::exportsTheRecording()
{
    MainWindow w(testOptions());
    w.show();
    w.startServer();
    QVERIFY(getWithClose(w.server().port(), "/guide/").starts_with("HTTP/1.1 200"));
    QTRY_VERIFY_WITH_TIMEOUT(w.timelineModel().connection(1) && w.timelineModel().connection(1)->closed > 0, 10000);
    QTemporaryDir dir;
    QString error;
    const QString path = dir.filePath(QStringLiteral("trace.json"));
    QVERIFY2(w.exportTo(path, false, error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    QCOMPARE(parse.error, QJsonParseError::NoError);
    QVERIFY(doc.object().value(QStringLiteral("traceEvents")).toArray().size() > 10);
    // A bad destination is one sentence, and nothing is written.
    QVERIFY(!w.exportTo(dir.filePath(QStringLiteral("missing/trace.json")), false, error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!w.exportTo(dir.filePath(QStringLiteral("trace.txt")), false, error));
    QVERIFY(error.contains(QStringLiteral(".json")));
}

void TestMainWindow::screenshotOptionWritesAPng()
{
    QTemporaryDir dir;
    const QString shot = dir.filePath(QStringLiteral("shot.png"));
    const quint16 port = freePort();
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.path()); // its own settings
    app.setProcessEnvironment(env);
    app.start(QStringLiteral(LOOPSCOPE_GUI_BINARY),
              {QStringLiteral("--autostart"), QStringLiteral("--port"), QString::number(port),
               QStringLiteral("--screenshot"), shot, QStringLiteral("--screenshot-delay"), QStringLiteral("2")});
    QVERIFY(app.waitForStarted(10000));
    // Live data: requests until the window has taken its picture and quit (bounded).
    for (int i = 0; i < 400 && app.state() == QProcess::Running; ++i) {
        getWithClose(port, "/index.html");
        app.waitForFinished(50);
    }
    if (app.state() != QProcess::NotRunning)
        QVERIFY(app.waitForFinished(30000));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QVERIFY2(app.exitCode() == 0, app.readAllStandardError().constData());
    QImage image(shot);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 800 && image.height() >= 500);
}

void TestMainWindow::presenterModeEnlargesAndRestores()
{
    MainWindow w(testOptions());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const qreal normalSize = QApplication::font().pointSizeF();
    const int normalLanes = w.timeline().laneHeight();
    w.setPresenterMode(true);
    QVERIFY(w.presenterMode());
    QCOMPARE(QApplication::font().pointSizeF(), normalSize * MainWindow::kPresenterFontScale);
    QCOMPARE(w.timeline().laneHeight(), MainWindow::kPresenterLaneHeight);
    QVERIFY(palette::highContrast());
    w.setPresenterMode(false);
    QCOMPARE(QApplication::font().pointSizeF(), normalSize);
    QCOMPARE(w.timeline().laneHeight(), normalLanes);
    QVERIFY(!palette::highContrast());
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
