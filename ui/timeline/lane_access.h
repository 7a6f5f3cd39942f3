// Adapters that present the model's lanes to lod::walkColumns (private to ui/timeline).
//
// Contract: each adapter gives start/end/key/indexAt over one deque of the TimelineModel without
// copying it. Spans that last "until the next one" end at the next span's start, and the last at
// `laneEnd` (the model's latest time). Keys index the colour tables built by the painter.
#pragma once

#include "model/timeline_model.h"

#include <cstddef>
#include <cstdint>
#include <deque>

namespace loopscope::lod {

// Connection-lane keys: the ConnectionState value, or these for flagged spans.
inline constexpr int kKeyCacheHit = 8;
inline constexpr int kKeyRejected = 9;
inline constexpr int kConnectionKeys = 10;

inline int keyOf(const StateSpan& s)
{
    if (s.state == ConnectionState::None || s.state == ConnectionState::Closed)
        return -1;
    if (s.state == ConnectionState::FetchingFile && (s.requestFlags & kSpanCacheHit))
        return kKeyCacheHit;
    if (s.requestFlags & kSpanRejected)
        return kKeyRejected;
    return int(s.state);
}

// Spans that last until the next span of their deque starts (connection states, engine loop).
template <typename Spans, typename KeyFn>
struct UntilNextAccess {
    const Spans& spans;
    std::int64_t laneEnd;
    KeyFn keyFn;

    std::size_t size() const { return spans.size(); }
    std::int64_t start(std::size_t i) const { return spans[i].start; }
    std::int64_t end(std::size_t i) const { return i + 1 < spans.size() ? spans[i + 1].start : laneEnd; }
    int key(std::size_t i) const { return keyFn(spans[i]); }
    std::ptrdiff_t indexAt(std::int64_t t) const { return TimelineModel::spanAt(spans, t); }
};

// Spans with their own end (GUI work, disk reads).
template <typename Spans, typename KeyFn>
struct ExplicitEndAccess {
    const Spans& spans;
    KeyFn keyFn;

    std::size_t size() const { return spans.size(); }
    std::int64_t start(std::size_t i) const { return spans[i].start; }
    std::int64_t end(std::size_t i) const { return spans[i].end; }
    int key(std::size_t i) const { return keyFn(spans[i]); }
    std::ptrdiff_t indexAt(std::int64_t t) const { return TimelineModel::spanAt(spans, t); }
};

// Spans with their own end may overlap their neighbours (GUI work nested in an event; disk reads
// recorded at completion), so the walk starts a bounded number of spans before the binary-search
// hit to catch one that began earlier and is still running.
inline constexpr std::ptrdiff_t kOverlapBackoff = 32;

} // namespace loopscope::lod
