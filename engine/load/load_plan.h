// LoadPlan: what the load generator does, as phases run one after another.
//
// Contract: a plan is a target URL and a list of phases; each phase has a name, a duration and
// its own LoadSettings (clients, rate, keep-alive, paths, pipeline, slow clients). A phase ends
// when its duration has passed or, with a request budget, when every client has sent its
// budget (whichever comes first; duration 0 = no time limit). validate() checks a plan and
// says in one sentence what is wrong; the generator refuses a plan that does not validate.
// Path mixes are written "PATH[:WEIGHT],..." with an optional "HEAD " before a path, e.g.
// "/index.html:6,/files/large-4MiB.txt,HEAD /index.html:2,/missing.html".
#pragma once

#include "load/load_url.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loopscope {

struct WeightedPath {
    std::string path;     // origin-form target, starts with '/'
    unsigned weight = 1;  // relative share of requests (1..1000)
    bool head = false;    // HEAD instead of GET

    bool operator==(const WeightedPath&) const = default;
};

struct LoadSettings {
    static constexpr unsigned kMaxClients = 10'000;
    static constexpr unsigned kMaxPipeline = 64;

    unsigned clients = 4;            // regular clients (connections at once)
    double rate = 0;                 // requests/s over all regular clients; 0 = closed loop
    bool keepAlive = true;           // false: a new connection per request (Connection: close)
    std::vector<WeightedPath> paths; // empty: defaultPathMix()
    unsigned pipeline = 1;           // requests sent back to back on a keep-alive connection
    unsigned slowHeaders = 0;        // extra clients sending their request a byte at a time
    unsigned slowReaders = 0;        // extra clients with a small receive buffer, reading slowly
    // Each client (slow ones too) sends at most this many requests in the phase; 0 = no limit.
    std::uint64_t requestsPerClient = 0;
    // Slow clients: one header byte (or slowReadBytes of the response) every slowIntervalMs.
    unsigned slowIntervalMs = 20;
    unsigned slowReadBytes = 4096;
    unsigned timeoutMs = 10'000;     // a request that makes no progress for this long fails
};

struct LoadPhasePlan {
    std::string name;
    double durationSeconds = 0; // 0: until the budget is spent or stop()
    LoadSettings settings;
};

struct LoadPlan {
    LoadUrl target;
    std::vector<LoadPhasePlan> phases;
};

// A mix of small, large and missing files of the demo site (resources/demo-site).
std::vector<WeightedPath> defaultPathMix();

// Parses "PATH[:WEIGHT],..." (see above); nullopt and one sentence in `error` if bad.
std::optional<std::vector<WeightedPath>> parsePathMix(std::string_view text, std::string& error);
std::string pathMixText(const std::vector<WeightedPath>& paths);

// One sentence saying what is wrong with the plan, or empty if it can run.
std::string validate(const LoadPlan& plan);

// The order in which a client picks paths: each path appears in proportion to its weight,
// spread evenly (nginx's smooth weighted round robin). Client i starts at position i.
std::vector<std::uint32_t> pathSequence(const std::vector<WeightedPath>& paths);

} // namespace loopscope
