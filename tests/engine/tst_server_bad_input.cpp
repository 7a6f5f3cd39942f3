// Bad input, one row per case of issue 5 ("Hardening"), over real loopback sockets: each row
// sends what a broken or hostile client sends, checks the server's answer (the statuses in order,
// then a close, an open connection or a close by timeout) and then checks that a normal request
// is served right after: on the same connection when it stays open, and always on a new one.
//
// The answers follow nginx (see engine/http/request.h for where and why this server differs).
// The suite's server uses short header and keep-alive timeouts so the "silence" rows are quick.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QTemporaryDir>
#include <QTest>

#include <sys/time.h>

#include <map>
#include <memory>

using namespace loopscope;
using namespace loopscope::test;

namespace {

// How the row's bytes reach the server.
enum class Delivery {
    AllAtOnce,     // each entry of `sends` in one send()
    ByteAtATime,   // every byte in its own send(), Nagle off
    ThenShutWrite, // all at once, then shutdown(SHUT_WR): the client is half-closed
};

// What happens to the connection after the expected responses.
enum class Ending {
    Closes,    // the server closes it at once (an error, or the client asked for it)
    StaysOpen, // keep-alive: a normal request on the same connection is answered
    TimesOut,  // nothing more until the header or keep-alive timeout closes it
};

constexpr milliseconds kTimeout{400}; // header and keep-alive timeouts of the suite's server
constexpr std::time_t kDatedMtime = 1577836800; // 2020-01-01 00:00:00 GMT

} // namespace

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(std::vector<std::string>)
Q_DECLARE_METATYPE(std::vector<int>)
Q_DECLARE_METATYPE(Delivery)
Q_DECLARE_METATYPE(Ending)

class ServerBadInputTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void badInput_data();
    void badInput();

private:
    std::string path(const std::string& rel) const { return m_root + "/" + rel; }
    void addFile(const std::string& rel, const std::string& content);
    void verifyServedOn(int fd, ResponseReader& reader);

    QTemporaryDir m_dir;
    std::string m_root;
    std::map<std::string, std::string> m_files;
    Recorder m_recorder{1u << 12}; // nobody drains it: drops are fine here
    std::unique_ptr<Server> m_server;
    std::uint16_t m_port = 0;
};

void ServerBadInputTest::addFile(const std::string& rel, const std::string& data)
{
    QVERIFY2(writeFile(path(rel), data), rel.c_str());
    m_files[rel] = data;
}

void ServerBadInputTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.path().toStdString();
    QVERIFY(std::filesystem::create_directories(path("dir")));
    QVERIFY(std::filesystem::create_directories(path("noindex")));
    addFile("a.txt", "Hello from loopscope.\n");
    addFile("index.html", "<html><body>root index</body></html>\n");
    addFile("dir/index.html", "<html><body>dir index</body></html>\n");
    addFile("noindex/other.txt", "not an index\n");
    addFile("hundred.txt", QByteArray("0123456789").repeated(10).toStdString());
    const timeval times[2] = {{kDatedMtime, 0}, {kDatedMtime, 0}};
    QVERIFY(::utimes(path("hundred.txt").c_str(), times) == 0);

    m_server = std::make_unique<Server>(&m_recorder);
    ServerConfig config;
    config.root = m_root;
    config.port = 0;
    config.headerTimeout = kTimeout;
    config.keepAliveTimeout = kTimeout;
    const StartResult started = m_server->start(config);
    QVERIFY2(started.ok, started.error.c_str());
    m_port = m_server->port();
}

void ServerBadInputTest::cleanupTestCase()
{
    if (m_server)
        m_server->stop();
}

// A normal request on `fd` is answered with the file.
void ServerBadInputTest::verifyServedOn(int fd, ResponseReader& reader)
{
    QVERIFY(sendAll(fd, get("/a.txt")));
    HttpResponse r;
    const ReadResult res = reader.read(r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, m_files.at("a.txt"));
}

void ServerBadInputTest::badInput_data()
{
    QTest::addColumn<std::vector<std::string>>("sends");
    QTest::addColumn<Delivery>("delivery");
    QTest::addColumn<std::vector<int>>("statuses");
    QTest::addColumn<Ending>("ending");

    using V = std::vector<std::string>;
    using S = std::vector<int>;
    const auto row = [](const char* name, V sends, S statuses, Ending ending,
                        Delivery delivery = Delivery::AllAtOnce) {
        QTest::newRow(name) << std::move(sends) << delivery << std::move(statuses) << ending;
    };
    const auto bad = [&](const char* name, std::string request, int status) {
        row(name, {std::move(request)}, {status}, Ending::Closes);
    };
    const auto ok = [&](const char* name, std::string request, int status) {
        row(name, {std::move(request)}, {status}, Ending::StaysOpen);
    };
    const std::string host = "Host: localhost\r\n";
    std::string manyHeaders;
    for (int i = 0; manyHeaders.size() <= 33 * 1024; ++i)
        manyHeaders += "X-Header-" + std::to_string(i) + ": " + std::string(40, 'c') + "\r\n";

    // The request line.
    bad("no Host on HTTP/1.1", httpRequest("GET", "/a.txt", {}, "HTTP/1.1", false), 400);
    bad("two Host headers", get("/a.txt", {"Host: other"}), 400);
    bad("invalid characters in the method", httpRequest("G(T", "/a.txt"), 400);
    bad("lower-case method", httpRequest("get", "/a.txt"), 400);
    bad("unknown method", httpRequest("FOO", "/a.txt"), 501);
    bad("POST", httpRequest("POST", "/a.txt", {"Content-Length: 3"}) + "a=b", 405);
    bad("HTTP/2.0", httpRequest("GET", "/a.txt", {}, "HTTP/2.0"), 505);
    bad("bad version token", httpRequest("GET", "/a.txt", {}, "HTXP/1.1"), 400);
    bad("HTTP/0.9-style request line", "GET /a.txt\r\n\r\n", 400);
    bad("space in the target", get("/a b.txt"), 400);
    bad("control byte in the target", get("/a\x01.txt"), 400);
    bad("truncated percent-escape", get("/a%4"), 400);
    bad("percent-escaped NUL", get("/a%00.txt"), 400);
    bad("request line over 8 KiB", get("/" + std::string(9000, 'a')), 414);

    // Headers.
    bad("header line over 8 KiB", get("/a.txt", {"X-Long: " + std::string(9000, 'b')}), 431);
    bad("header block over 32 KiB", "GET /a.txt HTTP/1.1\r\n" + host + manyHeaders + "\r\n", 431);
    bad("header without colon", get("/a.txt", {"X-No-Colon bar"}), 400);
    bad("space before the colon", get("/a.txt", {"X-Foo : bar"}), 400);
    bad("folded header", get("/a.txt", {"X-Folded: one", " two"}), 400);
    bad("NUL in a header value", get("/a.txt", {std::string("X-Nul: a\0b", 10)}), 400);
    bad("bare LF line endings", "GET /a.txt HTTP/1.1\nHost: localhost\n\n", 400);

    // Bodies and their framing.
    bad("Content-Length with Transfer-Encoding",
        get("/a.txt", {"Content-Length: 5", "Transfer-Encoding: chunked"}) + "0\r\n\r\n", 400);
    bad("Transfer-Encoding: identity", get("/a.txt", {"Transfer-Encoding: identity"}), 501);
    bad("chunked on HTTP/1.0",
        httpRequest("GET", "/a.txt", {"Transfer-Encoding: chunked"}, "HTTP/1.0") + "0\r\n\r\n", 400);
    bad("negative Content-Length", get("/a.txt", {"Content-Length: -1"}), 400);
    bad("non-numeric Content-Length", get("/a.txt", {"Content-Length: ten"}), 400);
    bad("overflowing Content-Length", get("/a.txt", {"Content-Length: 99999999999999999999999"}), 400);
    bad("duplicated Content-Length", get("/a.txt", {"Content-Length: 1", "Content-Length: 1"}) + "x", 400);
    // The head is valid and answered before its body is skipped; the bad chunk then closes the
    // connection (nginx closes when discarding a body fails): no second answer of any kind.
    row("bad chunk size, then a second request",
        {get("/a.txt", {"Transfer-Encoding: chunked"}) + "zz\r\nGET /\r\n0\r\n\r\n" + get("/a.txt")},
        {200}, Ending::Closes);
    row("GET with a body, then a second request",
        {get("/a.txt", {"Content-Length: 5"}) + "GET /" + get("/a.txt")}, {200, 200}, Ending::StaysOpen);
    row("three pipelined requests", {get("/a.txt") + get("/index.html") + get("/hundred.txt")},
        {200, 200, 200}, Ending::StaysOpen);

    // Targets.
    bad("traversal by ..", get("/../a.txt"), 400);
    bad("traversal by %2e%2e", get("/%2e%2e/a.txt"), 400);
    bad("traversal by ..%2f", get("/..%2fa.txt"), 400);
    bad("traversal by backslash", get("/..\\a.txt"), 400);
    bad("traversal by overlong UTF-8", get("/%c0%ae%c0%ae/a.txt"), 400);
    ok("dot segments that stay inside", get("/dir/./../a.txt"), 200);
    ok("absolute-form target", get("http://localhost/a.txt"), 200);
    ok("directory without a slash", get("/dir"), 301);
    ok("directory without an index", get("/noindex/"), 403);
    ok("missing file", get("/missing.txt"), 404);

    // Conditional and partial requests.
    ok("Range inside the file", get("/hundred.txt", {"Range: bytes=10-19"}), 206);
    ok("Range past the end", get("/hundred.txt", {"Range: bytes=200-"}), 416);
    ok("If-Modified-Since, not modified",
       get("/hundred.txt", {"If-Modified-Since: Wed, 01 Jan 2025 00:00:00 GMT"}), 304);

    // How the client talks.
    row("HTTP/1.0 without keep-alive", {httpRequest("GET", "/a.txt", {}, "HTTP/1.0")}, {200}, Ending::Closes);
    row("request dribbled a byte at a time", {get("/a.txt")}, {200}, Ending::StaysOpen,
        Delivery::ByteAtATime);
    row("half-closed client after a whole request", {get("/a.txt")}, {200}, Ending::Closes,
        Delivery::ThenShutWrite);
    row("partial header, then silence", {"GET /a.txt HTTP/1.1\r\nHo"}, {}, Ending::TimesOut);
    row("connection that sends nothing", {}, {}, Ending::TimesOut);
    row("idle keep-alive connection", {get("/a.txt")}, {200}, Ending::TimesOut);
}

void ServerBadInputTest::badInput()
{
    QFETCH(std::vector<std::string>, sends);
    QFETCH(Delivery, delivery);
    QFETCH(std::vector<int>, statuses);
    QFETCH(Ending, ending);

    {
        Fd fd(connectLoopback(m_port));
        QVERIFY(fd.valid());
        const auto sentAt = Clock::now();
        // The server may answer an error and close before reading everything: a failed send is
        // fine for the rows that expect a close.
        for (const std::string& s : sends) {
            if (delivery == Delivery::ByteAtATime)
                QVERIFY(sendByteByByte(fd.get(), s));
            else
                sendAll(fd.get(), s);
        }
        if (delivery == Delivery::ThenShutWrite)
            QVERIFY(::shutdown(fd.get(), SHUT_WR) == 0);

        ResponseReader reader(fd.get());
        for (std::size_t i = 0; i < statuses.size(); ++i) {
            HttpResponse r;
            const ReadResult res = reader.read(r);
            QVERIFY2(res == ReadResult::Ok,
                     qPrintable(QString("response %1: %2 (reset: %3)")
                                    .arg(i + 1).arg(toString(res)).arg(reader.wasReset())));
            QCOMPARE(r.status, statuses[i]);
            if (r.status == 405)
                QCOMPARE(r.header("Allow"), std::string("GET, HEAD"));
            if (r.status >= 400 && ending == Ending::Closes)
                QVERIFY2(r.closes(), "an error response before the close does not say Connection: close");
        }
        switch (ending) {
        case Ending::Closes:
            QVERIFY2(reader.waitForClose(), "the connection stayed open");
            QVERIFY2(reader.buffered().empty(), ("bytes after the last response: " + reader.buffered()).c_str());
            break;
        case Ending::StaysOpen:
            QVERIFY2(reader.staysOpen(milliseconds(20)), "the connection closed or sent more");
            verifyServedOn(fd.get(), reader);
            break;
        case Ending::TimesOut: {
            // Closed by the timeout: not before it (give or take the loop's rounding), and
            // without a response (nginx's 408 is a close, not a page).
            QVERIFY2(reader.waitForClose(kTimeout * 10), "never closed by the timeout");
            const auto open = std::chrono::duration_cast<milliseconds>(Clock::now() - sentAt);
            QVERIFY2(open >= kTimeout - milliseconds(50),
                     qPrintable(QString("closed after %1 ms, before the timeout").arg(open.count())));
            QVERIFY2(reader.buffered().empty(), ("bytes before the close: " + reader.buffered()).c_str());
            break;
        }
        }
    }
    // Everyone else is still served, on a new connection.
    Fd fd(connectLoopback(m_port));
    QVERIFY(fd.valid());
    ResponseReader reader(fd.get());
    verifyServedOn(fd.get(), reader);
}

QTEST_GUILESS_MAIN(ServerBadInputTest)
#include "tst_server_bad_input.moc"
