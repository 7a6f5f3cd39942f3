// Response heads, dates and content types: see response.h.
//
// appendResponseHead() runs once per response, so it only appends to the caller's string
// (whose capacity the server reuses): no iostreams, no std::format, no temporary strings.
// Dates are formatted by hand rather than with strftime, whose day and month names follow the
// C locale of the process; HTTP dates are always English.
#include "http/response.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace loopscope {
namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                           "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Writes two digits at `at`.
void putTwoDigits(char* at, int value)
{
    at[0] = char('0' + value / 10);
    at[1] = char('0' + value % 10);
}

template <typename Number>
void appendNumber(std::string& out, Number value)
{
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

// The proleptic Gregorian date of a day counted from 1970-01-01 (negative before), by whole
// 400-year eras of 146,097 days. Pure arithmetic: gmtime_r takes the time-zone lock and, for
// Last-Modified alone, cost a tenth of the instructions of a cached 1 KiB response (callgrind).
struct CivilDate {
    std::int64_t year;
    int month; // 1-12
    int day;   // 1-31
};

CivilDate civilFromDays(std::int64_t days)
{
    days += 719'468; // from 1970-01-01 back to 0000-03-01, the start of a March-based era
    const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
    const std::int64_t dayOfEra = days - era * 146'097; // [0, 146096]
    const std::int64_t yearOfEra =
        (dayOfEra - dayOfEra / 1460 + dayOfEra / 36'524 - dayOfEra / 146'096) / 365; // [0, 399]
    const std::int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100); // from March 1
    const std::int64_t monthFromMarch = (5 * dayOfYear + 2) / 153; // [0, 11]
    const int day = int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1);
    const int month = int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9);
    return {yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", always 29 characters). Times outside the years
// 0-9999 are written as the epoch, a valid date that no cache will mistake for a recent one.
void appendHttpDate(std::string& out, std::time_t t)
{
    constexpr std::int64_t kSecondsPerDay = 86'400;
    const std::int64_t seconds = std::int64_t(t);
    const std::int64_t days = seconds / kSecondsPerDay - (seconds % kSecondsPerDay < 0 ? 1 : 0);
    const std::int64_t secondOfDay = seconds - days * kSecondsPerDay;
    const CivilDate date = civilFromDays(days);
    if (date.year < 0 || date.year > 9999) {
        out.append("Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    const int weekday = int(((days + 4) % 7 + 7) % 7); // 1970-01-01 was a Thursday
    char text[29];
    std::memcpy(text, kDayNames[std::size_t(weekday)].data(), 3);
    std::memcpy(text + 3, ", ", 2);
    putTwoDigits(text + 5, date.day);
    text[7] = ' ';
    std::memcpy(text + 8, kMonthNames[std::size_t(date.month - 1)].data(), 3);
    text[11] = ' ';
    putTwoDigits(text + 12, int(date.year / 100));
    putTwoDigits(text + 14, int(date.year % 100));
    text[16] = ' ';
    putTwoDigits(text + 17, int(secondOfDay / 3600));
    text[19] = ':';
    putTwoDigits(text + 20, int(secondOfDay / 60 % 60));
    text[22] = ':';
    putTwoDigits(text + 23, int(secondOfDay % 60));
    std::memcpy(text + 25, " GMT", 4);
    out.append(text, sizeof text);
}

// A tiny cursor over a date string; every step either matches exactly or fails.
class DateCursor {
public:
    explicit DateCursor(std::string_view text) : m_text(text) {}

    bool atEnd() const { return m_pos == m_text.size(); }

    bool literal(std::string_view expected)
    {
        if (m_text.substr(m_pos, expected.size()) != expected)
            return false;
        m_pos += expected.size();
        return true;
    }

    bool digits(std::size_t count, int& value)
    {
        if (m_text.size() - m_pos < count)
            return false;
        value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const char c = m_text[m_pos + i];
            if (c < '0' || c > '9')
                return false;
            value = value * 10 + (c - '0');
        }
        m_pos += count;
        return true;
    }

    // asctime's day of month: two digits, or a space and one digit.
    bool paddedDay(int& value)
    {
        if (literal(" "))
            return digits(1, value);
        return digits(2, value);
    }

    template <std::size_t N>
    bool oneOf(const std::array<std::string_view, N>& names, int& index)
    {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) {
                index = int(i);
                return true;
            }
        }
        return false;
    }

    bool clock(std::tm& tm)
    {
        return digits(2, tm.tm_hour) && literal(":") && digits(2, tm.tm_min) && literal(":")
            && digits(2, tm.tm_sec);
    }

private:
    std::string_view m_text;
    std::size_t m_pos = 0;
};

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int daysInMonth(int year, int month)
{
    static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 1 && isLeapYear(year) ? 29 : kDays[month];
}

// Checks the fields (tm_year holds the full year here) and converts them to a time_t.
std::optional<std::time_t> toTime(std::tm tm)
{
    // Seconds may be 60 (a leap second, RFC 9110 5.6.7); timegm carries it into the next minute.
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > daysInMonth(tm.tm_year, tm.tm_mon)
        || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_isdst = 0;
    return timegm(&tm);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::time_t> parseImfFixdate(std::string_view s)
{
    DateCursor c(s);
    std::tm tm{};
    int weekday = 0;
    if (c.oneOf(kDayNames, weekday) && c.literal(", ") && c.digits(2, tm.tm_mday) && c.literal(" ")
        && c.oneOf(kMonthNames, tm.tm_mon) && c.literal(" ") && c.digits(4, tm.tm_year) && c.literal(" ")
        && c.clock(tm) && c.literal(" GMT") && c.atEnd())
        return toTime(tm);
    return std::nullopt;
}

// RFC 9110 5.6.7: a two-digit year that would be more than 50 years in the future means the
// most recent past year with the same last two digits.
int expandTwoDigitYear(int twoDigits)
{
    const std::time_t now = std::time(nullptr);
    std::tm today{};
    gmtime_r(&now, &today);
    const int thisYear = today.tm_year + 1900;
    int year = thisYear - thisYear % 100 + twoDigits;
    if (year > thisYear + 50)
        year -= 100;
    return year;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::time_t> parseRfc850(std::string_view s)
{
    DateCursor c(s);
    std::tm tm{};
    int weekday = 0;
    int year = 0;
    if (c.oneOf(kLongDayNames, weekday) && c.literal(", ") && c.digits(2, tm.tm_mday) && c.literal("-")
        && c.oneOf(kMonthNames, tm.tm_mon) && c.literal("-") && c.digits(2, year) && c.literal(" ")
        && c.clock(tm) && c.literal(" GMT") && c.atEnd()) {
        tm.tm_year = expandTwoDigitYear(year);
        return toTime(tm);
    }
    return std::nullopt;
}

// "Sun Nov  6 08:49:37 1994"
std::optional<std::time_t> parseAsctime(std::string_view s)
{
    DateCursor c(s);
    std::tm tm{};
    int weekday = 0;
    if (c.oneOf(kDayNames, weekday) && c.literal(" ") && c.oneOf(kMonthNames, tm.tm_mon) && c.literal(" ")
        && c.paddedDay(tm.tm_mday) && c.literal(" ") && c.clock(tm) && c.literal(" ")
        && c.digits(4, tm.tm_year) && c.atEnd())
        return toTime(tm);
    return std::nullopt;
}

struct ContentType {
    std::string_view extension; // lower case
    std::string_view type;
};

// Text types say their charset: browsers otherwise guess, and guess differently.
constexpr ContentType kContentTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
};
constexpr std::string_view kDefaultContentType = "application/octet-stream";

// The extension of the last path segment, or empty ("/a.d/file", ".hidden" and "file." have none).
std::string_view extensionOf(std::string_view path)
{
    const std::size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0)
        return {};
    return name.substr(dot + 1);
}

void appendHeader(std::string& out, std::string_view name, std::string_view value)
{
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

} // namespace

std::string formatHttpDate(std::time_t t)
{
    std::string out;
    out.reserve(29);
    appendHttpDate(out, t);
    return out;
}

std::optional<std::time_t> parseHttpDate(std::string_view s)
{
    if (auto t = parseImfFixdate(s))
        return t;
    if (auto t = parseRfc850(s))
        return t;
    return parseAsctime(s);
}

std::string_view contentTypeFor(std::string_view path)
{
    const std::string_view extension = extensionOf(path);
    char lower[8];
    if (extension.empty() || extension.size() > sizeof lower)
        return kDefaultContentType;
    for (std::size_t i = 0; i < extension.size(); ++i) {
        const char c = extension[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
    const std::string_view key(lower, extension.size());
    for (const ContentType& entry : kContentTypes) {
        if (entry.extension == key)
            return entry.type;
    }
    return kDefaultContentType;
}

std::string_view reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

// Header order: status line, Server, Date, Content-Type, Content-Length, Last-Modified,
// Location, Content-Range, Allow, Accept-Ranges, Connection, blank line.
void appendResponseHead(std::string& out, const ResponseHead& head)
{
    out.append("HTTP/1.1 ");
    appendNumber(out, head.status);
    out.push_back(' ');
    out.append(reasonPhrase(head.status));
    out.append("\r\nServer: loopscope\r\nDate: ");
    if (head.date.empty())
        appendHttpDate(out, std::time(nullptr)); // the server normally passes its cached date
    else
        out.append(head.date);
    out.append("\r\n");
    if (!head.contentType.empty())
        appendHeader(out, "Content-Type", head.contentType);
    out.append("Content-Length: ");
    appendNumber(out, head.contentLength);
    out.append("\r\n");
    if (head.lastModified != 0) {
        out.append("Last-Modified: ");
        appendHttpDate(out, head.lastModified);
        out.append("\r\n");
    }
    if (!head.location.empty())
        appendHeader(out, "Location", head.location);
    if (!head.contentRange.empty())
        appendHeader(out, "Content-Range", head.contentRange);
    if (head.allowGetHead)
        out.append("Allow: GET, HEAD\r\n");
    if (head.acceptRanges)
        out.append("Accept-Ranges: bytes\r\n");
    out.append(head.keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

std::string errorBody(int status)
{
    std::string title;
    appendNumber(title, status);
    title.push_back(' ');
    title.append(reasonPhrase(status));

    std::string body;
    body.reserve(160);
    body.append("<!DOCTYPE html>\n<html><head><title>");
    body.append(title);
    body.append("</title></head>\n<body><h1>");
    body.append(title);
    body.append("</h1><hr><p>loopscope</p></body></html>\n");
    return body;
}

} // namespace loopscope
