// Trace export: Chrome Trace Event JSON (plain and gzipped) and CSV, written through the public
// TraceSink API and read back.
//  - a small hand-built session is compared byte for byte with golden files in tests/data
//    (regenerate with LOOPSCOPE_UPDATE_GOLDEN=1 after an intended format change), and its
//    meaning is checked independently of the golden files;
//  - a large synthetic session (10,000 interleaved connections, over a million records) is
//    exported to .json and .json.gz and parsed back with QJsonDocument: every connection's state
//    spans, requests, disk reads and their nesting are compared with what the generator did;
//  - CSV is parsed back per RFC 4180 and compared with the records field by field;
//  - the GUI's own records (events, work, loop delay, iterations) and file cache hits show on
//    their tracks and in words, including GUI spans recorded out of order;
//  - random and mutated record sequences must always give valid, properly nested JSON.
#include "core/event_record.h"
#include "trace/chrome_trace_writer.h"
#include "trace/csv_trace_writer.h"
#include "trace/record_detail.h"
#include "trace/request_assembler.h"
#include "trace/trace_sink.h"
#include "trace/trace_text.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>

using namespace loopscope;
using S = ConnectionState;
using K = EventKind;

namespace {

// ================================ Records ======================================================

EventRecord record(K kind, std::int64_t t, std::uint32_t conn = 0, S from = S::None, S to = S::None,
                   std::uint64_t arg = 0, std::uint32_t aux = 0)
{
    EventRecord r;
    r.t_ns = t;
    r.kind = kind;
    r.conn = conn;
    r.from = from;
    r.to = to;
    r.arg = arg;
    r.aux = aux;
    return r;
}

// A record of the GUI's own loop, as GuiLoopProbe and TraceConsumer make them.
EventRecord guiRecord(K kind, std::int64_t t, std::uint64_t arg = 0, std::uint32_t aux = 0)
{
    EventRecord r = record(kind, t, 0, S::None, S::None, arg, aux);
    r.thread = kGuiThread;
    return r;
}

// The RequestText side records the Recorder writes after a RequestHeadersRead.
void appendText(std::vector<EventRecord>& out, std::uint32_t conn, std::string_view text)
{
    do {
        const std::string_view piece = text.substr(0, kTextBytesPerRecord);
        text.remove_prefix(piece.size());
        out.push_back(makeTextRecord(conn, piece, text.empty()));
    } while (!text.empty());
}

bool isStateName(const QString& name)
{
    for (int s = 1; s < kConnectionStateCount - 1; ++s)
        if (name == QLatin1String(toString(static_cast<S>(s))))
            return true;
    return false;
}

// ================================ Files ========================================================

QByteArray readFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray gunzip(const QByteArray& in)
{
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return {};
    QByteArray out;
    out.reserve(in.size() * 8);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(in.size());
    int ret = Z_OK;
    constexpr qsizetype kChunk = 1 << 20;
    while (ret == Z_OK) {
        out.resize(out.size() + kChunk);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + out.size() - kChunk);
        zs.avail_out = uInt(kChunk);
        ret = inflate(&zs, Z_NO_FLUSH);
        out.resize(out.size() - qsizetype(zs.avail_out));
    }
    inflateEnd(&zs);
    return ret == Z_STREAM_END ? out : QByteArray();
}

// Exports through the public API in batches of random size, as a draining consumer would.
// Returns the error sentence, or an empty string on success.
QString exportTrace(const QString& path, const std::vector<EventRecord>& records, const TraceInfo& info,
                    std::uint64_t batchSeed = 1)
{
    TraceFormat format;
    if (!traceFormatForPath(path.toStdString(), format))
        return "no format for " + path;
    std::string error;
    auto sink = openTraceSink(path.toStdString(), format, info, error);
    if (!sink)
        return QString::fromStdString(error);
    std::mt19937_64 rng(batchSeed);
    for (std::size_t i = 0; i < records.size();) {
        const std::size_t n = std::min<std::size_t>(records.size() - i, 1 + rng() % 4096);
        sink->write(records.data() + i, n);
        i += n;
    }
    return sink->finish(info, error) ? QString() : QString::fromStdString(error);
}

// ================================ The small, hand-built session ================================

TraceInfo smallInfo()
{
    TraceInfo info;
    info.processName = "loopscope-server";
    info.documentRoot = "/srv/www";
    info.listenAddress = "127.0.0.1:8080";
    info.droppedRecords = 3;
    return info;
}

constexpr const char* kSecondTarget = "/docs/a \"quoted\", long path.html";

// One keep-alive connection with two requests (200, then 404 from a failed disk read, then an
// idle timeout), one connection whose request is rejected with 400, one whose request is
// served from the file cache, and the GUI's records as its drain appends them (late, and a
// drain's work before the timer event that ran it).
std::vector<EventRecord> smallSession()
{
    constexpr std::int64_t t0 = 1'000'000'000;
    const std::uint32_t localhost = 0x7f000001;
    std::vector<EventRecord> r;
    r.push_back(record(K::ServerStarted, t0, 0, S::None, S::None, 8080, 1024));
    r.push_back(record(K::LoopPollBegin, t0 + 1'000, 0, S::None, S::None, UINT64_MAX));
    r.push_back(record(K::LoopPollEnd, t0 + 50'000, 0, S::None, S::None, 1));
    r.push_back(record(K::ConnectionAccepted, t0 + 51'000, 1, S::None, S::Accepted, 54321, localhost));
    r.push_back(record(K::LoopPollBegin, t0 + 52'000, 0, S::None, S::None, 5000));
    r.push_back(record(K::LoopPollEnd, t0 + 80'000, 0, S::None, S::None, 1));
    r.push_back(record(K::BytesRead, t0 + 81'000, 1, S::Accepted, S::ReadingHeaders, 78));
    r.push_back(record(K::RequestHeadersRead, t0 + 82'000, 1, S::ReadingHeaders, S::FetchingFile, 1, 1));
    appendText(r, 1, "/index.html");
    r.push_back(record(K::ConnectionAccepted, t0 + 83'000, 2, S::None, S::Accepted, 54322, localhost));
    r.push_back(record(K::LoopPollBegin, t0 + 84'000, 0, S::None, S::None, 5000));
    r.push_back(record(K::LoopPollEnd, t0 + 120'000, 0, S::None, S::None, 2));
    r.push_back(record(K::DiskReadStarted, t0 + 85'000, 1, S::FetchingFile, S::FetchingFile, 0, 0));
    r.push_back(record(K::DiskReadDone, t0 + 110'000, 1, S::FetchingFile, S::WritingHeaders, 1234, 0));
    r.push_back(record(K::ResponseHeadersWritten, t0 + 121'000, 1, S::WritingHeaders, S::WritingBody, 200, 150));
    r.push_back(record(K::BodyBytesWritten, t0 + 122'000, 1, S::WritingBody, S::WritingBody, 1234));
    r.push_back(record(K::BodyWritten, t0 + 123'000, 1, S::WritingBody, S::KeepAlive, 1234));
    r.push_back(record(K::KeepAlive, t0 + 123'500, 1, S::KeepAlive, S::KeepAlive, 1));
    r.push_back(record(K::BytesRead, t0 + 124'000, 2, S::Accepted, S::ReadingHeaders, 20));
    r.push_back(record(K::RequestRejected, t0 + 125'000, 2, S::ReadingHeaders, S::WritingHeaders, 400));
    r.push_back(record(K::ResponseHeadersWritten, t0 + 126'000, 2, S::WritingHeaders, S::WritingBody, 400, 120));
    r.push_back(record(K::BodyBytesWritten, t0 + 127'000, 2, S::WritingBody, S::WritingBody, 50));
    r.push_back(record(K::BodyWritten, t0 + 128'000, 2, S::WritingBody, S::WritingBody, 50));
    r.push_back(record(K::ConnectionClosed, t0 + 129'000, 2, S::WritingBody, S::Closed,
                       std::uint64_t(CloseReason::Rejected)));
    r.push_back(record(K::ConnectionAccepted, t0 + 129'500, 3, S::None, S::Accepted, 54323, localhost));
    r.push_back(record(K::LoopPollBegin, t0 + 130'000, 0, S::None, S::None, 5000));
    r.push_back(record(K::RecordsDropped, t0 + 131'000, 0, S::None, S::None, 3));
    r.push_back(record(K::LoopPollEnd, t0 + 200'000, 0, S::None, S::None, 2));
    r.push_back(record(K::BytesRead, t0 + 200'300, 3, S::Accepted, S::ReadingHeaders, 70));
    r.push_back(record(K::RequestHeadersRead, t0 + 200'400, 3, S::ReadingHeaders, S::FetchingFile, 1, 1));
    appendText(r, 3, "/hot.css");
    // The engine records a hit at the same instant as the request: FetchingFile takes no time.
    r.push_back(record(K::FileCacheHit, t0 + 200'400, 3, S::FetchingFile, S::WritingHeaders, 1024));
    r.push_back(record(K::ResponseHeadersWritten, t0 + 200'500, 3, S::WritingHeaders, S::WritingBody, 200, 130));
    r.push_back(record(K::BodyBytesWritten, t0 + 200'600, 3, S::WritingBody, S::WritingBody, 1024));
    r.push_back(record(K::BodyWritten, t0 + 200'700, 3, S::WritingBody, S::KeepAlive, 1024));
    r.push_back(record(K::KeepAlive, t0 + 200'800, 3, S::KeepAlive, S::KeepAlive, 1));
    r.push_back(record(K::BytesRead, t0 + 201'000, 1, S::KeepAlive, S::ReadingHeaders, 80));
    r.push_back(record(K::RequestHeadersRead, t0 + 202'000, 1, S::ReadingHeaders, S::FetchingFile, 2, 1));
    appendText(r, 1, kSecondTarget);
    r.push_back(record(K::LoopPollBegin, t0 + 203'000, 0, S::None, S::None, 5000));
    r.push_back(record(K::LoopPollEnd, t0 + 260'000, 0, S::None, S::None, 1));
    r.push_back(record(K::DiskReadStarted, t0 + 204'000, 1, S::FetchingFile, S::FetchingFile, 0, 1));
    r.push_back(record(K::DiskReadDone, t0 + 250'000, 1, S::FetchingFile, S::WritingHeaders, 0, ENOENT));
    r.push_back(record(K::ResponseHeadersWritten, t0 + 261'000, 1, S::WritingHeaders, S::WritingBody, 404, 140));
    r.push_back(record(K::BodyWritten, t0 + 262'000, 1, S::WritingBody, S::KeepAlive, 0));
    r.push_back(record(K::KeepAlive, t0 + 263'000, 1, S::KeepAlive, S::KeepAlive, 2));
    r.push_back(guiRecord(K::GuiWork, t0 + 140'000, 20'000, std::uint32_t(GuiWorkKind::Drain)));
    r.push_back(guiRecord(K::GuiEventHandled, t0 + 139'000, 25'000, 1)); // QEvent::Timer
    r.push_back(guiRecord(K::GuiLoopAboutToBlock, t0 + 165'000, 1));
    r.push_back(guiRecord(K::GuiLoopAwake, t0 + 180'000, 1));
    r.push_back(guiRecord(K::GuiLoopDelay, t0 + 180'500, 3'100'000));
    r.push_back(guiRecord(K::GuiEventHandled, t0 + 181'000, 340'000, 12)); // QEvent::Paint
    r.push_back(guiRecord(K::GuiWork, t0 + 181'000, 300'000, std::uint32_t(GuiWorkKind::Paint)));
    r.push_back(guiRecord(K::GuiWork, t0 + 200'000, 100'000, std::uint32_t(GuiWorkKind::Charts)));
    r.push_back(guiRecord(K::GuiLoopAboutToBlock, t0 + 530'000, 2));
    r.push_back(record(K::LoopPollBegin, t0 + 264'000, 0, S::None, S::None, 5000));
    r.push_back(record(K::LoopPollEnd, t0 + 5'264'000, 0, S::None, S::None, 1));
    r.push_back(record(K::TimedOut, t0 + 5'265'000, 1, S::KeepAlive, S::KeepAlive,
                       std::uint64_t(TimeoutKind::KeepAliveIdle)));
    r.push_back(record(K::ConnectionClosed, t0 + 5'265'500, 3, S::KeepAlive, S::Closed,
                       std::uint64_t(CloseReason::PeerClosed)));
    r.push_back(record(K::ConnectionClosed, t0 + 5'266'000, 1, S::KeepAlive, S::Closed,
                       std::uint64_t(CloseReason::TimedOut)));
    r.push_back(record(K::LoopPollBegin, t0 + 5'267'000, 0, S::None, S::None, UINT64_MAX));
    return r;
}

// ================================ A large synthetic session ====================================

struct ExpectedRequest {
    QString name;
    QString method;
    QString path;
    std::uint64_t number = 0;
    bool rejected = false;
    bool hasStatus = false;
    std::uint64_t status = 0;
    bool hasBytes = false;
    std::uint64_t bytes = 0;
    QString cache; // request span arg "cache": "hit", "disk" or absent (empty)
};

struct ExpectedConnection {
    std::vector<S> states;
    std::vector<ExpectedRequest> requests;
    std::vector<std::string> targets; // raw bytes, per non-rejected request
    int diskReads = 0;
};

// Simulates an event loop serving many interleaved keep-alive connections and remembers, per
// connection, what a reader of the trace must find: state spans in order, requests, disk reads.
// Every timestamp step is at least 100 ns, so only designed spans share a start time.
class SyntheticSession {
public:
    struct Options {
        int connections = 100;
        int maxLive = 64;
        std::uint64_t seed = 1;
        bool trickyPaths = true;
        bool gui = true; // the GUI's own records, appended late as the drain does
    };

    explicit SyntheticSession(const Options& options);

    std::vector<EventRecord> records;
    std::map<std::uint32_t, ExpectedConnection> expected;
    std::uint64_t dropped = 0;
    int dropRecords = 0;
    int pollBegins = 0;
    int pollEnds = 0;
    int openAtEnd = 0;
    int maxLive = 0;
    int cacheHits = 0;
    int guiEvents = 0; // GuiEventHandled records
    int guiWork = 0;   // GuiWork records
    int guiDelays = 0; // GuiLoopDelay records

private:
    enum class Phase { RequestBytes, MoreBytes, Headers, DiskDone, ResponseHeaders, BodyChunk, ExtraDisk,
                       BodyDone, IdleEnd, Reject, RejectHeaders, RejectBody, RejectClose, Dead };
    struct Live {
        std::uint32_t conn = 0;
        S state = S::None;
        Phase phase = Phase::RequestBytes;
        std::int64_t readyAt = 0;
        int requestsLeft = 1;
        std::uint64_t requestNo = 0;
        bool rejectFirst = false;
        bool closeAfterLast = false;
        bool notFound = false;
        bool cacheHit = false;
        HttpMethod method = HttpMethod::Get;
        int chunksLeft = 0;
        std::uint64_t fileBytes = 0;
        std::uint64_t offset = 0;
        std::int64_t diskStart = 0;
        std::int64_t diskEnd = 0;
    };

    std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + std::int64_t(m_rng() % std::uint64_t(hi - lo + 1)); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(m_rng) < p; }
    std::int64_t tick() { return m_now += between(100, 3000); }

    void pollCycle();
    void guiActivity();
    void accept();
    void step(Live& c);
    void stepRequest(Live& c);
    void stepResponse(Live& c);
    void stepReject(Live& c);
    void finishBody(Live& c);
    void recordFor(Live& c, K kind, std::int64_t t, S to, std::uint64_t arg = 0, std::uint32_t aux = 0);
    void recordDiskRead(Live& c, S to, std::uint64_t bytes, std::uint32_t err);
    std::string makeTarget();

    Options m_options;
    std::mt19937_64 m_rng;
    std::int64_t m_now = 5'000'000'000;
    int m_created = 0;
    std::vector<Live> m_live;
    std::int64_t m_guiNow = 0;
};

SyntheticSession::SyntheticSession(const Options& options)
    : m_options(options)
    , m_rng(options.seed)
{
    records.reserve(std::size_t(options.connections) * 130);
    while (m_created < m_options.connections || int(m_live.size()) > m_options.maxLive / 4) {
        if (m_created >= m_options.connections && m_live.empty())
            break;
        pollCycle();
    }
    // The loop ends waiting: its epoll_wait is still open when the trace is finished.
    records.push_back(record(K::LoopPollBegin, tick(), 0, S::None, S::None, UINT64_MAX));
    ++pollBegins;
    openAtEnd = int(m_live.size());
}

void SyntheticSession::pollCycle()
{
    records.push_back(record(K::LoopPollBegin, tick(), 0, S::None, S::None,
                             chance(0.1) ? UINT64_MAX : std::uint64_t(between(1, 1000))));
    ++pollBegins;
    const bool canAccept = m_created < m_options.connections && int(m_live.size()) < m_options.maxLive;
    std::int64_t wake = m_now + between(1'000, 30'000);
    if (!canAccept && !m_live.empty()) {
        std::int64_t next = m_live.front().readyAt;
        for (const Live& c : m_live)
            next = std::min(next, c.readyAt);
        wake = std::max(wake, next);
    }
    m_now = wake;
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < m_live.size(); ++i)
        if (m_live[i].readyAt <= m_now)
            ready.push_back(i);
    std::shuffle(ready.begin(), ready.end(), m_rng);
    ready.resize(std::min<std::size_t>(ready.size(), std::size_t(between(1, 8))));
    const int accepts = canAccept ? int(std::min<std::int64_t>(
                            {between(0, 3), m_options.connections - m_created,
                             m_options.maxLive - std::int64_t(m_live.size())}))
                                  : 0;
    records.push_back(record(K::LoopPollEnd, tick(), 0, S::None, S::None, ready.size() + (accepts > 0)));
    ++pollEnds;
    for (std::size_t i : ready)
        step(m_live[i]);
    for (int i = 0; i < accepts; ++i)
        accept();
    maxLive = std::max(maxLive, int(m_live.size()));
    m_live.erase(std::remove_if(m_live.begin(), m_live.end(), [](const Live& c) { return c.phase == Phase::Dead; }),
                 m_live.end());
    if (m_options.gui && chance(0.3))
        guiActivity();
    if (chance(1.0 / 400)) {
        const std::uint64_t n = std::uint64_t(between(1, 50));
        records.push_back(record(K::RecordsDropped, tick(), 0, S::None, S::None, n));
        dropped += n;
        ++dropRecords;
    }
}

// One GUI event with its work, as the drain appends them: a little in the past, a drain's work
// before the timer event that ran it, a paint's work (with charts inside) after its event and
// starting with it. Then the loop blocks and wakes, and now and then the heartbeat is late.
void SyntheticSession::guiActivity()
{
    using W = GuiWorkKind;
    const std::int64_t eventStart = std::max(m_guiNow, m_now - 40'000) + between(100, 2'000);
    const bool paint = chance(0.3);
    const std::int64_t workStart = paint ? eventStart : eventStart + between(100, 1'000);
    const std::int64_t workDur = between(100, 20'000);
    const std::int64_t eventEnd = workStart + workDur + between(0, 1'000);
    const EventRecord work = guiRecord(K::GuiWork, workStart, std::uint64_t(workDur),
                                       std::uint32_t(paint ? W::Paint : W::Drain));
    const EventRecord event = guiRecord(K::GuiEventHandled, eventStart, std::uint64_t(eventEnd - eventStart),
                                        paint ? 12 : 1);
    if (paint) {
        records.push_back(event);
        records.push_back(work);
        if (workDur > 300 && chance(0.5)) {
            records.push_back(guiRecord(K::GuiWork, workStart + 100, std::uint64_t(between(0, workDur - 200)),
                                        std::uint32_t(W::Charts)));
            ++guiWork;
        }
    } else {
        records.push_back(work);
        records.push_back(event);
    }
    ++guiEvents;
    ++guiWork;
    const std::uint64_t iteration = std::uint64_t(guiEvents);
    records.push_back(guiRecord(K::GuiLoopAboutToBlock, eventEnd + 100, iteration));
    records.push_back(guiRecord(K::GuiLoopAwake, eventEnd + 200, iteration));
    m_guiNow = eventEnd + 300;
    if (chance(0.2)) {
        records.push_back(guiRecord(K::GuiLoopDelay, m_guiNow, std::uint64_t(between(0, 5'000'000))));
        ++guiDelays;
        m_guiNow += 100;
    }
}

void SyntheticSession::accept()
{
    Live c;
    c.conn = std::uint32_t(++m_created);
    c.requestsLeft = int(between(1, 13));
    c.rejectFirst = chance(0.05);
    c.closeAfterLast = chance(0.4);
    recordFor(c, K::ConnectionAccepted, tick(), S::Accepted, std::uint64_t(between(1024, 65535)), 0x7f000001);
    c.readyAt = m_now + between(1'000, 50'000);
    m_live.push_back(c);
}

void SyntheticSession::recordFor(Live& c, K kind, std::int64_t t, S to, std::uint64_t arg, std::uint32_t aux)
{
    records.push_back(record(kind, t, c.conn, c.state, to, arg, aux));
    if (to != c.state && to != S::Closed)
        expected[c.conn].states.push_back(to);
    c.state = to;
}

// DiskReadStarted and DiskReadDone carry the worker's own times; the loop records them later.
void SyntheticSession::recordDiskRead(Live& c, S to, std::uint64_t bytes, std::uint32_t err)
{
    recordFor(c, K::DiskReadStarted, c.diskStart, c.state, c.offset, std::uint32_t(c.conn % 4));
    recordFor(c, K::DiskReadDone, c.diskEnd, to, bytes, err);
    c.offset += bytes;
    ++expected[c.conn].diskReads;
}

std::string SyntheticSession::makeTarget()
{
    static const char* const kTricky[] = {" ", "\"", "\\", ",", "\x01", "\xff", "\xc3\xa9", "\n", "\r\n", "%2e%2e"};
    std::string target = chance(0.5) ? "/static/" : "/docs/";
    const int n = int(between(3, 24));
    for (int i = 0; i < n; ++i)
        target += "abcdefghijklmnopqrstuvwxyz0123456789"[m_rng() % 36];
    target += chance(0.5) ? ".html" : ".css";
    if (m_options.trickyPaths && chance(0.03))
        target.insert(std::size_t(between(1, std::int64_t(target.size()))), kTricky[m_rng() % std::size(kTricky)]);
    return target;
}

void SyntheticSession::step(Live& c)
{
    switch (c.phase) {
    case Phase::RequestBytes:
    case Phase::MoreBytes:
    case Phase::Headers:
        stepRequest(c);
        break;
    case Phase::DiskDone:
    case Phase::ResponseHeaders:
    case Phase::BodyChunk:
    case Phase::ExtraDisk:
        stepResponse(c);
        break;
    case Phase::BodyDone:
        finishBody(c);
        break;
    case Phase::IdleEnd:
        if (chance(0.5)) {
            recordFor(c, K::TimedOut, tick(), c.state, std::uint64_t(TimeoutKind::KeepAliveIdle));
            recordFor(c, K::ConnectionClosed, tick(), S::Closed, std::uint64_t(CloseReason::TimedOut));
        } else {
            recordFor(c, K::ConnectionClosed, tick(), S::Closed, std::uint64_t(CloseReason::PeerClosed));
        }
        c.phase = Phase::Dead;
        break;
    case Phase::Reject:
    case Phase::RejectHeaders:
    case Phase::RejectBody:
    case Phase::RejectClose:
        stepReject(c);
        break;
    case Phase::Dead:
        break;
    }
}

void SyntheticSession::stepRequest(Live& c)
{
    const bool reject = c.rejectFirst && c.requestNo == 0;
    if (c.phase == Phase::RequestBytes || c.phase == Phase::MoreBytes) {
        recordFor(c, K::BytesRead, tick(), S::ReadingHeaders, std::uint64_t(between(20, 600)));
        const bool partial = c.phase == Phase::RequestBytes && chance(0.2);
        c.phase = partial ? Phase::MoreBytes : reject ? Phase::Reject : Phase::Headers;
        c.readyAt = m_now + between(500, 20'000);
        return;
    }
    ++c.requestNo;
    static const HttpMethod kMethods[] = {HttpMethod::Get, HttpMethod::Get, HttpMethod::Get, HttpMethod::Head,
                                          HttpMethod::Post, HttpMethod::Other};
    c.method = kMethods[m_rng() % std::size(kMethods)];
    c.notFound = chance(0.1);
    c.fileBytes = c.notFound || c.method == HttpMethod::Head ? 0 : std::uint64_t(between(100, 2'000'000));
    c.offset = 0;
    const std::string target = makeTarget();
    recordFor(c, K::RequestHeadersRead, tick(), S::FetchingFile, c.requestNo, std::uint32_t(c.method));
    appendText(records, c.conn, target);
    c.cacheHit = !c.notFound && chance(0.2);
    ExpectedRequest req;
    req.cache = c.cacheHit ? "hit" : ""; // "disk" once the read is recorded
    req.method = QLatin1String(toString(c.method));
    req.path = QString::fromUtf8(target.data(), qsizetype(target.size()));
    req.name = req.method + ' ' + req.path;
    req.number = c.requestNo;
    expected[c.conn].requests.push_back(req);
    expected[c.conn].targets.push_back(target);
    if (c.cacheHit) { // recorded at the request's instant, no disk worker
        recordFor(c, K::FileCacheHit, m_now, S::WritingHeaders, c.fileBytes);
        ++cacheHits;
        c.readyAt = m_now + between(200, 20'000);
        c.phase = Phase::ResponseHeaders;
        return;
    }
    c.diskStart = m_now + between(1'000, 20'000);
    c.diskEnd = c.diskStart + between(1'000, 80'000);
    c.readyAt = c.diskEnd;
    c.phase = Phase::DiskDone;
}

void SyntheticSession::stepResponse(Live& c)
{
    ExpectedRequest& req = expected[c.conn].requests.back();
    switch (c.phase) {
    case Phase::DiskDone:
        req.cache = "disk";
        recordDiskRead(c, S::WritingHeaders, std::min<std::uint64_t>(c.fileBytes, 65536), c.notFound ? ENOENT : 0);
        c.phase = Phase::ResponseHeaders;
        break;
    case Phase::ResponseHeaders:
        req.hasStatus = true;
        req.status = c.notFound ? 404 : 200;
        recordFor(c, K::ResponseHeadersWritten, tick(), S::WritingBody, req.status, 150);
        c.chunksLeft = c.fileBytes == 0 ? 0 : int(between(1, 4));
        c.phase = c.chunksLeft ? Phase::BodyChunk : Phase::BodyDone;
        break;
    case Phase::BodyChunk:
        recordFor(c, K::BodyBytesWritten, tick(), c.state, c.fileBytes / 4 + 1);
        --c.chunksLeft;
        // A cached file is all in memory: no further reads.
        c.phase = c.chunksLeft == 0                  ? Phase::BodyDone
                  : !c.cacheHit && chance(0.3) ? Phase::ExtraDisk
                                               : Phase::BodyChunk;
        if (c.phase == Phase::ExtraDisk) {
            c.diskStart = m_now + between(500, 5'000);
            c.diskEnd = c.diskStart + between(1'000, 50'000);
            c.readyAt = c.diskEnd;
            return;
        }
        break;
    case Phase::ExtraDisk:
        recordDiskRead(c, c.state, 65536, 0);
        c.phase = Phase::BodyChunk;
        break;
    default:
        break;
    }
    c.readyAt = m_now + between(200, 20'000);
}

void SyntheticSession::finishBody(Live& c)
{
    ExpectedRequest& req = expected[c.conn].requests.back();
    req.hasBytes = true;
    req.bytes = c.fileBytes;
    const bool last = --c.requestsLeft == 0;
    if (last && c.closeAfterLast) {
        // The connection will close: the state stays WritingBody, so the request span ends and
        // the rest of WritingBody continues outside it.
        recordFor(c, K::BodyWritten, tick(), c.state, c.fileBytes);
        expected[c.conn].states.push_back(S::WritingBody);
        recordFor(c, K::ConnectionClosed, tick(), S::Closed, std::uint64_t(CloseReason::Done));
        c.phase = Phase::Dead;
        return;
    }
    recordFor(c, K::BodyWritten, tick(), S::KeepAlive, c.fileBytes);
    recordFor(c, K::KeepAlive, tick(), c.state, c.requestNo);
    c.phase = last ? Phase::IdleEnd : Phase::RequestBytes;
    c.readyAt = m_now + (last ? between(50'000, 2'000'000) : between(5'000, 500'000));
}

void SyntheticSession::stepReject(Live& c)
{
    switch (c.phase) {
    case Phase::Reject: {
        recordFor(c, K::RequestRejected, tick(), S::WritingHeaders, 400);
        ExpectedRequest req;
        req.name = "rejected 400";
        req.rejected = true;
        req.hasStatus = true;
        req.status = 400;
        expected[c.conn].requests.push_back(req);
        c.phase = Phase::RejectHeaders;
        break;
    }
    case Phase::RejectHeaders:
        recordFor(c, K::ResponseHeadersWritten, tick(), S::WritingBody, 400, 120);
        c.phase = Phase::RejectBody;
        break;
    case Phase::RejectBody:
        recordFor(c, K::BodyWritten, tick(), c.state, 50);
        expected[c.conn].states.push_back(S::WritingBody);
        expected[c.conn].requests.back().hasBytes = true;
        expected[c.conn].requests.back().bytes = 50;
        c.phase = Phase::RejectClose;
        break;
    default:
        recordFor(c, K::ConnectionClosed, tick(), S::Closed, std::uint64_t(CloseReason::Rejected));
        c.phase = Phase::Dead;
        return;
    }
    c.readyAt = m_now + between(200, 20'000);
}

// ================================ Reading the JSON back ========================================

struct ParsedEvent {
    std::int64_t ts = 0;
    std::int64_t dur = 0;
    bool span = false;
    QString name;
    QJsonObject args;
    int parent = -1;
};

struct ParsedTrace {
    QString error;
    QJsonObject otherData;
    QString processName;
    std::map<qint64, std::vector<ParsedEvent>> tracks; // tid -> X and thread-scoped instants
    std::map<qint64, QString> threadNames;
    std::map<qint64, qint64> sortIndex;                // tid -> thread_sort_index
    std::map<QString, std::vector<double>> counters;   // name -> values in file order
    std::map<QString, int> processInstants;
};

std::int64_t toNs(const QJsonValue& v)
{
    return qRound64(v.toDouble() * 1000.0);
}

QString describe(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

// Checks one event's shape; returns an error or an empty string.
QString checkEventShape(const QJsonObject& e)
{
    const QString ph = e.value(QLatin1String("ph")).toString();
    if (e.value(QLatin1String("pid")).toInt() != 1 || !e.value(QLatin1String("tid")).isDouble() || !e.value(QLatin1String("name")).isString())
        return "bad pid/tid/name: " + describe(e);
    if (ph == QLatin1String("M"))
        return e.value(QLatin1String("args")).isObject() ? QString() : "metadata without args: " + describe(e);
    if (!e.value(QLatin1String("ts")).isDouble() || e.value(QLatin1String("ts")).toDouble() < 0)
        return "bad ts: " + describe(e);
    if (ph == QLatin1String("X"))
        return e.value(QLatin1String("dur")).isDouble() && e.value(QLatin1String("dur")).toDouble() >= 0 ? QString() : "bad dur: " + describe(e);
    if (ph == QLatin1String("i"))
        return e.value(QLatin1String("s")).toString() == QLatin1String("t") || e.value(QLatin1String("s")).toString() == QLatin1String("p") ? QString() : "bad instant scope: " + describe(e);
    if (ph == QLatin1String("C"))
        return e.value(QLatin1String("args")).isObject() ? QString() : "counter without args: " + describe(e);
    return "unexpected phase: " + describe(e);
}

void addEvent(ParsedTrace& trace, const QJsonObject& e)
{
    const QString ph = e.value(QLatin1String("ph")).toString();
    const qint64 tid = qint64(e.value(QLatin1String("tid")).toDouble());
    const QString name = e.value(QLatin1String("name")).toString();
    if (ph == QLatin1String("M")) {
        if (name == QLatin1String("thread_name"))
            trace.threadNames[tid] = e.value(QLatin1String("args")).toObject().value(QLatin1String("name")).toString();
        else if (name == QLatin1String("thread_sort_index"))
            trace.sortIndex[tid] = e.value(QLatin1String("args")).toObject().value(QLatin1String("sort_index")).toInteger();
        else if (name == QLatin1String("process_name"))
            trace.processName = e.value(QLatin1String("args")).toObject().value(QLatin1String("name")).toString();
    } else if (ph == QLatin1String("C")) {
        const QJsonObject args = e.value(QLatin1String("args")).toObject();
        trace.counters[name].push_back(args.begin().value().toDouble());
    } else if (ph == QLatin1String("i") && e.value(QLatin1String("s")).toString() == QLatin1String("p")) {
        ++trace.processInstants[name];
    } else {
        ParsedEvent ev;
        ev.ts = toNs(e.value(QLatin1String("ts")));
        ev.span = ph == QLatin1String("X");
        ev.dur = ev.span ? toNs(e.value(QLatin1String("dur"))) : 0;
        ev.name = name;
        ev.args = e.value(QLatin1String("args")).toObject();
        trace.tracks[tid].push_back(std::move(ev));
    }
}

ParsedTrace parseTrace(const QByteArray& json)
{
    ParsedTrace trace;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        trace.error = "invalid JSON at offset " + QString::number(parseError.offset) + ": " + parseError.errorString()
            + " near: " + QString::fromUtf8(json.mid(std::max<qsizetype>(0, parseError.offset - 80), 160));
        return trace;
    }
    const QJsonObject root = doc.object();
    // No displayTimeUnit: Perfetto would read "ns" there as the unit of our microsecond timestamps.
    if (!root.value(QLatin1String("traceEvents")).isArray() || root.contains(QLatin1String("displayTimeUnit")) || !root.value(QLatin1String("otherData")).isObject()) {
        trace.error = "missing traceEvents or otherData, or a displayTimeUnit";
        return trace;
    }
    trace.otherData = root.value(QLatin1String("otherData")).toObject();
    const QJsonArray events = root.value(QLatin1String("traceEvents")).toArray();
    for (const QJsonValue& v : events) {
        const QJsonObject e = v.toObject();
        trace.error = checkEventShape(e);
        if (!trace.error.isEmpty())
            return trace;
        addEvent(trace, e);
    }
    return trace;
}

std::int64_t endOf(const ParsedEvent& e)
{
    return e.ts + e.dur;
}

// Sorts one track's events as an importer would and checks that spans nest. With
// `longestFirst` false, events with equal timestamps keep file order (the strictest model);
// otherwise longer events come first. Sets each event's parent (index into the sorted track).
QString nestTrack(std::vector<ParsedEvent>& events, bool longestFirst)
{
    std::stable_sort(events.begin(), events.end(), [&](const ParsedEvent& a, const ParsedEvent& b) {
        return a.ts != b.ts ? a.ts < b.ts : longestFirst && a.dur > b.dur;
    });
    std::vector<int> stack;
    for (int i = 0; i < int(events.size()); ++i) {
        ParsedEvent& e = events[std::size_t(i)];
        while (!stack.empty() && endOf(events[std::size_t(stack.back())]) <= e.ts)
            stack.pop_back();
        if (!stack.empty() && endOf(e) > endOf(events[std::size_t(stack.back())])) {
            const ParsedEvent& p = events[std::size_t(stack.back())];
            return QString("'%1' [%2, %3] overlaps '%4' [%5, %6]")
                .arg(e.name).arg(e.ts).arg(endOf(e)).arg(p.name).arg(p.ts).arg(endOf(p));
        }
        e.parent = stack.empty() ? -1 : stack.back();
        stack.push_back(i);
    }
    return {};
}

QString nestAllTracks(ParsedTrace& trace)
{
    for (auto& [tid, events] : trace.tracks) {
        std::vector<ParsedEvent> copy = events;
        QString error = nestTrack(copy, true);
        if (error.isEmpty())
            error = nestTrack(events, false);
        if (!error.isEmpty())
            return "tid " + QString::number(tid) + ": " + error;
    }
    return {};
}

QString stateList(const std::vector<QString>& names)
{
    return QStringList(names.begin(), names.end()).join(',');
}

QString expectedStateList(const std::vector<S>& states)
{
    QStringList out;
    for (S s : states)
        out << QLatin1String(toString(s));
    return out.join(',');
}

QString checkRequestSpan(const ParsedEvent& e, const ExpectedRequest& want)
{
    const auto mismatch = [&](const char* what) {
        return QString("request %1 '%2': %3 differs (args %4)").arg(want.number).arg(want.name, what, describe(e.args));
    };
    if (e.name != want.name)
        return mismatch("name") + " got '" + e.name + "'";
    if (!want.rejected
        && (e.args.value("method") != want.method || e.args.value("path") != want.path
            || e.args.value("request").toInteger() != qint64(want.number)))
        return mismatch("method/path/request");
    if (e.args.contains("status") != want.hasStatus || e.args.value("status").toInteger() != qint64(want.status))
        return mismatch("status");
    if (e.args.contains("bytes") != want.hasBytes || e.args.value("bytes").toInteger() != qint64(want.bytes))
        return mismatch("bytes");
    if (e.args.value("cache").toString() != want.cache)
        return mismatch("cache");
    return {};
}

// Compares one connection's track with what the generator did. FetchingFile and WritingHeaders
// must lie inside a request span when the connection's requests were recorded.
QString checkConnection(std::uint32_t conn, const std::vector<ParsedEvent>& events, const ExpectedConnection& want)
{
    const bool requestsRecorded = !want.requests.empty();
    std::vector<QString> states;
    std::vector<const ParsedEvent*> requests;
    int diskReads = 0;
    for (const ParsedEvent& e : events) {
        if (!e.span)
            continue;
        const QString parentName = e.parent >= 0 ? events[std::size_t(e.parent)].name : QString();
        const bool parentIsRequest = e.parent >= 0 && !isStateName(parentName) && parentName != "disk read";
        if (isStateName(e.name)) {
            states.push_back(e.name);
            const bool insideRequest = requestsRecorded && (e.name == "FetchingFile" || e.name == "WritingHeaders");
            const bool topLevel = e.name == "Accepted" || e.name == "ReadingHeaders" || e.name == "KeepAlive";
            if (e.dur > 0 && ((insideRequest && !parentIsRequest) || (topLevel && e.parent != -1)))
                return QString("%1 at %2 has parent '%3'").arg(e.name).arg(e.ts).arg(parentName);
        } else if (e.name == "disk read") {
            ++diskReads;
            if (e.dur > 0 && parentName != "FetchingFile" && parentName != "WritingBody")
                return QString("disk read at %1 inside '%2'").arg(e.ts).arg(parentName);
        } else {
            requests.push_back(&e);
            if (e.parent != -1)
                return QString("request '%1' is nested in '%2'").arg(e.name, parentName);
        }
    }
    if (stateList(states) != expectedStateList(want.states))
        return "conn " + QString::number(conn) + " states\n got  " + stateList(states) + "\n want " + expectedStateList(want.states);
    if (requests.size() != want.requests.size())
        return QString("conn %1: %2 requests, want %3").arg(conn).arg(requests.size()).arg(want.requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const QString error = checkRequestSpan(*requests[i], want.requests[i]);
        if (!error.isEmpty())
            return "conn " + QString::number(conn) + ": " + error;
    }
    if (diskReads != want.diskReads)
        return QString("conn %1: %2 disk reads, want %3").arg(conn).arg(diskReads).arg(want.diskReads);
    return {};
}

QString checkSession(ParsedTrace& trace, const SyntheticSession& session)
{
    QString error = nestAllTracks(trace);
    if (!error.isEmpty())
        return error;
    std::size_t connectionTracks = 0;
    for (const auto& entry : trace.tracks)
        connectionTracks += entry.first >= qint64(ChromeTraceWriter::kConnectionTidBase);
    if (connectionTracks != session.expected.size())
        return QString("%1 connection tracks, want %2").arg(connectionTracks).arg(session.expected.size());
    for (const auto& [conn, want] : session.expected) {
        const qint64 tid = qint64(ChromeTraceWriter::kConnectionTidBase + conn);
        if (trace.threadNames[tid] != "conn " + QString::number(conn))
            return "track " + QString::number(tid) + " is named '" + trace.threadNames[tid] + "'";
        error = checkConnection(conn, trace.tracks[tid], want);
        if (!error.isEmpty())
            return error;
    }
    return {};
}

int countSpans(const std::vector<ParsedEvent>& events, const QString& name)
{
    return int(std::count_if(events.begin(), events.end(), [&](const ParsedEvent& e) { return e.span && e.name == name; }));
}

constexpr qint64 kGuiTid = qint64(ChromeTraceWriter::kGuiTid);

// The GUI track of a nested trace (nestAllTracks ran): only spans; events are outermost and
// every work span lies inside an event (a drain directly, charts inside a paint). Returns an
// error or an empty string.
QString checkGuiTrack(const std::vector<ParsedEvent>& events)
{
    for (const ParsedEvent& e : events) {
        if (!e.span)
            return "GUI track has a non-span '" + e.name + "'";
        const QString parent = e.parent >= 0 ? events[std::size_t(e.parent)].name : QString();
        if (e.name == "event" ? e.parent != -1 : parent.isEmpty())
            return QString("GUI '%1' at %2 has parent '%3'").arg(e.name).arg(e.ts).arg(parent);
        if (e.name == "charts" && parent != "paint")
            return QString("charts at %1 inside '%2'").arg(e.ts).arg(parent);
    }
    return {};
}

// ================================ CSV ==========================================================

// RFC 4180: fields separated by commas, records by CRLF, quoted fields may hold commas, quotes
// (doubled) and line breaks. Anything else (bare CR, quote inside an unquoted field) is an error.
bool parseCsv(const QByteArray& text, QList<QList<QByteArray>>& rows, QString& error)
{
    QList<QByteArray> row;
    QByteArray field;
    bool quoted = false;
    bool wasQuoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                quoted = false;
            }
            continue;
        }
        if (c == '"' && field.isEmpty() && !wasQuoted) {
            quoted = wasQuoted = true;
        } else if (c == ',') {
            row << field;
            field.clear();
            wasQuoted = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row << field;
            rows << row;
            row.clear();
            field.clear();
            wasQuoted = false;
            ++i;
        } else if (c == '"' || c == '\r' || c == '\n' || wasQuoted) {
            error = QString("unexpected byte 0x%1 at offset %2").arg(uchar(c), 2, 16, QChar('0')).arg(i);
            return false;
        } else {
            field += c;
        }
    }
    if (quoted || !field.isEmpty() || !row.isEmpty()) {
        error = "last record is not terminated by CRLF";
        return false;
    }
    return true;
}

// What the CSV writer makes of raw target bytes: valid UTF-8, control characters but
// CR/LF/TAB replaced. (The generator only uses single invalid bytes, which Qt replaces the same way.)
QByteArray csvText(const std::string& raw)
{
    QString s = QString::fromUtf8(raw.data(), qsizetype(raw.size()));
    for (QChar& ch : s)
        if ((ch.unicode() < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') || ch.unicode() == 0x7f)
            ch = QChar(0xFFFD);
    return s.toUtf8();
}

// ================================ Random and damaged input =====================================

EventRecord randomRecord(std::mt19937_64& rng, std::int64_t& clock)
{
    EventRecord r;
    clock += std::int64_t(rng() % 5000) - 500;
    const unsigned pick = unsigned(rng() % 100);
    r.t_ns = pick == 0 ? INT64_MIN : pick == 1 ? INT64_MAX : clock;
    r.kind = static_cast<K>(rng() % 50 == 0 ? 255 : rng() % (kEventKindCount + 4));
    r.conn = std::uint32_t(rng() % 6);
    r.from = static_cast<S>(rng() % 20 == 0 ? rng() % 256 : rng() % kConnectionStateCount);
    r.to = static_cast<S>(rng() % 20 == 0 ? rng() % 256 : rng() % kConnectionStateCount);
    r.arg = rng() % 10 == 0 ? rng() : rng() % 1000;
    r.aux = std::uint32_t(rng() % 10 == 0 ? rng() : rng() % 0x200);
    r.thread = std::uint8_t(rng() % 10 == 0 ? rng() % 256 : 0);
    if (r.kind >= K::GuiEventHandled && r.kind <= K::GuiWork && rng() % 4 != 0) {
        r.thread = kGuiThread; // mostly as the GUI records them, sometimes anywhere
        r.conn = 0;
        if (rng() % 2 == 0)
            r.aux = std::uint32_t(rng() % 6); // a known GuiWorkKind (or event type) more often
    }
    if (r.kind == K::RequestText) {
        const std::uint64_t bytes[2] = {rng(), rng()};
        std::memcpy(&r.t_ns, bytes, 16);
    }
    return r;
}

// A real-looking session damaged the ways a recording can be: records dropped (ring full,
// late start), fields corrupted, garbage inserted, neighbours swapped.
std::vector<EventRecord> damagedSession(std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    SyntheticSession::Options options;
    options.connections = 6;
    options.maxLive = 4;
    options.seed = seed;
    std::vector<EventRecord> in = SyntheticSession(options).records;
    in.erase(in.begin(), in.begin() + std::ptrdiff_t(rng() % std::min<std::size_t>(in.size(), 40)));
    std::vector<EventRecord> out;
    std::int64_t clock = in.empty() ? 0 : in.front().t_ns;
    for (const EventRecord& original : in) {
        EventRecord r = original;
        const unsigned pick = unsigned(rng() % 100);
        if (pick < 10)
            continue;
        if (pick < 15) {
            std::uint8_t* bytes = reinterpret_cast<std::uint8_t*>(&r);
            bytes[rng() % sizeof r] = std::uint8_t(rng());
        } else if (pick < 18) {
            out.push_back(randomRecord(rng, clock));
        } else if (pick < 20 && !out.empty()) {
            std::swap(r, out.back());
        }
        out.push_back(r);
    }
    return out;
}

std::vector<EventRecord> randomSession(std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<EventRecord> out(std::size_t(rng() % 3000));
    std::int64_t clock = std::int64_t(rng() % 1'000'000'000);
    for (EventRecord& r : out)
        r = randomRecord(rng, clock);
    return out;
}

QByteArray bytesOf(const TextBuffer& text)
{
    return QByteArray(text.view().data(), qsizetype(text.view().size()));
}

QByteArray chromeJsonInMemory(const std::vector<EventRecord>& records, std::uint64_t seed)
{
    ChromeTraceWriter writer(smallInfo());
    QByteArray out;
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i < records.size();) {
        const std::size_t n = std::min<std::size_t>(records.size() - i, 1 + rng() % 64);
        writer.add(records.data() + i, n);
        i += n;
        if (rng() % 4 == 0) { // take the output at arbitrary points, as the sink does
            out += bytesOf(writer.output());
            writer.output().clear();
        }
    }
    writer.finish(smallInfo());
    return out + bytesOf(writer.output());
}

QByteArray csvInMemory(const std::vector<EventRecord>& records)
{
    CsvTraceWriter writer(smallInfo());
    writer.add(records.data(), records.size());
    writer.finish(smallInfo());
    return bytesOf(writer.output());
}

} // namespace

class TestTraceExport : public QObject {
    Q_OBJECT

private slots:
    void formatFromFileName_data();
    void formatFromFileName();
    void jsonStringsAreSafe_data();
    void jsonStringsAreSafe();
    void csvFieldsAreQuoted_data();
    void csvFieldsAreQuoted();
    void requestAssemblerRebuildsTargets();

    void smallSessionMatchesGolden_data();
    void smallSessionMatchesGolden();
    void smallSessionMeansWhatHappened();
    void sessionStartingMidConnection();
    void csvDescribesCacheAndGui();
    void threadRecordsGetThreadTracks();
    void guiIterationsPerSecond_data();
    void guiIterationsPerSecond();
    void guiSpansNestWhateverTheirOrder();
    void csvFoldsRequestText_data();
    void csvFoldsRequestText();

    void largeSessionRoundTrips();
    void csvRoundTrips();

    void edgeCasesGiveValidJson_data();
    void edgeCasesGiveValidJson();
    void randomRecordsGiveValidOutput_data();
    void randomRecordsGiveValidOutput();
};

// ---- Small units --------------------------------------------------------------------------------

void TestTraceExport::formatFromFileName_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("known");
    QTest::addColumn<int>("format");

    QTest::newRow("json") << "/tmp/a.json" << true << int(TraceFormat::ChromeJson);
    QTest::newRow("json upper case") << "TRACE.JSON" << true << int(TraceFormat::ChromeJson);
    QTest::newRow("json.gz") << "a.json.gz" << true << int(TraceFormat::ChromeJsonGz);
    QTest::newRow("gz") << "a.gz" << true << int(TraceFormat::ChromeJsonGz);
    QTest::newRow("csv") << "dir.d/a.csv" << true << int(TraceFormat::Csv);
    QTest::newRow("txt") << "a.txt" << false << 0;
    QTest::newRow("no extension") << "json" << false << 0;
    QTest::newRow("empty") << "" << false << 0;
    QTest::newRow("json in folder name") << "a.json/b" << false << 0;
}

void TestTraceExport::formatFromFileName()
{
    QFETCH(QString, path);
    QFETCH(bool, known);
    QFETCH(int, format);
    TraceFormat got = TraceFormat::Csv;
    QCOMPARE(traceFormatForPath(path.toStdString(), got), known);
    if (known)
        QCOMPARE(int(got), format);
}

void TestTraceExport::jsonStringsAreSafe_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QString>("decoded");

    QTest::newRow("plain") << QByteArray("/index.html") << QString("/index.html");
    QTest::newRow("quote and backslash") << QByteArray("a\"b\\c") << QString("a\"b\\c");
    QTest::newRow("controls") << QByteArray("a\nb\tc\x01\x1f", 7) << QString("a\nb\tc\x01\x1f");
    QTest::newRow("nul") << QByteArray("a\0b", 3) << QString::fromUtf16(u"a\u0000b", 3);
    QTest::newRow("utf-8") << QByteArray("caf\xc3\xa9 \xf0\x9f\x98\x80") << QString::fromUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80");
    QTest::newRow("lone continuation") << QByteArray("a\x80z") << QString::fromUtf16(u"a\uFFFDz");
    QTest::newRow("overlong slash") << QByteArray("\xc0\xaf") << QString::fromUtf16(u"\uFFFD\uFFFD");
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << QString::fromUtf16(u"\uFFFD\uFFFD\uFFFD");
    QTest::newRow("truncated at end") << QByteArray("x\xe2\x82") << QString::fromUtf16(u"x\uFFFD\uFFFD");
    QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << QString::fromUtf16(u"\uFFFD\uFFFD\uFFFD\uFFFD");
    QTest::newRow("byte ff") << QByteArray("\xff") << QString::fromUtf16(u"\uFFFD");
    QTest::newRow("delete is legal") << QByteArray("\x7f") << QString("\x7f");
}

void TestTraceExport::jsonStringsAreSafe()
{
    QFETCH(QByteArray, raw);
    QFETCH(QString, decoded);
    std::string json = "[";
    trace_text::appendJsonString(json, std::string_view(raw.constData(), std::size_t(raw.size())));
    json += "]";
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, json.c_str());
    QCOMPARE(doc.array().at(0).toString(), decoded);
    for (char c : json) // every control character is escaped
        QVERIFY(static_cast<unsigned char>(c) >= 0x20);
}

void TestTraceExport::csvFieldsAreQuoted_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("field");

    QTest::newRow("plain") << QByteArray("GET /a, request 1") << QByteArray("\"GET /a, request 1\"");
    QTest::newRow("no quoting needed") << QByteArray("peer closed") << QByteArray("peer closed");
    QTest::newRow("quote") << QByteArray("a\"b") << QByteArray("\"a\"\"b\"");
    QTest::newRow("line break") << QByteArray("a\r\nb") << QByteArray("\"a\r\nb\"");
    QTest::newRow("control") << QByteArray("a\x01") << QByteArray("a\xef\xbf\xbd");
    QTest::newRow("invalid utf-8") << QByteArray("a\xff") << QByteArray("a\xef\xbf\xbd");
    QTest::newRow("empty") << QByteArray() << QByteArray();
}

void TestTraceExport::csvFieldsAreQuoted()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, field);
    std::string out;
    trace_text::appendCsvField(out, std::string_view(raw.constData(), std::size_t(raw.size())));
    QCOMPARE(QByteArray::fromStdString(out), field);
}

void TestTraceExport::requestAssemblerRebuildsTargets()
{
    std::vector<EventRecord> records;
    records.push_back(record(K::RequestHeadersRead, 1, 7, S::ReadingHeaders, S::FetchingFile, 3, 2));
    appendText(records, 7, "/a/rather/long/target/over/sixteen/bytes?x=1");
    records.push_back(record(K::RequestHeadersRead, 2, 8, S::ReadingHeaders, S::FetchingFile, 1, 99));
    appendText(records, 8, "");
    records.push_back(makeTextRecord(9, "/stray", true)); // no request on conn 9
    RequestAssembler assembler;
    std::vector<RequestAssembler::Step> steps;
    for (const EventRecord& r : records)
        steps.push_back(assembler.add(r));
    QCOMPARE(steps.front(), RequestAssembler::Step::Started);
    QCOMPARE(steps.back(), RequestAssembler::Step::Ignored);
    QCOMPARE(int(std::count(steps.begin(), steps.end(), RequestAssembler::Step::Completed)), 2);
    const AssembledRequest* first = assembler.find(7);
    QVERIFY(first && first->complete && !first->truncated);
    QCOMPARE(QString::fromStdString(first->title()), QString("HEAD /a/rather/long/target/over/sixteen/bytes?x=1"));
    QCOMPARE(first->number, std::uint64_t(3));
    const AssembledRequest* second = assembler.find(8);
    QVERIFY(second && second->complete);
    QCOMPARE(QString::fromStdString(second->title()), QString("OTHER "));
    QVERIFY(!assembler.find(9));
    QCOMPARE(assembler.add(record(K::ConnectionClosed, 3, 7, S::WritingBody, S::Closed)), RequestAssembler::Step::Forgotten);
    QVERIFY(!assembler.find(7));

    AssembledRequest huge; // hostile input cannot grow memory without bound
    huge.start(record(K::RequestHeadersRead, 1, 1, S::None, S::None, 1, 1));
    const EventRecord piece = makeTextRecord(1, "0123456789abcdef", false);
    for (std::size_t i = 0; i < AssembledRequest::kMaxTargetBytes / 16 + 10; ++i)
        huge.addText(piece);
    QCOMPARE(huge.target.size(), AssembledRequest::kMaxTargetBytes);
    QVERIFY(huge.truncated && !huge.complete);
}

// ---- The small session ----------------------------------------------------------------------

void TestTraceExport::smallSessionMatchesGolden_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QString>("goldenName");

    QTest::newRow("json") << "small.json" << "trace_small.json";
    QTest::newRow("json.gz") << "small.json.gz" << "trace_small.json";
    QTest::newRow("csv") << "small.csv" << "trace_small.csv";
}

void TestTraceExport::smallSessionMatchesGolden()
{
    QFETCH(QString, fileName);
    QFETCH(QString, goldenName);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(fileName);
    const QString error = exportTrace(path, smallSession(), smallInfo());
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QByteArray written = readFile(path);
    if (fileName.endsWith(".gz"))
        written = gunzip(written);
    QVERIFY(!written.isEmpty());

    const QString goldenPath = QStringLiteral(LOOPSCOPE_TEST_DATA) + '/' + goldenName;
    if (qEnvironmentVariableIntValue("LOOPSCOPE_UPDATE_GOLDEN") == 1 && !fileName.endsWith(".gz")) {
        QVERIFY(writeFile(goldenPath, written));
        qInfo("Updated %s", qPrintable(goldenPath));
    }
    const QByteArray golden = readFile(goldenPath);
    QVERIFY2(!golden.isEmpty(), qPrintable("missing " + goldenPath + " (run with LOOPSCOPE_UPDATE_GOLDEN=1)"));
    if (written != golden) {
        const QList<QByteArray> got = written.split('\n');
        const QList<QByteArray> want = golden.split('\n');
        for (qsizetype i = 0; i < std::max(got.size(), want.size()); ++i) {
            const QByteArray a = got.value(i), b = want.value(i);
            QVERIFY2(a == b, qPrintable(QString("line %1 differs from %2\n got:  %3\n want: %4\n(if the change is "
                                                "intended, rerun with LOOPSCOPE_UPDATE_GOLDEN=1)")
                                            .arg(i + 1).arg(goldenPath, QString::fromUtf8(a), QString::fromUtf8(b))));
        }
    }
}

void TestTraceExport::smallSessionMeansWhatHappened()
{
    const std::vector<EventRecord> records = smallSession();
    ParsedTrace trace = parseTrace(chromeJsonInMemory(records, 3));
    QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
    const QString nesting = nestAllTracks(trace);
    QVERIFY2(nesting.isEmpty(), qPrintable(nesting));
    QCOMPARE(trace.processName, QString("loopscope-server"));
    QCOMPARE(trace.threadNames[1], QString("engine loop"));
    QCOMPARE(trace.threadNames[1001], QString("conn 1"));
    QCOMPARE(trace.threadNames[1002], QString("conn 2"));
    QCOMPARE(trace.threadNames[1003], QString("conn 3"));
    QCOMPARE(trace.threadNames[kGuiTid], QString("GUI event loop"));
    // The GUI loop sorts right after the engine loop, before every other track.
    QCOMPARE(trace.sortIndex[1], qint64(0));
    for (const auto& [tid, index] : trace.sortIndex)
        if (tid != 1 && tid != kGuiTid)
            QVERIFY(index > trace.sortIndex[kGuiTid]);

    ExpectedConnection keepAlive;
    keepAlive.states = {S::Accepted, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders, S::WritingBody,
                        S::KeepAlive, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders, S::WritingBody,
                        S::KeepAlive};
    keepAlive.requests = {{"GET /index.html", "GET", "/index.html", 1, false, true, 200, true, 1234, "disk"},
                          {QString("GET ") + kSecondTarget, "GET", kSecondTarget, 2, false, true, 404, true, 0, "disk"}};
    keepAlive.diskReads = 2;
    QString error = checkConnection(1, trace.tracks[1001], keepAlive);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    ExpectedConnection rejected;
    rejected.states = {S::Accepted, S::ReadingHeaders, S::WritingHeaders, S::WritingBody, S::WritingBody};
    rejected.requests = {{"rejected 400", {}, {}, 0, true, true, 400, true, 50, {}}};
    error = checkConnection(2, trace.tracks[1002], rejected);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // The cache hit: a zero-length FetchingFile marked as a hit, an instant, and a request that
    // says "hit" where the disk-served ones say "disk".
    ExpectedConnection cached;
    cached.states = {S::Accepted, S::ReadingHeaders, S::FetchingFile, S::WritingHeaders, S::WritingBody, S::KeepAlive};
    cached.requests = {{"GET /hot.css", "GET", "/hot.css", 1, false, true, 200, true, 1024, "hit"}};
    error = checkConnection(3, trace.tracks[1003], cached);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const auto& conn3 = trace.tracks[1003];
    const auto fetching = std::find_if(conn3.begin(), conn3.end(), [](const ParsedEvent& e) { return e.name == "FetchingFile"; });
    QVERIFY(fetching != conn3.end());
    QCOMPARE(fetching->dur, std::int64_t(0));
    QCOMPARE(fetching->args.value("cache").toString(), QString("hit"));
    QCOMPARE(fetching->args.value("bytes").toInt(), 1024);
    QCOMPARE(conn3[std::size_t(fetching->parent)].name, QString("GET /hot.css"));
    const auto hit = std::find_if(conn3.begin(), conn3.end(), [](const ParsedEvent& e) { return e.name == "file cache hit"; });
    QVERIFY(hit != conn3.end() && !hit->span);
    QCOMPARE(hit->args.value("bytes").toInt(), 1024);
    QCOMPARE(hit->ts, fetching->ts);
    for (const ParsedEvent& e : trace.tracks[1001]) // disk-served: no hit marks
        QVERIFY(e.name != "file cache hit" && !(e.name == "FetchingFile" && e.args.contains("cache")));

    // The GUI: the timer event contains the drain recorded before it; the paint event contains
    // the paint work recorded after it (same start), which contains the charts.
    const auto& gui = trace.tracks[kGuiTid];
    error = checkGuiTrack(gui);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QStringList guiSpans;
    for (const ParsedEvent& e : gui)
        guiSpans << QString("%1@%2+%3<%4").arg(e.name).arg(e.ts).arg(e.dur)
                        .arg(e.parent >= 0 ? gui[std::size_t(e.parent)].name : QString("-"));
    QCOMPARE(guiSpans.join(' '), QString("event@139000+25000<- drain@140000+20000<event event@181000+340000<- "
                                         "paint@181000+300000<event charts@200000+100000<paint"));
    QCOMPARE(gui[0].args.value("type").toInt(), 1);
    QCOMPARE(gui[2].args.value("type").toInt(), 12);
    QVERIFY(trace.counters["GUI loop delay (ms)"] == std::vector<double>{3.1});
    QVERIFY(!trace.counters.count("GUI loop iterations/s")); // the trace is shorter than a second

    // The failed disk read carries its errno; closes carry their reason in words.
    const auto& conn1 = trace.tracks[1001];
    const auto disk = std::find_if(conn1.rbegin(), conn1.rend(), [](const ParsedEvent& e) { return e.name == "disk read"; });
    QCOMPARE(disk->args.value("errno").toInt(), ENOENT);
    const auto closed = std::find_if(conn1.begin(), conn1.end(), [](const ParsedEvent& e) { return e.name == "ConnectionClosed"; });
    QCOMPARE(closed->args.value("reason").toString(), QString("timed out"));

    // Loop: 7 waits (the last cut at the end), 6 dispatches, the infinite timeout in words.
    const auto& loop = trace.tracks[1];
    QCOMPARE(countSpans(loop, "epoll_wait"), 7);
    QCOMPARE(countSpans(loop, "dispatch"), 6);
    QCOMPARE(loop.front().name, QString("ServerStarted"));
    QCOMPARE(loop[1].args.value("timeout_ms").toString(), QString("infinite"));
    QCOMPARE(loop[1].args.value("ready").toInt(), 1);

    QVERIFY(trace.counters["active connections"] == (std::vector<double>{1, 2, 1, 2, 1, 0}));
    QVERIFY(trace.counters["dropped records"] == std::vector<double>{3});
    QCOMPARE(trace.processInstants["RecordsDropped"], 1);
    QCOMPARE(trace.otherData.value("dropped_records").toInt(), 3);
    QCOMPARE(trace.otherData.value("document_root").toString(), QString("/srv/www"));
    QCOMPARE(trace.otherData.value("listen_address").toString(), QString("127.0.0.1:8080"));
    QCOMPARE(trace.otherData.value("time_origin_ns").toInteger(), qint64(1'000'000'000));
    QVERIFY(!trace.otherData.value("loopscope_version").toString().isEmpty());
}

void TestTraceExport::sessionStartingMidConnection()
{
    // Recording started while conn 7 was fetching a file and conn 8 was sending a body.
    std::vector<EventRecord> r;
    r.push_back(record(K::DiskReadDone, 1000, 7, S::FetchingFile, S::WritingHeaders, 10, 0));
    r.push_back(makeTextRecord(7, "/lost", true));
    r.push_back(record(K::BodyBytesWritten, 1500, 8, S::WritingBody, S::WritingBody, 100));
    r.push_back(record(K::ResponseHeadersWritten, 2000, 7, S::WritingHeaders, S::WritingBody, 200));
    r.push_back(record(K::BodyWritten, 3000, 7, S::WritingBody, S::KeepAlive, 10));
    r.push_back(record(K::BodyWritten, 3500, 8, S::WritingBody, S::WritingBody, 100));
    r.push_back(record(K::ConnectionClosed, 3600, 8, S::WritingBody, S::Closed, std::uint64_t(CloseReason::Done)));
    r.push_back(record(K::BytesRead, 4000, 7, S::KeepAlive, S::ReadingHeaders, 80));
    ParsedTrace trace = parseTrace(chromeJsonInMemory(r, 1));
    QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
    const QString nesting = nestAllTracks(trace);
    QVERIFY2(nesting.isEmpty(), qPrintable(nesting));

    ExpectedConnection seven;
    seven.states = {S::WritingHeaders, S::WritingBody, S::KeepAlive, S::ReadingHeaders};
    QString error = checkConnection(7, trace.tracks[1007], seven);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    ExpectedConnection eight;
    eight.states = {S::WritingBody}; // adopted from a record that did not move
    error = checkConnection(8, trace.tracks[1008], eight);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // The DiskReadDone without its start is still shown, as an instant.
    QCOMPARE(trace.tracks[1007].front().name, QString("DiskReadDone"));
    QVERIFY(!trace.tracks[1007].front().span);
}

void TestTraceExport::csvDescribesCacheAndGui()
{
    QList<QList<QByteArray>> rows;
    QString error;
    QVERIFY2(parseCsv(csvInMemory(smallSession()), rows, error), qPrintable(error));
    QList<QByteArray> details;
    for (const auto& row : rows)
        if (row.value(1) == "FileCacheHit" || row.value(1).startsWith("Gui"))
            details << row.value(1) + ": " + row.value(8);
    QCOMPARE(details, (QList<QByteArray>{
                          "FileCacheHit: served from the file cache (1024 bytes)",
                          "GuiWork: GUI drain for 0.020 ms",
                          "GuiEventHandled: GUI handled event type 1 for 0.025 ms",
                          "GuiLoopAboutToBlock: GUI loop about to block (iteration 1)",
                          "GuiLoopAwake: GUI loop woke up",
                          "GuiLoopDelay: GUI loop 3.100 ms late",
                          "GuiEventHandled: GUI handled event type 12 for 0.340 ms",
                          "GuiWork: GUI paint for 0.300 ms",
                          "GuiWork: GUI charts for 0.100 ms",
                          "GuiLoopAboutToBlock: GUI loop about to block (iteration 2)",
                      }));
    QCOMPARE(QByteArray::fromStdString([] {
                 std::string out;
                 appendRecordDetail(out, guiRecord(K::GuiWork, 1, 1'234'567'890, 77));
                 return out;
             }()),
             QByteArray("GUI work kind 77 for 1234.567 ms"));
}

// The thread-per-connection server's ThreadStarted/ThreadExited: instants on a "thread N" track
// with the thread number and connection in args; the CSV says it in words.
void TestTraceExport::threadRecordsGetThreadTracks()
{
    std::vector<EventRecord> records = {record(K::ServerStarted, 1'000, 0, S::None, S::None, 8080, 10)};
    EventRecord started = record(K::ThreadStarted, 2'000, 0, S::None, S::None, 3, 42);
    started.thread = 3;
    EventRecord exited = record(K::ThreadExited, 9'000, 0, S::None, S::None, 3, 42);
    exited.thread = 3;
    records.push_back(started);
    records.push_back(exited);
    records.push_back(record(K::ServerStopped, 10'000));

    const QJsonDocument doc = QJsonDocument::fromJson(chromeJsonInMemory(records, 1));
    QVERIFY(doc.isObject());
    bool named = false;
    int instants = 0;
    for (const QJsonValue& v : doc.object().value(QStringLiteral("traceEvents")).toArray()) {
        const QJsonObject e = v.toObject();
        const QString name = e.value(QStringLiteral("name")).toString();
        if (name == QStringLiteral("thread_name")
            && e.value(QStringLiteral("args")).toObject().value(QStringLiteral("name")).toString() == QStringLiteral("thread 3"))
            named = true;
        if (name == QStringLiteral("ThreadStarted") || name == QStringLiteral("ThreadExited")) {
            ++instants;
            const QJsonObject args = e.value(QStringLiteral("args")).toObject();
            QCOMPARE(args.value(QStringLiteral("thread")).toInt(), 3);
            QCOMPARE(args.value(QStringLiteral("conn")).toInt(), 42);
        }
    }
    QVERIFY(named);
    QCOMPARE(instants, 2);

    QList<QList<QByteArray>> rows;
    QString error;
    QVERIFY2(parseCsv(csvInMemory(records), rows, error), qPrintable(error));
    QList<QByteArray> details;
    for (const auto& row : rows)
        if (row.value(1).startsWith("Thread"))
            details << row.value(8);
    QCOMPARE(details, (QList<QByteArray>{"thread 3 serves connection 42", "thread 3 done with connection 42"}));
}

void TestTraceExport::guiIterationsPerSecond_data()
{
    QTest::addColumn<bool>("traceGoesOn");
    QTest::addColumn<QList<double>>("want");
    // Iterations per second from the first one: 3, then 2, then none (0), then 1; the last
    // second is only written once the trace has passed its end.
    QTest::newRow("last second complete") << true << QList<double>{3, 2, 0, 1};
    QTest::newRow("last second cut off") << false << QList<double>{3, 2, 0};
}

void TestTraceExport::guiIterationsPerSecond()
{
    QFETCH(bool, traceGoesOn);
    QFETCH(QList<double>, want);
    constexpr std::int64_t s = 1'000'000'000;
    const std::int64_t t0 = 7 * s + 123; // the first iteration, not on a whole second
    std::vector<EventRecord> r;
    r.push_back(record(K::ServerStarted, t0 - s / 2, 0, S::None, S::None, 8080, 16));
    std::uint64_t n = 0;
    for (std::int64_t t : {t0, t0 + s / 2, t0 + s - 1, t0 + s, t0 + s + s / 5, t0 + 3 * s + s / 2}) {
        r.push_back(guiRecord(K::GuiLoopAwake, t - 10, n));
        r.push_back(guiRecord(K::GuiLoopAboutToBlock, t, ++n));
    }
    if (traceGoesOn)
        r.push_back(record(K::LoopPollBegin, t0 + 4 * s, 0, S::None, S::None, 100));
    ParsedTrace trace = parseTrace(chromeJsonInMemory(r, 11));
    QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
    const std::vector<double>& got = trace.counters["GUI loop iterations/s"];
    QCOMPARE(QList<double>(got.begin(), got.end()), want);
    QVERIFY(trace.tracks[kGuiTid].empty()); // no event per awake/block
    QCOMPARE(trace.threadNames[kGuiTid], QString("GUI event loop"));
}

void TestTraceExport::guiSpansNestWhateverTheirOrder()
{
    // Far more GUI spans than the writer holds back, work recorded before or after its event,
    // nested work; then the same with some work records arriving much too late (clamped).
    for (const bool late : {false, true}) {
        std::mt19937_64 rng(late ? 5 : 4);
        std::vector<EventRecord> r;
        std::vector<EventRecord> delayed;
        std::int64_t now = 1'000'000;
        int events = 0, work = 0;
        for (int i = 0; i < 3 * int(ChromeTraceWriter::kGuiPending); ++i) {
            const std::int64_t start = now + std::int64_t(rng() % 1000);
            const std::int64_t workStart = start + std::int64_t(rng() % 3);
            const std::int64_t workDur = 10 + std::int64_t(rng() % 5000);
            const std::int64_t end = workStart + workDur + std::int64_t(rng() % 3);
            const EventRecord event = guiRecord(K::GuiEventHandled, start, std::uint64_t(end - start), 12);
            const EventRecord paint = guiRecord(K::GuiWork, workStart, std::uint64_t(workDur), 1);
            const EventRecord charts = guiRecord(K::GuiWork, workStart + 1, std::uint64_t(workDur - 2), 2);
            if (rng() % 2)
                r.insert(r.end(), {paint, charts, event});
            else
                r.insert(r.end(), {event, paint, charts});
            if (late && rng() % 50 == 0) // a drain from long ago
                delayed.push_back(guiRecord(K::GuiWork, start, 5, 0));
            if (delayed.size() > 20) {
                r.insert(r.end(), delayed.begin(), delayed.end());
                work += int(delayed.size());
                delayed.clear();
            }
            ++events;
            work += 2;
            now = end + 1;
        }
        ParsedTrace trace = parseTrace(chromeJsonInMemory(r, 6));
        QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
        const QString nesting = nestAllTracks(trace);
        QVERIFY2(nesting.isEmpty(), qPrintable(nesting));
        const auto& gui = trace.tracks[kGuiTid];
        QCOMPARE(countSpans(gui, "event"), events);
        QCOMPARE(int(gui.size()), events + work);
        if (!late) { // in order or a little out of it: nothing is moved or cut
            const QString error = checkGuiTrack(gui);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            for (const ParsedEvent& e : gui)
                if (e.name == "charts")
                    QCOMPARE(e.ts, gui[std::size_t(e.parent)].ts + 1);
        }
    }
}

void TestTraceExport::csvFoldsRequestText_data()
{
    QTest::addColumn<bool>("interrupt");
    QTest::addColumn<bool>("stray");
    QTest::addColumn<QList<QByteArray>>("details");

    QTest::newRow("complete text is folded") << false << false
        << QList<QByteArray>{"GET /0123456789abcdef/x.html, request 4", "12 bytes"};
    QTest::newRow("text cut by another record") << true << false
        << QList<QByteArray>{"GET /0123456789abcde, request 4 (text incomplete)", "12 bytes", "f/x.html"};
    QTest::newRow("stray text gets its own row") << false << true
        << QList<QByteArray>{"/orphan", "12 bytes"};
}

void TestTraceExport::csvFoldsRequestText()
{
    QFETCH(bool, interrupt);
    QFETCH(bool, stray);
    QFETCH(QList<QByteArray>, details);
    std::vector<EventRecord> r;
    if (stray) {
        r.push_back(makeTextRecord(3, "/orphan", true));
    } else {
        r.push_back(record(K::RequestHeadersRead, 100, 3, S::ReadingHeaders, S::FetchingFile, 4, 1));
        r.push_back(makeTextRecord(3, "/0123456789abcde", false));
        if (interrupt)
            r.push_back(record(K::BytesRead, 150, 5, S::Accepted, S::ReadingHeaders, 12));
        r.push_back(makeTextRecord(3, "f/x.html", true));
    }
    if (!interrupt)
        r.push_back(record(K::BytesRead, 150, 5, S::Accepted, S::ReadingHeaders, 12));
    QList<QList<QByteArray>> rows;
    QString error;
    QVERIFY2(parseCsv(csvInMemory(r), rows, error), qPrintable(error));
    QCOMPARE(rows.size(), details.size() + 1);
    for (qsizetype i = 0; i < details.size(); ++i) {
        QCOMPARE(rows[i + 1].size(), 9);
        QCOMPARE(rows[i + 1][8], details[i]);
    }
    if (stray) // a text record's t_ns and arg hold text: left empty
        QVERIFY(rows[1][0].isEmpty() && rows[1][5].isEmpty() && rows[1][1] == "RequestText");
}

// ---- The large session ----------------------------------------------------------------------

void TestTraceExport::largeSessionRoundTrips()
{
    QElapsedTimer timer;
    timer.start();
    SyntheticSession::Options options;
    options.connections = 10'000;
    options.maxLive = 256;
    options.seed = 20240611;
    const SyntheticSession session(options);
    QVERIFY2(session.records.size() >= 1'000'000, qPrintable(QString::number(session.records.size())));
    QVERIFY(session.openAtEnd > 0 && session.dropRecords > 0);
    const qint64 generated = timer.restart();

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TraceInfo info = smallInfo();
    info.droppedRecords = 0;
    QString error = exportTrace(dir.filePath("large.json"), session.records, info, 7);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const qint64 exportedJson = timer.restart();
    error = exportTrace(dir.filePath("large.json.gz"), session.records, info, 8);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const qint64 exportedGz = timer.restart();

    const QByteArray json = readFile(dir.filePath("large.json"));
    const QByteArray gz = readFile(dir.filePath("large.json.gz"));
    const QByteArray unzipped = gunzip(gz);
    QVERIFY(!unzipped.isEmpty());
    QVERIFY2(unzipped == json, "the gzipped trace does not hold the same JSON");
    ParsedTrace trace = parseTrace(unzipped);
    QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
    const qint64 parsed = timer.restart();

    error = checkSession(trace, session);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const auto& loop = trace.tracks[1];
    QCOMPARE(countSpans(loop, "epoll_wait"), session.pollBegins);
    QCOMPARE(countSpans(loop, "dispatch"), session.pollEnds);
    QCOMPARE(trace.processInstants["RecordsDropped"], session.dropRecords);
    QCOMPARE(trace.otherData.value("dropped_records").toInteger(), qint64(session.dropped));
    QCOMPARE(trace.otherData.value("records").toInteger(), qint64(session.records.size()));
    const std::vector<double>& active = trace.counters["active connections"];
    QCOMPARE(active.back(), double(session.openAtEnd));
    QCOMPARE(*std::max_element(active.begin(), active.end()), double(session.maxLive));
    QCOMPARE(trace.counters["dropped records"].back(), double(session.dropped));
    const auto& gui = trace.tracks[kGuiTid];
    QVERIFY(session.guiEvents > 1000 && session.cacheHits > 1000);
    QCOMPARE(countSpans(gui, "event"), session.guiEvents);
    QCOMPARE(int(gui.size()), session.guiEvents + session.guiWork);
    error = checkGuiTrack(gui);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(int(trace.counters["GUI loop delay (ms)"].size()), session.guiDelays);
    QVERIFY(!trace.counters["GUI loop iterations/s"].empty());

    qInfo("%zu records, %zu connections: generated in %lld ms, JSON (%lld MB) written in %lld ms "
          "(%.1f M records/s), gzip (%lld MB) in %lld ms, parsed in %lld ms, checked in %lld ms",
          session.records.size(), session.expected.size(), generated, json.size() >> 20, exportedJson,
          double(session.records.size()) / 1000.0 / double(std::max<qint64>(1, exportedJson)), gz.size() >> 20,
          exportedGz, parsed, timer.elapsed());
}

void TestTraceExport::csvRoundTrips()
{
    SyntheticSession::Options options;
    options.connections = 400;
    options.maxLive = 64;
    options.seed = 99;
    const SyntheticSession session(options);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString error = exportTrace(dir.filePath("session.csv"), session.records, smallInfo());
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QList<QList<QByteArray>> rows;
    QString parseError;
    QVERIFY2(parseCsv(readFile(dir.filePath("session.csv")), rows, parseError), qPrintable(parseError));
    QCOMPARE(rows.value(0), (QList<QByteArray>{"t_ns", "kind", "conn", "from", "to", "arg", "aux", "thread", "detail"}));

    std::map<std::uint32_t, std::size_t> requestIndex;
    qsizetype row = 1;
    for (const EventRecord& r : session.records) {
        if (r.kind == K::RequestText)
            continue; // folded into the RequestHeadersRead row before it
        QVERIFY2(row < rows.size(), "too few rows");
        const QList<QByteArray>& f = rows[row++];
        QCOMPARE(f.size(), 9);
        QCOMPARE(f[0], QByteArray::number(r.t_ns));
        QCOMPARE(f[1], QByteArray(toString(r.kind)));
        QCOMPARE(f[2], QByteArray::number(r.conn));
        QCOMPARE(f[3], QByteArray(toString(r.from)));
        QCOMPARE(f[4], QByteArray(toString(r.to)));
        QCOMPARE(f[5], QByteArray::number(r.arg));
        QCOMPARE(f[6], QByteArray::number(r.aux));
        QCOMPARE(f[7], QByteArray::number(r.thread));
        if (r.kind == K::RequestHeadersRead) {
            const ExpectedConnection& want = session.expected.at(r.conn);
            const std::size_t i = requestIndex[r.conn]++;
            const QByteArray detail = want.requests.at(i + (want.requests.front().rejected ? 1 : 0)).method.toUtf8()
                + ' ' + csvText(want.targets.at(i)) + ", request " + QByteArray::number(r.arg);
            QCOMPARE(f[8], detail);
        } else if (r.kind == K::ConnectionClosed || r.kind == K::FileCacheHit
                   || (r.kind >= K::GuiEventHandled && r.kind <= K::GuiWork)) {
            QVERIFY(!f[8].isEmpty() && !f[8].contains("unknown") && !f[8].contains("kind"));
        }
    }
    QCOMPARE(row, rows.size());
}

// ---- Robustness -----------------------------------------------------------------------------

void TestTraceExport::edgeCasesGiveValidJson_data()
{
    QTest::addColumn<int>("which");
    QTest::newRow("no records") << 0;
    QTest::newRow("only text") << 1;
    QTest::newRow("extreme times") << 2;
    QTest::newRow("extreme ids and lanes") << 3;
    QTest::newRow("unknown kinds and states") << 4;
    QTest::newRow("everything at one instant") << 5;
}

void TestTraceExport::edgeCasesGiveValidJson()
{
    QFETCH(int, which);
    std::vector<EventRecord> r;
    switch (which) {
    case 1:
        appendText(r, 1, "/no/request/for/this/text");
        break;
    case 2:
        r.push_back(record(K::ConnectionAccepted, 0, 1, S::None, S::Accepted));
        r.push_back(record(K::BytesRead, INT64_MAX, 1, S::Accepted, S::ReadingHeaders));
        r.push_back(record(K::BytesRead, INT64_MIN, 2, S::Accepted, S::ReadingHeaders));
        r.push_back(record(K::LoopPollBegin, INT64_MIN, 0));
        r.push_back(record(K::LoopPollEnd, INT64_MAX, 0));
        break;
    case 3:
        r.push_back(record(K::ConnectionAccepted, 5, 0xFFFFFFFFu, S::None, S::Accepted));
        r.push_back(record(K::LoopPollBegin, 6, 0));
        r.back().thread = 255;
        r.push_back(record(K::RecordsDropped, 7, 0, S::None, S::None, UINT64_MAX));
        r.push_back(record(K::RecordsDropped, 8, 0, S::None, S::None, UINT64_MAX));
        break;
    case 4:
        r.push_back(record(static_cast<K>(200), 5, 3, static_cast<S>(99), static_cast<S>(250), 1, 2));
        r.push_back(record(K::ConnectionClosed, 6, 3, static_cast<S>(250), static_cast<S>(77), 999));
        r.push_back(record(K::TimedOut, 7, 3, S::KeepAlive, S::KeepAlive, 12345));
        r.push_back(record(K::RequestHeadersRead, 8, 3, S::None, S::None, 1, 4000));
        break;
    case 5:
        for (const EventRecord& x : smallSession()) {
            r.push_back(x);
            if (x.kind != K::RequestText)
                r.back().t_ns = 42;
        }
        break;
    default:
        break;
    }
    ParsedTrace trace = parseTrace(chromeJsonInMemory(r, 5));
    QVERIFY2(trace.error.isEmpty(), qPrintable(trace.error));
    const QString nesting = nestAllTracks(trace);
    QVERIFY2(nesting.isEmpty(), qPrintable(nesting));
    QList<QList<QByteArray>> rows;
    QString error;
    QVERIFY2(parseCsv(csvInMemory(r), rows, error), qPrintable(error));
}

void TestTraceExport::randomRecordsGiveValidOutput_data()
{
    QTest::addColumn<bool>("damagedRealSession");
    QTest::newRow("damaged real sessions") << true;
    QTest::newRow("random records") << false;
}

void TestTraceExport::randomRecordsGiveValidOutput()
{
    QFETCH(bool, damagedRealSession);
    for (std::uint64_t seed = 1; seed <= 150; ++seed) {
        const std::vector<EventRecord> records = damagedRealSession ? damagedSession(seed) : randomSession(seed);
        ParsedTrace trace = parseTrace(chromeJsonInMemory(records, seed));
        QVERIFY2(trace.error.isEmpty(), qPrintable(QString("seed %1: %2").arg(seed).arg(trace.error)));
        const QString nesting = nestAllTracks(trace);
        QVERIFY2(nesting.isEmpty(), qPrintable(QString("seed %1: %2").arg(seed).arg(nesting)));
        QList<QList<QByteArray>> rows;
        QString error;
        QVERIFY2(parseCsv(csvInMemory(records), rows, error), qPrintable(QString("seed %1: %2").arg(seed).arg(error)));
        for (const auto& row : rows)
            QCOMPARE(row.size(), 9);
    }
}

QTEST_GUILESS_MAIN(TestTraceExport)
#include "tst_trace_export.moc"
