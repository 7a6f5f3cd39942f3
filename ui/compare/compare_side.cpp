#include "compare/compare_side.h"

#include "core/clock.h"

namespace loopscope {

namespace {
constexpr char kPhaseName[] = "comparison";
}

CompareSide::CompareSide(QObject* parent)
    : QObject(parent)
    , m_consumer(m_server.recorder(), m_store)
{
    m_consumer.addSink(&m_timeline);
    m_consumer.addSink(&m_stats);
    m_consumer.addSink(&m_threads);
    connect(&m_server, &ServerController::startFailed, this, [this](const QString& reason) { m_serverError = reason; });
    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, &CompareSide::poll);
}

CompareSide::~CompareSide()
{
    stop();
}

bool CompareSide::start(ServerModel model, const QString& root, const CompareLoad& load, QString& error)
{
    stop();
    m_model = model;
    m_consumer.clear();
    if (!startServer(root, error))
        return false;
    const std::int64_t began = monotonicNs();
    if (!startLoad(load, error)) {
        m_server.stop();
        return false;
    }
    recordPhase(began, false);
    m_running = true;
    m_consumer.start(16);
    m_poll.start();
    return true;
}

bool CompareSide::startServer(const QString& root, QString& error)
{
    ServerSettings settings;
    settings.root = root;
    settings.port = 0; // an ephemeral port of its own: never the main window's
    settings.model = m_model;
    if (m_server.start(settings))
        return true;
    error = m_serverError; // one sentence already: a missing root, no free port, ...
    return false;
}

bool CompareSide::startLoad(const CompareLoad& load, QString& error)
{
    std::string why;
    const std::optional<LoadUrl> target = parseLoadUrl(m_server.url().toStdString(), why);
    if (!target) {
        error = QString::fromStdString(why);
        return false;
    }
    const std::optional<LoadPlan> plan = comparePlan(load, *target, error);
    if (!plan)
        return false;
    if (!m_load.start(*plan, why)) {
        error = QString::fromStdString(why);
        return false;
    }
    return true;
}

void CompareSide::stop()
{
    if (m_running)
        finish();
}

void CompareSide::poll()
{
    if (!m_load.isRunning())
        finish();
}

// The load stops before the server, so every request the generator saw answered was recorded
// by the server first, and the last drain holds everything either of them did.
void CompareSide::finish()
{
    m_poll.stop();
    const LoadSnapshot s = m_load.snapshot();
    m_load.stop();
    recordPhase(s.startedNs + s.elapsedNs, true);
    m_server.stop();
    m_consumer.drainNow();
    m_consumer.stop();
    m_running = false;
    emit finished();
}

// A LoadPhase marker (and its name) on the engine loop's lane: where the load began and ended.
void CompareSide::recordPhase(std::int64_t t, bool stopped)
{
    m_consumer.appendLocal(makeLoadPhaseRecord(t, 0, stopped));
    m_consumer.appendLocal(makeTextRecord(0, kPhaseName, true));
}

} // namespace loopscope
