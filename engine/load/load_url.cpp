#include "load/load_url.h"

#include <arpa/inet.h>

#include <charconv>

namespace loopscope {

namespace {

constexpr std::string_view kScheme = "http://";

bool parseIpv4(const std::string& host, std::uint32_t& out)
{
    if (host == "localhost") {
        out = INADDR_LOOPBACK;
        return true;
    }
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) != 1)
        return false;
    out = ntohl(a.s_addr);
    return true;
}

bool parsePort(std::string_view text, std::uint16_t& out)
{
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535)
        return false;
    out = std::uint16_t(value);
    return true;
}

bool hasControlOrSpace(std::string_view text)
{
    for (const char c : text)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
            return true;
    return false;
}

} // namespace

std::string LoadUrl::hostHeader() const
{
    return host + ":" + std::to_string(port);
}

std::string LoadUrl::text() const
{
    return "http://" + hostHeader() + path;
}

std::optional<LoadUrl> parseLoadUrl(std::string_view url, std::string& error)
{
    const std::string shown(url);
    if (url.substr(0, kScheme.size()) != kScheme) {
        error = "The URL '" + shown + "' does not start with http://; give one like http://127.0.0.1:8080/.";
        return std::nullopt;
    }
    std::string_view rest = url.substr(kScheme.size());
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    LoadUrl out;
    if (slash != std::string_view::npos)
        out.path = std::string(rest.substr(slash));
    if (hasControlOrSpace(out.path)) {
        error = "The URL '" + shown + "' has spaces or control characters in its path; percent-encode them.";
        return std::nullopt;
    }
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos && !parsePort(authority.substr(colon + 1), out.port)) {
        error = "The URL '" + shown + "' has a bad port; use a number from 1 to 65535.";
        return std::nullopt;
    }
    if (out.host.empty() || !parseIpv4(out.host, out.address)) {
        error = "The URL '" + shown + "' does not name an IPv4 address; use a dotted address such as 127.0.0.1 (or localhost).";
        return std::nullopt;
    }
    return out;
}

} // namespace loopscope
