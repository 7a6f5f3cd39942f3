// ResponseParser: reads one HTTP/1.x response at a time from a client's byte stream, the way
// picohttpparser reads requests: feed() takes the bytes received so far and says how many it
// consumed, or that the response is malformed.
//
// Contract: feed(data, n) returns the bytes consumed (>= 0) or kMalformed (-1). It consumes
// the head only once it is complete (up to kMaxHeadBytes; it buffers partial heads itself, so
// callers may feed one byte at a time), then body bytes up to Content-Length. done() is true
// when the response is complete; reset() starts the next one (pipelined bytes left unconsumed
// belong to it). A response to HEAD, a 1xx/204/304, has no body whatever Content-Length says.
// Without Content-Length the body lasts until the peer closes (call finishAtEof() then); that
// response always closes the connection. A malformed status line, a bad or repeated
// Content-Length, a head over kMaxHeadBytes or chunked encoding (never sent by loopscope) are
// kMalformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace loopscope {

class ResponseParser {
public:
    static constexpr std::ptrdiff_t kMalformed = -1;
    static constexpr std::size_t kMaxHeadBytes = 16 * 1024;

    // Starts a response to a request with this method (HEAD responses have no body).
    void reset(bool headRequest = false);
    std::ptrdiff_t feed(const char* data, std::size_t n);
    // The peer closed: completes a body that lasts until close; returns false if the response
    // was cut short (a reset or a truncated response).
    bool finishAtEof();

    bool done() const { return m_phase == Phase::Done; }
    bool headComplete() const { return m_phase != Phase::Head; }
    int status() const { return m_status; }
    // The server will close after this response (Connection: close, HTTP/1.0 without
    // keep-alive, or a body that lasts until close).
    bool closesConnection() const { return m_closes; }
    std::uint64_t headBytes() const { return m_headBytes; }
    std::uint64_t bodyBytes() const { return m_bodyRead; }

private:
    enum class Phase : std::uint8_t { Head, Body, UntilClose, Done };

    std::ptrdiff_t feedHead(const char* data, std::size_t n);
    bool parseHead();
    bool parseStatusLine(const std::string& line);
    bool parseHeaderLine(const std::string& line);
    void startBody();

    Phase m_phase = Phase::Head;
    bool m_headRequest = false;
    std::string m_head;
    int m_status = 0;
    bool m_http10 = false;
    bool m_closes = false;
    bool m_keepAliveHeader = false;
    bool m_haveLength = false;
    std::uint64_t m_length = 0;
    std::uint64_t m_headBytes = 0;
    std::uint64_t m_bodyRead = 0;
};

} // namespace loopscope
