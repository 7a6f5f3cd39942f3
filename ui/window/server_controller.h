// ServerController: the window's handle on the engine. Owns the Recorder (the ring the engine
// writes and the TraceConsumer drains) and the Server, and turns start/stop into signals the
// toolbar and status bar follow. Start errors come back as one sentence, never a crash.
// It also carries the event loop's step mode and break-the-loop switches (the Loop panel's
// buttons) to the Server: refusals come back as one sentence, and stepModeChanged tells every
// view when the loop pauses or runs again (stopping the server ends step mode).
#pragma once

#include "core/recorder.h"
#include "server/server.h"

#include <QObject>
#include <QString>

#include <memory>

namespace loopscope {

struct ServerSettings {
    QString root;
    QString bindAddress = QStringLiteral("127.0.0.1");
    int port = 8080;
    // The engine's defaults, so that the window and loopscope-server start alike.
    bool fileCache = ServerConfig{}.fileCache;
    bool deferAccept = ServerConfig{}.deferAccept; // TCP_DEFER_ACCEPT: accept once the first bytes arrived
    ServerModel model = ServerModel::EventLoop;
};

class ServerController : public QObject {
    Q_OBJECT
public:
    explicit ServerController(QObject* parent = nullptr);
    ~ServerController() override;

    Recorder& recorder() { return m_recorder; }
    bool isRunning() const { return m_server.isRunning(); }
    quint16 port() const { return m_server.port(); }
    QString url() const;
    ServerStats stats() const { return m_server.stats(); }
    ServerModel model() const { return m_server.model(); }

    // Step mode (event-loop model only, while serving). Each returns an empty string, or one
    // sentence saying why not.
    QString setStepMode(bool on);
    QString step();
    bool stepMode() const { return m_server.stepMode(); }
    // The break switches apply at once while serving and are kept across stops and starts.
    void setLoopBreaks(const LoopBreaks& breaks) { m_server.setLoopBreaks(breaks); }
    LoopBreaks loopBreaks() const { return m_server.loopBreaks(); }

public slots:
    // Returns true if serving; otherwise emits startFailed with the reason.
    bool start(const ServerSettings& settings);
    void stop();

signals:
    void started(const QString& url);
    void stopped();
    void startFailed(const QString& reason);
    void stepModeChanged(bool on);

private:
    Recorder m_recorder;
    Server m_server;
    QString m_bindAddress;
};

} // namespace loopscope
