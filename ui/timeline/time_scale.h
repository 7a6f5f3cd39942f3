// TimeScale: the time <-> pixel arithmetic of the timeline, as a plain value.
//
// Contract: times are CLOCK_MONOTONIC nanoseconds (int64), pixels are doubles measured from the
// left edge of the plotted area (x = 0 shows `startNs`). `nsPerPixel` always keeps the visible
// duration (width * nsPerPixel) within [kMinVisibleNs, kMaxVisibleNs]: from 1 µs per screen
// (about 1 ns per pixel) out to 10 minutes per screen. Every operation keeps that invariant.
// Rounding: a time mapped to x and back comes back within half a nanosecond.
//
// Also here: the axis helpers (nice tick steps and their labels), which are pure arithmetic too.
#pragma once

#include <QString>

#include <cstdint>

namespace loopscope {

struct TimeScale {
    static constexpr double kMinVisibleNs = 1'000.0;            // 1 µs per screen
    static constexpr double kMaxVisibleNs = 600'000'000'000.0;  // 10 minutes per screen

    std::int64_t startNs = 0;   // time at x = 0
    double nsPerPixel = 1e6;    // 1 ms per pixel until told otherwise
    double width = 1000;        // pixels (> 0)

    double mapTimeToX(std::int64_t t) const { return double(t - startNs) / nsPerPixel; }
    std::int64_t mapXToTime(double x) const;
    std::int64_t endNs() const { return mapXToTime(width); }
    double visibleNs() const { return width * nsPerPixel; }

    // Multiplies the magnification by `factor` (> 1 zooms in) keeping the time under x fixed.
    // At the zoom limits the scale stops there (the time under x still stays put).
    void zoomAround(double x, double factor);
    // Moves the content by dx pixels: positive dx drags the content right (shows earlier times).
    void panByPixels(double dx);
    // Shows [t0, t1] across the whole width (clamped to the zoom limits, centred when clamped).
    void fit(std::int64_t t0, std::int64_t t1);
    // Keeps the zoom and puts time t at the right edge.
    void alignEndTo(std::int64_t t);
    // Follow-live: the same, with the start on a whole column counted from `originNs` (so t lies
    // in the last column). Two such views differ by whole columns, which lets the painter shift
    // the previous frame's pixels instead of drawing every column again (LaneRowCache).
    void alignEndToColumn(std::int64_t t, std::int64_t originNs);
    // Keeps the zoom and puts time t in the middle.
    void centreOn(std::int64_t t);
    // Resizes, keeping start and zoom (re-clamped to the new width).
    void setWidth(double pixels);
    // Brings nsPerPixel back within the limits for the current width.
    void clampZoom();
};

// The axis: a tick step of 1, 2 or 5 x 10^k ns so that ticks are at least `minSpacingPx` apart.
std::int64_t niceTickStep(double nsPerPixel, double minSpacingPx);
// A tick label for the relative time `t` (ns since the session's origin) on an axis of `step`:
// unit from the magnitude of t (or of the step near zero), decimals in groups of three, enough to
// tell ticks apart: "1.250 s", "340 µs", "0 ms", "-2 ms".
QString formatTickLabel(std::int64_t t, std::int64_t step);
// A duration or relative time to the nanosecond, for details: "1.234567891 s", "340 ns".
QString formatPreciseNs(std::int64_t t);
// A duration at a readable precision (truncated to 3 decimals of its unit): "12.345 µs", "1.200 s".
QString formatDuration(std::int64_t ns);

} // namespace loopscope
