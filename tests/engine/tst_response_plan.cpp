// planFileResponse: which status, byte range and headers a GET/HEAD of an existing file gets.
#include "server/response_plan.h"
#include "http/response.h"

#include <QtTest>

using namespace loopscope;

class TestResponsePlan : public QObject {
    Q_OBJECT
private slots:
    void plans_data();
    void plans();
    void openErrors_data();
    void openErrors();
};

namespace {
constexpr std::time_t kModified = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT

struct stat fileOf(std::uint64_t size)
{
    struct stat st{};
    st.st_mode = S_IFREG | 0644;
    st.st_size = off_t(size);
    st.st_mtime = kModified;
    return st;
}
} // namespace

void TestResponsePlan::plans_data()
{
    QTest::addColumn<bool>("head");
    QTest::addColumn<QString>("range");
    QTest::addColumn<QString>("ims");
    QTest::addColumn<int>("status");
    QTest::addColumn<qulonglong>("offset");
    QTest::addColumn<qulonglong>("bodyLength");
    QTest::addColumn<qulonglong>("contentLength");
    QTest::addColumn<QString>("contentRange");

    const QString same = QString::fromStdString(formatHttpDate(kModified));
    const QString later = QString::fromStdString(formatHttpDate(kModified + 60));
    const QString earlier = QString::fromStdString(formatHttpDate(kModified - 60));
    QTest::newRow("plain GET") << false << "" << "" << 200 << 0ull << 1000ull << 1000ull << "";
    QTest::newRow("HEAD has no body but the GET length") << true << "" << "" << 200 << 0ull << 0ull << 1000ull << "";
    QTest::newRow("first ten bytes") << false << "bytes=0-9" << "" << 206 << 0ull << 10ull << 10ull << "bytes 0-9/1000";
    QTest::newRow("open-ended range") << false << "bytes=990-" << "" << 206 << 990ull << 10ull << 10ull << "bytes 990-999/1000";
    QTest::newRow("suffix range") << false << "bytes=-5" << "" << 206 << 995ull << 5ull << 5ull << "bytes 995-999/1000";
    QTest::newRow("range past the end") << false << "bytes=1000-" << "" << 416 << 0ull << 0ull << 0ull << "bytes */1000";
    QTest::newRow("unknown unit is ignored") << false << "items=0-1" << "" << 200 << 0ull << 1000ull << 1000ull << "";
    QTest::newRow("not modified since the same second") << false << "" << same << 304 << 0ull << 0ull << 1000ull << "";
    QTest::newRow("not modified since later") << false << "" << later << 304 << 0ull << 0ull << 1000ull << "";
    QTest::newRow("modified since earlier") << false << "" << earlier << 200 << 0ull << 1000ull << 1000ull << "";
    QTest::newRow("invalid date is ignored") << false << "" << "yesterday" << 200 << 0ull << 1000ull << 1000ull << "";
    QTest::newRow("304 wins over Range") << false << "bytes=0-9" << same << 304 << 0ull << 0ull << 1000ull << "";
}

void TestResponsePlan::plans()
{
    QFETCH(bool, head);
    QFETCH(QString, range);
    QFETCH(QString, ims);
    QFETCH(int, status);
    QFETCH(qulonglong, offset);
    QFETCH(qulonglong, bodyLength);
    QFETCH(qulonglong, contentLength);
    QFETCH(QString, contentRange);

    ResponsePlan plan;
    const std::string r = range.toStdString(), i = ims.toStdString();
    planFileResponse(head ? HttpMethod::Head : HttpMethod::Get, "/a.txt", r, i, fileOf(1000), plan);
    QCOMPARE(plan.status, status);
    if (status != 416)
        QCOMPARE(plan.contentLength, contentLength);
    QCOMPARE(plan.bodyOffset, offset);
    QCOMPARE(plan.bodyLength, bodyLength);
    QCOMPARE(QString::fromStdString(plan.contentRange), contentRange);
    QCOMPARE(plan.lastModified, kModified);
    if (status != 416)
        QVERIFY(plan.contentType.starts_with("text/plain"));
}

void TestResponsePlan::openErrors_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<int>("status");
    QTest::newRow("missing") << ENOENT << 404;
    QTest::newRow("a file used as a folder") << ENOTDIR << 404;
    QTest::newRow("permission") << EACCES << 403;
    QTest::newRow("symlink leaving the root") << EXDEV << 403;
    QTest::newRow("symlink loop") << ELOOP << 403;
    QTest::newRow("I/O error") << EIO << 500;
}

void TestResponsePlan::openErrors()
{
    QFETCH(int, error);
    QFETCH(int, status);
    QCOMPARE(statusForOpenError(error), status);
}

QTEST_GUILESS_MAIN(TestResponsePlan)
#include "tst_response_plan.moc"
