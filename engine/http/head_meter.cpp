// HeadMeter: see head_meter.h.
//
// This runs over every byte of every head, so the common case — a run of ordinary bytes inside
// a line — is found with memchr; limits, line endings and folding are checked at the run's ends.
#include "http/head_meter.h"

#include <algorithm>
#include <cstring>

namespace loopscope::detail {

std::size_t HeadMeter::measure(const char* data, std::size_t length, const ParserLimits& limits,
                               Verdict& verdict)
{
    const auto stop = [&](std::size_t at, int status, const char* reason) {
        verdict = {status, reason};
        return at;
    };
    std::size_t i = 0;
    if (m_headBytes == 0) { // empty lines before the request line are not part of the head
        while (i < length && (data[i] == '\r' || data[i] == '\n'))
            ++i;
    }
    while (i < length) {
        const int tooLong = m_inRequestLine ? 414 : 431;
        const char c = data[i];
        if (m_afterCR || c == '\r' || c == '\n') {
            if (m_headBytes >= limits.maxHeaderBlock)
                return stop(i, tooLong, "request head too large");
            ++m_headBytes;
            if (m_afterCR) {
                if (c != '\n')
                    return stop(i, 400, "CR not followed by LF");
                m_afterCR = false;
                m_inRequestLine = false;
                m_lineBytes = 0;
            } else if (c == '\r') {
                m_afterCR = true;
            } else {
                return stop(i, 400, "bare LF line ending");
            }
            ++i;
            continue;
        }
        if (m_lineBytes == 0 && !m_inRequestLine && (c == ' ' || c == '\t'))
            return stop(i, 400, "obsolete line folding");

        // A run of ordinary bytes, up to the next CR or LF. Two vectorised memchr calls beat
        // a byte loop several times over on typical 20-100 byte header lines.
        std::size_t end = length;
        if (const void* cr = std::memchr(data + i, '\r', length - i))
            end = std::size_t(static_cast<const char*>(cr) - data);
        if (const void* lf = std::memchr(data + i, '\n', end - i))
            end = std::size_t(static_cast<const char*>(lf) - data);
        const std::size_t run = end - i;
        const std::size_t maxLine = m_inRequestLine ? limits.maxRequestLine : limits.maxHeaderLine;
        const std::size_t lineRoom = maxLine > m_lineBytes ? maxLine - m_lineBytes : 0;
        const std::size_t headRoom =
            limits.maxHeaderBlock > m_headBytes ? limits.maxHeaderBlock - m_headBytes : 0;
        if (run > std::min(lineRoom, headRoom)) {
            if (headRoom <= lineRoom)
                return stop(i + headRoom, tooLong, "request head too large");
            return stop(i + lineRoom, tooLong, m_inRequestLine ? "request line too long" : "header line too long");
        }
        m_lineBytes += run;
        m_headBytes += run;
        i = end;
    }
    return length;
}

} // namespace loopscope::detail
