// GuiLoopProbe: measures the GUI's own Qt event loop, so the window shows what observing costs
// (Tracy does the same). Three measurements, recorded on the GUI thread as EventRecords with
// thread = kGuiThread:
//  - busy: the duration of every outermost QCoreApplication::notify on the GUI thread
//    (GuiEventHandled; LoopscopeApplication calls eventStarted/eventFinished around notify);
//  - iterations: QAbstractEventDispatcher::aboutToBlock/awake (GuiLoopAboutToBlock/Awake);
//  - loop delay: how late a 20 ms heartbeat timer fires (GuiLoopDelay), Node's
//    monitorEventLoopDelay idea.
#pragma once

#include "core/event_record.h"

#include <QApplication>
#include <QObject>
#include <QTimer>

#include <cstdint>
#include <functional>

namespace loopscope {

class GuiLoopProbe : public QObject {
    Q_OBJECT
public:
    using Sink = std::function<void(const EventRecord&)>;

    explicit GuiLoopProbe(QObject* parent = nullptr);
    ~GuiLoopProbe() override; // stops being instance() (children die while events still flow)

    // Where records go (usually TraceConsumer::appendLocal). Without a sink nothing is recorded.
    void setSink(Sink sink);
    // Connects to the GUI thread's event dispatcher and starts the heartbeat.
    void start();
    void stop();

    // Called by LoopscopeApplication::notify on the GUI thread.
    void eventStarted();
    void eventFinished(int eventType);

    std::uint64_t iterations() const { return m_iterations; }

    // The probe of the running application, if any (set by its owner; cleared when it is destroyed).
    static GuiLoopProbe* instance();
    static void setInstance(GuiLoopProbe* probe);

private:
    void onHeartbeat();
    void emitRecord(EventKind kind, std::int64_t t, std::uint64_t arg, std::uint32_t aux = 0);

    Sink m_sink;
    QTimer m_heartbeat;
    std::int64_t m_expectedNs = 0;
    int m_depth = 0;
    std::int64_t m_eventStart = 0;
    std::uint64_t m_iterations = 0;
    QMetaObject::Connection m_blockConnection;
    QMetaObject::Connection m_awakeConnection;
};

// QApplication that times every outermost event delivery on the GUI thread for the probe.
class LoopscopeApplication : public QApplication {
public:
    LoopscopeApplication(int& argc, char** argv);
    bool notify(QObject* receiver, QEvent* event) override;
};

} // namespace loopscope
