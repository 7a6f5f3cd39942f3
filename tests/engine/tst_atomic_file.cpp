// AtomicFile and the trace sink's file handling: clear one-sentence errors for folders that
// cannot hold the trace, and an earlier file that survives every failed or abandoned export.
// Tests run as root, so "unwritable" is produced without permission bits: a path under a regular
// file, /proc, a destination replaced by a folder, and a file size limit (RLIMIT_FSIZE).
#include "trace/atomic_file.h"
#include "trace/trace_sink.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace loopscope;

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray gunzip(const QByteArray& in)
{
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return {};
    QByteArray out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(in.size());
    int ret = Z_OK;
    while (ret == Z_OK) {
        out.resize(out.size() + 65536);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + out.size() - 65536);
        zs.avail_out = 65536;
        ret = inflate(&zs, Z_NO_FLUSH);
        out.resize(out.size() - qsizetype(zs.avail_out));
    }
    inflateEnd(&zs);
    return ret == Z_STREAM_END ? out : QByteArray("<corrupt gzip>");
}

// Names in `dir` that look like our temporary files (".<name>.tmp-XXXXXX").
QStringList leftoverTemporaries(const QString& dir)
{
    return QDir(dir).entryList({".*.tmp-*"}, QDir::Files | QDir::Hidden);
}

EventRecord pollRecord(std::int64_t t)
{
    EventRecord r;
    r.t_ns = t;
    r.kind = EventKind::LoopPollBegin;
    r.arg = 10;
    return r;
}

// Restores a resource limit when the test returns, whether it passed or failed.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        getrlimit(RLIMIT_FSIZE, &m_saved);
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN); // get EFBIG instead of being killed
        rlimit limit = m_saved;
        limit.rlim_cur = bytes;
        m_ok = setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &m_saved);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    void (*m_oldHandler)(int) = nullptr;
    bool m_ok = false;
};

} // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT

private slots:
    void openFailsWithOneSentence_data();
    void openFailsWithOneSentence();
    void commitWritesAndRemovesTemporary();
    void gzipRoundTrips();
    void newFileIsReadableByOthers();
    void abortKeepsEarlierFile();
    void destroyedSinkKeepsEarlierFile();
    void writeErrorKeepsEarlierFile();
    void renameErrorKeepsEarlierFile();
    void finishTwiceFails();
};

void TestAtomicFile::openFailsWithOneSentence_data()
{
    QTest::addColumn<QString>("relativeOrAbsolute");
    QTest::addColumn<QString>("mustContain");

    QTest::newRow("missing folder") << "missing/sub/trace.json" << "does not exist; create it or choose another folder.";
    QTest::newRow("folder is a file") << "afile/trace.json" << "is not a folder; choose another folder.";
    QTest::newRow("destination is a folder") << "adir" << "it is a folder; choose a file name.";
    QTest::newRow("trailing slash") << "adir/" << "it is a folder; choose a file name.";
    QTest::newRow("proc") << "/proc/loopscope-trace.json" << "the folder /proc does not accept new files; choose another folder.";
    QTest::newRow("empty name") << "" << "choose a file name.";
}

void TestAtomicFile::openFailsWithOneSentence()
{
    QFETCH(QString, relativeOrAbsolute);
    QFETCH(QString, mustContain);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeAll(dir.filePath("afile"), "x"));
    QVERIFY(QDir(dir.path()).mkdir("adir"));
    const QString path = relativeOrAbsolute.isEmpty() || relativeOrAbsolute.startsWith('/')
        ? relativeOrAbsolute
        : dir.path() + '/' + relativeOrAbsolute;

    std::string error;
    AtomicFile file;
    QVERIFY(!file.open(path.toStdString(), AtomicFile::Compression::None, error));
    const QString message = QString::fromStdString(error);
    QVERIFY2(message.contains(mustContain), qPrintable(message));
    QVERIFY2(message.endsWith('.') && message.count(". ") == 0, qPrintable("not one sentence: " + message));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());

    // The public entry point gives the same answer.
    std::string sinkError;
    QVERIFY(!openTraceSink(path.toStdString(), TraceFormat::ChromeJson, TraceInfo{}, sinkError));
    QCOMPARE(QString::fromStdString(sinkError), message);
}

void TestAtomicFile::commitWritesAndRemovesTemporary()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("out.txt");
    AtomicFile file;
    std::string error;
    QVERIFY(file.open(path.toStdString(), AtomicFile::Compression::None, error));
    const QString temp = QString::fromStdString(file.temporaryPath());
    QVERIFY(QFile::exists(temp));
    QVERIFY(QFileInfo(temp).absolutePath() == QFileInfo(path).absolutePath());
    QVERIFY(!QFile::exists(path)); // nothing visible before commit
    QVERIFY(file.write("hello "));
    QVERIFY(file.write("world"));
    QVERIFY2(file.commit(error), error.c_str());
    QCOMPARE(readAll(path), QByteArray("hello world"));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());
}

void TestAtomicFile::gzipRoundTrips()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("out.gz");
    QByteArray expected;
    for (int i = 0; i < 200000; ++i)
        expected += "line " + QByteArray::number(i) + '\n';
    AtomicFile file;
    std::string error;
    QVERIFY(file.open(path.toStdString(), AtomicFile::Compression::Gzip, error));
    for (qsizetype off = 0; off < expected.size(); off += 7777)
        QVERIFY(file.write(std::string_view(expected.constData() + off,
                                            size_t(std::min<qsizetype>(7777, expected.size() - off)))));
    QVERIFY2(file.commit(error), error.c_str());
    const QByteArray onDisk = readAll(path);
    QVERIFY(onDisk.startsWith("\x1f\x8b"));
    QVERIFY(onDisk.size() < expected.size() / 3);
    QCOMPARE(gunzip(onDisk), expected);
}

void TestAtomicFile::newFileIsReadableByOthers()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("perm.json");
    AtomicFile file;
    std::string error;
    QVERIFY(file.open(path.toStdString(), AtomicFile::Compression::None, error));
    QVERIFY(file.commit(error));
    struct stat st;
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0644));
}

void TestAtomicFile::abortKeepsEarlierFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("keep.json");
    QVERIFY(writeAll(path, "earlier"));
    {
        AtomicFile file;
        std::string error;
        QVERIFY(file.open(path.toStdString(), AtomicFile::Compression::None, error));
        QVERIFY(file.write("new content"));
        file.abort();
        QVERIFY(!file.commit(error)); // nothing to commit after abort
    }
    QCOMPARE(readAll(path), QByteArray("earlier"));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());
}

void TestAtomicFile::destroyedSinkKeepsEarlierFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("keep.json");
    QVERIFY(writeAll(path, "earlier"));
    {
        std::string error;
        auto sink = openTraceSink(path.toStdString(), TraceFormat::ChromeJson, TraceInfo{}, error);
        QVERIFY2(sink, error.c_str());
        std::vector<EventRecord> records;
        for (int i = 0; i < 100000; ++i) // > the sink's flush size, so bytes did reach the disk
            records.push_back(pollRecord(i));
        sink->write(records.data(), records.size());
        QCOMPARE(leftoverTemporaries(dir.path()).size(), 1);
    } // destroyed without finish(): an abandoned export
    QCOMPARE(readAll(path), QByteArray("earlier"));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());
}

void TestAtomicFile::writeErrorKeepsEarlierFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("keep.json");
    QVERIFY(writeAll(path, "earlier"));
    std::string error;
    auto sink = openTraceSink(path.toStdString(), TraceFormat::ChromeJson, TraceInfo{}, error);
    QVERIFY2(sink, error.c_str());
    std::vector<EventRecord> records;
    for (int i = 0; i < 200000; ++i)
        records.push_back(pollRecord(i));
    {
        FileSizeLimit limit(64 * 1024); // writes beyond 64 KiB fail with EFBIG, like a full disk
        QVERIFY(limit.ok());
        sink->write(records.data(), records.size());
        QVERIFY(!sink->finish(TraceInfo{}, error));
    }
    const QString message = QString::fromStdString(error);
    QVERIFY2(message.startsWith("Cannot write trace to " + path + ": File too large; free some space"),
             qPrintable(message));
    QCOMPARE(readAll(path), QByteArray("earlier"));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());
}

void TestAtomicFile::renameErrorKeepsEarlierFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("becomes-a-folder.csv");
    std::string error;
    auto sink = openTraceSink(path.toStdString(), TraceFormat::Csv, TraceInfo{}, error);
    QVERIFY2(sink, error.c_str());
    // Someone puts a non-empty folder at the destination while we record: rename must fail.
    QVERIFY(QDir(dir.path()).mkpath("becomes-a-folder.csv/inside"));
    const EventRecord r = pollRecord(5);
    sink->write(&r, 1);
    QVERIFY(!sink->finish(TraceInfo{}, error));
    const QString message = QString::fromStdString(error);
    QVERIFY2(message.startsWith("Cannot write trace to " + path + ": "), qPrintable(message));
    QVERIFY(QFileInfo(path).isDir());
    QVERIFY(QFileInfo::exists(path + "/inside"));
    QVERIFY(leftoverTemporaries(dir.path()).isEmpty());
}

void TestAtomicFile::finishTwiceFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("twice.json");
    std::string error;
    auto sink = openTraceSink(path.toStdString(), TraceFormat::ChromeJson, TraceInfo{}, error);
    QVERIFY2(sink, error.c_str());
    QVERIFY2(sink->finish(TraceInfo{}, error), error.c_str());
    const QByteArray first = readAll(path);
    QVERIFY(!sink->finish(TraceInfo{}, error));
    QVERIFY(QString::fromStdString(error).contains("already finished"));
    QCOMPARE(readAll(path), first);
}

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomic_file.moc"
