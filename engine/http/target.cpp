// decodeTargetPath: see target.h for the contract.
//
// The order of the steps matters for safety: the path is percent-decoded first and only then are
// its dot segments resolved, so "%2e%2e", "..%2f" and "%2f.." are the same ".." as a literal one and
// are refused when they would climb above "/". Nothing is decoded twice, so "%252e" stays the
// literal text "%2e" (a harmless file name).
#include "http/target.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace loopscope {
namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool isControlOrSpace(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// Raw bytes: no control byte or space anywhere, no backslash before the query. A backslash is a
// path separator on Windows and in some proxies, so it is never allowed to reach a path.
const char* checkRawBytes(std::string_view target)
{
    bool inQuery = false;
    for (const char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (isControlOrSpace(c))
            return "control byte or space in the request target";
        if (c == '?' || c == '#')
            inQuery = true;
        else if (c == '\\' && !inQuery)
            return "backslash in the request target";
    }
    return nullptr;
}

// Splits off the authority of an absolute-form target; returns the path-and-query part.
const char* splitAbsoluteForm(std::string_view target, std::string_view& rest, std::string& host)
{
    std::size_t schemeEnd = 0;
    if (startsWithNoCase(target, "http://"))
        schemeEnd = 7;
    else if (startsWithNoCase(target, "https://"))
        schemeEnd = 8;
    else
        return "request target is neither a path nor an http URL";
    const std::string_view afterScheme = target.substr(schemeEnd);
    const std::size_t authorityEnd = afterScheme.find_first_of("/?#");
    const std::string_view authority = afterScheme.substr(0, authorityEnd);
    if (authority.empty())
        return "absolute-form target without a host";
    // RFC 9110 4.2.4: userinfo in an http URI is deprecated and a recipient should treat it as
    // an error (it is a classic way to disguise where a link goes).
    if (authority.find('@') != std::string_view::npos)
        return "userinfo in the request target";
    host.assign(authority);
    rest = authorityEnd == std::string_view::npos ? std::string_view{}
                                                   : afterScheme.substr(authorityEnd);
    return nullptr;
}

// Appends the percent-decoded path (up to '?' or '#') to `out`, copying runs between escapes
// in one go.
const char* percentDecode(std::string_view path, std::string& out)
{
    std::size_t runStart = 0;
    std::size_t i = 0;
    for (; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '?' || c == '#')
            break;
        if (c != '%')
            continue;
        out.append(path.data() + runStart, i - runStart);
        if (path.size() - i < 3)
            return "bad percent-encoding";
        const int high = hexValue(path[i + 1]);
        const int low = hexValue(path[i + 2]);
        if (high < 0 || low < 0)
            return "bad percent-encoding";
        const auto byte = static_cast<unsigned char>(high * 16 + low);
        if (byte == 0)
            return "encoded NUL in the request target";
        if (byte == '\\')
            return "encoded backslash in the request target";
        if (byte < 0x20 || byte == 0x7f)
            return "encoded control byte in the request target";
        out.push_back(static_cast<char>(byte));
        i += 2;
        runStart = i + 1;
    }
    out.append(path.data() + runStart, i - runStart);
    return nullptr;
}

// Strict UTF-8: no overlong forms (they hide '.' and '/' from naive checks: %c0%ae, %c0%af),
// no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::string_view s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto lead = static_cast<unsigned char>(s[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length;
        std::uint32_t codePoint;
        std::uint32_t smallest;
        if ((lead & 0xe0) == 0xc0) {
            length = 2, codePoint = lead & 0x1f, smallest = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, codePoint = lead & 0x0f, smallest = 0x800;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4, codePoint = lead & 0x07, smallest = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i < length)
            return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(s[i + k]);
            if ((next & 0xc0) != 0x80)
                return false;
            codePoint = (codePoint << 6) | (next & 0x3f);
        }
        if (codePoint < smallest || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))
            return false;
        i += length;
    }
    return true;
}

// RFC 3986 remove_dot_segments, plus merging of empty segments, done in place: the output is
// never longer than the input, so it is written over the part already read. The output ends
// with '/' between segments; a last segment that is a name drops it again.
const char* removeDotSegments(std::string& path)
{
    const std::size_t size = path.size();
    std::size_t write = 1; // path[0] is '/'
    std::size_t read = 1;
    while (read <= size) {
        std::size_t end = path.find('/', read);
        if (end == std::string::npos)
            end = size;
        const std::size_t length = end - read;
        const bool isDot = length == 1 && path[read] == '.';
        const bool isDotDot = length == 2 && path[read] == '.' && path[read + 1] == '.';
        if (isDotDot) {
            if (write == 1)
                return "request target climbs above the document root";
            --write; // onto the '/' that ends the previous segment
            while (path[write - 1] != '/')
                --write;
        } else if (length != 0 && !isDot) {
            std::memmove(&path[write], &path[read], length);
            write += length;
            if (end != size)
                path[write++] = '/';
        }
        read = end + 1;
    }
    path.resize(write);
    return nullptr;
}

} // namespace

bool decodeTargetPath(std::string_view target, DecodedTarget& out, const char*& error)
{
    out.path.clear();
    out.host.clear();
    error = checkRawBytes(target);
    if (error)
        return false;
    std::string_view pathAndQuery = target;
    if (target.empty() || target.front() != '/') {
        error = splitAbsoluteForm(target, pathAndQuery, out.host);
        if (error)
            return false;
    }
    if (pathAndQuery.empty() || pathAndQuery.front() != '/')
        out.path.push_back('/'); // "http://host" and "http://host?q" mean "/"
    error = percentDecode(pathAndQuery, out.path);
    if (!error && !isValidUtf8(out.path))
        error = "request target is not valid UTF-8";
    if (!error)
        error = removeDotSegments(out.path);
    if (error) {
        out.path.clear();
        out.host.clear();
        return false;
    }
    return true;
}

} // namespace loopscope
