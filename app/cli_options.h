// Command-line options of loopscope-server, parsed without Qt so the headless program stays
// dependency-free. parseServerOptions() never exits: it returns an error sentence instead.
#pragma once

#include "server/server.h"

#include <optional>
#include <string>
#include <vector>

namespace loopscope {

struct ServerOptions {
    ServerConfig config;
    LoopBreaks breaks;         // --break: switches that block the event loop on purpose
    std::string tracePath;     // empty: record but write no trace
    double durationSeconds = 0; // 0: until SIGINT/SIGTERM
    bool record = true;
    bool quiet = false;
    bool help = false;
};

// Returns the options, or sets `error` to one sentence (what is wrong, what to do).
std::optional<ServerOptions> parseServerOptions(const std::vector<std::string>& args, std::string& error);

std::string serverUsage();

} // namespace loopscope
