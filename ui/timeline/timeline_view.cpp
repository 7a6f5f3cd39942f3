#include "timeline/timeline_view.h"

#include "core/clock.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "timeline/lane_access.h"
#include "timeline/load_phase_text.h"
#include "timeline/palette.h"
#include "timeline/span_details.h"
#include "trace/record_detail.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace loopscope {

namespace {

constexpr double kWheelZoomPerStep = 1.25;
constexpr double kKeyZoom = 1.5;
constexpr int kDragThresholdPx = 4;
constexpr int kMarkerHitPx = 4;
constexpr std::int64_t kDefaultVisibleNs = 5'000'000'000;

bool isGuiRecord(const EventRecord& r)
{
    return r.thread == kGuiThread || isGuiLoopKind(r.kind);
}

} // namespace

TimelineView::TimelineView(const TimelineModel& model, const TraceStore& store, QWidget* parent)
    : QWidget(parent), m_model(model), m_store(store), m_scrollBar(new QScrollBar(Qt::Vertical, this))
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setAttribute(Qt::WA_OpaquePaintEvent); // every pixel is painted: no background erase
    setMinimumSize(TimelineLayout::kHeaderWidth + 120, TimelineLayout::kAxisHeight + 4 * kDefaultLaneHeight);
    m_layout.laneHeight = kDefaultLaneHeight;
    m_scale.nsPerPixel = double(kDefaultVisibleNs) / m_scale.width;
    m_repaintTimer.setSingleShot(true);
    connect(&m_repaintTimer, &QTimer::timeout, this, qOverload<>(&QWidget::update));
    m_replayTimer.setInterval(16);
    connect(&m_replayTimer, &QTimer::timeout, this, &TimelineView::advanceReplay);
    connect(m_scrollBar, &QScrollBar::valueChanged, this, [this](int value) {
        m_layout.scrollY = value;
        update();
    });
    updateGeometryState();
}

QList<QPair<QString, QString>> TimelineView::shortcuts()
{
    return {
        {tr("Wheel"), tr("Zoom around the mouse (around the live edge while following)")},
        {tr("+ / -"), tr("Zoom in / out around the centre")},
        {tr("Drag"), tr("Pan (stops following live data)")},
        {tr("Shift+Drag"), tr("Select a time range")},
        {tr("Z"), tr("Zoom to the selected range")},
        {tr("Home / F"), tr("Fit the whole recording")},
        {tr("Space"), tr("Pause / resume following live data")},
        {tr("End"), tr("Follow live data")},
        {tr("Left / Right"), tr("Pan by an eighth of the view")},
        {tr("Up / Down, Shift+Wheel"), tr("Scroll the connection lanes")},
        {tr("[ / ], Ctrl+Wheel"), tr("Lane height smaller / larger")},
        {tr("Esc"), tr("Clear the selection (or stop a replay)")},
        {tr("R"), tr("Replay the last 5 seconds in slow motion (any key or click stops it)")},
        {tr("Click"), tr("Select a connection and its transition")},
    };
}

void TimelineView::setVisibleRange(std::int64_t t0, std::int64_t t1)
{
    setFollowLive(false);
    m_scale.fit(t0, t1);
    update();
    emit visibleRangeChanged();
}

void TimelineView::setView(std::int64_t startNs, double nsPerPixel)
{
    m_scale.startNs = startNs;
    m_scale.nsPerPixel = nsPerPixel;
    m_scale.clampZoom();
    refresh(); // follow-live puts the right edge back at the live edge
    update();
}

void TimelineView::setLaneHeight(int pixels)
{
    const int clamped = std::clamp(pixels, kMinLaneHeight, kMaxLaneHeight);
    if (clamped == m_layout.laneHeight)
        return;
    // Keep the lane at the top of the view at the top.
    const int topLane = m_layout.firstVisibleSlot();
    m_layout.laneHeight = clamped;
    syncScrollBar();
    setVerticalScroll(topLane * clamped);
    update();
}

void TimelineView::setVerticalScroll(int pixels)
{
    m_scrollBar->setValue(std::clamp(pixels, 0, m_layout.maxScroll()));
    m_layout.scrollY = m_scrollBar->value();
    update();
}

// Called for every batch the consumer appends (about 60 times a second). Under a firehose a
// frame can cost more than that interval; repainting anyway would leave the GUI loop no time
// for input. So a live repaint starts no sooner than twice the last paint's cost after that
// paint began (and frames are at least 16 ms apart): the GUI spends at most half its time
// drawing, and stays responsive.
void TimelineView::refresh()
{
    syncScrollBar();
    if (m_overlay.followLive && m_model.lastTime() != 0)
        m_scale.alignEndToColumn(m_model.lastTime(), m_store.originNs());
    constexpr std::int64_t kFrameNs = 16'000'000;
    const std::int64_t gap = std::max(kFrameNs, 2 * m_lastPaintNs) - m_lastPaintNs; // after the paint ended
    const std::int64_t since = monotonicNs() - m_lastPaintEndNs;
    if (since >= gap) {
        update();
        return;
    }
    if (!m_repaintTimer.isActive())
        m_repaintTimer.start(int((gap - since) / 1'000'000) + 1);
}

// Slow motion: the view's right edge walks from `spanNs` before the newest record up to it at
// `speed` times real time (0.1: ten times slower), so a presenter can narrate each step.
void TimelineView::startReplay(std::int64_t spanNs, double speed)
{
    const std::int64_t last = m_model.lastTime();
    if (last == 0 || spanNs <= 0 || speed <= 0)
        return;
    setFollowLive(false);
    m_replayFrom = std::max(m_model.firstTime(), last - spanNs);
    m_replayTo = last;
    m_replaySpeed = speed;
    m_replayStartedNs = monotonicNs();
    // Zoomed so that a step of the loop is wide enough to follow: at most a fifth of the span.
    const std::int64_t visible = std::min<std::int64_t>(std::int64_t(m_scale.nsPerPixel * m_scale.width), (m_replayTo - m_replayFrom) / 5);
    m_scale.fit(m_replayFrom - std::max<std::int64_t>(visible, 1000), m_replayFrom);
    m_overlay.replaySpeed = speed;
    m_replayTimer.start();
    emit replayChanged(true);
    update();
}

void TimelineView::stopReplay()
{
    if (!replaying())
        return;
    m_replayTimer.stop();
    m_overlay.replaySpeed = 0;
    emit replayChanged(false);
    update();
}

void TimelineView::advanceReplay()
{
    const double elapsed = double(monotonicNs() - m_replayStartedNs) * m_replaySpeed;
    const std::int64_t edge = m_replayFrom + std::int64_t(elapsed);
    if (edge >= m_replayTo) {
        m_scale.alignEndTo(m_replayTo);
        stopReplay();
        setFollowLive(true); // the replay caught up with the present
        return;
    }
    m_scale.alignEndTo(edge);
    update();
    emit visibleRangeChanged();
}

void TimelineView::setFollowLive(bool on)
{
    if (on)
        stopReplay();
    if (on == m_overlay.followLive)
        return;
    m_overlay.followLive = on;
    emit followLiveChanged(on);
    refresh();
}

void TimelineView::fitAll()
{
    if (m_model.lastTime() == 0)
        return;
    setVisibleRange(m_model.firstTime(), m_model.lastTime());
}

void TimelineView::zoomToSelection()
{
    if (!m_overlay.hasSelection || m_overlay.selectionEnd <= m_overlay.selectionStart)
        return;
    setVisibleRange(m_overlay.selectionStart, m_overlay.selectionEnd);
}

void TimelineView::zoomIn()
{
    zoomAt(m_scale.width / 2, kKeyZoom);
}

void TimelineView::zoomOut()
{
    zoomAt(m_scale.width / 2, 1 / kKeyZoom);
}

void TimelineView::zoomAt(double timeX, double factor)
{
    // While following, the live edge stays put: zoom around the right edge instead.
    m_scale.zoomAround(m_overlay.followLive ? m_scale.width : timeX, factor);
    refresh();
    emit visibleRangeChanged();
}

void TimelineView::panBy(double dx)
{
    setFollowLive(false);
    m_scale.panByPixels(dx);
    update();
    emit visibleRangeChanged();
}

void TimelineView::clearSelection()
{
    m_overlay.hasSelection = false;
    update();
}

void TimelineView::selectEvent(quint64 storeIndex)
{
    if (storeIndex < m_store.beginIndex() || storeIndex >= m_store.endIndex())
        return;
    // A RequestText record holds text, not time: use the record it belongs to.
    std::uint64_t timed = storeIndex;
    while (timed > m_store.beginIndex() && m_store.at(timed).kind == EventKind::RequestText)
        --timed;
    const std::int64_t t = m_store.at(timed).t_ns;
    setFollowLive(false);
    highlight(storeIndex, rowOfRecord(timed), t);
    if (t < m_scale.startNs || t >= m_scale.endNs()) {
        m_scale.centreOn(t);
        emit visibleRangeChanged();
    }
    scrollRowIntoView(m_overlay.highlightRow);
    update();
}

int TimelineView::rowOfRecord(std::uint64_t index) const
{
    const EventRecord& r = m_store.at(index);
    if (isGuiRecord(r))
        return TimelineLayout::kGuiRow;
    if (r.conn != 0) {
        if (const ConnectionSummary* c = m_model.connection(r.conn); c && c->lane >= 0) {
            const int slot = m_layout.slotOfLane(c->lane);
            return slot < 0 ? -1 : TimelineLayout::kFirstConnectionRow + slot; // -1: filtered out
        }
    }
    return TimelineLayout::kEngineRow;
}

void TimelineView::highlight(std::uint64_t index, int row, std::int64_t t)
{
    m_highlightIndex = index;
    m_overlay.highlightRow = row;
    m_overlay.highlightTime = t;
}

void TimelineView::scrollRowIntoView(int row)
{
    if (row < TimelineLayout::kFirstConnectionRow)
        return; // the loop lanes are pinned
    syncScrollBar();
    const int top = (row - TimelineLayout::kFirstConnectionRow) * m_layout.laneHeight;
    const int view = m_layout.connectionViewHeight();
    if (top < m_layout.scrollY)
        setVerticalScroll(top);
    else if (top + m_layout.laneHeight > m_layout.scrollY + view)
        setVerticalScroll(top + m_layout.laneHeight - view);
}

void TimelineView::updateGeometryState()
{
    const int bar = m_scrollBar->sizeHint().width();
    m_layout.width = std::max(1, width() - bar);
    m_layout.height = height();
    m_scrollBar->setGeometry(width() - bar, TimelineLayout::kAxisHeight, bar,
                             std::max(0, height() - TimelineLayout::kAxisHeight));
    m_scale.setWidth(m_layout.timeWidth());
    syncScrollBar();
}

// The lanes whose connection is in the filter's state at the right edge of the view (now, when
// following live data).
void TimelineView::updateShownLanes()
{
    m_layout.connectionLanes = m_model.connectionLaneCount();
    if (!m_stateFilter) {
        m_layout.shownLanes = nullptr;
        return;
    }
    m_shownLanes.clear();
    const std::int64_t at = std::min(m_scale.endNs(), m_model.lastTime());
    for (int lane = 0; lane < m_layout.connectionLanes; ++lane)
        if (m_model.stateAt(lane, at) == *m_stateFilter)
            m_shownLanes.push_back(lane);
    m_layout.shownLanes = &m_shownLanes;
}

void TimelineView::setStateFilter(std::optional<ConnectionState> state)
{
    if (state == m_stateFilter)
        return;
    m_stateFilter = state;
    m_overlay.laneFilter = state ? palette::nameOf(*state) : QString();
    syncScrollBar();
    setVerticalScroll(0);
    emit stateFilterChanged();
    update();
}

void TimelineView::syncScrollBar()
{
    updateShownLanes();
    const QSignalBlocker block(m_scrollBar);
    m_scrollBar->setRange(0, m_layout.maxScroll());
    m_scrollBar->setPageStep(std::max(1, m_layout.connectionViewHeight()));
    m_scrollBar->setSingleStep(m_layout.laneHeight);
    m_layout.scrollY = m_scrollBar->value();
}

void TimelineView::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    updateGeometryState();
    refresh();
}

void TimelineView::paintEvent(QPaintEvent*)
{
    const std::int64_t started = monotonicNs();
    updateShownLanes();
    {
        QPainter p(this);
        TimelinePainter(m_model, m_store, m_scale, m_layout, m_overlay, &m_laneCache).paint(p);
    }
    m_lastPaintEndNs = monotonicNs();
    m_lastPaintNs = m_lastPaintEndNs - started;
    if (m_workRecorder)
        m_workRecorder(started, m_lastPaintNs);
}

void TimelineView::wheelEvent(QWheelEvent* e)
{
    stopReplay();
    const double steps = e->angleDelta().y() / 120.0;
    const QPointF pos = e->position();
    if (e->modifiers() & Qt::ControlModifier)
        setLaneHeight(m_layout.laneHeight + int(std::lround(steps * 2)));
    else if ((e->modifiers() & Qt::ShiftModifier) || pos.x() < m_layout.timeLeft())
        setVerticalScroll(m_layout.scrollY - int(std::lround(steps * 3 * m_layout.laneHeight)));
    else
        zoomAt(pos.x() - m_layout.timeLeft(), std::pow(kWheelZoomPerStep, steps));
    e->accept();
}

void TimelineView::mousePressEvent(QMouseEvent* e)
{
    stopReplay();
    if (e->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(e);
    m_pressPos = m_lastPos = e->position().toPoint();
    const bool select = (e->modifiers() & Qt::ShiftModifier) && m_pressPos.x() >= m_layout.timeLeft();
    m_gesture = select ? Gesture::Select : Gesture::Pending;
    if (select) {
        m_selectionAnchor = timeAtX(m_pressPos.x());
        m_overlay.hasSelection = true;
        m_overlay.selectionStart = m_overlay.selectionEnd = m_selectionAnchor;
    }
    e->accept();
}

void TimelineView::mouseMoveEvent(QMouseEvent* e)
{
    const QPoint pos = e->position().toPoint();
    if (m_gesture == Gesture::Select) {
        const std::int64_t t = timeAtX(pos.x());
        m_overlay.selectionStart = std::min(m_selectionAnchor, t);
        m_overlay.selectionEnd = std::max(m_selectionAnchor, t);
        update();
    } else if (m_gesture == Gesture::Pending && (pos - m_pressPos).manhattanLength() >= kDragThresholdPx) {
        m_gesture = Gesture::Pan;
    }
    if (m_gesture == Gesture::Pan) {
        const QPoint delta = pos - m_lastPos;
        if (delta.x() != 0)
            panBy(delta.x());
        if (delta.y() != 0)
            setVerticalScroll(m_layout.scrollY - delta.y());
    }
    m_lastPos = pos;
    e->accept();
}

void TimelineView::mouseReleaseEvent(QMouseEvent* e)
{
    if (e->button() != Qt::LeftButton)
        return QWidget::mouseReleaseEvent(e);
    const Gesture gesture = m_gesture;
    m_gesture = Gesture::None;
    if (gesture == Gesture::Select) {
        if (m_overlay.selectionEnd > m_overlay.selectionStart)
            emit rangeSelected(m_overlay.selectionStart, m_overlay.selectionEnd);
        else
            m_overlay.hasSelection = false;
        update();
    } else if (gesture == Gesture::Pending) {
        click(e->position().toPoint());
    }
    e->accept();
}

void TimelineView::click(QPoint pos)
{
    const int row = m_layout.rowAt(pos.y());
    if (row < TimelineLayout::kFirstConnectionRow || pos.x() < m_layout.timeLeft())
        return;
    const int lane = m_layout.laneAtSlot(row - TimelineLayout::kFirstConnectionRow);
    const auto& spans = m_model.laneSpans(lane);
    const std::ptrdiff_t i = TimelineModel::spanAt(spans, timeAtX(pos.x()));
    if (i < 0 || spans[std::size_t(i)].state == ConnectionState::None)
        return;
    const StateSpan& span = spans[std::size_t(i)];
    const std::uint32_t conn = m_model.connectionAt(lane, span.start);
    emit connectionClicked(conn);
    const ConnectionSummary* summary = m_model.connection(conn);
    if (!summary)
        return;
    if (const auto index = findTransitionRecord(m_store, *summary, span.start, span.state)) {
        highlight(*index, row, span.start);
        update();
        emit eventSelected(*index);
    }
}

void TimelineView::keyPressEvent(QKeyEvent* e)
{
    if (replaying() && e->key() != Qt::Key_R) { // any other key ends the replay where it is
        stopReplay();
        if (e->key() == Qt::Key_Escape) {
            e->accept();
            return;
        }
    }
    switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomIn(); break;
    case Qt::Key_Minus: zoomOut(); break;
    case Qt::Key_Home:
    case Qt::Key_F: fitAll(); break;
    case Qt::Key_Z: zoomToSelection(); break;
    case Qt::Key_Space: setFollowLive(!m_overlay.followLive); break;
    case Qt::Key_End: setFollowLive(true); break;
    case Qt::Key_Left: panBy(m_scale.width / 8); break;
    case Qt::Key_Right: panBy(-m_scale.width / 8); break;
    case Qt::Key_Up: setVerticalScroll(m_layout.scrollY - m_layout.laneHeight); break;
    case Qt::Key_Down: setVerticalScroll(m_layout.scrollY + m_layout.laneHeight); break;
    case Qt::Key_PageUp: setVerticalScroll(m_layout.scrollY - m_layout.connectionViewHeight()); break;
    case Qt::Key_PageDown: setVerticalScroll(m_layout.scrollY + m_layout.connectionViewHeight()); break;
    case Qt::Key_BracketLeft: setLaneHeight(m_layout.laneHeight - 2); break;
    case Qt::Key_BracketRight: setLaneHeight(m_layout.laneHeight + 2); break;
    case Qt::Key_Escape: clearSelection(); break;
    case Qt::Key_R: startReplay(kDefaultReplayNs, kDefaultReplaySpeed); break;
    default: return QWidget::keyPressEvent(e);
    }
    e->accept();
}

bool TimelineView::event(QEvent* e)
{
    if (e->type() != QEvent::ToolTip)
        return QWidget::event(e);
    const auto* help = static_cast<QHelpEvent*>(e);
    const QString text = toolTipAt(help->pos());
    if (text.isEmpty()) {
        QToolTip::hideText();
        e->ignore();
    } else {
        QToolTip::showText(help->globalPos(), text, this);
    }
    return true;
}

QString TimelineView::relative(std::int64_t t) const
{
    return formatPreciseNs(t - m_store.originNs());
}

QString TimelineView::toolTipAt(QPoint pos) const
{
    const int row = m_layout.rowAt(pos.y());
    if (row < 0 || pos.x() < m_layout.timeLeft() || pos.x() >= m_layout.width)
        return {};
    const std::int64_t t = timeAtX(pos.x());
    if (row == TimelineLayout::kEngineRow) {
        const QString marker = markerToolTip(-1, pos.x());
        return marker.isEmpty() ? engineToolTip(t) : marker;
    }
    if (row == TimelineLayout::kGuiRow)
        return guiToolTip(t);
    const int lane = m_layout.laneAtSlot(row - TimelineLayout::kFirstConnectionRow);
    const QString marker = markerToolTip(lane, pos.x());
    return marker.isEmpty() ? connectionToolTip(lane, t, pos.x()) : marker;
}

QString TimelineView::engineToolTip(std::int64_t t) const
{
    const auto& spans = m_model.engineLoop();
    const std::ptrdiff_t i = TimelineModel::spanAt(spans, t);
    if (i < 0)
        return {};
    const LoopSpan& s = spans[std::size_t(i)];
    const std::int64_t end = std::size_t(i) + 1 < spans.size() ? spans[std::size_t(i) + 1].start : m_model.lastTime();
    QString text = QStringLiteral("engine loop: %1").arg(palette::nameOf(s.phase));
    if (s.phase == LoopPhase::Dispatching)
        text += QStringLiteral(" (%1 ready)").arg(s.ready);
    return text + QStringLiteral("\nstart: %1\nduration: %2").arg(relative(s.start), formatDuration(end - s.start));
}

QString TimelineView::guiToolTip(std::int64_t t) const
{
    // GUI spans may nest (work inside an event): prefer the innermost one covering t.
    const auto& spans = m_model.guiLoop();
    const std::ptrdiff_t last = TimelineModel::spanAt(spans, t);
    const GuiSpan* best = nullptr;
    for (std::ptrdiff_t i = last; i >= 0 && i > last - lod::kOverlapBackoff; --i) {
        const GuiSpan& s = spans[std::size_t(i)];
        if (s.start <= t && t < s.end && (!best || s.end - s.start < best->end - best->start))
            best = &s;
    }
    if (!best)
        return QStringLiteral("GUI event loop: idle");
    QString text = QStringLiteral("GUI event loop: %1").arg(palette::nameOf(best->kind));
    if (best->kind == GuiSpanKind::Event)
        text += QStringLiteral(" (QEvent type %1)").arg(best->eventType);
    return text + QStringLiteral("\nstart: %1\nduration: %2").arg(relative(best->start), formatDuration(best->end - best->start));
}

QString TimelineView::markerToolTip(int lane, double x) const
{
    const auto& markers = m_model.markers();
    const std::int64_t from = timeAtX(x - kMarkerHitPx);
    const std::int64_t to = timeAtX(x + kMarkerHitPx);
    const auto first = std::partition_point(markers.begin(), markers.end(),
                                            [from](const Marker& m) { return m.t < from; });
    const std::size_t lo = std::size_t(first - markers.begin());
    for (std::size_t i = lo, seen = 0; i < markers.size() && markers[i].t <= to && seen < 4096; ++i, ++seen) {
        const Marker& m = markers[i];
        if (m.lane != lane)
            continue;
        if (m.kind == EventKind::LoadPhase)
            return loadPhaseToolTip(m);
        QString text = QStringLiteral("%1 at %2").arg(palette::markerName(m.kind), relative(m.t));
        if (m.conn != 0)
            text += QStringLiteral("\nconnection %1").arg(m.conn);
        if (m.kind == EventKind::TimedOut)
            text += QStringLiteral("\n%1").arg(QString::fromStdString(timeoutText(m.arg)));
        else if (m.kind == EventKind::RequestRejected)
            text += QStringLiteral("\nstatus %1").arg(m.arg);
        else if (m.kind == EventKind::LoopStepped)
            text += QStringLiteral("\nstep %1").arg(m.arg);
        else if (m.kind == EventKind::LoopPaused || m.kind == EventKind::LoopResumed)
            text += QStringLiteral("\nafter %1 steps").arg(m.arg);
        else
            text += QStringLiteral("\nvalue %1").arg(m.arg);
        return text;
    }
    return {};
}

// The marker says only the phase's index; its name travels in the store after its record, and
// whether it marks the generator stopping (aux 1) is in the record too.
QString TimelineView::loadPhaseToolTip(const Marker& m) const
{
    const LoadPhaseFacts facts = loadPhaseFacts(m_store, m.t, m.arg);
    return QStringLiteral("%1 at %2").arg(loadPhaseTitle(m.arg, facts.stopped, facts.name), relative(m.t));
}

QString TimelineView::connectionToolTip(int lane, std::int64_t t, double x) const
{
    (void)x;
    const auto& spans = m_model.laneSpans(lane);
    const std::ptrdiff_t i = TimelineModel::spanAt(spans, t);
    if (i < 0 || spans[std::size_t(i)].state == ConnectionState::None)
        return QStringLiteral("lane %1: free").arg(lane);
    const StateSpan& s = spans[std::size_t(i)];
    const bool last = std::size_t(i) + 1 == spans.size();
    const std::int64_t end = last ? m_model.lastTime() : spans[std::size_t(i) + 1].start;
    const std::uint32_t conn = m_model.connectionAt(lane, s.start);
    QString text = QStringLiteral("lane %1: connection %2\nstate: %3").arg(lane).arg(conn).arg(palette::nameOf(s.state));
    // A hit takes no time, unless the request waited for another connection's read of its file.
    if (s.requestFlags & kSpanCacheHit)
        text += end > s.start ? QStringLiteral(" (file cache hit, after waiting for another connection's read of the file)")
                              : QStringLiteral(" (file cache hit)");
    if (s.requestFlags & kSpanRejected)
        text += QStringLiteral(" (rejected request)");
    text += QStringLiteral("\nstart: %1\nduration: %2%3")
                .arg(relative(s.start), formatDuration(end - s.start), last ? QStringLiteral(" so far") : QString());
    const auto& disk = m_model.laneDiskSpans(lane);
    const std::ptrdiff_t d = TimelineModel::spanAt(disk, t);
    if (d >= 0 && disk[std::size_t(d)].end > t && m_model.connectionAt(lane, disk[std::size_t(d)].start) == conn) {
        const DiskSpan& ds = disk[std::size_t(d)];
        text += QStringLiteral("\ndisk read: worker %1, %2 bytes in %3").arg(ds.worker).arg(ds.bytes).arg(formatDuration(ds.end - ds.start));
    }
    if (const ConnectionSummary* summary = m_model.connection(conn)) {
        if (const auto index = findTransitionRecord(m_store, *summary, s.start, s.state)) {
            const QString facts = describe(requestFacts(m_store, *summary, *index, s.state));
            if (!facts.isEmpty())
                text += QLatin1Char('\n') + facts;
        }
    }
    return text;
}

} // namespace loopscope
