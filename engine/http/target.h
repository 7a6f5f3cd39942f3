// Request-target handling: from what the client sent to a safe path under the document root.
//
// decodeTargetPath(): takes an origin-form ("/a%20b/c?q") or absolute-form
// ("http://host/a/b") target; returns the decoded path with "." and ".." segments resolved
// (RFC 3986 remove_dot_segments), query removed, duplicate slashes merged, a trailing '/'
// kept. It fails (returns false and sets `error`) on: bad percent-encoding, an encoded NUL,
// control bytes or spaces, a backslash, invalid or overlong UTF-8 after decoding, and any ".."
// that would climb above "/". For absolute-form it also returns the authority in `host`.
#pragma once

#include <string>
#include <string_view>

namespace loopscope {

struct DecodedTarget {
    std::string path;   // starts with '/'
    std::string host;   // authority of an absolute-form target, else empty
};

bool decodeTargetPath(std::string_view target, DecodedTarget& out, const char*& error);

} // namespace loopscope
