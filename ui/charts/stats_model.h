// StatsModel: the numbers behind the charts, built incrementally from the recording.
//
// Contract: GUI thread only; an EventSink. Time is cut into buckets (250 ms by default) counted
// from the store's origin; the newest ~10 minutes of buckets are kept (older ones are dropped,
// and a jump forward past the whole history starts it afresh). Per bucket:
//  - requests completed: BodyWritten, plus RequestRejected (a request answered with an error);
//  - active connections at the bucket's end: accepted − closed, never below 0 (a recording that
//    starts mid-connection sees closes without accepts);
//  - engine loop: time Blocked in epoll_wait (LoopPollBegin → LoopPollEnd) and Dispatching
//    (LoopPollEnd → next LoopPollBegin), split across bucket boundaries;
//  - GUI loop: time inside outermost event deliveries (GuiEventHandled durations). GuiWork spans
//    happen inside those deliveries, so they are not added again;
//  - GUI loop delay (GuiLoopDelay): the worst and the mean of the bucket.
// Request latency is RequestHeadersRead → BodyWritten on one connection. The whole recording goes
// into a log-spaced histogram (100 bins a decade from 1 µs to 10 s, plus under/overflow) that
// keeps each bin's largest sample, so a whole-recording percentile is exact when the sample it
// names shares its bin with no different value, and otherwise at most one bin (2.3 %) above the
// exact nearest-rank value. Percentiles over the recent window (10 s by default, ending at the
// newest record, to the millisecond) are exact, from the window's samples (at most the newest
// kMaxRecentSamples, 8 bytes each: completion time in ms modulo 2^32, latency in ns, or in µs with
// the top bit set from 2.1 s up). Beyond 10,000 requests/s that cap shortens the window; the
// result says which span its samples cover, so the charts can name it. The cap keeps selecting
// the percentiles cheap enough for the GUI thread under a firehose.
// updated() is emitted from the model's own timer, at most once per interval, only after change.
#pragma once

#include "core/event_record.h"
#include "model/event_sink.h"

#include <QObject>
#include <QTimer>

#include <array>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace loopscope {

struct StatsBucket {
    std::uint32_t completed = 0;  // BodyWritten
    std::uint32_t rejected = 0;   // RequestRejected
    std::uint32_t accepted = 0;
    std::uint32_t closed = 0;
    std::int64_t activeAtEnd = 0; // open connections when the bucket ends
    std::int64_t engineBlockedNs = 0;
    std::int64_t engineDispatchNs = 0;
    std::int64_t guiBusyNs = 0;
    std::int64_t guiDelayMaxNs = 0;
    std::int64_t guiDelaySumNs = 0;
    std::uint32_t guiDelayCount = 0;
};

struct LatencyPercentiles {
    std::uint64_t count = 0; // samples; the percentiles are 0 when there are none
    std::int64_t p50 = 0;
    std::int64_t p90 = 0;
    std::int64_t p99 = 0;
    std::int64_t spanNs = 0; // latencyRecent: the time its samples cover (the window, or less)
};

struct LatencyBin {
    std::int64_t lowNs = 0;
    std::int64_t highNs = 0;
    std::uint64_t count = 0;
};

class StatsModel : public QObject, public EventSink {
    Q_OBJECT
public:
    static constexpr std::int64_t kDefaultBucketNs = 250'000'000;
    static constexpr std::int64_t kDefaultHistoryNs = 600'000'000'000; // 10 minutes
    static constexpr std::int64_t kDefaultRecentNs = 10'000'000'000;
    static constexpr std::size_t kMaxRecentSamples = 100'000;
    static constexpr int kBinsPerDecade = 100;
    static constexpr int kDecades = 7; // 1 µs .. 10 s

    explicit StatsModel(QObject* parent = nullptr);

    // EventSink
    void ingest(const TraceStore& store, std::uint64_t from, std::uint64_t to) override;
    void cleared() override;

    // Settings. setBucketNs and setHistoryNs clear the buckets (not the latency statistics).
    void setBucketNs(std::int64_t ns);
    void setHistoryNs(std::int64_t ns);
    void setRecentWindowNs(std::int64_t ns) { m_recentNs = ns; }
    void setUpdateIntervalMs(int ms) { m_timer.setInterval(ms); }
    std::int64_t bucketNs() const { return m_bucketNs; }
    std::int64_t recentWindowNs() const { return m_recentNs; }

    // Buckets, oldest first; bucket i covers [bucketStartNs(i), + bucketNs()) relative to origin.
    const std::deque<StatsBucket>& buckets() const { return m_buckets; }
    std::int64_t bucketStartNs(std::size_t i) const { return (m_firstBucket + std::int64_t(i)) * m_bucketNs; }
    double requestsPerSecond(std::size_t i) const;
    double engineUtilisation(std::size_t i) const; // % of observed loop time spent dispatching
    double guiUtilisation(std::size_t i) const;    // % of the bucket spent handling events

    // Latency: whole recording, and the recent window.
    LatencyPercentiles latencyOverall() const;
    LatencyPercentiles latencyRecent() const;
    // The whole recording's histogram, merged to `binsPerDecade` (a divisor of 100) bins a decade.
    std::vector<LatencyBin> latencyHistogram(int binsPerDecade = 10) const;
    std::uint64_t latencyBelowRange() const { return m_bins.front(); } // < 1 µs
    std::uint64_t latencyAboveRange() const { return m_bins.back(); }  // >= 10 s

    std::int64_t activeConnections() const { return m_active; }
    std::uint64_t requestsCompleted() const { return m_completedTotal; }
    // The newest record's time, relative to the origin.
    std::int64_t lastTimeNs() const { return m_lastNs; }

signals:
    void updated();

private:
    static constexpr int kBins = kBinsPerDecade * kDecades + 2;

    void onRecord(const EventRecord& r, std::int64_t t);
    void onConnectionRecord(const EventRecord& r, std::int64_t t);
    void onLoopRecord(const EventRecord& r, std::int64_t t);
    std::int64_t bucketNumber(std::int64_t t) const;
    StatsBucket* bucketAt(std::int64_t t);
    void spread(std::int64_t from, std::int64_t to, std::int64_t StatsBucket::*field);
    void addLatency(std::int64_t t, std::int64_t latency);
    void expireRecent();
    static int binOf(std::int64_t ns);
    static std::int64_t binLow(int bin);
    std::int64_t overallAtRank(std::uint64_t rank) const;
    void resetBuckets();
    void onTimer();

    std::int64_t m_bucketNs = kDefaultBucketNs;
    std::int64_t m_historyNs = kDefaultHistoryNs;
    std::int64_t m_recentNs = kDefaultRecentNs;
    std::int64_t m_origin = 0;
    std::int64_t m_lastNs = 0;

    std::deque<StatsBucket> m_buckets;
    std::int64_t m_firstBucket = 0; // bucket number of m_buckets.front()
    std::int64_t m_active = 0;
    std::uint64_t m_completedTotal = 0;

    std::int64_t m_pollBegin = -1; // relative times; -1 = unknown
    std::int64_t m_pollEnd = -1;

    std::unordered_map<std::uint32_t, std::int64_t> m_requestStart; // conn -> RequestHeadersRead time
    std::array<std::uint64_t, kBins> m_bins{};
    std::array<std::int64_t, kBins> m_binMax{};
    std::uint64_t m_latencyCount = 0;
    struct RecentSample {
        std::uint32_t completedMs; // relative to the origin, modulo 2^32 (ages are differences)
        std::uint32_t latency;     // see encodeLatency
    };
    static std::uint32_t encodeLatency(std::int64_t ns);
    static std::int64_t decodeLatency(std::uint32_t code);
    bool isRecent(const RecentSample& s) const;
    std::deque<RecentSample> m_recent;
    mutable std::vector<std::int64_t> m_scratch;

    QTimer m_timer;
    bool m_dirty = false;
};

} // namespace loopscope
