#include "timeline/marker_glyph.h"

#include "timeline/palette.h"

#include <QPainter>

namespace loopscope {

// Shapes as well as colours, so a marker is recognisable without colour vision.
void drawMarkerGlyph(QPainter& p, EventKind kind, QPointF c, double r)
{
    p.setBrush(palette::markerColor(kind));
    p.setPen(QPen(QColor::fromRgb(palette::kText), 1));
    switch (kind) {
    case EventKind::TimedOut: { // downward triangle, like an hourglass running out
        const QPointF pts[3] = {{c.x() - r, c.y() - r}, {c.x() + r, c.y() - r}, {c.x(), c.y() + r}};
        p.drawPolygon(pts, 3);
        return;
    }
    case EventKind::RequestRejected:
        p.setPen(QPen(palette::markerColor(kind), 2));
        p.drawLine(QPointF(c.x() - r, c.y() - r), QPointF(c.x() + r, c.y() + r));
        p.drawLine(QPointF(c.x() - r, c.y() + r), QPointF(c.x() + r, c.y() - r));
        return;
    case EventKind::RecordsDropped: // a full-height bar: something is missing here
        p.setPen(QPen(palette::markerColor(kind), 2));
        p.drawLine(QPointF(c.x(), c.y() - 2 * r), QPointF(c.x(), c.y() + 2 * r));
        return;
    case EventKind::AcceptPaused:
        p.drawRect(QRectF(c.x() - r, c.y() - r, r * 0.7, 2 * r));
        p.drawRect(QRectF(c.x() + r * 0.3, c.y() - r, r * 0.7, 2 * r));
        return;
    case EventKind::LoadPhase: // a flag: the load generator moved on to another phase
        p.setPen(QPen(palette::markerColor(kind), 1.5));
        p.drawLine(QPointF(c.x() - r * 0.6, c.y() - r), QPointF(c.x() - r * 0.6, c.y() + r));
        p.setPen(Qt::NoPen);
        {
            const QPointF pts[3] = {{c.x() - r * 0.6, c.y() - r}, {c.x() + r, c.y() - r * 0.4},
                                    {c.x() - r * 0.6, c.y() + r * 0.2}};
            p.drawPolygon(pts, 3);
        }
        return;
    case EventKind::LoopPaused: // a pause sign, as on a player
        p.drawRect(QRectF(c.x() - r * 0.8, c.y() - r, r * 0.6, 2 * r));
        p.drawRect(QRectF(c.x() + r * 0.2, c.y() - r, r * 0.6, 2 * r));
        return;
    case EventKind::LoopStepped: { // "step forward": a bar and a triangle
        p.drawRect(QRectF(c.x() + r * 0.5, c.y() - r, r * 0.4, 2 * r));
        const QPointF pts[3] = {{c.x() - r, c.y() - r}, {c.x() - r, c.y() + r}, {c.x() + r * 0.4, c.y()}};
        p.drawPolygon(pts, 3);
        return;
    }
    case EventKind::LoopResumed: { // "play": two triangles, running again
        const QPointF a[3] = {{c.x() - r, c.y() - r}, {c.x() - r, c.y() + r}, {c.x(), c.y()}};
        const QPointF b[3] = {{c.x(), c.y() - r}, {c.x(), c.y() + r}, {c.x() + r, c.y()}};
        p.drawPolygon(a, 3);
        p.drawPolygon(b, 3);
        return;
    }
    case EventKind::ServerStarted: {
        const QPointF pts[3] = {{c.x() - r, c.y() - r}, {c.x() - r, c.y() + r}, {c.x() + r, c.y()}};
        p.drawPolygon(pts, 3);
        return;
    }
    default: // stopped, failed
        p.drawRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r));
        return;
    }
}

} // namespace loopscope
