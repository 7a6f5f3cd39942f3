// TimelineLayout: where each part of the timeline sits in the widget (private to ui/timeline).
//
// Contract: rows are numbered top to bottom: row 0 is the engine loop, row 1 the GUI loop, and
// row 2 + k is slot k of the connection area. Slot k shows connection lane k, unless a lane
// filter is set (`shownLanes`, sorted): then slot k shows shownLanes[k]. The two loop rows are
// pinned under the axis; connection rows scroll vertically by `scrollY` pixels. The time area starts at x = kHeaderWidth and is
// `timeWidth` pixels wide (the TimeScale's width). Pure arithmetic, no painting.
#pragma once

#include <QRect>

#include <algorithm>
#include <vector>

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
    const std::vector<int>* shownLanes = nullptr; // the lane filter's lanes, or nullptr: all

    int slotCount() const { return shownLanes ? int(shownLanes->size()) : connectionLanes; }
    int laneAtSlot(int slot) const { return shownLanes ? (*shownLanes)[std::size_t(slot)] : slot; }
    // The slot showing `lane`, or -1 when the filter hides it.
    int slotOfLane(int lane) const
    {
        if (!shownLanes)
            return lane;
        const auto at = std::lower_bound(shownLanes->begin(), shownLanes->end(), lane);
        return at != shownLanes->end() && *at == lane ? int(at - shownLanes->begin()) : -1;
    }

    int timeLeft() const { return kHeaderWidth; }
    int timeWidth() const { return width > kHeaderWidth ? width - kHeaderWidth : 1; }
    int connectionTop() const { return kAxisHeight + 2 * kLoopLaneHeight; }
    int connectionViewHeight() const { return height > connectionTop() ? height - connectionTop() : 0; }
    int contentHeight() const { return slotCount() * laneHeight; }
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
        const int slot = row - kFirstConnectionRow;
        return {timeLeft(), connectionTop() + slot * laneHeight - scrollY, timeWidth(), laneHeight};
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
        const int slot = (y - connectionTop() + scrollY) / laneHeight;
        return slot < slotCount() ? kFirstConnectionRow + slot : -1;
    }
    // Visible connection slots: [firstVisibleSlot, endVisibleSlot).
    int firstVisibleSlot() const { return scrollY / laneHeight; }
    int endVisibleSlot() const
    {
        const int end = (scrollY + connectionViewHeight() + laneHeight - 1) / laneHeight;
        return std::min(end, slotCount());
    }
};

} // namespace loopscope
