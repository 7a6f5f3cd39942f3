// The one clock every lane uses: CLOCK_MONOTONIC in nanoseconds. Beside it, the CPU-time clocks
// that the loop's CPU switch and the benchmarks read.
#pragma once

#include <cstdint>
#include <ctime>

namespace loopscope {

inline std::int64_t clockNs(clockid_t clock)
{
    timespec ts;
    clock_gettime(clock, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline std::int64_t monotonicNs()
{
    return clockNs(CLOCK_MONOTONIC);
}

// CPU time the calling thread has used.
inline std::int64_t threadCpuNs()
{
    return clockNs(CLOCK_THREAD_CPUTIME_ID);
}

// CPU time the whole process has used.
inline std::int64_t processCpuNs()
{
    return clockNs(CLOCK_PROCESS_CPUTIME_ID);
}

} // namespace loopscope
