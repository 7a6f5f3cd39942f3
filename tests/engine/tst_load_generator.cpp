// The built-in load generator: its URL, path-mix and response parsers (tables, also fed one byte
// at a time), its latency histogram, and whole runs against a real loopscope Server on
// 127.0.0.1 with an ephemeral port, checked by counts (requests, statuses, connections the
// server accepted), never by wall time. Every run is bounded by a request budget or a short
// duration, and every wait by a timeout.
#include "test_support.h"

#include "core/recorder.h"
#include "load/latency_histogram.h"
#include "load/load_generator.h"
#include "load/response_parser.h"
#include "server/server.h"
#include "trace/chrome_trace_writer.h"
#include "trace/csv_trace_writer.h"

#include <QJsonDocument>
#include <QTest>

#include <thread>

using namespace loopscope;
using namespace loopscope::test;

namespace {

constexpr milliseconds kRunTimeout{60'000};

// One sentence: starts with a capital, ends with a full stop, no line breaks.
bool isOneSentence(const std::string& text)
{
    return !text.empty() && std::isupper(static_cast<unsigned char>(text.front())) && text.back() == '.'
           && text.find('\n') == std::string::npos;
}

LoadUrl urlFor(std::uint16_t port)
{
    std::string error;
    return *parseLoadUrl("http://127.0.0.1:" + std::to_string(port) + "/", error);
}

LoadSettings budget(unsigned clients, std::uint64_t perClient, std::vector<WeightedPath> paths)
{
    LoadSettings s;
    s.clients = clients;
    s.requestsPerClient = perClient;
    s.paths = std::move(paths);
    s.slowIntervalMs = 1;
    return s;
}

std::vector<WeightedPath> only(const std::string& path)
{
    return {{path, 1, false}};
}

// A port nothing listens on: bound once, then released.
std::uint16_t closedPort()
{
    Fd fd(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    return localPort(fd.get());
}

} // namespace

class LoadGeneratorTest : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<Recorder> m_recorder;
    std::unique_ptr<Server> m_server;

    // Runs the plan to its end and returns the final report.
    LoadReport run(const LoadPlan& plan)
    {
        LoadGenerator generator;
        std::string error;
        if (!generator.start(plan, error))
            qFatal("start failed: %s", error.c_str());
        if (!generator.waitUntilFinished(kRunTimeout))
            qFatal("the load run did not finish within %lld ms", (long long)kRunTimeout.count());
        generator.stop();
        return generator.report();
    }
    LoadReport run(const LoadSettings& settings, double duration = 0)
    {
        return run(singlePhasePlan(urlFor(m_server->port()), settings, duration));
    }
    // The server counts a request when its response is done; the client may see it first.
    void expectServed(std::uint64_t requests)
    {
        QVERIFY2(waitUntil([&] { return m_server->stats().requestsServed == requests; }),
                 qPrintable(QString("served %1, expected %2").arg(m_server->stats().requestsServed).arg(requests)));
    }
    static void expectAccounted(const LoadCounts& c)
    {
        QCOMPARE(c.sent, c.responses + c.errorTotal() + c.abandoned);
    }

private slots:
    void init()
    {
        m_recorder = std::make_unique<Recorder>(1u << 20);
        m_server = std::make_unique<Server>(m_recorder.get());
        ServerConfig config;
        config.root = LOOPSCOPE_DEMO_SITE;
        config.port = 0;
        const StartResult started = m_server->start(config);
        QVERIFY2(started.ok, started.error.c_str());
    }
    void cleanup()
    {
        m_server.reset();
        m_recorder.reset();
    }

    void parsesUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("path");
        QTest::newRow("full") << "http://127.0.0.1:8080/index.html" << true << "127.0.0.1" << 8080 << "/index.html";
        QTest::newRow("no path") << "http://10.1.2.3:81" << true << "10.1.2.3" << 81 << "/";
        QTest::newRow("default port") << "http://127.0.0.1/" << true << "127.0.0.1" << 80 << "/";
        QTest::newRow("localhost") << "http://localhost:9000/a?b=c" << true << "localhost" << 9000 << "/a?b=c";
        QTest::newRow("https") << "https://127.0.0.1:443/" << false << "" << 0 << "";
        QTest::newRow("no scheme") << "127.0.0.1:8080" << false << "" << 0 << "";
        QTest::newRow("hostname") << "http://example.com:80/" << false << "" << 0 << "";
        QTest::newRow("ipv6") << "http://[::1]:80/" << false << "" << 0 << "";
        QTest::newRow("port 0") << "http://127.0.0.1:0/" << false << "" << 0 << "";
        QTest::newRow("port too big") << "http://127.0.0.1:70000/" << false << "" << 0 << "";
        QTest::newRow("port letters") << "http://127.0.0.1:80a/" << false << "" << 0 << "";
        QTest::newRow("empty host") << "http://:80/" << false << "" << 0 << "";
        QTest::newRow("space in path") << "http://127.0.0.1:80/a b" << false << "" << 0 << "";
        QTest::newRow("empty") << "" << false << "" << 0 << "";
    }
    void parsesUrls()
    {
        QFETCH(QString, url);
        QFETCH(bool, ok);
        std::string error;
        const auto parsed = parseLoadUrl(url.toStdString(), error);
        QCOMPARE(parsed.has_value(), ok);
        if (!ok) {
            QVERIFY2(isOneSentence(error), error.c_str());
            return;
        }
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, path);
        QCOMPARE(QString::fromStdString(parsed->host), host);
        QCOMPARE(int(parsed->port), port);
        QCOMPARE(QString::fromStdString(parsed->path), path);
    }

    void parsesPathMixes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("normalised"); // empty: an error
        QTest::newRow("one") << "/index.html" << "/index.html";
        QTest::newRow("weights") << "/a:3, /b ,/c:1" << "/a:3,/b,/c";
        QTest::newRow("head") << "HEAD /a:2,/b" << "HEAD /a:2,/b";
        QTest::newRow("colon in path") << "/a:b" << "/a:b";
        QTest::newRow("no slash") << "index.html" << "";
        QTest::newRow("zero weight") << "/a:0" << "";
        QTest::newRow("huge weight") << "/a:5000" << "";
        QTest::newRow("empty") << "" << "";
        QTest::newRow("empty entry") << "/a,,/b" << "";
    }
    void parsesPathMixes()
    {
        QFETCH(QString, text);
        QFETCH(QString, normalised);
        std::string error;
        const auto mix = parsePathMix(text.toStdString(), error);
        QCOMPARE(mix.has_value(), !normalised.isEmpty());
        if (mix)
            QCOMPARE(QString::fromStdString(pathMixText(*mix)), normalised);
        else
            QVERIFY2(isOneSentence(error), error.c_str());
    }

    void spreadsPathsByWeight()
    {
        const std::vector<WeightedPath> mix = {{"/a", 5, false}, {"/b", 1, false}, {"/c", 2, false}};
        const auto order = pathSequence(mix);
        QCOMPARE(order.size(), std::size_t(8));
        QCOMPARE(std::count(order.begin(), order.end(), 0u), 5);
        QCOMPARE(std::count(order.begin(), order.end(), 1u), 1);
        QCOMPARE(std::count(order.begin(), order.end(), 2u), 2);
        QCOMPARE(order[0], 0u); // the heaviest first, and never three of it in a row
    }

    void defaultMixNamesDemoFiles()
    {
        for (const WeightedPath& p : defaultPathMix()) {
            const bool exists = std::filesystem::exists(std::string(LOOPSCOPE_DEMO_SITE) + p.path);
            QCOMPARE(exists, p.path != "/missing.html");
        }
    }

    void rejectsBadPlans_data()
    {
        QTest::addColumn<int>("clients");
        QTest::addColumn<double>("rate");
        QTest::addColumn<int>("pipeline");
        QTest::addColumn<bool>("keepAlive");
        QTest::newRow("no clients") << 0 << 0.0 << 1 << true;
        QTest::newRow("too many clients") << 20000 << 0.0 << 1 << true;
        QTest::newRow("negative rate") << 1 << -1.0 << 1 << true;
        QTest::newRow("pipeline 0") << 1 << 0.0 << 0 << true;
        QTest::newRow("pipeline 65") << 1 << 0.0 << 65 << true;
        QTest::newRow("pipeline with close") << 1 << 0.0 << 2 << false;
    }
    void rejectsBadPlans()
    {
        QFETCH(int, clients);
        QFETCH(double, rate);
        QFETCH(int, pipeline);
        QFETCH(bool, keepAlive);
        LoadSettings s;
        s.clients = unsigned(clients);
        s.rate = rate;
        s.pipeline = unsigned(pipeline);
        s.keepAlive = keepAlive;
        LoadGenerator generator;
        std::string error;
        QVERIFY(!generator.start(singlePhasePlan(urlFor(1), s, 1), error));
        QVERIFY2(isOneSentence(error), error.c_str());
        QVERIFY(!generator.isRunning());
    }

    void parsesResponses_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("head");
        QTest::addColumn<int>("status");     // -1: malformed
        QTest::addColumn<int>("consumed");   // bytes taken by the first response
        QTest::addColumn<bool>("closes");
        QTest::addColumn<bool>("needsEof");  // complete only once the peer closes
        const QByteArray ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        QTest::newRow("200 with body") << ok << false << 200 << ok.size() << false << false;
        QTest::newRow("pipelined: stops at the first") << ok + ok << false << 200 << ok.size() << false << false;
        QTest::newRow("head: no body") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") << true
                                       << 200 << 38 << false << false;
        QTest::newRow("304: no body") << QByteArray("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")
                                      << false << 304 << 48 << false << false;
        QTest::newRow("connection close") << QByteArray("HTTP/1.1 404 Not Found\r\nConnection: close\r\ncontent-length: 0\r\n\r\n")
                                          << false << 404 << 64 << true << false;
        QTest::newRow("http/1.0 closes") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx") << false
                                         << 200 << 39 << true << false;
        QTest::newRow("until close") << QByteArray("HTTP/1.1 200 OK\r\n\r\nabc") << false << 200 << 22 << true << true;
        QTest::newRow("bad version") << QByteArray("HTTP/2.0 200 OK\r\n\r\n") << false << -1 << 0 << false << false;
        QTest::newRow("bad status") << QByteArray("HTTP/1.1 2x0 OK\r\n\r\n") << false << -1 << 0 << false << false;
        QTest::newRow("not http") << QByteArray("hello world\r\n\r\n") << false << -1 << 0 << false << false;
        QTest::newRow("two lengths") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")
                                     << false << -1 << 0 << false << false;
        QTest::newRow("bad length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") << false << -1
                                    << 0 << false << false;
        QTest::newRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                                 << false << -1 << 0 << false << false;
        QTest::newRow("header without colon") << QByteArray("HTTP/1.1 200 OK\r\nbroken\r\n\r\n") << false << -1 << 0
                                              << false << false;
    }
    void parsesResponses()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, head);
        QFETCH(int, status);
        QFETCH(int, consumed);
        QFETCH(bool, closes);
        QFETCH(bool, needsEof);
        for (const bool byteByByte : {false, true}) {
            ResponseParser p;
            p.reset(head);
            std::size_t total = 0;
            bool malformed = false;
            const std::size_t size = std::size_t(bytes.size());
            // At once: what is left after each response part; byte by byte: one byte at a time.
            while (total < size && !p.done()) {
                const std::size_t n = byteByByte ? 1 : size - total;
                const std::ptrdiff_t used = p.feed(bytes.constData() + total, n);
                if (used == ResponseParser::kMalformed) {
                    malformed = true;
                    break;
                }
                if (used == 0)
                    break;
                total += std::size_t(used);
            }
            if (status < 0) {
                QVERIFY2(malformed, byteByByte ? "byte by byte" : "at once");
                continue;
            }
            QVERIFY(!malformed);
            QCOMPARE(p.status(), status);
            QCOMPARE(p.done(), !needsEof);
            if (needsEof)
                QVERIFY(p.finishAtEof());
            QCOMPARE(int(total), consumed);
            QCOMPARE(p.closesConnection(), closes);
        }
    }

    void cutShortResponseIsNotComplete()
    {
        ResponseParser p;
        p.reset();
        const std::string part = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        QVERIFY(p.feed(part.data(), part.size()) > 0);
        QVERIFY(p.feed(part.data() + 38, part.size() - 38) > 0);
        QVERIFY(!p.finishAtEof());
        QVERIFY(!p.done());
    }

    void histogramPercentiles()
    {
        LatencyHistogram h;
        QCOMPARE(h.percentileNs(0.5), std::int64_t(0));
        for (int i = 1; i <= 1000; ++i)
            h.add(std::int64_t(i) * 1'000'000); // 1..1000 ms
        QCOMPARE(h.count(), std::uint64_t(1000));
        QCOMPARE(h.maxNs(), std::int64_t(1'000'000'000));
        const auto near = [](std::int64_t got, double want) { return got >= want && got <= want * 1.024; };
        QVERIFY2(near(h.percentileNs(0.5), 500e6), qPrintable(QString::number(h.percentileNs(0.5))));
        QVERIFY(near(h.percentileNs(0.9), 900e6));
        QVERIFY(near(h.percentileNs(0.99), 990e6));
        QCOMPARE(h.percentileNs(1.0), std::int64_t(1'000'000'000)); // never above the maximum
        h.add(500);         // below 1 µs
        h.add(1'000'000'000'000); // 1000 s, above the top bin
        QCOMPARE(h.maxNs(), std::int64_t(1'000'000'000'000));
        QCOMPARE(LatencyHistogram::binOf(0), 0);
        QCOMPARE(LatencyHistogram::binOf(std::int64_t(1e15)), LatencyHistogram::kBins - 1);
    }

    // A LoadPhase and its name records: a named instant on the "load generator" track in the
    // Chrome JSON, one CSV row whose detail carries the name.
    void traceWritersNameLoadPhases()
    {
        std::vector<EventRecord> records;
        records.push_back(makeLoadPhaseRecord(1'000, 0, false));
        records.push_back(makeTextRecord(0, "steady keep-aliv", false));
        records.push_back(makeTextRecord(0, "e", true));
        records.push_back(makeLoadPhaseRecord(5'000, 0, true)); // stopped: no name records
        TraceInfo info;
        ChromeTraceWriter chrome(info);
        chrome.add(records.data(), records.size());
        chrome.finish(info);
        const std::string json(chrome.output().view());
        QVERIFY2(json.find("\"name\":\"load generator\"") != std::string::npos, json.c_str());
        QVERIFY(json.find("\"name\":\"steady keep-alive\",\"args\":{\"phase\":0") != std::string::npos);
        QVERIFY(json.find("\"name\":\"load stopped\"") != std::string::npos);
        QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(json)).isNull(), false);

        CsvTraceWriter csv(info);
        csv.add(records.data(), records.size());
        csv.finish(info);
        const std::string rows(csv.output().view());
        QVERIFY2(rows.find("1000,LoadPhase,0,None,None,0,0,254,load phase 0 began: steady keep-alive\r\n")
                     != std::string::npos, rows.c_str());
        QVERIFY(rows.find("5000,LoadPhase,0,None,None,0,1,254,load generator stopped after phase 0\r\n")
                != std::string::npos);
        QVERIFY(rows.find("RequestText") == std::string::npos); // folded into the phase's row
    }

    // ---- Whole runs against a real server ---------------------------------------------------

    void keepAliveSendsExactlyTheBudget()
    {
        const LoadReport r = run(budget(4, 25, only("/index.html")));
        const LoadCounts& c = r.snapshot.counts;
        QCOMPARE(c.responses, std::uint64_t(100));
        QCOMPARE(c.status(2), std::uint64_t(100));
        QCOMPARE(c.errorTotal(), std::uint64_t(0));
        QCOMPARE(c.connectionsOpened, std::uint64_t(4));
        QCOMPARE(r.latency.count(), std::uint64_t(100));
        QVERIFY(r.snapshot.finished);
        QCOMPARE(r.snapshot.inFlight, std::uint64_t(0));
        expectAccounted(c);
        expectServed(100);
        QCOMPARE(m_server->stats().connectionsAccepted, std::uint64_t(4));
    }

    void closeOpensAConnectionPerRequest()
    {
        LoadSettings s = budget(3, 10, only("/style.css"));
        s.keepAlive = false;
        const LoadCounts c = run(s).snapshot.counts;
        QCOMPARE(c.status(2), std::uint64_t(30));
        QCOMPARE(c.connectionsOpened, std::uint64_t(30));
        expectServed(30);
        QVERIFY(waitUntil([&] { return m_server->stats().connectionsAccepted == 30; }));
    }

    void pipelineSendsRequestsBackToBack()
    {
        LoadSettings s = budget(2, 16, only("/index.html"));
        s.pipeline = 4;
        const LoadCounts c = run(s).snapshot.counts;
        QCOMPARE(c.status(2), std::uint64_t(32));
        QCOMPARE(c.connectionsOpened, std::uint64_t(2));
        expectServed(32);
        // The server found requests already buffered behind the first: they came back to back.
        EventLog log(*m_recorder);
        log.drain();
        const auto buffered = std::count_if(log.records().begin(), log.records().end(), [](const EventRecord& e) {
            return e.kind == EventKind::BytesRead && e.aux == 1;
        });
        QVERIFY2(buffered > 0, "no pipelined request was found buffered by the server");
    }

    void missingPathsCountAs404()
    {
        const LoadCounts c = run(budget(2, 5, only("/missing.html"))).snapshot.counts;
        QCOMPARE(c.status(4), std::uint64_t(10));
        QCOMPARE(c.status(2), std::uint64_t(0));
        QCOMPARE(c.errorTotal(), std::uint64_t(0));
    }

    void mixFollowsWeights()
    {
        std::string error;
        const auto mix = parsePathMix("/index.html,/missing.html,HEAD /style.css:2", error);
        const LoadCounts c = run(budget(2, 8, *mix)).snapshot.counts;
        QCOMPARE(c.status(2), std::uint64_t(12)); // index.html and both HEADs of style.css
        QCOMPARE(c.status(4), std::uint64_t(4));
        expectServed(16);
    }

    void openLoopKeepsItsSchedule()
    {
        LoadSettings s = budget(2, 10, only("/index.html"));
        s.rate = 400;
        const LoadReport r = run(s);
        QCOMPARE(r.snapshot.counts.status(2), std::uint64_t(20));
        // Twenty requests on a 5 ms-per-client schedule take at least 45 ms from the first.
        QVERIFY(r.snapshot.elapsedNs >= 45'000'000);
    }

    void slowHeaderClientsFinish()
    {
        LoadSettings s = budget(0, 2, only("/index.html"));
        s.slowHeaders = 2;
        s.slowIntervalMs = 5; // wide enough apart that a busy server still reads them one by one
        const LoadCounts c = run(s).snapshot.counts;
        QCOMPARE(c.status(2), std::uint64_t(4));
        QCOMPARE(c.errorTotal(), std::uint64_t(0));
        // Byte by byte: the server read many small pieces.
        EventLog log(*m_recorder);
        log.drain();
        const auto reads = std::count_if(log.records().begin(), log.records().end(),
                                         [](const EventRecord& e) { return e.kind == EventKind::BytesRead; });
        QVERIFY2(reads >= 30, qPrintable(QString("only %1 reads").arg(reads)));
    }

    void slowReadersFinish()
    {
        LoadSettings s = budget(0, 1, only("/files/large-4MiB.txt"));
        s.slowReaders = 2;
        s.slowReadBytes = 64 * 1024;
        const LoadCounts c = run(s).snapshot.counts;
        QCOMPARE(c.status(2), std::uint64_t(2));
        QVERIFY(c.bytesReceived >= 2u * 4 * 1024 * 1024);
        expectServed(2);
    }

    void refusedConnectionsAreConnectErrors()
    {
        LoadSettings s = budget(2, 2, only("/"));
        const LoadCounts c = run(singlePhasePlan(urlFor(closedPort()), s, 0)).snapshot.counts;
        QCOMPARE(c.errors[std::size_t(LoadError::ConnectFailed)], std::uint64_t(4));
        QCOMPARE(c.responses, std::uint64_t(0));
        expectAccounted(c);
    }

    void malformedResponsesAreCounted()
    {
        // A "server" that answers anything with garbage and closes.
        Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        QCOMPARE(listen(listener.get(), 4), 0);
        std::thread fake([fd = listener.get()] {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 10'000) != 1)
                return;
            Fd client(accept(fd, nullptr, nullptr));
            char buf[512];
            pollfd c{client.get(), POLLIN, 0};
            if (poll(&c, 1, 10'000) == 1 && recv(client.get(), buf, sizeof buf, 0) > 0)
                sendAll(client.get(), "SPDY/9 what\r\n\r\n");
        });
        const LoadCounts c = run(singlePhasePlan(urlFor(localPort(listener.get())), budget(1, 1, only("/")), 0))
                                 .snapshot.counts;
        fake.join();
        QCOMPARE(c.errors[std::size_t(LoadError::Malformed)], std::uint64_t(1));
        expectAccounted(c);
    }

    void durationRunAgreesWithTheServer()
    {
        LoadSettings s;
        s.clients = 2;
        s.paths = only("/index.html");
        const LoadCounts c = run(s, 0.3).snapshot.counts;
        QVERIFY(c.responses > 0);
        QCOMPARE(c.errorTotal(), std::uint64_t(0));
        expectAccounted(c);
        // Requests in flight at the end may or may not have been served.
        QVERIFY(waitUntil([&] {
            const std::uint64_t served = m_server->stats().requestsServed;
            return served >= c.responses && served <= c.responses + c.abandoned;
        }));
    }

    void phasesRunInOrder()
    {
        LoadPlan plan;
        plan.target = urlFor(m_server->port());
        plan.phases.push_back({"warm", 0, budget(1, 3, only("/index.html"))});
        LoadSettings second = budget(2, 2, only("/missing.html"));
        second.keepAlive = false;
        plan.phases.push_back({"close", 0, second});
        const LoadReport r = run(plan);
        QCOMPARE(r.snapshot.phaseIndex, 1);
        QCOMPARE(QString::fromStdString(r.snapshot.phaseName), QStringLiteral("close"));
        QCOMPARE(r.snapshot.phaseStartNs.size(), std::size_t(2));
        QVERIFY(r.snapshot.phaseStartNs[0] <= r.snapshot.phaseStartNs[1]);
        QCOMPARE(r.snapshot.counts.status(2), std::uint64_t(3));
        QCOMPARE(r.snapshot.counts.status(4), std::uint64_t(4));
        QCOMPARE(r.snapshot.counts.connectionsOpened, std::uint64_t(5));
    }

    void stopFromAnotherThreadClosesEverything()
    {
        const std::size_t fdsBefore = openFdCount();
        LoadGenerator generator;
        LoadSettings s;
        s.clients = 8;
        s.slowReaders = 2;
        s.slowHeaders = 2;
        std::string error;
        QVERIFY2(generator.start(singlePhasePlan(urlFor(m_server->port()), s, 0), error), error.c_str());
        QVERIFY(waitUntil([&] { return generator.snapshot().counts.responses > 20; }));
        QVERIFY(generator.isRunning());
        std::thread stopper([&] { generator.stop(); });
        stopper.join();
        const LoadSnapshot snap = generator.snapshot();
        QVERIFY(snap.finished);
        QVERIFY(!snap.running);
        QCOMPARE(snap.inFlight, std::uint64_t(0));
        expectAccounted(snap.counts);
        // The in-process server closes its ends once it sees ours close.
        QVERIFY2(waitUntil([&] { return openFdCount() == fdsBefore; }),
                 qPrintable(QString("%1 fds open, %2 before").arg(openFdCount()).arg(fdsBefore)));
        generator.stop(); // twice is fine
    }
};

QTEST_GUILESS_MAIN(LoadGeneratorTest)
#include "tst_load_generator.moc"
