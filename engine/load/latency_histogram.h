// LatencyHistogram: request latencies in logarithmic bins, for percentiles without storing samples.
//
// Contract: 100 bins per decade from 1 µs to 100 s (800 bins), plus one bin below 1 µs and one
// above 100 s; a percentile is reported as its bin's upper edge, so it is at most 2.3% high
// (10^(1/100)). The exact maximum is kept apart. Fixed size, no allocation after construction;
// not thread-safe (the generator's loop owns one and publishes copies).
#pragma once

#include <array>
#include <cstdint>

namespace loopscope {

class LatencyHistogram {
public:
    static constexpr int kBinsPerDecade = 100;
    static constexpr int kDecades = 8;                 // 1 µs .. 100 s
    static constexpr std::int64_t kLowestNs = 1'000;   // 1 µs
    static constexpr int kBins = kBinsPerDecade * kDecades + 2;

    void add(std::int64_t ns);
    void merge(const LatencyHistogram& other);
    void clear() { *this = LatencyHistogram(); }

    std::uint64_t count() const { return m_count; }
    std::int64_t maxNs() const { return m_max; }
    // The latency below which a fraction q (0..1) of the samples lie; 0 when empty.
    std::int64_t percentileNs(double q) const;

    static int binOf(std::int64_t ns);
    static std::int64_t upperEdgeNs(int bin);

private:
    std::array<std::uint64_t, kBins> m_bins{};
    std::uint64_t m_count = 0;
    std::int64_t m_max = 0;
};

} // namespace loopscope
