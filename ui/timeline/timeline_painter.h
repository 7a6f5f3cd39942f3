// TimelinePainter: paints one frame of the timeline (private to ui/timeline; TimelineView owns
// the state, this only draws it).
//
// Contract: paints only the visible time range and the visible rows; each lane goes through
// lod::walkColumns, so a frame costs O(visible lanes * columns * log spans), independent of
// the number of recorded spans. Markers in view are drawn once per lane and pixel column.
#pragma once

#include "timeline/lane_row_cache.h"
#include "timeline/time_scale.h"
#include "timeline/timeline_layout.h"

#include <QColor>
#include <QImage>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

class QPainter;

namespace loopscope {

class TimelineModel;
class TraceStore;

struct TimelineOverlay {
    bool followLive = true;
    bool hasSelection = false;
    std::int64_t selectionStart = 0;
    std::int64_t selectionEnd = 0;
    int highlightRow = -1;          // the selected event's row, or -1
    std::int64_t highlightTime = 0;
    QString laneFilter; // the lane filter's state name, empty when every lane shows
    double replaySpeed = 0; // > 0 while a slow-motion replay runs
};

class TimelinePainter {
public:
    // `cache` (optional) keeps the connection lanes' rows between frames: see LaneRowCache.
    TimelinePainter(const TimelineModel& model, const TraceStore& store, const TimeScale& scale,
                    const TimelineLayout& layout, const TimelineOverlay& overlay,
                    LaneRowCache* cache = nullptr);

    void paint(QPainter& p) const;

    // "lane 12: conn 345" when a connection holds the lane at the view's right edge.
    static QString laneName(const TimelineModel& model, int lane, std::int64_t at);

private:
    void paintBackground(QPainter& p) const;
    void paintLaneFilterNote(QPainter& p) const;
    void paintGrid(QPainter& p, std::int64_t step) const;
    void paintAxis(QPainter& p, std::int64_t step) const;
    void paintEngineLane(QPainter& p) const;
    void paintGuiLane(QPainter& p) const;
    void paintConnectionLane(QPainter& p, int lane, int slot) const;
    LaneRow& rowFor(int lane, int slot, bool& reuse) const;
    LaneRow& engineRowFor(bool& reuse) const;
    LaneRow& scratchRow(QRgb background, bool& reuse) const;
    bool reusable(LaneRow& row, QRgb background, bool refreshDue) const;
    int prepareRow(LaneRow& row, int shift, int minCaptionPx) const;
    void addCaption(LaneRow& row, std::int64_t spanStart, int from, int x1, int minPx) const;
    void composeStateRow(int lane, LaneRow& row, int shift) const;
    void composeEngineRow(LaneRow& row, int shift) const;
    void paintCaptions(QPainter& p, int lane, const QRect& row, const LaneRow& composed) const;
    int liveShift() const;
    void keepRows() const;
    std::uint64_t colourDigest() const;
    void composeDiskRow(int lane, LaneRow& row, int shift) const;
    TimeScale columnsFrom(int from) const;
    void drawLine(QPainter& p, int top, int height) const;
    void paintMarkers(QPainter& p) const;
    void paintPhaseLine(QPainter& p, double x, int top) const;
    void paintHeaders(QPainter& p) const;
    void paintOverlay(QPainter& p) const;
    void fillColumns(QPainter& p, const QRect& row, int x0, int x1, const QColor& color) const;
    std::int64_t firstTickTime(std::int64_t step) const;

    const TimelineModel& m_model;
    const TraceStore& m_store;
    const TimeScale& m_scale;
    const TimelineLayout& m_layout;
    const TimelineOverlay& m_overlay;
    std::array<QColor, 10> m_stateColors;
    std::array<QRgb, 10> m_stateRgb;
    // Connection lanes are composed one pixel row at a time (row 0 of m_line), copied down to the
    // lane height and blitted: one drawImage per lane instead of a fillRect per pixel column.
    mutable QImage m_line;
    mutable std::vector<int> m_gridColumns;
    LaneRowCache* m_cache;
    mutable int m_shift = -1;         // columns the live view moved since the cached frame, or -1
    mutable LaneRow m_scratchRow;     // the row of a lane painted without a cache
    mutable std::vector<int> m_drawnLanes;
};

} // namespace loopscope
