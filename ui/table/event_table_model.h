// EventTableModel: the recording as a table, one row per stored record, without copying records.
//
// Contract: GUI thread only; an EventSink fed by the TraceConsumer, reading its records from the
// TraceStore it was built with, on demand. RequestText side records are not rows: their text is
// folded into the detail of the RequestHeadersRead they follow ("GET /index.html, request 1").
// Rows are in store order. Each ingest() inserts all its new rows with one beginInsertRows (or,
// when they alone are kMaxRows or more, resets the model to the newest kMaxRows); evicted()
// removes rows from the front; cleared() resets.
//
// Memory: unfiltered, the model keeps only the store indices of RequestText records (to map rows
// to store indices by binary search); with a filter active it also keeps the store index of each
// matching record, built incrementally as records arrive. Cell text is computed in data(), so
// millions of rows cost nothing but those indices.
//
// A filter with text may hold back the newest RequestHeadersRead (and what follows it) for one
// ingest when its target text has not fully arrived yet, so the path can be matched.
#pragma once

#include "model/event_sink.h"
#include "model/store_index_list.h"
#include "table/event_filter.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace loopscope {

class TraceStore;

class EventTableModel : public QAbstractTableModel, public EventSink {
    Q_OBJECT
public:
    enum Column { TimeColumn, KindColumn, ConnectionColumn, StateColumn, DetailColumn, ColumnCount };
    enum Role { StoreIndexRole = Qt::UserRole + 1 }; // quint64

    // The table lists at most the newest kMaxRows rows (the timeline and exports keep every
    // event). Qt's header view keeps 8 bytes for each row and walks every row when it lays them
    // out; under a firehose that made the table the largest per-event cost of the window
    // (bench_gui_firehose: 8 of 44 bytes per event, and a layout pass per batch that grew with
    // the session).
    static constexpr int kMaxRows = 200'000;

    explicit EventTableModel(const TraceStore& store, QObject* parent = nullptr);

    // EventSink
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override;
    void evicted(const TraceStore& store) override;
    void cleared() override;

    // QAbstractItemModel
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Rebuilds the visible rows (a scan of the store; resets the model).
    void setFilter(const EventFilter& filter);
    const EventFilter& filter() const { return m_filter; }
    // Rows for the GUI loop's own bookkeeping records (off by default; GuiWork always shows).
    void setShowGuiLoop(bool show);
    bool showsGuiLoop() const { return m_showGuiLoop; }

    // The store index shown on `row` (row must be valid), and the row showing a store index
    // (-1 if it is filtered out, a RequestText, evicted or not yet ingested).
    quint64 storeIndexAt(int row) const;
    int rowOf(quint64 storeIndex) const;
    // True once rows were dropped to stay within kMaxRows (until the table is cleared).
    bool droppedOldRows() const { return m_droppedOldRows; }

    // The request target following a RequestHeadersRead at `storeIndex` (empty if none known).
    // Returns true when its last piece was found.
    bool targetOf(std::uint64_t storeIndex, std::string& target) const;

private:
    struct Scan { std::uint64_t stop; };
    Scan scanNew(std::uint64_t to, bool allowDefer);
    bool matches(std::uint64_t index, const EventRecord& r) const;
    void removeFront(std::uint64_t newBegin);
    void dropFront(std::uint64_t newBegin);
    void replaceRows(std::uint64_t end);
    void takeScanned(std::uint64_t end);
    std::uint64_t rowLimitBegin() const;
    void keepWithinRowLimit();
    std::uint64_t rowsBefore(std::uint64_t storeIndex) const;
    void rebuildMatches();

    bool hidden(const EventRecord& r) const;
    const TraceStore& m_store;
    std::uint64_t m_begin = 0; // store range covered: [m_begin, m_end)
    std::uint64_t m_end = 0;
    std::uint64_t m_ingestedTo = 0; // end of the ranges given to ingest() (m_end may lag, see above)
    StoreIndexList m_texts{m_begin};   // indices without a row (RequestText, hidden GUI loop records) in [m_begin, m_end)
    bool m_showGuiLoop = false;
    StoreIndexList m_matches{m_begin}; // with a filter: matching row indices in [m_begin, m_end)
    EventFilter m_filter;
    bool m_filtered = false;
    bool m_droppedOldRows = false;
    std::string m_needle; // lower-case UTF-8 filter text
    std::uint64_t m_deferredAt = UINT64_MAX;
    std::vector<std::uint64_t> m_newTexts; // scratch, reused across ingests
    std::vector<std::uint64_t> m_newMatches;
    mutable std::string m_haystack;
};

} // namespace loopscope
