// Load phase names: from a LoadPhase marker back to the name its RequestText records carry.
//
// Contract: the window records a LoadPhase record (t = when the phase began, arg = its index)
// followed by RequestText records with conn 0 holding the phase's name, a little after the
// phase began (the panel polls the generator), so the record sits a little later in the store
// than its time suggests. loadPhaseName() finds it by time and scans forward, bounded by
// kMaxScannedRecords like every hover search; `found` is false when the record was evicted,
// never recorded or is out of reach.
#pragma once

#include <QString>

#include <cstdint>

namespace loopscope {

class TraceStore;

struct LoadPhaseFacts {
    bool found = false;
    bool stopped = false; // the generator stopped or finished here (aux 1)
    QString name;
};

LoadPhaseFacts loadPhaseFacts(const TraceStore& store, std::int64_t t, std::uint64_t phase);

// "load phase 2: burst", "load generator stopped after phase 3", for tooltips.
QString loadPhaseTitle(std::uint64_t phase, bool stopped, const QString& name);

} // namespace loopscope
