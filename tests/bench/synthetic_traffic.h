// The engine's records without the engine: a synthetic producer for the GUI benchmarks, which
// need event rates (millions a second) that the real server cannot reach on a two-core machine.
// Private to tests/bench.
#pragma once

#include "core/clock.h"
#include "core/recorder.h"
#include "http/request.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <string_view>

namespace loopscope::bench {

using S = ConnectionState;

// --- Traffic ---------------------------------------------------------------------------------

// The engine's records, played by a state machine per connection slot. Each call of step()
// is one epoll_wait round: LoopPollBegin, LoopPollEnd(ready), then `ready` connections each do
// what one wake-up does in the real loop (event_loop.cpp): read a request head, finish a file
// fetch and start the response, send more body, or close.
class Traffic {
public:
    static constexpr int kSlots = 64;

    Traffic()
    {
        for (Conn& c : m_conns)
            c.id = m_nextId++;
    }

    // Emits at least `want` records (whole rounds) through `out`, timestamps t0, t0 + dt, ...;
    // returns how many it emitted. `out` has rec(t, kind, conn, from, to, arg, aux, thread) and
    // text(conn, text, t) (which emits ceil(len/16) records, at least one).
    template <typename Out>
    std::uint64_t generate(std::uint64_t want, std::int64_t t0, std::int64_t dt, Out& out)
    {
        m_n = 0;
        m_t0 = t0;
        m_dt = dt;
        while (m_n < want)
            round(out);
        return m_n;
    }

private:
    enum class Phase : std::uint8_t { Accept, Read, Fetch, Body, Close };
    struct Conn {
        std::uint32_t id = 0;
        S state = S::None;
        Phase phase = Phase::Accept;
        std::uint32_t request = 0;    // requests started
        std::uint32_t requests = 1;   // requests this connection will make
        bool keepAliveEnd = false;    // ends by the peer closing an idle keep-alive connection
        bool cached = false;          // this request is a file cache hit
        std::uint32_t partsLeft = 0;  // body sends left
        std::uint64_t bodyBytes = 0;
        std::int64_t requestT = 0;    // RequestHeadersRead time (disk times fall after it)
    };

    std::uint32_t rnd()
    {
        m_rng ^= m_rng << 13;
        m_rng ^= m_rng >> 17;
        m_rng ^= m_rng << 5;
        return m_rng;
    }
    std::int64_t now() const { return m_t0 + std::int64_t(m_n) * m_dt; }

    template <typename Out>
    void rec(Out& out, Conn& c, EventKind kind, S to, std::uint64_t arg, std::uint32_t aux = 0)
    {
        out.rec(now(), kind, c.id, c.state, to, arg, aux, std::uint8_t(0));
        c.state = to;
        ++m_n;
    }

    template <typename Out>
    void round(Out& out)
    {
        const std::uint32_t ready = 1 + rnd() % 8;
        out.rec(now(), EventKind::LoopPollBegin, 0, S::None, S::None, 1000, 0, std::uint8_t(0));
        ++m_n;
        out.rec(now(), EventKind::LoopPollEnd, 0, S::None, S::None, ready, 0, std::uint8_t(0));
        ++m_n;
        for (std::uint32_t i = 0; i < ready; ++i)
            dispatch(out, m_conns[rnd() % kSlots]);
    }

    template <typename Out>
    void dispatch(Out& out, Conn& c)
    {
        static constexpr std::array<std::string_view, 6> kPaths{
            "/index.html", "/static/css/site.css", "/static/js/app.bundle.min.js",
            "/images/photos/2024/holiday-0042.jpg", "/favicon.ico", "/docs/guide/getting-started.html"};
        switch (c.phase) {
        case Phase::Accept:
            c.request = 0;
            c.requests = 1 + rnd() % 10;
            c.keepAliveEnd = rnd() % 2 == 0;
            rec(out, c, EventKind::ConnectionAccepted, S::Accepted, 40000 + c.id % 20000, 0x7f000001);
            c.phase = Phase::Read;
            break;
        case Phase::Read: {
            ++c.request;
            rec(out, c, EventKind::BytesRead, S::ReadingHeaders, 80 + rnd() % 300);
            c.requestT = now();
            rec(out, c, EventKind::RequestHeadersRead, S::FetchingFile, c.request,
                std::uint32_t(HttpMethod::Get));
            const std::string_view path = kPaths[rnd() % kPaths.size()];
            out.text(c.id, path, now());
            m_n += std::max<std::uint64_t>(1, (path.size() + kTextBytesPerRecord - 1) / kTextBytesPerRecord);
            c.cached = rnd() % 3 != 0;
            c.phase = Phase::Fetch;
            break;
        }
        case Phase::Fetch: {
            c.bodyBytes = 512 + rnd() % 200'000;
            c.partsLeft = 1 + std::uint32_t(c.bodyBytes / 65536);
            if (c.cached) {
                rec(out, c, EventKind::FileCacheHit, S::WritingHeaders, c.bodyBytes);
            } else {
                // The worker's own clock: a little in the past, after the request head.
                const std::int64_t t = now(), span = t - c.requestT;
                const std::uint8_t worker = std::uint8_t(c.id % 4);
                out.rec(c.requestT + span / 4, EventKind::DiskReadStarted, c.id, c.state, c.state, 0, worker, worker);
                out.rec(t - span / 4, EventKind::DiskReadDone, c.id, c.state, S::WritingHeaders,
                        std::min<std::uint64_t>(c.bodyBytes, 65536), 0, worker);
                m_n += 2;
                c.state = S::WritingHeaders;
            }
            rec(out, c, EventKind::ResponseHeadersWritten, S::WritingBody, 200, 180 + rnd() % 100);
            sendBody(out, c);
            break;
        }
        case Phase::Body:
            sendBody(out, c);
            break;
        case Phase::Close:
            rec(out, c, EventKind::ConnectionClosed, S::Closed, std::uint64_t(CloseReason::PeerClosed));
            reopen(c);
            break;
        }
    }

    template <typename Out>
    void sendBody(Out& out, Conn& c)
    {
        rec(out, c, EventKind::BodyBytesWritten, S::WritingBody,
            c.partsLeft > 1 ? 65536 : c.bodyBytes % 65536 + 1);
        if (--c.partsLeft > 0) {
            c.phase = Phase::Body;
            return;
        }
        if (c.request < c.requests || c.keepAliveEnd) {
            rec(out, c, EventKind::BodyWritten, S::KeepAlive, c.bodyBytes);
            rec(out, c, EventKind::KeepAlive, S::KeepAlive, c.request);
            c.phase = c.request < c.requests ? Phase::Read : Phase::Close;
        } else { // Connection: close
            rec(out, c, EventKind::BodyWritten, S::WritingBody, c.bodyBytes);
            rec(out, c, EventKind::ConnectionClosed, S::Closed, std::uint64_t(CloseReason::Done));
            reopen(c);
        }
    }

    void reopen(Conn& c)
    {
        c = Conn{};
        c.id = m_nextId++;
    }

    std::array<Conn, kSlots> m_conns;
    std::uint32_t m_nextId = 1;
    std::uint32_t m_rng = 2463534242u;
    std::uint64_t m_n = 0;
    std::int64_t m_t0 = 0;
    std::int64_t m_dt = 1;
};

// Traffic into the engine's recorder.
struct RecorderOut {
    Recorder& recorder;
    void rec(std::int64_t t, EventKind kind, std::uint32_t conn, S from, S to, std::uint64_t arg,
             std::uint32_t aux, std::uint8_t thread)
    {
        recorder.record(t, kind, conn, from, to, arg, aux, thread);
    }
    void text(std::uint32_t conn, std::string_view s, std::int64_t t) { recorder.recordText(conn, s, t); }
};

inline void sleepUntil(std::int64_t ns)
{
    timespec ts{time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

// Records `traffic` into the main ring of `recorder` at `eventsPerSecond`, in 1 ms batches with
// real CLOCK_MONOTONIC timestamps, from `start` until `start + durationNs` or until `stop` is
// set; `produced` follows the count. The caller's thread must be the ring's only producer.
inline void producePaced(Recorder& recorder, double eventsPerSecond, std::int64_t start, std::int64_t durationNs,
                         std::atomic<std::uint64_t>& produced, const std::atomic<bool>& stop)
{
    Traffic traffic;
    RecorderOut out{recorder};
    constexpr std::int64_t kBatchNs = 1'000'000; // 1 ms batches
    const std::int64_t dt = std::max<std::int64_t>(1, std::int64_t(1e9 / eventsPerSecond));
    std::uint64_t sent = 0;
    std::int64_t lastT = 0;
    for (std::int64_t k = 0; !stop.load(std::memory_order_relaxed); ++k) {
        const std::int64_t deadline = start + k * kBatchNs;
        if (deadline >= start + durationNs)
            break;
        sleepUntil(deadline);
        const auto want = std::uint64_t(eventsPerSecond * double((k + 1) * kBatchNs) / 1e9);
        if (want <= sent)
            continue;
        const std::int64_t t0 = std::max(monotonicNs(), lastT + dt);
        const std::uint64_t n = traffic.generate(want - sent, t0, dt, out);
        sent += n;
        lastT = t0 + std::int64_t(n) * dt;
        produced.store(sent, std::memory_order_relaxed);
    }
    recorder.flushDrops(monotonicNs());
}

} // namespace loopscope::bench
