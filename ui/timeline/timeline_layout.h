// TimelineLayout: where each part of the timeline sits in the widget (private to ui/timeline).
//
// Contract: rows are numbered top to bottom: row 0 is the engine loop, row 1 the GUI loop, and
// row 2 + k is connection lane k. The two loop rows are pinned under the axis; connection rows
// scroll vertically by `scrollY` pixels. The time area starts at x = kHeaderWidth and is
// `timeWidth` pixels wide (the TimeScale's width). Pure arithmetic, no painting.
#pragma once

#include <QRect>

namespace loopscope {

struct TimelineLayout {
    static constexpr int kHeaderWidth = 160;
    static constexpr int kAxisHeight = 24;
    static constexpr int kLoopLaneHeight = 22;
    static constexpr int kEngineRow = 0;
    static constexpr int kGuiRow = 1;
    static constexpr int kFirstConnectionRow = 2;

    int width = 0;          // widget width without the scroll bar
    int height = 0;
    int laneHeight = 18;    // connection lanes
    int scrollY = 0;        // connection-lane pixels scrolled off the top
    int connectionLanes = 0;

    int timeLeft() const { return kHeaderWidth; }
    int timeWidth() const { return width > kHeaderWidth ? width - kHeaderWidth : 1; }
    int connectionTop() const { return kAxisHeight + 2 * kLoopLaneHeight; }
    int connectionViewHeight() const { return height > connectionTop() ? height - connectionTop() : 0; }
    int contentHeight() const { return connectionLanes * laneHeight; }
    int maxScroll() const
    {
        const int extra = contentHeight() - connectionViewHeight();
        return extra > 0 ? extra : 0;
    }

    // The row's rectangle over the time area (its header cell is left of it), in widget
    // coordinates; connection rows may lie outside the visible area.
    QRect rowRect(int row) const
    {
        if (row < kFirstConnectionRow)
            return {timeLeft(), kAxisHeight + row * kLoopLaneHeight, timeWidth(), kLoopLaneHeight};
        const int lane = row - kFirstConnectionRow;
        return {timeLeft(), connectionTop() + lane * laneHeight - scrollY, timeWidth(), laneHeight};
    }
    QRect headerRect(int row) const
    {
        const QRect r = rowRect(row);
        return {0, r.top(), kHeaderWidth, r.height()};
    }
    // The row under y, or -1 (the axis, or below the last lane).
    int rowAt(int y) const
    {
        if (y < kAxisHeight)
            return -1;
        if (y < connectionTop())
            return (y - kAxisHeight) / kLoopLaneHeight;
        const int lane = (y - connectionTop() + scrollY) / laneHeight;
        return lane < connectionLanes ? kFirstConnectionRow + lane : -1;
    }
    // Visible connection lanes: [firstVisibleLane, endVisibleLane).
    int firstVisibleLane() const { return scrollY / laneHeight; }
    int endVisibleLane() const
    {
        const int end = (scrollY + connectionViewHeight() + laneHeight - 1) / laneHeight;
        return end < connectionLanes ? end : connectionLanes;
    }
};

} // namespace loopscope
