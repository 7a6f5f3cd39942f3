#include "charts/stats_model.h"

#include "model/trace_store.h"

#include <algorithm>
#include <cmath>

namespace loopscope {

namespace {

constexpr std::int64_t kLowestLatencyNs = 1000; // 1 µs: the histogram's first edge

// Nearest rank of percentile p (1..100) among n samples, 1-based.
std::uint64_t nearestRank(int p, std::uint64_t n)
{
    return std::max<std::uint64_t>(1, (std::uint64_t(p) * n + 99) / 100);
}

} // namespace

StatsModel::StatsModel(QObject* parent)
    : QObject(parent)
{
    // Started by the first change after an emission: at most one updated() per interval, and no
    // wake-ups at all while nothing changes.
    m_timer.setSingleShot(true);
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &StatsModel::onTimer);
}

void StatsModel::onTimer()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    expireRecent();
    emit updated();
}

// ---- Ingest ---------------------------------------------------------------------------------

void StatsModel::ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to)
{
    if (m_origin == 0)
        m_origin = store.originNs();
    const std::uint64_t begin = std::max(from, store.beginIndex());
    for (std::uint64_t i = begin; i < to; ++i) {
        const EventRecord& r = store.at(i);
        if (r.kind != EventKind::RequestText) // its t_ns holds text, not a time
            onRecord(r, r.t_ns - m_origin);
    }
    if (to > begin) {
        m_dirty = true;
        if (!m_timer.isActive())
            m_timer.start();
    }
}

void StatsModel::onRecord(const EventRecord& r, std::int64_t t)
{
    switch (r.kind) {
    case EventKind::DiskReadStarted:
    case EventKind::DiskReadDone:
        return; // the worker's clock, a little in the past: not a time the buckets advance on
    case EventKind::GuiEventHandled:
        spread(t, t + std::int64_t(r.arg), &StatsBucket::guiBusyNs);
        break;
    case EventKind::GuiLoopDelay:
        if (StatsBucket* b = bucketAt(t)) {
            b->guiDelayMaxNs = std::max(b->guiDelayMaxNs, std::int64_t(r.arg));
            b->guiDelaySumNs += std::int64_t(r.arg);
            ++b->guiDelayCount;
        }
        break;
    case EventKind::LoopPollBegin:
    case EventKind::LoopPollEnd:
    case EventKind::ServerStopped:
    case EventKind::ServerFailed:
        onLoopRecord(r, t);
        break;
    default:
        if (r.conn != 0)
            onConnectionRecord(r, t);
        break;
    }
    m_lastNs = std::max(m_lastNs, t);
}

void StatsModel::onConnectionRecord(const EventRecord& r, std::int64_t t)
{
    StatsBucket* b = bucketAt(t);
    switch (r.kind) {
    case EventKind::ConnectionAccepted:
    case EventKind::ConnectionClosed: {
        const bool accepted = r.kind == EventKind::ConnectionAccepted;
        m_active = accepted ? m_active + 1 : std::max<std::int64_t>(0, m_active - 1);
        if (!accepted)
            m_requestStart.erase(r.conn);
        if (!b)
            return;
        ++(accepted ? b->accepted : b->closed);
        // This bucket and any later ones (records of one thread arrive in time order, so
        // normally none) end with the new count.
        for (std::size_t k = std::size_t(bucketNumber(t) - m_firstBucket); k < m_buckets.size(); ++k)
            m_buckets[k].activeAtEnd = m_active;
        return;
    }
    case EventKind::RequestHeadersRead:
        m_requestStart[r.conn] = t;
        return;
    case EventKind::BodyWritten: {
        ++m_completedTotal;
        if (b)
            ++b->completed;
        const auto started = m_requestStart.find(r.conn);
        if (started != m_requestStart.end()) {
            addLatency(t, t - started->second);
            m_requestStart.erase(started);
        }
        return;
    }
    case EventKind::RequestRejected:
        ++m_completedTotal;
        if (b)
            ++b->rejected;
        m_requestStart.erase(r.conn);
        return;
    default:
        return;
    }
}

void StatsModel::onLoopRecord(const EventRecord& r, std::int64_t t)
{
    bucketAt(t); // time advances even when no interval closes
    switch (r.kind) {
    case EventKind::LoopPollBegin:
        if (m_pollEnd >= 0 && t >= m_pollEnd)
            spread(m_pollEnd, t, &StatsBucket::engineDispatchNs);
        m_pollBegin = t;
        m_pollEnd = -1;
        return;
    case EventKind::LoopPollEnd:
        if (m_pollBegin >= 0 && t >= m_pollBegin)
            spread(m_pollBegin, t, &StatsBucket::engineBlockedNs);
        m_pollEnd = t;
        m_pollBegin = -1;
        return;
    default: // the loop stopped: its last dispatch ends here
        if (m_pollEnd >= 0 && t >= m_pollEnd)
            spread(m_pollEnd, t, &StatsBucket::engineDispatchNs);
        m_pollBegin = m_pollEnd = -1;
        return;
    }
}

// ---- Buckets --------------------------------------------------------------------------------

// Floor division, so times a little before the origin (disk workers' clocks) land in bucket -1.
std::int64_t StatsModel::bucketNumber(std::int64_t t) const
{
    return t >= 0 ? t / m_bucketNs : -((-t + m_bucketNs - 1) / m_bucketNs);
}

// The bucket holding relative time t, created (with the history trimmed) if it is newer than
// every bucket; nullptr if it is older than the history kept.
StatsBucket* StatsModel::bucketAt(std::int64_t t)
{
    const std::int64_t n = bucketNumber(t);
    const std::int64_t history = std::max<std::int64_t>(1, m_historyNs / m_bucketNs);
    const std::int64_t last = m_firstBucket + std::int64_t(m_buckets.size()) - 1;
    if (m_buckets.empty() || n > last + history) { // start afresh rather than fill a long gap
        m_buckets.clear();
        m_firstBucket = n;
        m_buckets.push_back({});
        m_buckets.back().activeAtEnd = m_active;
    }
    while (m_firstBucket + std::int64_t(m_buckets.size()) - 1 < n) {
        m_buckets.push_back({});
        m_buckets.back().activeAtEnd = m_active;
    }
    while (std::int64_t(m_buckets.size()) > history) {
        m_buckets.pop_front();
        ++m_firstBucket;
    }
    if (n < m_firstBucket)
        return nullptr;
    return &m_buckets[std::size_t(n - m_firstBucket)];
}

// Adds the interval [from, to) to `field` of every bucket it overlaps, each its own share.
void StatsModel::spread(std::int64_t from, std::int64_t to, std::int64_t StatsBucket::*field)
{
    bucketAt(to > from ? to - 1 : to); // create the buckets (and trim history) once, up front
    while (from < to) {
        const std::int64_t n = bucketNumber(from);
        const std::int64_t end = std::min(to, (n + 1) * m_bucketNs);
        if (n >= m_firstBucket && n < m_firstBucket + std::int64_t(m_buckets.size()))
            m_buckets[std::size_t(n - m_firstBucket)].*field += end - from;
        else if (n < m_firstBucket) // skip the part older than the history in one step
            from = std::min(to, m_firstBucket * m_bucketNs);
        from = std::max(from, end);
    }
}

double StatsModel::requestsPerSecond(std::size_t i) const
{
    const StatsBucket& b = m_buckets[i];
    return double(b.completed + b.rejected) * 1e9 / double(m_bucketNs);
}

double StatsModel::engineUtilisation(std::size_t i) const
{
    const StatsBucket& b = m_buckets[i];
    const std::int64_t observed = b.engineBlockedNs + b.engineDispatchNs;
    return observed > 0 ? 100.0 * double(b.engineDispatchNs) / double(observed) : 0.0;
}

double StatsModel::guiUtilisation(std::size_t i) const
{
    return std::min(100.0, 100.0 * double(m_buckets[i].guiBusyNs) / double(m_bucketNs));
}

void StatsModel::setBucketNs(std::int64_t ns)
{
    m_bucketNs = std::max<std::int64_t>(1, ns);
    resetBuckets();
}

void StatsModel::setHistoryNs(std::int64_t ns)
{
    m_historyNs = std::max<std::int64_t>(1, ns);
    resetBuckets();
}

void StatsModel::resetBuckets()
{
    m_buckets.clear();
    m_firstBucket = 0;
}

// ---- Latency --------------------------------------------------------------------------------

int StatsModel::binOf(std::int64_t ns)
{
    if (ns < kLowestLatencyNs)
        return 0;
    const int k = int(std::floor(std::log10(double(ns) / double(kLowestLatencyNs)) * kBinsPerDecade));
    return std::min(k, kBinsPerDecade * kDecades) + 1; // the last index is the overflow bin
}

std::int64_t StatsModel::binLow(int bin)
{
    if (bin <= 0)
        return 0;
    return std::llround(double(kLowestLatencyNs) * std::pow(10.0, double(bin - 1) / kBinsPerDecade));
}

void StatsModel::addLatency(std::int64_t t, std::int64_t latency)
{
    const int bin = binOf(latency);
    ++m_bins[std::size_t(bin)];
    m_binMax[std::size_t(bin)] = std::max(m_binMax[std::size_t(bin)], latency);
    ++m_latencyCount;
    m_recent.push_back({std::uint32_t(std::uint64_t(t / 1'000'000)), encodeLatency(latency)});
    if (m_recent.size() > kMaxRecentSamples)
        m_recent.pop_front();
}

std::uint32_t StatsModel::encodeLatency(std::int64_t ns)
{
    constexpr std::uint32_t kMicros = 0x8000'0000u;
    if (ns < 0)
        return 0;
    if (ns < std::int64_t(kMicros))
        return std::uint32_t(ns);
    return kMicros | std::uint32_t(std::min<std::int64_t>(ns / 1000, kMicros - 1));
}

std::int64_t StatsModel::decodeLatency(std::uint32_t code)
{
    constexpr std::uint32_t kMicros = 0x8000'0000u;
    return (code & kMicros) ? std::int64_t(code & ~kMicros) * 1000 : std::int64_t(code);
}

// In the window ending at the newest record: its age (modular, so it survives the wrap) at most
// the window's length, to the millisecond.
bool StatsModel::isRecent(const RecentSample& s) const
{
    const std::uint32_t nowMs = std::uint32_t(std::uint64_t(m_lastNs / 1'000'000));
    return std::int64_t(std::uint32_t(nowMs - s.completedMs)) * 1'000'000 <= m_recentNs;
}

void StatsModel::expireRecent()
{
    while (!m_recent.empty() && !isRecent(m_recent.front()))
        m_recent.pop_front();
}

std::int64_t StatsModel::overallAtRank(std::uint64_t rank) const
{
    std::uint64_t seen = 0;
    for (int bin = 0; bin < kBins; ++bin) {
        seen += m_bins[std::size_t(bin)];
        if (seen >= rank)
            return m_binMax[std::size_t(bin)];
    }
    return 0;
}

LatencyPercentiles StatsModel::latencyOverall() const
{
    const std::uint64_t n = m_latencyCount;
    if (n == 0)
        return {};
    return {n, overallAtRank(nearestRank(50, n)), overallAtRank(nearestRank(90, n)), overallAtRank(nearestRank(99, n))};
}

LatencyPercentiles StatsModel::latencyRecent() const
{
    m_scratch.clear();
    std::int64_t oldestAgeMs = 0;
    const std::uint32_t nowMs = std::uint32_t(std::uint64_t(m_lastNs / 1'000'000));
    for (const RecentSample& sample : m_recent)
        if (isRecent(sample)) {
            if (m_scratch.empty())
                oldestAgeMs = std::int64_t(std::uint32_t(nowMs - sample.completedMs));
            m_scratch.push_back(decodeLatency(sample.latency));
        }
    const std::uint64_t n = m_scratch.size();
    if (n == 0)
        return {};
    // The whole window, unless the cap dropped samples that were still inside it.
    const std::int64_t spanNs = m_recent.size() < kMaxRecentSamples ? m_recentNs
                                                                     : std::min(m_recentNs, oldestAgeMs * 1'000'000);
    // Each selection leaves every larger sample after its rank, so the next (higher) percentile
    // is looked for only there: about 3.2 n steps instead of 6 n for three full selections,
    // which matters under a firehose (400,000 samples in a 10 s window).
    auto from = m_scratch.begin();
    const auto at = [&](int p) {
        const auto nth = m_scratch.begin() + std::ptrdiff_t(nearestRank(p, n) - 1);
        std::nth_element(from, nth, m_scratch.end());
        from = nth;
        return *nth;
    };
    const std::int64_t p50 = at(50);
    const std::int64_t p90 = at(90);
    const std::int64_t p99 = at(99);
    return {n, p50, p90, p99, spanNs};
}

std::vector<LatencyBin> StatsModel::latencyHistogram(int binsPerDecade) const
{
    const int merge = kBinsPerDecade / std::clamp(binsPerDecade, 1, kBinsPerDecade);
    std::vector<LatencyBin> out;
    for (int first = 1; first <= kBinsPerDecade * kDecades; first += merge) {
        LatencyBin bin{binLow(first), binLow(std::min(first + merge, kBinsPerDecade * kDecades + 1)), 0};
        for (int k = first; k < first + merge && k <= kBinsPerDecade * kDecades; ++k)
            bin.count += m_bins[std::size_t(k)];
        out.push_back(bin);
    }
    return out;
}

void StatsModel::cleared()
{
    resetBuckets();
    m_origin = 0;
    m_lastNs = 0;
    m_active = 0;
    m_completedTotal = 0;
    m_pollBegin = m_pollEnd = -1;
    m_requestStart.clear();
    m_bins.fill(0);
    m_binMax.fill(0);
    m_latencyCount = 0;
    m_recent.clear();
    m_dirty = true;
    if (!m_timer.isActive())
        m_timer.start();
}

} // namespace loopscope
