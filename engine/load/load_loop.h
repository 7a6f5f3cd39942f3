// LoadLoop: the load generator's thread body (private to engine/load). One epoll loop drives
// every client of the current phase through connect -> send -> receive -> (next request), with
// one timer queue for schedules, slow clients' pauses and timeouts.
//
// Contract: run() executes the plan's phases in order and returns when the plan is over or the
// stop flag is set (checked every wake-up; stop() also writes the wake eventfd). Every fd it
// opens is closed before run() returns. It publishes its counters to LoadShared at most every
// kPublishPeriodNs and at every phase change, and never blocks except in epoll_wait.
#pragma once

#include "load/latency_histogram.h"
#include "load/load_generator.h"
#include "load/response_parser.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string>
#include <vector>

namespace loopscope {

// What the loop publishes and the generator's callers read (under `mutex`).
struct LoadShared {
    mutable std::mutex mutex;
    std::condition_variable finishedChanged;
    LoadSnapshot snapshot;
    LatencyHistogram latency;
};

class LoadLoop {
public:
    static constexpr std::int64_t kPublishPeriodNs = 50'000'000;  // 20 times a second
    static constexpr std::int64_t kErrorBackoffNs = 100'000'000;  // after a failed request
    static constexpr std::size_t kReadBufferBytes = 64 * 1024;
    static constexpr int kSlowReceiveBuffer = 4096;               // SO_RCVBUF of slow readers

    LoadLoop(const LoadPlan& plan, int epollFd, int wakeFd, const std::atomic<bool>& stopRequested,
             LoadShared& shared);
    ~LoadLoop();
    void run();

private:
    enum class ClientKind : std::uint8_t { Regular, SlowHeaders, SlowReader };
    // AwaitingClose: the last response said Connection: close; the client waits for the server
    // to close first, so the TIME_WAIT state stays on the server's side and a close-per-request
    // phase cannot exhaust the client's ephemeral ports.
    enum class Step : std::uint8_t { Idle, Connecting, Sending, Receiving, AwaitingClose, Finished };
    struct InFlight {
        std::int64_t scheduledNs = 0; // latency is measured from here
        bool head = false;
    };
    struct Client {
        ClientKind kind = ClientKind::Regular;
        std::uint32_t index = 0;       // in the phase's client list
        std::uint32_t serial = 0;      // bumps with each connection and timer change
        int fd = -1;
        std::uint32_t interest = 0;    // current epoll mask (0 = not registered)
        bool reusable = false;         // keep-alive connection ready for the next request
        Step step = Step::Idle;
        std::string out;
        std::size_t outSent = 0;
        std::vector<InFlight> inFlight; // oldest first; [answered..] still expected
        std::size_t answered = 0;
        ResponseParser parser;
        std::uint64_t requests = 0;    // started in this phase (the budget counts these)
        std::uint64_t nextSlot = 0;    // open loop: the next scheduled batch
        std::uint64_t pathCursor = 0;
        std::int64_t offsetNs = 0;     // open loop: this client's place in the schedule
        std::int64_t deadlineNs = 0;   // no progress by then: timeout
        std::int64_t wakeNs = 0;       // a scheduled wake-up, 0 = none
        std::int64_t timeoutTimerNs = 0; // when the pending timeout timer fires, 0 = none
        bool readPaused = false;       // slow reader between reads
    };
    struct Timer {
        std::int64_t at;
        std::uint32_t client;
        bool operator>(const Timer& o) const { return at > o.at; }
    };

    // Phases.
    void runPhase(std::size_t index);
    void beginPhase(std::size_t index, std::int64_t now);
    bool phaseOver(std::int64_t now) const;
    void endPhase();
    void addClients(ClientKind kind, unsigned count);

    // The loop's own phases, once per wake-up.
    void pollOnce(std::int64_t timeoutNs);
    void runDueTimers(std::int64_t now);
    std::int64_t nextTimerIn(std::int64_t now) const;

    // A client's life.
    void onEvent(Client& c, std::uint32_t events);
    void onTimer(Client& c, std::int64_t now);
    void startNextBatch(Client& c, std::int64_t now);
    bool budgetSpent(const Client& c) const;
    std::int64_t slotTime(const Client& c) const;
    void queueRequests(Client& c, unsigned count, std::int64_t scheduledNs);
    bool openConnection(Client& c, std::int64_t now);
    void onConnected(Client& c, std::int64_t now);
    void onWritable(Client& c, std::int64_t now);
    void onReadable(Client& c, std::int64_t now);
    bool consumeResponses(Client& c, const char* data, std::size_t n, std::int64_t now);
    void completeResponse(Client& c, std::int64_t now);
    void finishBatch(Client& c, std::int64_t now);
    void onPeerClosed(Client& c, std::int64_t now);
    void checkTimeout(Client& c, std::int64_t now);
    void fail(Client& c, LoadError error, std::int64_t now);
    void closeConnection(Client& c);
    void setInterest(Client& c, std::uint32_t events);
    void wakeAt(Client& c, std::int64_t at);
    void armTimeout(Client& c, std::int64_t now);
    std::size_t readLimit(const Client& c) const;
    void pauseReading(Client& c, std::int64_t now);

    // Publishing.
    void publish(std::int64_t now, bool force);
    void finishRun(const std::string& failure);

    const LoadPlan& m_plan;
    int m_epoll;
    int m_wake;
    const std::atomic<bool>& m_stop;
    LoadShared& m_shared;

    const LoadPhasePlan* m_phase = nullptr;
    std::int64_t m_phaseStartNs = 0;
    std::vector<Client> m_clients;
    std::vector<std::uint32_t> m_pathOrder;
    std::vector<WeightedPath> m_paths;
    std::vector<std::string> m_requestText; // one prepared request per path
    std::int64_t m_periodNs = 0;            // open loop: between one client's batches
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> m_timers;
    std::vector<char> m_readBuffer;

    LoadSnapshot m_state; // the loop's own copy, published under the mutex
    LatencyHistogram m_latency;
    std::int64_t m_lastPublishNs = 0;
    std::vector<std::pair<std::int64_t, std::uint64_t>> m_rateSamples; // (time, responses)
    std::string m_failure;
};

} // namespace loopscope
