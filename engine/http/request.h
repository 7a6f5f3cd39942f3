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
