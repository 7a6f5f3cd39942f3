// MainWindow: what users come for. A toolbar to start and stop the server (port, bind address,
// document root, the URL to open, Demo traffic), the live timeline in the centre, the event
// table, the charts, the live state machine, the built-in traffic generator and the Loop panel
// (step mode, break-the-loop switches) in docks, and a
// status bar with the recording's health (events/s, stored, evicted,
// dropped). It owns the whole pipeline: engine -> ring -> TraceConsumer -> TraceStore -> sinks.
#pragma once

#include "core/event_record.h"
#include "window/server_controller.h"

#include <QFont>
#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QSpinBox;
class QCheckBox;
class QDockWidget;
class QComboBox;

namespace loopscope {

class ChartsPanel;
class StateDiagram;
class ConnectionInspector;
class EventTablePanel;
class GuiLoopProbe;
class LoopPanel;
class StatsModel;
class TimelineModel;
class TimelineView;
class TraceConsumer;
class TraceStore;
class TrafficPanel;

struct WindowOptions {
    ServerSettings server;
    bool autostart = false;
    bool demo = false; // serve and start the Demo traffic at once
    std::size_t storeCapacity = 5'000'000;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const WindowOptions& options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // For tests and the --screenshot option.
    ServerController& server() { return *m_server; }
    TraceStore& store() { return *m_store; }
    TimelineModel& timelineModel() { return *m_timelineModel; }
    TraceConsumer& consumer() { return *m_consumer; }
    TimelineView& timeline() { return *m_timeline; }
    TrafficPanel& traffic() { return *m_traffic; }
    LoopPanel& loopPanel() { return *m_loopPanel; }
    ServerSettings currentSettings() const;

    // Exports the whole recording (or the selected range) to `path`; error is one sentence.
    bool exportTo(const QString& path, bool selectionOnly, QString& error);

public slots:
    void startServer();
    void stopServer();
    void showStatus();
    void updateDiagram();
    // Shows only the lanes whose connection is in `state` (nullopt: every lane).
    void filterLanes(std::optional<loopscope::ConnectionState> state);
    void setPresenterMode(bool on);

public:
    static constexpr double kPresenterFontScale = 1.5;
    static constexpr int kPresenterLaneHeight = 32;
    bool presenterMode() const { return m_presenter; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildToolbar();
    void buildCentre();
    void buildDocks();
    void buildMenus();
    void wirePipeline();
    void restoreSettings(const WindowOptions& options);
    void saveSettings() const;
    void onServerStarted(const QString& url);
    void onServerStopped();
    void onStartFailed(const QString& reason);
    void setServerSettingsEditable(bool editable);
    void chooseRoot();
    void exportDialog(bool selectionOnly);
    void showShortcuts();
    void startDemo();
    void recordGuiWork(GuiWorkKind kind, std::int64_t startNs, std::int64_t durationNs);

    std::unique_ptr<ServerController> m_server;
    std::unique_ptr<TraceStore> m_store;
    std::unique_ptr<TimelineModel> m_timelineModel;
    std::unique_ptr<StatsModel> m_stats;
    TraceConsumer* m_consumer = nullptr;
    GuiLoopProbe* m_probe = nullptr;
    TimelineView* m_timeline = nullptr;
    EventTablePanel* m_tablePanel = nullptr;
    ChartsPanel* m_charts = nullptr;
    StateDiagram* m_diagram = nullptr;
    QList<QDockWidget*> m_docks;
    QAction* m_presenterAction = nullptr;
    bool m_presenter = false;
    QFont m_normalFont;
    int m_normalLaneHeight = 0;
    TrafficPanel* m_traffic = nullptr;
    QDockWidget* m_trafficDock = nullptr;
    LoopPanel* m_loopPanel = nullptr;
    QDockWidget* m_loopDock = nullptr;
    QPointer<ConnectionInspector> m_inspector;

    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_followAction = nullptr;
    QSpinBox* m_port = nullptr;
    QLineEdit* m_bind = nullptr;
    QLineEdit* m_root = nullptr;
    QCheckBox* m_fileCache = nullptr;
    QCheckBox* m_deferAccept = nullptr;
    QComboBox* m_model = nullptr;
    QLabel* m_url = nullptr;
    QLabel* m_error = nullptr;
    QLabel* m_rate = nullptr;
    QLabel* m_stored = nullptr;
    QLabel* m_dropped = nullptr;
    QLabel* m_serverState = nullptr;
    std::int64_t m_selectionStart = 0;
    std::int64_t m_selectionEnd = 0;
};

} // namespace loopscope
