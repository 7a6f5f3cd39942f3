#include "core/event_record.h"

#include <sys/epoll.h>

#include <utility>

namespace loopscope {

const char* toString(EventKind kind)
{
    switch (kind) {
    case EventKind::ServerStarted: return "ServerStarted";
    case EventKind::ServerStopped: return "ServerStopped";
    case EventKind::LoopPollBegin: return "LoopPollBegin";
    case EventKind::LoopPollEnd: return "LoopPollEnd";
    case EventKind::ConnectionAccepted: return "ConnectionAccepted";
    case EventKind::BytesRead: return "BytesRead";
    case EventKind::RequestHeadersRead: return "RequestHeadersRead";
    case EventKind::RequestText: return "RequestText";
    case EventKind::DiskReadStarted: return "DiskReadStarted";
    case EventKind::DiskReadDone: return "DiskReadDone";
    case EventKind::ResponseHeadersWritten: return "ResponseHeadersWritten";
    case EventKind::BodyBytesWritten: return "BodyBytesWritten";
    case EventKind::BodyWritten: return "BodyWritten";
    case EventKind::KeepAlive: return "KeepAlive";
    case EventKind::RequestRejected: return "RequestRejected";
    case EventKind::TimedOut: return "TimedOut";
    case EventKind::ConnectionClosed: return "ConnectionClosed";
    case EventKind::RecordsDropped: return "RecordsDropped";
    case EventKind::AcceptPaused: return "AcceptPaused";
    case EventKind::ServerFailed: return "ServerFailed";
    case EventKind::FileCacheHit: return "FileCacheHit";
    case EventKind::GuiEventHandled: return "GuiEventHandled";
    case EventKind::GuiLoopAwake: return "GuiLoopAwake";
    case EventKind::GuiLoopAboutToBlock: return "GuiLoopAboutToBlock";
    case EventKind::GuiLoopDelay: return "GuiLoopDelay";
    case EventKind::GuiWork: return "GuiWork";
    case EventKind::LoadPhase: return "LoadPhase";
    case EventKind::ThreadStarted: return "ThreadStarted";
    case EventKind::ThreadExited: return "ThreadExited";
    case EventKind::LoopDispatch: return "LoopDispatch";
    case EventKind::LoopPaused: return "LoopPaused";
    case EventKind::LoopStepped: return "LoopStepped";
    case EventKind::LoopResumed: return "LoopResumed";
    }
    return "Unknown";
}

bool isKnownKind(EventKind kind)
{
    return static_cast<int>(kind) < kEventKindCount;
}

const char* toString(ConnectionState state)
{
    switch (state) {
    case ConnectionState::None: return "None";
    case ConnectionState::Accepted: return "Accepted";
    case ConnectionState::ReadingHeaders: return "ReadingHeaders";
    case ConnectionState::FetchingFile: return "FetchingFile";
    case ConnectionState::WritingHeaders: return "WritingHeaders";
    case ConnectionState::WritingBody: return "WritingBody";
    case ConnectionState::KeepAlive: return "KeepAlive";
    case ConnectionState::Closed: return "Closed";
    }
    return "Unknown";
}

const char* toString(CloseReason reason)
{
    switch (reason) {
    case CloseReason::Done: return "done";
    case CloseReason::PeerClosed: return "peer closed";
    case CloseReason::Error: return "error";
    case CloseReason::Rejected: return "rejected";
    case CloseReason::TimedOut: return "timed out";
    case CloseReason::TooManyConnections: return "too many connections";
    case CloseReason::ServerStopping: return "server stopping";
    }
    return "unknown";
}

const char* toString(TimeoutKind kind)
{
    switch (kind) {
    case TimeoutKind::Header: return "header timeout";
    case TimeoutKind::KeepAliveIdle: return "keep-alive idle timeout";
    case TimeoutKind::Send: return "send timeout";
    }
    return "unknown timeout";
}

const char* toString(GuiWorkKind kind)
{
    switch (kind) {
    case GuiWorkKind::Drain: return "drain";
    case GuiWorkKind::Paint: return "paint";
    case GuiWorkKind::Charts: return "charts";
    case GuiWorkKind::Table: return "table";
    case GuiWorkKind::Export: return "export";
    }
    return "work";
}

const char* toString(HttpMethod method)
{
    switch (method) {
    case HttpMethod::Other: return "OTHER";
    case HttpMethod::Get: return "GET";
    case HttpMethod::Head: return "HEAD";
    case HttpMethod::Post: return "POST";
    case HttpMethod::Put: return "PUT";
    case HttpMethod::Delete: return "DELETE";
    case HttpMethod::Options: return "OPTIONS";
    case HttpMethod::Patch: return "PATCH";
    case HttpMethod::Trace: return "TRACE";
    case HttpMethod::Connect: return "CONNECT";
    }
    return "OTHER";
}

const char* toString(LoopSource source)
{
    switch (source) {
    case LoopSource::Listener: return "listener";
    case LoopSource::Connection: return "connection";
    case LoopSource::DiskDone: return "disk eventfd";
    case LoopSource::WakeUp: return "wake-up eventfd";
    case LoopSource::Timer: return "timer";
    case LoopSource::LoopDiskRead: return "disk read on the loop";
    }
    return "unknown source";
}

const char* toString(LoopHandler handler)
{
    switch (handler) {
    case LoopHandler::Nothing: return "nothing to do";
    case LoopHandler::OnAccept: return "onAccept";
    case LoopHandler::OnReadable: return "onReadable";
    case LoopHandler::OnWritable: return "onWritable";
    case LoopHandler::OnDiskDone: return "onDiskDone";
    case LoopHandler::ExpireTimers: return "expireTimers";
    case LoopHandler::CloseOnError: return "closeConnection (error)";
    case LoopHandler::DrainLingering: return "drainLingering";
    case LoopHandler::CheckStop: return "check for stop";
    }
    return "unknown handler";
}

std::string epollBitsText(std::uint32_t bits)
{
    static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
        {EPOLLIN, "EPOLLIN"}, {EPOLLPRI, "EPOLLPRI"}, {EPOLLOUT, "EPOLLOUT"}, {EPOLLERR, "EPOLLERR"},
        {EPOLLHUP, "EPOLLHUP"}, {EPOLLRDHUP, "EPOLLRDHUP"}};
    std::string out;
    for (auto [bit, name] : kNames) {
        if (!(bits & bit))
            continue;
        if (!out.empty())
            out += '|';
        out += name;
        bits &= ~bit;
    }
    if (bits != 0) { // bits this list does not name: shown as a number rather than hidden
        if (!out.empty())
            out += '|';
        out += "0x";
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex;
        for (; bits; bits >>= 4)
            hex.insert(hex.begin(), kHex[bits & 0xf]);
        out += hex;
    }
    return out.empty() ? "none" : out;
}

} // namespace loopscope
