// Nothing outside the document root is ever served: public traversal payload lists, symlinks
// leaving the root, encoded dots, backslashes and overlong UTF-8, all sent over real sockets.
//
// The document root is a subfolder of a temporary directory; canary files holding a unique
// secret sit one level above it (canary.txt, and the etc/passwd, boot.ini, win.ini ... that the
// payload lists aim at), so any successful traversal would show the secret in a response.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <map>
#include <memory>

using namespace loopscope;
using namespace loopscope::test;

Q_DECLARE_METATYPE(std::string)

namespace {

// Text of the real /etc/passwd's first line on every Linux: must never appear either.
constexpr const char* kPasswdMarker = "root:x:0:0:";

// Sends requests over one keep-alive connection, opening a new one whenever the server closed
// (or said it would close) the previous one.
class PayloadClient {
public:
    explicit PayloadClient(std::uint16_t port) : m_port(port) {}

    ReadResult request(const std::string& request, HttpResponse& out)
    {
        const bool reused = m_fd.valid();
        ReadResult res = attempt(request, out);
        // A reused connection may have been closed by the server just before we sent: retry
        // once on a fresh one so the payload itself is judged.
        if (reused && res == ReadResult::Closed && m_reader->buffered().empty()) {
            disconnect();
            res = attempt(request, out);
        }
        if (res != ReadResult::Ok || out.closes())
            disconnect();
        return res;
    }

private:
    ReadResult attempt(const std::string& request, HttpResponse& out)
    {
        if (!m_fd.valid()) {
            m_fd.reset(connectLoopback(m_port));
            if (!m_fd.valid())
                return ReadResult::Closed;
            m_reader = std::make_unique<ResponseReader>(m_fd.get());
        }
        sendAll(m_fd.get(), request);
        return m_reader->read(out);
    }

    void disconnect()
    {
        m_reader.reset();
        m_fd.reset();
    }

    std::uint16_t m_port;
    Fd m_fd;
    std::unique_ptr<ResponseReader> m_reader;
};

bool contains(const HttpResponse& r, const std::string& needle)
{
    if (r.body.find(needle) != std::string::npos)
        return true;
    for (const auto& [name, value] : r.headers)
        if (value.find(needle) != std::string::npos)
            return true;
    return false;
}

} // namespace

class ServerSecurityTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void payloadLists_data();
    void payloadLists();
    void symlinks_data();
    void symlinks();
    void dotSegmentsAndEncodings_data();
    void dotSegmentsAndEncodings();

private:
    std::string base(const std::string& rel) const { return m_base + "/" + rel; }
    std::string root(const std::string& rel) const { return m_base + "/root/" + rel; }
    // Why a response to `target` is unacceptable, or empty if it is fine.
    std::string judge(const std::string& target, ReadResult res, const HttpResponse& r) const;

    QTemporaryDir m_dir;
    std::string m_base;
    std::string m_secret;
    std::map<std::string, std::string> m_inside; // files inside the root: path -> content
    Recorder m_recorder{1u << 12};
    std::unique_ptr<Server> m_server;
    std::uint16_t m_port = 0;
};

void ServerSecurityTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_base = m_dir.path().toStdString();
    m_secret = "loopscope-canary-" + QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();

    // Canaries one level above the root, at every name the payload lists aim for.
    for (const char* dir : {"etc", "WINDOWS", "windows/system32/drivers/etc"})
        QVERIFY(std::filesystem::create_directories(base(dir)));
    for (const char* file : {"canary.txt", "etc/passwd", "etc/issue", "boot.ini", "WINDOWS/win.ini",
                             "windows/win.ini", "windows/system32/drivers/etc/hosts"})
        QVERIFY(writeFile(base(file), m_secret + "\n"));

    QVERIFY(std::filesystem::create_directories(root("sub")));
    m_inside = {{"index.html", "<html>root index</html>\n"},
                {"inside.txt", "inside the root\n"},
                {"sub/index.html", "<html>sub index</html>\n"},
                {"sub/inner.txt", "inner file\n"}};
    for (const auto& [rel, data] : m_inside)
        QVERIFY(writeFile(root(rel), data));

    namespace fs = std::filesystem;
    fs::create_symlink("inside.txt", root("link-inside"));
    fs::create_symlink("sub", root("linkdir-inside"));
    fs::create_symlink("../canary.txt", root("link-outside"));
    fs::create_symlink(base("canary.txt"), root("link-outside-abs"));
    fs::create_symlink("..", root("linkdir-outside"));
    fs::create_symlink("../../canary.txt", root("sub/link-up"));
    fs::create_symlink("/etc/passwd", root("link-etc-passwd"));

    m_server = std::make_unique<Server>(&m_recorder);
    ServerConfig config;
    config.root = m_base + "/root";
    config.port = 0;
    const StartResult started = m_server->start(config);
    QVERIFY2(started.ok, started.error.c_str());
    m_port = m_server->port();
}

void ServerSecurityTest::cleanupTestCase()
{
    if (m_server)
        m_server->stop();
}

std::string ServerSecurityTest::judge(const std::string& target, ReadResult res,
                                      const HttpResponse& r) const
{
    std::string why;
    if (res != ReadResult::Ok)
        why = toString(res);
    else if (contains(r, m_secret))
        why = "LEAKED THE CANARY (status " + std::to_string(r.status) + ")";
    else if (contains(r, kPasswdMarker))
        why = "LEAKED /etc/passwd (status " + std::to_string(r.status) + ")";
    else if (r.status != 400 && r.status != 403 && r.status != 404 && r.status != 301
             && r.status != 200)
        why = "status " + std::to_string(r.status);
    return why.empty() ? why : target + " -> " + why;
}

// ---------------------------------------------------------------------------------------------

void ServerSecurityTest::payloadLists_data()
{
    QTest::addColumn<QString>("file");
    const QDir dir(QStringLiteral(LOOPSCOPE_SHARED_TESTDATA "/traversal"));
    const QStringList lists = dir.entryList({"*.txt"}, QDir::Files, QDir::Name);
    if (lists.isEmpty())
        QSKIP("no traversal payload lists in " LOOPSCOPE_SHARED_TESTDATA "/traversal");
    for (const QString& name : lists)
        QTest::newRow(qPrintable(name)) << dir.filePath(name);
}

void ServerSecurityTest::payloadLists()
{
    QFETCH(QString, file);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));

    PayloadClient client(m_port);
    std::map<int, int> byStatus;
    std::vector<std::string> failures;
    int sent = 0;
    while (!f.atEnd()) {
        std::string payload = f.readLine().trimmed().toStdString();
        if (payload.empty())
            continue;
        for (std::size_t at; (at = payload.find("{FILE}")) != std::string::npos;)
            payload.replace(at, 6, "canary.txt");
        // The lists hold paths relative to some base; the request target starts with '/'.
        const std::string target = payload.front() == '/' ? payload : "/" + payload;

        HttpResponse r;
        const ReadResult res = client.request(get(target), r);
        ++sent;
        ++byStatus[r.status];
        if (std::string why = judge(target, res, r); !why.empty())
            failures.push_back(std::move(why));
    }

    QString summary;
    for (const auto& [status, count] : byStatus)
        summary += QString(" %1:%2").arg(status).arg(count);
    qInfo("%d payloads, by status:%s", sent, qPrintable(summary));
    std::string message = std::to_string(failures.size()) + " bad responses, first ones:";
    for (std::size_t i = 0; i < failures.size() && i < 20; ++i)
        message += "\n    " + failures[i];
    QVERIFY2(failures.empty(), message.c_str());
    QVERIFY(sent > 0);
}

void ServerSecurityTest::symlinks_data()
{
    QTest::addColumn<std::string>("target");
    QTest::addColumn<std::string>("file"); // served file inside the root, or empty: must be 403/404

    QTest::newRow("to a file inside the root") << std::string("/link-inside") << std::string("inside.txt");
    QTest::newRow("directory link inside the root")
        << std::string("/linkdir-inside/inner.txt") << std::string("sub/inner.txt");
    QTest::newRow("to a file outside (relative)") << std::string("/link-outside") << std::string();
    QTest::newRow("to a file outside (absolute)") << std::string("/link-outside-abs") << std::string();
    QTest::newRow("directory link outside") << std::string("/linkdir-outside/canary.txt") << std::string();
    QTest::newRow("from a subdirectory, climbing out") << std::string("/sub/link-up") << std::string();
    QTest::newRow("to /etc/passwd") << std::string("/link-etc-passwd") << std::string();
}

void ServerSecurityTest::symlinks()
{
    QFETCH(std::string, target);
    QFETCH(std::string, file);

    HttpResponse r;
    const ReadResult res = fetch(m_port, get(target, {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QVERIFY2(!contains(r, m_secret), "the canary outside the root was served");
    QVERIFY2(!contains(r, kPasswdMarker), "/etc/passwd was served");
    if (file.empty()) {
        QVERIFY2(r.status == 403 || r.status == 404, r.statusLine.c_str());
    } else {
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, m_inside.at(file));
    }
}

void ServerSecurityTest::dotSegmentsAndEncodings_data()
{
    QTest::addColumn<std::string>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<std::string>("file"); // for 200

    const auto ok = [](const char* name, const char* target, const char* file) {
        QTest::newRow(name) << std::string(target) << 200 << std::string(file);
    };
    const auto bad = [](const char* name, const char* target) {
        QTest::newRow(name) << std::string(target) << 400 << std::string();
    };
    ok("dot-dot that stays inside", "/sub/../index.html", "index.html");
    ok("dot segment", "/sub/./inner.txt", "sub/inner.txt");
    ok("leading dot segment", "/./inside.txt", "inside.txt");
    bad("dot-dot above the root", "/../canary.txt");
    bad("dot-dot above the root from a subdirectory", "/sub/../../canary.txt");
    bad("encoded dots %2e%2e/", "/%2e%2e/canary.txt");
    bad("encoded dots, upper case %2E%2E/", "/%2E%2E/canary.txt");
    bad("encoded slash ..%2f", "/..%2fcanary.txt");
    bad("all encoded %2e%2e%2f", "/%2e%2e%2fcanary.txt");
    bad("backslash", "/..\\canary.txt");
    bad("backslash inside the root", "/sub\\..\\inside.txt");
    bad("encoded backslash %5c", "/%5c..%5ccanary.txt");
    bad("overlong UTF-8 dots %c0%ae%c0%ae/", "/%c0%ae%c0%ae/canary.txt");
    bad("overlong UTF-8 slash %c0%af", "/..%c0%afcanary.txt");
    bad("three-byte overlong dots %e0%80%ae", "/%e0%80%ae%e0%80%ae/canary.txt");
    bad("absolute-form above the root", "http://localhost/../canary.txt");
}

void ServerSecurityTest::dotSegmentsAndEncodings()
{
    QFETCH(std::string, target);
    QFETCH(int, status);
    QFETCH(std::string, file);

    HttpResponse r;
    const ReadResult res = fetch(m_port, get(target, {"Connection: close"}), r);
    QVERIFY2(res == ReadResult::Ok, toString(res));
    QVERIFY2(!contains(r, m_secret), "the canary outside the root was served");
    QCOMPARE(r.status, status);
    if (status == 200)
        QCOMPARE(r.body, m_inside.at(file));
}

QTEST_GUILESS_MAIN(ServerSecurityTest)
#include "tst_server_security.moc"
