#include "window/server_controller.h"

namespace loopscope {

ServerController::ServerController(QObject* parent)
    : QObject(parent)
    , m_server(&m_recorder)
{
}

ServerController::~ServerController()
{
    m_server.stop();
}

QString ServerController::url() const
{
    if (!isRunning())
        return {};
    // 0.0.0.0 listens everywhere; a browser on this machine reaches it as 127.0.0.1.
    const QString host = m_bindAddress == QLatin1String("0.0.0.0") ? QStringLiteral("127.0.0.1") : m_bindAddress;
    return QStringLiteral("http://%1:%2/").arg(host).arg(port());
}

bool ServerController::start(const ServerSettings& settings)
{
    if (m_server.isRunning())
        return true;
    ServerConfig config;
    config.root = settings.root.toStdString();
    config.bindAddress = settings.bindAddress.trimmed().toStdString();
    config.port = quint16(settings.port);
    config.fileCache = settings.fileCache;
    config.deferAccept = settings.deferAccept;
    config.model = settings.model;
    const StartResult result = m_server.start(config);
    if (!result.ok) {
        emit startFailed(QString::fromStdString(result.error));
        return false;
    }
    m_bindAddress = settings.bindAddress.trimmed();
    emit started(url());
    return true;
}

void ServerController::stop()
{
    if (!m_server.isRunning())
        return;
    const bool wasPaused = m_server.stepMode();
    m_server.stop();
    if (wasPaused)
        emit stepModeChanged(false);
    emit stopped();
}

QString ServerController::setStepMode(bool on)
{
    const bool was = m_server.stepMode();
    const std::string why = m_server.setStepMode(on);
    if (!why.empty())
        return QString::fromStdString(why);
    if (was != on)
        emit stepModeChanged(on);
    return {};
}

QString ServerController::step()
{
    return QString::fromStdString(m_server.step());
}

} // namespace loopscope
