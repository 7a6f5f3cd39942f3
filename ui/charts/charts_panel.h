// ChartsPanel: four live charts of the StatsModel: requests per second, active connections,
// loop utilisation (engine and GUI) and the request latency histogram with p50/p90/p99.
//
// Contract: every Qt Charts use stays in ui/charts (Qt Charts is deprecated from Qt 6.10; moving
// to Qt Graphs must touch only this folder). Series are fed in bulk with replace(), never point
// by point; OpenGL series are never used (they crash on the offscreen platform). The panel
// redraws at most every 250 ms, and not at all while hidden (it catches up when shown). Each
// redraw is reported to the work recorder as GUI work, so the charts' own cost shows on the GUI
// lane.
#pragma once

#include "charts/stats_model.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <functional>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QLineSeries;
class QAreaSeries;
class QValueAxis;
class QLogValueAxis;
QT_END_NAMESPACE

namespace loopscope {

class ChartsPanel : public QWidget {
    Q_OBJECT
public:
    using WorkRecorder = std::function<void(std::int64_t startNs, std::int64_t durationNs)>;

    explicit ChartsPanel(const StatsModel& model, QWidget* parent = nullptr);

    void setWorkRecorder(WorkRecorder recorder) { m_recorder = std::move(recorder); }
    // How much of the bucket history the time charts show (default 2 minutes).
    void setVisibleSeconds(double seconds);

public slots:
    // Redraws every chart now (live redraws come in halves on the throttle; tests call this).
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct TimeChart {
        QChart* chart = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
    };
    TimeChart makeTimeChart(const QString& title, const QString& yTitle);
    QChartView* viewOf(QChart* chart);
    QChartView* m_latencyView = nullptr;
    void buildLatencyChart();
    void scheduleRefresh();
    void refreshTimeCharts();
    void refreshLatency();
    void refreshHalf();
    void startThrottle();
    std::int64_t beginRedraw();
    void redrawn(std::int64_t start);
    // Some chart shows older data than the model.
    bool pending() const { return m_staleTimeCharts || m_staleLatency; }
    LatencyPercentiles recentLatency();

    const StatsModel& m_model;
    WorkRecorder m_recorder;
    double m_visibleSeconds = 120;

    TimeChart m_requests;
    TimeChart m_connections;
    TimeChart m_loop;
    QLineSeries* m_requestsSeries = nullptr;
    QLineSeries* m_connectionsSeries = nullptr;
    QLineSeries* m_engineSeries = nullptr;
    QLineSeries* m_guiSeries = nullptr;

    QChart* m_latency = nullptr;
    QLineSeries* m_histogramLine = nullptr;
    QAreaSeries* m_histogram = nullptr;
    QLineSeries* m_percentileLines[3] = {};
    QLogValueAxis* m_latencyX = nullptr;
    QValueAxis* m_latencyY = nullptr;

    QTimer m_throttle;
    QElapsedTimer m_sinceRefresh;
    std::int64_t m_lastRefreshNs = 0; // what the last redraw cost (spaces the next one)
    LatencyPercentiles m_recent; // the last window's, as of m_recentAge
    QElapsedTimer m_recentAge;
    bool m_staleTimeCharts = false; // requests, connections and loop charts
    bool m_staleLatency = false;    // the latency chart
    bool m_latencyNext = false;     // which half the next redraw takes when both are stale
};

} // namespace loopscope
