// FileCache: validity period, byte budget with least-recently-used eviction, size limit.
#include "server/file_cache.h"

#include <QtTest>

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
};

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;

std::shared_ptr<const CachedFile> fileOf(std::size_t bytes, std::int64_t loadedNs, char fill = 'x')
{
    auto f = std::make_shared<CachedFile>();
    f->content.assign(bytes, fill);
    f->contentType = "text/plain";
    f->loadedNs = loadedNs;
    return f;
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
    cache.insert("/big", fileOf(FileCache::kMaxFileBytes + 1, 0));
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

QTEST_GUILESS_MAIN(TestFileCache)
#include "tst_file_cache.moc"
