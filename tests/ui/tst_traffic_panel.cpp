// The Traffic panel: its form's errors, a run against the window's real server (the figures
// show a non-zero count), the Demo plan, and LoadPhase records with their names landing in the
// store through the consumer, where the timeline's tooltip finds them. Offscreen; every wait is
// bounded.
#include "live/trace_consumer.h"
#include "model/trace_store.h"
#include "timeline/load_phase_text.h"
#include "traffic/traffic_panel.h"
#include "window/server_controller.h"

#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>

using namespace loopscope;

namespace {

constexpr int kTimeoutMs = 30'000;

bool isOneSentence(const QString& text)
{
    return !text.isEmpty() && text.front().isUpper() && text.endsWith(QLatin1Char('.')) && !text.contains('\n');
}

LoadSettings budget(unsigned clients, std::uint64_t perClient, const std::string& path)
{
    LoadSettings s;
    s.clients = clients;
    s.requestsPerClient = perClient;
    s.paths = {{path, 1, false}};
    return s;
}

} // namespace

class TrafficPanelTest : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<ServerController> m_server;

    LoadUrl serverUrl() const
    {
        std::string error;
        return *parseLoadUrl(m_server->url().toStdString(), error);
    }

private slots:
    void init()
    {
        m_server = std::make_unique<ServerController>();
        ServerSettings settings;
        settings.root = QStringLiteral(LOOPSCOPE_DEMO_SITE);
        settings.port = 0;
        QVERIFY(m_server->start(settings));
    }
    void cleanup() { m_server.reset(); }

    void badFormsSayWhatIsWrong_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("paths");
        QTest::newRow("no url") << "" << "/index.html";
        QTest::newRow("bad url") << "ftp://127.0.0.1/" << "/index.html";
        QTest::newRow("bad paths") << "http://127.0.0.1:1/" << "index.html";
    }
    void badFormsSayWhatIsWrong()
    {
        QFETCH(QString, url);
        QFETCH(QString, paths);
        TrafficPanel panel;
        panel.findChild<QLineEdit*>(QStringLiteral("trafficUrl"))->setText(url);
        panel.findChild<QLineEdit*>(QStringLiteral("trafficPaths"))->setText(paths);
        panel.startFromForm();
        QVERIFY(!panel.isRunning());
        QVERIFY2(isOneSentence(panel.statusText()), qPrintable(panel.statusText()));
    }

    void demoWithoutServerSaysPressStart()
    {
        TrafficPanel panel;
        panel.startDemo();
        QVERIFY(!panel.isRunning());
        QVERIFY2(panel.statusText().contains(QStringLiteral("Start")), qPrintable(panel.statusText()));
    }

    void demoPlanIsValidAndTargetsTheServer()
    {
        const LoadPlan plan = TrafficPanel::demoPlan(serverUrl());
        QCOMPARE(validate(plan), std::string());
        QVERIFY(plan.phases.size() >= 3);
        QCOMPARE(plan.target.port, m_server->port());
        for (const LoadPhasePlan& phase : plan.phases) {
            QVERIFY(!phase.name.empty());
            QVERIFY(phase.durationSeconds > 0); // the demo ends by itself
        }
    }

    void runAgainstTheServerShowsACount()
    {
        TrafficPanel panel;
        panel.setServerUrl(m_server->url());
        QCOMPARE(panel.findChild<QLineEdit*>(QStringLiteral("trafficUrl"))->text(), m_server->url());
        panel.startFromForm();
        QVERIFY2(panel.isRunning(), qPrintable(panel.statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(panel.snapshot().counts.responses > 0, kTimeoutMs);
        auto* done = panel.findChild<QLabel*>(QStringLiteral("trafficDone"));
        QTRY_VERIFY_WITH_TIMEOUT(!done->text().startsWith(QLatin1Char('0')), kTimeoutMs);
        panel.stop();
        QVERIFY(!panel.isRunning());
        QVERIFY(m_server->stats().requestsServed > 0);
    }

    void demoStartsTheServerFirst()
    {
        m_server->stop();
        TrafficPanel panel;
        bool asked = false;
        panel.setServerStarter([&] {
            asked = true;
            ServerSettings settings;
            settings.root = QStringLiteral(LOOPSCOPE_DEMO_SITE);
            settings.port = 0;
            m_server->start(settings);
            return m_server->url();
        });
        panel.startDemo();
        QVERIFY(asked);
        QVERIFY2(panel.isRunning(), qPrintable(panel.statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(panel.snapshot().counts.responses > 0, kTimeoutMs);
        panel.stop();
    }

    void phaseMarkersLandInTheStore()
    {
        TraceStore store;
        TraceConsumer consumer(m_server->recorder(), store);
        TrafficPanel panel;
        panel.setRecordSink([&](const EventRecord& r) { consumer.appendLocal(r); });
        LoadPlan plan;
        plan.target = serverUrl();
        const std::string longName = "a phase name longer than sixteen bytes";
        plan.phases.push_back({"warm up", 0, budget(2, 3, "/index.html")});
        plan.phases.push_back({longName, 0, budget(1, 2, "/missing.html")});
        QSignalSpy finished(&panel, &TrafficPanel::runningChanged);
        QVERIFY(panel.startPlan(plan));
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2, kTimeoutMs); // started, then finished
        QCOMPARE(finished.last().at(0).toBool(), false);
        consumer.drainNow();

        std::vector<EventRecord> phases;
        for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
            if (store.at(i).kind == EventKind::LoadPhase)
                phases.push_back(store.at(i));
        QCOMPARE(phases.size(), std::size_t(3)); // two phases and the stop
        const LoadSnapshot s = panel.snapshot();
        for (std::size_t k = 0; k < 2; ++k) {
            QCOMPARE(phases[k].t_ns, s.phaseStartNs[k]); // the phase's own start, not the poll's
            QCOMPARE(phases[k].arg, std::uint64_t(k));
            QCOMPARE(phases[k].aux, 0u);
            QCOMPARE(phases[k].conn, 0u);
        }
        QCOMPARE(phases[2].aux, 1u);
        QVERIFY(phases[2].t_ns >= phases[1].t_ns);

        const LoadPhaseFacts first = loadPhaseFacts(store, phases[0].t_ns, 0);
        QVERIFY(first.found);
        QCOMPARE(first.name, QStringLiteral("warm up"));
        const LoadPhaseFacts second = loadPhaseFacts(store, phases[1].t_ns, 1);
        QCOMPARE(second.name, QString::fromStdString(longName));
        QVERIFY(!second.stopped);
        const LoadPhaseFacts stop = loadPhaseFacts(store, phases[2].t_ns, 1);
        QVERIFY(stop.found && stop.stopped);
        QCOMPARE(loadPhaseTitle(1, false, second.name), QStringLiteral("load phase 2: ") + QString::fromStdString(longName));
        QVERIFY(!loadPhaseFacts(store, phases[0].t_ns + 1, 0).found);
    }
};

QTEST_MAIN(TrafficPanelTest)
#include "tst_traffic_panel.moc"
