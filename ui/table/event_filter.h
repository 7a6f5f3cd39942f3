// EventFilter: which records the event table shows.
//
// Contract: a plain value. An empty kind set means every kind, connection 0 means any
// connection, and an empty text means any text; a filter with all three empty is inactive (the
// table then shows every record without keeping any per-row index). Text matches, ASCII
// case-insensitively, either the kind's name or the detail as the table shows it (request
// target included).
#pragma once

#include "core/event_record.h"

#include <QString>

#include <bitset>
#include <cstdint>

namespace loopscope {

struct EventFilter {
    std::bitset<256> kinds; // indexed by EventKind's value; none set = all kinds
    std::uint32_t connection = 0;
    QString text;

    bool isActive() const { return kinds.any() || connection != 0 || !text.isEmpty(); }
    bool acceptsKind(EventKind kind) const { return kinds.none() || kinds.test(std::size_t(kind)); }
    void addKind(EventKind kind) { kinds.set(std::size_t(kind)); }
    bool operator==(const EventFilter&) const = default;
};

} // namespace loopscope
