// Command-line options of loopscope-load, parsed without Qt (the program links only the
// engine). parseLoadOptions() never exits: it returns an error sentence instead.
#pragma once

#include "load/load_plan.h"

#include <optional>
#include <string>
#include <vector>

namespace loopscope {

struct LoadOptions {
    LoadUrl url;
    LoadSettings settings;
    double durationSeconds = 0; // 0: until SIGINT/SIGTERM (or the --requests budget is spent)
    bool help = false;
};

// Returns the options, or sets `error` to one sentence (what is wrong, what to do).
std::optional<LoadOptions> parseLoadOptions(const std::vector<std::string>& args, std::string& error);

std::string loadUsage();

} // namespace loopscope
