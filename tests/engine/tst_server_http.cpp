// HTTP behaviour of the Server over real loopback sockets: responses and their headers,
// keep-alive and pipelining, directories, ranges, conditional requests, bad input (status, then
// close, and everyone else is still served) and large files (exact bytes, bounded memory, no
// busy loop while a client reads slowly).
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/time.h>

#include <cmath>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

using namespace loopscope;
using namespace loopscope::test;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<std::string>)

namespace {

constexpr std::uint64_t kHundredSize = 100;
constexpr std::size_t kBigSize = 4u << 20;
constexpr std::uint64_t kGiB = 1ull << 30;
constexpr std::time_t kDatedMtime = 1577836800; // 2020-01-01 00:00:00 GMT

// The kernel's struct tcp_info goes on past glibc's (<netinet/tcp.h> stops at
// tcpi_total_retrans; <linux/tcp.h> cannot be included beside it). These fields follow it, as
// <linux/tcp.h> lays them out since Linux 4.6.
struct TcpInfoWithSegments {
    tcp_info glibc;
    std::uint64_t pacingRate, maxPacingRate, bytesAcked, bytesReceived;
    std::uint32_t segsOut, segsIn, notsentBytes, minRtt, dataSegsIn, dataSegsOut;
};
static_assert(sizeof(tcp_info) == 104, "glibc's tcp_info is the kernel's first 104 bytes");

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") strictly.
std::optional<std::time_t> parseImfDate(const std::string& s)
{
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0' || s.size() != 29)
        return std::nullopt;
    return ::timegm(&tm);
}

// The media type of a Content-Type value, lower-cased, without parameters.
std::string mediaType(std::string v)
{
    v = v.substr(0, v.find(';'));
    while (!v.empty() && v.back() == ' ')
        v.pop_back();
    for (char& c : v)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return v;
}

QByteArray bytes(const std::string& s)
{
    return QByteArray(s.data(), qsizetype(s.size()));
}

} // namespace

class ServerHttpTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void getFile_data();
    void getFile();
    void headHasHeadersButNoBody();
    void headThenClose();
    void keepAlive_data();
    void keepAlive();
    void pipelinedRequestsAnsweredInOrder();
    void manyPipelinedRequestsWithBackpressure();
    void concurrentConnections();
    void requestFedOneByteAtATime_data();
    void requestFedOneByteAtATime();
    void absoluteForm_data();
    void absoluteForm();
    void paths_data();
    void paths();
    void ranges_data();
    void ranges();
    void rangesOnLargeFile_data();
    void rangesOnLargeFile();
    void ifModifiedSince_data();
    void ifModifiedSince();
    void badInput_data();
    void badInput();
    void requestBodyIsSkipped_data();
    void requestBodyIsSkipped();
    void toleratedInput_data();
    void toleratedInput();
    void configuredLimitsAreUsed();
    void halfClosedClientIsStillAnswered();
    void closingResponseCarriesTheFin();
    void clientResetMidTransfer();
    void largeFileByteExact();
    void sparseGigabyteWithBoundedMemory();
    void slowReaderDoesNotBusyLoop();

private:
    std::string path(const std::string& rel) const { return m_root + "/" + rel; }
    void addFile(const std::string& rel, const std::string& content);
    std::string content(const std::string& rel) const;
    // A normal request on a new connection is answered (the server still serves everyone).
    void verifyStillServing();

    QTemporaryDir m_dir;
    std::string m_root;
    std::map<std::string, std::string> m_files;
    Recorder m_recorder{1u << 12}; // small: these tests do not read records, drops are fine
    std::unique_ptr<Server> m_server;
    std::uint16_t m_port = 0;
};

void ServerHttpTest::addFile(const std::string& rel, const std::string& data)
{
    QVERIFY2(writeFile(path(rel), data), rel.c_str());
    m_files[rel] = data;
}

std::string ServerHttpTest::content(const std::string& rel) const
{
    const auto it = m_files.find(rel);
    return it == m_files.end() ? std::string() : it->second;
}

void ServerHttpTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString();
    QVERIFY(std::filesystem::create_directories(path("dir")));
    QVERIFY(std::filesystem::create_directories(path("noindex")));
    addFile("a.txt", "Hello from loopscope.\n");
    addFile("index.html", "<html><body>root index</body></html>\n");
    addFile("dir/index.html", "<html><body>dir index</body></html>\n");
    addFile("noindex/other.txt", "not an index\n");
    addFile("style.css", "body { color: black; }\n");
    addFile("app.js", "console.log('hi');\n");
    addFile("data.json", "{\"a\": 1}\n");
    addFile("image.png", patternBytes(300, 1));
    addFile("photo.jpg", patternBytes(200, 2));
    addFile("icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    addFile("notes.unknownext", "what am I\n");
    addFile("noext", "no extension\n");
    addFile("UPPER.TXT", "upper case extension\n");
    addFile("with space.txt", "a space in the name\n");
    addFile("caf\xc3\xa9.txt", "UTF-8 name\n");
    addFile("empty.txt", "");
    addFile("hundred.txt", QByteArray("0123456789").repeated(10).toStdString());
    addFile("dated.txt", "dated content\n");
    addFile("big.bin", patternBytes(kBigSize, 3));
    addFile("medium.bin", patternBytes(20000, 4));
    const timeval times[2] = {{kDatedMtime, 0}, {kDatedMtime, 0}};
    QVERIFY(::utimes(path("dated.txt").c_str(), times) == 0);

    m_server = std::make_unique<Server>(&m_recorder);
    ServerConfig config;
    config.root = m_root;
    config.port = 0;
    const StartResult started = m_server->start(config);
    QVERIFY2(started.ok, started.error.c_str());
    m_port = m_server->port();
    QVERIFY(m_port != 0);
}

void ServerHttpTest::cleanupTestCase()
{
    if (m_server)
        m_server->stop();
}

void ServerHttpTest::verifyStillServing()
{
    HttpResponse r;
    const ReadResult res = fetch(m_port, get("/a.txt", {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, content("a.txt"));
}

// ---------------------------------------------------------------------------------------------

void ServerHttpTest::getFile_data()
{
    QTest::addColumn<std::string>("file");
    QTest::addColumn<QString>("types"); // accepted media types, '|'-separated

    QTest::newRow("txt") << std::string("a.txt") << "text/plain";
    QTest::newRow("html") << std::string("index.html") << "text/html";
    QTest::newRow("css") << std::string("style.css") << "text/css";
    QTest::newRow("js") << std::string("app.js") << "text/javascript|application/javascript";
    QTest::newRow("json") << std::string("data.json") << "application/json";
    QTest::newRow("png") << std::string("image.png") << "image/png";
    QTest::newRow("jpg") << std::string("photo.jpg") << "image/jpeg";
    QTest::newRow("svg") << std::string("icon.svg") << "image/svg+xml";
    QTest::newRow("unknown extension") << std::string("notes.unknownext") << "application/octet-stream";
    QTest::newRow("no extension") << std::string("noext") << "application/octet-stream";
    QTest::newRow("upper-case extension") << std::string("UPPER.TXT") << "text/plain";
    QTest::newRow("empty file") << std::string("empty.txt") << "text/plain";
}

void ServerHttpTest::getFile()
{
    QFETCH(std::string, file);
    QFETCH(QString, types);

    HttpResponse r;
    const ReadResult res = fetch(m_port, get("/" + file, {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QVERIFY2(types.split('|').contains(QString::fromStdString(mediaType(r.header("Content-Type")))),
             r.header("Content-Type").c_str());
    QCOMPARE(r.header("Content-Length"), std::to_string(content(file).size()));
    QCOMPARE(r.headerCount("Content-Length"), 1);
    QVERIFY2(bytes(r.body) == bytes(content(file)), "body differs from the file");

    // Date: a valid IMF-fixdate near now (generous: only catches a wrong format or epoch 0).
    const auto date = parseImfDate(r.header("Date"));
    QVERIFY2(date.has_value(), r.header("Date").c_str());
    QVERIFY(std::abs(double(*date - std::time(nullptr))) < 3600);

    // Last-Modified: exactly the file's mtime, in seconds.
    struct stat st{};
    QVERIFY(::stat(path(file).c_str(), &st) == 0);
    const auto lastModified = parseImfDate(r.header("Last-Modified"));
    QVERIFY2(lastModified.has_value(), r.header("Last-Modified").c_str());
    QCOMPARE(qint64(*lastModified), qint64(st.st_mtime));

    QVERIFY(!r.header("Server").empty());
}

void ServerHttpTest::headHasHeadersButNoBody()
{
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    // HEAD then GET on one connection: if HEAD sent any body byte, the GET's response would be
    // misparsed.
    QVERIFY(sendAll(fd.get(), httpRequest("HEAD", "/a.txt") + get("/a.txt")));
    HttpResponse head, body;
    QCOMPARE(reader.read(head, true), ReadResult::Ok);
    QCOMPARE(reader.read(body), ReadResult::Ok);

    QCOMPARE(head.status, 200);
    QCOMPARE(body.status, 200);
    QVERIFY(head.body.empty());
    QCOMPARE(body.body, content("a.txt"));
    for (const char* name : {"Content-Type", "Content-Length", "Last-Modified", "Server"})
        QVERIFY2(head.header(name) == body.header(name), name);
    QVERIFY(!head.header("Date").empty());
}

void ServerHttpTest::headThenClose()
{
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    QVERIFY(sendAll(fd.get(), httpRequest("HEAD", "/big.bin", {"Connection: close"})));
    HttpResponse head;
    QCOMPARE(reader.read(head, true), ReadResult::Ok);
    QCOMPARE(head.status, 200);
    QCOMPARE(head.header("Content-Length"), std::to_string(kBigSize));
    QVERIFY(reader.waitForClose());
    QVERIFY2(reader.buffered().empty(), "bytes after a HEAD response");
}

void ServerHttpTest::keepAlive_data()
{
    QTest::addColumn<std::string>("version");
    QTest::addColumn<std::string>("connection"); // a Connection header line, or empty
    QTest::addColumn<bool>("staysOpen");

    QTest::newRow("1.1 default keeps alive") << std::string("HTTP/1.1") << std::string() << true;
    QTest::newRow("1.1 Connection: close closes")
        << std::string("HTTP/1.1") << std::string("Connection: close") << false;
    QTest::newRow("1.1 Connection: CLOSE (case-insensitive) closes")
        << std::string("HTTP/1.1") << std::string("Connection: CLOSE") << false;
    QTest::newRow("1.0 default closes") << std::string("HTTP/1.0") << std::string() << false;
    QTest::newRow("1.0 Connection: keep-alive keeps alive")
        << std::string("HTTP/1.0") << std::string("Connection: keep-alive") << true;
}

void ServerHttpTest::keepAlive()
{
    QFETCH(std::string, version);
    QFETCH(std::string, connection);
    QFETCH(bool, staysOpen);

    std::vector<std::string> headers;
    if (!connection.empty())
        headers.push_back(connection);
    const std::string request = httpRequest("GET", "/a.txt", headers, version);

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    QVERIFY(sendAll(fd.get(), request));
    HttpResponse first;
    QCOMPARE(reader.read(first), ReadResult::Ok);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.body, content("a.txt"));
    QCOMPARE(first.closes(), !staysOpen);

    if (!staysOpen) {
        QVERIFY2(reader.waitForClose(), "the server kept the connection open");
        QVERIFY(reader.buffered().empty());
        return;
    }
    // The second request on the same socket is answered too.
    QVERIFY(sendAll(fd.get(), request));
    HttpResponse second;
    QCOMPARE(reader.read(second), ReadResult::Ok);
    QCOMPARE(second.status, 200);
    QCOMPARE(second.body, content("a.txt"));
}

void ServerHttpTest::pipelinedRequestsAnsweredInOrder()
{
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    // One send() carrying three requests, the middle one a HEAD (no body to frame).
    const std::string three = get("/a.txt") + httpRequest("HEAD", "/style.css")
        + get("/dir/", {"Connection: close"});
    QVERIFY(sendAll(fd.get(), three));

    HttpResponse r1, r2, r3;
    QCOMPARE(reader.read(r1), ReadResult::Ok);
    QCOMPARE(reader.read(r2, true), ReadResult::Ok);
    QCOMPARE(reader.read(r3), ReadResult::Ok);
    QCOMPARE(r1.status, 200);
    QCOMPARE(r1.body, content("a.txt"));
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.header("Content-Length"), std::to_string(content("style.css").size()));
    QCOMPARE(r3.status, 200);
    QCOMPARE(r3.body, content("dir/index.html"));
    QVERIFY(reader.waitForClose());
    QVERIFY2(reader.buffered().empty(), "more than three responses");
}

void ServerHttpTest::manyPipelinedRequestsWithBackpressure()
{
    // 200 requests sent before reading anything: the ~4 MB of responses fill the socket
    // buffers, so the server must stop, wait for EPOLLOUT, and go on with the requests it
    // already holds, in order.
    constexpr int kCount = 200;
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    std::string all;
    for (int i = 0; i < kCount; ++i)
        all += get(i % 2 ? "/medium.bin" : "/a.txt", {"X-Request: " + std::to_string(i)});
    QVERIFY(sendAll(fd.get(), all));
    QVERIFY(sendAll(fd.get(), get("/index.html", {"Connection: close"})));

    ResponseReader reader(fd.get());
    for (int i = 0; i < kCount; ++i) {
        HttpResponse r;
        const ReadResult res = reader.read(r);
        QVERIFY2(res == ReadResult::Ok, qPrintable(QString("response %1: %2").arg(i).arg(toString(res))));
        QCOMPARE(r.status, 200);
        QVERIFY2(r.body == content(i % 2 ? "medium.bin" : "a.txt"),
                 qPrintable(QString("response %1 has the wrong body").arg(i)));
    }
    HttpResponse last;
    QCOMPARE(reader.read(last), ReadResult::Ok);
    QCOMPARE(last.body, content("index.html"));
    QVERIFY(reader.waitForClose());
    QVERIFY(reader.buffered().empty());
}

void ServerHttpTest::concurrentConnections()
{
    // 50 clients at once, each sending its first request before anyone reads, then each a
    // second one on the same connection: the loop serves them all interleaved.
    constexpr int kClients = 50;
    std::vector<Fd> fds;
    std::vector<std::unique_ptr<ResponseReader>> readers;
    for (int i = 0; i < kClients; ++i) {
        fds.emplace_back(connectLoopback(m_port));
        QVERIFY(fds.back().valid());
        readers.push_back(std::make_unique<ResponseReader>(fds.back().get()));
        QVERIFY(sendAll(fds.back().get(), get(i % 2 ? "/medium.bin" : "/style.css")));
    }
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < kClients; ++i) {
            HttpResponse r;
            QCOMPARE(readers[i]->read(r), ReadResult::Ok);
            QCOMPARE(r.status, 200);
            QVERIFY(r.body == content(i % 2 ? "medium.bin" : "style.css"));
            if (round == 0)
                QVERIFY(sendAll(fds[i].get(), get(i % 2 ? "/medium.bin" : "/style.css")));
        }
    }
}

void ServerHttpTest::requestFedOneByteAtATime_data()
{
    QTest::addColumn<int>("requests");
    QTest::newRow("one request") << 1;
    QTest::newRow("two pipelined requests") << 2;
}

void ServerHttpTest::requestFedOneByteAtATime()
{
    QFETCH(int, requests);
    const std::string one = get("/a.txt", {"User-Agent: loopscope-test", "Accept: */*"});
    std::string all;
    for (int i = 0; i < requests; ++i)
        all += one;

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    QVERIFY(sendByteByByte(fd.get(), all));
    ResponseReader reader(fd.get());
    for (int i = 0; i < requests; ++i) {
        HttpResponse r;
        QCOMPARE(reader.read(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, content("a.txt"));
    }
}

void ServerHttpTest::absoluteForm_data()
{
    QTest::addColumn<std::string>("target");
    QTest::addColumn<std::string>("file");
    QTest::newRow("file") << std::string("http://localhost/a.txt") << std::string("a.txt");
    QTest::newRow("with port") << std::string("http://localhost:8080/a.txt") << std::string("a.txt");
    QTest::newRow("directory") << std::string("http://localhost/dir/") << std::string("dir/index.html");
}

void ServerHttpTest::absoluteForm()
{
    QFETCH(std::string, target);
    QFETCH(std::string, file);
    HttpResponse r;
    const ReadResult res = fetch(m_port, get(target, {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, content(file));
}

void ServerHttpTest::paths_data()
{
    QTest::addColumn<std::string>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<std::string>("location"); // expected Location for 301
    QTest::addColumn<std::string>("file");     // expected body for 200

    const std::string none;
    QTest::newRow("root serves index.html") << std::string("/") << 200 << none << std::string("index.html");
    QTest::newRow("dir/ serves dir/index.html")
        << std::string("/dir/") << 200 << none << std::string("dir/index.html");
    QTest::newRow("dir without slash redirects") << std::string("/dir") << 301 << std::string("/dir/") << none;
    QTest::newRow("directory without index.html") << std::string("/noindex/") << 403 << none << none;
    QTest::newRow("missing file") << std::string("/missing.txt") << 404 << none << none;
    QTest::newRow("missing file in a directory") << std::string("/dir/missing.txt") << 404 << none << none;
    QTest::newRow("missing directory") << std::string("/nodir/") << 404 << none << none;
    QTest::newRow("file with a trailing slash") << std::string("/a.txt/") << 404 << none << none;
    QTest::newRow("query string ignored") << std::string("/a.txt?v=1&x=2") << 200 << none << std::string("a.txt");
    QTest::newRow("percent-encoded space") << std::string("/with%20space.txt") << 200 << none
                                           << std::string("with space.txt");
    QTest::newRow("percent-encoded UTF-8 name") << std::string("/caf%C3%A9.txt") << 200 << none
                                                << std::string("caf\xc3\xa9.txt");
    QTest::newRow("duplicate slashes merged") << std::string("//dir//index.html") << 200 << none
                                              << std::string("dir/index.html");
}

void ServerHttpTest::paths()
{
    QFETCH(std::string, target);
    QFETCH(int, status);
    QFETCH(std::string, location);
    QFETCH(std::string, file);

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    QVERIFY(sendAll(fd.get(), get(target)));
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, status);
    if (status == 301)
        QCOMPARE(r.header("Location"), location);
    if (status == 200)
        QCOMPARE(r.body, content(file));
    // Not a framing error: unless the server said it closes, the connection stays usable.
    if (r.closes()) {
        QVERIFY(reader.waitForClose());
        return;
    }
    QVERIFY(sendAll(fd.get(), get("/a.txt")));
    HttpResponse next;
    QCOMPARE(reader.read(next), ReadResult::Ok);
    QCOMPARE(next.status, 200);
}

void ServerHttpTest::ranges_data()
{
    QTest::addColumn<std::string>("range");
    QTest::addColumn<int>("status");
    QTest::addColumn<std::string>("contentRange");
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("length");

    const auto row = [](const char* name, const char* range, int status, const char* cr, int first,
                        int length) {
        QTest::newRow(name) << std::string(range) << status << std::string(cr) << first << length;
    };
    row("first ten bytes", "bytes=0-9", 206, "bytes 0-9/100", 0, 10);
    row("middle", "bytes=10-19", 206, "bytes 10-19/100", 10, 10);
    row("open-ended", "bytes=90-", 206, "bytes 90-99/100", 90, 10);
    row("suffix", "bytes=-5", 206, "bytes 95-99/100", 95, 5);
    row("end clamped to the file", "bytes=95-200", 206, "bytes 95-99/100", 95, 5);
    row("last byte", "bytes=99-99", 206, "bytes 99-99/100", 99, 1);
    row("start at the end", "bytes=100-", 416, "bytes */100", 0, -1);
    row("far past the end", "bytes=1000-2000", 416, "bytes */100", 0, -1);
    row("other unit ignored", "items=0-9", 200, "", 0, 100);
    row("several ranges ignored", "bytes=0-1,5-6", 200, "", 0, 100);
    row("malformed ignored", "bytes=abc", 200, "", 0, 100);
}

void ServerHttpTest::ranges()
{
    QFETCH(std::string, range);
    QFETCH(int, status);
    QFETCH(std::string, contentRange);
    QFETCH(int, first);
    QFETCH(int, length);

    HttpResponse r;
    const ReadResult res = fetch(m_port, get("/hundred.txt", {"Range: " + range, "Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("Content-Range"), contentRange);
    if (length < 0)
        return; // 416: the body is an error page
    QCOMPARE(r.header("Content-Length"), std::to_string(length));
    QCOMPARE(r.body, content("hundred.txt").substr(std::size_t(first), std::size_t(length)));
}

void ServerHttpTest::rangesOnLargeFile_data()
{
    QTest::addColumn<std::string>("range");
    QTest::addColumn<qint64>("first");
    QTest::addColumn<qint64>("length");
    const qint64 size = qint64(kBigSize);
    QTest::newRow("ten bytes past 1 MB") << std::string("bytes=1000000-1000009") << qint64(1000000) << qint64(10);
    QTest::newRow("last 100000 bytes") << std::string("bytes=-100000") << size - 100000 << qint64(100000);
    QTest::newRow("from an odd offset to the end") << std::string("bytes=12345-") << qint64(12345) << size - 12345;
    QTest::newRow("2 MB across chunk boundaries")
        << std::string("bytes=65535-2162686") << qint64(65535) << qint64(2097152);
}

void ServerHttpTest::rangesOnLargeFile()
{
    QFETCH(std::string, range);
    QFETCH(qint64, first);
    QFETCH(qint64, length);

    HttpResponse r;
    const ReadResult res = fetch(m_port, get("/big.bin", {"Range: " + range, "Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 206);
    QCOMPARE(r.header("Content-Range"), "bytes " + std::to_string(first) + "-"
                 + std::to_string(first + length - 1) + "/" + std::to_string(kBigSize));
    QCOMPARE(qint64(r.body.size()), length);
    QVERIFY2(r.body == content("big.bin").substr(std::size_t(first), std::size_t(length)),
             "the range's bytes differ from the file's");
}

void ServerHttpTest::ifModifiedSince_data()
{
    QTest::addColumn<std::string>("value");
    QTest::addColumn<int>("status");

    const auto imf = [](std::time_t t) {
        char buf[64];
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return std::string(buf);
    };
    QTest::newRow("equal to Last-Modified") << imf(kDatedMtime) << 304;
    QTest::newRow("a day later") << imf(kDatedMtime + 86400) << 304;
    QTest::newRow("a day earlier") << imf(kDatedMtime - 86400) << 200;
    QTest::newRow("a second earlier") << imf(kDatedMtime - 1) << 200;
    QTest::newRow("not a date") << std::string("not a date") << 200;
}

void ServerHttpTest::ifModifiedSince()
{
    QFETCH(std::string, value);
    QFETCH(int, status);

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    // A follow-up request on the same socket proves a 304 carried no body bytes.
    QVERIFY(sendAll(fd.get(), get("/dated.txt", {"If-Modified-Since: " + value}) + get("/a.txt")));
    HttpResponse r, next;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, status);
    if (status == 200)
        QCOMPARE(r.body, content("dated.txt"));
    QCOMPARE(reader.read(next), ReadResult::Ok);
    QCOMPARE(next.status, 200);
    QCOMPARE(next.body, content("a.txt"));
}

void ServerHttpTest::badInput_data()
{
    QTest::addColumn<std::string>("request");
    QTest::addColumn<int>("status");

    const std::string host = "Host: localhost\r\n";
    std::string manyHeaders;
    for (int i = 0; manyHeaders.size() <= 33 * 1024; ++i)
        manyHeaders += "X-Header-" + std::to_string(i) + ": " + std::string(40, 'c') + "\r\n";

    const auto row = [](const char* name, std::string request, int status) {
        QTest::newRow(name) << std::move(request) << status;
    };
    row("request line over 8 KiB", get("/" + std::string(9000, 'a')), 414);
    row("one header over 8 KiB", get("/a.txt", {"X-Long: " + std::string(9000, 'b')}), 431);
    row("header block over 32 KiB", "GET /a.txt HTTP/1.1\r\n" + host + manyHeaders + "\r\n", 431);
    row("control byte in request line", get("/a\x01.txt"), 400);
    row("DEL byte in request line", get("/a\x7f.txt"), 400);
    row("space before a header colon", get("/a.txt", {"X-Foo : bar"}), 400);
    row("folded header line", get("/a.txt", {"X-Folded: one", " two"}), 400);
    row("header without colon", get("/a.txt", {"X-No-Colon bar"}), 400);
    row("HTTP/1.1 without Host", httpRequest("GET", "/a.txt", {}, "HTTP/1.1", false), 400);
    row("two Host headers", get("/a.txt", {"Host: other"}), 400);
    row("bad percent-encoding %zz", get("/%zz"), 400);
    row("truncated percent-encoding %4", get("/%4"), 400);
    row("encoded NUL", get("/a%00b"), 400);
    row("unknown method", httpRequest("FOO", "/"), 501);
    row("POST", httpRequest("POST", "/a.txt", {"Content-Length: 0"}), 405);
    row("PUT", httpRequest("PUT", "/a.txt", {"Content-Length: 0"}), 405);
    row("DELETE", httpRequest("DELETE", "/a.txt"), 405);
    row("HTTP/2.0", httpRequest("GET", "/a.txt", {}, "HTTP/2.0"), 505);
    row("Content-Length with Transfer-Encoding",
        get("/a.txt", {"Content-Length: 5", "Transfer-Encoding: chunked"}) + "0\r\n\r\n", 400);
    row("duplicate Content-Length, same value",
        get("/a.txt", {"Content-Length: 0", "Content-Length: 0"}), 400);
    row("duplicate Content-Length, different values",
        get("/a.txt", {"Content-Length: 1", "Content-Length: 2"}) + "xx", 400);
    row("invalid Content-Length", get("/a.txt", {"Content-Length: abc"}), 400);
    row("negative Content-Length", get("/a.txt", {"Content-Length: -1"}), 400);
    row("chunked on HTTP/1.0",
        httpRequest("GET", "/a.txt", {"Transfer-Encoding: chunked"}, "HTTP/1.0") + "0\r\n\r\n", 400);
    row("Transfer-Encoding: gzip", get("/a.txt", {"Transfer-Encoding: gzip"}), 501);
}

void ServerHttpTest::badInput()
{
    QFETCH(std::string, request);
    QFETCH(int, status);

    {
        Fd fd(connectLoopback(m_port));
        QVERIFY(fd.valid());
        // The server may answer and close before reading everything: a failed send is fine.
        sendAll(fd.get(), request);
        ResponseReader reader(fd.get());
        HttpResponse r;
        const ReadResult res = reader.read(r);
        QVERIFY2(res == ReadResult::Ok,
                 qPrintable(QString("%1 (reset: %2)").arg(toString(res)).arg(reader.wasReset())));
        QCOMPARE(r.status, status);
        if (status == 405)
            QCOMPARE(r.header("Allow"), std::string("GET, HEAD"));
        QVERIFY2(reader.waitForClose(), "the connection stayed open after an error response");
        QVERIFY2(reader.buffered().empty(), "bytes after the error response");
    }
    verifyStillServing();
}

void ServerHttpTest::requestBodyIsSkipped_data()
{
    QTest::addColumn<std::vector<std::string>>("sends");

    // The body "GET /" looks like the start of a request: it must be skipped, not parsed.
    const std::string clHead = get("/a.txt", {"Content-Length: 5"});
    const std::string chunkedHead = get("/a.txt", {"Transfer-Encoding: chunked"});
    const std::string second = get("/style.css");
    QTest::newRow("Content-Length body, one send")
        << std::vector<std::string>{clHead + "GET /" + second};
    QTest::newRow("Content-Length body in its own send")
        << std::vector<std::string>{clHead, "GET /", second};
    QTest::newRow("Content-Length body split across sends")
        << std::vector<std::string>{clHead + "GE", "T /" + second};
    QTest::newRow("chunked body, one send")
        << std::vector<std::string>{chunkedHead + "5\r\nGET /\r\n0\r\n\r\n" + second};
    // A body much bigger than any read buffer, itself full of request-looking lines.
    std::string bigBody;
    while (bigBody.size() < 100'000)
        bigBody += "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("100 KB Content-Length body")
        << std::vector<std::string>{get("/a.txt", {"Content-Length: " + std::to_string(bigBody.size())})
                                        + bigBody + second};
    QTest::newRow("chunked body split across sends")
        << std::vector<std::string>{chunkedHead + "5\r\nGE", "T /\r\n0\r", "\n\r\n", second};
}

void ServerHttpTest::requestBodyIsSkipped()
{
    QFETCH(std::vector<std::string>, sends);

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (const std::string& s : sends)
        QVERIFY(sendAll(fd.get(), s));
    // A third request that closes, so "exactly three responses, then close" is checkable.
    QVERIFY(sendAll(fd.get(), get("/index.html", {"Connection: close"})));

    ResponseReader reader(fd.get());
    HttpResponse r1, r2, r3;
    QCOMPARE(reader.read(r1), ReadResult::Ok);
    QCOMPARE(r1.status, 200);
    QCOMPARE(r1.body, content("a.txt"));
    QCOMPARE(reader.read(r2), ReadResult::Ok);
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.body, content("style.css"));
    QCOMPARE(reader.read(r3), ReadResult::Ok);
    QCOMPARE(r3.status, 200);
    QCOMPARE(r3.body, content("index.html"));
    QVERIFY(reader.waitForClose());
    QVERIFY2(reader.buffered().empty(), "an extra response: the request body was parsed");
}

void ServerHttpTest::toleratedInput_data()
{
    QTest::addColumn<std::string>("request");
    QTest::addColumn<int>("status");

    std::string manyHeaders; // about 24 KiB: under the 32 KiB head limit
    for (int i = 0; manyHeaders.size() < 24 * 1024; ++i)
        manyHeaders += "X-Header-" + std::to_string(i) + ": " + std::string(40, 'c') + "\r\n";

    QTest::newRow("HTTP/1.0 without Host") << httpRequest("GET", "/a.txt", {}, "HTTP/1.0", false) << 200;
    QTest::newRow("empty line before the request line (RFC 9112 2.2)") << "\r\n" + get("/a.txt") << 200;
    QTest::newRow("lower-case header names") << std::string("GET /a.txt HTTP/1.1\r\nhost: localhost\r\n\r\n")
                                             << 200;
    QTest::newRow("spaces and tabs around a header value")
        << std::string("GET /a.txt HTTP/1.1\r\nHost: \t localhost \t\r\n\r\n") << 200;
    QTest::newRow("Host with a port") << httpRequest("GET", "/a.txt", {"Host: localhost:8080"}, "HTTP/1.1", false)
                                      << 200;
    QTest::newRow("request line of 8000 bytes") << get("/" + std::string(7980, 'a')) << 404;
    QTest::newRow("header line of 8000 bytes") << get("/a.txt", {"X-Long: " + std::string(7980, 'b')}) << 200;
    QTest::newRow("24 KiB of headers") << "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n" + manyHeaders + "\r\n"
                                       << 200;
    QTest::newRow("GET with an empty chunked body")
        << get("/a.txt", {"Transfer-Encoding: chunked"}) + "0\r\n\r\n" << 200;
    QTest::newRow("GET with Content-Length: 0") << get("/a.txt", {"Content-Length: 0"}) << 200;
}

void ServerHttpTest::toleratedInput()
{
    QFETCH(std::string, request);
    QFETCH(int, status);

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    QVERIFY(sendAll(fd.get(), request));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r), ReadResult::Ok);
    QCOMPARE(r.status, status);
    if (status == 200)
        QCOMPARE(r.body, content("a.txt"));
}

void ServerHttpTest::configuredLimitsAreUsed()
{
    // A second server with small limits: they come from ServerConfig, not built-in constants.
    Server small;
    ServerConfig config;
    config.root = m_root;
    config.port = 0;
    config.limits.maxRequestLine = 1024;
    config.limits.maxHeaderLine = 512;
    config.limits.maxHeaderBlock = 2048;
    const StartResult started = small.start(config);
    QVERIFY2(started.ok, started.error.c_str());

    std::string manyHeaders;
    for (int i = 0; i < 60; ++i)
        manyHeaders += "X-H" + std::to_string(i) + ": " + std::string(40, 'c') + "\r\n";
    const std::pair<std::string, int> cases[] = {
        {get("/" + std::string(2000, 'a')), 414},
        {get("/a.txt", {"X-Long: " + std::string(1000, 'b')}), 431},
        {"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n" + manyHeaders + "\r\n", 431},
        {get("/a.txt", {"X-Fits: " + std::string(400, 'b')}), 200},
    };
    for (const auto& [request, status] : cases) {
        HttpResponse r;
        const ReadResult res = fetch(small.port(), request, r);
        QVERIFY2(res == ReadResult::Ok, toString(res));
        QCOMPARE(r.status, status);
    }
    small.stop();
}

// A response the server closes after ends in the segment that carries the FIN, instead of a
// segment of its own for the FIN (one segment less per `Connection: close` request). Both a
// disk read and a cache hit of a small file are sent from memory.
void ServerHttpTest::closingResponseCarriesTheFin()
{
    for (const char* source : {"disk read", "cache hit"}) {
        Fd fd(connectLoopback(m_port));
        QVERIFY(fd.valid());
        QVERIFY(sendAll(fd.get(), get("/hundred.txt", {"Connection: close"})));
        const std::string reply = readUntilClose(fd.get());
        QVERIFY2(reply.size() > kHundredSize && reply.compare(reply.size() - kHundredSize, kHundredSize,
                                                              content("hundred.txt")) == 0,
                 source);
        TcpInfoWithSegments info{};
        socklen_t size = sizeof info;
        QVERIFY(::getsockopt(fd.get(), IPPROTO_TCP, TCP_INFO, &info, &size) == 0);
        QVERIFY2(size >= sizeof info, "this kernel's tcp_info has no segment counts (Linux 4.6+)");
        // Received: the SYN-ACK, the acknowledgement of the request (sent at once at a
        // connection's start), and the response with the FIN. A FIN of its own would be a
        // third segment without data.
        QVERIFY2(info.dataSegsIn == 1, (std::string(source) + ": data segments " + std::to_string(info.dataSegsIn)).c_str());
        QVERIFY2(info.segsIn - info.dataSegsIn <= 2,
                 (std::string(source) + ": " + std::to_string(info.segsIn - info.dataSegsIn)
                  + " segments without data; the FIN came on its own").c_str());
    }
}

void ServerHttpTest::halfClosedClientIsStillAnswered()
{
    // Some clients send the request and then shut down their sending side (RFC 9112 9.6
    // allows it); the response must still arrive.
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    QVERIFY(sendAll(fd.get(), get("/a.txt")));
    QVERIFY(::shutdown(fd.get(), SHUT_WR) == 0);
    ResponseReader reader(fd.get());
    HttpResponse r;
    const ReadResult res = reader.read(r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, content("a.txt"));
    QVERIFY(reader.waitForClose());
}

void ServerHttpTest::clientResetMidTransfer()
{
    // The client resets the connection while the server is blocked on a full socket: the server
    // must take the ECONNRESET/EPIPE (no SIGPIPE killing the process), free the connection and
    // keep serving.
    {
        Fd fd(connectLoopback(m_port, 16 * 1024));
        QVERIFY(fd.valid());
        QVERIFY(sendAll(fd.get(), get("/big.bin")));
        ResponseReader reader(fd.get());
        HttpResponse r;
        QCOMPARE(reader.readHead(r), ReadResult::Ok);
        QCOMPARE(r.status, 200);
        QCOMPARE(reader.readBody(32 * 1024, [](std::string_view) {}), ReadResult::Ok);
        const linger reset{1, 0}; // close() sends RST
        QVERIFY(::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) == 0);
    }
    verifyStillServing();
    QVERIFY2(waitUntil([&] { return m_server->stats().activeConnections == 0; }),
             qPrintable(QString("active connections stay at %1").arg(m_server->stats().activeConnections)));
}

// ---------------------------------------------------------------------------------------------
// Large files

void ServerHttpTest::largeFileByteExact()
{
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    QVERIFY(sendAll(fd.get(), get("/big.bin", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.read(r, false, milliseconds(20'000)), ReadResult::Ok);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("Content-Length"), std::to_string(kBigSize));
    QCOMPARE(r.body.size(), kBigSize);
    // memcmp, not QCOMPARE: a 4 MiB diff in the log helps nobody.
    const std::string& expected = m_files["big.bin"];
    const auto mismatch = std::mismatch(r.body.begin(), r.body.end(), expected.begin());
    QVERIFY2(mismatch.first == r.body.end(),
             qPrintable(QString("first differing byte at offset %1").arg(mismatch.first - r.body.begin())));
    QVERIFY(reader.waitForClose());
}

void ServerHttpTest::sparseGigabyteWithBoundedMemory()
{
    QVERIFY(makeSparseFile(path("sparse.bin"), kGiB));
    auto removeFile = qScopeGuard([&] { std::filesystem::remove(path("sparse.bin")); });

    const std::uint64_t rssBefore = vmRssKiB();
    QVERIFY(rssBefore > 0);
    std::uint64_t rssMax = rssBefore;

    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    QVERIFY(sendAll(fd.get(), get("/sparse.bin", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse head;
    QCOMPARE(reader.readHead(head, milliseconds(20'000)), ReadResult::Ok);
    QCOMPARE(head.status, 200);
    QCOMPARE(head.header("Content-Length"), std::to_string(kGiB));

    // Read and discard, sampling the process's RSS every 16 MiB.
    std::uint64_t received = 0, nonZero = 0, nextSample = 0;
    const ReadResult res = reader.readBody(kGiB, [&](std::string_view piece) {
        received += piece.size();
        nonZero += piece.size() - std::size_t(std::count(piece.begin(), piece.end(), '\0'));
        if (received >= nextSample) {
            rssMax = std::max(rssMax, vmRssKiB());
            nextSample += 16u << 20;
        }
    }, milliseconds(20'000));
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(received, kGiB);
    QCOMPARE(nonZero, std::uint64_t(0));

    const std::uint64_t growthKiB = rssMax - rssBefore;
    qInfo("VmRSS before %llu KiB, max during transfer %llu KiB (+%llu KiB)",
          (unsigned long long)rssBefore, (unsigned long long)rssMax, (unsigned long long)growthKiB);
    QVERIFY2(growthKiB < 64 * 1024, "the server's memory grew by 64 MiB or more serving one file");
    QVERIFY(reader.waitForClose());
}

void ServerHttpTest::slowReaderDoesNotBusyLoop()
{
    // A small receive window makes the server wait for EPOLLOUT again and again.
    Fd fd(connectLoopback(m_port, 16 * 1024));
    QVERIFY(fd.valid());
    QVERIFY(sendAll(fd.get(), get("/big.bin", {"Connection: close"})));
    ResponseReader reader(fd.get());
    HttpResponse r;
    QCOMPARE(reader.readHead(r), ReadResult::Ok);
    QCOMPARE(r.status, 200);

    const double cpuStart = processCpuSeconds();
    const auto wallStart = Clock::now();
    std::uint64_t left = kBigSize;
    while (left > 0) {
        const std::uint64_t step = std::min<std::uint64_t>(left, 64 * 1024);
        const ReadResult res = reader.readBody(step, [&](std::string_view p) { r.body.append(p); });
        QVERIFY2(res == ReadResult::Ok, toString(res));
        left -= step;
        // Pacing (the point of this test), not synchronisation: the reader pauses.
        ::poll(nullptr, 0, 50);
    }
    const double cpu = processCpuSeconds() - cpuStart;
    const double wall = std::chrono::duration<double>(Clock::now() - wallStart).count();
    qInfo("slow read: %.3f s CPU over %.3f s wall", cpu, wall);

    QVERIFY2(r.body == m_files["big.bin"], "body differs from the file");
    QVERIFY2(cpu < 0.5 * wall, "the process burned CPU while the client read slowly (busy loop?)");
    QVERIFY(reader.waitForClose());
}

QTEST_GUILESS_MAIN(ServerHttpTest)
#include "tst_server_http.moc"
