// TraceConsumer: the GUI end of the recording. A timer on the GUI thread (about 60 Hz) drains
// the engine's recording in bulk (Recorder::drain: one stream merged by time from every producer
// thread's ring) into the TraceStore, adds the GUI's own records (its loop lane), and
// hands each appended range to the sinks (timeline, statistics, table). A sink may ask for its
// ranges at most every so often (the event table: a Qt table's header walks every row on each
// insert and removal); it then gets one range covering all it missed.
//
// Contract: GUI thread only. Nothing is lost silently: engine drops arrive as RecordsDropped
// records (summed by the store), and store evictions are counted by the store.
#pragma once

#include "core/event_record.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <cstdint>
#include <limits>
#include <vector>

namespace loopscope {

class EventSink;
class Recorder;
class TraceStore;

class TraceConsumer : public QObject {
    Q_OBJECT
public:
    TraceConsumer(Recorder& recorder, TraceStore& store, QObject* parent = nullptr);

    // `minIntervalMs` > 0: the sink is handed new records at most that often while the timer
    // runs (evictions still reach it at once); drainNow() hands it everything.
    void addSink(EventSink* sink, int minIntervalMs = 0);
    void start(int intervalMs = 16);
    void stop();
    bool isRunning() const { return m_timer.isActive(); }

    // A record made on the GUI thread (its own loop lane); stored with the next drain.
    void appendLocal(const EventRecord& record) { m_local.push_back(record); }

    // Events per second over the last second, for the status bar.
    double eventsPerSecond() const { return m_rate; }
    std::uint64_t eventsTaken() const { return m_taken; }

    // Starts a new recording: empties the store and tells every sink.
    void clear();

public slots:
    // Drains everything waiting now and hands it to every sink (tests and exports call it).
    void drainNow();
    // The timer's step: drains, and hands new records to the sinks that are due.
    void tick();
    // Hands what the store holds to the sinks still waiting for their interval (when a user
    // picks a record they may not have yet).
    void catchUp();

signals:
    void appended(quint64 from, quint64 to);
    void storeCleared();

private:
    struct Sink {
        EventSink* sink;
        std::int64_t minIntervalNs;
        std::uint64_t handedTo;        // records [handedTo, store end) are not handed over yet
        std::int64_t lastIngestNs = std::numeric_limits<std::int64_t>::min() / 2; // never: due at once
    };
    void drain(bool everySink);
    void handOver(Sink& sink, std::int64_t nowNs);
    void updateRate(std::uint64_t count);

    Recorder& m_recorder;
    TraceStore& m_store;
    std::vector<Sink> m_sinks;
    std::vector<EventRecord> m_batch;
    std::vector<EventRecord> m_local;
    QTimer m_timer;
    std::uint64_t m_taken = 0;
    std::uint64_t m_rateCount = 0;
    QElapsedTimer m_rateClock;
    double m_rate = 0;
};

} // namespace loopscope
