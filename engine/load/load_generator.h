// LoadGenerator: built-in HTTP/1.1 traffic, so a demo needs no wrk or curl.
//
// Contract: start() checks the plan (one sentence on error) and runs it on the generator's own
// thread: an epoll client loop (non-blocking connect/send/recv, level-triggered) that never
// blocks anywhere but in epoll_wait. start() and stop() may be called from any thread; stop()
// wakes the loop, joins the thread and closes every fd; a finished plan stops by itself (the
// snapshot then says finished) and stop() only joins. Everything is bounded: clients per phase
// (LoadSettings::kMaxClients), pipeline depth, response heads, the receive buffer.
//
// Accounting: every request sent ends exactly once, as a response (counted by status class),
// as an error of one kind (connect failed, reset, timeout, malformed response; an error ends
// every request in flight on that connection), or as abandoned (in flight when its phase or the
// run ended): sent == responses + errors + abandoned once the run is over.
// Open loop (rate > 0): each client has a fixed schedule; latency is measured from the time a
// request was scheduled, not sent, so a slow server cannot hide its queueing (no coordinated
// omission). Closed loop: a client sends its next batch as soon as the previous one is answered.
#pragma once

#include "load/latency_histogram.h"
#include "load/load_plan.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace loopscope {

enum class LoadError : std::uint8_t { ConnectFailed = 0, Reset = 1, Timeout = 2, Malformed = 3 };
inline constexpr int kLoadErrorKinds = 4;
const char* toString(LoadError error); // "connect failed", "reset", ...

struct LoadCounts {
    std::uint64_t sent = 0;      // requests written (or attempted: a failed connect counts)
    std::uint64_t responses = 0; // complete responses, any status
    std::array<std::uint64_t, 6> statusClasses{}; // [1..5] = 1xx..5xx, [0] = anything else
    std::array<std::uint64_t, kLoadErrorKinds> errors{}; // by LoadError
    std::uint64_t abandoned = 0; // in flight when a phase or the run ended
    std::uint64_t bytesReceived = 0; // heads and bodies
    std::uint64_t connectionsOpened = 0;

    std::uint64_t errorTotal() const;
    std::uint64_t status(int hundreds) const { return statusClasses[std::size_t(hundreds)]; }
};

// What a GUI polls a few times a second.
struct LoadSnapshot {
    bool running = false;  // the thread is running the plan
    bool finished = false; // the plan ended (by itself or by stop())
    int phaseIndex = -1;   // -1 before the first phase
    std::string phaseName;
    std::vector<std::int64_t> phaseStartNs; // CLOCK_MONOTONIC start of each phase entered so far
    LoadCounts counts;
    std::uint64_t inFlight = 0;
    double requestsPerSecond = 0; // responses per second over about the last second
    std::int64_t startedNs = 0;   // CLOCK_MONOTONIC start of the run
    std::int64_t elapsedNs = 0;
    std::int64_t p50Ns = 0, p90Ns = 0, p99Ns = 0, maxNs = 0;
    std::string failure; // one sentence if the loop itself failed (epoll), else empty
};

// The whole run so far, with the full latency histogram (for the CLI's summary).
struct LoadReport {
    LoadSnapshot snapshot;
    LatencyHistogram latency;
};

class LoadGenerator {
public:
    LoadGenerator();
    ~LoadGenerator(); // stops
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // Starts the plan (stopping a previous run first). False and one sentence if it cannot.
    bool start(const LoadPlan& plan, std::string& error);
    void stop();
    // True while the plan runs (false once it finished by itself, even before stop()).
    bool isRunning() const;
    // Waits until the plan finishes by itself, at most `timeout`; true if it did.
    bool waitUntilFinished(std::chrono::milliseconds timeout) const;

    LoadSnapshot snapshot() const;
    LoadReport report() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A plan of one phase with `settings` against `target`.
LoadPlan singlePhasePlan(const LoadUrl& target, const LoadSettings& settings, double durationSeconds,
                         std::string name = "load");

} // namespace loopscope
