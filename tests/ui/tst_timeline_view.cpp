// TimelineView: what is painted where (pixel colours of known spans), zoom and pan keep the
// time under the cursor, follow-live, click -> connectionClicked/eventSelected, selectEvent
// scrolls into view, the tooltip, range selection, and dense lanes (level of detail).
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/palette.h"
#include "timeline/timeline_layout.h"
#include "timeline/timeline_legend.h"
#include "timeline/timeline_view.h"

#include "synthetic_records.h"

#include <QScrollBar>
#include <QtTest>

#include <vector>

using namespace loopscope;
using loopscope::test::rec;
using S = ConnectionState;

namespace {

constexpr std::int64_t kOrigin = 1'000'000'000; // the session starts 1 s into the monotonic clock
constexpr std::int64_t kStep = 100'000'000;     // 100 ms between transitions: wide spans

// One GET /index.html with Connection: close; each state lasts `step` (WritingBody 2 steps).
std::vector<EventRecord> request(std::uint32_t conn, std::int64_t t, std::int64_t step)
{
    return {rec(t, EventKind::ConnectionAccepted, conn, S::None, S::Accepted),
            rec(t + step, EventKind::BytesRead, conn, S::Accepted, S::ReadingHeaders, 70),
            rec(t + 2 * step, EventKind::RequestHeadersRead, conn, S::ReadingHeaders, S::FetchingFile, 1, 1),
            makeTextRecord(conn, "/index.html", true),
            rec(t + 2 * step + 1, EventKind::DiskReadStarted, conn, S::FetchingFile, S::FetchingFile),
            rec(t + 3 * step - 1, EventKind::DiskReadDone, conn, S::FetchingFile, S::WritingHeaders, 1000),
            rec(t + 4 * step, EventKind::ResponseHeadersWritten, conn, S::WritingHeaders, S::WritingBody, 200, 150),
            rec(t + 5 * step, EventKind::BodyBytesWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 6 * step - 1, EventKind::BodyWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 6 * step, EventKind::ConnectionClosed, conn, S::WritingBody, S::Closed)};
}

struct Fixture {
    TraceStore store;
    TimelineModel model;

    void feed(const std::vector<EventRecord>& records)
    {
        const std::uint64_t from = store.endIndex();
        store.append(records.data(), records.size());
        model.ingest(store, from, store.endIndex());
    }
    // Index of the first record of `conn` with `kind`.
    std::uint64_t indexOf(std::uint32_t conn, EventKind kind) const
    {
        for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
            if (store.at(i).conn == conn && store.at(i).kind == kind)
                return i;
        return ~0ull;
    }
};

void sendWheel(QWidget& w, QPoint pos, int angle, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    QWheelEvent e(pos, w.mapToGlobal(pos), QPoint(), QPoint(0, angle), Qt::NoButton, modifiers, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&w, &e);
}

void sendMouse(QWidget& w, QEvent::Type type, QPoint pos, Qt::MouseButtons buttons,
               Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    const Qt::MouseButton button = type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton;
    QMouseEvent e(type, pos, w.mapToGlobal(pos), button, buttons, modifiers);
    QApplication::sendEvent(&w, &e);
}

} // namespace

class TestTimelineView : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void spansHaveTheirStatesColour();
    void loopLanesArePainted();
    void wheelZoomKeepsTheTimeUnderTheCursor();
    void dragPansWithTheMouseAndStopsFollowing();
    void followLiveTracksNewData();
    void clickEmitsConnectionAndTransition();
    void selectEventScrollsTheLaneIntoView();
    void toolTipDescribesTheSpan();
    void toolTipTellsAWaitedCacheHit();
    void shiftDragSelectsAndZKeyZooms();
    void laneHeightAndFit();
    void denseLanesUseLevelOfDetail();
    void paintTimeIsReported();
    void legendAndShortcutsExist();
    void threadPerConnectionLanesNameTheirThread();
    void replayWalksForwardAndStopsOnAKey();
    void liveFramesShiftCachedLanesExactly();

private:
    std::unique_ptr<Fixture> m_data;
    std::unique_ptr<TimelineView> m_view;
    QColor pixel(std::int64_t t, int row);
};

void TestTimelineView::init()
{
    m_data = std::make_unique<Fixture>();
    // The engine loop: blocked 0-50 ms, dispatching 50-150 ms (3 ready), blocked again.
    m_data->feed({rec(kOrigin, EventKind::ServerStarted, 0, S::None, S::None, 8080, 100),
                  rec(kOrigin, EventKind::LoopPollBegin, 0, S::None, S::None, 1000),
                  rec(kOrigin + 50'000'000, EventKind::LoopPollEnd, 0, S::None, S::None, 3),
                  rec(kOrigin + 150'000'000, EventKind::LoopPollBegin, 0, S::None, S::None, 1000)});
    m_data->feed(request(345, kOrigin + kStep, kStep)); // lane 0: 100 ms .. 700 ms
    m_view = std::make_unique<TimelineView>(m_data->model, m_data->store);
    m_view->resize(900, 300);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    m_view->setVisibleRange(kOrigin, kOrigin + 1'000'000'000);
}

void TestTimelineView::cleanup()
{
    m_view.reset();
    m_data.reset();
}

QColor TestTimelineView::pixel(std::int64_t t, int row)
{
    const QImage image = m_view->grab().toImage();
    const QRect r = m_view->rowRect(row);
    // Near the top of the row: below the 1 px lane gap, above captions and the disk bar.
    return image.pixelColor(int(m_view->xForTime(t)), r.top() + 3);
}

void TestTimelineView::spansHaveTheirStatesColour()
{
    const int row = TimelineLayout::kFirstConnectionRow;
    const std::int64_t start = kOrigin + kStep;
    QCOMPARE(pixel(start + kStep / 2, row), palette::colorFor(S::Accepted));
    QCOMPARE(pixel(start + kStep * 3 / 2, row), palette::colorFor(S::ReadingHeaders));
    QCOMPARE(pixel(start + kStep * 5 / 2, row), palette::colorFor(S::FetchingFile));
    QCOMPARE(pixel(start + kStep * 7 / 2, row), palette::colorFor(S::WritingHeaders));
    QCOMPARE(pixel(start + kStep * 59 / 10, row), palette::colorFor(S::WritingBody));
    // After the close the lane is empty (background).
    QCOMPARE(pixel(start + kStep * 13 / 2, row), QColor::fromRgb(palette::kBackground));
    // The disk read is a thin dark bar along the bottom of the FetchingFile span.
    const QImage image = m_view->grab().toImage();
    const QRect r = m_view->rowRect(row);
    QCOMPARE(image.pixelColor(int(m_view->xForTime(start + kStep * 5 / 2)), r.bottom() - 2), palette::diskColor(false));
}

void TestTimelineView::loopLanesArePainted()
{
    QCOMPARE(pixel(kOrigin + 25'000'000, TimelineLayout::kEngineRow), palette::colorFor(LoopPhase::Blocked));
    QCOMPARE(pixel(kOrigin + 55'000'000, TimelineLayout::kEngineRow), palette::colorFor(LoopPhase::Dispatching));
}

void TestTimelineView::wheelZoomKeepsTheTimeUnderTheCursor()
{
    const QPoint cursor(400, m_view->rowRect(2).center().y());
    const std::int64_t before = m_view->timeAtX(cursor.x());
    const double nsPerPixel = m_view->scale().nsPerPixel;
    sendWheel(*m_view, cursor, 240); // two notches in
    QVERIFY(m_view->scale().nsPerPixel < nsPerPixel);
    QVERIFY(std::llabs(m_view->timeAtX(cursor.x()) - before) <= 1);
    sendWheel(*m_view, cursor, -120); // one notch out
    QVERIFY(std::llabs(m_view->timeAtX(cursor.x()) - before) <= 1);
    QTest::keyClick(m_view.get(), Qt::Key_Plus); // keys zoom around the centre
    QVERIFY(m_view->scale().nsPerPixel < nsPerPixel);
}

void TestTimelineView::dragPansWithTheMouseAndStopsFollowing()
{
    m_view->setFollowLive(true);
    const QPoint from(300, m_view->rowRect(2).center().y());
    const QPoint to = from + QPoint(120, 0);
    const std::int64_t grabbed = m_view->timeAtX(from.x());
    QSignalSpy clicked(m_view.get(), &TimelineView::connectionClicked);
    sendMouse(*m_view, QEvent::MouseButtonPress, from, Qt::LeftButton);
    sendMouse(*m_view, QEvent::MouseMove, from + QPoint(60, 0), Qt::LeftButton);
    sendMouse(*m_view, QEvent::MouseMove, to, Qt::LeftButton);
    sendMouse(*m_view, QEvent::MouseButtonRelease, to, Qt::NoButton);
    QVERIFY(!m_view->followLive());
    QVERIFY(std::llabs(m_view->timeAtX(to.x()) - grabbed) <= std::llround(m_view->scale().nsPerPixel));
    QCOMPARE(clicked.count(), 0); // a drag is not a click
}

void TestTimelineView::followLiveTracksNewData()
{
    QSignalSpy changed(m_view.get(), &TimelineView::followLiveChanged);
    m_view->setFollowLive(true);
    QCOMPARE(changed.count(), 1);
    // Following live, the newest record lies in the last pixel column (the view starts on a
    // whole column, so that consecutive live frames differ by whole columns).
    const auto newestInLastColumn = [&] {
        const std::int64_t past = m_view->scale().endNs() - m_data->model.lastTime();
        return past >= 0 && double(past) < m_view->scale().nsPerPixel;
    };
    m_view->refresh();
    QVERIFY(newestInLastColumn());
    m_data->feed(request(346, kOrigin + 5'000'000'000, kStep));
    m_view->refresh();
    QVERIFY(newestInLastColumn());
    // The new connection took lane 0 (the first one closed): its last state is at the right edge.
    const int row = TimelineLayout::kFirstConnectionRow;
    QCOMPARE(pixel(m_data->model.lastTime() - kStep / 2, row), palette::colorFor(S::WritingBody));
    QTest::keyClick(m_view.get(), Qt::Key_Space); // pause
    QVERIFY(!m_view->followLive());
    const std::int64_t paused = m_view->scale().endNs();
    m_data->feed(request(347, kOrigin + 9'000'000'000, kStep));
    m_view->refresh();
    QCOMPARE(m_view->scale().endNs(), paused);
}

void TestTimelineView::clickEmitsConnectionAndTransition()
{
    QSignalSpy conn(m_view.get(), &TimelineView::connectionClicked);
    QSignalSpy event(m_view.get(), &TimelineView::eventSelected);
    const int x = int(m_view->xForTime(kOrigin + kStep * 5 / 2)); // in ReadingHeaders
    QTest::mouseClick(m_view.get(), Qt::LeftButton, {}, QPoint(x, m_view->rowRect(2).center().y()));
    QCOMPARE(conn.count(), 1);
    QCOMPARE(conn.at(0).at(0).value<quint32>(), 345u);
    QCOMPARE(event.count(), 1);
    QCOMPARE(event.at(0).at(0).value<quint64>(), m_data->indexOf(345, EventKind::BytesRead));
    QCOMPARE(m_view->highlightedEvent().value(), m_data->indexOf(345, EventKind::BytesRead));
    // An empty lane part and the loop lanes are not connections.
    QTest::mouseClick(m_view.get(), Qt::LeftButton, {}, QPoint(int(m_view->xForTime(kOrigin + 950'000'000)),
                                                               m_view->rowRect(2).center().y()));
    QTest::mouseClick(m_view.get(), Qt::LeftButton, {}, QPoint(x, m_view->rowRect(0).center().y()));
    QCOMPARE(conn.count(), 1);
}

void TestTimelineView::selectEventScrollsTheLaneIntoView()
{
    // 40 overlapping connections: 40 lanes, far more than 300 px show.
    std::vector<EventRecord> many;
    for (std::uint32_t c = 1000; c < 1040; ++c)
        many.push_back(rec(kOrigin + 2'000'000'000 + c, EventKind::ConnectionAccepted, c, S::None, S::Accepted));
    m_data->feed(many);
    m_view->refresh();
    QCOMPARE(m_view->verticalScroll(), 0);
    const std::uint64_t index = m_data->indexOf(1039, EventKind::ConnectionAccepted);
    const int lane = m_data->model.connection(1039)->lane;
    QVERIFY(lane > 20);
    m_view->selectEvent(index);
    QVERIFY(!m_view->followLive());
    QVERIFY(m_view->verticalScroll() > 0);
    const QRect r = m_view->rowRect(TimelineLayout::kFirstConnectionRow + lane);
    QVERIFY(r.top() >= TimelineLayout::kAxisHeight + 2 * TimelineLayout::kLoopLaneHeight);
    QVERIFY(r.bottom() < m_view->height());
    const std::int64_t t = m_data->store.at(index).t_ns;
    QVERIFY(m_view->scale().startNs <= t && t < m_view->scale().endNs());
    QCOMPARE(m_view->highlightedEvent().value(), index);
}

void TestTimelineView::toolTipDescribesTheSpan()
{
    const int y = m_view->rowRect(2).center().y();
    const QString fetching = m_view->toolTipAt(QPoint(int(m_view->xForTime(kOrigin + kStep * 7 / 2)), y));
    QVERIFY2(fetching.contains("connection 345"), qPrintable(fetching));
    QVERIFY2(fetching.contains("fetching file"), qPrintable(fetching));
    QVERIFY2(fetching.contains("start: 300.000000 ms"), qPrintable(fetching));
    QVERIFY2(fetching.contains("duration: 99.999 ms"), qPrintable(fetching));
    QVERIFY2(fetching.contains("GET /index.html"), qPrintable(fetching));
    QVERIFY2(fetching.contains("status 200, 1000 body bytes"), qPrintable(fetching));
    QVERIFY2(fetching.contains("disk read"), qPrintable(fetching));
    const QString loop = m_view->toolTipAt(QPoint(int(m_view->xForTime(kOrigin + 60'000'000)), m_view->rowRect(0).center().y()));
    QVERIFY2(loop.contains("dispatching (3 ready)"), qPrintable(loop));
    QVERIFY(m_view->toolTipAt(QPoint(10, y)).isEmpty()); // the lane names
}

// A request that waited for another connection's read of its file is served from the cache
// after that wait: its fetching-file span has a length, and the tooltip says why.
void TestTimelineView::toolTipTellsAWaitedCacheHit()
{
    Fixture data;
    data.feed({rec(kOrigin, EventKind::ConnectionAccepted, 7, S::None, S::Accepted),
               rec(kOrigin + 10'000'000, EventKind::BytesRead, 7, S::Accepted, S::ReadingHeaders, 70),
               rec(kOrigin + 20'000'000, EventKind::RequestHeadersRead, 7, S::ReadingHeaders, S::FetchingFile, 1, 1),
               rec(kOrigin + 60'000'000, EventKind::FileCacheHit, 7, S::FetchingFile, S::WritingHeaders, 1000),
               rec(kOrigin + 70'000'000, EventKind::ConnectionClosed, 7, S::WritingHeaders, S::Closed)});
    TimelineView view(data.model, data.store);
    view.resize(900, 300);
    view.setView(kOrigin, 100'000);
    const QString waited = view.toolTipAt(QPoint(int(view.xForTime(kOrigin + 40'000'000)), view.rowRect(2).center().y()));
    QVERIFY2(waited.contains("fetching file (file cache hit, after waiting for another connection's read of the file)"),
             qPrintable(waited));
}

void TestTimelineView::shiftDragSelectsAndZKeyZooms()
{
    QSignalSpy selected(m_view.get(), &TimelineView::rangeSelected);
    const int y = m_view->rowRect(2).center().y();
    const QPoint from(int(m_view->xForTime(kOrigin + 200'000'000)), y);
    const QPoint to(int(m_view->xForTime(kOrigin + 400'000'000)), y);
    sendMouse(*m_view, QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::ShiftModifier);
    sendMouse(*m_view, QEvent::MouseMove, to, Qt::LeftButton, Qt::ShiftModifier);
    sendMouse(*m_view, QEvent::MouseButtonRelease, to, Qt::NoButton, Qt::ShiftModifier);
    QCOMPARE(selected.count(), 1);
    const auto [t0, t1] = m_view->selection();
    QCOMPARE(selected.at(0).at(0).value<qint64>(), t0);
    QCOMPARE(selected.at(0).at(1).value<qint64>(), t1);
    const std::int64_t pixelNs = std::llround(m_view->scale().nsPerPixel);
    QVERIFY(std::llabs(t0 - (kOrigin + 200'000'000)) <= pixelNs);
    QVERIFY(std::llabs(t1 - (kOrigin + 400'000'000)) <= pixelNs);
    QTest::keyClick(m_view.get(), Qt::Key_Z);
    QVERIFY(std::llabs(m_view->scale().startNs - t0) <= 1);
    QVERIFY(std::llabs(m_view->scale().endNs() - t1) <= 1);
}

void TestTimelineView::laneHeightAndFit()
{
    m_view->setLaneHeight(30);
    QCOMPARE(m_view->rowRect(3).top() - m_view->rowRect(2).top(), 30);
    QTest::keyClick(m_view.get(), Qt::Key_BracketLeft);
    QCOMPARE(m_view->laneHeight(), 28);
    m_view->setLaneHeight(1);
    QCOMPARE(m_view->laneHeight(), TimelineView::kMinLaneHeight);
    QTest::keyClick(m_view.get(), Qt::Key_Home);
    QVERIFY(std::llabs(m_view->scale().startNs - m_data->model.firstTime()) <= 1);
    QVERIFY(std::llabs(m_view->scale().endNs() - m_data->model.lastTime()) <= 1);
}

void TestTimelineView::denseLanesUseLevelOfDetail()
{
    // 200,000 transitions of 1 µs each on one lane, alternating ReadingHeaders/WritingBody, seen
    // whole: every pixel column aggregates hundreds of spans and gets one of the two colours.
    std::vector<EventRecord> dense;
    const std::int64_t t0 = kOrigin + 2'000'000'000;
    dense.push_back(rec(t0, EventKind::ConnectionAccepted, 7, S::None, S::Accepted));
    for (int i = 1; i <= 200'000; ++i) {
        const bool reading = i % 2 == 1;
        dense.push_back(rec(t0 + i * 1000, EventKind::BytesRead, 7, reading ? S::WritingBody : S::ReadingHeaders,
                            reading ? S::ReadingHeaders : S::WritingBody));
    }
    m_data->feed(dense);
    m_view->setVisibleRange(t0, t0 + 200'000'000);
    const QImage image = m_view->grab().toImage();
    const QRect r = m_view->rowRect(TimelineLayout::kFirstConnectionRow);
    int painted = 0;
    for (int x = r.left() + 1; x < r.right() - 1; ++x) {
        const QColor c = image.pixelColor(x, r.top() + 3);
        painted += c == palette::colorFor(S::ReadingHeaders) || c == palette::colorFor(S::WritingBody);
    }
    QCOMPARE(painted, r.width() - 3);
}

void TestTimelineView::paintTimeIsReported()
{
    int calls = 0;
    std::int64_t duration = -1;
    m_view->setWorkRecorder([&](std::int64_t start, std::int64_t ns) {
        QVERIFY(start > 0);
        duration = ns;
        ++calls;
    });
    m_view->grab();
    QVERIFY(calls >= 1);
    QVERIFY(duration >= 0);
}

void TestTimelineView::legendAndShortcutsExist()
{
    TimelineLegend legend;
    legend.show();
    QVERIFY(legend.sizeHint().height() > 0);
    const auto keys = TimelineView::shortcuts();
    QVERIFY(keys.size() >= 8);
    QVERIFY(std::any_of(keys.begin(), keys.end(), [](const auto& k) { return k.first.contains("Z"); }));
}

// In the thread-per-connection model each connection's records carry its thread: the lane says so.
void TestTimelineView::threadPerConnectionLanesNameTheirThread()
{
    TraceStore store;
    TimelineModel model;
    std::vector<EventRecord> records = request(1, kOrigin, kStep);
    for (EventRecord& r : records)
        if (r.kind != EventKind::ConnectionAccepted && r.kind != EventKind::RequestText)
            r.thread = 3;
    store.append(records.data(), records.size() - 1); // still open: without the close
    model.ingest(store, 0, store.endIndex());
    QCOMPARE(model.connection(1)->thread, std::uint8_t(3));
    QCOMPARE(TimelinePainter::laneName(model, 0, kOrigin + 5 * kStep), QStringLiteral("thread 3: conn 1"));
    // The event loop's records (thread 0) keep the plain lane name.
    QCOMPARE(TimelinePainter::laneName(m_data->model, 0, kOrigin + 5 * kStep).startsWith(QStringLiteral("lane 0")), true);
}

// Slow motion: the right edge walks forward from 5 s before the newest record, a key stops it.
void TestTimelineView::replayWalksForwardAndStopsOnAKey()
{
    TimelineView& view = *m_view;
    view.startReplay(10 * kStep, 1.0); // real time, so a short wait shows movement
    QVERIFY(view.replaying());
    QVERIFY(!view.followLive());
    const std::int64_t first = view.replayEdge();
    QCOMPARE(first, m_data->model.firstTime()); // 1 s back reaches the recording's start
    QVERIFY(first < m_data->model.lastTime());
    QTRY_VERIFY_WITH_TIMEOUT(view.replayEdge() > first, 5000);
    QTest::keyClick(&view, Qt::Key_Left);
    QVERIFY(!view.replaying());
    // Replayed to the end, it follows live data again.
    view.startReplay(kStep / 10, 1.0);
    QTRY_VERIFY_WITH_TIMEOUT(!view.replaying(), 5000);
    QVERIFY(view.followLive());
}

// A live view redraws only the columns its view moved into (LaneRowCache): frame after frame of
// new traffic, its picture must be, pixel for pixel, what a view drawing everything shows.
void TestTimelineView::liveFramesShiftCachedLanesExactly()
{
    Fixture data;
    const auto live = [&](TimelineView& view, std::int64_t start, double nsPerPixel) {
        view.resize(900, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setView(start, nsPerPixel);
        view.setFollowLive(true);
        view.refresh();
    };
    data.feed({rec(kOrigin, EventKind::ServerStarted, 0, S::None, S::None, 8080, 100)});
    TimelineView incremental(data.model, data.store);
    constexpr double kNsPerPixel = 2'700'000; // about 2 s across the 740-column time area
    live(incremental, kOrigin, kNsPerPixel);
    // Connection lanes and the engine loop's lane are cached; each frame must look exactly like
    // a full repaint.
    // A long-lived connection whose states span many frames (wide spans, with captions); at
    // frame 24 its disk read is reported with the worker's earlier times, ending a span before
    // the previous frame's live edge, as a real disk worker's records do (and at frame 34 the
    // next chunk's read, on a disk bar already cached).
    constexpr std::uint32_t kSlow = 100'000;
    std::vector<std::int64_t> frameTimes;
    const auto slowRecords = [&](int frame) -> std::vector<EventRecord> {
        const auto at = [&](int f) { return frameTimes[std::size_t(f)]; };
        switch (frame) {
        case 0: return {rec(at(0), EventKind::ConnectionAccepted, kSlow, S::None, S::Accepted)};
        case 8: return {rec(at(8), EventKind::BytesRead, kSlow, S::Accepted, S::ReadingHeaders, 70)};
        case 16: return {rec(at(16), EventKind::RequestHeadersRead, kSlow, S::ReadingHeaders, S::FetchingFile, 1, 1)};
        case 24: return {rec(at(17), EventKind::DiskReadStarted, kSlow, S::FetchingFile, S::FetchingFile),
                         rec(at(20), EventKind::DiskReadDone, kSlow, S::FetchingFile, S::WritingHeaders, 1000)};
        case 30: return {rec(at(30), EventKind::ResponseHeadersWritten, kSlow, S::WritingHeaders, S::WritingBody, 200, 150)};
        // The next chunk of a big file, read while the body is written: a second disk span on a
        // lane whose disk bar is already cached, starting frames before this one's live edge.
        case 34: return {rec(at(31), EventKind::DiskReadStarted, kSlow, S::WritingBody, S::WritingBody),
                         rec(at(33), EventKind::DiskReadDone, kSlow, S::WritingBody, S::WritingBody, 1000)};
        case 36: return {rec(at(36), EventKind::ConnectionClosed, kSlow, S::WritingBody, S::Closed)};
        default: return {};
        }
    };
    // The engine loop: six short dispatches a frame, blocked in between; at frame 10 a dispatch
    // (7 ready) that lasts three frames, wide enough for its ready-count label.
    const auto loopRecords = [](int frame, std::int64_t at) {
        std::vector<EventRecord> out;
        if (frame == 11 || frame == 12)
            return out;
        for (int k = 0; k < 6; ++k) {
            out.push_back(rec(at + 1'000 + k * 211'000, EventKind::LoopPollEnd, 0, S::None, S::None, 1));
            out.push_back(rec(at + 100'000 + k * 211'000, EventKind::LoopPollBegin, 0, S::None, S::None, 1000));
        }
        if (frame == 10)
            out.push_back(rec(at + 2'000'000, EventKind::LoopPollEnd, 0, S::None, S::None, 7));
        return out;
    };
    // The wide dispatch's ready count: the widest run of the dispatching colour along the top
    // of the engine lane's bar holds pixels of another colour (the label's text) further down.
    const auto readyLabelShown = [](const QImage& image) {
        const QRgb blue = palette::colorFor(LoopPhase::Dispatching).rgb();
        const int top = TimelineLayout::kAxisHeight + 3;
        int bestX = 0, bestWidth = 0;
        for (int x = TimelineLayout::kHeaderWidth, run = 0; x < image.width(); ++x) {
            run = image.pixel(x, top) == blue ? run + 1 : 0;
            if (run > bestWidth) {
                bestWidth = run;
                bestX = x - run + 1;
            }
        }
        for (int y = top + 1; y < top + TimelineLayout::kLoopLaneHeight - 6; ++y)
            for (int x = bestX; x < bestX + bestWidth; ++x)
                if (image.pixel(x, y) != blue)
                    return bestWidth >= 24;
        return false;
    };
    std::uint32_t conn = 1;
    std::int64_t t = kOrigin + 1'000'000;
    int shiftedFrames = 0;
    int engineShiftedFrames = 0;
    for (int frame = 0; frame < 40; ++frame) {
        // Each frame: six fast requests (sub-pixel spans) within 4 ms, in time order; then the
        // clock moves on by an uneven amount.
        frameTimes.push_back(t);
        std::vector<EventRecord> batch = slowRecords(frame);
        for (const EventRecord& r : loopRecords(frame, t))
            batch.push_back(r);
        for (int k = 0; k < 6; ++k)
            for (const EventRecord& r : request(conn++, t + 1'000 + k * 211'000, 150'000 + 37'000 * k))
                if (r.kind != EventKind::RequestText)
                    batch.push_back(r);
        std::stable_sort(batch.begin(), batch.end(), [](const EventRecord& a, const EventRecord& b) { return a.t_ns < b.t_ns; });
        data.feed(batch);
        t += 23'000'000 + 7'919'000 * (frame % 3);
        incremental.refresh();
        // What the painter drew: the area left of the view's own scroll bar.
        const auto painted = [](TimelineView& view) {
            const QScrollBar* bar = view.findChild<QScrollBar*>();
            return view.grab(QRect(0, 0, bar && bar->isVisible() ? bar->x() : view.width(), view.height())).toImage();
        };
        const QImage shifted = painted(incremental);
        shiftedFrames += incremental.laneCache().lastShiftedLanes > 0 ? 1 : 0;
        engineShiftedFrames += incremental.laneCache().lastEngineShifted ? 1 : 0;
        if (frame >= 14)
            QVERIFY2(readyLabelShown(shifted), qPrintable(QString("frame %1: no ready count on the wide dispatch").arg(frame)));

        TimelineView fresh(data.model, data.store); // no previous frame: walks every column
        live(fresh, incremental.scale().startNs, kNsPerPixel);
        QCOMPARE(fresh.scale().startNs, incremental.scale().startNs);
        const QImage full = painted(fresh);
        QCOMPARE(fresh.laneCache().lastShiftedLanes, 0);
        if (shifted != full) {
            int differing = 0;
            QRect where;
            for (int y = 0; y < full.height(); ++y)
                for (int x = 0; x < full.width(); ++x)
                    if (shifted.pixel(x, y) != full.pixel(x, y)) {
                        ++differing;
                        where |= QRect(x, y, 1, 1);
                    }
            qWarning() << "frame" << frame << "differs in" << where;
            QFAIL(qPrintable(QString("frame %1: %2 pixels differ from a full repaint").arg(frame).arg(differing)));
        }
    }
    QVERIFY2(shiftedFrames >= 30, qPrintable(QString("only %1 of 40 frames shifted their lanes").arg(shiftedFrames)));
    QVERIFY2(engineShiftedFrames >= 30, qPrintable(QString("only %1 of 40 frames shifted the engine lane").arg(engineShiftedFrames)));
}

QTEST_MAIN(TestTimelineView)
#include "tst_timeline_view.moc"
