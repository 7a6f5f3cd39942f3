// TimelineView: the live timeline. One lane for the engine's loop, one for the GUI's own Qt
// loop, then one lane per (packed) connection lane, under a time axis relative to the session's
// origin (TraceStore::originNs()).
//
// Contract: the view only reads the model and the store, on the GUI thread; refresh() after
// every append (the window calls it at about 60 Hz). A frame paints only the visible time range
// and the visible lanes, with a per-pixel level of detail (see span_columns.h),
// so its cost does not grow with the recording. Follow-live (on by default) keeps the right
// edge at the model's latest time; panning, selecting an event or fitting turns it off, and
// zooming while following keeps the live right edge where it is.
//
// Mouse: wheel zooms around the cursor; Shift+wheel (or the wheel over the lane names) scrolls
// the lanes; Ctrl+wheel changes the lane height; drag pans (both directions); Shift+drag selects
// a time range (rangeSelected); click on a connection emits connectionClicked and eventSelected.
// Keys: see shortcuts().
#pragma once

#include "core/event_record.h"
#include "timeline/time_scale.h"
#include "timeline/timeline_layout.h"
#include "timeline/timeline_painter.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

class QScrollBar;

namespace loopscope {

class TimelineModel;
struct Marker;
class TraceStore;

class TimelineView : public QWidget {
    Q_OBJECT
public:
    using WorkRecorder = std::function<void(std::int64_t startNs, std::int64_t durationNs)>;

    static constexpr int kDefaultLaneHeight = 18;
    static constexpr int kMinLaneHeight = 4;
    static constexpr int kMaxLaneHeight = 64;
    static constexpr std::int64_t kDefaultReplayNs = 5'000'000'000;
    static constexpr double kDefaultReplaySpeed = 0.1;

    TimelineView(const TimelineModel& model, const TraceStore& store, QWidget* parent = nullptr);

    // (keys, what they do) for the Help menu.
    static QList<QPair<QString, QString>> shortcuts();

    // Called after each paint with the paint's start (CLOCK_MONOTONIC ns) and duration.
    void setWorkRecorder(WorkRecorder recorder) { m_workRecorder = std::move(recorder); }

    const TimeScale& scale() const { return m_scale; }
    // How the last frame drew its connection lanes (shifted from the frame before, or walked in
    // full): for tests and the firehose benchmark.
    const LaneRowCache& laneCache() const { return m_laneCache; }
    // Shows [t0, t1] (absolute ns) and stops following live data.
    void setVisibleRange(std::int64_t t0, std::int64_t t1);
    // Shows time from `startNs` at `nsPerPixel` without emitting visibleRangeChanged: the tool
    // that keeps two views in step (see TimelineSync). While following live only the zoom is
    // taken, and the right edge stays at the live edge.
    void setView(std::int64_t startNs, double nsPerPixel);
    bool followLive() const { return m_overlay.followLive; }
    int laneHeight() const { return m_layout.laneHeight; }
    void setLaneHeight(int pixels);
    int verticalScroll() const { return m_layout.scrollY; }
    void setVerticalScroll(int pixels);
    bool hasSelection() const { return m_overlay.hasSelection; }
    std::pair<std::int64_t, std::int64_t> selection() const
    {
        return {m_overlay.selectionStart, m_overlay.selectionEnd};
    }
    // Lane filter: only lanes whose connection is in `state` at the view's right edge (now, when
    // following live data) show; nullopt shows every lane.
    void setStateFilter(std::optional<ConnectionState> state);
    std::optional<ConnectionState> stateFilter() const { return m_stateFilter; }
    int shownLaneCount() const { return m_layout.slotCount(); }

    bool replaying() const { return m_replayTimer.isActive(); }
    // The right edge of a replay now (meaningful while replaying).
    std::int64_t replayEdge() const { return m_scale.endNs(); }

    // The highlighted event (selectEvent or a click), if any.
    std::optional<std::uint64_t> highlightedEvent() const { return m_highlightIndex; }

    // Geometry, in widget coordinates (rows as in TimelineLayout: 0 engine, 1 GUI, 2 + lane).
    double xForTime(std::int64_t t) const { return m_layout.timeLeft() + m_scale.mapTimeToX(t); }
    std::int64_t timeAtX(double x) const { return m_scale.mapXToTime(x - m_layout.timeLeft()); }
    QRect rowRect(int row) const { return m_layout.rowRect(row); }
    int rowAt(int y) const { return m_layout.rowAt(y); }
    // The hover text for a point (what the tooltip shows), empty where there is nothing.
    QString toolTipAt(QPoint pos) const;

public slots:
    // Schedules a repaint with the model's latest data (follow-live moves the right edge).
    void refresh();
    void setFollowLive(bool on);
    void fitAll();
    void zoomToSelection();
    void zoomIn();
    void zoomOut();
    void clearSelection();
    // Replays the last `spanNs` of the recording at `speed` times real time (see startReplay in
    // the .cpp); any key, click or wheel stops it, and it ends by following live data again.
    void startReplay(std::int64_t spanNs, double speed);
    void stopReplay();
    // Highlights the store's record `storeIndex`, scrolls it into view, stops following live.
    void selectEvent(quint64 storeIndex);

signals:
    void rangeSelected(qint64 startNs, qint64 endNs);
    void connectionClicked(quint32 conn);
    void eventSelected(quint64 storeIndex);
    void followLiveChanged(bool on);
    // The visible time range moved or zoomed by the user or an API call (not by following live
    // data, which every view does on its own).
    void visibleRangeChanged();
    void stateFilterChanged();
    void replayChanged(bool on);

protected:
    bool event(QEvent* e) override;
    void paintEvent(QPaintEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;

private:
    void updateGeometryState();
    void updateShownLanes();
    void advanceReplay();
    void syncScrollBar();
    void zoomAt(double timeX, double factor);
    void panBy(double dx);
    void click(QPoint pos);
    void highlight(std::uint64_t index, int row, std::int64_t t);
    void scrollRowIntoView(int row);
    int rowOfRecord(std::uint64_t index) const;
    QString engineToolTip(std::int64_t t) const;
    QString guiToolTip(std::int64_t t) const;
    QString connectionToolTip(int lane, std::int64_t t, double x) const;
    QString markerToolTip(int lane, double x) const;
    QString loadPhaseToolTip(const Marker& m) const;
    QString relative(std::int64_t t) const;

    const TimelineModel& m_model;
    const TraceStore& m_store;
    TimeScale m_scale;
    TimelineLayout m_layout;
    TimelineOverlay m_overlay;
    QScrollBar* m_scrollBar = nullptr;
    WorkRecorder m_workRecorder;
    std::optional<std::uint64_t> m_highlightIndex;
    std::optional<ConnectionState> m_stateFilter;
    std::vector<int> m_shownLanes;
    QTimer m_replayTimer;
    std::int64_t m_replayFrom = 0;
    std::int64_t m_replayTo = 0;
    std::int64_t m_replayStartedNs = 0;
    double m_replaySpeed = 0;
    // Live repaints are paced by the last paint's cost (see refresh()).
    QTimer m_repaintTimer;
    std::int64_t m_lastPaintEndNs = 0;
    std::int64_t m_lastPaintNs = 0;
    LaneRowCache m_laneCache; // the connection lanes' rows of the last live frame

    // Mouse gesture in progress.
    enum class Gesture { None, Pending, Pan, Select };
    Gesture m_gesture = Gesture::None;
    QPoint m_pressPos;
    QPoint m_lastPos;
    std::int64_t m_selectionAnchor = 0;
};

} // namespace loopscope
