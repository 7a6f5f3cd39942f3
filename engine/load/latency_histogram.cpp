#include "load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace loopscope {

int LatencyHistogram::binOf(std::int64_t ns)
{
    if (ns < kLowestNs)
        return 0;
    const double decades = std::log10(double(ns) / double(kLowestNs));
    const int bin = 1 + int(decades * kBinsPerDecade);
    return std::min(bin, kBins - 1);
}

std::int64_t LatencyHistogram::upperEdgeNs(int bin)
{
    if (bin <= 0)
        return kLowestNs;
    return std::llround(double(kLowestNs) * std::pow(10.0, double(bin) / kBinsPerDecade));
}

void LatencyHistogram::add(std::int64_t ns)
{
    ns = std::max<std::int64_t>(ns, 0);
    ++m_bins[std::size_t(binOf(ns))];
    ++m_count;
    m_max = std::max(m_max, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other)
{
    for (int i = 0; i < kBins; ++i)
        m_bins[std::size_t(i)] += other.m_bins[std::size_t(i)];
    m_count += other.m_count;
    m_max = std::max(m_max, other.m_max);
}

std::int64_t LatencyHistogram::percentileNs(double q) const
{
    if (m_count == 0)
        return 0;
    const auto rank = std::uint64_t(std::ceil(std::clamp(q, 0.0, 1.0) * double(m_count)));
    std::uint64_t seen = 0;
    for (int i = 0; i < kBins; ++i) {
        seen += m_bins[std::size_t(i)];
        if (seen >= std::max<std::uint64_t>(rank, 1))
            return std::min(upperEdgeNs(i), m_max); // never above the real maximum
    }
    return m_max;
}

} // namespace loopscope
