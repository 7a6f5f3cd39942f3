#include "trace/record_detail.h"

#include "trace/trace_text.h"

#include <cstdint>

namespace loopscope {

using namespace std::string_view_literals;

using trace_text::appendUnsigned;

namespace {

constexpr std::uint64_t kInfiniteTimeout = UINT64_MAX;

void appendCount(std::string& out, std::uint64_t n, const char* unit)
{
    appendUnsigned(out, n);
    out += ' ';
    out += unit;
}

void appendErrno(std::string& out, std::uint64_t err)
{
    out += "errno "sv;
    appendUnsigned(out, err);
    if (err > 0 && err < 4096) {
        out += " ("sv;
        out += trace_text::errnoText(static_cast<int>(err));
        out += ')';
    }
}

// Nanoseconds as milliseconds with three decimals ("0.340 ms"): GUI costs are read in ms.
void appendMillis(std::string& out, std::uint64_t ns)
{
    trace_text::appendMicros(out, static_cast<std::int64_t>(ns / 1000));
    out += " ms"sv;
}

void appendGuiDetail(std::string& out, const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::GuiEventHandled:
        out += "GUI handled event type "sv;
        appendUnsigned(out, r.aux);
        out += " for "sv;
        appendMillis(out, r.arg);
        return;
    case EventKind::GuiLoopAwake:
        out += "GUI loop woke up"sv;
        return;
    case EventKind::GuiLoopAboutToBlock:
        out += "GUI loop about to block (iteration "sv;
        appendUnsigned(out, r.arg);
        out += ')';
        return;
    case EventKind::GuiLoopDelay:
        out += "GUI loop "sv;
        appendMillis(out, r.arg);
        out += " late"sv;
        return;
    case EventKind::GuiWork:
        out += "GUI "sv;
        out += guiWorkText(r.aux);
        out += " for "sv;
        appendMillis(out, r.arg);
        return;
    default:
        return;
    }
}

// Step mode: what each step of the paused loop did, in the words of the seed's pseudocode.
void appendStepDetail(std::string& out, const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::LoopDispatch:
        out += toString(loopSourceOf(r.arg));
        if (r.aux != 0) {
            out += ' ';
            out += epollBitsText(r.aux);
        }
        out += " -> "sv;
        out += toString(loopHandlerOf(r.arg));
        return;
    case EventKind::LoopPaused:
        out += "loop paused between epoll_wait calls after "sv;
        appendCount(out, r.arg, "steps");
        return;
    case EventKind::LoopStepped:
        out += "step "sv;
        appendUnsigned(out, r.arg);
        out += " done, "sv;
        appendCount(out, r.aux, "dispatched");
        return;
    case EventKind::LoopResumed:
        out += "loop runs freely again after "sv;
        appendCount(out, r.arg, "steps");
        return;
    default:
        return;
    }
}

void appendServerDetail(std::string& out, const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::LoadPhase:
        out += r.aux == 1 ? "load generator stopped after phase "sv : "load phase "sv;
        appendUnsigned(out, r.arg);
        if (r.aux != 1)
            out += " began"sv;
        return;
    case EventKind::ServerStarted:
        out += "port "sv;
        appendUnsigned(out, r.arg);
        out += ", at most "sv;
        appendCount(out, r.aux, "connections");
        return;
    case EventKind::ServerStopped:
        appendCount(out, r.arg, "connections closed");
        return;
    case EventKind::LoopPollBegin:
        out += "timeout "sv;
        if (r.arg == kInfiniteTimeout)
            out += "infinite"sv;
        else
            appendCount(out, r.arg, "ms");
        return;
    case EventKind::LoopPollEnd:
        appendCount(out, r.arg, "ready");
        return;
    case EventKind::RecordsDropped:
        appendCount(out, r.arg, "records dropped");
        return;
    case EventKind::AcceptPaused:
        out += "accept paused: "sv;
        appendErrno(out, r.arg);
        return;
    case EventKind::ServerFailed:
        out += "server failed: "sv;
        appendErrno(out, r.arg);
        return;
    case EventKind::ThreadStarted:
    case EventKind::ThreadExited:
        out += "thread "sv;
        appendUnsigned(out, r.arg);
        out += r.kind == EventKind::ThreadStarted ? " serves connection "sv : " done with connection "sv;
        appendUnsigned(out, r.aux);
        return;
    case EventKind::LoopDispatch:
    case EventKind::LoopPaused:
    case EventKind::LoopStepped:
    case EventKind::LoopResumed:
        appendStepDetail(out, r);
        return;
    default:
        return;
    }
}

void appendConnectionDetail(std::string& out, const EventRecord& r)
{
    switch (r.kind) {
    case EventKind::ConnectionAccepted:
        out += "peer "sv;
        trace_text::appendIpv4(out, r.aux, r.arg);
        return;
    case EventKind::BytesRead:
    case EventKind::BodyBytesWritten:
        appendCount(out, r.arg, "bytes");
        return;
    case EventKind::RequestHeadersRead:
        out += methodText(r.aux);
        out += ", request "sv;
        appendUnsigned(out, r.arg);
        return;
    case EventKind::RequestText:
        out += textOf(r);
        return;
    case EventKind::DiskReadStarted:
        out += "worker "sv;
        appendUnsigned(out, r.aux);
        out += ", offset "sv;
        appendUnsigned(out, r.arg);
        return;
    case EventKind::DiskReadDone:
        appendCount(out, r.arg, "bytes read");
        if (r.aux != 0) {
            out += ", "sv;
            appendErrno(out, r.aux);
        }
        return;
    case EventKind::ResponseHeadersWritten:
        out += "status "sv;
        appendUnsigned(out, r.arg);
        out += ", "sv;
        appendCount(out, r.aux, "header bytes");
        return;
    case EventKind::BodyWritten:
        appendCount(out, r.arg, "body bytes");
        return;
    case EventKind::KeepAlive:
        appendCount(out, r.arg, "responses so far");
        return;
    case EventKind::RequestRejected:
        out += "status "sv;
        appendUnsigned(out, r.arg);
        return;
    case EventKind::TimedOut:
        out += timeoutText(r.arg);
        return;
    case EventKind::ConnectionClosed:
        out += closeReasonText(r.arg);
        return;
    case EventKind::FileCacheHit:
        out += "served from the file cache ("sv;
        appendCount(out, r.arg, "bytes");
        out += ')';
        return;
    default:
        return;
    }
}

} // namespace

std::string closeReasonText(std::uint64_t reason)
{
    if (reason <= static_cast<std::uint64_t>(CloseReason::ServerStopping))
        return toString(static_cast<CloseReason>(reason));
    std::string out = "unknown close reason ";
    appendUnsigned(out, reason);
    return out;
}

std::string timeoutText(std::uint64_t kind)
{
    if (kind <= static_cast<std::uint64_t>(TimeoutKind::KeepAliveIdle))
        return toString(static_cast<TimeoutKind>(kind));
    std::string out = "unknown timeout ";
    appendUnsigned(out, kind);
    return out;
}

const char* methodText(std::uint32_t method)
{
    if (method <= static_cast<std::uint32_t>(HttpMethod::Connect))
        return toString(static_cast<HttpMethod>(method));
    return "OTHER";
}

std::string guiWorkText(std::uint32_t kind)
{
    if (kind <= static_cast<std::uint32_t>(GuiWorkKind::Export))
        return toString(static_cast<GuiWorkKind>(kind));
    std::string out = "work kind ";
    appendUnsigned(out, kind);
    return out;
}

void appendRecordDetail(std::string& out, const EventRecord& record)
{
    const auto kind = static_cast<unsigned>(record.kind);
    if (!isKnownKind(record.kind)) {
        out += "unknown kind "sv;
        appendUnsigned(out, kind);
        return;
    }
    appendServerDetail(out, record);
    appendConnectionDetail(out, record);
    appendGuiDetail(out, record);
}

} // namespace loopscope
