// Exports that cannot succeed, and exporting while the server stops. A failed export keeps the
// earlier file byte for byte, leaves no temporary file behind and reports one sentence naming the
// file and the problem:
//   - an unwritable folder (permissions; also checked as root, who ignores them, by a folder
//     that is really a file);
//   - a full disk: a 64 KiB tmpfs mounted by the test (skipped where mounting is not permitted),
//     and a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG);
//   - the server stopping while a consumer drains its recording into an export: the export
//     completes and holds the whole recording up to ServerStopped.
#include "test_support.h"

#include "core/recorder.h"
#include "server/server.h"
#include "trace/trace_sink.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace loopscope;
using namespace loopscope::test;

namespace {

std::string readFile(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::vector<std::string> folderEntries(const std::string& folder)
{
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(folder))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// `count` records of a plausible session: connections opening, reading, closing.
std::vector<EventRecord> sessionRecords(std::size_t count)
{
    std::vector<EventRecord> out;
    out.reserve(count);
    std::int64_t t = 1'000'000'000;
    for (std::uint32_t conn = 1; out.size() < count; ++conn) {
        const std::pair<EventKind, ConnectionState> steps[] = {
            {EventKind::ConnectionAccepted, ConnectionState::Accepted},
            {EventKind::BytesRead, ConnectionState::ReadingHeaders},
            {EventKind::ConnectionClosed, ConnectionState::Closed},
        };
        ConnectionState from = ConnectionState::None;
        for (auto [kind, to] : steps) {
            EventRecord r;
            r.t_ns = (t += 1000);
            r.conn = conn;
            r.kind = kind;
            r.from = from;
            r.to = to;
            r.arg = 100 + conn;
            out.push_back(r);
            from = to;
        }
    }
    out.resize(count);
    return out;
}

// Exports `records` to `path`; returns finish()'s result and its error sentence.
bool exportRecords(const std::string& path, const std::vector<EventRecord>& records, std::string& error)
{
    TraceFormat format;
    if (!traceFormatForPath(path, format)) {
        error = "bad name";
        return false;
    }
    TraceInfo info;
    auto sink = openTraceSink(path, format, info, error);
    if (!sink)
        return false;
    for (std::size_t i = 0; i < records.size(); i += 4096)
        sink->write(records.data() + i, std::min<std::size_t>(4096, records.size() - i));
    return sink->finish(info, error);
}

// Makes writes past `bytes` fail with EFBIG for as long as it lives.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        ::getrlimit(RLIMIT_FSIZE, &m_saved);
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = m_saved;
        limit.rlim_cur = bytes;
        m_ok = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit()
    {
        ::setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    void (*m_oldHandler)(int) = nullptr;
    bool m_ok = false;
};

} // namespace

Q_DECLARE_METATYPE(std::string)

class ExportFailuresTest : public QObject {
    Q_OBJECT

private slots:
    void unwritableFolderKeepsEarlierFile_data();
    void unwritableFolderKeepsEarlierFile();
    void fullDiskKeepsEarlierFile_data();
    void fullDiskKeepsEarlierFile();
    void fileSizeLimitKeepsEarlierFile();
    void exportWhileServerStops();

private:
    // Writes an earlier export at `path` and returns its bytes.
    std::string earlierExport(const std::string& path);
};

std::string ExportFailuresTest::earlierExport(const std::string& path)
{
    std::string error;
    if (!exportRecords(path, sessionRecords(30), error))
        qWarning("earlier export failed: %s", error.c_str());
    return readFile(path);
}

void ExportFailuresTest::unwritableFolderKeepsEarlierFile_data()
{
    QTest::addColumn<std::string>("name");
    QTest::newRow("json") << std::string("trace.json");
    QTest::newRow("json.gz") << std::string("trace.json.gz");
    QTest::newRow("csv") << std::string("trace.csv");
}

void ExportFailuresTest::unwritableFolderKeepsEarlierFile()
{
    QFETCH(std::string, name);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string folder = dir.path().toStdString();
    const std::string path = folder + "/" + name;
    const std::string earlier = earlierExport(path);
    QVERIFY(!earlier.empty());

    std::string error;
    if (::geteuid() != 0) {
        // Read-only folder: the temporary file cannot be created.
        QVERIFY(::chmod(folder.c_str(), 0555) == 0);
        auto restore = qScopeGuard([&] { ::chmod(folder.c_str(), 0755); });
        QVERIFY(!exportRecords(path, sessionRecords(1000), error));
        qInfo("%s", error.c_str());
        QVERIFY2(error.find("ermission denied") != std::string::npos, error.c_str());
    } else {
        // Root writes anywhere; a path through a regular file is unwritable for everyone.
        const std::string notAFolder = folder + "/file";
        QVERIFY(writeFile(notAFolder, "x"));
        QVERIFY(!exportRecords(notAFolder + "/" + name, sessionRecords(1000), error));
        qInfo("%s", error.c_str());
        QVERIFY2(error.find("not a folder") != std::string::npos
                     || error.find("Not a directory") != std::string::npos,
                 error.c_str());
    }
    QVERIFY2(error.rfind("Cannot write trace to ", 0) == 0, error.c_str());
    QVERIFY2(std::count(error.begin(), error.end(), '.') >= 1 && error.back() == '.', error.c_str());
    QCOMPARE(readFile(path), earlier);
}

void ExportFailuresTest::fullDiskKeepsEarlierFile_data()
{
    unwritableFolderKeepsEarlierFile_data();
}

void ExportFailuresTest::fullDiskKeepsEarlierFile()
{
    QFETCH(std::string, name);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string mountPoint = dir.path().toStdString();
    if (::mount("loopscope-test", mountPoint.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        != 0)
        QSKIP(qPrintable(QString("cannot mount a 64 KiB tmpfs here (%1); the file-size-limit test "
                                 "covers write failures instead")
                             .arg(std::strerror(errno))));
    auto unmount = qScopeGuard([&] { ::umount2(mountPoint.c_str(), MNT_DETACH); });

    const std::string path = mountPoint + "/" + name;
    const std::string earlier = earlierExport(path);
    QVERIFY(!earlier.empty());

    // Far more than 64 KiB, even gzipped (the arguments vary).
    std::string error;
    QVERIFY(!exportRecords(path, sessionRecords(200'000), error));
    qInfo("%s", error.c_str());
    QVERIFY2(error.rfind("Cannot write trace to " + path, 0) == 0, error.c_str());
    QVERIFY2(error.find("No space left on device") != std::string::npos, error.c_str());
    QVERIFY2(error.find("free some space") != std::string::npos, error.c_str());
    QCOMPARE(readFile(path), earlier);
    QCOMPARE(folderEntries(mountPoint), std::vector<std::string>{name});

    // The space is given back: the next export that fits succeeds.
    QVERIFY2(exportRecords(path, sessionRecords(60), error), error.c_str());
}

void ExportFailuresTest::fileSizeLimitKeepsEarlierFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string folder = dir.path().toStdString();
    const std::string path = folder + "/trace.json";
    const std::string earlier = earlierExport(path);
    QVERIFY(!earlier.empty());

    std::string error;
    {
        FileSizeLimit limit(64 * 1024);
        QVERIFY(limit.ok());
        QVERIFY(!exportRecords(path, sessionRecords(200'000), error));
    }
    qInfo("%s", error.c_str());
    QVERIFY2(error.rfind("Cannot write trace to " + path, 0) == 0, error.c_str());
    QVERIFY2(error.find("too large") != std::string::npos, error.c_str());
    QVERIFY2(error.find("free some space") != std::string::npos, error.c_str());
    QCOMPARE(readFile(path), earlier);
    QCOMPARE(folderEntries(folder), std::vector<std::string>{"trace.json"});
}

void ExportFailuresTest::exportWhileServerStops()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string root = dir.path().toStdString();
    QVERIFY(writeFile(root + "/a.txt", "stop while exporting\n"));
    const std::string path = root + "/trace.json";

    Recorder recorder(1u << 14);
    Server server(&recorder);
    ServerConfig config;
    config.root = root;
    config.port = 0;
    const StartResult started = server.start(config);
    QVERIFY2(started.ok, started.error.c_str());
    const std::uint16_t port = server.port();

    // The consumer drains into the export until it has seen ServerStopped (or gives up).
    std::string error;
    std::atomic<bool> exported{false};
    std::atomic<std::uint64_t> written{0};
    std::thread exporter([&] {
        TraceInfo info;
        auto sink = openTraceSink(path, TraceFormat::ChromeJson, info, error);
        if (!sink)
            return;
        EventRecord buf[256];
        bool stopped = false;
        const auto deadline = Clock::now() + milliseconds(20'000);
        while (!stopped && Clock::now() < deadline) {
            const std::size_t n = recorder.drain(buf, std::size(buf));
            sink->write(buf, n);
            written += n;
            stopped = std::any_of(buf, buf + n, [](const EventRecord& r) { return r.kind == EventKind::ServerStopped; });
            if (n == 0)
                ::poll(nullptr, 0, 1);
        }
        info.droppedRecords = recorder.droppedTotal();
        exported = stopped && sink->finish(info, error);
    });

    // Traffic, with connections still open (one mid-request) when stop() comes.
    for (int i = 0; i < 50; ++i) {
        HttpResponse r;
        QCOMPARE(fetch(port, get("/a.txt", {"Connection: close"}), r), ReadResult::Ok);
    }
    Fd idle(connectLoopback(port));
    Fd partial(connectLoopback(port));
    QVERIFY(sendAll(partial.get(), "GET /a.txt HTTP/1.1\r\nHo"));
    QVERIFY(waitUntil([&] { return server.stats().activeConnections == 2; }));
    server.stop();
    exporter.join();
    QVERIFY2(exported, error.c_str());

    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(readFile(path)), &parseError);
    QVERIFY2(parseError.error == QJsonParseError::NoError, qPrintable(parseError.errorString()));
    const QJsonArray events = doc.object().value("traceEvents").toArray();
    QVERIFY(events.size() > 50);
    qInfo("exported %llu records while stopping: %lld trace events",
          (unsigned long long)written.load(), (long long)events.size());
    QCOMPARE(folderEntries(root), (std::vector<std::string>{"a.txt", "trace.json"}));
}

QTEST_GUILESS_MAIN(ExportFailuresTest)
#include "tst_export_failures.moc"
