#include "load/load_plan.h"

#include <charconv>
#include <cmath>
#include <numeric>

namespace loopscope {

namespace {

constexpr unsigned kMaxWeight = 1000;
constexpr std::size_t kMaxPaths = 64;

std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

// "PATH", "PATH:3", "HEAD PATH:2". A ':' followed by digits only is a weight.
std::optional<WeightedPath> parseEntry(std::string_view entry, std::string& error)
{
    WeightedPath out;
    entry = trimmed(entry);
    if (entry.substr(0, 5) == "HEAD ") {
        out.head = true;
        entry = trimmed(entry.substr(5));
    }
    const std::size_t colon = entry.rfind(':');
    if (colon != std::string_view::npos) {
        const std::string_view digits = entry.substr(colon + 1);
        unsigned weight = 0;
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), weight);
        if (!digits.empty() && ec == std::errc() && ptr == digits.data() + digits.size()) {
            if (weight == 0 || weight > kMaxWeight) {
                error = "The weight of '" + std::string(entry) + "' must be from 1 to 1000.";
                return std::nullopt;
            }
            out.weight = weight;
            entry = entry.substr(0, colon);
        }
    }
    if (entry.empty() || entry.front() != '/') {
        error = "The path '" + std::string(entry) + "' does not start with '/'; write paths like /index.html.";
        return std::nullopt;
    }
    for (const char c : entry) {
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
            error = "The path '" + std::string(entry) + "' has spaces or control characters; percent-encode them.";
            return std::nullopt;
        }
    }
    out.path = std::string(entry);
    return out;
}

std::string settingsError(const LoadSettings& s)
{
    if (s.clients > LoadSettings::kMaxClients || s.slowHeaders > LoadSettings::kMaxClients
        || s.slowReaders > LoadSettings::kMaxClients)
        return "at most 10000 clients of each kind can run at once";
    if (s.clients + s.slowHeaders + s.slowReaders == 0)
        return "it has no clients; give at least one client";
    if (!std::isfinite(s.rate) || s.rate < 0 || s.rate > 10'000'000)
        return "its rate must be from 0 (as fast as responses come) to 10000000 requests/s";
    if (s.rate > 0 && s.clients == 0)
        return "a fixed rate needs at least one regular client";
    if (s.pipeline == 0 || s.pipeline > LoadSettings::kMaxPipeline)
        return "its pipeline depth must be from 1 to 64";
    if (s.pipeline > 1 && !s.keepAlive)
        return "pipelining needs keep-alive connections";
    if (s.slowIntervalMs == 0 || s.slowIntervalMs > 60'000 || s.slowReadBytes == 0)
        return "slow clients need an interval from 1 to 60000 ms and at least one byte per read";
    if (s.timeoutMs == 0)
        return "its timeout must be at least 1 ms";
    if (s.paths.size() > kMaxPaths)
        return "it has more than 64 paths";
    return {};
}

} // namespace

std::vector<WeightedPath> defaultPathMix()
{
    return {{"/index.html", 6, false},
            {"/style.css", 2, false},
            {"/images/loop.svg", 1, false},
            {"/guide/", 1, false},
            {"/files/large-4MiB.txt", 1, false},
            {"/missing.html", 1, false}};
}

std::optional<std::vector<WeightedPath>> parsePathMix(std::string_view text, std::string& error)
{
    std::vector<WeightedPath> out;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const auto entry = parseEntry(text.substr(0, comma), error);
        if (!entry)
            return std::nullopt;
        out.push_back(*entry);
        if (out.size() > kMaxPaths) {
            error = "More than 64 paths were given; merge them with weights (PATH:WEIGHT).";
            return std::nullopt;
        }
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    if (out.empty()) {
        error = "No paths were given; list them like /index.html:3,/missing.html.";
        return std::nullopt;
    }
    return out;
}

std::string pathMixText(const std::vector<WeightedPath>& paths)
{
    std::string out;
    for (const WeightedPath& p : paths) {
        if (!out.empty())
            out += ',';
        if (p.head)
            out += "HEAD ";
        out += p.path;
        if (p.weight != 1)
            out += ":" + std::to_string(p.weight);
    }
    return out;
}

std::string validate(const LoadPlan& plan)
{
    if (plan.phases.empty())
        return "The load plan has no phases; add at least one.";
    for (std::size_t i = 0; i < plan.phases.size(); ++i) {
        const LoadPhasePlan& phase = plan.phases[i];
        const std::string name = phase.name.empty() ? "Phase " + std::to_string(i + 1) : "Phase '" + phase.name + "'";
        if (!std::isfinite(phase.durationSeconds) || phase.durationSeconds < 0 || phase.durationSeconds > 1e7)
            return name + " needs a duration from 0 (no limit) to 10000000 seconds.";
        const std::string error = settingsError(phase.settings);
        if (!error.empty())
            return name + ": " + error + ".";
    }
    return {};
}

std::vector<std::uint32_t> pathSequence(const std::vector<WeightedPath>& paths)
{
    const unsigned total = std::accumulate(paths.begin(), paths.end(), 0u,
                                           [](unsigned sum, const WeightedPath& p) { return sum + p.weight; });
    std::vector<long> current(paths.size(), 0);
    std::vector<std::uint32_t> order;
    order.reserve(total);
    for (unsigned n = 0; n < total; ++n) {
        std::size_t best = 0;
        for (std::size_t i = 0; i < paths.size(); ++i) {
            current[i] += long(paths[i].weight);
            if (current[i] > current[best])
                best = i;
        }
        current[best] -= long(total);
        order.push_back(std::uint32_t(best));
    }
    return order;
}

} // namespace loopscope
