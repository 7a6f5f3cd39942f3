// LaneRowCache: what the previous frame composed for each visible connection lane, so that a
// follow-live frame whose view only moved right by whole pixel columns shifts those pixels and
// walks the spans of the new columns only (private to ui/timeline).
//
// Why: under a firehose every column of every lane holds many spans, and walking them all for
// each of 1,440 columns and ~40 lanes took 20+ ms a frame (bench_gui_firehose: frame p99 74 ms).
// A live frame moves a few columns, and what a lane showed before the start of its last span
// (the one still open when the row was cached) is final: a lane's own records arrive in order,
// so only that open span can end, and new ones follow it. (Its end can lie before the previous
// live edge: a disk worker's DiskReadDone carries the time the read ended.) So a lane is walked
// again from its open span's start, or from the previous live edge if that is later. Disk spans
// arrive whole and late (a read is recorded when it ends), so the disk bar is walked again from
// the earliest start of the disk spans that arrived since the row was composed, or from the
// previous live edge if that is earlier. The engine loop's lane is cached the same way (its
// spans come from one thread, in order); the GUI loop's lane is walked in full. Each lane is
// also walked in full once every kRefreshFrames frames, staggered by lane, which mends anything
// a cached row could miss (spans evicted from the store) without making one frame in
// kRefreshFrames slow.
//
// Contract: owned by TimelineView, which outlives each one-frame TimelinePainter; the painter
// reads and rewrites it. Rows are keyed by lane; a row is reused only when the view's scale,
// width, colours and the lane's background stripe are those it was composed with.
#pragma once

#include <QRgb>

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loopscope {

struct LaneCaption {
    std::int64_t spanStart = 0; // the captioned span, found again by time when drawn
    int x0 = 0;                 // columns of the time area
    int x1 = 0;
};

struct LaneRow {
    QRgb background = 0;
    std::int64_t openSpanStart = 0;         // the lane's last span when composed
    std::vector<QRgb> pixels;               // the state row, one pixel per column
    std::vector<LaneCaption> captions;      // spans wide enough for "conn N · state"
    std::vector<std::pair<int, int>> rejected; // column runs of refused requests (hatched)
    std::vector<QRgb> disk;                 // the disk bar: a read's colour, or 0 for none
    std::uint64_t diskPushed = 0;           // the lane's disk spans pushed when composed
};

struct LaneRowCache {
    static constexpr int kRefreshFrames = 32;

    bool valid = false;
    std::int64_t startNs = 0;
    double nsPerPixel = 0;
    int columns = 0;
    std::uint64_t colours = 0; // a digest of the state colours the rows were drawn with
    std::uint64_t frame = 0;
    std::unordered_map<int, LaneRow> rows; // by lane: only the lanes of the last frame
    LaneRow engine;                        // the engine loop's lane
    // Diagnostics for the tests and the firehose benchmark (the engine loop's lane included).
    int lastFullLanes = 0;
    int lastShiftedLanes = 0;
    bool lastEngineShifted = false;

    void clear()
    {
        valid = false;
        rows.clear();
        engine = {};
    }
};

} // namespace loopscope
