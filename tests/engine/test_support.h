// Small helpers shared by the engine tests: a blocking loopback HTTP client with timeouts (tests
// must never hang), a response reader that splits pipelined/keep-alive responses, files for
// document roots, a drained view of the Recorder, and process metrics (fds, memory, CPU time)
// read from /proc so tests can check what the in-process server costs.
//
// Everything here is plain C++ (no Qt), so any engine test can include it. Every wait is bounded
// by an explicit timeout or deadline; none of it sleeps to synchronise.
#pragma once

#include "core/event_record.h"
#include "core/recorder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loopscope::test {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

inline constexpr milliseconds kDefaultTimeout{5000};

// ---------------------------------------------------------------------------------------------
// Sockets

// Owns one file descriptor; closes it when destroyed or reset.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept
    {
        if (this != &other)
            reset(std::exchange(other.m_fd, -1));
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

// Connects to 127.0.0.1:port; returns the fd or -1. A positive `rcvBuf` sets SO_RCVBUF before
// connecting (it must be set before the handshake to limit the advertised window).
inline int connectLoopback(std::uint16_t port, int rcvBuf = 0)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (rcvBuf > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvBuf, sizeof rcvBuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// The local port of a connected socket (the server records it as the peer port).
inline std::uint16_t localPort(int fd)
{
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return 0;
    return ntohs(addr.sin_port);
}

inline bool sendAll(int fd, std::string_view data)
{
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        off += std::size_t(n);
    }
    return true;
}

// Sends one byte per send() with Nagle off, so the server's reads see the request trickle in
// (loopback may still coalesce a few bytes when the server is slower than the sender).
inline bool sendByteByByte(int fd, std::string_view data)
{
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (char c : data) {
        if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1)
            return false;
    }
    return true;
}

// Milliseconds left until `deadline`, at least 1 (for poll()).
inline int msLeft(Clock::time_point deadline)
{
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return int(std::clamp<long long>(left, 1, 60'000));
}

// Reads until the peer closes (or resets) or `timeout` passes; returns what arrived.
inline std::string readUntilClose(int fd, milliseconds timeout = kDefaultTimeout)
{
    std::string out;
    const auto deadline = Clock::now() + timeout;
    char buf[65536];
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, msLeft(deadline)) <= 0)
            continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        out.append(buf, std::size_t(n));
    }
    return out;
}

// Polls `done` every few milliseconds until it returns true or `timeout` passes. For waiting on
// state the server changes asynchronously (a record appearing, a slot freeing up); it is a
// bounded retry, not a sleep standing in for synchronisation.
inline bool waitUntil(const std::function<bool()>& done, milliseconds timeout = kDefaultTimeout)
{
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline)
            return false;
        ::poll(nullptr, 0, 5);
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// HTTP client side

// Builds a request: "<method> <target> <version>", "Host: localhost" (unless `host` is false),
// then each of `headers` (full "Name: value" lines), then the blank line.
inline std::string httpRequest(std::string_view method, std::string_view target,
                               const std::vector<std::string>& headers = {},
                               std::string_view version = "HTTP/1.1", bool host = true)
{
    std::string r;
    r.append(method).append(" ").append(target).append(" ").append(version).append("\r\n");
    if (host)
        r.append("Host: localhost\r\n");
    for (const std::string& h : headers)
        r.append(h).append("\r\n");
    r.append("\r\n");
    return r;
}

inline std::string get(std::string_view target, const std::vector<std::string>& headers = {})
{
    return httpRequest("GET", target, headers);
}

inline bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size()
        && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x))
                   == std::tolower(static_cast<unsigned char>(y));
           });
}

struct HttpResponse {
    std::string statusLine;
    std::string version; // "HTTP/1.1"
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first value of header `name` (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const
    {
        for (const auto& [n, v] : headers)
            if (equalsIgnoreCase(n, name))
                return v;
        return {};
    }
    bool hasHeader(std::string_view name) const { return headerCount(name) > 0; }
    int headerCount(std::string_view name) const
    {
        return int(std::count_if(headers.begin(), headers.end(),
                                 [&](const auto& h) { return equalsIgnoreCase(h.first, name); }));
    }
    bool closes() const { return equalsIgnoreCase(header("Connection"), "close"); }
};

enum class ReadResult {
    Ok,        // a whole response was read
    Closed,    // the peer closed (or reset) before a whole response arrived
    Timeout,   // nothing more arrived in time
    Malformed, // the bytes are not an HTTP/1.x response
};

inline const char* toString(ReadResult r)
{
    switch (r) {
    case ReadResult::Ok: return "ok";
    case ReadResult::Closed: return "connection closed before a whole response";
    case ReadResult::Timeout: return "timed out waiting for a response";
    case ReadResult::Malformed: return "malformed response";
    }
    return "?";
}

// Reads HTTP/1.x responses from one socket. Bytes past the end of one response stay buffered
// for the next, so pipelined and keep-alive responses are split exactly; any stray byte (a body
// sent after a HEAD or a 304, say) shows up as a malformed next response.
class ResponseReader {
public:
    explicit ResponseReader(int fd) : m_fd(fd) {}

    // Reads one whole response. `headRequest`: it answers a HEAD, so it has no body whatever
    // its Content-Length says. The timeout bounds each wait for more bytes.
    ReadResult read(HttpResponse& out, bool headRequest = false, milliseconds timeout = kDefaultTimeout)
    {
        if (ReadResult r = readHead(out, timeout); r != ReadResult::Ok)
            return r;
        if (!hasBody(out, headRequest))
            return ReadResult::Ok;
        const std::string cl = out.header("Content-Length");
        if (cl.empty())
            return readBodyUntilClose(out, timeout);
        return readBody(std::strtoull(cl.c_str(), nullptr, 10),
                        [&](std::string_view piece) { out.body.append(piece); }, timeout);
    }

    // Reads the status line and headers only (for streaming a big body with readBody()).
    ReadResult readHead(HttpResponse& out, milliseconds timeout = kDefaultTimeout)
    {
        out = HttpResponse{};
        std::size_t end;
        while ((end = m_buf.find("\r\n\r\n")) == std::string::npos) {
            if (m_buf.size() > 1 << 20)
                return ReadResult::Malformed;
            if (ReadResult r = fill(timeout); r != ReadResult::Ok)
                return r;
        }
        const std::string head = m_buf.substr(0, end + 2);
        m_buf.erase(0, end + 4);
        return parseHead(head, out) ? ReadResult::Ok : ReadResult::Malformed;
    }

    // Passes exactly `length` body bytes to `sink` as they arrive, keeping none of them (so a
    // gigabyte body costs one buffer). `timeout` bounds each wait for more bytes.
    template <class Sink>
    ReadResult readBody(std::uint64_t length, Sink&& sink, milliseconds timeout = kDefaultTimeout)
    {
        while (length > 0) {
            if (m_buf.empty()) {
                if (ReadResult r = fill(timeout); r != ReadResult::Ok)
                    return r;
            }
            const std::size_t take = std::size_t(std::min<std::uint64_t>(length, m_buf.size()));
            sink(std::string_view(m_buf).substr(0, take));
            m_buf.erase(0, take);
            length -= take;
        }
        return ReadResult::Ok;
    }

    // True when the peer closes (EOF or reset) within `timeout`. Bytes that arrive meanwhile are
    // kept in buffered(), so a caller can also check that nothing more was sent.
    bool waitForClose(milliseconds timeout = kDefaultTimeout)
    {
        const auto deadline = Clock::now() + timeout;
        while (!m_closed && Clock::now() < deadline)
            fill(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
        return m_closed;
    }

    // True when the socket is still open and nothing is waiting after `quiet`.
    bool staysOpen(milliseconds quiet)
    {
        const ReadResult r = fill(quiet);
        return r == ReadResult::Timeout && m_buf.empty();
    }

    const std::string& buffered() const { return m_buf; }
    bool closed() const { return m_closed; }
    // recv() failed with ECONNRESET (rather than a clean EOF).
    bool wasReset() const { return m_reset; }

private:
    static bool hasBody(const HttpResponse& r, bool headRequest)
    {
        return !headRequest && r.status >= 200 && r.status != 204 && r.status != 304;
    }

    static bool parseHead(const std::string& head, HttpResponse& out)
    {
        std::size_t lineEnd = head.find("\r\n");
        out.statusLine = head.substr(0, lineEnd);
        if (out.statusLine.size() < 12 || out.statusLine.compare(0, 7, "HTTP/1.") != 0
            || out.statusLine[8] != ' ')
            return false;
        out.version = out.statusLine.substr(0, 8);
        out.status = std::atoi(out.statusLine.c_str() + 9);
        for (std::size_t pos = lineEnd + 2; pos < head.size();) {
            const std::size_t next = head.find("\r\n", pos);
            const std::string line = head.substr(pos, next - pos);
            const std::size_t colon = line.find(':');
            if (colon == std::string::npos || colon == 0)
                return false;
            out.headers.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
            pos = next + 2;
        }
        return out.status >= 100 && out.status <= 599;
    }

    static std::string trim(std::string s)
    {
        const auto notSpace = [](char c) { return c != ' ' && c != '\t'; };
        s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
        s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
        return s;
    }

    ReadResult readBodyUntilClose(HttpResponse& out, milliseconds timeout)
    {
        while (!m_closed) {
            if (ReadResult r = fill(timeout); r == ReadResult::Timeout)
                return r;
        }
        out.body += m_buf;
        m_buf.clear();
        return ReadResult::Ok;
    }

    // One recv() into the buffer, waiting at most `timeout` for it.
    ReadResult fill(milliseconds timeout)
    {
        if (m_closed)
            return ReadResult::Closed;
        pollfd p{m_fd, POLLIN, 0};
        const int ms = int(std::clamp<long long>(timeout.count(), 0, 60'000));
        if (::poll(&p, 1, ms) <= 0)
            return ReadResult::Timeout;
        char chunk[65536];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            m_buf.append(chunk, std::size_t(n));
            return ReadResult::Ok;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return ReadResult::Ok;
        m_closed = true;
        m_reset = n < 0 && errno == ECONNRESET;
        return ReadResult::Closed;
    }

    int m_fd;
    std::string m_buf;
    bool m_closed = false;
    bool m_reset = false;
};

// One request on a new connection: connect, send `request`, read one response. Returns the
// result; `out.status` stays 0 when no response could be read.
inline ReadResult fetch(std::uint16_t port, std::string_view request, HttpResponse& out,
                        bool headRequest = false, milliseconds timeout = kDefaultTimeout)
{
    out = HttpResponse{};
    Fd fd(connectLoopback(port));
    if (!fd.valid() || !sendAll(fd.get(), request))
        return ReadResult::Closed;
    ResponseReader reader(fd.get());
    return reader.read(out, headRequest, timeout);
}

// ---------------------------------------------------------------------------------------------
// Files

inline bool writeFile(const std::string& path, std::string_view content)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(content.data(), std::streamsize(content.size()));
    return bool(f);
}

// A sparse file of `size` bytes (all zeros, almost no disk blocks).
inline bool makeSparseFile(const std::string& path, std::uint64_t size)
{
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    return fd.valid() && ::ftruncate(fd.get(), off_t(size)) == 0;
}

// `size` bytes of a deterministic, non-repeating-looking pattern (so a misplaced chunk is
// caught by a byte comparison).
inline std::string patternBytes(std::size_t size, std::uint32_t seed = 12345)
{
    std::string s(size, '\0');
    std::uint32_t x = seed ? seed : 1;
    for (char& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = char(x & 0xff);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Process metrics (the server runs in-process, so these include it)

// Entries of /proc/self/fd with their targets ("5 -> socket:[1234]"), for leak diagnostics.
inline std::vector<std::string> openFds()
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        std::error_code linkEc;
        const auto target = std::filesystem::read_symlink(e.path(), linkEc);
        out.push_back(e.path().filename().string() + " -> " + target.string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

inline std::size_t openFdCount()
{
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

// Resident set size of this process in KiB (VmRSS of /proc/self/status), 0 if unknown.
inline std::uint64_t vmRssKiB()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtoull(line.c_str() + 6, nullptr, 10);
    return 0;
}

// User plus system CPU time of the whole process (every thread), in seconds.
inline double processCpuSeconds()
{
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// ---------------------------------------------------------------------------------------------
// Records

// Everything drained from a Recorder so far, in order.
class EventLog {
public:
    explicit EventLog(Recorder& recorder) : m_recorder(recorder) {}

    // Moves every waiting record into the log.
    const std::vector<EventRecord>& drain()
    {
        EventRecord buf[1024];
        while (std::size_t n = m_recorder.drain(buf, std::size(buf)))
            m_records.insert(m_records.end(), buf, buf + n);
        return m_records;
    }

    // Drains until some record satisfies `match` or `timeout` passes (the loop records
    // asynchronously: a client can see a close before the loop has recorded it).
    bool waitFor(const std::function<bool(const EventRecord&)>& match,
                 milliseconds timeout = kDefaultTimeout)
    {
        return waitUntil([&] {
            drain();
            return std::any_of(m_records.begin(), m_records.end(), match);
        }, timeout);
    }

    // The records of one connection, in order.
    std::vector<EventRecord> forConnection(std::uint32_t conn) const
    {
        std::vector<EventRecord> out;
        for (const EventRecord& r : m_records)
            if (r.conn == conn)
                out.push_back(r);
        return out;
    }

    // The id of the connection whose ConnectionAccepted names `peerPort` (0 if none yet).
    std::uint32_t connectionForPeerPort(std::uint16_t peerPort) const
    {
        for (const EventRecord& r : m_records)
            if (r.kind == EventKind::ConnectionAccepted && r.arg == peerPort)
                return r.conn;
        return 0;
    }

    const std::vector<EventRecord>& records() const { return m_records; }
    void clear() { m_records.clear(); }

private:
    Recorder& m_recorder;
    std::vector<EventRecord> m_records;
};

// "RequestHeadersRead ReadingHeaders->FetchingFile arg=1 aux=1", for failure messages.
inline std::string describe(const EventRecord& r)
{
    std::string s = toString(r.kind);
    if (r.kind == EventKind::RequestText)
        return s + " \"" + std::string(textOf(r)) + "\"";
    s += std::string(" ") + toString(r.from) + "->" + toString(r.to);
    s += " conn=" + std::to_string(r.conn) + " arg=" + std::to_string(r.arg)
        + " aux=" + std::to_string(r.aux);
    return s;
}

inline std::string describe(const std::vector<EventRecord>& records)
{
    std::string s;
    for (const EventRecord& r : records)
        s += "\n    " + describe(r);
    return s;
}

} // namespace loopscope::test
