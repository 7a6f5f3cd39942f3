// Span details: from a span on a connection lane back to the store's records (private to
// ui/timeline; used for the hover tooltip and for click -> eventSelected).
//
// Contract: every search is bounded (kMaxScannedRecords store records at most), so hovering
// stays cheap with millions of records; a search that hits the bound or the store's evicted
// front answers "not found" rather than guessing. Records are read, never changed.
#pragma once

#include "core/event_record.h"

#include <QString>

#include <cstdint>
#include <optional>

namespace loopscope {

class TraceStore;
struct ConnectionSummary;

inline constexpr std::uint64_t kMaxScannedRecords = 1u << 18;

// The store index of the record of `conn` that moved it to `state` at time `start` (the
// transition that began a StateSpan). For a span that shows a free lane after a close, pass
// ConnectionState::Closed.
std::optional<std::uint64_t> findTransitionRecord(const TraceStore& store, const ConnectionSummary& conn,
                                                  std::int64_t start, ConnectionState state);

// What is known about the request a span belongs to: "GET /index.html", status, body bytes.
struct RequestFacts {
    QString request;            // empty when the request line was not found
    std::uint64_t status = 0;   // 0 = no answer yet
    std::uint64_t bodyBytes = 0;
    bool bodyDone = false;
    bool rejected = false;
};

// The request around the record `index` of `conn`: the one being read for Accepted and
// ReadingHeaders spans, otherwise the latest one that started at or before `index`.
RequestFacts requestFacts(const TraceStore& store, const ConnectionSummary& conn, std::uint64_t index,
                          ConnectionState state);

// Readable lines for a request: "request: GET /a.html", "status 200, 1000 body bytes".
QString describe(const RequestFacts& facts);

} // namespace loopscope
