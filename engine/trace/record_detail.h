// Record details in words: what one EventRecord's arg and aux mean, for people.
//
// Contract: appendRecordDetail() decodes the kind-specific fields of any record, including
// records with unknown kinds or out-of-range values (those are described as numbers, never
// trusted as enum values), into a short phrase such as "status 200, 143 header bytes",
// "peer closed", "served from the file cache (1024 bytes)", "GUI paint for 1.200 ms" or
// "GUI loop 3.100 ms late" (GUI durations in ms, truncated to the microsecond). It never looks
// at other records: a RequestHeadersRead is described by its method and request number only;
// callers that have the target (see RequestAssembler) say so themselves. Text from RequestText
// records is appended raw; callers escape it for their format.
#pragma once

#include "core/event_record.h"

#include <string>

namespace loopscope {

void appendRecordDetail(std::string& out, const EventRecord& record);

// "peer closed", or "unknown close reason 42" for values outside CloseReason.
std::string closeReasonText(std::uint64_t reason);
// "header timeout", or "unknown timeout 9".
std::string timeoutText(std::uint64_t kind);
// "paint", or "work kind 9" for values outside GuiWorkKind.
std::string guiWorkText(std::uint32_t kind);
// "GET", or "OTHER" for values outside HttpMethod.
const char* methodText(std::uint32_t method);

} // namespace loopscope
