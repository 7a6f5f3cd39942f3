// Response heads, dates and content types.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace loopscope {

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate).
std::string formatHttpDate(std::time_t t);
// The Date header for now, formatted only when the second changes (a server answers many
// requests a second). One per thread.
class HttpDateCache {
public:
    const std::string& now()
    {
        const std::time_t t = std::time(nullptr);
        if (t != m_second) {
            m_second = t;
            m_text = formatHttpDate(t);
        }
        return m_text;
    }

private:
    std::string m_text;
    std::time_t m_second = 0;
};
// Accepts IMF-fixdate, RFC 850 and asctime forms; nullopt if none matches.
std::optional<std::time_t> parseHttpDate(std::string_view s);

// Content-Type for a path by its extension (case-insensitive); "application/octet-stream" if unknown.
std::string_view contentTypeFor(std::string_view path);

// Reason phrase for a status code ("Not Found"); "Unknown" if not known.
std::string_view reasonPhrase(int status);

struct ResponseHead {
    int status = 200;
    std::string_view contentType;   // omitted if empty
    std::uint64_t contentLength = 0;
    std::time_t lastModified = 0;   // omitted if 0
    std::string_view date;          // preformatted Date value (cached per second by the server)
    std::string_view location;      // for 301; omitted if empty
    std::string_view contentRange;  // for 206/416; omitted if empty
    bool allowGetHead = false;      // adds "Allow: GET, HEAD" (405)
    bool keepAlive = true;          // "Connection: keep-alive" or "Connection: close"
    bool acceptRanges = false;      // "Accept-Ranges: bytes"
};

// Appends the whole head, ending with the blank line, to `out`. Always sends Server:
// loopscope, Date and Content-Length.
void appendResponseHead(std::string& out, const ResponseHead& head);

// A small HTML body for error statuses ("<html>...404 Not Found...</html>").
std::string errorBody(int status);

} // namespace loopscope
