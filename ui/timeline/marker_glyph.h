// Marker glyphs: the shape drawn for each point event (timeout, rejection, drop, accept pause,
// server start/stop, load generator phase). Shared by the timeline and its legend so both always agree.
#pragma once

#include "core/event_record.h"

#include <QPointF>

class QPainter;

namespace loopscope {

// Draws the glyph of `kind` centred on c with radius r. Changes the painter's pen and brush.
void drawMarkerGlyph(QPainter& p, EventKind kind, QPointF c, double r);

} // namespace loopscope
