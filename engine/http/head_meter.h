// HeadMeter: checks the framing of a request head as its bytes arrive, before llhttp sees them.
//
// Private to engine/http (used by RequestParser). It enforces what llhttp cannot be told:
//  - size limits, counted on the bytes seen so far, so an over-long line is refused before its
//    end arrives: a line's length does not count its CRLF; the head's size counts every byte of
//    it, line endings and the final blank line included;
//  - CRLF-only line endings: a bare LF, or a CR not followed by LF, is a 400 (request smuggling
//    hides in line endings two parsers read differently);
//  - no obsolete line folding: a header line may not start with a space or tab (RFC 9112 5.2).
// Empty lines before the request line are skipped, not counted (RFC 9112 2.2).
#pragma once

#include "http/request.h"

#include <cstddef>

namespace loopscope::detail {

class HeadMeter {
public:
    struct Verdict {
        int httpStatus = 0;        // 0 while everything fits
        const char* reason = "";
    };

    void reset() { *this = HeadMeter{}; }
    bool started() const { return m_headBytes > 0; }
    bool inRequestLine() const { return m_inRequestLine; }

    // Advances over up to `length` bytes and returns how many are acceptable. When that is fewer
    // than `length`, `verdict` says why the next byte is not.
    std::size_t measure(const char* data, std::size_t length, const ParserLimits& limits, Verdict& verdict);

private:
    std::size_t m_headBytes = 0;
    std::size_t m_lineBytes = 0;
    bool m_inRequestLine = true;
    bool m_afterCR = false;
};

} // namespace loopscope::detail
