// TrafficPanel: the built-in load generator in a dock. The same settings as loopscope-load
// (URL, clients, rate, duration, keep-alive or close, paths, pipeline, slow clients), Start and
// Stop, the live figures (requests/s, done, errors, p50/p99, the phase) a few times a second,
// and a one-click Demo: a phase plan against the window's own server that looks good at the
// default zoom.
//
// Contract: GUI thread only. The generator runs on its own thread; the panel polls its
// snapshot every kPollMs. When the generator enters a phase (or stops) the panel hands a
// LoadPhase record, stamped with the phase's own start time, followed by RequestText records
// (conn 0) naming the phase, to the record sink (the window's TraceConsumer::appendLocal), so
// the timeline marks it and exports keep its name. The window supplies the server's URL
// (setServerUrl) and a way to start the server for Demo (setServerStarter).
#pragma once

#include "core/event_record.h"
#include "load/load_generator.h"

#include <QString>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <optional>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace loopscope {

class TrafficPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPollMs = 200;

    using RecordSink = std::function<void(const EventRecord&)>;
    // Starts the window's server if needed; returns its URL, or empty if it could not start.
    using ServerStarter = std::function<QString()>;

    explicit TrafficPanel(QWidget* parent = nullptr);
    ~TrafficPanel() override; // stops the generator

    void setRecordSink(RecordSink sink) { m_sink = std::move(sink); }
    void setServerStarter(ServerStarter starter) { m_starter = std::move(starter); }

    // The demo's phases against `target`: steady keep-alive clients, a burst, slow clients
    // joining, then a connection per request.
    static LoadPlan demoPlan(const LoadUrl& target);
    // The plan the form describes (one phase), or nullopt with one sentence in `error`.
    std::optional<LoadPlan> formPlan(QString& error) const;

    bool isRunning() const { return m_generator.isRunning(); }
    LoadSnapshot snapshot() const { return m_generator.snapshot(); }
    QString statusText() const; // what the panel says under its buttons (errors, hints)

public slots:
    void setServerUrl(const QString& url); // empty: the server stopped
    void setSlowReaders(int clients);      // fills the form's "Slow readers" (the Loop panel's link)
    void startFromForm();
    void startDemo();
    bool startPlan(const LoadPlan& plan); // false: the reason is in statusText()
    void stop();

signals:
    void runningChanged(bool running);

private:
    void buildForm();
    void buildFigures();
    void poll();
    void recordNewPhases(const LoadSnapshot& s);
    void recordPhase(std::int64_t t, std::size_t index, bool stopped);
    void showFigures(const LoadSnapshot& s);
    void showStatus(const QString& text, bool error);
    void setEditable(bool editable);

    LoadGenerator m_generator;
    LoadPlan m_plan;
    std::size_t m_phasesRecorded = 0;
    bool m_wasRunning = false;
    QTimer m_poll;
    RecordSink m_sink;
    ServerStarter m_starter;
    QString m_serverUrl;

    QLineEdit* m_url = nullptr;
    QSpinBox* m_clients = nullptr;
    QDoubleSpinBox* m_rate = nullptr;
    QDoubleSpinBox* m_duration = nullptr;
    QCheckBox* m_keepAlive = nullptr;
    QLineEdit* m_paths = nullptr;
    QSpinBox* m_pipeline = nullptr;
    QSpinBox* m_slowHeaders = nullptr;
    QSpinBox* m_slowReaders = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_demo = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_phase = nullptr;
    QLabel* m_rateNow = nullptr;
    QLabel* m_done = nullptr;
    QLabel* m_errors = nullptr;
    QLabel* m_latency = nullptr;
};

} // namespace loopscope
