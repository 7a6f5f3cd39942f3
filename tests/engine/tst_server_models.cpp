// The three server models side by side: the blocking server and the thread-per-connection server
// answer exactly what the event loop answers (status lines, headers except Date, bodies, byte for
// byte, also pipelined and kept alive), the blocking server really serves one connection at a
// time, the thread-per-connection server starts one thread per connection and labels its records
// with it, every model stops promptly and leaves no descriptor behind, and the recording merged
// from every thread's ring is in time order.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>
#include <set>

using namespace loopscope;
using namespace loopscope::test;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<std::string>)
Q_DECLARE_METATYPE(loopscope::ServerModel)

namespace {

constexpr ServerModel kModels[] = {ServerModel::EventLoop, ServerModel::Blocking, ServerModel::Threads};

struct Running {
    Recorder recorder;
    EventLog log{recorder};
    Server server{&recorder};
};

// One request of a conversation and whether it is a HEAD (its response has no body).
struct Step {
    std::string request;
    bool head = false;
};

// A response as compared across models: everything but the Date header.
std::string normalised(const HttpResponse& r)
{
    std::string s = r.statusLine + "\n";
    for (const auto& [name, value] : r.headers)
        if (!equalsIgnoreCase(name, "Date"))
            s += name + ": " + value + "\n";
    return s + "\n" + r.body;
}

bool isHeadRequest(const std::string& request)
{
    return request.rfind("HEAD ", 0) == 0;
}

// Splits `wire` (one or more requests sent back to back) into steps.
std::vector<Step> stepsOf(const std::vector<std::string>& sends)
{
    std::vector<Step> steps;
    for (const std::string& request : sends)
        steps.push_back({request, isHeadRequest(request)});
    return steps;
}

} // namespace

class ServerModelsTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void sameResponses_data();
    void sameResponses();
    void blockingServesOneConnectionAtATime();
    void threadsStartOneThreadPerConnection();
    void stopUnblocksEveryThread_data();
    void stopUnblocksEveryThread();
    void startStopLeavesNoDescriptor_data();
    void startStopLeavesNoDescriptor();
    void mergedRecordingIsTimeOrdered();

private:
    std::unique_ptr<Running> start(ServerModel model, ServerConfig config = {});
    // What one model answers to `sends` on one connection: the responses (one per request,
    // `pipelined`: all sent at once) and "closed" if the server then closes the connection.
    std::string conversation(ServerModel model, const std::vector<std::string>& sends, bool pipelined);

    QTemporaryDir m_dir;
    std::string m_root;
};

void ServerModelsTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString();
    QVERIFY(writeFile(m_root + "/a.txt", "models answer alike\n"));
    QVERIFY(writeFile(m_root + "/page.html", "<html>page</html>\n"));
    QVERIFY(writeFile(m_root + "/big.bin", patternBytes(700 * 1024))); // read in three chunks
    QVERIFY(QDir(m_dir.path()).mkdir("dir"));
    QVERIFY(writeFile(m_root + "/dir/index.html", "<html>index</html>\n"));
    QVERIFY(QDir(m_dir.path()).mkdir("empty"));
}

std::unique_ptr<Running> ServerModelsTest::start(ServerModel model, ServerConfig config)
{
    auto r = std::make_unique<Running>();
    config.model = model;
    config.root = m_root;
    config.port = 0;
    const StartResult started = r->server.start(config);
    if (!started.ok)
        qWarning("%s server did not start: %s", toString(model), started.error.c_str());
    return started.ok ? std::move(r) : nullptr;
}

std::string ServerModelsTest::conversation(ServerModel model, const std::vector<std::string>& sends,
                                           bool pipelined)
{
    auto running = start(model);
    if (!running)
        return "no server";
    Fd fd(connectLoopback(running->server.port()));
    if (!fd.valid())
        return "no connection";
    ResponseReader reader(fd.get());
    std::string out;
    const std::vector<Step> steps = stepsOf(sends);
    if (pipelined) {
        std::string all;
        for (const Step& step : steps)
            all += step.request;
        sendAll(fd.get(), all);
    }
    for (const Step& step : steps) {
        if (!pipelined && !sendAll(fd.get(), step.request))
            return out + "send failed";
        HttpResponse r;
        const ReadResult result = reader.read(r, step.head);
        if (result != ReadResult::Ok)
            return out + toString(result);
        out += normalised(r) + "\n----\n";
    }
    // Does the server close now? (A kept-alive connection stays open.)
    out += reader.staysOpen(milliseconds(150)) ? "open" : (reader.waitForClose() ? "closed" : "?");
    return out;
}

void ServerModelsTest::sameResponses_data()
{
    QTest::addColumn<std::vector<std::string>>("sends");
    QTest::addColumn<bool>("pipelined");
    const auto one = [](std::string request) { return std::vector<std::string>{std::move(request)}; };
    QTest::newRow("200") << one(get("/a.txt")) << false;
    QTest::newRow("200 directory index") << one(get("/dir/")) << false;
    QTest::newRow("301 directory without slash") << one(get("/dir")) << false;
    QTest::newRow("403 directory without index") << one(get("/empty/")) << false;
    QTest::newRow("404") << one(get("/missing.txt")) << false;
    QTest::newRow("400 bad percent-encoding") << one(get("/%zz")) << false;
    QTest::newRow("405 POST") << one(httpRequest("POST", "/a.txt", {"Content-Length: 0"})) << false;
    QTest::newRow("501 unknown method") << one(httpRequest("FOO", "/a.txt")) << false;
    QTest::newRow("505 HTTP/2.0") << one(httpRequest("GET", "/a.txt", {}, "HTTP/2.0")) << false;
    QTest::newRow("304") << one(get("/a.txt", {"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"})) << false;
    QTest::newRow("206 range") << one(get("/a.txt", {"Range: bytes=2-9"})) << false;
    QTest::newRow("206 range of a big file") << one(get("/big.bin", {"Range: bytes=300000-600000"})) << false;
    QTest::newRow("416") << one(get("/a.txt", {"Range: bytes=1000-"})) << false;
    QTest::newRow("HEAD") << one(httpRequest("HEAD", "/page.html")) << false;
    QTest::newRow("HEAD 404") << one(httpRequest("HEAD", "/missing")) << false;
    QTest::newRow("big file in chunks") << one(get("/big.bin")) << false;
    QTest::newRow("Connection: close") << one(get("/a.txt", {"Connection: close"})) << false;
    QTest::newRow("HTTP/1.0") << one(httpRequest("GET", "/a.txt", {}, "HTTP/1.0")) << false;
    QTest::newRow("keep-alive, three requests")
        << std::vector<std::string>{get("/a.txt"), httpRequest("HEAD", "/a.txt"), get("/page.html")} << false;
    QTest::newRow("keep-alive, then close")
        << std::vector<std::string>{get("/a.txt"), get("/page.html", {"Connection: close"})} << false;
    QTest::newRow("pipelined")
        << std::vector<std::string>{get("/a.txt"), get("/missing"), get("/page.html", {"Range: bytes=0-4"}),
                                    get("/big.bin")} << true;
    QTest::newRow("pipelined, bad one last")
        << std::vector<std::string>{get("/a.txt"), httpRequest("DELETE", "/a.txt")} << true;
}

void ServerModelsTest::sameResponses()
{
    QFETCH(std::vector<std::string>, sends);
    QFETCH(bool, pipelined);
    const std::string expected = conversation(ServerModel::EventLoop, sends, pipelined);
    QVERIFY2(expected.find("HTTP/1.") == 0, expected.c_str());
    for (ServerModel model : {ServerModel::Blocking, ServerModel::Threads}) {
        const std::string got = conversation(model, sends, pipelined);
        QVERIFY2(got == expected, (std::string(toString(model)) + " answered differently:\n" + got.substr(0, 2000)
                                   + "\nthe event loop:\n" + expected.substr(0, 2000)).c_str());
    }
}

// The second client is served only after the first one leaves: its ConnectionAccepted, and so
// everything else of it, comes after the first connection's ConnectionClosed.
void ServerModelsTest::blockingServesOneConnectionAtATime()
{
    auto running = start(ServerModel::Blocking);
    QVERIFY(running);
    const std::uint16_t port = running->server.port();
    Fd first(connectLoopback(port));
    QVERIFY(first.valid());
    ResponseReader firstReader(first.get());
    HttpResponse r;
    QVERIFY(sendAll(first.get(), get("/a.txt")));
    QCOMPARE(firstReader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);

    Fd second(connectLoopback(port)); // completes in the listen backlog
    QVERIFY(second.valid());
    QVERIFY(sendAll(second.get(), get("/page.html", {"Connection: close"})));
    ResponseReader secondReader(second.get());
    QVERIFY2(secondReader.staysOpen(milliseconds(200)), "the second client was answered while the first was open");
    QVERIFY(sendAll(first.get(), get("/page.html")));
    QCOMPARE(firstReader.read(r), ReadResult::Ok); // the first is still the one being served
    first.reset();
    QCOMPARE(secondReader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    running->server.stop();

    const std::vector<EventRecord>& all = running->log.drain();
    std::vector<std::uint32_t> acceptedOrder;
    std::map<std::uint32_t, std::size_t> closedAt, acceptedAt;
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].kind == EventKind::ConnectionAccepted) {
            acceptedOrder.push_back(all[i].conn);
            acceptedAt[all[i].conn] = i;
        }
        if (all[i].kind == EventKind::ConnectionClosed)
            closedAt[all[i].conn] = i;
    }
    QCOMPARE(acceptedOrder.size(), std::size_t(2));
    QVERIFY2(closedAt[acceptedOrder[0]] < acceptedAt[acceptedOrder[1]], describe(all).c_str());
    // One thread: the only lane is the engine loop's, and every wait of it is a poll.
    for (const EventRecord& rec : all)
        QCOMPARE(int(rec.thread), int(kEngineLoopThread));
}

void ServerModelsTest::threadsStartOneThreadPerConnection()
{
    auto running = start(ServerModel::Threads);
    QVERIFY(running);
    const std::uint16_t port = running->server.port();
    constexpr int kClients = 4;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back(connectLoopback(port));
        QVERIFY(clients.back().valid());
        QVERIFY(sendAll(clients.back().get(), get("/a.txt")));
    }
    // All four are served at once (each by its own thread), the first still open.
    for (Fd& fd : clients) {
        ResponseReader reader(fd.get());
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
    }
    clients.clear();
    QVERIFY(waitUntil([&] { return running->server.stats().activeConnections == 0; }));
    running->server.stop();

    const std::vector<EventRecord>& all = running->log.drain();
    std::map<std::uint32_t, std::uint64_t> threadOf; // connection -> thread number
    int exited = 0;
    for (const EventRecord& rec : all) {
        if (rec.kind == EventKind::ThreadStarted) {
            QVERIFY2(!threadOf.count(rec.aux), "two threads for one connection");
            threadOf[rec.aux] = rec.arg;
            QCOMPARE(std::uint64_t(rec.thread), rec.arg);
        }
        if (rec.kind == EventKind::ThreadExited)
            ++exited;
    }
    QCOMPARE(int(threadOf.size()), kClients);
    QCOMPARE(exited, kClients);
    // Open at the same time, so four different threads.
    std::set<std::uint64_t> numbers;
    for (const auto& [conn, number] : threadOf)
        numbers.insert(number);
    QCOMPARE(int(numbers.size()), kClients);
    // Every record of a connection after its accept carries its thread's number.
    for (const EventRecord& rec : all) {
        if (rec.conn == 0 || rec.kind == EventKind::ConnectionAccepted || rec.kind == EventKind::RequestText)
            continue;
        QVERIFY2(threadOf.count(rec.conn), describe(rec).c_str());
        QCOMPARE(std::uint64_t(rec.thread), threadOf[rec.conn]);
    }
}

void ServerModelsTest::stopUnblocksEveryThread_data()
{
    QTest::addColumn<ServerModel>("model");
    for (ServerModel model : kModels)
        QTest::newRow(toString(model)) << model;
}

// Clients that are idle, half-way through a head, and kept alive: stop() ends every wait at once
// (well within the 10 s header timeout) and records each close as the stop's.
void ServerModelsTest::stopUnblocksEveryThread()
{
    QFETCH(ServerModel, model);
    const std::vector<std::string> before = openFds();
    {
        ServerConfig config;
        config.deferAccept = false; // the idle client must reach the server at once
        auto running = start(model, config);
        QVERIFY(running);
        const std::uint16_t port = running->server.port();
        Fd kept(connectLoopback(port)), idle(connectLoopback(port)), partial(connectLoopback(port));
        QVERIFY(kept.valid() && idle.valid() && partial.valid());
        ResponseReader keptReader(kept.get());
        HttpResponse r;
        QVERIFY(sendAll(kept.get(), get("/a.txt")));
        QCOMPARE(keptReader.read(r), ReadResult::Ok);
        QVERIFY(sendAll(partial.get(), "GET /a.txt HTTP/1.1\r\nHo"));
        const std::uint64_t expectedOpen = model == ServerModel::Blocking ? 1 : 3;
        QVERIFY(waitUntil([&] { return running->server.stats().activeConnections == expectedOpen; }));
        const auto stopStarted = Clock::now();
        running->server.stop();
        const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - stopStarted);
        QVERIFY2(took < milliseconds(3000), ("stop took " + std::to_string(took.count()) + " ms").c_str());
        QVERIFY(keptReader.waitForClose(milliseconds(2000)));
        const std::vector<EventRecord>& all = running->log.drain();
        QCOMPARE(all.back().kind, EventKind::ServerStopped);
        QCOMPARE(all.back().arg, expectedOpen);
        QCOMPARE(running->server.stats().activeConnections, std::uint64_t(0));
    }
    QCOMPARE(openFds(), before);
}

void ServerModelsTest::startStopLeavesNoDescriptor_data()
{
    stopUnblocksEveryThread_data();
}

void ServerModelsTest::startStopLeavesNoDescriptor()
{
    QFETCH(ServerModel, model);
    Recorder recorder(1u << 12);
    Server server(&recorder);
    ServerConfig config;
    config.model = model;
    config.root = m_root;
    config.port = 0;
    // One round first, so that whatever a first start allocates for good (rings) is there.
    QVERIFY(server.start(config).ok);
    server.stop();
    const std::vector<std::string> before = openFds();
    for (int i = 0; i < 50; ++i) {
        const StartResult started = server.start(config);
        QVERIFY2(started.ok, started.error.c_str());
        if (i % 10 == 0) { // now and then with a client, so that serving threads come and go too
            HttpResponse r;
            QCOMPARE(fetch(server.port(), get("/a.txt", {"Connection: close"}), r), ReadResult::Ok);
            QCOMPARE(r.status, 200);
        }
        server.stop();
        EventRecord sink[1024];
        while (recorder.drain(sink, std::size(sink)) > 0) {
        }
    }
    QCOMPARE(openFds(), before);
}

// Concurrent keep-alive clients of the thread-per-connection server: the merged recording comes
// out in time order, each request's text right behind it, nothing dropped.
void ServerModelsTest::mergedRecordingIsTimeOrdered()
{
    auto running = start(ServerModel::Threads);
    QVERIFY(running);
    const std::uint16_t port = running->server.port();
    constexpr int kClients = 6;
    constexpr int kRequests = 20;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back(connectLoopback(port));
        QVERIFY(clients.back().valid());
    }
    for (int round = 0; round < kRequests; ++round) {
        for (Fd& fd : clients)
            QVERIFY(sendAll(fd.get(), get(round % 2 ? "/a.txt" : "/page.html")));
        for (Fd& fd : clients) {
            ResponseReader reader(fd.get());
            HttpResponse r;
            QCOMPARE(reader.read(r), ReadResult::Ok);
        }
        running->log.drain(); // drained while the threads still record
    }
    clients.clear();
    running->server.stop();
    const std::vector<EventRecord>& all = running->log.drain();
    QCOMPARE(running->recorder.droppedTotal(), std::uint64_t(0));
    std::int64_t lastT = 0;
    int requests = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const EventRecord& rec = all[i];
        if (rec.kind == EventKind::RequestText) {
            QVERIFY2(i > 0 && all[i - 1].conn == rec.conn
                         && (all[i - 1].kind == EventKind::RequestHeadersRead
                             || all[i - 1].kind == EventKind::RequestText),
                     "RequestText away from its request");
            continue;
        }
        QVERIFY2(rec.t_ns >= lastT, ("out of order at " + std::to_string(i) + ": " + describe(rec)).c_str());
        lastT = rec.t_ns;
        if (rec.kind == EventKind::RequestHeadersRead)
            ++requests;
    }
    QCOMPARE(requests, kClients * kRequests);
    QCOMPARE(all.front().kind, EventKind::ServerStarted);
    QCOMPARE(all.back().kind, EventKind::ServerStopped);
}

QTEST_GUILESS_MAIN(ServerModelsTest)
#include "tst_server_models.moc"
