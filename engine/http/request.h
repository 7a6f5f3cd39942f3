// HttpRequest and RequestParser: one HTTP/1.x request's head, parsed with llhttp.
//
// Contract of RequestParser::feed(): it reads at most one request head from the bytes given and
// says how many it consumed:
//   NeedMore - all bytes consumed (kept as needed), the head is not complete yet;
//   Request  - a complete, valid GET/HEAD head is in request(); `consumed` bytes were used. The
//              caller answers it, calls next(), then feeds the bytes after `consumed` (and any new
//              ones). Body bytes of the request (a GET with Content-Length or chunked body) are
//              skipped by the following feed() calls, never parsed as a request;
//   Error    - the request is bad: answer `httpStatus` (400, 405, 414, 431, 501, 505) and close.
// The parser enforces the configured size limits on the bytes it has seen, so a client can never
// make it buffer more than maxHeaderBlock bytes.
//
// Answers, modelled on nginx (the first problem in byte order wins, however the bytes were split):
//   - a line's length excludes its CRLF; the head's size counts every byte, CRLFs and the final
//     blank line included. Over maxRequestLine: 414; a header line over maxHeaderLine or the head
//     over maxHeaderBlock: 431, as soon as the byte that crosses the limit arrives;
//   - line endings must be CRLF. Unlike nginx, a bare LF (or a CR without LF) is a 400: two
//     parsers that disagree on line endings are how requests get smuggled, and llhttp's strict
//     mode already refuses bare LF in header lines. Empty lines before a request are skipped;
//   - methods are case-sensitive tokens of A-Z, '-' and '_': "get" is malformed (400, as nginx);
//     a method llhttp knows other than GET/HEAD is 405, any other token 501; both are answered
//     once the head has parsed, after version (505), header (400) and missing-Host (400) errors;
//   - HTTP/1.0 and 1.1 only: other versions are 505, a request line without a version is 400;
//   - 400 also for: obs-fold, whitespace in or before a header name, two Host headers, two
//     Transfer-Encoding headers, Content-Length with Transfer-Encoding, a bad or repeated
//     Content-Length, Transfer-Encoding in HTTP/1.0, and any
//     target decodeTargetPath() refuses. A Transfer-Encoding other than "chunked": 501. A bad
//     chunk in a skipped body is an Error with inAnsweredBody set (close, answer nothing);
//   - repeated Range or If-Modified-Since headers are joined with ", " (and so end up ignored).
// After an Error, feed() keeps returning it.
#pragma once

#include "core/event_record.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loopscope {

struct ParserLimits {
    std::size_t maxRequestLine = 8 * 1024;  // over it: 414
    std::size_t maxHeaderLine = 8 * 1024;   // one header line over it: 431
    std::size_t maxHeaderBlock = 32 * 1024; // the whole head over it: 431
};

struct HttpRequest {
    HttpMethod method = HttpMethod::Other;
    std::string target;        // the request-target exactly as sent (origin- or absolute-form)
    std::string path;          // decoded, dot segments removed, always starts with '/'; a trailing
                               // '/' is kept; query string removed. Never contains "..", NUL or '\\'.
    int versionMajor = 1;
    int versionMinor = 1;
    bool keepAlive = true;     // HTTP/1.1 default on unless "Connection: close"; 1.0 off unless "keep-alive"
    std::string host;          // Host header, or the authority of an absolute-form target
    std::string range;         // raw Range header value, empty if absent
    std::string ifModifiedSince; // raw If-Modified-Since value, empty if absent
};

class RequestParser {
public:
    enum class Status { NeedMore, Request, Error };
    struct Result {
        Status status = Status::NeedMore;
        std::size_t consumed = 0;
        int httpStatus = 0;          // for Error
        const char* reason = "";     // for Error: a short human-readable cause (static string)
        // For Error: the bad bytes are the skipped body of a request that was already answered,
        // so there is no request left to answer: the caller closes without a response (nginx
        // closes when discarding a body fails).
        bool inAnsweredBody = false;
    };

    explicit RequestParser(const ParserLimits& limits = {});
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    Result feed(const char* data, std::size_t len);
    const HttpRequest& request() const;
    // After answering a Request: get ready for the next one (skipping this one's body).
    void next();
    // True while bytes of an unfinished request head (or a skipped body) have been seen.
    bool midRequest() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace loopscope
