#include "timeline/span_details.h"

#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "trace/request_assembler.h"

#include <algorithm>

namespace loopscope {

namespace {

// Records of one connection lie between its first and last record, interleaved with everyone
// else's; a long-lived connection can span the whole store, so a big range is narrowed first.
struct Range {
    std::uint64_t begin;
    std::uint64_t end; // exclusive
};

Range connectionRange(const TraceStore& store, const ConnectionSummary& conn)
{
    const std::uint64_t begin = std::max(conn.firstRecord, store.beginIndex());
    const std::uint64_t end = std::min(conn.lastRecord + 1, store.endIndex());
    return {begin, std::max(begin, end)};
}

// A record's time for searching; RequestText records carry text in t_ns, so they borrow the
// time of the nearest timed record before them.
std::int64_t searchTime(const TraceStore& store, std::uint64_t i, std::uint64_t floor)
{
    while (i > floor && store.at(i).kind == EventKind::RequestText)
        --i;
    return store.at(i).t_ns;
}

// First index in the range whose time is at or after t. Store times are nearly sorted (disk
// and GUI records arrive a little late), which is why callers then scan a window around it.
std::uint64_t lowerBoundByTime(const TraceStore& store, Range r, std::int64_t t)
{
    std::uint64_t lo = r.begin, hi = r.end;
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        if (searchTime(store, mid, r.begin) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

Range narrowAround(const TraceStore& store, Range r, std::int64_t t)
{
    if (r.end - r.begin <= kMaxScannedRecords)
        return r;
    const std::uint64_t centre = lowerBoundByTime(store, r, t);
    const std::uint64_t half = kMaxScannedRecords / 2;
    const std::uint64_t begin = centre - std::min(centre - r.begin, half);
    return {begin, std::min(r.end, begin + kMaxScannedRecords)};
}

bool isTransitionTo(const EventRecord& rec, std::uint32_t conn, std::int64_t start, ConnectionState state)
{
    return rec.conn == conn && rec.t_ns == start && rec.kind != EventKind::RequestText
           && (rec.to == state || (rec.kind == EventKind::ConnectionAccepted && state == ConnectionState::Accepted));
}

} // namespace

std::optional<std::uint64_t> findTransitionRecord(const TraceStore& store, const ConnectionSummary& conn,
                                                  std::int64_t start, ConnectionState state)
{
    const Range r = narrowAround(store, connectionRange(store, conn), start);
    for (std::uint64_t i = r.begin; i < r.end; ++i) {
        if (isTransitionTo(store.at(i), conn.id, start, state))
            return i;
    }
    return std::nullopt;
}

RequestFacts requestFacts(const TraceStore& store, const ConnectionSummary& conn, std::uint64_t index,
                          ConnectionState state)
{
    RequestFacts facts;
    const Range all = connectionRange(store, conn);
    if (index < all.begin || index >= all.end)
        return facts;
    // Where the request's RequestHeadersRead is: ahead while its headers are still being read.
    const bool ahead = state == ConnectionState::Accepted || state == ConnectionState::ReadingHeaders;
    std::uint64_t scanned = 0;
    std::uint64_t i = index;
    const auto isHead = [&](std::uint64_t k) {
        const EventRecord& rec = store.at(k);
        return rec.conn == conn.id && rec.kind == EventKind::RequestHeadersRead;
    };
    if (ahead) {
        while (i < all.end && !isHead(i) && ++scanned < kMaxScannedRecords)
            ++i;
    } else {
        while (i > all.begin && !isHead(i) && ++scanned < kMaxScannedRecords)
            --i;
    }
    if (i >= all.end || !isHead(i))
        return facts;
    // Replay this connection's records from the request head to the next one (bounded).
    RequestAssembler assembler;
    for (std::uint64_t k = i; k < all.end && scanned < kMaxScannedRecords; ++k, ++scanned) {
        const EventRecord& rec = store.at(k);
        if (rec.conn != conn.id)
            continue;
        if (k != i && rec.kind == EventKind::RequestHeadersRead)
            break;
        if (rec.kind != EventKind::ConnectionClosed) // a close makes the assembler forget the request
            assembler.add(rec);
        if (rec.kind == EventKind::ResponseHeadersWritten || rec.kind == EventKind::RequestRejected)
            facts.status = rec.arg;
        facts.rejected |= rec.kind == EventKind::RequestRejected;
        if (rec.kind == EventKind::BodyWritten) {
            facts.bodyBytes = rec.arg;
            facts.bodyDone = true;
        }
    }
    if (const AssembledRequest* req = assembler.find(conn.id))
        facts.request = QString::fromStdString(req->title());
    return facts;
}

QString describe(const RequestFacts& facts)
{
    QString text;
    if (!facts.request.isEmpty())
        text += QStringLiteral("request: %1").arg(facts.request);
    if (facts.status != 0) {
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        text += facts.rejected ? QStringLiteral("rejected: status %1").arg(facts.status)
                               : QStringLiteral("status %1").arg(facts.status);
        if (facts.bodyDone)
            text += QStringLiteral(", %1 body bytes").arg(facts.bodyBytes);
    }
    return text;
}

} // namespace loopscope
