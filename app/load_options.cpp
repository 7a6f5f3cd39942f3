#include "load_options.h"

#include "load/load_generator.h"
#include "option_reader.h"

#include <cmath>

namespace loopscope {

namespace {

using options::Reader;

// One option that takes a value; false (with `error` set) if it is bad or unknown.
bool readValueOption(Reader& in, const std::string& a, LoadOptions& o, bool& haveUrl)
{
    LoadSettings& s = o.settings;
    std::string text;
    double n = 0;
    if (a == "--url") {
        if (!in.value(a, text))
            return false;
        const auto url = parseLoadUrl(text, in.error);
        if (!url)
            return false;
        o.url = *url;
        haveUrl = true;
        return true;
    }
    if (a == "--paths") {
        if (!in.value(a, text))
            return false;
        const auto paths = parsePathMix(text, in.error);
        if (paths)
            s.paths = *paths;
        return paths.has_value();
    }
    if (a == "--clients")
        return in.count(a, 0, LoadSettings::kMaxClients, s.clients);
    if (a == "--pipeline")
        return in.count(a, 1, LoadSettings::kMaxPipeline, s.pipeline);
    if (a == "--slow-headers")
        return in.count(a, 0, LoadSettings::kMaxClients, s.slowHeaders);
    if (a == "--slow-readers")
        return in.count(a, 0, LoadSettings::kMaxClients, s.slowReaders);
    if (a == "--rate") {
        const bool ok = in.number(a, 0, 10'000'000, "a number of requests per second from 0 (as fast as "
                                                    "responses come) to 10000000", n, false);
        s.rate = n;
        return ok;
    }
    if (a == "--duration")
        return in.number(a, 0, 1e7, "a number of seconds (0: until Ctrl+C)", o.durationSeconds, false);
    if (a == "--requests") {
        const bool ok = in.number(a, 1, 1e12, "a whole number of requests per client", n, true);
        s.requestsPerClient = std::uint64_t(n);
        return ok;
    }
    if (a == "--timeout") {
        const bool ok = in.number(a, 0.001, 3600, "a positive number of seconds", n, false);
        s.timeoutMs = unsigned(std::llround(std::max(1.0, n * 1000)));
        return ok;
    }
    in.error = "Unknown option '" + a + "'; see --help.";
    return false;
}

} // namespace

std::optional<LoadOptions> parseLoadOptions(const std::vector<std::string>& args, std::string& error)
{
    LoadOptions o;
    Reader in{args, 0, error};
    bool haveUrl = false;
    bool closeChosen = false;
    for (; in.i < args.size(); ++in.i) {
        const std::string& a = args[in.i];
        if (a == "-h" || a == "--help")
            o.help = true;
        else if (a == "--keep-alive")
            o.settings.keepAlive = true;
        else if (a == "--close")
            o.settings.keepAlive = false, closeChosen = true;
        else if (!readValueOption(in, a, o, haveUrl))
            return std::nullopt;
    }
    if (o.help)
        return o;
    if (!haveUrl) {
        error = "No target given; pass --url http://HOST:PORT/ (for example --url http://127.0.0.1:8080/).";
        return std::nullopt;
    }
    if (closeChosen && o.settings.pipeline > 1) {
        error = "--pipeline needs keep-alive connections; drop --close or --pipeline.";
        return std::nullopt;
    }
    // A path in the URL (other than "/") is the only path unless --paths says otherwise.
    if (o.settings.paths.empty() && o.url.path != "/")
        o.settings.paths = {{o.url.path, 1, false}};
    const std::string invalid = validate(singlePhasePlan(o.url, o.settings, o.durationSeconds));
    if (!invalid.empty()) {
        error = invalid;
        return std::nullopt;
    }
    return o;
}

std::string loadUsage()
{
    return R"(Usage: loopscope-load --url http://HOST:PORT[/PATH] [options]

Sends HTTP/1.1 requests to a server from its own epoll client loop and, when it ends (Ctrl+C,
SIGTERM, --duration or --requests), prints requests done, errors by kind, status classes,
requests/s, MB/s and latency p50/p90/p99/max. Latency of a fixed-rate run is measured from the
time each request was scheduled, so a slow server cannot hide its queueing.

Options:
  --url URL              the server: http://, an IPv4 address (or localhost) and a port; a
                         path other than / is the only path requested unless --paths is given
  --clients N            connections sending requests at once (default 4)
  --rate R               requests per second over all clients; 0 (default) sends each next
                         request as soon as the previous response has arrived
  --duration S           stop after S seconds (default 0: until Ctrl+C)
  --requests N           each client sends N requests, then the run ends
  --keep-alive           reuse connections (the default)
  --close                a new connection for every request (Connection: close)
  --paths LIST           the request mix, PATH[:WEIGHT] separated by commas, "HEAD " before a
                         path for HEAD; default: the demo site's small, large and missing files
                         (/index.html:6,/style.css:2,/images/loop.svg,/guide/,
                         /files/large-4MiB.txt,/missing.html)
  --pipeline K           send K requests back to back on a connection, then read K responses
                         (default 1)
  --slow-headers N       N more clients that send their request headers one byte every 20 ms
  --slow-readers N       N more clients with a 4 KiB receive buffer reading 4 KiB every 20 ms
  --timeout S            a request that makes no progress for S seconds fails (default 10)
  -h, --help             show this help

Exit status: 0 after a run (errors are reported, not fatal), 1 if the generator could not
start, 2 for bad options.
)";
}

} // namespace loopscope
