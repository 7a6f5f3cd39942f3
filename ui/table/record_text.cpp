#include "table/record_text.h"

#include "trace/record_detail.h"
#include "trace/trace_text.h"

#include <cstdlib>

namespace loopscope::record_text {

namespace {

// Nine fraction digits in groups of three, as people read nanoseconds.
QString groupedFraction(std::uint64_t ns)
{
    const QString digits = QStringLiteral("%1").arg(ns, 9, 10, QLatin1Char('0'));
    return digits.left(3) + QLatin1Char(' ') + digits.mid(3, 3) + QLatin1Char(' ') + digits.mid(6, 3);
}

} // namespace

QString relativeTime(std::int64_t ns)
{
    const bool negative = ns < 0;
    const std::uint64_t magnitude = negative ? std::uint64_t(0) - std::uint64_t(ns) : std::uint64_t(ns);
    const std::uint64_t seconds = magnitude / 1'000'000'000u;
    return (negative ? QStringLiteral("-") : QString()) + QString::number(seconds) + QLatin1Char('.')
           + groupedFraction(magnitude % 1'000'000'000u) + QStringLiteral(" s");
}

QString duration(std::int64_t ns)
{
    const double v = double(ns);
    const double a = std::abs(v);
    if (a < 1e3)
        return QString::number(ns) + QStringLiteral(" ns");
    if (a < 1e6)
        return QString::number(v / 1e3, 'g', 3 + (a >= 1e5)) + QStringLiteral(" µs");
    if (a < 1e9)
        return QString::number(v / 1e6, 'g', 3 + (a >= 1e8)) + QStringLiteral(" ms");
    return QString::number(v / 1e9, 'f', 3) + QStringLiteral(" s");
}

QString stateChange(const EventRecord& r)
{
    if (r.from == r.to || r.kind == EventKind::RequestText)
        return {};
    return QString::fromLatin1(toString(r.from)) + QStringLiteral(" → ") + QString::fromLatin1(toString(r.to));
}

QString connection(const EventRecord& r)
{
    if (r.conn != 0)
        return QString::number(r.conn);
    if (r.thread == kGuiThread)
        return QStringLiteral("GUI");
    if (r.thread == kLoadGeneratorThread)
        return QStringLiteral("load");
    // The thread-per-connection server's own records (ThreadStarted/Exited) name their thread.
    if (r.kind == EventKind::ThreadStarted || r.kind == EventKind::ThreadExited)
        return QStringLiteral("thread %1").arg(r.arg);
    return QStringLiteral("loop");
}

std::string detail(const EventRecord& r, std::string_view target, bool haveTarget)
{
    std::string out;
    if (r.kind == EventKind::RequestHeadersRead && haveTarget) {
        // The target is what people look for; record_detail cannot know it (it sees one record).
        out += methodText(r.aux);
        out += ' ';
        trace_text::appendValidUtf8(out, target);
        out += ", request ";
        trace_text::appendUnsigned(out, r.arg);
        return out;
    }
    appendRecordDetail(out, r);
    if (r.kind == EventKind::LoadPhase && haveTarget && !target.empty()) {
        out += ": ";
        trace_text::appendValidUtf8(out, target);
    }
    return out;
}

QString detailText(const EventRecord& r, std::string_view target, bool haveTarget)
{
    const std::string s = detail(r, target, haveTarget);
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

} // namespace loopscope::record_text
