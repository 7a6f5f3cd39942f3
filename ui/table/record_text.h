// Record text for the event table and the connection inspector: how one record reads in a cell.
//
// Contract: pure functions of their arguments (no store, no state), so both views word records
// the same way and tests can check exact strings. Times are relative to the session origin and
// keep full nanosecond precision ("1.234 567 890 s"); durations pick a readable unit ("12.3 µs").
// Request targets are raw bytes from the wire: they are made valid UTF-8 (invalid
// bytes become U+FFFD) and never trusted as anything else.
#pragma once

#include "core/event_record.h"

#include <QString>

#include <cstdint>
#include <string>
#include <string_view>

namespace loopscope::record_text {

// "1.234 567 890 s" for 1234567890 ns; "-0.000 000 120 s" for -120 ns.
QString relativeTime(std::int64_t ns);
// "850 ns", "12.3 µs", "4.56 ms", "1.23 s".
QString duration(std::int64_t ns);
// "ReadingHeaders → FetchingFile", or empty when the record does not change state.
QString stateChange(const EventRecord& r);
// "42", or "loop"/"GUI" for records about no connection.
QString connection(const EventRecord& r);
// record_detail's words; for a RequestHeadersRead with a known target, "GET /index.html, request 1".
std::string detail(const EventRecord& r, std::string_view target = {}, bool haveTarget = false);
QString detailText(const EventRecord& r, std::string_view target = {}, bool haveTarget = false);

} // namespace loopscope::record_text
