// Step mode and the break-the-loop switches of the event loop: a paused loop runs exactly one
// iteration per step and serves nothing meanwhile, each step's ready list names the seed's
// handlers in order, leaving step mode serves normally, timers are frozen while paused, stop and
// start while paused are clean; the synchronous-disk switch moves file reads onto the loop
// thread and the CPU switch makes a dispatch last at least that long (from record timestamps);
// the trace writers describe the new records; --break values and CLI errors.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"
#include "trace/chrome_trace_writer.h"
#include "trace/csv_trace_writer.h"

#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/epoll.h>
#include <poll.h>

using namespace loopscope;
using namespace loopscope::test;

namespace {

const std::string kSmall = "step mode body\n";

bool isKind(const EventRecord& r, EventKind kind)
{
    return r.kind == kind;
}

// Bytes waiting on the client socket right now (the server writes only during a step, so after
// a step's LoopStepped record this tells whether that step answered).
bool hasInput(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

std::size_t countKind(const std::vector<EventRecord>& records, std::size_t from, std::size_t to, EventKind kind)
{
    std::size_t n = 0;
    for (std::size_t i = from; i < to && i < records.size(); ++i)
        n += records[i].kind == kind;
    return n;
}

// Index of the first record at or after `from` of `kind` (records.size() if none).
std::size_t findKind(const std::vector<EventRecord>& records, std::size_t from, EventKind kind)
{
    for (std::size_t i = from; i < records.size(); ++i)
        if (records[i].kind == kind)
            return i;
    return records.size();
}

} // namespace

class StepModeTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void refusesWithOneSentence();
    void runningLoopRecordsNoDispatches();
    void pausedLoopServesOnlyWhenStepped();
    void leavingStepModeServesAgain();
    void timersAreFrozenWhilePaused();
    void stopAndStartWhilePausedAreClean();
    void syncDiskReadsOnTheLoopThread();
    void cpuSwitchLengthensTheDispatch();
    void traceWritersDescribeSteps();
    void parseBreaks_data();
    void parseBreaks();
    void cliRejectsBadBreaks_data();
    void cliRejectsBadBreaks();

private:
    ServerConfig config() const;
    // Asks for one step and waits for its LoopStepped; returns its index in log.records().
    std::size_t stepOnce(Server& server, EventLog& log, std::uint64_t stepNumber);

    QTemporaryDir m_root;
};

void StepModeTest::initTestCase()
{
    QVERIFY(m_root.isValid());
    const std::string root = m_root.path().toStdString();
    QVERIFY(writeFile(root + "/small.txt", kSmall));
    QVERIFY(writeFile(root + "/big.bin", patternBytes(1 << 20)));
}

ServerConfig StepModeTest::config() const
{
    ServerConfig c;
    c.root = m_root.path().toStdString();
    c.port = 0;
    c.fileCache = false; // every request goes to the disk: the step that finishes it is visible
    return c;
}

std::size_t StepModeTest::stepOnce(Server& server, EventLog& log, std::uint64_t stepNumber)
{
    const std::string why = server.step();
    if (!why.empty())
        qFatal("step() refused: %s", why.c_str());
    const auto done = [stepNumber](const EventRecord& r) { return r.kind == EventKind::LoopStepped && r.arg == stepNumber; };
    if (!log.waitFor(done))
        qFatal("step %llu did not finish", (unsigned long long)stepNumber);
    const auto& records = log.records();
    return std::size_t(std::find_if(records.begin(), records.end(), done) - records.begin());
}

void StepModeTest::refusesWithOneSentence()
{
    Recorder recorder(1 << 12);
    Server server(&recorder);
    const std::string notRunning = server.setStepMode(true);
    QVERIFY2(notRunning.find("not running") != std::string::npos, notRunning.c_str());
    QVERIFY(server.setStepMode(false).empty()); // leaving a mode never entered is harmless

    ServerConfig blocking = config();
    blocking.model = ServerModel::Blocking;
    QVERIFY(server.start(blocking).ok);
    const std::string otherModel = server.setStepMode(true);
    QVERIFY2(otherModel.find("Only the event-loop model") != std::string::npos, otherModel.c_str());
    QVERIFY(!server.stepMode());
    server.stop();

    QVERIFY(server.start(config()).ok);
    const std::string notPaused = server.step();
    QVERIFY2(notPaused.find("pause it before stepping") != std::string::npos, notPaused.c_str());
    server.stop();
}

// Recording cost: the running loop records no LoopDispatch at all.
void StepModeTest::runningLoopRecordsNoDispatches()
{
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    QVERIFY(server.start(config()).ok);
    HttpResponse response;
    QCOMPARE(fetch(server.port(), get("/small.txt"), response), ReadResult::Ok);
    QCOMPARE(response.status, 200);
    server.stop();
    log.drain();
    QCOMPARE(std::count_if(log.records().begin(), log.records().end(),
                           [](const EventRecord& r) { return r.kind == EventKind::LoopDispatch; }), 0);
}

// The heart of step mode: nothing is served while paused; each step is one epoll_wait and its
// dispatch; the handlers a request meets come in the seed's order.
void StepModeTest::pausedLoopServesOnlyWhenStepped()
{
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    QVERIFY(server.start(config()).ok);
    QVERIFY(server.setStepMode(true).empty());
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::LoopPaused); }));
    const std::size_t pausedAt = findKind(log.records(), 0, EventKind::LoopPaused);

    Fd client(connectLoopback(server.port()));
    QVERIFY(client.get() >= 0);
    std::size_t previous = stepOnce(server, log, 1);
    // The pause waited in epoll_wait on its own set: no poll records until the step's own.
    QCOMPARE(countKind(log.records(), pausedAt, previous, EventKind::LoopPollBegin), std::size_t(1));
    QCOMPARE(countKind(log.records(), pausedAt, previous, EventKind::LoopPollEnd), std::size_t(1));
    const std::size_t accept = findKind(log.records(), pausedAt, EventKind::LoopDispatch);
    QVERIFY(accept < previous);
    QCOMPARE(loopSourceOf(log.records()[accept].arg), LoopSource::Listener);
    QCOMPARE(loopHandlerOf(log.records()[accept].arg), LoopHandler::OnAccept);
    QVERIFY(log.records()[accept].aux & EPOLLIN);
    const std::size_t accepted = findKind(log.records(), pausedAt, EventKind::ConnectionAccepted);
    QVERIFY(accepted < previous);
    const std::uint32_t conn = log.records()[accepted].conn;

    QVERIFY(sendAll(client.get(), get("/small.txt")));
    std::vector<LoopHandler> seen; // this connection's handlers, step by step
    bool answered = false;
    for (std::uint64_t step = 2; step <= 12 && !answered; ++step) {
        const std::size_t end = stepOnce(server, log, step);
        QCOMPARE(countKind(log.records(), previous + 1, end, EventKind::LoopPollBegin), std::size_t(1));
        QCOMPARE(countKind(log.records(), previous + 1, end, EventKind::LoopPollEnd), std::size_t(1));
        std::uint32_t dispatched = 0;
        for (std::size_t i = previous + 1; i < end; ++i) {
            const EventRecord& r = log.records()[i];
            if (r.kind != EventKind::LoopDispatch)
                continue;
            ++dispatched;
            if (r.conn == conn && loopHandlerOf(r.arg) != LoopHandler::Nothing)
                seen.push_back(loopHandlerOf(r.arg));
        }
        QCOMPARE(log.records()[end].aux, dispatched); // LoopStepped counts its dispatches
        answered = hasInput(client.get());
        // The answer comes in the step that hands the file to the connection, never before.
        QCOMPARE(answered, !seen.empty() && seen.back() == LoopHandler::OnDiskDone);
        previous = end;
    }
    QVERIFY2(answered, "the request was not answered within 12 steps");
    const std::vector<LoopHandler> expected{LoopHandler::OnReadable, LoopHandler::OnDiskDone};
    QCOMPARE(seen, expected);

    // Paused again: nothing more happens without a step.
    log.drain();
    const std::size_t before = log.records().size();
    QVERIFY(!log.waitFor([before, &log](const EventRecord&) { return log.records().size() > before; },
                         milliseconds(150)));
    ResponseReader reader(client.get());
    HttpResponse response;
    QCOMPARE(reader.read(response), ReadResult::Ok);
    QCOMPARE(response.body, kSmall);
    server.stop();
}

void StepModeTest::leavingStepModeServesAgain()
{
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    QVERIFY(server.start(config()).ok);
    QVERIFY(server.setStepMode(true).empty());
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::LoopPaused); }));
    Fd client(connectLoopback(server.port()));
    QVERIFY(sendAll(client.get(), get("/small.txt")));
    QVERIFY(!waitUntil([&] { return hasInput(client.get()); }, milliseconds(150))); // paused: no answer
    QVERIFY(server.setStepMode(false).empty());
    ResponseReader reader(client.get());
    HttpResponse response;
    QCOMPARE(reader.read(response), ReadResult::Ok);
    QCOMPARE(response.status, 200);
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::LoopResumed); }));
    server.stop();
    log.drain();
    const std::size_t resumed = findKind(log.records(), 0, EventKind::LoopResumed);
    QCOMPARE(countKind(log.records(), resumed, log.records().size(), EventKind::LoopDispatch), std::size_t(0));
    QCOMPARE(countKind(log.records(), 0, resumed, EventKind::LoopStepped), std::size_t(0));
}

// A connection waiting for its request head does not time out because the loop was paused:
// its deadline moves later by exactly the time paused (record timestamps, not the test's clock).
void StepModeTest::timersAreFrozenWhilePaused()
{
    constexpr std::int64_t kTimeoutNs = 300'000'000;
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.headerTimeout = milliseconds(kTimeoutNs / 1'000'000);
    QVERIFY(server.start(c).ok);
    Fd client(connectLoopback(server.port()));
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::ConnectionAccepted); }));
    QVERIFY(server.setStepMode(true).empty());
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::LoopPaused); }));
    // Paused for longer than the whole timeout: nothing may time out meanwhile.
    QVERIFY(!log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::TimedOut); },
                         milliseconds(2 * kTimeoutNs / 1'000'000)));
    QVERIFY(server.setStepMode(false).empty());
    QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::TimedOut); }));
    server.stop();
    const auto& records = log.drain();
    const EventRecord& accepted = records[findKind(records, 0, EventKind::ConnectionAccepted)];
    const EventRecord& paused = records[findKind(records, 0, EventKind::LoopPaused)];
    const EventRecord& resumed = records[findKind(records, 0, EventKind::LoopResumed)];
    const EventRecord& timedOut = records[findKind(records, 0, EventKind::TimedOut)];
    QVERIFY(paused.t_ns - accepted.t_ns < kTimeoutNs); // paused before it was due
    QVERIFY(timedOut.t_ns > resumed.t_ns);
    QVERIFY2(timedOut.t_ns - accepted.t_ns >= kTimeoutNs + (resumed.t_ns - paused.t_ns),
             "the header timeout fired without counting the pause out");
}

void StepModeTest::stopAndStartWhilePausedAreClean()
{
    const std::vector<std::string> before = openFds();
    {
        Recorder recorder(1 << 16);
        EventLog log(recorder);
        Server server(&recorder);
        for (int round = 0; round < 3; ++round) {
            QVERIFY(server.start(config()).ok);
            QVERIFY(!server.stepMode()); // every start runs freely
            QVERIFY(server.setStepMode(true).empty());
            Fd client(connectLoopback(server.port()));
            QVERIFY(sendAll(client.get(), get("/big.bin")));
            QVERIFY(server.step().empty());
            QVERIFY(log.waitFor([](const EventRecord& r) { return isKind(r, EventKind::LoopStepped); }));
            server.stop(); // paused, a connection open, maybe a disk read in flight
            QVERIFY(!server.stepMode());
            log.clear();
        }
        QVERIFY(server.start(config()).ok);
        HttpResponse response;
        QCOMPARE(fetch(server.port(), get("/small.txt"), response), ReadResult::Ok);
        QCOMPARE(response.status, 200);
        server.stop();
    }
    const std::vector<std::string> after = openFds();
    QCOMPARE(after.size(), before.size());
}

// Synchronous disk: DiskRead records come from the loop thread (thread 0, aux 0: the serving
// thread read it), for a small file and for every chunk of a big one; off again, from workers.
void StepModeTest::syncDiskReadsOnTheLoopThread()
{
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    server.setLoopBreaks({true, 0});
    QVERIFY(server.start(config()).ok);
    HttpResponse response;
    QCOMPARE(fetch(server.port(), get("/small.txt"), response), ReadResult::Ok);
    QCOMPARE(response.body, kSmall);
    QCOMPARE(fetch(server.port(), get("/big.bin"), response), ReadResult::Ok);
    QVERIFY(response.body == patternBytes(1 << 20));
    log.drain();
    std::size_t reads = 0;
    for (const EventRecord& r : log.records()) {
        if (r.kind != EventKind::DiskReadStarted && r.kind != EventKind::DiskReadDone)
            continue;
        ++reads;
        QCOMPARE(int(r.thread), 0);
        if (r.kind == EventKind::DiskReadStarted)
            QCOMPARE(r.aux, 0u);
    }
    QVERIFY2(reads >= 2 * 5, "expected a read for the small file and at least four chunks of the big one");

    server.setLoopBreaks({false, 0});
    log.clear();
    QCOMPARE(fetch(server.port(), get("/small.txt"), response), ReadResult::Ok);
    server.stop();
    log.drain();
    const auto started = std::find_if(log.records().begin(), log.records().end(),
                                      [](const EventRecord& r) { return isKind(r, EventKind::DiskReadStarted); });
    QVERIFY(started != log.records().end());
    QVERIFY(started->thread != 0); // a disk worker again
}

// cpu=MS: the dispatch that answers a request (from LoopPollEnd to the next LoopPollBegin)
// lasts at least MS, measured on the records' own clock.
void StepModeTest::cpuSwitchLengthensTheDispatch()
{
    constexpr unsigned kMs = 40;
    Recorder recorder(1 << 16);
    EventLog log(recorder);
    Server server(&recorder);
    server.setLoopBreaks({false, kMs});
    QVERIFY(server.start(config()).ok);
    QCOMPARE(server.loopBreaks().cpuMsPerRequest, kMs);
    HttpResponse response;
    QCOMPARE(fetch(server.port(), get("/small.txt"), response), ReadResult::Ok);
    QCOMPARE(response.body, kSmall);
    server.stop();
    const auto& records = log.drain();
    const std::size_t written = findKind(records, 0, EventKind::ResponseHeadersWritten);
    QVERIFY(written < records.size());
    std::size_t pollEnd = written;
    while (pollEnd > 0 && records[pollEnd].kind != EventKind::LoopPollEnd)
        --pollEnd;
    // The dispatch ends at the next wait, or at the stop when stop() came during it.
    const std::size_t end = std::min(findKind(records, written, EventKind::LoopPollBegin),
                                     findKind(records, written, EventKind::ServerStopped));
    QVERIFY(records[pollEnd].kind == EventKind::LoopPollEnd && end < records.size());
    const std::int64_t dispatchNs = records[end].t_ns - records[pollEnd].t_ns;
    QVERIFY2(dispatchNs >= std::int64_t(kMs) * 1'000'000,
             ("dispatch lasted " + std::to_string(dispatchNs) + " ns").c_str());
}

void StepModeTest::traceWritersDescribeSteps()
{
    std::vector<EventRecord> records(4);
    records[0].t_ns = 1'000;
    records[0].kind = EventKind::LoopPaused;
    records[1].t_ns = 2'000;
    records[1].kind = EventKind::LoopDispatch;
    records[1].conn = 7;
    records[1].arg = loopDispatchArg(LoopSource::Connection, LoopHandler::OnReadable);
    records[1].aux = EPOLLIN | EPOLLOUT;
    records[2].t_ns = 3'000;
    records[2].kind = EventKind::LoopStepped;
    records[2].arg = 1;
    records[2].aux = 1;
    records[3].t_ns = 4'000;
    records[3].kind = EventKind::LoopResumed;
    records[3].arg = 1;
    TraceInfo info;
    CsvTraceWriter csv(info);
    csv.add(records.data(), records.size());
    csv.finish(info);
    const std::string rows(csv.output().view());
    QVERIFY2(rows.find("2000,LoopDispatch,7,None,None,513,5,0,connection EPOLLIN|EPOLLOUT -> onReadable\r\n")
                 != std::string::npos, rows.c_str());
    QVERIFY(rows.find("3000,LoopStepped,0,None,None,1,1,0,\"step 1 done, 1 dispatched\"\r\n") != std::string::npos);
    QVERIFY(rows.find("loop paused between epoll_wait calls after 0 steps") != std::string::npos);
    QVERIFY(rows.find("loop runs freely again after 1 steps") != std::string::npos);

    ChromeTraceWriter chrome(info);
    chrome.add(records.data(), records.size());
    chrome.finish(info);
    const std::string json(chrome.output().view());
    QVERIFY(!QJsonDocument::fromJson(QByteArray::fromStdString(json)).isNull());
    QVERIFY2(json.find("\"name\":\"LoopDispatch\",\"args\":{\"source\":\"connection\",\"handler\":\"onReadable\","
                       "\"events\":\"EPOLLIN|EPOLLOUT\",\"conn\":7}") != std::string::npos, json.c_str());
    QVERIFY(json.find("\"tid\":1007") == std::string::npos); // on the loop's track, not the connection's
    QVERIFY(json.find("\"name\":\"LoopStepped\",\"args\":{\"step\":1,\"dispatched\":1}") != std::string::npos);
}

void StepModeTest::parseBreaks_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<bool>("syncDisk");
    QTest::addColumn<unsigned>("cpuMs");
    QTest::newRow("sync-disk") << "sync-disk" << true << true << 0u;
    QTest::newRow("cpu") << "cpu=5" << true << false << 5u;
    QTest::newRow("both") << "sync-disk,cpu=7" << true << true << 7u;
    QTest::newRow("largest cpu") << "cpu=10000" << true << false << 10000u;
    QTest::newRow("empty") << "" << false << false << 0u;
    QTest::newRow("cpu without value") << "cpu=" << false << false << 0u;
    QTest::newRow("cpu zero") << "cpu=0" << false << false << 0u;
    QTest::newRow("cpu too big") << "cpu=10001" << false << false << 0u;
    QTest::newRow("cpu words") << "cpu=ten" << false << false << 0u;
    QTest::newRow("cpu trailing") << "cpu=5ms" << false << false << 0u;
    QTest::newRow("unknown") << "slow-client" << false << false << 0u;
    QTest::newRow("trailing comma") << "sync-disk," << false << false << 0u;
}

void StepModeTest::parseBreaks()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(bool, syncDisk);
    QFETCH(unsigned, cpuMs);
    LoopBreaks breaks;
    std::string error;
    QCOMPARE(parseLoopBreaks(text.toStdString(), breaks, error), ok);
    if (!ok) {
        QVERIFY(!error.empty());
        QCOMPARE(std::count(error.begin(), error.end(), '.'), std::ptrdiff_t(1)); // one sentence
        return;
    }
    QCOMPARE(breaks.syncDisk, syncDisk);
    QCOMPARE(breaks.cpuMsPerRequest, cpuMs);
}

void StepModeTest::cliRejectsBadBreaks_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::newRow("unknown switch") << QStringList{"--break", "fast"} << "is not a way to break the loop";
    QTest::newRow("bad cpu") << QStringList{"--break", "cpu=-3"} << "is not a CPU time";
    QTest::newRow("missing value") << QStringList{"--break"} << "--break needs a value";
    QTest::newRow("other model") << QStringList{"--model", "threads", "--break", "sync-disk"}
                                 << "changes only the event-loop model";
}

void StepModeTest::cliRejectsBadBreaks()
{
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    QProcess server;
    server.start(QStringLiteral(LOOPSCOPE_SERVER_BINARY), QStringList{"--root", m_root.path()} + args);
    QVERIFY(server.waitForFinished(10'000));
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 2);
    const QString err = QString::fromUtf8(server.readAllStandardError()).trimmed();
    QVERIFY2(err.contains(says), qPrintable(err));
    QCOMPARE(err.count(QLatin1Char('\n')), 0); // one line
}

QTEST_GUILESS_MAIN(StepModeTest)
#include "tst_step_mode.moc"
