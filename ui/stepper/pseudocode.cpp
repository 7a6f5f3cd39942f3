#include "stepper/pseudocode.h"

namespace loopscope::pseudocode {

namespace {

constexpr int kWaitLine = 1;

} // namespace

QStringList lines()
{
    return {
        QStringLiteral("while true:"),
        QStringLiteral("    event = wait for the next event to happen            (epoll_wait)"),
        QStringLiteral("    NEW_TCP_CONNECTION          -> start reading HTTP request headers"),
        QStringLiteral("    FINISHED_READING_FROM_SOCKET -> start fetching the requested file from disk"),
        QStringLiteral("    FINISHED_READING_FROM_DISK  -> start writing the response headers"),
        QStringLiteral("    FINISHED_WRITING_TO_SOCKET  -> headers done: start writing the file contents"),
        QStringLiteral("                                   contents done: close (or, keep-alive: read the next request)"),
    };
}

LineRange linesFor(LoopHandler handler)
{
    switch (handler) {
    case LoopHandler::OnAccept: return {2, 2};
    case LoopHandler::OnReadable: return {3, 3};
    case LoopHandler::OnDiskDone: return {4, 4};
    case LoopHandler::OnWritable: return {5, 6}; // headers done, or contents done
    default: return {kWaitLine, kWaitLine};
    }
}

bool isSeedBranch(LoopHandler handler)
{
    return linesFor(handler).first != kWaitLine;
}

QString eventNameFor(LoopHandler handler)
{
    switch (handler) {
    case LoopHandler::OnAccept: return QStringLiteral("NEW_TCP_CONNECTION");
    case LoopHandler::OnReadable: return QStringLiteral("bytes to read (FINISHED_READING_FROM_SOCKET once the head is complete)");
    case LoopHandler::OnDiskDone: return QStringLiteral("FINISHED_READING_FROM_DISK");
    case LoopHandler::OnWritable: return QStringLiteral("FINISHED_WRITING_TO_SOCKET");
    case LoopHandler::ExpireTimers: return QStringLiteral("a timeout: not a branch of the seed, the loop's own housekeeping");
    case LoopHandler::CloseOnError: return QStringLiteral("an error on the socket: the connection is closed");
    case LoopHandler::DrainLingering: return QStringLiteral("leftover input of a refused request, read before closing");
    case LoopHandler::CheckStop: return QStringLiteral("the loop's own wake-up: it checks whether to stop");
    case LoopHandler::Nothing: break;
    }
    return QStringLiteral("ready, but nothing to do in the connection's state");
}

} // namespace loopscope::pseudocode
