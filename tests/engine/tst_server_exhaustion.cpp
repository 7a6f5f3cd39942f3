// Resource exhaustion, bounded and measured by counts, CPU time (getrusage) and memory
// (/proc/self/statm), never by wall-clock speed:
//   - slowloris with twice the connection limit: normal clients are served again as soon as
//     header timeouts free the slots;
//   - out of file descriptors: the loop records AcceptPaused and backs off instead of spinning,
//     then serves again once descriptors are free;
//   - 10,000 idle keep-alive connections (held by tests/bench/idle_connections.py in another
//     process) stay within the per-connection memory budget;
//   - records produced faster than anyone drains them: requests still complete, and every drop
//     is reported as a RecordsDropped record (no stall, nothing lost silently).
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <memory>

using namespace loopscope;
using namespace loopscope::test;

namespace {

const std::string kBody = "exhaustion body\n";

// Resident memory of this process in bytes, from /proc/self/statm (second field, in pages).
std::uint64_t residentBytes()
{
    std::ifstream f("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    f >> size >> resident;
    return resident * std::uint64_t(::sysconf(_SC_PAGESIZE));
}

std::size_t countKind(const std::vector<EventRecord>& records, EventKind kind)
{
    return std::size_t(std::count_if(records.begin(), records.end(),
                                     [&](const EventRecord& r) { return r.kind == kind; }));
}

std::size_t countClosed(const std::vector<EventRecord>& records, CloseReason reason)
{
    return std::size_t(std::count_if(records.begin(), records.end(), [&](const EventRecord& r) {
        return r.kind == EventKind::ConnectionClosed && r.arg == std::uint64_t(reason);
    }));
}

// Connects without blocking forever and returns the fd (or -1).
int connectClient(std::uint16_t port)
{
    return connectLoopback(port);
}

// One keep-alive GET on `fd`, answered 200 with kBody.
bool served(int fd)
{
    if (!sendAll(fd, get("/a.txt")))
        return false;
    ResponseReader reader(fd);
    HttpResponse r;
    return reader.read(r) == ReadResult::Ok && r.status == 200 && r.body == kBody;
}

} // namespace

class ServerExhaustionTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void slowlorisAtTwiceTheConnectionLimit();
    void outOfFileDescriptorsBacksOff();
    void tenThousandIdleKeepAliveConnections();
    void recordFloodDropsInsteadOfStalling();

private:
    ServerConfig config() const;

    QTemporaryDir m_dir;
    std::string m_root;
};

void ServerExhaustionTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString();
    QVERIFY(writeFile(m_root + "/a.txt", kBody));
}

ServerConfig ServerExhaustionTest::config() const
{
    ServerConfig c;
    c.root = m_root;
    c.port = 0;
    // These tests are about what the server does with connections it holds, many of them silent:
    // with the default TCP_DEFER_ACCEPT the kernel would keep silent ones from it for a second.
    c.deferAccept = false;
    return c;
}

// ---------------------------------------------------------------------------------------------

void ServerExhaustionTest::slowlorisAtTwiceTheConnectionLimit()
{
    constexpr unsigned kLimit = 50;
    constexpr int kSlowClients = 2 * kLimit;
    constexpr milliseconds kHeaderTimeout{1000};

    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.maxConnections = kLimit;
    c.headerTimeout = kHeaderTimeout;
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    // Every slow client starts a head it never finishes.
    std::vector<Fd> slow;
    for (int i = 0; i < kSlowClients; ++i) {
        slow.emplace_back(connectClient(port));
        QVERIFY(slow.back().valid());
        sendAll(slow.back().get(), "GET /a.txt HTTP/1.1\r\nX-Slow: ");
    }
    const auto attackStart = Clock::now();
    QVERIFY(waitUntil([&] { return server.stats().connectionsAccepted >= std::uint64_t(kSlowClients); }));

    // Trickle a byte on every slow connection every 50 ms while a normal client tries every
    // 50 ms; count the tries refused while the slots are taken.
    int refused = 0;
    milliseconds recovery{-1};
    while (Clock::now() - attackStart < kHeaderTimeout * 10) {
        for (Fd& fd : slow)
            if (fd.valid() && !sendAll(fd.get(), "a"))
                fd.reset(); // closed by the server (over the limit, or timed out)
        HttpResponse r;
        const ReadResult res = fetch(port, get("/a.txt", {"Connection: close"}), r, false, milliseconds(200));
        if (res == ReadResult::Ok && r.status == 200) {
            recovery = std::chrono::duration_cast<milliseconds>(Clock::now() - attackStart);
            break;
        }
        ++refused;
        waitUntil([] { return false; }, milliseconds(50));
    }
    qInfo("slowloris: %d slow clients, limit %u, header timeout %lld ms: %d normal tries refused, "
          "served again after %lld ms",
          kSlowClients, kLimit, (long long)kHeaderTimeout.count(), refused, (long long)recovery.count());
    QVERIFY2(recovery.count() >= 0, "no normal client was served while slow clients trickled");
    QVERIFY2(refused > 0, "the slow clients never took every slot (the test proved nothing)");

    // Once the timeouts have fired, normal clients are served one after another.
    for (int i = 0; i < 10; ++i) {
        HttpResponse r;
        QCOMPARE(fetch(port, get("/a.txt", {"Connection: close"}), r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
    }
    // The record tells the story: the slots were held until the header timeout, the clients
    // over the limit were closed at once.
    QVERIFY(log.waitFor([&](const EventRecord&) {
        return countKind(log.records(), EventKind::TimedOut) >= kLimit;
    }));
    QVERIFY(countClosed(log.records(), CloseReason::TooManyConnections) >= kSlowClients - kLimit);
    server.stop();
}

// ---------------------------------------------------------------------------------------------

void ServerExhaustionTest::outOfFileDescriptorsBacksOff()
{
    constexpr rlim_t kFdLimit = 64;
    constexpr int kClients = 80;
    constexpr int kParked = 1000; // client fds are moved up here, out of the server's way

    rlimit old{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    if (old.rlim_cur < rlim_t(kParked + kClients + 16))
        QSKIP("needs RLIMIT_NOFILE of at least 1100 to park the client sockets above the lowered limit");
    rlimit low = old;
    low.rlim_cur = kFdLimit;
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_NOFILE, &old); });

    // The server starts under the low limit: its own descriptors are below 64.
    Recorder recorder;
    EventLog log(recorder);
    Server server(&recorder);
    ServerConfig c = config();
    c.acceptPause = milliseconds(100);
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());

    // The clients' sockets are made with the full limit and parked above the low one, so only
    // the server's accepted sockets compete for the 64 descriptors.
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &old) == 0);
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) {
        Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        QVERIFY(s.valid());
        clients.emplace_back(::fcntl(s.get(), F_DUPFD_CLOEXEC, kParked));
        QVERIFY(clients.back().get() >= kParked);
    }
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &low) == 0);

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (Fd& client : clients)
        QVERIFY(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

    QVERIFY2(log.waitFor([](const EventRecord& r) { return r.kind == EventKind::AcceptPaused; }),
             "no AcceptPaused record while accept4 could only fail with EMFILE");
    const std::uint64_t accepted = server.stats().connectionsAccepted;
    QVERIFY2(accepted < std::uint64_t(kClients), "every client was accepted: the limit did not bite");

    // Clients wait in the backlog, so the listener stays readable: a loop that does not back
    // off would spin. Measure one second of it.
    const std::size_t pausesBefore = countKind(log.drain(), EventKind::AcceptPaused);
    const double cpuStart = processCpuSeconds();
    const auto wallStart = Clock::now();
    waitUntil([] { return false; }, milliseconds(1000));
    const double cpu = processCpuSeconds() - cpuStart;
    const double wall = std::chrono::duration<double>(Clock::now() - wallStart).count();
    const std::size_t pauses = countKind(log.drain(), EventKind::AcceptPaused) - pausesBefore;
    qInfo("out of fds: %llu of %d clients accepted; paused period %.3f s wall, %.4f s CPU (%.2f%%), "
          "%zu AcceptPaused records in it",
          (unsigned long long)accepted, kClients, wall, cpu, 100.0 * cpu / wall, pauses);
    QVERIFY2(cpu < 0.2 * wall, "the loop spun while accept4 failed with EMFILE");
    // One retry per pause (100 ms), not one per epoll wake-up.
    QVERIFY2(pauses <= std::size_t(wall / 0.1) + 2, qPrintable(QString("%1 pauses").arg(pauses)));

    // Release the held connections (the first ones connected were accepted first): the
    // server sees them close, accepting resumes, and the clients still waiting are served.
    const int release = int(accepted) + 10;
    QVERIFY(release < kClients);
    for (int i = 0; i < release; ++i)
        clients[std::size_t(i)].reset();
    for (int i = release; i < kClients; ++i)
        QVERIFY2(served(clients[std::size_t(i)].get()),
                 qPrintable(QString("waiting client %1 was not served after the release").arg(i)));
    restore.dismiss();
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &old) == 0);
    clients.clear();
    server.stop();
}

// ---------------------------------------------------------------------------------------------

void ServerExhaustionTest::tenThousandIdleKeepAliveConnections()
{
    constexpr int kConnections = 10'000;
    constexpr std::uint64_t kBudgetBytes = 4096; // README: per idle connection
    // The clients live in another process (tests/bench/idle_connections.py), so this one needs
    // a descriptor per server-side connection and some spare.
    constexpr rlim_t kNeeded = kConnections + 512;
    const QString script = QStringLiteral(LOOPSCOPE_TEST_DATA "/../bench/idle_connections.py");
    if (QStandardPaths::findExecutable("python3").isEmpty())
        QSKIP("needs python3 to run the 10,000 clients of tests/bench/idle_connections.py");

    rlimit old{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &old) == 0);
    if (old.rlim_cur < kNeeded) {
        rlimit raised = old;
        raised.rlim_cur = kNeeded;
        if (old.rlim_max < kNeeded || ::setrlimit(RLIMIT_NOFILE, &raised) != 0)
            QSKIP(qPrintable(QString("needs RLIMIT_NOFILE of %1 for 10,000 connections; the hard "
                                     "limit is %2 (raise it with ulimit -Hn)")
                                 .arg(qulonglong(kNeeded)).arg(qulonglong(old.rlim_max))));
    }
    auto restore = qScopeGuard([&] { ::setrlimit(RLIMIT_NOFILE, &old); });

    // A small ring: recording memory must not be counted as connection memory.
    Recorder recorder(1u << 12);
    Server server(&recorder);
    ServerConfig c = config();
    c.maxConnections = 2 * kConnections;
    c.headerTimeout = milliseconds(120'000);
    c.keepAliveTimeout = milliseconds(120'000);
    const StartResult started = server.start(c);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    // Warm up the allocator and the file cache with a few requests first.
    for (int i = 0; i < 64; ++i) {
        Fd fd(connectClient(port));
        QVERIFY(fd.valid() && served(fd.get()));
    }
    QVERIFY(waitUntil([&] { return server.stats().activeConnections == 0; }));
    const std::uint64_t before = residentBytes();

    QProcess clients;
    clients.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    clients.start("python3", {script, "--port", QString::number(port), "--count", QString::number(kConnections),
                              "--path", "/a.txt", "--hold", "120", "--timeout", "100"});
    auto stopClients = qScopeGuard([&] {
        clients.terminate();
        if (!clients.waitForFinished(5000))
            clients.kill();
        clients.waitForFinished(5000);
    });
    QVERIFY2(clients.waitForStarted(5000), qPrintable(clients.errorString()));
    QByteArray output;
    const auto deadline = Clock::now() + milliseconds(110'000);
    while (!output.contains("READY") && clients.state() == QProcess::Running && Clock::now() < deadline) {
        clients.waitForReadyRead(1000);
        output += clients.readAllStandardOutput();
    }
    QVERIFY2(output.contains("READY " + QByteArray::number(kConnections)),
             qPrintable("idle_connections.py did not get ready: " + output));
    QVERIFY(waitUntil([&] { return server.stats().activeConnections == std::uint64_t(kConnections); }));
    const std::uint64_t after = residentBytes();
    const double perConnection = double(after - before) / double(kConnections);
    qInfo("10,000 idle keep-alive connections: RSS %.1f -> %.1f MiB, %.0f bytes per connection "
          "(budget %llu)",
          before / 1048576.0, after / 1048576.0, perConnection, (unsigned long long)kBudgetBytes);
    QVERIFY2(perConnection <= double(kBudgetBytes),
             qPrintable(QString("%1 bytes per idle connection").arg(perConnection)));

    stopClients.dismiss();
    clients.terminate();
    QVERIFY(clients.waitForFinished(10'000));
    QVERIFY(waitUntil([&] { return server.stats().activeConnections == 0; }, milliseconds(10'000)));
    server.stop();
}

// ---------------------------------------------------------------------------------------------

void ServerExhaustionTest::recordFloodDropsInsteadOfStalling()
{
    constexpr std::size_t kRing = 1024;
    constexpr int kConnections = 4;
    constexpr int kRequestsEach = 500;

    Recorder recorder(kRing);
    Server server(&recorder);
    const StartResult started = server.start(config());
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    // A burst nobody drains: about ten records a request fill the ring within ~100 requests.
    std::vector<Fd> fds;
    for (int i = 0; i < kConnections; ++i) {
        fds.emplace_back(connectClient(port));
        QVERIFY(fds.back().valid());
    }
    const double cpuStart = processCpuSeconds();
    for (int n = 0; n < kRequestsEach; ++n)
        for (Fd& fd : fds)
            QVERIFY2(served(fd.get()), qPrintable(QString("request %1 was not served").arg(n)));
    const double cpu = processCpuSeconds() - cpuStart;
    QVERIFY(waitUntil([&] { return server.stats().requestsServed >= std::uint64_t(kConnections * kRequestsEach); }));
    const std::uint64_t droppedDuringBurst = recorder.droppedTotal();
    QVERIFY2(droppedDuringBurst > 0, "the ring never filled: the test proved nothing");

    // Drain, then let the loop record again (one more request, then stop): the pending drop
    // count goes out as a RecordsDropped record as soon as there is room.
    std::vector<EventRecord> records;
    const auto drainAll = [&] {
        EventRecord buf[512];
        while (std::size_t n = recorder.drain(buf, std::size(buf)))
            records.insert(records.end(), buf, buf + n);
    };
    drainAll();
    QVERIFY(served(fds[0].get()));
    fds.clear();
    server.stop();
    drainAll();

    std::uint64_t reported = 0;
    for (const EventRecord& r : records)
        if (r.kind == EventKind::RecordsDropped)
            reported += r.arg;
    qInfo("record flood: %d requests served with a %zu-record ring nobody drained; %llu records "
          "dropped, %llu reported in RecordsDropped records, %zu delivered; %.3f s CPU",
          kConnections * kRequestsEach + 1, kRing, (unsigned long long)recorder.droppedTotal(),
          (unsigned long long)reported, records.size(), cpu);
    QCOMPARE(reported, recorder.droppedTotal());
    QVERIFY(countKind(records, EventKind::ServerStopped) == 1);
}

QTEST_GUILESS_MAIN(ServerExhaustionTest)
#include "tst_server_exhaustion.moc"
