#include "timeline/palette.h"

namespace loopscope::palette {

namespace {
bool g_highContrast = false;
}

void setHighContrast(bool on)
{
    g_highContrast = on;
}

bool highContrast()
{
    return g_highContrast;
}

QColor colorFor(ConnectionState state)
{
    switch (state) {
    case ConnectionState::Accepted: return QColor::fromRgb(kSkyBlue);
    case ConnectionState::ReadingHeaders: return QColor::fromRgb(kBlue);
    case ConnectionState::FetchingFile: return QColor::fromRgb(kOrange);
    case ConnectionState::WritingHeaders: return QColor::fromRgb(kReddishPurple);
    case ConnectionState::WritingBody: return QColor::fromRgb(kBluishGreen);
    case ConnectionState::KeepAlive: return QColor::fromRgb(g_highContrast ? 0xff98a4b0 : 0xffc9d3dc); // idle: pale
    case ConnectionState::None:
    case ConnectionState::Closed:
        break;
    }
    return QColor::fromRgb(kBackground);
}

QColor colorFor(ConnectionState state, std::uint8_t requestFlags)
{
    if (state == ConnectionState::FetchingFile && (requestFlags & kSpanCacheHit))
        return QColor::fromRgb(kYellow);
    if (requestFlags & kSpanRejected)
        return QColor::fromRgb(kVermillion);
    return colorFor(state);
}

QColor colorFor(LoopPhase phase)
{
    switch (phase) {
    case LoopPhase::Blocked: return QColor::fromRgb(g_highContrast ? 0xff8fc0e3 : 0xffcfe3f1); // waiting in epoll_wait: pale
    case LoopPhase::Dispatching: return QColor::fromRgb(kBlue);
    case LoopPhase::Stopped: break;
    }
    return QColor::fromRgb(0xff9e9e9e);
}

QColor colorFor(GuiSpanKind kind)
{
    switch (kind) {
    case GuiSpanKind::Event: return QColor::fromRgb(kSkyBlue);
    case GuiSpanKind::Drain: return QColor::fromRgb(kOrange);
    case GuiSpanKind::Paint: return QColor::fromRgb(kReddishPurple);
    case GuiSpanKind::Charts: return QColor::fromRgb(kBluishGreen);
    case GuiSpanKind::Table: return QColor::fromRgb(kBlue);
    case GuiSpanKind::Export: return QColor::fromRgb(kYellow);
    }
    return QColor::fromRgb(kSkyBlue);
}

QColor diskColor(bool failed)
{
    return QColor::fromRgb(failed ? kVermillion : 0xff3a3a3a);
}

QColor markerColor(EventKind kind)
{
    switch (kind) {
    case EventKind::TimedOut: return QColor::fromRgb(kOrange);
    case EventKind::RequestRejected: return QColor::fromRgb(kVermillion);
    case EventKind::RecordsDropped: return QColor::fromRgb(kBlack);
    case EventKind::AcceptPaused: return QColor::fromRgb(kReddishPurple);
    case EventKind::ServerStarted: return QColor::fromRgb(kBluishGreen);
    case EventKind::LoadPhase: return QColor::fromRgb(kBlue);
    case EventKind::LoopPaused:
    case EventKind::LoopResumed: return QColor::fromRgb(kYellow);
    case EventKind::LoopStepped: return QColor::fromRgb(kSkyBlue);
    default: return QColor::fromRgb(kBlack); // stopped, failed
    }
}

QString nameOf(ConnectionState state)
{
    switch (state) {
    case ConnectionState::None: return QStringLiteral("no connection");
    case ConnectionState::Accepted: return QStringLiteral("accepted");
    case ConnectionState::ReadingHeaders: return QStringLiteral("reading headers");
    case ConnectionState::FetchingFile: return QStringLiteral("fetching file");
    case ConnectionState::WritingHeaders: return QStringLiteral("writing headers");
    case ConnectionState::WritingBody: return QStringLiteral("writing body");
    case ConnectionState::KeepAlive: return QStringLiteral("keep-alive (idle)");
    case ConnectionState::Closed: return QStringLiteral("closed");
    }
    return QStringLiteral("state %1").arg(int(state));
}

QString nameOf(LoopPhase phase)
{
    switch (phase) {
    case LoopPhase::Blocked: return QStringLiteral("blocked in epoll_wait");
    case LoopPhase::Dispatching: return QStringLiteral("dispatching");
    case LoopPhase::Stopped: return QStringLiteral("stopped");
    }
    return QStringLiteral("phase %1").arg(int(phase));
}

QString nameOf(GuiSpanKind kind)
{
    switch (kind) {
    case GuiSpanKind::Event: return QStringLiteral("events");
    case GuiSpanKind::Drain: return QStringLiteral("drain");
    case GuiSpanKind::Paint: return QStringLiteral("paint");
    case GuiSpanKind::Charts: return QStringLiteral("charts");
    case GuiSpanKind::Table: return QStringLiteral("table");
    case GuiSpanKind::Export: return QStringLiteral("export");
    }
    return QStringLiteral("work %1").arg(int(kind));
}

QString markerName(EventKind kind)
{
    switch (kind) {
    case EventKind::TimedOut: return QStringLiteral("timeout");
    case EventKind::RequestRejected: return QStringLiteral("rejected request");
    case EventKind::RecordsDropped: return QStringLiteral("records dropped");
    case EventKind::AcceptPaused: return QStringLiteral("accept paused");
    case EventKind::ServerStarted: return QStringLiteral("server started");
    case EventKind::ServerStopped: return QStringLiteral("server stopped");
    case EventKind::ServerFailed: return QStringLiteral("server failed");
    case EventKind::LoadPhase: return QStringLiteral("load phase");
    case EventKind::LoopPaused: return QStringLiteral("loop paused (step mode)");
    case EventKind::LoopStepped: return QStringLiteral("loop step");
    case EventKind::LoopResumed: return QStringLiteral("loop runs again");
    default: return QString::fromUtf8(toString(kind));
    }
}

} // namespace loopscope::palette
