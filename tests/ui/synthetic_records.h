// Building EventRecords by hand for the ui tests: one call per record, fields in the order a
// reader of the test thinks of them (when, what, which connection, which transition, arguments).
#pragma once

#include "core/event_record.h"

#include <cstdint>

namespace loopscope::test {

inline EventRecord rec(std::int64_t t, EventKind kind, std::uint32_t conn, ConnectionState from,
                       ConnectionState to, std::uint64_t arg = 0, std::uint32_t aux = 0)
{
    EventRecord r;
    r.t_ns = t;
    r.kind = kind;
    r.conn = conn;
    r.from = from;
    r.to = to;
    r.arg = arg;
    r.aux = aux;
    return r;
}

} // namespace loopscope::test
