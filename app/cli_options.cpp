#include "cli_options.h"

#include "option_reader.h"
#include "trace/trace_sink.h"

#include <charconv>
#include <cmath>

namespace loopscope {

namespace {

using options::rangeError;
using options::Reader;

std::chrono::milliseconds millis(double seconds)
{
    return std::chrono::milliseconds(std::llround(seconds * 1000));
}

} // namespace

std::optional<ServerOptions> parseServerOptions(const std::vector<std::string>& args, std::string& error)
{
    ServerOptions o;
    Reader in{args, 0, error};
    for (; in.i < args.size(); ++in.i) {
        const std::string& a = args[in.i];
        double n = 0;
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--root") {
            if (!in.value(a, o.config.root))
                return std::nullopt;
        } else if (a == "--bind") {
            if (!in.value(a, o.config.bindAddress))
                return std::nullopt;
        } else if (a == "--trace") {
            if (!in.value(a, o.tracePath))
                return std::nullopt;
            TraceFormat format;
            if (!traceFormatForPath(o.tracePath, format)) {
                error = "--trace " + o.tracePath
                        + " has an unknown format; name it .json, .json.gz or .csv.";
                return std::nullopt;
            }
        } else if (a == "--port") {
            if (!in.number(a, 0, 65535, "a port number from 0 to 65535", n))
                return std::nullopt;
            if (n != std::floor(n)) {
                error = rangeError(a, "a whole port number", args[in.i]);
                return std::nullopt;
            }
            o.config.port = std::uint16_t(n);
        } else if (a == "--duration") {
            if (!in.number(a, 0.001, 1e7, "a positive number of seconds", o.durationSeconds))
                return std::nullopt;
        } else if (a == "--header-timeout") {
            if (!in.number(a, 0.001, 86400, "a positive number of seconds", n))
                return std::nullopt;
            o.config.headerTimeout = millis(n);
        } else if (a == "--keepalive-timeout") {
            if (!in.number(a, 0.001, 86400, "a positive number of seconds", n))
                return std::nullopt;
            o.config.keepAliveTimeout = millis(n);
        } else if (a == "--max-connections") {
            if (!in.number(a, 1, 1'000'000, "a whole number from 1 to 1000000", n))
                return std::nullopt;
            o.config.maxConnections = unsigned(n);
        } else if (a == "--disk-workers") {
            if (!in.number(a, 1, 64, "a whole number from 1 to 64", n))
                return std::nullopt;
            o.config.diskWorkers = unsigned(n);
        } else if (a == "--model") {
            std::string name;
            if (!in.value(a, name))
                return std::nullopt;
            if (!parseServerModel(name, o.config.model)) {
                error = "--model " + name + " is not a server model; choose " + serverModelNames() + ".";
                return std::nullopt;
            }
        } else if (a == "--break") {
            std::string value;
            if (!in.value(a, value))
                return std::nullopt;
            std::string why;
            if (!parseLoopBreaks(value, o.breaks, why)) {
                error = "--break " + why;
                return std::nullopt;
            }
        } else if (a == "--no-file-cache") {
            o.config.fileCache = false;
        } else if (a == "--defer-accept") {
            o.config.deferAccept = true; // the default; kept so that older command lines still work
        } else if (a == "--no-defer-accept") {
            o.config.deferAccept = false;
        } else if (a == "--no-record") {
            o.record = false;
        } else if (a == "--quiet" || a == "-q") {
            o.quiet = true;
        } else {
            error = "Unknown option '" + a + "'; see --help.";
            return std::nullopt;
        }
    }
    if (!o.help && o.config.root.empty()) {
        error = "No document root given; pass --root DIR (for example --root resources/demo-site).";
        return std::nullopt;
    }
    if (o.config.model != ServerModel::EventLoop && (o.breaks.syncDisk || o.breaks.cpuMsPerRequest > 0)) {
        error = std::string("--break changes only the event-loop model; drop it or use --model eventloop (got --model ")
                + toString(o.config.model) + ").";
        return std::nullopt;
    }
    if (!o.record && !o.tracePath.empty()) {
        error = "--trace and --no-record contradict each other; drop one of them.";
        return std::nullopt;
    }
    return o;
}

std::string serverUsage()
{
    return R"(Usage: loopscope-server --root DIR [options]

Serves the files under DIR over HTTP/1.1 (from one epoll event loop unless --model says
otherwise) and records every step of every connection (accepted, request headers read, file read from disk, headers written, body
written, closed). On Ctrl+C (SIGINT), SIGTERM or at the end of --duration it stops, writes the
trace if asked, prints a summary and exits 0.

Options:
  --root DIR               folder to serve (required); directories serve their index.html
  --port N                 TCP port to listen on (default 8080; 0 picks a free port)
  --bind ADDR              IPv4 address to listen on (default 127.0.0.1, this machine only;
                           0.0.0.0 serves every network the machine is on)
  --model NAME             how connections are served: eventloop (default: one epoll loop,
                           files read by disk workers), blocking (one thread serves one
                           connection at a time; the rest wait in the listen backlog) or
                           threads (one thread per connection, blocking I/O)
  --trace FILE             write the recording to FILE when stopping; the format follows the
                           name: .json (Chrome trace, opens in ui.perfetto.dev and
                           chrome://tracing), .json.gz (the same, gzipped), .csv (raw events)
  --duration SECONDS       stop by itself after SECONDS
  --header-timeout S       close a connection whose request head is not complete after S
                           seconds (default 10)
  --keepalive-timeout S    close a keep-alive connection idle for S seconds (default 5)
  --max-connections N      connections served at once; more are accepted and closed at once
                           (default 10000)
  --disk-workers N         threads that open and read files (default 2; event loop only)
  --no-file-cache          send every request to a disk worker; by default a file read in
                           the last second is served without one: up to 16 KiB from memory,
                           bigger ones with sendfile from the kernel's page cache (the
                           trace shows such a request as a cache hit, not a disk read;
                           event loop only: the other models read every file)
  --no-defer-accept        accept each connection as soon as its handshake completes; by
                           default a connection is accepted once its first bytes arrived
                           (Linux TCP_DEFER_ACCEPT, as h2o does), which saves a wake-up per
                           connection but shows a client that connects and stays silent
                           about a second late
  --break WHAT             break the event loop on purpose, to watch what that does to every
                           connection (event loop only; repeat it or give a comma list):
                           sync-disk: the loop reads files itself instead of the disk
                           workers (DiskRead records on the loop's own lane);
                           cpu=MS: each response first burns MS ms of the loop thread's CPU
                           hashing its bytes (MS from 1 to 10000)
  --no-record              record nothing (to measure what recording costs)
  -q, --quiet              print only errors
  -h, --help               show this help

Exit status: 0 after a clean stop, 1 if the server could not start or the trace could not be
written, 2 for bad options.
)";
}

} // namespace loopscope
