// The seed's pseudocode, as DESIGN.md gives it, and which of its lines each handler of the event
// loop carries out: the Loop panel highlights the branch a ready event took.
//
// Contract: the lines are verbatim (a test compares them with DESIGN.md's block when the file is
// there). Handlers that are not one of the seed's branches (a wake-up, a timer, a close after an
// error, nothing to do) map to the wait line: they are the loop's own housekeeping around it.
#pragma once

#include "core/event_record.h"

#include <QString>
#include <QStringList>

namespace loopscope::pseudocode {

// The seven lines, indentation kept.
QStringList lines();

// First and last line (0-based, inclusive) of the branch `handler` carries out.
struct LineRange {
    int first = 1;
    int last = 1;
    bool operator==(const LineRange&) const = default;
};
LineRange linesFor(LoopHandler handler);

// True when `handler` is one of the seed's four branches (not housekeeping).
bool isSeedBranch(LoopHandler handler);

// The seed's event name for a handler ("NEW_TCP_CONNECTION"), or a few words for housekeeping.
QString eventNameFor(LoopHandler handler);

} // namespace loopscope::pseudocode
