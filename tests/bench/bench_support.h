// Small helpers the GUI benchmark programs share (private to tests/bench).
#pragma once

#include "compare/process_memory.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace loopscope::bench {

// The nearest-rank percentile p (0-100] of durations in ns, in ms; 0 for no samples.
inline double percentileMs(std::vector<std::int64_t> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    std::size_t rank = std::size_t(p / 100.0 * double(v.size()) + 0.999999);
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    return double(v[rank - 1]) / 1e6;
}

// The whole process's VmRSS in KiB.
inline long rssKiB()
{
    return long(residentBytes() / 1024);
}

} // namespace loopscope::bench
