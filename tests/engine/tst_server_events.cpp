// The records the Server makes: each connection walks the seed's state machine exactly
// (Accepted -> ReadingHeaders -> FetchingFile -> WritingHeaders -> WritingBody -> (KeepAlive ->
// ...) -> Closed), one record per transition, with the arguments event_record.h documents; the
// loop's own records bracket everything and alternate as they should. Every test runs once per
// server model (event loop, blocking, thread per connection): they all record the same steps.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <map>
#include <memory>
#include <set>

using namespace loopscope;
using namespace loopscope::test;

Q_DECLARE_METATYPE(std::string)

namespace {

// One server with its own recorder, so a test sees every record from ServerStarted on.
struct Session {
    Recorder recorder;
    EventLog log{recorder};
    Server server{&recorder};
    ServerConfig config;
};

// "ConnectionAccepted(None->Accepted), BytesRead(Accepted->ReadingHeaders), ..." for the
// records of `recs` that change state.
std::string transitions(const std::vector<EventRecord>& recs)
{
    std::string s;
    for (const EventRecord& r : recs) {
        if (r.kind == EventKind::RequestText || r.from == r.to)
            continue;
        if (!s.empty())
            s += ", ";
        s += std::string(toString(r.kind)) + "(" + toString(r.from) + "->" + toString(r.to) + ")";
    }
    return s;
}

// The kinds of `recs` that belong to the seed's steps, in order (BytesRead, RequestText and
// BodyBytesWritten can repeat any number of times, so they are left out).
std::string mainKinds(const std::vector<EventRecord>& recs)
{
    static const std::set<EventKind> main = {
        EventKind::ConnectionAccepted, EventKind::RequestHeadersRead, EventKind::DiskReadStarted,
        EventKind::DiskReadDone,       EventKind::ResponseHeadersWritten, EventKind::BodyWritten,
        EventKind::KeepAlive,          EventKind::RequestRejected,    EventKind::TimedOut,
        EventKind::ConnectionClosed,   EventKind::FileCacheHit};
    std::string s;
    for (const EventRecord& r : recs) {
        if (!main.count(r.kind))
            continue;
        if (!s.empty())
            s += ", ";
        s += toString(r.kind);
    }
    return s;
}

// Records whose t_ns is the loop's clock at recording time (not text, not a worker's clock).
bool hasLoopTime(const EventRecord& r)
{
    return r.kind != EventKind::RequestText && r.kind != EventKind::DiskReadStarted
        && r.kind != EventKind::DiskReadDone;
}

const EventRecord* findKind(const std::vector<EventRecord>& recs, EventKind kind, int nth = 0)
{
    for (const EventRecord& r : recs)
        if (r.kind == kind && nth-- == 0)
            return &r;
    return nullptr;
}

// The texts carried by the RequestText records following each RequestHeadersRead.
std::vector<std::string> requestTexts(const std::vector<EventRecord>& recs, std::string* problem)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < recs.size(); ++i) {
        if (recs[i].kind != EventKind::RequestHeadersRead)
            continue;
        std::string text;
        std::size_t j = i + 1;
        for (; j < recs.size() && recs[j].kind == EventKind::RequestText; ++j) {
            text += textOf(recs[j]);
            if (recs[j].aux & kTextLast)
                break;
        }
        if (j >= recs.size() || recs[j].kind != EventKind::RequestText || !(recs[j].aux & kTextLast))
            *problem = "RequestText records after request " + std::to_string(out.size() + 1)
                + " missing or not ended by kTextLast";
        out.push_back(text);
    }
    return out;
}

} // namespace

class ServerEventsTest : public QObject {
    Q_OBJECT

public:
    explicit ServerEventsTest(ServerModel model) : m_model(model) {}

private slots:
    void initTestCase();

    void singleGetWithClose();
    void keepAliveTwoRequests();
    void requestTextSpellsTheTarget_data();
    void requestTextSpellsTheTarget();
    void rejectedRequest_data();
    void rejectedRequest();
    void notFound();
    void fileCacheHit();
    void waitersShareOneReadOfAFile();
    void bigCachedFilesAreSentFromThePageCache_data();
    void bigCachedFilesAreSentFromThePageCache();
    void loopRecordsAndInvariants();
    void serverRecordsCarryPortLimitAndCount();

private:
    std::unique_ptr<Session> startSession(bool fileCache = false);
    // Waits for the connection from `peerPort` to be accepted and closed in the log; returns
    // its records.
    std::vector<EventRecord> recordsOf(Session& s, std::uint16_t peerPort);
    void verifyPerConnectionInvariants(const std::vector<EventRecord>& recs);

    ServerModel m_model;
    QTemporaryDir m_dir;
    std::string m_root;
    std::map<std::string, std::string> m_files;
};

void ServerEventsTest::initTestCase()
{
    qInfo("server model: %s", toString(m_model));
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString();
    m_files = {{"a.txt", "event test file\n"},
               {"style.css", "p { margin: 0; }\n"},
               {"index.html", "<html>index</html>\n"},
               {"sixteen-chr.txt", "16\n"},
               {"seventeen-ch.txt", "17\n"},
               {"thirty-two-characters-name.txt", "33\n"},
               {std::string(39, 'x'), "40\n"},
               // Above FileCache::kInMemoryMaxBytes: cached as an open file, sent with sendfile.
               {"medium.bin", patternBytes(20'000, 7)},
               {"big.bin", patternBytes(300 * 1024, 8)}};
    for (const auto& [name, data] : m_files)
        QVERIFY(writeFile(m_root + "/" + name, data));
}

std::unique_ptr<Session> ServerEventsTest::startSession(bool fileCache)
{
    auto s = std::make_unique<Session>();
    s->config.model = m_model;
    s->config.root = m_root;
    s->config.port = 0;
    // Every request goes to a disk worker, so the seed's sequence is deterministic (the cache
    // path has its own test).
    s->config.fileCache = fileCache;
    s->config.fileCacheValidity = milliseconds(60'000);
    const StartResult started = s->server.start(s->config);
    if (!started.ok)
        qWarning("start failed: %s", started.error.c_str());
    return started.ok ? std::move(s) : nullptr;
}

std::vector<EventRecord> ServerEventsTest::recordsOf(Session& s, std::uint16_t peerPort)
{
    std::uint32_t conn = 0;
    s.log.waitFor([&](const EventRecord& r) {
        if (r.kind == EventKind::ConnectionAccepted && r.arg == peerPort)
            conn = r.conn;
        return conn != 0 && r.conn == conn && r.kind == EventKind::ConnectionClosed;
    });
    return conn ? s.log.forConnection(conn) : std::vector<EventRecord>{};
}

// Holds for every connection: accepted first, closed last, each transition starts where the
// previous one ended, timestamps never go back.
void ServerEventsTest::verifyPerConnectionInvariants(const std::vector<EventRecord>& recs)
{
    QVERIFY(!recs.empty());
    QCOMPARE(recs.front().kind, EventKind::ConnectionAccepted);
    QCOMPARE(recs.back().kind, EventKind::ConnectionClosed);
    QCOMPARE(recs.back().to, ConnectionState::Closed);
    ConnectionState state = ConnectionState::None;
    std::int64_t lastT = 0;
    for (const EventRecord& r : recs) {
        if (r.from != r.to) {
            QVERIFY2(r.from == state, ("transition does not start where the previous ended: "
                                       + describe(r) + describe(recs)).c_str());
            state = r.to;
        }
        if (hasLoopTime(r)) {
            QVERIFY2(r.t_ns >= lastT, ("timestamp went back at " + describe(r)).c_str());
            lastT = r.t_ns;
        }
    }
}

// ---------------------------------------------------------------------------------------------

void ServerEventsTest::singleGetWithClose()
{
    auto s = startSession();
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    QVERIFY(sendAll(fd.get(), get("/a.txt", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    QVERIFY(reader.waitForClose());

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    const std::string all = describe(recs);

    QCOMPARE(transitions(recs),
             std::string("ConnectionAccepted(None->Accepted), BytesRead(Accepted->ReadingHeaders), "
                         "RequestHeadersRead(ReadingHeaders->FetchingFile), "
                         "DiskReadDone(FetchingFile->WritingHeaders), "
                         "ResponseHeadersWritten(WritingHeaders->WritingBody), "
                         "ConnectionClosed(WritingBody->Closed)"));
    QCOMPARE(mainKinds(recs),
             std::string("ConnectionAccepted, RequestHeadersRead, DiskReadStarted, DiskReadDone, "
                         "ResponseHeadersWritten, BodyWritten, ConnectionClosed"));

    const std::uint64_t size = m_files["a.txt"].size();
    const EventRecord* accepted = findKind(recs, EventKind::ConnectionAccepted);
    QCOMPARE(accepted->arg, std::uint64_t(peerPort));
    QCOMPARE(accepted->aux, std::uint32_t(INADDR_LOOPBACK));
    const EventRecord* headers = findKind(recs, EventKind::RequestHeadersRead);
    QCOMPARE(headers->arg, std::uint64_t(1));
    QCOMPARE(headers->aux, std::uint32_t(HttpMethod::Get));
    std::string problem;
    QCOMPARE(requestTexts(recs, &problem), std::vector<std::string>{"/a.txt"});
    QVERIFY2(problem.empty(), (problem + all).c_str());

    const EventRecord* diskStart = findKind(recs, EventKind::DiskReadStarted);
    const EventRecord* diskDone = findKind(recs, EventKind::DiskReadDone);
    QCOMPARE(diskStart->arg, std::uint64_t(0)); // file offset
    QCOMPARE(diskDone->arg, size);
    QCOMPARE(diskDone->aux, std::uint32_t(0));
    const EventRecord* head = findKind(recs, EventKind::ResponseHeadersWritten);
    QCOMPARE(head->arg, std::uint64_t(200));
    QVERIFY(head->aux > 0); // header bytes
    QCOMPARE(findKind(recs, EventKind::BodyWritten)->arg, size);
    QCOMPARE(recs.back().arg, std::uint64_t(CloseReason::Done));

    // The disk span lies between the request and the response on the connection's lane.
    QVERIFY(headers->t_ns <= diskStart->t_ns);
    QVERIFY(diskStart->t_ns <= diskDone->t_ns);
    QVERIFY(diskDone->t_ns <= head->t_ns);

    // Every body byte sent is accounted for by BodyBytesWritten.
    std::uint64_t sent = 0;
    for (const EventRecord& rec : recs)
        if (rec.kind == EventKind::BodyBytesWritten)
            sent += rec.arg;
    QCOMPARE(sent, size);
}

void ServerEventsTest::keepAliveTwoRequests()
{
    auto s = startSession();
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    ResponseReader reader(fd.get());
    for (const char* target : {"/a.txt", "/style.css"}) {
        QVERIFY(sendAll(fd.get(), get(target)));
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
    }
    fd.reset(); // the client closes while the server waits in KeepAlive

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    const std::string oneRequest = "RequestHeadersRead(ReadingHeaders->FetchingFile), "
                                   "DiskReadDone(FetchingFile->WritingHeaders), "
                                   "ResponseHeadersWritten(WritingHeaders->WritingBody), "
                                   "BodyWritten(WritingBody->KeepAlive), ";
    QCOMPARE(transitions(recs),
             "ConnectionAccepted(None->Accepted), BytesRead(Accepted->ReadingHeaders), " + oneRequest
                 + "BytesRead(KeepAlive->ReadingHeaders), " + oneRequest
                 + "ConnectionClosed(KeepAlive->Closed)");
    const std::string oneMain = "RequestHeadersRead, DiskReadStarted, DiskReadDone, "
                                "ResponseHeadersWritten, BodyWritten, KeepAlive, ";
    QCOMPARE(mainKinds(recs), "ConnectionAccepted, " + oneMain + oneMain + "ConnectionClosed");

    QCOMPARE(findKind(recs, EventKind::RequestHeadersRead, 0)->arg, std::uint64_t(1));
    QCOMPARE(findKind(recs, EventKind::RequestHeadersRead, 1)->arg, std::uint64_t(2));
    QCOMPARE(findKind(recs, EventKind::KeepAlive, 0)->arg, std::uint64_t(1));
    QCOMPARE(findKind(recs, EventKind::KeepAlive, 1)->arg, std::uint64_t(2));
    QCOMPARE(findKind(recs, EventKind::BodyWritten, 0)->arg, std::uint64_t(m_files["a.txt"].size()));
    QCOMPARE(findKind(recs, EventKind::BodyWritten, 1)->arg, std::uint64_t(m_files["style.css"].size()));
    std::string problem;
    QCOMPARE(requestTexts(recs, &problem), (std::vector<std::string>{"/a.txt", "/style.css"}));
    QVERIFY2(problem.empty(), problem.c_str());
    QCOMPARE(recs.back().arg, std::uint64_t(CloseReason::PeerClosed));
}

void ServerEventsTest::requestTextSpellsTheTarget_data()
{
    QTest::addColumn<std::string>("target");
    QTest::newRow("root, 1 byte") << std::string("/");
    QTest::newRow("6 bytes") << std::string("/a.txt");
    QTest::newRow("16 bytes, one full record") << std::string("/sixteen-chr.txt");
    QTest::newRow("17 bytes, two records") << std::string("/seventeen-ch.txt");
    QTest::newRow("31 bytes") << std::string("/thirty-two-characters-name.txt");
    QTest::newRow("40 bytes, three records") << "/" + std::string(39, 'x');
}

void ServerEventsTest::requestTextSpellsTheTarget()
{
    QFETCH(std::string, target);
    auto s = startSession();
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    QVERIFY(sendAll(fd.get(), get(target, {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    std::string problem;
    QCOMPARE(requestTexts(recs, &problem), std::vector<std::string>{target});
    QVERIFY2(problem.empty(), (problem + describe(recs)).c_str());
    // Each piece is full (16 bytes) except the last, which carries kTextLast.
    int pieces = 0;
    for (const EventRecord& rec : recs)
        if (rec.kind == EventKind::RequestText)
            ++pieces;
    QCOMPARE(pieces, int((target.size() + kTextBytesPerRecord - 1) / kTextBytesPerRecord));
}

void ServerEventsTest::rejectedRequest_data()
{
    QTest::addColumn<std::string>("request");
    QTest::addColumn<int>("status");
    QTest::newRow("unknown method") << httpRequest("FOO", "/a.txt") << 501;
    QTest::newRow("HTTP/1.1 without Host") << httpRequest("GET", "/a.txt", {}, "HTTP/1.1", false) << 400;
    QTest::newRow("POST") << httpRequest("POST", "/a.txt", {"Content-Length: 0"}) << 405;
    QTest::newRow("request line over 8 KiB") << get("/" + std::string(9000, 'a')) << 414;
    QTest::newRow("HTTP/2.0") << httpRequest("GET", "/a.txt", {}, "HTTP/2.0") << 505;
}

void ServerEventsTest::rejectedRequest()
{
    QFETCH(std::string, request);
    QFETCH(int, status);
    auto s = startSession();
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    sendAll(fd.get(), request);
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, status);
    // Like a real client: see the server's close, then close too (the server lingers, reading,
    // until it does).
    QVERIFY(reader.waitForClose());
    fd.reset();

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    QCOMPARE(transitions(recs),
             std::string("ConnectionAccepted(None->Accepted), BytesRead(Accepted->ReadingHeaders), "
                         "RequestRejected(ReadingHeaders->WritingHeaders), "
                         "ResponseHeadersWritten(WritingHeaders->WritingBody), "
                         "ConnectionClosed(WritingBody->Closed)"));
    QCOMPARE(findKind(recs, EventKind::RequestRejected)->arg, std::uint64_t(status));
    QCOMPARE(findKind(recs, EventKind::ResponseHeadersWritten)->arg, std::uint64_t(status));
    QVERIFY(!findKind(recs, EventKind::RequestHeadersRead));
    QVERIFY(!findKind(recs, EventKind::DiskReadStarted));
    QCOMPARE(recs.back().arg, std::uint64_t(CloseReason::Rejected));
}

void ServerEventsTest::notFound()
{
    auto s = startSession();
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    QVERIFY(sendAll(fd.get(), get("/missing.txt", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 404);
    QVERIFY(reader.waitForClose());
    fd.reset();

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    const std::string all = describe(recs);
    const EventRecord* done = findKind(recs, EventKind::DiskReadDone);
    QVERIFY2(done, all.c_str());
    QCOMPARE(done->aux, std::uint32_t(ENOENT));
    QCOMPARE(done->from, ConnectionState::FetchingFile);
    QCOMPARE(done->to, ConnectionState::WritingHeaders);
    const EventRecord* head = findKind(recs, EventKind::ResponseHeadersWritten);
    QVERIFY2(head, all.c_str());
    QCOMPARE(head->arg, std::uint64_t(404));
    QVERIFY2(done < head, "DiskReadDone must come before ResponseHeadersWritten");
    // The request asked to close. Whether closing after a 404 counts as Done or Rejected ("after
    // an error response") is the engine's call; either is accepted.
    QVERIFY2(recs.back().arg == std::uint64_t(CloseReason::Done)
                 || recs.back().arg == std::uint64_t(CloseReason::Rejected),
             describe(recs.back()).c_str());
}

void ServerEventsTest::fileCacheHit()
{
    if (m_model != ServerModel::EventLoop)
        QSKIP("only the event loop has an open-file cache");
    auto s = startSession(true);
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    ResponseReader reader(fd.get());
    // The first request reads the file on a disk worker, the second is served from the cache.
    for (const char* connection : {"Connection: keep-alive", "Connection: close"}) {
        QVERIFY(sendAll(fd.get(), get("/a.txt", {connection})));
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, m_files["a.txt"]);
    }

    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    const std::string oneMain = "ResponseHeadersWritten, BodyWritten, ";
    QCOMPARE(mainKinds(recs),
             "ConnectionAccepted, RequestHeadersRead, DiskReadStarted, DiskReadDone, " + oneMain
                 + "KeepAlive, RequestHeadersRead, FileCacheHit, " + oneMain + "ConnectionClosed");
    const EventRecord* hit = findKind(recs, EventKind::FileCacheHit);
    QCOMPARE(hit->from, ConnectionState::FetchingFile);
    QCOMPARE(hit->to, ConnectionState::WritingHeaders);
    QCOMPARE(hit->arg, std::uint64_t(m_files["a.txt"].size()));
}

// Requests for one file that arrive while a disk worker is reading it into the cache wait for
// that read and are served from the cache: one disk read for all of them. The loop is paused
// while the clients connect and ask, so that it takes every request in one go on resuming.
void ServerEventsTest::waitersShareOneReadOfAFile()
{
    if (m_model != ServerModel::EventLoop)
        QSKIP("only the event loop has an open-file cache");
    auto s = startSession(true);
    QVERIFY(s);
    QVERIFY(s->server.setStepMode(true).empty());
    QVERIFY(s->log.waitFor([](const EventRecord& r) { return r.kind == EventKind::LoopPaused; }));
    constexpr int kClients = 12;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back(connectLoopback(s->server.port()));
        QVERIFY(clients.back().valid());
        // A HEAD and a range among them: they wait too, and are answered from the cached file.
        const std::string request = i == 5 ? httpRequest("HEAD", "/medium.bin", {"Connection: close"})
                                  : i == 7 ? get("/medium.bin", {"Range: bytes=10-19", "Connection: close"})
                                           : get("/medium.bin", {"Connection: close"});
        QVERIFY(sendAll(clients.back().get(), request));
    }
    QVERIFY(s->server.setStepMode(false).empty());
    const std::string& file = m_files["medium.bin"];
    for (int i = 0; i < kClients; ++i) {
        ResponseReader reader(clients[std::size_t(i)].get());
        HttpResponse r;
        QCOMPARE(i == 5 ? reader.readHead(r) : reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, i == 7 ? 206 : 200);
        if (i != 5)
            QVERIFY2(r.body == (i == 7 ? file.substr(10, 10) : file), qPrintable(QString("client %1's body differs").arg(i)));
    }
    QVERIFY(s->log.waitFor([&](const EventRecord&) {
        return std::count_if(s->log.records().begin(), s->log.records().end(),
                             [](const EventRecord& r) { return r.kind == EventKind::ConnectionClosed; }) >= kClients;
    }));
    const auto count = [&](EventKind kind) {
        return std::count_if(s->log.records().begin(), s->log.records().end(),
                             [&](const EventRecord& r) { return r.kind == kind; });
    };
    QCOMPARE(count(EventKind::DiskReadStarted), 1);
    QCOMPARE(count(EventKind::FileCacheHit), kClients - 1);
    for (const Fd& client : clients)
        verifyPerConnectionInvariants(recordsOf(*s, localPort(client.get())));
}

void ServerEventsTest::bigCachedFilesAreSentFromThePageCache_data()
{
    QTest::addColumn<std::string>("name");
    QTest::addColumn<int>("diskReads"); // the first response's chunks
    QTest::newRow("20,000 bytes, read whole") << std::string("medium.bin") << 1;
    QTest::newRow("300 KiB, read in two chunks") << std::string("big.bin") << 2;
}

// A file too big to keep in memory is kept open: the second request is a cache hit whose body
// leaves through sendfile, byte for byte the file, ranges included; a client that resets while
// such a body is being sent costs its connection only (no SIGPIPE kills the process).
void ServerEventsTest::bigCachedFilesAreSentFromThePageCache()
{
    if (m_model != ServerModel::EventLoop)
        QSKIP("only the event loop has an open-file cache");
    QFETCH(std::string, name);
    QFETCH(int, diskReads);
    const std::string& file = m_files[name];
    auto s = startSession(true);
    QVERIFY(s);
    Fd fd(connectLoopback(s->server.port()));
    QVERIFY(fd.valid());
    const std::uint16_t peerPort = localPort(fd.get());
    ResponseReader reader(fd.get());
    const std::vector<std::string> requests = {get("/" + name), get("/" + name),
                                               get("/" + name, {"Range: bytes=1000-2999", "Connection: close"})};
    const std::vector<std::string> bodies = {file, file, file.substr(1000, 2000)};
    for (std::size_t i = 0; i < requests.size(); ++i) {
        QVERIFY(sendAll(fd.get(), requests[i]));
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, i < 2 ? 200 : 206);
        QVERIFY2(r.body == bodies[i], qPrintable(QString("response %1's body differs").arg(i + 1)));
    }
    const std::vector<EventRecord> recs = recordsOf(*s, peerPort);
    verifyPerConnectionInvariants(recs);
    const auto count = [&](EventKind kind) {
        return std::count_if(recs.begin(), recs.end(), [&](const EventRecord& r) { return r.kind == kind; });
    };
    QCOMPARE(count(EventKind::FileCacheHit), 2);
    QCOMPARE(count(EventKind::DiskReadStarted), diskReads); // the hits read nothing
    QCOMPARE(findKind(recs, EventKind::FileCacheHit)->arg, std::uint64_t(file.size()));

    // Clients that go away while their body is being sent: with a reset, with a plain close
    // after the head, or at once after asking (the server then writes into a socket that answers
    // with a reset, and its next send fails with EPIPE, which raises SIGPIPE for sendfile).
    for (int i = 0; i < 30; ++i) {
        Fd slow(connectLoopback(s->server.port(), 4096));
        QVERIFY(slow.valid());
        QVERIFY(sendAll(slow.get(), get("/" + name) + get("/" + name)));
        if (i % 3 == 2)
            continue;
        ResponseReader slowReader(slow.get());
        HttpResponse head;
        QCOMPARE(slowReader.readHead(head), ReadResult::Ok);
        QCOMPARE(head.status, 200);
        if (i % 3 == 0) {
            const linger reset{1, 0}; // close() sends RST while the server still has bytes to send
            QVERIFY(::setsockopt(slow.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) == 0);
        }
    }
    Fd after(connectLoopback(s->server.port()));
    QVERIFY(after.valid());
    QVERIFY(sendAll(after.get(), get("/" + name, {"Connection: close"})));
    ResponseReader afterReader(after.get());
    HttpResponse r;
    QCOMPARE(afterReader.read(r), ReadResult::Ok);
    QVERIFY(r.body == file);
}

void ServerEventsTest::loopRecordsAndInvariants()
{
    // The blocking server would serve the half-sent request first and leave the other client
    // waiting (tst_server_models checks that); the threads' records interleave with the
    // acceptor's polls by design.
    if (m_model != ServerModel::EventLoop)
        QSKIP("interleaved connections on one loop: the event loop's own check");
    auto s = startSession();
    QVERIFY(s);
    const std::uint16_t port = s->server.port();

    // Interleaved connections: a half-sent request, a keep-alive client, a 404, a HEAD.
    Fd slow(connectLoopback(port)), busy(connectLoopback(port));
    QVERIFY(slow.valid() && busy.valid());
    QVERIFY(sendAll(slow.get(), "GET /a.txt HTTP/1.1\r\nHost: local"));
    ResponseReader busyReader(busy.get());
    for (const char* target : {"/a.txt", "/", "/missing"}) {
        QVERIFY(sendAll(busy.get(), get(target)));
        HttpResponse r;
        QCOMPARE(busyReader.read(r), ReadResult::Ok);
    }
    QVERIFY(sendAll(slow.get(), "host\r\nConnection: close\r\n\r\n"));
    ResponseReader slowReader(slow.get());
    HttpResponse r;
    QCOMPARE(slowReader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    QCOMPARE(fetch(port, httpRequest("HEAD", "/a.txt", {"Connection: close"}), r, true), ReadResult::Ok);
    busy.reset();
    slow.reset();
    s->server.stop();

    const std::vector<EventRecord>& all = s->log.drain();
    QVERIFY(all.size() > 2);
    QCOMPARE(all.front().kind, EventKind::ServerStarted);
    QCOMPARE(all.front().arg, std::uint64_t(port));
    QCOMPARE(all.back().kind, EventKind::ServerStopped);
    QCOMPARE(s->recorder.droppedTotal(), std::uint64_t(0));

    // The loop's polls alternate Begin, End, Begin, End ...; loop timestamps never go back.
    bool inPoll = false;
    std::int64_t lastT = 0;
    std::map<std::uint32_t, std::vector<EventRecord>> byConn;
    for (const EventRecord& rec : all) {
        QVERIFY2(rec.kind != EventKind::RecordsDropped && rec.kind != EventKind::ServerFailed,
                 describe(rec).c_str());
        if (rec.kind == EventKind::ServerStarted || rec.kind == EventKind::ServerStopped)
            QVERIFY(&rec == &all.front() || &rec == &all.back());
        if (rec.kind == EventKind::LoopPollBegin) {
            QVERIFY2(!inPoll, "two LoopPollBegin without LoopPollEnd");
            inPoll = true;
        } else if (rec.kind == EventKind::LoopPollEnd) {
            QVERIFY2(inPoll, "LoopPollEnd without LoopPollBegin");
            inPoll = false;
        } else {
            // The loop is the only producer, and it is blocked in epoll_wait while polling.
            QVERIFY2(!inPoll, ("a record made while the loop was polling: " + describe(rec)).c_str());
        }
        if (hasLoopTime(rec)) {
            QVERIFY2(rec.t_ns >= lastT, ("timestamp went back at " + describe(rec)).c_str());
            lastT = rec.t_ns;
        }
        if (rec.conn != 0)
            byConn[rec.conn].push_back(rec);
    }
    QVERIFY2(!inPoll, "the last LoopPollBegin has no LoopPollEnd");

    QCOMPARE(byConn.size(), std::size_t(3));
    for (const auto& [conn, recs] : byConn) {
        verifyPerConnectionInvariants(recs);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(std::count_if(recs.begin(), recs.end(),
                               [](const EventRecord& x) { return x.kind == EventKind::ConnectionAccepted; }),
                 std::ptrdiff_t(1));
    }
}

void ServerEventsTest::serverRecordsCarryPortLimitAndCount()
{
    auto s = std::make_unique<Session>();
    s->config.model = m_model;
    s->config.root = m_root;
    s->config.port = 0;
    s->config.maxConnections = 123;
    const StartResult started = s->server.start(s->config);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = s->server.port();
    Fd open1(connectLoopback(port)), open2(connectLoopback(port));
    QVERIFY(open1.valid() && open2.valid());
    // The blocking server holds one connection; the second waits in the listen backlog.
    const std::uint64_t held = m_model == ServerModel::Blocking ? 1 : 2;
    QVERIFY(waitUntil([&] { return s->server.stats().activeConnections == held; }));
    s->server.stop();

    const std::vector<EventRecord>& all = s->log.drain();
    QVERIFY(all.size() >= 2);
    QCOMPARE(all.front().kind, EventKind::ServerStarted);
    QCOMPARE(all.front().arg, std::uint64_t(port));
    QCOMPARE(all.back().kind, EventKind::ServerStopped);
    QCOMPARE(all.back().arg, held); // connections closed by the stop
    QCOMPARE(all.front().aux, std::uint32_t(123)); // max connections
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int failures = 0;
    for (ServerModel model : {ServerModel::EventLoop, ServerModel::Blocking, ServerModel::Threads}) {
        ServerEventsTest test(model);
        failures += QTest::qExec(&test, argc, argv);
    }
    return failures;
}
#include "tst_server_events.moc"
