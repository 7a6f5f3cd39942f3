// The timeline's colours, in one place so every widget (legend, table, charts) can reuse them.
//
// Contract: colours come from the Okabe-Ito palette, which stays distinguishable with the common
// colour-vision deficiencies; idle states are pale and busy states saturated, so a lane reads as
// "work" versus "waiting" even in greyscale. Where colour alone could mislead, the timeline adds
// a shape (marker glyphs, hatching of rejected answers). Functions are cheap (table lookups) and
// may be called per painted rectangle.
#pragma once

#include "core/event_record.h"
#include "model/timeline_model.h"

#include <QColor>
#include <QString>

namespace loopscope::palette {

// Okabe-Ito, named as its authors name them.
inline constexpr QRgb kBlack = 0xff000000;
inline constexpr QRgb kOrange = 0xffe69f00;
inline constexpr QRgb kSkyBlue = 0xff56b4e9;
inline constexpr QRgb kBluishGreen = 0xff009e73;
inline constexpr QRgb kYellow = 0xfff0e442;
inline constexpr QRgb kBlue = 0xff0072b2;
inline constexpr QRgb kVermillion = 0xffd55e00;
inline constexpr QRgb kReddishPurple = 0xffcc79a7;

// Surfaces of the timeline itself.
inline constexpr QRgb kBackground = 0xffffffff;
inline constexpr QRgb kLaneStripe = 0xfff4f6f8;     // every other lane, so rows are easy to follow
inline constexpr QRgb kHeaderBackground = 0xffe8ebee;
inline constexpr QRgb kGrid = 0xffd8dde2;
inline constexpr QRgb kText = 0xff202428;
inline constexpr QRgb kSelection = 0x400072b2;      // translucent blue over the selected range
inline constexpr QRgb kHighlight = 0xff000000;      // outline of the selected event

// Presenter mode: on a projector pale colours wash out, so idle states get darker tones (still
// lighter than the busy ones). Off by default; GUI thread only.
void setHighContrast(bool on);
bool highContrast();

// Connection states. None and Closed are the background (no connection on the lane).
QColor colorFor(ConnectionState state);
// A span's colour including its flags: a cache-hit FetchingFile and a rejected answer differ.
QColor colorFor(ConnectionState state, std::uint8_t requestFlags);
QColor colorFor(LoopPhase phase);
QColor colorFor(GuiSpanKind kind);
QColor diskColor(bool failed);
QColor markerColor(EventKind kind);

// Words for the legend and tooltips ("reading headers", "dispatching").
QString nameOf(ConnectionState state);
QString nameOf(LoopPhase phase);
QString nameOf(GuiSpanKind kind);
QString markerName(EventKind kind);

} // namespace loopscope::palette
