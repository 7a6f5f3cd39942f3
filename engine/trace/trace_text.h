// Text helpers shared by the trace writers: numbers, JSON strings, CSV fields, errno text.
//
// Contract: every append function appends to `out` (a std::string or a TextBuffer) and never
// fails. Text that came from the wire (a request target) may hold any bytes, so the string
// helpers always produce valid UTF-8: each byte that is not part of a well-formed UTF-8 sequence
// becomes U+FFFD. JSON strings escape `"`, `\` and every control character; CSV fields are quoted
// per RFC 4180 when they need it, and control characters other than CR/LF/TAB become U+FFFD
// because CSV has no escape for them. Numbers are formatted without locale or iostreams
// (std::to_chars), so output is byte-for-byte reproducible.
#pragma once

#include "trace/text_buffer.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace loopscope::trace_text {

// Out is std::string or TextBuffer (both are instantiated in trace_text.cpp).
template <typename Out> void appendUnsigned(Out& out, std::uint64_t value);
template <typename Out> void appendSigned(Out& out, std::int64_t value);

// Nanoseconds as microseconds with exactly three decimals ("12.345"): the Trace Event format's
// unit, at full nanosecond precision.
template <typename Out> void appendMicros(Out& out, std::int64_t ns);

// `text` as a quoted JSON string, including the quotes.
template <typename Out> void appendJsonString(Out& out, std::string_view text);
// The same without the quotes, for strings assembled from several pieces.
template <typename Out> void appendJsonEscaped(Out& out, std::string_view text);

// `text` as one CSV field (quoted only when it holds a comma, quote, CR or LF).
template <typename Out> void appendCsvField(Out& out, std::string_view text);

// `text` made valid UTF-8 (invalid bytes become U+FFFD), nothing else changed.
template <typename Out> void appendValidUtf8(Out& out, std::string_view text);

// "1.2.3.4:5678" for an IPv4 address in host byte order.
template <typename Out> void appendIpv4(Out& out, std::uint32_t address, std::uint64_t port);

// "No such file or directory" for ENOENT; thread-safe (no strerror()).
std::string errnoText(int err);

} // namespace loopscope::trace_text
