#include "core/event_record.h"

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

} // namespace loopscope
