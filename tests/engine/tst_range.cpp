// parseRange: a table of Range headers against file sizes.
#include "http/range.h"

#include <QtTest>

using namespace loopscope;

Q_DECLARE_METATYPE(ByteRange::Kind)

class TstRange : public QObject {
    Q_OBJECT
private slots:
    void parses_data();
    void parses();
};

void TstRange::parses_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<quint64>("size");
    QTest::addColumn<ByteRange::Kind>("kind");
    QTest::addColumn<quint64>("first");
    QTest::addColumn<quint64>("last");

    const auto ok = ByteRange::Kind::Satisfiable;
    const auto bad = ByteRange::Kind::Unsatisfiable;
    const auto ignore = ByteRange::Kind::Ignore;
    const quint64 max = std::numeric_limits<quint64>::max();

    QTest::newRow("first byte") << QByteArray("bytes=0-0") << quint64(100) << ok << quint64(0) << quint64(0);
    QTest::newRow("first hundred") << QByteArray("bytes=0-99") << quint64(1000) << ok << quint64(0) << quint64(99);
    QTest::newRow("middle") << QByteArray("bytes=10-19") << quint64(100) << ok << quint64(10) << quint64(19);
    QTest::newRow("last byte by position") << QByteArray("bytes=99-99") << quint64(100) << ok << quint64(99) << quint64(99);
    QTest::newRow("open end") << QByteArray("bytes=100-") << quint64(1000) << ok << quint64(100) << quint64(999);
    QTest::newRow("suffix one") << QByteArray("bytes=-1") << quint64(100) << ok << quint64(99) << quint64(99);
    QTest::newRow("suffix 500") << QByteArray("bytes=-500") << quint64(1000) << ok << quint64(500) << quint64(999);
    QTest::newRow("suffix longer than file") << QByteArray("bytes=-500") << quint64(10) << ok << quint64(0) << quint64(9);
    QTest::newRow("end clamped") << QByteArray("bytes=0-99999") << quint64(100) << ok << quint64(0) << quint64(99);
    QTest::newRow("end clamped to max") << QByteArray("bytes=5-18446744073709551615") << quint64(100) << ok << quint64(5) << quint64(99);
    QTest::newRow("unit case-insensitive") << QByteArray("Bytes=0-1") << quint64(10) << ok << quint64(0) << quint64(1);
    QTest::newRow("spaces after equals") << QByteArray("bytes= 0-1") << quint64(10) << ok << quint64(0) << quint64(1);
    QTest::newRow("spaces around dash") << QByteArray("bytes=0 - 1") << quint64(10) << ok << quint64(0) << quint64(1);
    QTest::newRow("spaces around header") << QByteArray("  bytes=0-1 \t") << quint64(10) << ok << quint64(0) << quint64(1);
    QTest::newRow("huge file") << QByteArray("bytes=-1") << max << ok << max - 1 << max - 1;

    QTest::newRow("start past end") << QByteArray("bytes=5-") << quint64(5) << bad << quint64(0) << quint64(0);
    QTest::newRow("start far past end") << QByteArray("bytes=1000-2000") << quint64(100) << bad << quint64(0) << quint64(0);
    QTest::newRow("empty suffix") << QByteArray("bytes=-0") << quint64(100) << bad << quint64(0) << quint64(0);
    QTest::newRow("empty file from start") << QByteArray("bytes=0-0") << quint64(0) << bad << quint64(0) << quint64(0);
    QTest::newRow("empty file open end") << QByteArray("bytes=0-") << quint64(0) << bad << quint64(0) << quint64(0);
    QTest::newRow("empty file suffix") << QByteArray("bytes=-5") << quint64(0) << bad << quint64(0) << quint64(0);

    QTest::newRow("two ranges") << QByteArray("bytes=0-1,5-6") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("two ranges with space") << QByteArray("bytes=0-1, 5-6") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("trailing comma") << QByteArray("bytes=0-1,") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("other unit") << QByteArray("items=0-1") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("no unit") << QByteArray("0-1") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("space before equals") << QByteArray("bytes =0-1") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("empty") << QByteArray("") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("empty set") << QByteArray("bytes=") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("dash only") << QByteArray("bytes=-") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("reversed") << QByteArray("bytes=5-1") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("letters") << QByteArray("bytes=a-b") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("negative") << QByteArray("bytes=-5-10") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("plus sign") << QByteArray("bytes=+5-10") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("trailing text") << QByteArray("bytes=0-1x") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("overflowing start") << QByteArray("bytes=18446744073709551616-") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("overflowing end") << QByteArray("bytes=0-99999999999999999999999") << quint64(100) << ignore << quint64(0) << quint64(0);
    QTest::newRow("overflowing suffix") << QByteArray("bytes=-99999999999999999999999") << quint64(100) << ignore << quint64(0) << quint64(0);
}

void TstRange::parses()
{
    QFETCH(QByteArray, header);
    QFETCH(quint64, size);
    QFETCH(ByteRange::Kind, kind);
    QFETCH(quint64, first);
    QFETCH(quint64, last);
    const ByteRange range = parseRange(std::string_view(header.constData(), header.size()), size);
    QCOMPARE(int(range.kind), int(kind));
    if (kind == ByteRange::Kind::Satisfiable) {
        QCOMPARE(quint64(range.first), first);
        QCOMPARE(quint64(range.last), last);
        QVERIFY(range.last < size);
    }
}

QTEST_GUILESS_MAIN(TstRange)
#include "tst_range.moc"
