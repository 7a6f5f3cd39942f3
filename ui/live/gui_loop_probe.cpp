#include "live/gui_loop_probe.h"

#include "core/clock.h"

#include <QAbstractEventDispatcher>
#include <QThread>

namespace loopscope {

namespace {
constexpr int kHeartbeatMs = 20;
GuiLoopProbe* g_probe = nullptr;
} // namespace

GuiLoopProbe::GuiLoopProbe(QObject* parent)
    : QObject(parent)
{
    m_heartbeat.setTimerType(Qt::PreciseTimer);
    connect(&m_heartbeat, &QTimer::timeout, this, &GuiLoopProbe::onHeartbeat);
}

GuiLoopProbe::~GuiLoopProbe()
{
    // The window's children are deleted inside ~QWidget, which still sends events through
    // LoopscopeApplication::notify: it must not find a dangling probe.
    if (g_probe == this)
        g_probe = nullptr;
}

GuiLoopProbe* GuiLoopProbe::instance()
{
    return g_probe;
}

void GuiLoopProbe::setInstance(GuiLoopProbe* probe)
{
    g_probe = probe;
}

void GuiLoopProbe::setSink(Sink sink)
{
    m_sink = std::move(sink);
}

void GuiLoopProbe::start()
{
    if (QAbstractEventDispatcher* d = QAbstractEventDispatcher::instance(thread())) {
        m_blockConnection = connect(d, &QAbstractEventDispatcher::aboutToBlock, this, [this] {
            ++m_iterations;
            emitRecord(EventKind::GuiLoopAboutToBlock, monotonicNs(), m_iterations);
        });
        m_awakeConnection = connect(d, &QAbstractEventDispatcher::awake, this,
                                    [this] { emitRecord(EventKind::GuiLoopAwake, monotonicNs(), m_iterations); });
    }
    m_expectedNs = monotonicNs() + std::int64_t(kHeartbeatMs) * 1'000'000;
    m_heartbeat.start(kHeartbeatMs);
}

void GuiLoopProbe::stop()
{
    disconnect(m_blockConnection);
    disconnect(m_awakeConnection);
    m_heartbeat.stop();
}

void GuiLoopProbe::onHeartbeat()
{
    const std::int64_t now = monotonicNs();
    const std::int64_t late = now > m_expectedNs ? now - m_expectedNs : 0;
    emitRecord(EventKind::GuiLoopDelay, now, std::uint64_t(late));
    m_expectedNs = now + std::int64_t(kHeartbeatMs) * 1'000'000;
}

void GuiLoopProbe::eventStarted()
{
    if (m_depth++ == 0)
        m_eventStart = monotonicNs();
}

void GuiLoopProbe::eventFinished(int eventType)
{
    if (--m_depth == 0)
        emitRecord(EventKind::GuiEventHandled, m_eventStart, std::uint64_t(monotonicNs() - m_eventStart),
                   std::uint32_t(eventType));
}

void GuiLoopProbe::emitRecord(EventKind kind, std::int64_t t, std::uint64_t arg, std::uint32_t aux)
{
    if (!m_sink)
        return;
    EventRecord r;
    r.t_ns = t;
    r.arg = arg;
    r.aux = aux;
    r.kind = kind;
    r.thread = kGuiThread;
    m_sink(r);
}

LoopscopeApplication::LoopscopeApplication(int& argc, char** argv)
    : QApplication(argc, argv)
{
}

bool LoopscopeApplication::notify(QObject* receiver, QEvent* event)
{
    GuiLoopProbe* probe = GuiLoopProbe::instance();
    if (!probe || QThread::currentThread() != thread())
        return QApplication::notify(receiver, event);
    const int type = event->type(); // the event may be gone once delivered
    probe->eventStarted();
    const bool handled = QApplication::notify(receiver, event);
    // Delivering the event may have destroyed the probe (its window deleted by this event).
    if (GuiLoopProbe::instance() == probe)
        probe->eventFinished(type);
    return handled;
}

} // namespace loopscope
