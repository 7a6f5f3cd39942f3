// parseRange: see range.h for the contract.
//
// Only one range is served. Several ranges would need a multipart/byteranges body; RFC 9110
// lets a server ignore Range instead, and answering 200 with the whole file is always correct.
// Like nginx, optional whitespace is accepted after '=', around '-' and at the end.
#include "http/range.h"

#include <limits>
#include <optional>

namespace loopscope {
namespace {

class RangeCursor {
public:
    explicit RangeCursor(std::string_view text) : m_text(text) {}

    bool atEnd() const { return m_pos == m_text.size(); }
    char peek() const { return atEnd() ? '\0' : m_text[m_pos]; }

    void skipSpaces()
    {
        while (!atEnd() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t'))
            ++m_pos;
    }

    bool take(char c)
    {
        if (peek() != c)
            return false;
        ++m_pos;
        return true;
    }

    // "bytes" is case-insensitive (RFC 9110 14.1: range units are compared case-insensitively).
    bool takeBytesUnit()
    {
        static constexpr std::string_view kUnit = "bytes";
        if (m_text.size() - m_pos < kUnit.size())
            return false;
        for (std::size_t i = 0; i < kUnit.size(); ++i) {
            char c = m_text[m_pos + i];
            if (c >= 'A' && c <= 'Z')
                c = char(c - 'A' + 'a');
            if (c != kUnit[i])
                return false;
        }
        m_pos += kUnit.size();
        return true;
    }

    // Digits as an unsigned number. Absent, or too large for 64 bits: nullopt (an overflowing
    // position is treated as a syntax error, so the header is ignored).
    std::optional<std::uint64_t> number(bool& overflow)
    {
        const std::size_t start = m_pos;
        std::uint64_t value = 0;
        constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
        while (!atEnd() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
            const unsigned digit = unsigned(m_text[m_pos] - '0');
            if (value > (kMax - digit) / 10)
                overflow = true;
            value = value * 10 + digit;
            ++m_pos;
        }
        if (m_pos == start || overflow)
            return std::nullopt;
        return value;
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

ByteRange ignore() { return {}; }
ByteRange unsatisfiable() { return {ByteRange::Kind::Unsatisfiable, 0, 0}; }

ByteRange suffixRange(std::uint64_t length, std::uint64_t size)
{
    if (length == 0 || size == 0)
        return unsatisfiable();
    const std::uint64_t first = length >= size ? 0 : size - length;
    return {ByteRange::Kind::Satisfiable, first, size - 1};
}

ByteRange boundedRange(std::uint64_t first, std::optional<std::uint64_t> last, std::uint64_t size)
{
    if (last && *last < first)
        return ignore(); // "5-1" is not a valid range-spec
    if (first >= size)
        return unsatisfiable();
    const std::uint64_t end = (!last || *last >= size) ? size - 1 : *last;
    return {ByteRange::Kind::Satisfiable, first, end};
}

} // namespace

ByteRange parseRange(std::string_view header, std::uint64_t size)
{
    RangeCursor cursor(header);
    cursor.skipSpaces();
    if (!cursor.takeBytesUnit() || !cursor.take('='))
        return ignore();
    cursor.skipSpaces();
    bool overflow = false;
    const std::optional<std::uint64_t> first = cursor.number(overflow);
    if (overflow)
        return ignore();
    cursor.skipSpaces();
    if (!cursor.take('-'))
        return ignore();
    cursor.skipSpaces();
    const std::optional<std::uint64_t> last = cursor.number(overflow);
    cursor.skipSpaces();
    if (overflow || !cursor.atEnd()) // a ',' (several ranges) or any other text ends up here
        return ignore();
    if (!first)
        return last ? suffixRange(*last, size) : ignore();
    return boundedRange(*first, last, size);
}

} // namespace loopscope
