// One byte range from a Range header (RFC 9110 14.1.2), against a file of `size` bytes.
//   "bytes=0-99", "bytes=100-", "bytes=-500"   -> Satisfiable (clamped to the file)
//   a well-formed range that starts at/after the end (or "bytes=-0") -> Unsatisfiable (416)
//   anything else (other unit, several ranges, syntax errors) -> Ignore (serve the whole file, 200)
#pragma once

#include <cstdint>
#include <string_view>

namespace loopscope {

struct ByteRange {
    enum class Kind { Ignore, Satisfiable, Unsatisfiable };
    Kind kind = Kind::Ignore;
    std::uint64_t first = 0; // inclusive
    std::uint64_t last = 0;  // inclusive
};

ByteRange parseRange(std::string_view header, std::uint64_t size);

} // namespace loopscope
