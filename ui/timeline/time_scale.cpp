#include "timeline/time_scale.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace loopscope {

namespace {

struct Unit {
    std::int64_t ns;
    int exponent; // log10(ns)
    const char* name;
};

// Largest unit not above `magnitude` (ns for anything under a microsecond).
Unit unitFor(std::int64_t magnitude)
{
    if (magnitude >= 1'000'000'000)
        return {1'000'000'000, 9, "s"};
    if (magnitude >= 1'000'000)
        return {1'000'000, 6, "ms"};
    if (magnitude >= 1'000)
        return {1'000, 3, "\u00b5s"};
    return {1, 0, "ns"};
}

int exponentOf(std::int64_t step)
{
    int k = 0;
    while (step >= 10 && step % 10 == 0) {
        step /= 10;
        ++k;
    }
    return k;
}

// t / unit with exactly `decimals` digits after the point, computed in integers so long
// sessions keep every nanosecond.
QString fixedPoint(std::int64_t t, const Unit& unit, int decimals)
{
    const bool negative = t < 0;
    const std::uint64_t magnitude = negative ? std::uint64_t(0) - std::uint64_t(t) : std::uint64_t(t);
    const std::uint64_t whole = magnitude / std::uint64_t(unit.ns);
    std::uint64_t fraction = magnitude % std::uint64_t(unit.ns);
    for (int drop = unit.exponent - decimals; drop > 0; --drop)
        fraction /= 10; // truncation: tick times are exact multiples of the step anyway
    QString text = negative ? QStringLiteral("-") : QString();
    text += QString::number(whole);
    if (decimals > 0)
        text += QLatin1Char('.') + QStringLiteral("%1").arg(fraction, decimals, 10, QLatin1Char('0'));
    return text + QLatin1Char(' ') + QString::fromUtf8(unit.name);
}

} // namespace

std::int64_t TimeScale::mapXToTime(double x) const
{
    return startNs + std::llround(x * nsPerPixel);
}

void TimeScale::zoomAround(double x, double factor)
{
    if (!(factor > 0))
        return;
    const double before = nsPerPixel;
    nsPerPixel = before / factor;
    clampZoom();
    // t(x) = start + x * nsPerPixel stays the same: move start by what x's offset changed.
    startNs += std::llround(x * (before - nsPerPixel));
}

void TimeScale::panByPixels(double dx)
{
    startNs -= std::llround(dx * nsPerPixel);
}

void TimeScale::fit(std::int64_t t0, std::int64_t t1)
{
    if (t1 < t0)
        std::swap(t0, t1);
    nsPerPixel = double(t1 - t0) / width;
    clampZoom();
    // When clamped the range does not fill the width exactly: centre it.
    const std::int64_t middle = t0 + (t1 - t0) / 2;
    centreOn(middle);
}

void TimeScale::alignEndTo(std::int64_t t)
{
    startNs = t - std::llround(visibleNs());
}

void TimeScale::alignEndToColumn(std::int64_t t, std::int64_t originNs)
{
    const double column = std::ceil(double(t - originNs) / nsPerPixel - width);
    startNs = originNs + std::llround(column * nsPerPixel);
}

void TimeScale::centreOn(std::int64_t t)
{
    startNs = t - std::llround(visibleNs() / 2);
}

void TimeScale::setWidth(double pixels)
{
    width = std::max(1.0, pixels);
    clampZoom();
}

void TimeScale::clampZoom()
{
    if (!(width > 0))
        width = 1;
    nsPerPixel = std::clamp(nsPerPixel, kMinVisibleNs / width, kMaxVisibleNs / width);
}

std::int64_t niceTickStep(double nsPerPixel, double minSpacingPx)
{
    const double wanted = std::max(1.0, nsPerPixel * minSpacingPx);
    std::int64_t decade = 1;
    while (true) {
        for (const std::int64_t m : {1, 2, 5}) {
            if (double(decade * m) >= wanted)
                return decade * m;
        }
        if (decade > INT64_MAX / 100)
            return decade * 10;
        decade *= 10;
    }
}

QString formatTickLabel(std::int64_t t, std::int64_t step)
{
    step = std::max<std::int64_t>(1, step);
    const std::int64_t magnitude = std::max<std::int64_t>(std::llabs(t), step);
    const Unit unit = unitFor(magnitude);
    const int needed = std::max(0, unit.exponent - exponentOf(step));
    const int decimals = std::min(unit.exponent, (needed + 2) / 3 * 3);
    return fixedPoint(t, unit, decimals);
}

QString formatPreciseNs(std::int64_t t)
{
    const Unit unit = unitFor(std::llabs(t));
    return fixedPoint(t, unit, unit.exponent);
}

QString formatDuration(std::int64_t ns)
{
    const Unit unit = unitFor(std::llabs(ns));
    return fixedPoint(ns, unit, std::min(3, unit.exponent));
}

} // namespace loopscope
