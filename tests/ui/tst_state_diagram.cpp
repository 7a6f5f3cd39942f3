// The live state machine: the diagram's nodes, counts and clicks; the timeline's lane filter
// that a click sets (only lanes whose connection is in the state at the view's right edge).
#include "diagram/state_diagram.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/timeline_view.h"

#include "synthetic_records.h"

#include <QSignalSpy>
#include <QtTest>

#include <vector>

using namespace loopscope;
using loopscope::test::rec;
using S = ConnectionState;

Q_DECLARE_METATYPE(std::optional<loopscope::ConnectionState>)

class TestStateDiagram : public QObject {
    Q_OBJECT
private slots:
    void everyStateHasANode();
    void clickSelectsAndClickAgainClears();
    void countsComeFromTheLanes();
    void filterShowsOnlyLanesInTheState();
};

namespace {

constexpr S kStates[] = {S::Accepted, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders,
                         S::WritingBody, S::KeepAlive, S::Closed};

void click(QWidget& w, QPointF at)
{
    QTest::mouseClick(&w, Qt::LeftButton, Qt::NoModifier, at.toPoint());
}

// Three connections at t = 100: conn 1 reading headers, conn 2 writing its body, conn 3 closed
// (its lane free), conn 4 writing its body too.
struct Fixture {
    TraceStore store;
    TimelineModel model;
    Fixture()
    {
        const std::vector<EventRecord> records{
            rec(10, EventKind::ConnectionAccepted, 1, S::None, S::Accepted),
            rec(11, EventKind::ConnectionAccepted, 2, S::None, S::Accepted),
            rec(12, EventKind::ConnectionAccepted, 3, S::None, S::Accepted),
            rec(13, EventKind::ConnectionAccepted, 4, S::None, S::Accepted),
            rec(20, EventKind::BytesRead, 1, S::Accepted, S::ReadingHeaders, 10),
            rec(21, EventKind::BytesRead, 2, S::Accepted, S::ReadingHeaders, 70),
            rec(22, EventKind::RequestHeadersRead, 2, S::ReadingHeaders, S::FetchingFile, 1, 1),
            rec(23, EventKind::FileCacheHit, 2, S::FetchingFile, S::WritingHeaders, 1000),
            rec(24, EventKind::ResponseHeadersWritten, 2, S::WritingHeaders, S::WritingBody, 200),
            rec(30, EventKind::ConnectionClosed, 3, S::Accepted, S::Closed),
            rec(31, EventKind::BytesRead, 4, S::Accepted, S::ReadingHeaders, 70),
            rec(32, EventKind::RequestHeadersRead, 4, S::ReadingHeaders, S::FetchingFile, 1, 1),
            rec(33, EventKind::FileCacheHit, 4, S::FetchingFile, S::WritingHeaders, 1000),
            rec(34, EventKind::ResponseHeadersWritten, 4, S::WritingHeaders, S::WritingBody, 200),
            rec(100, EventKind::BodyBytesWritten, 2, S::WritingBody, S::WritingBody, 10),
        };
        store.append(records.data(), records.size());
        model.ingest(store, 0, store.endIndex());
    }
};

} // namespace

void TestStateDiagram::everyStateHasANode()
{
    StateDiagram d;
    d.resize(420, 260);
    for (const S s : kStates) {
        const QRectF r = d.nodeRect(s);
        QVERIFY2(!r.isEmpty(), qPrintable(QString::number(int(s))));
        QVERIFY(d.rect().contains(r.toRect()));
        QCOMPARE(d.stateAt(r.center()), std::optional<S>(s));
        for (const S other : kStates) // no two nodes overlap
            if (other != s)
                QVERIFY(!r.intersects(d.nodeRect(other)));
    }
    QCOMPARE(d.stateAt(QPointF(1, 1)), std::optional<S>());
    QVERIFY(d.nodeRect(S::None).isEmpty()); // "no connection" is no state of the machine
    StateDiagram::Counts counts{};
    counts[std::size_t(S::WritingBody)] = 12;
    d.setCounts(counts);
    QCOMPARE(d.counts()[std::size_t(S::WritingBody)], 12u);
    const QImage image = d.grab().toImage(); // paints without trouble
    QVERIFY(!image.isNull());
    if (const QByteArray dir = qgetenv("LOOPSCOPE_TEST_SNAPSHOTS"); !dir.isEmpty())
        image.save(QString::fromUtf8(dir) + QStringLiteral("/state_diagram.png"));
}

void TestStateDiagram::clickSelectsAndClickAgainClears()
{
    qRegisterMetaType<std::optional<ConnectionState>>();
    StateDiagram d;
    d.resize(420, 260);
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    QSignalSpy spy(&d, &StateDiagram::stateClicked);
    click(d, d.nodeRect(S::WritingBody).center());
    QCOMPARE(d.selectedState(), std::optional<S>(S::WritingBody));
    click(d, d.nodeRect(S::KeepAlive).center());
    QCOMPARE(d.selectedState(), std::optional<S>(S::KeepAlive));
    click(d, d.nodeRect(S::KeepAlive).center());
    QCOMPARE(d.selectedState(), std::optional<S>());
    click(d, d.nodeRect(S::Closed).center()); // closed connections have no lanes: nothing to show
    QCOMPARE(d.selectedState(), std::optional<S>());
    QCOMPARE(spy.count(), 4);
    QCOMPARE(spy.at(0).at(0).value<std::optional<ConnectionState>>(), std::optional<S>(S::WritingBody));
    QCOMPARE(spy.at(2).at(0).value<std::optional<ConnectionState>>(), std::optional<S>());
}

void TestStateDiagram::countsComeFromTheLanes()
{
    Fixture f;
    const auto now = f.model.stateCounts(100);
    QCOMPARE(now[std::size_t(S::ReadingHeaders)], 1u);
    QCOMPARE(now[std::size_t(S::WritingBody)], 2u);
    QCOMPARE(now[std::size_t(S::Accepted)], 0u);
    QCOMPARE(now[std::size_t(S::Closed)], 1u); // closed so far
    QCOMPARE(now[std::size_t(S::None)], 0u);
    const auto early = f.model.stateCounts(15); // all four just accepted
    QCOMPARE(early[std::size_t(S::Accepted)], 4u);
    QCOMPARE(f.model.stateAt(2, 15), S::Accepted);
    QCOMPARE(f.model.stateAt(2, 40), S::None); // conn 3's lane is free after its close
}

void TestStateDiagram::filterShowsOnlyLanesInTheState()
{
    Fixture f;
    TimelineView view(f.model, f.store);
    view.resize(800, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.refresh(); // following live: the right edge is the newest record (t = 100)
    QCOMPARE(view.shownLaneCount(), 4);
    view.setStateFilter(S::WritingBody);
    QCOMPARE(view.shownLaneCount(), 2);
    // The first connection row now shows conn 2's lane, the second conn 4's.
    view.setVisibleRange(0, 110); // 110 ns across the view: each record on its own pixels
    QCOMPARE(view.shownLaneCount(), 2);
    const int x = int(view.xForTime(90));
    const QRect first = view.rowRect(2), second = view.rowRect(3);
    QVERIFY(view.toolTipAt(QPoint(x, first.center().y())).contains(QStringLiteral("connection 2")));
    QVERIFY(view.toolTipAt(QPoint(x, second.center().y())).contains(QStringLiteral("connection 4")));
    QCOMPARE(view.rowAt(view.rowRect(4).center().y()), -1); // no third row
    view.setStateFilter(S::KeepAlive);
    QCOMPARE(view.shownLaneCount(), 0);
    QVERIFY(!view.grab().isNull()); // the "no connection is ..." note paints
    view.setStateFilter(std::nullopt);
    QCOMPARE(view.shownLaneCount(), 4);
}

QTEST_MAIN(TestStateDiagram)
#include "tst_state_diagram.moc"
