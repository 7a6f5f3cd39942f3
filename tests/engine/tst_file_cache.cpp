// FileCache: validity period, byte budget with least-recently-used eviction, size limit, and
// big files kept as open descriptors (with their own limit) instead of bytes.
#include "server/disk_pool.h"
#include "server/file_cache.h"

#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace loopscope;

class TestFileCache : public QObject {
    Q_OBJECT
private slots:
    void hitWithinValidity();
    void staleEntryIsDropped();
    void budgetEvictsLeastRecentlyUsed();
    void tooBigFilesAreNotKept();
    void replacingKeepsByteCountRight();
    void servedEntrySurvivesEviction();
    void bigFilesAreKeptOpen();
    void openFileLimitClosesLeastRecentlyUsed();
    void malformedEntriesAreRefused();
    void dropStaleClosesUnusedFiles();
    void diskJobKeepsADescriptorOnlyWhenItMayBeNeeded_data();
    void diskJobKeepsADescriptorOnlyWhenItMayBeNeeded();
};

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;

std::shared_ptr<const CachedFile> fileOf(std::size_t bytes, std::int64_t loadedNs, char fill = 'x')
{
    auto f = std::make_shared<CachedFile>();
    f->content.assign(bytes, fill);
    f->size = bytes;
    f->contentType = "text/plain";
    f->loadedNs = loadedNs;
    return f;
}
// A big file's entry: an open descriptor (of /dev/null: only its lifetime matters here).
std::shared_ptr<const CachedFile> openFileOf(std::uint64_t bytes, std::int64_t loadedNs)
{
    auto f = std::make_shared<CachedFile>();
    f->file.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    f->size = bytes;
    f->loadedNs = loadedNs;
    return f;
}

bool isOpen(int fd)
{
    return ::fcntl(fd, F_GETFD) != -1;
}
} // namespace

void TestFileCache::hitWithinValidity()
{
    FileCache cache(1 << 20, kSecond);
    cache.insert("/a", fileOf(10, 0));
    QVERIFY(cache.find("/a", kSecond / 2));
    QVERIFY(cache.find("/a", kSecond));
    QVERIFY(!cache.find("/b", 0));
}

void TestFileCache::staleEntryIsDropped()
{
    FileCache cache(1 << 20, kSecond);
    cache.insert("/a", fileOf(10, 0));
    QVERIFY(!cache.find("/a", kSecond + 1));
    QCOMPARE(cache.entries(), std::size_t(0));
    QCOMPARE(cache.bytes(), std::size_t(0));
}

void TestFileCache::budgetEvictsLeastRecentlyUsed()
{
    FileCache cache(300, kSecond);
    cache.insert("/a", fileOf(100, 0));
    cache.insert("/b", fileOf(100, 0));
    cache.insert("/c", fileOf(100, 0));
    QVERIFY(cache.find("/a", 1)); // /a is now the most recently used; /b the least
    cache.insert("/d", fileOf(100, 0));
    QVERIFY(cache.find("/a", 1));
    QVERIFY(!cache.find("/b", 1));
    QVERIFY(cache.find("/c", 1));
    QVERIFY(cache.find("/d", 1));
    QCOMPARE(cache.bytes(), std::size_t(300));
}

void TestFileCache::tooBigFilesAreNotKept()
{
    FileCache cache(64 << 20, kSecond);
    cache.insert("/big", fileOf(FileCache::kInMemoryMaxBytes + 1, 0));
    QVERIFY(!cache.find("/big", 1));
    FileCache tiny(50, kSecond);
    tiny.insert("/a", fileOf(51, 0));
    QCOMPARE(tiny.entries(), std::size_t(0));
}

void TestFileCache::replacingKeepsByteCountRight()
{
    FileCache cache(1000, kSecond);
    cache.insert("/a", fileOf(100, 0));
    cache.insert("/a", fileOf(40, 0, 'y'));
    QCOMPARE(cache.entries(), std::size_t(1));
    QCOMPARE(cache.bytes(), std::size_t(40));
    QCOMPARE(cache.find("/a", 1)->content, std::string(40, 'y'));
}

void TestFileCache::servedEntrySurvivesEviction()
{
    FileCache cache(100, kSecond);
    cache.insert("/a", fileOf(100, 0, 'a'));
    std::shared_ptr<const CachedFile> sending = cache.find("/a", 1);
    cache.insert("/b", fileOf(100, 0));
    QVERIFY(!cache.find("/a", 1));
    QCOMPARE(sending->content, std::string(100, 'a')); // still valid for the response being sent
}

void TestFileCache::bigFilesAreKeptOpen()
{
    FileCache cache(100, kSecond); // the byte budget counts bytes in memory, not open files
    cache.insert("/a", fileOf(100, 0));
    cache.insert("/big", openFileOf(4 << 20, 0));
    QCOMPARE(cache.entries(), std::size_t(2));
    QCOMPARE(cache.bytes(), std::size_t(100));
    QCOMPARE(cache.openFiles(), std::size_t(1));
    const auto big = cache.find("/big", 1);
    QVERIFY(big && big->file.valid());
    const int fd = big->file.get();
    QVERIFY(!cache.find("/big", kSecond + 1)); // stale: dropped, but the response still holds it
    QCOMPARE(cache.openFiles(), std::size_t(0));
    QVERIFY(isOpen(fd));
}

void TestFileCache::openFileLimitClosesLeastRecentlyUsed()
{
    FileCache cache(1 << 20, kSecond);
    cache.insert("/first", openFileOf(1 << 20, 0));
    const int firstFd = cache.find("/first", 1)->file.get();
    for (std::size_t i = 1; i < FileCache::kMaxOpenFiles; ++i)
        cache.insert("/f" + std::to_string(i), openFileOf(1 << 20, 0));
    QCOMPARE(cache.openFiles(), FileCache::kMaxOpenFiles);
    QVERIFY(isOpen(firstFd));
    cache.insert("/one-more", openFileOf(1 << 20, 0));
    QCOMPARE(cache.openFiles(), FileCache::kMaxOpenFiles);
    QVERIFY(!cache.find("/first", 1));
    QVERIFY(!isOpen(firstFd)); // nobody was sending it: evicting it closed it
    QVERIFY(cache.find("/one-more", 1));
}

void TestFileCache::malformedEntriesAreRefused()
{
    FileCache cache(1 << 20, kSecond);
    auto smallButOpen = std::const_pointer_cast<CachedFile>(openFileOf(10, 0));
    cache.insert("/a", smallButOpen); // small files are kept as bytes, not descriptors
    auto sizeMismatch = std::make_shared<CachedFile>();
    sizeMismatch->content = "abc";
    sizeMismatch->size = 4;
    cache.insert("/b", sizeMismatch);
    cache.insert("/c", nullptr);
    QCOMPARE(cache.entries(), std::size_t(0));
    QCOMPARE(cache.openFiles(), std::size_t(0));
}

void TestFileCache::dropStaleClosesUnusedFiles()
{
    FileCache cache(1 << 20, kSecond);
    QCOMPARE(cache.dropStale(0), INT64_MAX); // nothing cached: nothing to wake up for
    cache.insert("/old", openFileOf(1 << 20, 0));
    cache.insert("/new", openFileOf(1 << 20, kSecond / 2));
    cache.insert("/small", fileOf(10, kSecond / 4));
    const int oldFd = cache.find("/old", 1)->file.get();
    QCOMPARE(cache.dropStale(kSecond / 2), kSecond + 1); // /old goes stale first
    QCOMPARE(cache.entries(), std::size_t(3));
    QCOMPARE(cache.dropStale(kSecond + 1), kSecond + kSecond / 4 + 1);
    QVERIFY(!isOpen(oldFd)); // closed without anyone asking for /old again
    QCOMPARE(cache.openFiles(), std::size_t(1));
    QCOMPARE(cache.dropStale(2 * kSecond), INT64_MAX);
    QCOMPARE(cache.entries(), std::size_t(0));
    QCOMPARE(cache.bytes(), std::size_t(0));
}

void TestFileCache::diskJobKeepsADescriptorOnlyWhenItMayBeNeeded_data()
{
    QTest::addColumn<int>("bytes");
    QTest::addColumn<bool>("keepsDescriptor");
    QTest::newRow("1 KiB: kept as bytes, closed at once") << 1024 << false;
    QTest::newRow("16 KiB: still bytes") << int(FileCache::kInMemoryMaxBytes) << false;
    QTest::newRow("16 KiB + 1: may be cached as a descriptor") << int(FileCache::kInMemoryMaxBytes) + 1 << true;
    QTest::newRow("300 KiB: read in chunks") << 300 * 1024 << true;
}

// A worker that opened and read a small file whole closes it: a burst of cache misses would
// otherwise hold one descriptor per response in flight (at 10,000 connections that ran the
// server out of descriptors). Bigger files keep theirs, for the next chunks or the cache.
void TestFileCache::diskJobKeepsADescriptorOnlyWhenItMayBeNeeded()
{
    QFETCH(int, bytes);
    QFETCH(bool, keepsDescriptor);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    {
        std::ofstream out(dir.filePath("f.bin").toStdString(), std::ios::binary);
        out << std::string(std::size_t(bytes), 'x');
    }
    const int root = ::open(dir.path().toLocal8Bit().constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    QVERIFY(root >= 0);
    DiskJob job;
    job.type = DiskJob::Type::OpenFile;
    job.path = "/f.bin";
    runDiskJob(root, job);
    ::close(root);
    QCOMPARE(job.error, 0);
    QCOMPARE(job.plan.status, 200);
    QCOMPARE(job.file.valid(), keepsDescriptor);
}

QTEST_GUILESS_MAIN(TestFileCache)
#include "tst_file_cache.moc"
