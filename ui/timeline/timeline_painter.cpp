#include "timeline/timeline_painter.h"

#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/lane_access.h"
#include "timeline/marker_glyph.h"
#include "timeline/palette.h"
#include "timeline/span_columns.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cstring>
#include <vector>

namespace loopscope {

namespace {

constexpr double kMinTickSpacingPx = 110;
constexpr int kMinReadyLabelPx = 24;
constexpr int kMinStateLabelPx = 110;
constexpr int kMarkerSize = 7;

int loopKey(const LoopSpan& s) { return int(s.phase); }

// The first marker at or after t (markers arrive in time order).
std::size_t firstMarkerFrom(const std::deque<Marker>& markers, std::int64_t t)
{
    std::size_t lo = 0, hi = markers.size();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (markers[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

} // namespace

TimelinePainter::TimelinePainter(const TimelineModel& model, const TraceStore& store, const TimeScale& scale,
                                 const TimelineLayout& layout, const TimelineOverlay& overlay,
                                 LaneRowCache* cache)
    : m_model(model), m_store(store), m_scale(scale), m_layout(layout), m_overlay(overlay), m_cache(cache)
{
    for (int s = 0; s < kConnectionStateCount; ++s)
        m_stateColors[std::size_t(s)] = palette::colorFor(ConnectionState(s));
    m_stateColors[lod::kKeyCacheHit] = palette::colorFor(ConnectionState::FetchingFile, kSpanCacheHit);
    m_stateColors[lod::kKeyRejected] = palette::colorFor(ConnectionState::WritingHeaders, kSpanRejected);
    for (std::size_t k = 0; k < m_stateColors.size(); ++k)
        m_stateRgb[k] = m_stateColors[k].rgb();
}

void TimelinePainter::paint(QPainter& p) const
{
    const std::int64_t step = niceTickStep(m_scale.nsPerPixel, kMinTickSpacingPx);
    m_line = QImage(m_layout.timeWidth(), std::max(m_layout.laneHeight, TimelineLayout::kLoopLaneHeight), QImage::Format_RGB32);
    m_gridColumns.clear();
    for (std::int64_t t = firstTickTime(step), end = m_scale.endNs(); t <= end; t += step)
        m_gridColumns.push_back(int(m_scale.mapTimeToX(t)));
    m_shift = liveShift();
    paintBackground(p);
    p.save();
    p.setClipRect(QRect(m_layout.timeLeft(), TimelineLayout::kAxisHeight, m_layout.timeWidth(),
                        m_layout.height - TimelineLayout::kAxisHeight));
    paintGrid(p, step);
    paintEngineLane(p);
    paintGuiLane(p);
    p.setClipRect(QRect(m_layout.timeLeft(), m_layout.connectionTop(), m_layout.timeWidth(),
                        m_layout.connectionViewHeight()));
    for (int slot = m_layout.firstVisibleSlot(); slot < m_layout.endVisibleSlot(); ++slot)
        paintConnectionLane(p, m_layout.laneAtSlot(slot), slot);
    keepRows();
    p.setClipRect(QRect(m_layout.timeLeft(), TimelineLayout::kAxisHeight, m_layout.timeWidth(),
                        m_layout.height - TimelineLayout::kAxisHeight));
    paintMarkers(p);
    paintOverlay(p);
    p.restore();
    paintAxis(p, step);
    paintHeaders(p);
}

void TimelinePainter::paintBackground(QPainter& p) const
{
    p.fillRect(QRect(0, 0, m_layout.width, m_layout.height), QColor::fromRgb(palette::kBackground));
    const QColor stripe = QColor::fromRgb(palette::kLaneStripe);
    p.fillRect(m_layout.rowRect(TimelineLayout::kGuiRow), stripe);
    for (int slot = m_layout.firstVisibleSlot(); slot < m_layout.endVisibleSlot(); ++slot) {
        if (slot % 2 == 1)
            p.fillRect(m_layout.rowRect(TimelineLayout::kFirstConnectionRow + slot), stripe);
    }
}

std::int64_t TimelinePainter::firstTickTime(std::int64_t step) const
{
    // Ticks sit on multiples of the step in relative time (since the session's origin).
    const std::int64_t rel = m_scale.startNs - m_store.originNs();
    std::int64_t first = rel / step * step;
    if (first < rel)
        first += step;
    return first + m_store.originNs();
}

void TimelinePainter::paintGrid(QPainter& p, std::int64_t step) const
{
    p.setPen(QColor::fromRgb(palette::kGrid));
    const std::int64_t end = m_scale.endNs();
    for (std::int64_t t = firstTickTime(step); t <= end; t += step) {
        const int x = m_layout.timeLeft() + int(m_scale.mapTimeToX(t));
        p.drawLine(x, TimelineLayout::kAxisHeight, x, m_layout.height);
    }
}

void TimelinePainter::paintAxis(QPainter& p, std::int64_t step) const
{
    const QRect axis(0, 0, m_layout.width, TimelineLayout::kAxisHeight);
    p.fillRect(axis, QColor::fromRgb(palette::kHeaderBackground));
    p.setPen(QColor::fromRgb(palette::kText));
    p.drawText(QRect(6, 0, TimelineLayout::kHeaderWidth - 12, axis.height()), Qt::AlignVCenter | Qt::AlignLeft,
               m_overlay.replaySpeed > 0 ? QStringLiteral("\u25b6 replay \u00d7%1").arg(m_overlay.replaySpeed)
               : m_overlay.followLive   ? QStringLiteral("\u25cf live")
                                        : QStringLiteral("\u2016 paused"));
    p.save();
    p.setClipRect(QRect(m_layout.timeLeft(), 0, m_layout.timeWidth(), axis.height()));
    const std::int64_t end = m_scale.endNs();
    for (std::int64_t t = firstTickTime(step); t <= end; t += step) {
        const int x = m_layout.timeLeft() + int(m_scale.mapTimeToX(t));
        p.drawLine(x, axis.bottom() - 5, x, axis.bottom());
        p.drawText(x + 3, axis.bottom() - 7, formatTickLabel(t - m_store.originNs(), step));
    }
    p.restore();
    p.drawLine(0, axis.bottom(), m_layout.width, axis.bottom());
}

void TimelinePainter::fillColumns(QPainter& p, const QRect& row, int x0, int x1, const QColor& color) const
{
    p.fillRect(QRect(m_layout.timeLeft() + x0, row.top(), x1 - x0, row.height()), color);
}

void TimelinePainter::paintEngineLane(QPainter& p) const
{
    const QRect row = m_layout.rowRect(TimelineLayout::kEngineRow).adjusted(0, 2, 0, -2);
    bool reuse = false;
    LaneRow& composed = engineRowFor(reuse);
    composeEngineRow(composed, reuse ? m_shift : -1);
    std::memcpy(m_line.scanLine(0), composed.pixels.data(), composed.pixels.size() * sizeof(QRgb));
    drawLine(p, row.top(), row.height());
    // Wide dispatching spans show how many descriptors epoll_wait returned.
    const auto& spans = m_model.engineLoop();
    p.setPen(Qt::white);
    for (const LaneCaption& c : composed.captions) {
        const std::ptrdiff_t i = TimelineModel::spanAt(spans, c.spanStart);
        if (i < 0 || spans[std::size_t(i)].start != c.spanStart)
            continue; // evicted since it was walked
        const std::uint32_t ready = spans[std::size_t(i)].ready; // a copy: the span is packed
        p.drawText(QRect(m_layout.timeLeft() + c.x0, row.top(), c.x1 - c.x0, row.height()), Qt::AlignCenter,
                   QString::number(ready));
    }
}

void TimelinePainter::paintGuiLane(QPainter& p) const
{
    const auto& spans = m_model.guiLoop();
    const QRect row = m_layout.rowRect(TimelineLayout::kGuiRow);
    const std::ptrdiff_t first = TimelineModel::spanAt(spans, m_scale.startNs) - lod::kOverlapBackoff;
    // Two passes: handled events fill the lane; the GUI's own work (drain, paint, charts...) is
    // drawn on top as a narrower bar, because it usually runs nested inside an event.
    for (const bool work : {false, true}) {
        const QRect bar = work ? row.adjusted(0, 6, 0, -6) : row.adjusted(0, 2, 0, -2);
        auto key = [work](const GuiSpan& s) { return (s.kind != GuiSpanKind::Event) == work ? int(s.kind) : -1; };
        const lod::ExplicitEndAccess<std::deque<GuiSpan>, decltype(key)> access{spans, key};
        lod::RunMerger merger([&](int x0, int x1, int k) { fillColumns(p, bar, x0, x1, palette::colorFor(GuiSpanKind(k))); });
        lod::walkColumns(m_scale, first, access, [&](int x0, int x1, int k, std::ptrdiff_t) { merger.add(x0, x1, k); });
    }
}

void TimelinePainter::drawLine(QPainter& p, int top, int height) const
{
    // Copy the composed row down the lane and blit it unscaled: a scaled drawImage goes through
    // Qt's generic transform path, which costs more than all the span walking of a frame.
    height = std::min(height, m_line.height());
    if (height <= 0)
        return;
    const qsizetype bytes = qsizetype(m_line.width()) * qsizetype(sizeof(QRgb));
    for (int y = 1; y < height; ++y)
        std::memcpy(m_line.scanLine(y), m_line.constScanLine(0), std::size_t(bytes));
    p.drawImage(QPoint(m_layout.timeLeft(), top), m_line, QRect(0, 0, m_line.width(), height));
}

void TimelinePainter::paintConnectionLane(QPainter& p, int lane, int slot) const
{
    const QRect row = m_layout.rowRect(TimelineLayout::kFirstConnectionRow + slot).adjusted(0, 1, 0, -1);
    bool reuse = false;
    LaneRow& composed = rowFor(lane, slot, reuse);
    composeStateRow(lane, composed, reuse ? m_shift : -1);
    QRgb* line = reinterpret_cast<QRgb*>(m_line.scanLine(0));
    std::memcpy(line, composed.pixels.data(), composed.pixels.size() * sizeof(QRgb));
    // The disk bar is the bottom quarter of the lane: the worker's time, beside the loop's view.
    const int diskHeight = m_model.laneDiskSpans(lane).empty() ? 0 : std::max(2, row.height() / 4);
    drawLine(p, row.top(), row.height() - diskHeight);
    if (diskHeight > 0) {
        composeDiskRow(lane, composed, reuse ? m_shift : -1);
        for (std::size_t x = 0; x < composed.disk.size(); ++x)
            if (composed.disk[x] != 0)
                line[x] = composed.disk[x];
        drawLine(p, row.bottom() - diskHeight + 1, diskHeight);
    } else {
        composed.disk.clear(); // not shifted while unused: walked in full when reads come again
    }
    for (const auto& [x0, x1] : composed.rejected) // hatched as well as coloured: a refused request
        p.fillRect(QRect(m_layout.timeLeft() + x0, row.top(), x1 - x0, row.height()),
                   QBrush(QColor(0, 0, 0, 90), Qt::BDiagPattern));
    paintCaptions(p, lane, row, composed);
}

// The lane's cached row when this frame may shift it (`reuse`), else a row to compose afresh.
LaneRow& TimelinePainter::rowFor(int lane, int slot, bool& reuse) const
{
    const QRgb background = slot % 2 == 1 ? palette::kLaneStripe : palette::kBackground;
    if (!m_cache)
        return scratchRow(background, reuse);
    LaneRow& row = m_cache->rows[lane];
    const bool refreshDue = (std::uint64_t(lane) + m_cache->frame) % LaneRowCache::kRefreshFrames == 0;
    reuse = reusable(row, background, refreshDue);
    m_drawnLanes.push_back(lane);
    return row;
}

// The engine loop's cached row, like a connection lane's (its spans arrive in order too); its
// full walk is due half a refresh period away from lane 0's.
LaneRow& TimelinePainter::engineRowFor(bool& reuse) const
{
    if (!m_cache)
        return scratchRow(palette::kBackground, reuse);
    const bool refreshDue = m_cache->frame % LaneRowCache::kRefreshFrames == LaneRowCache::kRefreshFrames / 2;
    reuse = reusable(m_cache->engine, palette::kBackground, refreshDue);
    m_cache->lastEngineShifted = reuse;
    return m_cache->engine;
}

LaneRow& TimelinePainter::scratchRow(QRgb background, bool& reuse) const
{
    m_scratchRow.background = background;
    reuse = false;
    return m_scratchRow;
}

bool TimelinePainter::reusable(LaneRow& row, QRgb background, bool refreshDue) const
{
    const bool reuse = m_shift >= 0 && !refreshDue && row.background == background
                       && int(row.pixels.size()) == m_line.width();
    row.background = background;
    (reuse ? m_cache->lastShiftedLanes : m_cache->lastFullLanes) += 1;
    return reuse;
}

// The previous live edge's column was still filling when it was cached; walk it (and one
// before) again.
constexpr int kLiveEdgeMargin = 2;

// The view's scale cut to the columns [from, width): a cached row walks only those.
TimeScale TimelinePainter::columnsFrom(int from) const
{
    TimeScale walked = m_scale;
    walked.startNs = m_scale.mapXToTime(from);
    walked.width = m_scale.width - from;
    return walked;
}

// With shift >= 0 the previous frame's pixels (and captions narrower than `minCaptionPx` no
// more) move left by `shift` columns, and the columns from the previous live edge or the open
// span's start on are cleared to be walked again; otherwise all of them are. Returns the first
// column to walk.
int TimelinePainter::prepareRow(LaneRow& row, int shift, int minCaptionPx) const
{
    const int columns = m_line.width();
    int from = 0;
    if (shift >= 0) {
        const int openSpanColumn = lod::columnOf(m_scale, row.openSpanStart, columns) - 1;
        from = std::clamp(std::min(columns - shift - kLiveEdgeMargin, openSpanColumn), 0, columns);
        std::memmove(row.pixels.data(), row.pixels.data() + shift, std::size_t(columns - shift) * sizeof(QRgb));
        std::erase_if(row.captions, [&](LaneCaption& c) {
            c.x0 = std::max(0, c.x0 - shift);
            c.x1 -= shift;
            return c.x1 > from || c.x1 - c.x0 < minCaptionPx;
        });
        std::erase_if(row.rejected, [&](std::pair<int, int>& r) {
            r.first = std::max(0, r.first - shift);
            r.second = std::min(r.second - shift, from);
            return r.second <= r.first;
        });
    } else {
        row.pixels.resize(std::size_t(columns));
        row.captions.clear();
        row.rejected.clear();
    }
    std::fill(row.pixels.begin() + from, row.pixels.end(), row.background);
    for (const int x : m_gridColumns) // the grid shows where no span covers it
        if (x >= from && x < columns)
            row.pixels[std::size_t(x)] = palette::kGrid;
    return from;
}

// A span walked from `from` on gets a caption from its start column (or the left edge) when
// it is at least `minPx` wide there, even when only its end was walked in this frame.
void TimelinePainter::addCaption(LaneRow& row, std::int64_t spanStart, int from, int x1, int minPx) const
{
    const int startColumn = std::max(0, lod::columnOf(m_scale, spanStart, m_line.width()));
    if (x1 + from - startColumn >= minPx)
        row.captions.push_back({spanStart, startColumn, x1 + from});
}

// The state row of `lane`, walked from prepareRow's first column.
void TimelinePainter::composeStateRow(int lane, LaneRow& row, int shift) const
{
    const int columns = m_line.width();
    const int from = prepareRow(row, shift, kMinStateLabelPx);
    const TimeScale walked = columnsFrom(from);
    const auto& spans = m_model.laneSpans(lane);
    row.openSpanStart = spans.empty() ? m_model.lastTime() : std::int64_t(spans[spans.size() - 1].start);
    const lod::UntilNextAccess<SpanList<StateSpan>, decltype(&lod::keyOf)> access{spans, m_model.lastTime(), &lod::keyOf};
    QRgb* line = row.pixels.data();
    const bool roomForCaptions = m_layout.laneHeight - 2 >= 12;
    lod::RunMerger merger([&](int x0, int x1, int key) {
        x0 = std::clamp(x0 + from, from, columns);
        x1 = std::clamp(x1 + from, from, columns);
        std::fill(line + x0, line + x1, m_stateRgb[std::size_t(key)]);
        if (key == lod::kKeyRejected && x1 > x0)
            row.rejected.emplace_back(x0, x1);
    });
    lod::walkColumns(walked, TimelineModel::spanAt(spans, walked.startNs), access,
                     [&](int x0, int x1, int key, std::ptrdiff_t index) {
                         merger.add(x0, x1, key);
                         if (index >= 0 && roomForCaptions)
                             addCaption(row, spans[std::size_t(index)].start, from, x1, kMinStateLabelPx);
                     });
}

// The engine loop's row: blocked, dispatching (captioned with the ready count when wide), stopped.
void TimelinePainter::composeEngineRow(LaneRow& row, int shift) const
{
    const int columns = m_line.width();
    const int from = prepareRow(row, shift, kMinReadyLabelPx);
    const TimeScale walked = columnsFrom(from);
    const auto& spans = m_model.engineLoop();
    row.openSpanStart = spans.empty() ? m_model.lastTime() : std::int64_t(spans[spans.size() - 1].start);
    const lod::UntilNextAccess<SpanList<LoopSpan>, decltype(&loopKey)> access{spans, m_model.lastTime(), &loopKey};
    const QRgb colours[3] = {palette::colorFor(LoopPhase::Blocked).rgb(), palette::colorFor(LoopPhase::Dispatching).rgb(),
                             palette::colorFor(LoopPhase::Stopped).rgb()};
    QRgb* line = row.pixels.data();
    lod::RunMerger merger([&](int x0, int x1, int key) {
        std::fill(line + std::clamp(x0 + from, from, columns), line + std::clamp(x1 + from, from, columns),
                  colours[key]);
    });
    lod::walkColumns(walked, TimelineModel::spanAt(spans, walked.startNs), access,
                     [&](int x0, int x1, int key, std::ptrdiff_t index) {
                         merger.add(x0, x1, key);
                         if (index >= 0 && key == int(LoopPhase::Dispatching))
                             addCaption(row, spans[std::size_t(index)].start, from, x1, kMinReadyLabelPx);
                     });
}

void TimelinePainter::paintCaptions(QPainter& p, int lane, const QRect& row, const LaneRow& composed) const
{
    if (composed.captions.empty())
        return;
    const auto& spans = m_model.laneSpans(lane);
    p.setPen(QColor::fromRgb(palette::kText));
    const QFontMetrics metrics = p.fontMetrics();
    for (const LaneCaption& c : composed.captions) {
        const std::ptrdiff_t i = TimelineModel::spanAt(spans, c.spanStart);
        if (i < 0 || spans[std::size_t(i)].start != c.spanStart)
            continue; // evicted since it was walked
        const ConnectionState state = spans[std::size_t(i)].state; // a copy: the span is packed
        const QRect rect(m_layout.timeLeft() + c.x0 + 3, row.top(), c.x1 - c.x0 - 6, row.height());
        const QString caption = QStringLiteral("conn %1 \u00b7 %2").arg(m_model.connectionAt(lane, c.spanStart)).arg(palette::nameOf(state));
        if (metrics.horizontalAdvance(caption) <= rect.width()) // a caption never spills over its span
            p.drawText(rect, Qt::AlignVCenter | Qt::AlignLeft, caption);
    }
}

// How many whole columns a follow-live view moved since the cached frame, or -1 when the cached
// rows cannot be shifted (first frame, not following live, zoom, width or colours changed, or
// the view moved back or further than its width).
int TimelinePainter::liveShift() const
{
    if (!m_cache)
        return -1;
    LaneRowCache& cache = *m_cache;
    cache.lastFullLanes = cache.lastShiftedLanes = 0;
    cache.lastEngineShifted = false;
    m_drawnLanes.clear();
    const int columns = m_layout.timeWidth();
    const std::uint64_t colours = colourDigest();
    if (!m_overlay.followLive || !cache.valid || cache.nsPerPixel != m_scale.nsPerPixel
        || cache.columns != columns || cache.colours != colours) {
        cache.clear();
        cache.nsPerPixel = m_scale.nsPerPixel;
        cache.columns = columns;
        cache.colours = colours;
        return -1;
    }
    const std::int64_t moved = m_scale.startNs - cache.startNs;
    const std::int64_t shift = std::llround(double(moved) / m_scale.nsPerPixel);
    // Live views start on whole columns (TimeScale::alignEndToColumn): a shift is exact to 1 ns.
    if (shift < 0 || shift >= columns || std::llabs(moved - std::llround(double(shift) * m_scale.nsPerPixel)) > 1)
        return -1;
    return int(shift);
}

// After the lanes are painted: the cache describes this frame and keeps only its lanes' rows.
void TimelinePainter::keepRows() const
{
    if (!m_cache)
        return;
    LaneRowCache& cache = *m_cache;
    cache.valid = m_overlay.followLive;
    cache.startNs = m_scale.startNs;
    ++cache.frame;
    if (cache.rows.size() > m_drawnLanes.size()) {
        std::unordered_map<int, LaneRow> kept;
        for (const int lane : m_drawnLanes)
            kept.emplace(lane, std::move(cache.rows[lane]));
        cache.rows = std::move(kept);
    }
}

std::uint64_t TimelinePainter::colourDigest() const
{
    std::uint64_t digest = 1469598103934665603ull; // FNV-1a over the state colours
    for (const QRgb rgb : m_stateRgb)
        digest = (digest ^ rgb) * 1099511628211ull;
    return digest;
}

// The disk bar of `lane` (a read's colour per column, 0 where none ran). With shift >= 0 the
// previous frame's columns move left by `shift` and the walk starts at the earlier of the
// previous live edge and the first column of any read that arrived since (a read is recorded
// when it ends, so it can start well before the previous live edge); otherwise every column.
void TimelinePainter::composeDiskRow(int lane, LaneRow& row, int shift) const
{
    const auto& disk = m_model.laneDiskSpans(lane);
    const int columns = m_line.width();
    int from = 0;
    if (shift >= 0 && int(row.disk.size()) == columns) {
        from = std::clamp(columns - shift - kLiveEdgeMargin, 0, columns);
        const std::uint64_t arrived = std::min<std::uint64_t>(disk.pushed() - row.diskPushed, disk.size());
        for (std::size_t i = disk.size() - std::size_t(arrived); i < disk.size(); ++i)
            from = std::min(from, std::max(0, lod::columnOf(m_scale, disk[i].start, columns)));
        std::memmove(row.disk.data(), row.disk.data() + shift, std::size_t(columns - shift) * sizeof(QRgb));
    } else {
        row.disk.resize(std::size_t(columns));
    }
    row.diskPushed = disk.pushed();
    std::fill(row.disk.begin() + from, row.disk.end(), QRgb(0));
    const TimeScale walked = columnsFrom(from);
    auto key = [](const DiskSpan& d) { return d.error != 0 ? 1 : 0; };
    const lod::ExplicitEndAccess<SpanList<DiskSpan>, decltype(key)> access{disk, key};
    const QRgb colors[2] = {palette::diskColor(false).rgb(), palette::diskColor(true).rgb()};
    QRgb* out = row.disk.data();
    lod::walkColumns(walked, TimelineModel::spanAt(disk, walked.startNs) - lod::kOverlapBackoff, access,
                     [&](int x0, int x1, int k, std::ptrdiff_t) {
                         std::fill(out + std::clamp(x0 + from, from, columns), out + std::clamp(x1 + from, from, columns), colors[k]);
                     });
}

void TimelinePainter::paintMarkers(QPainter& p) const
{
    const auto& markers = m_model.markers();
    const std::int64_t end = m_scale.endNs();
    const int firstSlot = m_layout.firstVisibleSlot();
    const int endSlot = m_layout.endVisibleSlot();
    // One glyph per row and pixel column: thousands of timeouts in one column read as one.
    std::vector<int> lastColumn(std::size_t(std::max(0, endSlot - firstSlot)) + 1, -1);
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    for (std::size_t i = firstMarkerFrom(markers, m_scale.startNs); i < markers.size() && markers[i].t <= end; ++i) {
        const Marker& m = markers[i];
        const bool onLoop = m.lane < 0;
        const int slot = onLoop ? -1 : m_layout.slotOfLane(m.lane);
        if (!onLoop && (slot < firstSlot || slot >= endSlot))
            continue;
        const int column = int(m_scale.mapTimeToX(m.t));
        int& last = lastColumn[onLoop ? 0 : std::size_t(slot - firstSlot + 1)];
        if (column == last)
            continue;
        last = column;
        const QRect row = m_layout.rowRect(onLoop ? TimelineLayout::kEngineRow : TimelineLayout::kFirstConnectionRow + slot);
        if (m.kind == EventKind::LoadPhase)
            paintPhaseLine(p, m_layout.timeLeft() + column + 0.5, row.bottom());
        const double r = std::min<double>(kMarkerSize / 2.0, row.height() / 3.0);
        drawMarkerGlyph(p, m.kind, QPointF(m_layout.timeLeft() + column + 0.5, row.center().y() + 0.5), r);
    }
    p.restore();
}

// A load phase changes what every lane does: a faint dashed line down the whole timeline.
void TimelinePainter::paintPhaseLine(QPainter& p, double x, int top) const
{
    p.save();
    QColor color = palette::markerColor(EventKind::LoadPhase);
    color.setAlpha(110);
    p.setPen(QPen(color, 1, Qt::DashLine));
    p.drawLine(QPointF(x, top), QPointF(x, m_layout.height));
    p.restore();
}

QString TimelinePainter::laneName(const TimelineModel& model, int lane, std::int64_t at)
{
    const auto& spans = model.laneSpans(lane);
    const std::ptrdiff_t i = TimelineModel::spanAt(spans, at);
    if (i >= 0 && spans[std::size_t(i)].state != ConnectionState::None)
    {
        const std::uint32_t conn = model.connectionAt(lane, spans[std::size_t(i)].start);
        const ConnectionSummary* summary = model.connection(conn);
        if (summary && summary->thread != 0) // thread per connection: the lane is that thread's
            return QStringLiteral("thread %1: conn %2").arg(summary->thread).arg(conn);
        return QStringLiteral("lane %1: conn %2").arg(lane).arg(conn);
    }
    return QStringLiteral("lane %1").arg(lane);
}

void TimelinePainter::paintHeaders(QPainter& p) const
{
    const QColor background = QColor::fromRgb(palette::kHeaderBackground);
    p.fillRect(QRect(0, TimelineLayout::kAxisHeight, TimelineLayout::kHeaderWidth,
                     m_layout.height - TimelineLayout::kAxisHeight), background);
    p.setPen(QColor::fromRgb(palette::kText));
    const QMargins text(6, 0, 4, 0);
    p.drawText(m_layout.headerRect(TimelineLayout::kEngineRow) - text, Qt::AlignVCenter, QStringLiteral("engine loop"));
    p.drawText(m_layout.headerRect(TimelineLayout::kGuiRow) - text, Qt::AlignVCenter, QStringLiteral("GUI event loop"));
    p.save();
    p.setClipRect(QRect(0, m_layout.connectionTop(), TimelineLayout::kHeaderWidth, m_layout.connectionViewHeight()));
    const bool roomForText = m_layout.laneHeight >= 10;
    const std::int64_t at = std::min(m_scale.endNs(), m_model.lastTime());
    for (int slot = m_layout.firstVisibleSlot(); roomForText && slot < m_layout.endVisibleSlot(); ++slot)
        p.drawText(m_layout.headerRect(TimelineLayout::kFirstConnectionRow + slot) - text, Qt::AlignVCenter,
                   laneName(m_model, m_layout.laneAtSlot(slot), at));
    p.restore();
    p.setPen(QColor::fromRgb(palette::kGrid));
    p.drawLine(0, m_layout.connectionTop() - 1, m_layout.width, m_layout.connectionTop() - 1);
    p.drawLine(TimelineLayout::kHeaderWidth - 1, TimelineLayout::kAxisHeight, TimelineLayout::kHeaderWidth - 1,
               m_layout.height);
}

void TimelinePainter::paintOverlay(QPainter& p) const
{
    const int top = TimelineLayout::kAxisHeight;
    if (m_overlay.hasSelection) {
        const int x0 = m_layout.timeLeft() + int(std::floor(m_scale.mapTimeToX(m_overlay.selectionStart)));
        const int x1 = m_layout.timeLeft() + int(std::ceil(m_scale.mapTimeToX(m_overlay.selectionEnd)));
        p.fillRect(QRect(x0, top, std::max(1, x1 - x0), m_layout.height - top), QColor::fromRgba(palette::kSelection));
    }
    if (m_overlay.highlightRow >= 0) {
        const QRect row = m_layout.rowRect(m_overlay.highlightRow);
        const int x = m_layout.timeLeft() + int(m_scale.mapTimeToX(m_overlay.highlightTime));
        p.setPen(QPen(QColor::fromRgb(palette::kHighlight), 1, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawRect(row.adjusted(0, 0, -1, -1));
        p.fillRect(QRect(x - 1, row.top(), 3, row.height()), QColor::fromRgb(palette::kHighlight));
    }
    if (!m_overlay.laneFilter.isEmpty())
        paintLaneFilterNote(p);
}

// A lane filter hides lanes: say so where the lanes are, so an empty area is not a mystery.
void TimelinePainter::paintLaneFilterNote(QPainter& p) const
{
    const int shown = m_layout.slotCount();
    const QString note = shown == 0
        ? QStringLiteral("no connection is \u201c%1\u201d here \u2014 click the state again to show every lane").arg(m_overlay.laneFilter)
        : QStringLiteral("only the %1 lane%2 \u201c%3\u201d here").arg(shown).arg(shown == 1 ? "" : "s").arg(m_overlay.laneFilter);
    const QFontMetrics metrics = p.fontMetrics();
    const int w = metrics.horizontalAdvance(note) + 12;
    const QRect box(m_layout.timeLeft() + m_layout.timeWidth() - w - 4, m_layout.connectionTop() + 4, w, metrics.height() + 6);
    p.fillRect(box, QColor(255, 255, 255, 230));
    p.setPen(QColor::fromRgb(palette::kText));
    p.drawRect(box.adjusted(0, 0, -1, -1));
    p.drawText(box, Qt::AlignCenter, note);
}

} // namespace loopscope
