// ConnectionInspector (offscreen): one connection's rows in order, RequestText folded into the
// request, time spent in each previous state, the summary line; the whole-store scan when the
// timeline no longer has the connection's summary.
#include "inspector/connection_inspector.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"

#include <QAbstractItemModelTester>
#include "synthetic_records.h"

#include <QtTest>

#include <vector>

using namespace loopscope;
using loopscope::test::rec;
using S = ConnectionState;

class TestConnectionInspector : public QObject {
    Q_OBJECT
private slots:
    void listsOneConnectionsRecordsInOrder();
    void durationsAreTimeInThePreviousState();
    void summaryLine();
    void scansTheStoreWhenTheSummaryIsGone();
    void reusedForAnotherConnection();
};

namespace {

constexpr std::int64_t kUs = 1000;

// Connection 7 (a GET of a 32-byte path) interleaved with connection 8's accept and close.
std::vector<EventRecord> records(std::int64_t t)
{
    return {rec(t, EventKind::ConnectionAccepted, 7, S::None, S::Accepted, 5000, 0x7f000001),
            rec(t + 10 * kUs, EventKind::BytesRead, 7, S::Accepted, S::ReadingHeaders, 70),
            rec(t + 11 * kUs, EventKind::ConnectionAccepted, 8, S::None, S::Accepted, 5001, 0x7f000001),
            rec(t + 30 * kUs, EventKind::RequestHeadersRead, 7, S::ReadingHeaders, S::FetchingFile, 1, 1),
            makeTextRecord(7, "/assets/styles/", false),
            makeTextRecord(7, "site-main.css", true),
            rec(t + 35 * kUs, EventKind::DiskReadStarted, 7, S::FetchingFile, S::FetchingFile, 0, 1),
            rec(t + 80 * kUs, EventKind::DiskReadDone, 7, S::FetchingFile, S::WritingHeaders, 1000),
            rec(t + 90 * kUs, EventKind::ResponseHeadersWritten, 7, S::WritingHeaders, S::WritingBody, 200, 143),
            rec(t + 91 * kUs, EventKind::ConnectionClosed, 8, S::Accepted, S::Closed, 1),
            rec(t + 95 * kUs, EventKind::BodyBytesWritten, 7, S::WritingBody, S::WritingBody, 1000),
            rec(t + 96 * kUs, EventKind::BodyWritten, 7, S::WritingBody, S::WritingBody, 1000),
            rec(t + 2096 * kUs, EventKind::ConnectionClosed, 7, S::WritingBody, S::Closed, 0)};
}

void feed(TraceStore& store, TimelineModel& model, const std::vector<EventRecord>& r)
{
    const std::uint64_t from = store.endIndex();
    store.append(r.data(), r.size());
    model.ingest(store, from, store.endIndex());
}

QString cell(const ConnectionRecordsModel& m, int row, int column)
{
    return m.data(m.index(row, column)).toString();
}

} // namespace

void TestConnectionInspector::listsOneConnectionsRecordsInOrder()
{
    TraceStore store;
    TimelineModel timeline;
    feed(store, timeline, records(1'000'000));
    ConnectionInspector inspector;
    inspector.showConnection(store, timeline, 7);
    QVERIFY(inspector.isVisible());
    QVERIFY(!inspector.isModal());
    const ConnectionRecordsModel& m = inspector.records();
    QAbstractItemModelTester tester(const_cast<ConnectionRecordsModel*>(&m),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QStringList expected{"ConnectionAccepted", "BytesRead", "RequestHeadersRead", "DiskReadStarted",
                               "DiskReadDone", "ResponseHeadersWritten", "BodyBytesWritten", "BodyWritten",
                               "ConnectionClosed"};
    QCOMPARE(m.rowCount(), int(expected.size()));
    for (int row = 0; row < m.rowCount(); ++row) {
        QCOMPARE(cell(m, row, ConnectionRecordsModel::EventColumn), expected[row]);
        QCOMPARE(m.recordAt(row).conn, 7u);
    }
    QCOMPARE(cell(m, 2, ConnectionRecordsModel::DetailColumn),
             QStringLiteral("GET /assets/styles/site-main.css, request 1"));
    QCOMPARE(cell(m, 2, ConnectionRecordsModel::StateColumn), QStringLiteral("ReadingHeaders → FetchingFile"));
    QCOMPARE(cell(m, 2, ConnectionRecordsModel::TimeColumn), QStringLiteral("0.000 030 000 s"));
    QCOMPARE(cell(m, 5, ConnectionRecordsModel::DetailColumn), QStringLiteral("status 200, 143 header bytes"));
    QCOMPARE(cell(m, 8, ConnectionRecordsModel::DetailColumn), QStringLiteral("done"));
}

void TestConnectionInspector::durationsAreTimeInThePreviousState()
{
    TraceStore store;
    TimelineModel timeline;
    feed(store, timeline, records(1'000'000));
    ConnectionInspector inspector;
    inspector.showConnection(store, timeline, 7);
    const ConnectionRecordsModel& m = inspector.records();
    const std::vector<std::int64_t> expected{-1, 10 * kUs, 20 * kUs, -1, 50 * kUs, 10 * kUs, -1, -1, 2006 * kUs};
    for (int row = 0; row < m.rowCount(); ++row)
        QCOMPARE(m.inPreviousNs(row), expected[std::size_t(row)]);
    QCOMPARE(cell(m, 1, ConnectionRecordsModel::InPreviousColumn), QStringLiteral("10 µs"));
    QCOMPARE(cell(m, 3, ConnectionRecordsModel::InPreviousColumn), QString());
    QCOMPARE(cell(m, 8, ConnectionRecordsModel::InPreviousColumn), QStringLiteral("2.01 ms"));
}

void TestConnectionInspector::summaryLine()
{
    TraceStore store;
    TimelineModel timeline;
    feed(store, timeline, records(1'000'000));
    ConnectionInspector inspector;
    inspector.showConnection(store, timeline, 7);
    const ConnectionTotals& t = inspector.records().totals();
    QCOMPARE(t.requests, 1u);
    QCOMPARE(t.bytesRead, 70u);
    QCOMPARE(t.bytesSent, 1143u);
    QCOMPARE(t.lastNs - t.firstNs, 2096 * kUs);
    QCOMPARE(inspector.summaryText(),
             QStringLiteral("Connection 7 · peer 127.0.0.1:5000 · lifetime 2.1 ms (closed: done) · 1 request(s) · "
                            "1143 bytes sent, 70 bytes received"));
    QCOMPARE(inspector.windowTitle(), QStringLiteral("Connection 7"));
}

void TestConnectionInspector::scansTheStoreWhenTheSummaryIsGone()
{
    TraceStore store;
    TimelineModel timeline;
    feed(store, timeline, records(1'000'000));
    TimelineModel forgetful; // knows nothing about connection 7
    ConnectionInspector inspector;
    inspector.showConnection(store, forgetful, 7);
    QCOMPARE(inspector.records().rowCount(), 9);
    QCOMPARE(cell(inspector.records(), 2, ConnectionRecordsModel::DetailColumn),
             QStringLiteral("GET /assets/styles/site-main.css, request 1"));
}

void TestConnectionInspector::reusedForAnotherConnection()
{
    TraceStore store;
    TimelineModel timeline;
    feed(store, timeline, records(1'000'000));
    ConnectionInspector inspector;
    inspector.showConnection(store, timeline, 7);
    inspector.showConnection(store, timeline, 8);
    const ConnectionRecordsModel& m = inspector.records();
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(m.inPreviousNs(1), 80 * kUs);
    QVERIFY(inspector.summaryText().contains(QStringLiteral("closed: peer closed")));
    inspector.showConnection(store, timeline, 99);
    QCOMPARE(m.rowCount(), 0);
    QCOMPARE(inspector.summaryText(), QStringLiteral("Connection 99: no records kept"));
}

QTEST_MAIN(TestConnectionInspector)
#include "tst_connection_inspector.moc"
