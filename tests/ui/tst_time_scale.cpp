// TimeScale: time <-> pixel mapping, zoom around a point within the limits, pan, fit; the axis's
// nice tick steps and labels. Pure arithmetic: no window.
#include "timeline/time_scale.h"

#include <QtTest>

#include <cstdint>
#include <cstdlib>

using namespace loopscope;

class TestTimeScale : public QObject {
    Q_OBJECT
private slots:
    void mapping_data();
    void mapping();
    void zoomKeepsTheTimeUnderX_data();
    void zoomKeepsTheTimeUnderX();
    void zoomStopsAtTheLimits_data();
    void zoomStopsAtTheLimits();
    void pan_data();
    void pan();
    void fit_data();
    void fit();
    void alignEndAndCentre();
    void tickStep_data();
    void tickStep();
    void tickLabel_data();
    void tickLabel();
    void preciseAndDuration_data();
    void preciseAndDuration();
};

namespace {

TimeScale scaleOf(std::int64_t start, double nsPerPixel, double width)
{
    TimeScale s;
    s.startNs = start;
    s.nsPerPixel = nsPerPixel;
    s.width = width;
    return s;
}

} // namespace

void TestTimeScale::mapping_data()
{
    QTest::addColumn<qint64>("start");
    QTest::addColumn<double>("nsPerPixel");
    QTest::addColumn<qint64>("t");
    QTest::addColumn<double>("x");
    QTest::newRow("origin") << qint64(0) << 1.0 << qint64(0) << 0.0;
    QTest::newRow("1 ms per px") << qint64(1'000'000'000) << 1e6 << qint64(1'250'000'000) << 250.0;
    QTest::newRow("before the start is negative") << qint64(1000) << 10.0 << qint64(500) << -50.0;
    QTest::newRow("fraction of a pixel") << qint64(0) << 4.0 << qint64(6) << 1.5;
    QTest::newRow("monotonic clock after days") << qint64(400'000'000'000'000) << 1000.0
                                                << qint64(400'000'000'123'000) << 123.0;
}

void TestTimeScale::mapping()
{
    QFETCH(qint64, start);
    QFETCH(double, nsPerPixel);
    QFETCH(qint64, t);
    QFETCH(double, x);
    const TimeScale s = scaleOf(start, nsPerPixel, 1000);
    QCOMPARE(s.mapTimeToX(t), x);
    QCOMPARE(s.mapXToTime(x), t);
}

void TestTimeScale::zoomKeepsTheTimeUnderX_data()
{
    QTest::addColumn<double>("nsPerPixel");
    QTest::addColumn<double>("x");
    QTest::addColumn<double>("factor");
    QTest::newRow("zoom in at the left edge") << 1e6 << 0.0 << 2.0;
    QTest::newRow("zoom in mid-screen") << 1e6 << 333.0 << 1.25;
    QTest::newRow("zoom out at the right edge") << 1e3 << 1000.0 << 0.5;
    QTest::newRow("many steps in") << 1e5 << 517.5 << 1000.0;
    QTest::newRow("zoom out by a lot") << 10.0 << 12.0 << 1e-4;
}

void TestTimeScale::zoomKeepsTheTimeUnderX()
{
    QFETCH(double, nsPerPixel);
    QFETCH(double, x);
    QFETCH(double, factor);
    TimeScale s = scaleOf(5'000'000'000, nsPerPixel, 1000);
    const std::int64_t before = s.mapXToTime(x);
    s.zoomAround(x, factor);
    QVERIFY2(std::llabs(s.mapXToTime(x) - before) <= 1, qPrintable(QString::number(s.mapXToTime(x) - before)));
    QCOMPARE(s.nsPerPixel, nsPerPixel / factor);
}

void TestTimeScale::zoomStopsAtTheLimits_data()
{
    QTest::addColumn<double>("width");
    QTest::addColumn<double>("factor");
    QTest::addColumn<double>("visibleNs");
    QTest::newRow("deepest: 1 us per screen") << 1000.0 << 1e9 << TimeScale::kMinVisibleNs;
    QTest::newRow("deepest on a wide screen") << 1600.0 << 1e9 << TimeScale::kMinVisibleNs;
    QTest::newRow("widest: 10 minutes per screen") << 1000.0 << 1e-9 << TimeScale::kMaxVisibleNs;
}

void TestTimeScale::zoomStopsAtTheLimits()
{
    QFETCH(double, width);
    QFETCH(double, factor);
    QFETCH(double, visibleNs);
    TimeScale s = scaleOf(1'000'000, 1e4, width);
    const std::int64_t before = s.mapXToTime(100);
    s.zoomAround(100, factor);
    QVERIFY(qFuzzyCompare(s.visibleNs(), visibleNs));
    QVERIFY(std::llabs(s.mapXToTime(100) - before) <= 1);
}

void TestTimeScale::pan_data()
{
    QTest::addColumn<double>("dx");
    QTest::addColumn<qint64>("start");
    QTest::newRow("drag right shows earlier times") << 100.0 << qint64(1'000'000 - 100'000);
    QTest::newRow("drag left shows later times") << -50.0 << qint64(1'000'000 + 50'000);
    QTest::newRow("no move") << 0.0 << qint64(1'000'000);
}

void TestTimeScale::pan()
{
    QFETCH(double, dx);
    QFETCH(qint64, start);
    TimeScale s = scaleOf(1'000'000, 1000, 800);
    const std::int64_t underCursor = s.mapXToTime(200);
    s.panByPixels(dx);
    QCOMPARE(s.startNs, start);
    QCOMPARE(s.mapXToTime(200 + dx), underCursor); // the content follows the mouse
}

void TestTimeScale::fit_data()
{
    QTest::addColumn<qint64>("t0");
    QTest::addColumn<qint64>("t1");
    QTest::addColumn<qint64>("start");
    QTest::addColumn<double>("nsPerPixel");
    QTest::newRow("one second") << qint64(2'000'000'000) << qint64(3'000'000'000) << qint64(2'000'000'000) << 1e6;
    QTest::newRow("reversed range") << qint64(3'000'000'000) << qint64(2'000'000'000) << qint64(2'000'000'000) << 1e6;
    QTest::newRow("too short: 1 us centred") << qint64(10'000) << qint64(10'010) << qint64(10'005 - 500) << 1.0;
    QTest::newRow("empty range: 1 us centred") << qint64(10'000) << qint64(10'000) << qint64(10'000 - 500) << 1.0;
    QTest::newRow("too long: 10 minutes centred") << qint64(0) << qint64(1'200'000'000'000)
                                                  << qint64(300'000'000'000) << 6e8;
}

void TestTimeScale::fit()
{
    QFETCH(qint64, t0);
    QFETCH(qint64, t1);
    QFETCH(qint64, start);
    QFETCH(double, nsPerPixel);
    TimeScale s = scaleOf(0, 1, 1000);
    s.fit(t0, t1);
    QCOMPARE(s.startNs, start);
    QCOMPARE(s.nsPerPixel, nsPerPixel);
}

void TestTimeScale::alignEndAndCentre()
{
    TimeScale s = scaleOf(0, 1000, 500);
    s.alignEndTo(10'000'000);
    QCOMPARE(s.endNs(), 10'000'000);
    s.centreOn(20'000'000);
    QCOMPARE(s.mapXToTime(250), 20'000'000);
    s.setWidth(0); // a collapsed widget still has a usable scale
    QVERIFY(s.width >= 1);
}

void TestTimeScale::tickStep_data()
{
    QTest::addColumn<double>("nsPerPixel");
    QTest::addColumn<double>("spacing");
    QTest::addColumn<qint64>("step");
    QTest::newRow("1 ns/px, 100 px") << 1.0 << 100.0 << qint64(100);
    QTest::newRow("rounds up to 2") << 1.3 << 100.0 << qint64(200);
    QTest::newRow("rounds up to 5") << 3.0 << 100.0 << qint64(500);
    QTest::newRow("1 ms/px") << 1e6 << 110.0 << qint64(200'000'000);
    QTest::newRow("below a nanosecond") << 0.001 << 10.0 << qint64(1);
    QTest::newRow("minutes") << 6e8 << 100.0 << qint64(100'000'000'000);
}

void TestTimeScale::tickStep()
{
    QFETCH(double, nsPerPixel);
    QFETCH(double, spacing);
    QFETCH(qint64, step);
    QCOMPARE(niceTickStep(nsPerPixel, spacing), step);
}

void TestTimeScale::tickLabel_data()
{
    QTest::addColumn<qint64>("t");
    QTest::addColumn<qint64>("step");
    QTest::addColumn<QString>("label");
    QTest::newRow("seconds in ms steps") << qint64(1'250'000'000) << qint64(50'000'000) << "1.250 s";
    QTest::newRow("whole seconds") << qint64(3'000'000'000) << qint64(1'000'000'000) << "3 s";
    QTest::newRow("microseconds") << qint64(340'000) << qint64(10'000) << QString::fromUtf8("340 \u00b5s");
    QTest::newRow("zero takes the step's unit") << qint64(0) << qint64(100'000'000) << "0 ms";
    QTest::newRow("negative") << qint64(-2'000'000) << qint64(1'000'000) << "-2 ms";
    QTest::newRow("fine steps late in a session") << qint64(61'000'000'500) << qint64(100) << "61.000000500 s";
    QTest::newRow("nanoseconds") << qint64(20) << qint64(5) << "20 ns";
}

void TestTimeScale::tickLabel()
{
    QFETCH(qint64, t);
    QFETCH(qint64, step);
    QFETCH(QString, label);
    QCOMPARE(formatTickLabel(t, step), label);
}

void TestTimeScale::preciseAndDuration_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<QString>("precise");
    QTest::addColumn<QString>("duration");
    QTest::newRow("seconds") << qint64(1'234'567'891) << "1.234567891 s" << "1.234 s";
    QTest::newRow("microseconds") << qint64(12'345) << QString::fromUtf8("12.345 \u00b5s") << QString::fromUtf8("12.345 \u00b5s");
    QTest::newRow("nanoseconds") << qint64(340) << "340 ns" << "340 ns";
    QTest::newRow("milliseconds") << qint64(1'200'000) << "1.200000 ms" << "1.200 ms";
    QTest::newRow("zero") << qint64(0) << "0 ns" << "0 ns";
}

void TestTimeScale::preciseAndDuration()
{
    QFETCH(qint64, ns);
    QFETCH(QString, precise);
    QFETCH(QString, duration);
    QCOMPARE(formatPreciseNs(ns), precise);
    QCOMPARE(formatDuration(ns), duration);
}

QTEST_GUILESS_MAIN(TestTimeScale)
#include "tst_time_scale.moc"
