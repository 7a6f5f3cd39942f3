// EventTableModel under QAbstractItemModelTester: rows while appending, filtering, evicting and
// clearing; cell text; storeIndexAt/rowOf round-trips; RequestText folded into its request.
#include "model/trace_store.h"
#include "table/event_table_model.h"
#include "table/event_table_panel.h"
#include "table/record_text.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include "synthetic_records.h"

#include <QtTest>

#include <algorithm>

#include <vector>

using namespace loopscope;
using loopscope::test::rec;
using S = ConnectionState;

class TestEventTableModel : public QObject {
    Q_OBJECT
private slots:
    void timeAndDurationText_data();
    void timeAndDurationText();
    void oneRowPerRecordWithoutRequestText();
    void cellsReadAsWords();
    void eachIngestInsertsOnce();
    void filtersByKindConnectionAndText();
    void filterKeepsUpWithAppends();
    void textFilterWaitsOnceForATargetStillArriving();
    void evictionRemovesRowsFromTheFront();
    void evictionWithAFilter();
    void listsAtMostTheNewestRowLimit();
    void aBatchLargerThanTheLimitReplacesTheRows();
    void clearedEmptiesAndRestarts();
    void panelSelectionSync();
    void storeIndexListAcrossTheWrap();
};

namespace {

// One GET with Connection: close: 10 records, one of them RequestText (9 rows).
std::vector<EventRecord> request(std::uint32_t conn, std::int64_t t, const char* path = "/index.html")
{
    return {rec(t, EventKind::ConnectionAccepted, conn, S::None, S::Accepted, 5000, 0x7f000001),
            rec(t + 1, EventKind::BytesRead, conn, S::Accepted, S::ReadingHeaders, 70),
            rec(t + 2, EventKind::RequestHeadersRead, conn, S::ReadingHeaders, S::FetchingFile, 1, 1),
            makeTextRecord(conn, path, true),
            rec(t + 3, EventKind::DiskReadStarted, conn, S::FetchingFile, S::FetchingFile),
            rec(t + 4, EventKind::DiskReadDone, conn, S::FetchingFile, S::WritingHeaders, 1000),
            rec(t + 5, EventKind::ResponseHeadersWritten, conn, S::WritingHeaders, S::WritingBody, 200, 143),
            rec(t + 6, EventKind::BodyBytesWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 7, EventKind::BodyWritten, conn, S::WritingBody, S::WritingBody, 1000),
            rec(t + 9, EventKind::ConnectionClosed, conn, S::WritingBody, S::Closed)};
}

void feed(TraceStore& store, EventSink& sink, const std::vector<EventRecord>& records)
{
    const std::uint64_t evictedBefore = store.evicted();
    const std::uint64_t from = store.endIndex();
    store.append(records.data(), records.size());
    if (store.evicted() != evictedBefore) // as the TraceConsumer does: eviction, then the range
        sink.evicted(store);
    sink.ingest(store, from, store.endIndex());
}

QString cell(const EventTableModel& model, int row, int column)
{
    return model.data(model.index(row, column)).toString();
}

void checkRoundTrips(const EventTableModel& model, const TraceStore& store)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        const quint64 index = model.storeIndexAt(row);
        QVERIFY(index >= store.beginIndex() && index < store.endIndex());
        QVERIFY(store.at(index).kind != EventKind::RequestText);
        QCOMPARE(model.rowOf(index), row);
    }
}

} // namespace

void TestEventTableModel::timeAndDurationText_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<QString>("time");
    QTest::addColumn<QString>("duration");
    QTest::newRow("zero") << qint64(0) << "0.000 000 000 s" << "0 ns";
    QTest::newRow("ns") << qint64(850) << "0.000 000 850 s" << "850 ns";
    QTest::newRow("µs") << qint64(12'345) << "0.000 012 345 s" << "12.3 µs";
    QTest::newRow("ms") << qint64(4'560'000) << "0.004 560 000 s" << "4.56 ms";
    QTest::newRow("s") << qint64(1'234'567'890) << "1.234 567 890 s" << "1.235 s";
    QTest::newRow("negative") << qint64(-120) << "-0.000 000 120 s" << "-120 ns";
}

void TestEventTableModel::timeAndDurationText()
{
    QFETCH(qint64, ns);
    QFETCH(QString, time);
    QFETCH(QString, duration);
    QCOMPARE(record_text::relativeTime(ns), time);
    QCOMPARE(record_text::duration(ns), duration);
}

void TestEventTableModel::oneRowPerRecordWithoutRequestText()
{
    TraceStore store;
    EventTableModel model(store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    feed(store, model, request(1, 1000));
    QCOMPARE(model.rowCount(), 9);
    QCOMPARE(model.columnCount(), int(EventTableModel::ColumnCount));
    QCOMPARE(model.storeIndexAt(3), quint64(4)); // the RequestText at index 3 is skipped
    QCOMPARE(model.rowOf(3), -1);
    QCOMPARE(model.rowOf(10), -1); // not stored yet
    checkRoundTrips(model, store);
    feed(store, model, request(2, 2000));
    QCOMPARE(model.rowCount(), 18);
    checkRoundTrips(model, store);
}

void TestEventTableModel::cellsReadAsWords()
{
    TraceStore store;
    EventTableModel model(store);
    std::vector<EventRecord> records = request(7, 1'000'000'000);
    records.push_back(rec(std::int64_t(1'000'000'000) + 1'234'567'890, EventKind::LoopPollEnd, 0, S::None, S::None, 3));
    feed(store, model, records);
    QCOMPARE(cell(model, 0, EventTableModel::TimeColumn), QStringLiteral("0.000 000 000 s"));
    QCOMPARE(cell(model, 0, EventTableModel::KindColumn), QStringLiteral("ConnectionAccepted"));
    QCOMPARE(cell(model, 0, EventTableModel::ConnectionColumn), QStringLiteral("7"));
    QCOMPARE(cell(model, 0, EventTableModel::StateColumn), QStringLiteral("None → Accepted"));
    QCOMPARE(cell(model, 0, EventTableModel::DetailColumn), QStringLiteral("peer 127.0.0.1:5000"));
    QCOMPARE(cell(model, 2, EventTableModel::DetailColumn), QStringLiteral("GET /index.html, request 1"));
    QCOMPARE(cell(model, 2, EventTableModel::TimeColumn), QStringLiteral("0.000 000 002 s"));
    QCOMPARE(cell(model, 3, EventTableModel::StateColumn), QString()); // DiskReadStarted: no change
    QCOMPARE(cell(model, 5, EventTableModel::DetailColumn), QStringLiteral("status 200, 143 header bytes"));
    QCOMPARE(cell(model, 9, EventTableModel::TimeColumn), QStringLiteral("1.234 567 890 s"));
    QCOMPARE(cell(model, 9, EventTableModel::ConnectionColumn), QStringLiteral("loop"));
    QCOMPARE(model.data(model.index(9, 0), EventTableModel::StoreIndexRole).value<quint64>(), quint64(10));
}

void TestEventTableModel::eachIngestInsertsOnce()
{
    TraceStore store;
    EventTableModel model(store);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    std::vector<EventRecord> batch;
    for (std::uint32_t conn = 1; conn <= 100; ++conn) {
        const auto r = request(conn, conn * 100);
        batch.insert(batch.end(), r.begin(), r.end());
    }
    feed(store, model, batch);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 899);
    model.ingest(store, 0, store.endIndex()); // a range given again adds nothing
    QCOMPARE(inserted.count(), 1);
}

void TestEventTableModel::filtersByKindConnectionAndText()
{
    TraceStore store;
    EventTableModel model(store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    feed(store, model, request(1, 100, "/a.css"));
    feed(store, model, request(2, 200, "/Index.HTML"));
    feed(store, model, request(3, 300, "/b.js"));

    EventFilter kinds;
    kinds.addKind(EventKind::RequestHeadersRead);
    kinds.addKind(EventKind::ConnectionClosed);
    model.setFilter(kinds);
    QCOMPARE(model.rowCount(), 6);
    QCOMPARE(cell(model, 2, EventTableModel::DetailColumn), QStringLiteral("GET /Index.HTML, request 1"));
    checkRoundTrips(model, store);
    QCOMPARE(model.rowOf(0), -1); // an accept is filtered out

    EventFilter conn;
    conn.connection = 2;
    model.setFilter(conn);
    QCOMPARE(model.rowCount(), 9);
    QCOMPARE(model.storeIndexAt(0), quint64(10));
    checkRoundTrips(model, store);

    EventFilter text;
    text.text = QStringLiteral("index.html"); // case-insensitive, matches the folded path
    model.setFilter(text);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.storeIndexAt(0), quint64(12));

    text.text = QStringLiteral("closed"); // the kind's name
    model.setFilter(text);
    QCOMPARE(model.rowCount(), 3);

    model.setFilter({});
    QCOMPARE(model.rowCount(), 27);
    checkRoundTrips(model, store);
}

void TestEventTableModel::filterKeepsUpWithAppends()
{
    TraceStore store;
    EventTableModel model(store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventFilter filter;
    filter.addKind(EventKind::BodyWritten);
    model.setFilter(filter);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    for (std::uint32_t conn = 1; conn <= 50; ++conn)
        feed(store, model, request(conn, conn * 100));
    QCOMPARE(model.rowCount(), 50);
    QCOMPARE(inserted.count(), 50);
    for (int row = 0; row < 50; ++row)
        QCOMPARE(store.at(model.storeIndexAt(row)).conn, std::uint32_t(row + 1));
    checkRoundTrips(model, store);
}

void TestEventTableModel::textFilterWaitsOnceForATargetStillArriving()
{
    TraceStore store;
    EventTableModel model(store);
    EventFilter filter;
    filter.text = QStringLiteral("/long/path");
    model.setFilter(filter);
    std::vector<EventRecord> first = request(1, 100, "/long/path/to/a/file.html");
    first.resize(3); // the drain caught the request before its text
    feed(store, model, first);
    QCOMPARE(model.rowCount(), 0);
    feed(store, model, {makeTextRecord(1, "/long/path/to/a/", false), makeTextRecord(1, "file.html", true)});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(cell(model, 0, EventTableModel::DetailColumn), QStringLiteral("GET /long/path/to/a/file.html, request 1"));

    // Text that never arrives is matched without it at the next ingest, not waited for forever.
    feed(store, model, {rec(500, EventKind::RequestHeadersRead, 2, S::ReadingHeaders, S::FetchingFile, 1, 1)});
    filter.text = QStringLiteral("request 1");
    model.setFilter(filter);
    QCOMPARE(model.rowCount(), 2);
    feed(store, model, {rec(600, EventKind::RequestHeadersRead, 3, S::ReadingHeaders, S::FetchingFile, 1, 1)});
    QCOMPARE(model.rowCount(), 2);
    feed(store, model, {rec(700, EventKind::LoopPollBegin, 0, S::None, S::None)});
    QCOMPARE(model.rowCount(), 3);
}

void TestEventTableModel::evictionRemovesRowsFromTheFront()
{
    TraceStore store(2 * TraceStore::kChunkRecords);
    EventTableModel model(store);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    std::uint32_t conn = 1;
    while (store.evicted() == 0) {
        feed(store, model, request(conn, std::int64_t(conn) * 100));
        ++conn;
    }
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    std::uint64_t expected = 0;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
        expected += store.at(i).kind != EventKind::RequestText;
    QCOMPARE(quint64(model.rowCount()), expected);
    QVERIFY(model.storeIndexAt(0) >= store.beginIndex());
    QCOMPARE(model.rowOf(store.beginIndex() - 1), -1);
    const int last = model.rowCount() - 1;
    QCOMPARE(model.rowOf(model.storeIndexAt(last)), last);
    QCOMPARE(model.rowOf(model.storeIndexAt(last / 2)), last / 2);
    QCOMPARE(cell(model, last, EventTableModel::KindColumn), QStringLiteral("ConnectionClosed"));
}

// The table keeps the newest kMaxRows rows however many the store holds; the rest of the store
// stays (the timeline and exports read it), and the oldest rows leave from the front.
void TestEventTableModel::listsAtMostTheNewestRowLimit()
{
    TraceStore store(4u << 20);
    EventTableModel model(store);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    // The panel's note reads droppedOldRows() when rows arrive: it must already be true for
    // the insert that takes the table over its limit.
    int overLimitInserts = 0;
    bool saidInTime = true;
    connect(&model, &QAbstractItemModel::rowsInserted, &model, [&] {
        if (model.rowCount() > EventTableModel::kMaxRows) {
            ++overLimitInserts;
            saidInTime = saidInTime && model.droppedOldRows();
        }
    });
    std::uint32_t conn = 1;
    std::uint64_t rows = 0;
    while (rows < std::uint64_t(EventTableModel::kMaxRows) + 5'000) {
        const std::vector<EventRecord> records = request(conn, std::int64_t(conn) * 100);
        feed(store, model, records);
        rows += std::uint64_t(std::count_if(records.begin(), records.end(),
                                            [](const EventRecord& r) { return r.kind != EventKind::RequestText; }));
        ++conn;
    }
    QCOMPARE(store.evicted(), std::uint64_t(0)); // the store kept everything
    QCOMPARE(model.rowCount(), EventTableModel::kMaxRows);
    QVERIFY(model.droppedOldRows());
    QVERIFY(removed.count() > 0);
    QVERIFY(overLimitInserts > 0);
    QVERIFY(saidInTime);
    QCOMPARE(model.rowOf(store.beginIndex()), -1); // the oldest record has no row any more
    const int last = model.rowCount() - 1;
    QCOMPARE(model.storeIndexAt(last), store.endIndex() - 1); // the newest is the last row
    QCOMPARE(model.rowOf(model.storeIndexAt(0)), 0);
    QCOMPARE(cell(model, last, EventTableModel::KindColumn), QStringLiteral("ConnectionClosed"));
    model.cleared();
    QVERIFY(!model.droppedOldRows());
}

// One ingest bringing more rows than the limit (a firehose between two table updates) resets
// the model to the newest kMaxRows instead of inserting them all and removing as many.
void TestEventTableModel::aBatchLargerThanTheLimitReplacesTheRows()
{
    TraceStore store(4u << 20);
    EventTableModel model(store);
    feed(store, model, request(1, 100)); // a few rows that the batch will push out
    QCOMPARE(model.rowCount(), 9);
    std::vector<EventRecord> batch;
    for (std::uint32_t conn = 2; batch.size() < std::size_t(EventTableModel::kMaxRows) + 50'000; ++conn)
        for (const EventRecord& r : request(conn, std::int64_t(conn) * 100))
            batch.push_back(r);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    feed(store, model, batch);
    QCOMPARE(reset.count(), 1);
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(removed.count(), 0);
    QCOMPARE(model.rowCount(), EventTableModel::kMaxRows);
    QVERIFY(model.droppedOldRows());
    QCOMPARE(model.storeIndexAt(model.rowCount() - 1), store.endIndex() - 1); // the newest is the last row
    QCOMPARE(model.rowOf(store.beginIndex()), -1);
    checkRoundTrips(model, store);
    // Smaller batches go back to inserting at the end.
    feed(store, model, request(999'999, 999'999'000));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), EventTableModel::kMaxRows);
    QCOMPARE(model.storeIndexAt(model.rowCount() - 1), store.endIndex() - 1);
}

void TestEventTableModel::evictionWithAFilter()
{
    TraceStore store(2 * TraceStore::kChunkRecords);
    EventTableModel model(store);
    EventFilter filter;
    filter.addKind(EventKind::ConnectionAccepted);
    model.setFilter(filter);
    std::uint32_t conn = 1;
    while (store.evicted() == 0) {
        feed(store, model, request(conn, std::int64_t(conn) * 100));
        ++conn;
    }
    std::uint64_t expected = 0;
    for (std::uint64_t i = store.beginIndex(); i < store.endIndex(); ++i)
        expected += store.at(i).kind == EventKind::ConnectionAccepted;
    QCOMPARE(quint64(model.rowCount()), expected);
    QCOMPARE(store.at(model.storeIndexAt(model.rowCount() - 1)).conn, conn - 1);
    checkRoundTrips(model, store);
}

void TestEventTableModel::clearedEmptiesAndRestarts()
{
    TraceStore store;
    EventTableModel model(store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    feed(store, model, request(1, 100));
    store.clear();
    model.cleared();
    QCOMPARE(model.rowCount(), 0);
    feed(store, model, request(2, 5000));
    QCOMPARE(model.rowCount(), 9);
    QCOMPARE(cell(model, 0, EventTableModel::TimeColumn), QStringLiteral("0.000 000 000 s"));
    checkRoundTrips(model, store);
}

void TestEventTableModel::panelSelectionSync()
{
    TraceStore store;
    EventTablePanel panel(store);
    panel.show();
    QSignalSpy selected(&panel, &EventTablePanel::eventSelected);
    feed(store, *panel.model(), request(1, 100));
    feed(store, *panel.model(), request(2, 200));
    QVERIFY(panel.followNewest());
    panel.selectEvent(12); // from the timeline: selected, not echoed
    QCOMPARE(panel.view()->currentIndex().row(), panel.model()->rowOf(12));
    QCOMPARE(selected.count(), 0);
    QVERIFY(!panel.followNewest());
    panel.selectEvent(3); // a RequestText: no row, nothing changes
    QCOMPARE(panel.view()->currentIndex().row(), panel.model()->rowOf(12));
    // A user's selection is announced with its store index.
    panel.view()->selectionModel()->setCurrentIndex(panel.model()->index(0, 0), QItemSelectionModel::ClearAndSelect);
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).value<quint64>(), quint64(0));
}

// The table's row lists keep 32 bits of each store index: indices past 2^32 (a long session)
// come back whole, and sorted lookups work across the wrap.
void TestEventTableModel::storeIndexListAcrossTheWrap()
{
    std::uint64_t base = (std::uint64_t(1) << 32) - 3;
    StoreIndexList list(base);
    const std::vector<std::uint64_t> indices{base, base + 2, base + 3, base + 4, base + 10};
    list.append(indices);
    QCOMPARE(list.size(), indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i)
        QCOMPARE(list[i], indices[i]);
    QCOMPARE(list.lowerBound(base + 1), std::size_t(1));
    QCOMPARE(list.lowerBound(base + 3), std::size_t(2));
    QCOMPARE(list.lowerBound(base + 11), std::size_t(5));
    QVERIFY(list.contains(base + 4));
    QVERIFY(!list.contains(base + 5));
    list.pop_front();
    base += 2; // the owner's oldest index moves on
    QCOMPARE(list.front(), base);
    QCOMPARE(list[3], base + 8);
}

QTEST_MAIN(TestEventTableModel)
#include "tst_event_table_model.moc"
