#include "load/response_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace loopscope {

namespace {

std::string lowered(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return out;
}

std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool hasToken(std::string_view value, std::string_view token)
{
    return lowered(value).find(token) != std::string::npos;
}

} // namespace

void ResponseParser::reset(bool headRequest)
{
    *this = ResponseParser();
    m_headRequest = headRequest;
}

std::ptrdiff_t ResponseParser::feed(const char* data, std::size_t n)
{
    switch (m_phase) {
    case Phase::Head:
        return feedHead(data, n);
    case Phase::Body: {
        const std::uint64_t take = std::min<std::uint64_t>(n, m_length - m_bodyRead);
        m_bodyRead += take;
        if (m_bodyRead == m_length)
            m_phase = Phase::Done;
        return std::ptrdiff_t(take);
    }
    case Phase::UntilClose:
        m_bodyRead += n;
        return std::ptrdiff_t(n);
    case Phase::Done:
        return 0;
    }
    return kMalformed;
}

// Buffers head bytes until the blank line; consumes only up to it, so the body (or the next
// pipelined response) stays with the caller.
std::ptrdiff_t ResponseParser::feedHead(const char* data, std::size_t n)
{
    const std::size_t before = m_head.size();
    const std::size_t room = kMaxHeadBytes - before;
    m_head.append(data, std::min(n, room));
    // The blank line may straddle the old and new bytes: search from a little before.
    const std::size_t from = before >= 3 ? before - 3 : 0;
    const std::size_t end = m_head.find("\r\n\r\n", from);
    if (end == std::string::npos) {
        if (m_head.size() >= kMaxHeadBytes)
            return kMalformed;
        return std::ptrdiff_t(n);
    }
    const std::size_t headLength = end + 4;
    m_head.resize(headLength);
    m_headBytes = headLength;
    if (!parseHead())
        return kMalformed;
    startBody();
    return std::ptrdiff_t(headLength - before);
}

bool ResponseParser::parseHead()
{
    std::size_t pos = 0;
    bool first = true;
    while (pos < m_head.size()) {
        const std::size_t eol = m_head.find("\r\n", pos);
        const std::string line = m_head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty())
            break;
        if (first ? !parseStatusLine(line) : !parseHeaderLine(line))
            return false;
        first = false;
    }
    return !first;
}

// "HTTP/1.1 200 OK": a version, a three-digit status, an optional reason.
bool ResponseParser::parseStatusLine(const std::string& line)
{
    if (line.size() < 12 || line.compare(0, 7, "HTTP/1.") != 0 || line[8] != ' ')
        return false;
    if (line[7] != '0' && line[7] != '1')
        return false;
    m_http10 = line[7] == '0';
    const char* digits = line.data() + 9;
    if (line.size() > 12 && line[12] != ' ')
        return false;
    const auto [ptr, ec] = std::from_chars(digits, digits + 3, m_status);
    return ec == std::errc() && ptr == digits + 3 && m_status >= 100 && m_status <= 599;
}

bool ResponseParser::parseHeaderLine(const std::string& line)
{
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0)
        return false;
    const std::string name = lowered(std::string_view(line).substr(0, colon));
    const std::string_view value = trimmed(std::string_view(line).substr(colon + 1));
    if (name == "content-length") {
        std::uint64_t length = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (m_haveLength || value.empty() || ec != std::errc() || ptr != value.data() + value.size())
            return false;
        m_haveLength = true;
        m_length = length;
    } else if (name == "transfer-encoding") {
        return false; // chunked bodies are never sent by loopscope; not worth a decoder here
    } else if (name == "connection") {
        m_closes |= hasToken(value, "close");
        m_keepAliveHeader |= hasToken(value, "keep-alive");
    }
    return true;
}

void ResponseParser::startBody()
{
    if (m_http10 && !m_keepAliveHeader)
        m_closes = true;
    const bool noBody = m_headRequest || m_status < 200 || m_status == 204 || m_status == 304;
    if (noBody || (m_haveLength && m_length == 0)) {
        m_phase = Phase::Done;
    } else if (m_haveLength) {
        m_phase = Phase::Body;
    } else {
        m_phase = Phase::UntilClose;
        m_closes = true;
    }
}

bool ResponseParser::finishAtEof()
{
    if (m_phase == Phase::UntilClose)
        m_phase = Phase::Done;
    return m_phase == Phase::Done;
}

} // namespace loopscope
