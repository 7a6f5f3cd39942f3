// ServerController: the window's handle on the engine. Owns the Recorder (the ring the engine
// writes and the TraceConsumer drains) and the Server, and turns start/stop into signals the
// toolbar and status bar follow. Start errors come back as one sentence, never a crash.
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
    bool fileCache = true;
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

public slots:
    // Returns true if serving; otherwise emits startFailed with the reason.
    bool start(const ServerSettings& settings);
    void stop();

signals:
    void started(const QString& url);
    void stopped();
    void startFailed(const QString& reason);

private:
    Recorder m_recorder;
    Server m_server;
    QString m_bindAddress;
};

} // namespace loopscope
