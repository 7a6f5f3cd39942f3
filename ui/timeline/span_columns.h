// Level of detail for painting lanes of spans (private to ui/timeline).
//
// walkColumns() turns a sorted sequence of spans into runs of whole pixel columns, touching only
// what is on screen: it starts at a span found by binary search, draws wide spans as they are,
// and where spans are narrower than a pixel it paints one column with the key (colour) covering
// most of that column among at most kSamplesPerColumn spans, then gallops (exponential then binary
// search) to the span covering the next column. The cost per lane is therefore O(columns * (samples + log n))
// however many spans the lane holds.
//
// Access must provide: std::size_t size(); std::int64_t start(i); std::int64_t end(i);
// int key(i) (< 0: draw nothing, e.g. a lane with no connection, and leave the columns free).
// Emit is called as paintRun(x0, x1, key, spanIndex) for columns [x0, x1) of the time area, with
// spanIndex = -1 for an aggregated column. Adjacent runs of one key are merged (RunMerger).
#pragma once

#include "timeline/time_scale.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace loopscope::lod {

inline constexpr int kSamplesPerColumn = 8;
inline constexpr int kMaxKeys = 16;

// The column holding time t, clamped just outside [0, columns] so far times cannot overflow.
inline int columnOf(const TimeScale& scale, std::int64_t t, int columns)
{
    const double x = std::floor(scale.mapTimeToX(t));
    return int(std::clamp(x, -1.0, double(columns) + 1));
}

// columnOf for the walk's inner loop, where it runs for every sampled span: a multiplication by
// the precomputed pixels per ns instead of a division, and truncation instead of floor (the
// clamp makes the value non-negative first). Agrees with columnOf except, at worst, for a time
// within a rounding error of a column boundary, which only moves where a colour run is split.
class ColumnMapper {
public:
    ColumnMapper(const TimeScale& scale, int columns)
        : m_start(scale.startNs), m_pixelsPerNs(1.0 / scale.nsPerPixel), m_last(double(columns) + 2)
    {
    }
    int operator()(std::int64_t t) const
    {
        const double x = double(t - m_start) * m_pixelsPerNs + 1.0; // shifted: -1 maps to 0
        return int(std::clamp(x, 0.0, m_last)) - 1;
    }

private:
    std::int64_t m_start;
    double m_pixelsPerNs;
    double m_last;
};

// The last index at or after `from` whose span starts at or before t (or `from` itself), by
// galloping from `from`: O(log distance), so skipping a dense column costs little.
template <typename Access>
std::size_t gallopTo(const Access& spans, std::size_t from, std::int64_t t)
{
    const std::size_t n = spans.size();
    std::size_t lo = from, step = 1, hi = from + 1;
    while (hi < n && spans.start(hi) <= t) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    hi = std::min(hi, n);
    while (hi - lo > 1) { // start(lo) <= t (or lo == from); start(hi) > t or hi == n
        const std::size_t mid = lo + (hi - lo) / 2;
        (spans.start(mid) <= t ? lo : hi) = mid;
    }
    return lo;
}

template <typename Access, typename Emit>
void walkColumns(const TimeScale& scale, std::ptrdiff_t first, const Access& spans, Emit&& paintRun)
{
    const int columns = int(std::ceil(scale.width));
    const std::int64_t viewEnd = scale.endNs();
    const std::size_t n = spans.size();
    const ColumnMapper column(scale, columns);
    int done = 0; // columns [0, done) are painted
    std::size_t i = std::size_t(std::max<std::ptrdiff_t>(first, 0));
    while (i < n && done < columns) {
        const std::int64_t s = spans.start(i);
        if (s >= viewEnd)
            break;
        const int key = spans.key(i);
        const int c0 = column(s);
        const int c1 = column(spans.end(i));
        if (key < 0 || c1 < done || (c1 == c0 && c0 < done)) {
            ++i; // nothing to draw, or entirely within painted columns
            continue;
        }
        if (c1 > c0) { // wide: covers at least one column boundary
            paintRun(std::max(c0, done), std::min(c1, columns), key, std::ptrdiff_t(i));
            done = std::max(done, c1);
            ++i;
            continue;
        }
        // Narrow: aggregate the spans that start and end inside column c0.
        const std::int64_t colStart = scale.mapXToTime(c0);
        const std::int64_t colEnd = scale.mapXToTime(c0 + 1);
        std::array<std::int64_t, kMaxKeys> cover{};
        int samples = 0;
        std::size_t j = i;
        for (; j < n && samples < kSamplesPerColumn && spans.start(j) < colEnd; ++j) {
            const std::int64_t e = spans.end(j);
            if (column(e) > c0)
                break; // reaches the next column: drawn on its own
            const int k = spans.key(j);
            if (k >= 0 && k < kMaxKeys)
                cover[std::size_t(k)] += std::max<std::int64_t>(1, std::min(e, colEnd) - std::max(spans.start(j), colStart));
            ++samples;
        }
        const auto best = std::max_element(cover.begin(), cover.end());
        if (*best > 0)
            paintRun(c0, c0 + 1, int(best - cover.begin()), std::ptrdiff_t(-1));
        done = c0 + 1;
        if (samples == kSamplesPerColumn) // dense: skip the rest of this column
            j = gallopTo(spans, j, colEnd);
        i = std::max(j, i + 1);
    }
}

// Merges adjacent runs of the same key before they reach the painter (fewer fillRect calls).
template <typename Flush>
class RunMerger {
public:
    explicit RunMerger(Flush flush) : m_flush(std::move(flush)) {}
    ~RunMerger() { finish(); }
    void add(int x0, int x1, int key)
    {
        if (x1 <= x0)
            return;
        if (m_key == key && m_x1 == x0) {
            m_x1 = x1;
            return;
        }
        finish();
        m_x0 = x0;
        m_x1 = x1;
        m_key = key;
    }
    void finish()
    {
        if (m_key >= 0 && m_x1 > m_x0)
            m_flush(m_x0, m_x1, m_key);
        m_key = -1;
    }

private:
    Flush m_flush;
    int m_x0 = 0;
    int m_x1 = 0;
    int m_key = -1;
};

} // namespace loopscope::lod
