#include "trace/trace_text.h"

#include <charconv>
#include <cstring>

namespace loopscope::trace_text {

using namespace std::string_view_literals;

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 if the first byte does not
// start one (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8SequenceLength(std::string_view s)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto inRange = [&](std::size_t i, unsigned lo, unsigned hi) {
        return i < s.size() && byte(i) >= lo && byte(i) <= hi;
    };
    const unsigned lead = byte(0);
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return inRange(1, 0x80, 0xBF) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = lead == 0xED ? 0x9F : 0xBF;
        return inRange(1, lo, hi) && inRange(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
        return inRange(1, lo, hi) && inRange(2, 0x80, 0xBF) && inRange(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

bool isPlainJsonByte(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// Printable ASCII other than the characters that make a CSV field need quotes.
bool isPlainCsvByte(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != ',';
}

std::size_t plainPrefix(std::string_view text, bool (*isPlain)(unsigned char))
{
    std::size_t n = 0;
    while (n < text.size() && isPlain(static_cast<unsigned char>(text[n])))
        ++n;
    return n;
}

template <typename Out>
void appendJsonEscape(Out& out, unsigned char c)
{
    switch (c) {
    case '"': out += "\\\""sv; return;
    case '\\': out += "\\\\"sv; return;
    case '\n': out += "\\n"sv; return;
    case '\r': out += "\\r"sv; return;
    case '\t': out += "\\t"sv; return;
    case '\b': out += "\\b"sv; return;
    case '\f': out += "\\f"sv; return;
    default: break;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
    out.append(escape, sizeof escape);
}

// Appends `text` with invalid UTF-8 replaced, calling `ascii(out, c)` for each ASCII byte.
template <typename Out, typename AsciiFn>
void appendUtf8With(Out& out, std::string_view text, AsciiFn ascii)
{
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text.front());
        if (c < 0x80) {
            ascii(out, c);
            text.remove_prefix(1);
            continue;
        }
        const std::size_t n = utf8SequenceLength(text);
        if (n == 0) {
            out += kReplacement;
            text.remove_prefix(1);
        } else {
            out.append(text.data(), n);
            text.remove_prefix(n);
        }
    }
}

void appendDigits(std::string& out, std::uint64_t value)
{
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, std::size_t(res.ptr - buf));
}

void appendDigits(TextBuffer& out, std::uint64_t value)
{
    char* p = out.room(24);
    out.commit(std::to_chars(p, p + 24, value).ptr);
}

} // namespace

template <typename Out>
void appendUnsigned(Out& out, std::uint64_t value)
{
    appendDigits(out, value);
}

template <typename Out>
void appendSigned(Out& out, std::int64_t value)
{
    if (value < 0)
        out += '-';
    appendDigits(out, value < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(value) : std::uint64_t(value));
}

template <typename Out>
void appendMicros(Out& out, std::int64_t ns)
{
    if (ns < 0)
        out += '-';
    const std::uint64_t magnitude = ns < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(ns) : std::uint64_t(ns);
    appendDigits(out, magnitude / 1000);
    const auto frac = static_cast<unsigned>(magnitude % 1000);
    const char digits[4] = {'.', char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10)};
    out.append(digits, 4);
}

template <typename Out>
void appendJsonEscaped(Out& out, std::string_view text)
{
    // Fast path: most names and paths are plain ASCII with nothing to escape.
    const std::size_t plain = plainPrefix(text, isPlainJsonByte);
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    appendUtf8With(out, text, [](Out& o, unsigned char c) {
        if (isPlainJsonByte(c))
            o += char(c);
        else
            appendJsonEscape(o, c);
    });
}

template <typename Out>
void appendJsonString(Out& out, std::string_view text)
{
    out += '"';
    appendJsonEscaped(out, text);
    out += '"';
}

template <typename Out>
void appendCsvField(Out& out, std::string_view text)
{
    if (plainPrefix(text, isPlainCsvByte) == text.size()) { // the common case: nothing to do
        out.append(text.data(), text.size());
        return;
    }
    bool quote = false;
    bool printable = true;
    for (char c : text) {
        quote = quote || c == ',' || c == '"' || c == '\r' || c == '\n';
        printable = printable && c >= 0x20 && c < 0x7F;
    }
    if (printable) { // details such as "status 200, 150 header bytes": copy runs between quotes
        out += '"';
        for (std::size_t quoteAt; (quoteAt = text.find('"')) != std::string_view::npos;) {
            out.append(text.data(), quoteAt + 1);
            out += '"';
            text.remove_prefix(quoteAt + 1);
        }
        out.append(text.data(), text.size());
        out += '"';
        return;
    }
    if (quote)
        out += '"';
    appendUtf8With(out, text, [](Out& o, unsigned char c) {
        if (c == '"')
            o += "\"\""sv;
        else if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7F)
            o += kReplacement;
        else
            o += char(c);
    });
    if (quote)
        out += '"';
}

template <typename Out>
void appendValidUtf8(Out& out, std::string_view text)
{
    appendUtf8With(out, text, [](Out& o, unsigned char c) { o += char(c); });
}

template <typename Out>
void appendIpv4(Out& out, std::uint32_t address, std::uint64_t port)
{
    for (int shift = 24; shift >= 0; shift -= 8) {
        appendDigits(out, (address >> shift) & 0xFF);
        out += shift ? '.' : ':';
    }
    appendDigits(out, port);
}

std::string errnoText(int err)
{
    char buf[256];
    // glibc's GNU strerror_r returns a pointer that may or may not be `buf`.
    const char* text = strerror_r(err, buf, sizeof buf);
    return text ? std::string(text) : std::string("error ") + std::to_string(err);
}

// The two output types the helpers are used with.
template void appendUnsigned<std::string>(std::string&, std::uint64_t);
template void appendSigned<std::string>(std::string&, std::int64_t);
template void appendMicros<std::string>(std::string&, std::int64_t);
template void appendJsonString<std::string>(std::string&, std::string_view);
template void appendJsonEscaped<std::string>(std::string&, std::string_view);
template void appendCsvField<std::string>(std::string&, std::string_view);
template void appendValidUtf8<std::string>(std::string&, std::string_view);
template void appendIpv4<std::string>(std::string&, std::uint32_t, std::uint64_t);

template void appendUnsigned<TextBuffer>(TextBuffer&, std::uint64_t);
template void appendSigned<TextBuffer>(TextBuffer&, std::int64_t);
template void appendMicros<TextBuffer>(TextBuffer&, std::int64_t);
template void appendJsonString<TextBuffer>(TextBuffer&, std::string_view);
template void appendJsonEscaped<TextBuffer>(TextBuffer&, std::string_view);
template void appendCsvField<TextBuffer>(TextBuffer&, std::string_view);
template void appendValidUtf8<TextBuffer>(TextBuffer&, std::string_view);
template void appendIpv4<TextBuffer>(TextBuffer&, std::uint32_t, std::uint64_t);

} // namespace loopscope::trace_text
