// CompareSide: one side of the Compare window, one server model with a pipeline of its own.
//
// Contract: GUI thread only. A side owns everything it records into — a ServerController (its
// own Recorder, and a Server on an ephemeral port of 127.0.0.1), a TraceConsumer, a TraceStore,
// a TimelineModel, a StatsModel, a ThreadCounter — and a LoadGenerator that sends only to its
// own server. Nothing is shared with the main window or with the other side, so any of them can
// run while the others do. start() begins a new recording (the previous one is cleared) with
// t = 0 at the run's start. The run ends by itself when its plan finishes, or with stop(); either
// way the load stops first, then the server (every connection closed, every thread joined), then
// the last records are drained, and finished() is emitted once. Destroying a side stops it.
#pragma once

#include "charts/stats_model.h"
#include "compare/compare_load.h"
#include "compare/thread_counter.h"
#include "live/trace_consumer.h"
#include "load/load_generator.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "window/server_controller.h"

#include <QObject>
#include <QTimer>

namespace loopscope {

class CompareSide : public QObject {
    Q_OBJECT
public:
    static constexpr int kPollMs = 100;
    // Each side keeps at most this many events (the main window keeps its own 5 million).
    static constexpr std::size_t kStoreCapacity = 2'000'000;

    explicit CompareSide(QObject* parent = nullptr);
    ~CompareSide() override;

    // Serves `root` with `model` and sends `load` to it. False and one sentence if it cannot.
    bool start(ServerModel model, const QString& root, const CompareLoad& load, QString& error);
    bool isRunning() const { return m_running; }

    ServerModel model() const { return m_model; }
    QString caption() const { return modelCaption(m_model); }
    // The server's disk worker threads (the event loop's; the other models have none).
    unsigned diskWorkers() const { return m_model == ServerModel::EventLoop ? ServerConfig{}.diskWorkers : 0; }

    const TraceStore& store() const { return m_store; }
    const TimelineModel& timeline() const { return m_timeline; }
    const StatsModel& stats() const { return m_stats; }
    const ThreadCounter& threads() const { return m_threads; }
    TraceConsumer& consumer() { return m_consumer; }
    LoadSnapshot load() const { return m_load.snapshot(); }
    quint16 port() const { return m_server.port(); }

public slots:
    void stop();

signals:
    void finished();

private:
    bool startServer(const QString& root, QString& error);
    bool startLoad(const CompareLoad& load, QString& error);
    void poll();
    void finish();
    void recordPhase(std::int64_t t, bool stopped);

    ServerController m_server;
    TraceStore m_store{kStoreCapacity};
    TimelineModel m_timeline;
    StatsModel m_stats;
    ThreadCounter m_threads;
    TraceConsumer m_consumer;
    LoadGenerator m_load;
    QTimer m_poll;
    QString m_serverError;
    ServerModel m_model = ServerModel::EventLoop;
    bool m_running = false;
};

} // namespace loopscope
