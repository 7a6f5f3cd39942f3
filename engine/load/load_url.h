// LoadUrl: where the load generator sends its requests, parsed from "http://host:port[/path]".
//
// Contract: parseLoadUrl() accepts only plain HTTP to an IPv4 address (dotted quad) or
// "localhost" (127.0.0.1); the port defaults to 80 and the path to "/". It never throws: a bad
// URL gives std::nullopt and one sentence in `error` saying what is wrong and what to do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loopscope {

struct LoadUrl {
    std::string host;          // as written ("127.0.0.1", "localhost"): the Host header
    std::uint32_t address = 0; // IPv4, host byte order
    std::uint16_t port = 80;
    std::string path = "/";    // origin-form target, always starts with '/'

    std::string hostHeader() const; // "host:port"
    std::string text() const;       // "http://host:port/path"
};

std::optional<LoadUrl> parseLoadUrl(std::string_view url, std::string& error);

} // namespace loopscope
