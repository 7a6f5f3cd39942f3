// CompareLoad: the traffic both sides of a model comparison receive, in the words of the
// Compare window's form, and the captions that say what each server model is.
//
// Contract: comparePlan() turns the form into a one-phase LoadPlan against one side's server;
// both sides get plans built from the same CompareLoad, so they differ only in their target.
// A form that cannot run gives std::nullopt and one sentence in `error`.
//
// The defaults make the point in about ten seconds on screen: eight keep-alive clients at a
// gentle 40 requests/s in all, plus two slow readers, each client giving up on a request that
// makes no progress for 3 s (as an impatient user would). Open loop (a fixed rate) on purpose:
// latency then counts from when each request was due, so queueing cannot hide, and neither
// side needs much CPU, so both can run at once on a small machine without disturbing each other.
#pragma once

#include "load/load_generator.h"
#include "load/load_plan.h"
#include "server/server.h"

#include <QString>

#include <optional>
#include <string>

namespace loopscope {

struct CompareLoad {
    unsigned clients = 8;
    double rate = 40;            // requests/s over all regular clients; 0: as fast as answered
    bool keepAlive = true;
    unsigned slowReaders = 2;
    unsigned slowHeaders = 0;
    unsigned giveUpMs = 3'000;   // a request without progress for this long fails (timeout)
    double durationSeconds = 10; // > 0: a comparison always ends by itself
    std::string paths = pathMixText(defaultPathMix());
    std::uint64_t requestsPerClient = 0; // 0: no budget (tests use one to end early)
};

// The one-phase plan `load` describes, sent to `target`.
std::optional<LoadPlan> comparePlan(const CompareLoad& load, const LoadUrl& target, QString& error);

// "blocking — one connection at a time": what a timeline of `model` shows, for its label.
QString modelCaption(ServerModel model);

} // namespace loopscope
