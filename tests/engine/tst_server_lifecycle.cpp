// The Server's life: start/stop many times without leaking fds, stop and destruction with
// connections open (idle, mid-request, mid-download), start errors as one clear sentence,
// header and keep-alive timeouts, and the connection limit.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <future>
#include <memory>

using namespace loopscope;
using namespace loopscope::test;

Q_DECLARE_METATYPE(std::string)

namespace {

constexpr std::uint64_t kBigSize = 256ull << 20; // sparse: big enough to be mid-transfer
const std::string kBody = "lifecycle body\n";

// What differs between two /proc/self/fd listings, for leak messages.
std::string fdDiff(const std::vector<std::string>& before, const std::vector<std::string>& after)
{
    std::string s;
    for (const std::string& fd : after)
        if (std::find(before.begin(), before.end(), fd) == before.end())
            s += "\n    new: " + fd;
    for (const std::string& fd : before)
        if (std::find(after.begin(), after.end(), fd) == after.end())
            s += "\n    gone: " + fd;
    return s;
}

// Runs server.stop() on another thread and gives it `limit`; a stop that never returns would
// otherwise hang the whole test run, so it aborts with a clear message instead.
void stopWithin(Server& server, milliseconds limit)
{
    auto done = std::async(std::launch::async, [&] { server.stop(); });
    if (done.wait_for(limit) != std::future_status::ready)
        qFatal("Server::stop() did not return within %lld ms", (long long)limit.count());
}

// Reads bytes until the peer closes; returns false if it does not close within the timeout.
bool closesWithin(ResponseReader& reader, milliseconds timeout = kDefaultTimeout)
{
    return reader.waitForClose(timeout);
}

} // namespace

class ServerLifecycleTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void startStopManyTimesLeaksNoFd();
    void runsWithoutRecorder();
    void stopClosesOpenConnectionsPromptly();
    void startErrors_data();
    void startErrors();
    void secondStartWhileRunningFails();
    void stopWithoutStartIsHarmless();
    void stopTwiceIsHarmless();
    void destroyingRunningServerStopsIt();
    void headerTimeout_data();
    void headerTimeout();
    void keepAliveIdleTimeout();
    void deferAcceptWaitsForTheFirstBytes();
    void maxConnections();
    void acceptBacksOffWhenOutOfFds();

private:
    ServerConfig config() const;
    void verifyServes(std::uint16_t port);

    QTemporaryDir m_dir;
    std::string m_root;
    Fd m_busy; // a listening socket of our own, so its port is in use
    std::uint16_t m_busyPort = 0;
};

void ServerLifecycleTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString() + "/root";
    QVERIFY(std::filesystem::create_directories(m_root));
    QVERIFY(writeFile(m_root + "/a.txt", kBody));
    QVERIFY(makeSparseFile(m_root + "/big.bin", kBigSize));
    QVERIFY(writeFile(m_dir.path().toStdString() + "/afile.txt", "not a directory\n"));

    m_busy.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QVERIFY(::bind(m_busy.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    QVERIFY(::listen(m_busy.get(), 4) == 0);
    socklen_t len = sizeof addr;
    QVERIFY(::getsockname(m_busy.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    m_busyPort = ntohs(addr.sin_port);
}

ServerConfig ServerLifecycleTest::config() const
{
    ServerConfig c;
    c.root = m_root;
    c.port = 0;
    return c;
}

void ServerLifecycleTest::verifyServes(std::uint16_t port)
{
    HttpResponse r;
    const ReadResult res = fetch(port, get("/a.txt", {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, kBody);
}

// ---------------------------------------------------------------------------------------------

void ServerLifecycleTest::startStopManyTimesLeaksNoFd()
{
    const std::vector<std::string> before = openFds();
    Recorder recorder(1u << 12);
    {
        // Half the cycles reuse one Server (restart), half use a fresh one each time.
        Server reused(&recorder);
        for (int i = 0; i < 100; ++i) {
            std::unique_ptr<Server> fresh;
            Server* s = &reused;
            if (i >= 50) {
                fresh = std::make_unique<Server>(&recorder);
                s = fresh.get();
            }
            const StartResult started = s->start(config());
            QVERIFY2(started.ok, qPrintable(QString("cycle %1: %2").arg(i).arg(started.error.c_str())));
            verifyServes(s->port());
            s->stop();
            QVERIFY(!s->isRunning());
            QCOMPARE(s->port(), std::uint16_t(0));
        }
        const std::vector<std::string> afterStops = openFds();
        QVERIFY2(afterStops == before, ("fds differ after 100 start/stop cycles:" + fdDiff(before, afterStops)).c_str());
    }
    const std::vector<std::string> after = openFds();
    QVERIFY2(after == before, ("fds differ after destroying the servers:" + fdDiff(before, after)).c_str());
}

void ServerLifecycleTest::runsWithoutRecorder()
{
    Server s(nullptr);
    const StartResult started = s.start(config());
    QVERIFY2(started.ok, started.error.c_str());
    verifyServes(s.port());
    s.stop();
}

void ServerLifecycleTest::stopClosesOpenConnectionsPromptly()
{
    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    // Long timeouts: only stop() can close these connections within the test.
    c.headerTimeout = milliseconds(60'000);
    c.keepAliveTimeout = milliseconds(60'000);
    // A silent client must reach the server at once, not after TCP_DEFER_ACCEPT's second.
    c.deferAccept = false;
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    Fd idle(connectLoopback(port));
    Fd partial(connectLoopback(port));
    Fd keepAlive(connectLoopback(port));
    Fd downloading(connectLoopback(port, 16 * 1024));
    QVERIFY(idle.valid() && partial.valid() && keepAlive.valid() && downloading.valid());
    QVERIFY(sendAll(partial.get(), "GET /a.txt HTTP/1.1\r\nHo"));

    ResponseReader keepAliveReader(keepAlive.get());
    QVERIFY(sendAll(keepAlive.get(), get("/a.txt")));
    HttpResponse r;
    QCOMPARE(keepAliveReader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);

    // Start a big download and read only its first 64 KiB: the server is left mid-transfer.
    ResponseReader downloadReader(downloading.get());
    QVERIFY(sendAll(downloading.get(), get("/big.bin")));
    QCOMPARE(downloadReader.readHead(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    std::uint64_t downloaded = 0;
    QCOMPARE(downloadReader.readBody(64 * 1024, [&](std::string_view p) { downloaded += p.size(); }),
             ReadResult::Ok);
    QVERIFY2(waitUntil([&] { return server.stats().activeConnections == 4; }),
             qPrintable(QString("active connections: %1").arg(server.stats().activeConnections)));

    stopWithin(server, milliseconds(10'000));
    QVERIFY(!server.isRunning());
    QCOMPARE(server.port(), std::uint16_t(0));

    ResponseReader idleReader(idle.get()), partialReader(partial.get());
    QVERIFY2(closesWithin(idleReader), "idle connection left open by stop()");
    QVERIFY2(closesWithin(partialReader), "connection with a partial request left open by stop()");
    QVERIFY2(closesWithin(keepAliveReader), "keep-alive connection left open by stop()");
    QVERIFY2(closesWithin(downloadReader), "downloading connection left open by stop()");
    downloaded += downloadReader.buffered().size();
    QVERIFY2(downloaded < kBigSize, "the download finished before stop(): the test proves nothing");
    QCOMPARE(connectLoopback(port), -1); // the listening socket is closed too

    // Every connection's close is recorded as caused by the stop, and counted.
    log.drain();
    int closedByStop = 0;
    for (const EventRecord& rec : log.records())
        if (rec.kind == EventKind::ConnectionClosed && rec.arg == std::uint64_t(CloseReason::ServerStopping))
            ++closedByStop;
    QCOMPARE(closedByStop, 4);
    QVERIFY(!log.records().empty());
    QCOMPARE(log.records().back().kind, EventKind::ServerStopped);
    QCOMPARE(log.records().back().arg, std::uint64_t(4));
}

void ServerLifecycleTest::startErrors_data()
{
    QTest::addColumn<std::string>("what");
    QTest::newRow("port in use") << std::string("port in use");
    QTest::newRow("root missing") << std::string("root missing");
    QTest::newRow("root is a file") << std::string("root is a file");
    QTest::newRow("root empty") << std::string("root empty");
    QTest::newRow("bind address not an IP") << std::string("not-an-ip");
    QTest::newRow("bind address not on this machine") << std::string("not local");
}

void ServerLifecycleTest::startErrors()
{
    QFETCH(std::string, what);

    ServerConfig c = config();
    std::string mentions; // text the error must contain
    if (what == "port in use") {
        c.port = m_busyPort;
        mentions = std::to_string(m_busyPort);
    } else if (what == "root missing") {
        c.root = m_dir.path().toStdString() + "/does-not-exist";
        mentions = c.root;
    } else if (what == "root is a file") {
        c.root = m_dir.path().toStdString() + "/afile.txt";
        mentions = c.root;
    } else if (what == "root empty") {
        c.root.clear();
    } else if (what == "not-an-ip") {
        c.bindAddress = "not-an-ip";
        mentions = c.bindAddress;
    } else if (what == "not local") {
        c.bindAddress = "192.0.2.1"; // TEST-NET-1: never a local address
        mentions = c.bindAddress;
    }

    const std::vector<std::string> fdsBefore = openFds();
    Recorder recorder(1u << 12);
    Server server(&recorder);
    const StartResult result = server.start(c);
    QVERIFY(!result.ok);
    qInfo("error: %s", result.error.c_str());
    QVERIFY(!result.error.empty());
    QVERIFY2(result.error.find('\n') == std::string::npos, "the error is not one sentence");
    QVERIFY2(result.error.find(mentions) != std::string::npos,
             ("the error does not mention '" + mentions + "'").c_str());
    QVERIFY(!server.isRunning());
    QCOMPARE(server.port(), std::uint16_t(0));
    const std::vector<std::string> fdsAfter = openFds();
    QVERIFY2(fdsAfter == fdsBefore, ("a failed start leaked fds:" + fdDiff(fdsBefore, fdsAfter)).c_str());

    // The failed start left nothing behind: the same object starts fine afterwards.
    const StartResult retry = server.start(config());
    QVERIFY2(retry.ok, retry.error.c_str());
    verifyServes(server.port());
    server.stop();
}

void ServerLifecycleTest::secondStartWhileRunningFails()
{
    // The header allows start() any number of times; while running, a second start must fail
    // with a clear error and leave the first instance serving on its port.
    Server server;
    const StartResult first = server.start(config());
    QVERIFY2(first.ok, first.error.c_str());
    const std::uint16_t port = server.port();

    const StartResult second = server.start(config());
    QVERIFY(!second.ok);
    qInfo("error: %s", second.error.c_str());
    QVERIFY(!second.error.empty());
    QVERIFY(server.isRunning());
    QCOMPARE(server.port(), port);
    verifyServes(port);
    server.stop();
    QVERIFY(!server.isRunning());
}

void ServerLifecycleTest::stopWithoutStartIsHarmless()
{
    Server server;
    server.stop();
    server.stop();
    QVERIFY(!server.isRunning());
    QCOMPARE(server.port(), std::uint16_t(0));
    QCOMPARE(server.stats().activeConnections, std::uint64_t(0));
}

void ServerLifecycleTest::stopTwiceIsHarmless()
{
    Server server;
    const StartResult started = server.start(config());
    QVERIFY2(started.ok, started.error.c_str());
    server.stop();
    server.stop();
    QVERIFY(!server.isRunning());
}

void ServerLifecycleTest::destroyingRunningServerStopsIt()
{
    const std::vector<std::string> before = openFds();
    std::uint16_t port = 0;
    Fd client;
    {
        Recorder recorder(1u << 12);
        Server server(&recorder);
        const StartResult started = server.start(config());
        QVERIFY2(started.ok, started.error.c_str());
        port = server.port();
        client.reset(connectLoopback(port));
        QVERIFY(client.valid());
        ResponseReader reader(client.get());
        QVERIFY(sendAll(client.get(), get("/a.txt")));
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
        // ~Server runs here, with the keep-alive connection open (recorder outlives it).
    }
    ResponseReader reader(client.get());
    QVERIFY2(reader.waitForClose(), "the connection outlived the Server");
    QCOMPARE(connectLoopback(port), -1);
    client.reset();
    const std::vector<std::string> after = openFds();
    QVERIFY2(after == before, ("fds differ after destroying a running Server:" + fdDiff(before, after)).c_str());
}

// ---------------------------------------------------------------------------------------------
// Timeouts

void ServerLifecycleTest::headerTimeout_data()
{
    QTest::addColumn<std::string>("client");
    QTest::newRow("partial header then silence") << std::string("partial");
    QTest::newRow("header dribbled a byte at a time") << std::string("dribble");
    QTest::newRow("silent after connecting") << std::string("silent");
}

void ServerLifecycleTest::headerTimeout()
{
    QFETCH(std::string, client);

    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.headerTimeout = milliseconds(300);
    c.keepAliveTimeout = milliseconds(300);
    // A silent client must reach the server at once, not after TCP_DEFER_ACCEPT's second.
    c.deferAccept = false;
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());

    Fd fd(connectLoopback(server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    ResponseReader reader(fd.get());
    if (client == "partial") {
        QVERIFY(sendAll(fd.get(), "GET /a.txt HTTP/1.1\r\nHo"));
    } else if (client == "dribble") {
        // Slowloris: a byte every 50 ms keeps the socket busy but never completes the head.
        // The header timeout runs from the first byte, so the server must still close.
        QVERIFY(sendAll(fd.get(), "GET /a.txt HTTP/1.1\r\nX-Slow: "));
        const auto deadline = Clock::now() + milliseconds(5000);
        while (!reader.closed() && Clock::now() < deadline) {
            if (!sendAll(fd.get(), "a"))
                break;
            reader.waitForClose(milliseconds(50));
        }
    }
    QVERIFY2(reader.waitForClose(), "the server kept an incomplete request open past the timeout");
    // A 408 response before the close is allowed; anything else is not.
    QVERIFY2(reader.buffered().empty() || reader.buffered().rfind("HTTP/1.1 408", 0) == 0,
             reader.buffered().c_str());

    // The loop records why: TimedOut, then ConnectionClosed(TimedOut).
    QVERIFY(log.waitFor([](const EventRecord& r) { return r.kind == EventKind::ConnectionClosed; }));
    const std::uint32_t conn = log.connectionForPeerPort(peerPort);
    QVERIFY(conn != 0);
    const std::vector<EventRecord> recs = log.forConnection(conn);
    const auto timedOut = std::find_if(recs.begin(), recs.end(),
                                       [](const EventRecord& r) { return r.kind == EventKind::TimedOut; });
    QVERIFY2(timedOut != recs.end(), describe(recs).c_str());
    if (client != "silent") // before any byte, either timeout kind is reasonable
        QCOMPARE(timedOut->arg, std::uint64_t(TimeoutKind::Header));
    QCOMPARE(recs.back().kind, EventKind::ConnectionClosed);
    QCOMPARE(recs.back().arg, std::uint64_t(CloseReason::TimedOut));
    QCOMPARE(recs.back().to, ConnectionState::Closed);
    server.stop();
}

// Deferred accept (the default): a client that connects and says nothing is not accepted (the
// kernel holds it); its first bytes hand it to the server, which answers as usual.
void ServerLifecycleTest::deferAcceptWaitsForTheFirstBytes()
{
    Server server;
    ServerConfig c = config();
    QVERIFY(c.deferAccept); // the default
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());
    Fd fd(connectLoopback(server.port()));
    QVERIFY(fd.valid());
    QTest::qWait(300); // well under the one-second deferral
    QCOMPARE(server.stats().connectionsAccepted, std::uint64_t(0));
    QVERIFY(sendAll(fd.get(), get("/a.txt", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    QCOMPARE(server.stats().connectionsAccepted, std::uint64_t(1));
}

void ServerLifecycleTest::keepAliveIdleTimeout()
{
    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.headerTimeout = milliseconds(300);
    c.keepAliveTimeout = milliseconds(300);
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());

    Fd fd(connectLoopback(server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    ResponseReader reader(fd.get());
    QVERIFY(sendAll(fd.get(), get("/a.txt")));
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    QVERIFY(!r.closes());

    QVERIFY2(reader.waitForClose(), "an idle keep-alive connection was never closed");
    QVERIFY(reader.buffered().empty());

    QVERIFY(log.waitFor([](const EventRecord& r) { return r.kind == EventKind::ConnectionClosed; }));
    const std::vector<EventRecord> recs = log.forConnection(log.connectionForPeerPort(peerPort));
    const auto timedOut = std::find_if(recs.begin(), recs.end(),
                                       [](const EventRecord& r) { return r.kind == EventKind::TimedOut; });
    QVERIFY2(timedOut != recs.end(), describe(recs).c_str());
    QCOMPARE(timedOut->arg, std::uint64_t(TimeoutKind::KeepAliveIdle));
    QCOMPARE(timedOut->from, ConnectionState::KeepAlive);
    QCOMPARE(recs.back().kind, EventKind::ConnectionClosed);
    QCOMPARE(recs.back().arg, std::uint64_t(CloseReason::TimedOut));
    server.stop();
}

// ---------------------------------------------------------------------------------------------
// Connection limit

void ServerLifecycleTest::maxConnections()
{
    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.maxConnections = 5;
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    // Hold five keep-alive connections, each proven accepted by a served request.
    std::vector<Fd> held;
    std::vector<std::unique_ptr<ResponseReader>> readers;
    for (int i = 0; i < 5; ++i) {
        held.emplace_back(connectLoopback(port));
        QVERIFY(held.back().valid());
        readers.push_back(std::make_unique<ResponseReader>(held.back().get()));
        QVERIFY(sendAll(held.back().get(), get("/a.txt")));
        HttpResponse r;
        QCOMPARE(readers.back()->read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
    }

    // The sixth is accepted by the kernel, then closed by the server without a response.
    {
        Fd sixth(connectLoopback(port));
        QVERIFY(sixth.valid());
        sendAll(sixth.get(), get("/a.txt")); // may fail if the close already arrived
        ResponseReader reader(sixth.get());
        QVERIFY2(reader.waitForClose(), "the connection over the limit was not closed");
        QVERIFY2(reader.buffered().empty(), reader.buffered().c_str());
    }
    QVERIFY(log.waitFor([](const EventRecord& r) {
        return r.kind == EventKind::ConnectionClosed
            && r.arg == std::uint64_t(CloseReason::TooManyConnections);
    }));

    // The held ones still work.
    QVERIFY(sendAll(held[0].get(), get("/a.txt")));
    HttpResponse again;
    QCOMPARE(readers[0]->read(again), ReadResult::Ok);
    QCOMPARE(again.status, 200);

    // Once they close, new connections are served (the loop notices the closes asynchronously,
    // hence a bounded retry).
    readers.clear();
    held.clear();
    QVERIFY2(waitUntil([&] {
                 HttpResponse r;
                 return fetch(port, get("/a.txt", {"Connection: close"}), r, false, milliseconds(1000))
                         == ReadResult::Ok
                     && r.status == 200;
             }),
             "no connection was served after the held ones closed");
    server.stop();
}

void ServerLifecycleTest::acceptBacksOffWhenOutOfFds()
{
    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.acceptPause = milliseconds(100);
    // A silent client must reach the server at once, not after TCP_DEFER_ACCEPT's second.
    c.deferAccept = false;
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());

    // The clients' sockets are made while fds are plentiful; connect() needs no new fd.
    constexpr int kClients = 4;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i)
        clients.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));

    // Lower the soft fd limit to the lowest free fd number: the next fd anyone opens (the
    // server's accept4 included) fails with EMFILE.
    rlimit old{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    const int lowestFree = ::dup(0);
    QVERIFY(lowestFree >= 0);
    ::close(lowestFree);
    rlimit low = old;
    low.rlim_cur = rlim_t(lowestFree);
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_NOFILE, &old); });

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (Fd& client : clients)
        QVERIFY(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

    QVERIFY2(log.waitFor([](const EventRecord& r) { return r.kind == EventKind::AcceptPaused; }),
             "no AcceptPaused record while accept4 could only fail with EMFILE");
    const auto paused = std::find_if(log.records().begin(), log.records().end(),
                                     [](const EventRecord& r) { return r.kind == EventKind::AcceptPaused; });
    QCOMPARE(paused->arg, std::uint64_t(EMFILE));

    // With connections waiting in the backlog the listening socket stays readable: a loop that
    // does not back off would spin here. Measure half a second of it.
    const double cpuStart = processCpuSeconds();
    const auto wallStart = Clock::now();
    waitUntil([] { return false; }, milliseconds(500));
    const double cpu = processCpuSeconds() - cpuStart;
    const double wall = std::chrono::duration<double>(Clock::now() - wallStart).count();
    qInfo("out of fds: %.3f s CPU over %.3f s wall", cpu, wall);
    restore.dismiss();
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &old) == 0);
    QVERIFY2(cpu < 0.5 * wall, "the loop spun while accept4 failed with EMFILE");

    // With fds available again, accepting resumes and every waiting client is served.
    for (Fd& client : clients) {
        QVERIFY(sendAll(client.get(), get("/a.txt", {"Connection: close"})));
        ResponseReader reader(client.get());
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
    }
    server.stop();
}

QTEST_GUILESS_MAIN(ServerLifecycleTest)
#include "tst_server_lifecycle.moc"
