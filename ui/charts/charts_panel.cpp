#include "charts/charts_panel.h"

#include "charts/stats_model.h"
#include "core/clock.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace loopscope {

namespace {

constexpr int kMinRefreshMs = 125; // between two half-redraws: each chart at most every 250 ms
const char* const kPercentileNames[3] = {"p50", "p90", "p99"};

QString latencyText(std::int64_t ns)
{
    if (ns < 1'000'000)
        return QString::number(double(ns) / 1e3, 'g', 3) + QStringLiteral(" µs");
    if (ns < 1'000'000'000)
        return QString::number(double(ns) / 1e6, 'g', 3) + QStringLiteral(" ms");
    return QString::number(double(ns) / 1e9, 'g', 3) + QStringLiteral(" s");
}

// A y range with a little headroom, never empty.
// The top of a y axis with four round intervals (1, 2, 2.5 or 5 times a power of ten), so the
// five tick labels read 0, 5000, 10000, ... rather than 0, 5374, 10747, ...
double niceMax(double value)
{
    // Counts are whole numbers: never less than one per tick, so labels do not repeat (0, 1, 1, 1).
    if (value < 4)
        return 4.0;
    const double raw = value * 1.05 / 4;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0})
        if (m * power >= raw)
            return m * power * 4;
    return 40 * power;
}

} // namespace

ChartsPanel::ChartsPanel(const StatsModel& model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
{
    m_requests = makeTimeChart(tr("Requests per second"), tr("req/s"));
    m_requestsSeries = new QLineSeries(m_requests.chart);
    m_connections = makeTimeChart(tr("Active connections"), tr("connections"));
    m_connectionsSeries = new QLineSeries(m_connections.chart);
    m_loop = makeTimeChart(tr("Loop utilisation"), tr("%"));
    m_engineSeries = new QLineSeries(m_loop.chart);
    m_engineSeries->setName(tr("engine")); // short: the legend shares a narrow chart
    m_guiSeries = new QLineSeries(m_loop.chart);
    m_guiSeries->setName(tr("GUI"));
    const std::pair<TimeChart*, QLineSeries*> series[] = {{&m_requests, m_requestsSeries},
                                                         {&m_connections, m_connectionsSeries},
                                                         {&m_loop, m_engineSeries},
                                                         {&m_loop, m_guiSeries}};
    for (const auto& [chart, line] : series) {
        chart->chart->addSeries(line);
        line->attachAxis(chart->x);
        line->attachAxis(chart->y);
    }
    m_loop.y->setRange(0, 100);
    m_loop.chart->legend()->show();
    buildLatencyChart();

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(viewOf(m_requests.chart), 0, 0);
    grid->addWidget(viewOf(m_connections.chart), 0, 1);
    grid->addWidget(viewOf(m_loop.chart), 1, 0);
    m_latencyView = viewOf(m_latency);
    grid->addWidget(m_latencyView, 1, 1);

    m_throttle.setSingleShot(true);
    connect(&m_throttle, &QTimer::timeout, this, &ChartsPanel::refreshHalf);
    connect(&m_model, &StatsModel::updated, this, &ChartsPanel::scheduleRefresh);
}

ChartsPanel::TimeChart ChartsPanel::makeTimeChart(const QString& title, const QString& yTitle)
{
    TimeChart c;
    c.chart = new QChart;
    c.chart->setTitle(title);
    c.chart->legend()->hide();
    c.chart->setAnimationOptions(QChart::NoAnimation); // live data: animations only cost time
    c.x = new QValueAxis(c.chart);
    c.x->setTitleText(tr("time (s)"));
    c.x->setLabelFormat(QStringLiteral("%.0f"));
    c.y = new QValueAxis(c.chart);
    c.y->setTitleText(yTitle);
    c.y->setLabelFormat(QStringLiteral("%.0f"));
    c.y->setTickCount(5);
    c.chart->addAxis(c.x, Qt::AlignBottom);
    c.chart->addAxis(c.y, Qt::AlignLeft);
    return c;
}

QChartView* ChartsPanel::viewOf(QChart* chart)
{
    auto* view = new QChartView(chart, this); // the view owns the chart
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(240, 180);
    return view;
}

void ChartsPanel::buildLatencyChart()
{
    m_latency = new QChart;
    m_latency->setTitle(tr("Request latency"));
    m_latency->setAnimationOptions(QChart::NoAnimation);
    m_latency->legend()->hide();
    m_latencyX = new QLogValueAxis(m_latency);
    // Milliseconds on a base-1000 axis: three short labels (0.001, 1, 1000) fit the narrow dock.
    m_latencyX->setBase(1000);
    m_latencyX->setRange(1e-3, 1e4); // 1 µs .. 10 s
    m_latencyX->setLabelFormat(QStringLiteral("%g"));
    m_latencyX->setMinorTickCount(2);
    m_latencyX->setTitleText(tr("latency (ms)"));
    m_latencyY = new QValueAxis(m_latency);
    m_latencyY->setTitleText(tr("requests"));
    m_latencyY->setLabelFormat(QStringLiteral("%.0f"));
    m_latencyY->setTickCount(5);
    m_latency->addAxis(m_latencyX, Qt::AlignBottom);
    m_latency->addAxis(m_latencyY, Qt::AlignLeft);
    m_histogramLine = new QLineSeries(m_latency);
    m_histogram = new QAreaSeries(m_histogramLine);
    m_latency->addSeries(m_histogram);
    m_histogram->attachAxis(m_latencyX);
    m_histogram->attachAxis(m_latencyY);
    for (int i = 0; i < 3; ++i) {
        m_percentileLines[i] = new QLineSeries(m_latency);
        m_percentileLines[i]->setName(QString::fromLatin1(kPercentileNames[i]));
        QPen pen(i == 0 ? Qt::darkGreen : i == 1 ? QColor(Qt::darkYellow) : Qt::red);
        pen.setStyle(Qt::DashLine);
        pen.setWidth(2);
        m_percentileLines[i]->setPen(pen);
        m_latency->addSeries(m_percentileLines[i]);
        m_percentileLines[i]->attachAxis(m_latencyX);
        m_percentileLines[i]->attachAxis(m_latencyY);
    }
}

void ChartsPanel::setVisibleSeconds(double seconds)
{
    m_visibleSeconds = std::max(1.0, seconds);
    scheduleRefresh();
}

void ChartsPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (pending())
        scheduleRefresh();
}

// Live redraws come in halves (the three time charts, then the latency chart), at most one per
// kMinRefreshMs, and none while hidden. A redraw blocks the GUI thread (Qt Charts lays out each
// chart again), so halves are also spaced by a hundred times the last one's cost, up to 500 ms:
// under a firehose the timeline's frames wait behind a 2-4 ms half instead of a 7 ms whole, and
// behind fewer of them.
void ChartsPanel::scheduleRefresh()
{
    m_staleTimeCharts = m_staleLatency = true;
    startThrottle();
}

void ChartsPanel::startThrottle()
{
    if (!isVisible() || m_throttle.isActive() || !pending())
        return;
    constexpr qint64 kMaxRefreshMs = 500;
    const qint64 interval = std::clamp<qint64>(m_lastRefreshNs / 10'000, kMinRefreshMs, kMaxRefreshMs);
    const qint64 since = m_sinceRefresh.isValid() ? m_sinceRefresh.elapsed() : interval;
    m_throttle.start(int(std::max<qint64>(0, interval - since)));
}

// One stale half, alternating when both are stale; the other follows on the next tick.
void ChartsPanel::refreshHalf()
{
    const std::int64_t start = beginRedraw();
    if (m_staleTimeCharts && (!m_staleLatency || !m_latencyNext)) {
        refreshTimeCharts();
        m_staleTimeCharts = false;
        m_latencyNext = true;
    } else if (m_staleLatency) {
        refreshLatency();
        m_staleLatency = false;
        m_latencyNext = false;
    }
    redrawn(start);
    startThrottle();
}

void ChartsPanel::refresh()
{
    const std::int64_t start = beginRedraw();
    m_staleTimeCharts = m_staleLatency = false;
    refreshTimeCharts();
    refreshLatency();
    redrawn(start);
}

// Redraws are spaced from the start of the previous one, by its cost; the cost also goes on the
// GUI lane.
std::int64_t ChartsPanel::beginRedraw()
{
    m_sinceRefresh.restart();
    return monotonicNs();
}

void ChartsPanel::redrawn(std::int64_t start)
{
    m_lastRefreshNs = monotonicNs() - start;
    if (m_recorder)
        m_recorder(start, m_lastRefreshNs);
}

void ChartsPanel::refreshTimeCharts()
{
    const auto& buckets = m_model.buckets();
    // The newest bucket is still filling: leave it out so rates do not dip at the edge.
    const std::size_t count = buckets.size() > 1 ? buckets.size() - 1 : 0;
    const double bucketSeconds = double(m_model.bucketNs()) / 1e9;
    const double lastEnd = count > 0 ? double(m_model.bucketStartNs(count - 1)) / 1e9 + bucketSeconds : 0;
    const double firstShown = lastEnd - m_visibleSeconds;
    QList<QPointF> requests, connections, engine, gui;
    double maxRequests = 0, maxConnections = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const double x = double(m_model.bucketStartNs(i)) / 1e9 + bucketSeconds; // at the bucket's end
        if (x < firstShown)
            continue;
        requests.append({x, m_model.requestsPerSecond(i)});
        connections.append({x, double(buckets[i].activeAtEnd)});
        engine.append({x, m_model.engineUtilisation(i)});
        gui.append({x, m_model.guiUtilisation(i)});
        maxRequests = std::max(maxRequests, requests.back().y());
        maxConnections = std::max(maxConnections, connections.back().y());
    }
    m_requestsSeries->replace(requests);
    m_connectionsSeries->replace(connections);
    m_engineSeries->replace(engine);
    m_guiSeries->replace(gui);
    const double left = std::max(0.0, firstShown);
    const double right = std::max(left + 1, lastEnd);
    for (TimeChart* c : {&m_requests, &m_connections, &m_loop})
        c->x->setRange(left, right);
    m_requests.y->setRange(0, niceMax(maxRequests));
    m_connections.y->setRange(0, niceMax(maxConnections));
    std::int64_t worstDelay = 0;
    for (std::size_t i = 0; i < count; ++i)
        worstDelay = std::max(worstDelay, buckets[i].guiDelayMaxNs);
    m_loop.chart->setTitle(tr("Loop busy %<br>GUI delay ≤ %1").arg(latencyText(worstDelay)));
}

// The last window's percentiles are exact, so they cost a selection over every recent sample
// (400,000 of them under a firehose): worked out at most once a second, not on each redraw.
LatencyPercentiles ChartsPanel::recentLatency()
{
    constexpr qint64 kRecentEveryMs = 1'000;
    if (!m_recentAge.isValid() || m_recentAge.elapsed() >= kRecentEveryMs || m_recent.count == 0) {
        m_recent = m_model.latencyRecent();
        m_recentAge.restart();
    }
    return m_recent;
}

void ChartsPanel::refreshLatency()
{
    // The histogram as a step outline, in µs on a log axis.
    QList<QPointF> outline;
    double maxCount = 0;
    for (const LatencyBin& bin : m_model.latencyHistogram(10)) {
        outline.append({double(bin.lowNs) / 1e6, double(bin.count)});
        outline.append({double(bin.highNs) / 1e6, double(bin.count)});
        maxCount = std::max(maxCount, double(bin.count));
    }
    m_histogramLine->replace(outline);
    m_latencyY->setRange(0, niceMax(maxCount));
    const LatencyPercentiles all = m_model.latencyOverall();
    const LatencyPercentiles recent = recentLatency();
    const std::int64_t values[3] = {all.p50, all.p90, all.p99};
    for (int i = 0; i < 3; ++i) {
        const double x = std::clamp(double(values[i]) / 1e6, 1e-3, 1e4);
        m_percentileLines[i]->replace(all.count > 0 ? QList<QPointF>{{x, 0}, {x, niceMax(maxCount)}} : QList<QPointF>{});
    }
    if (all.count == 0) {
        m_latency->setTitle(tr("Request latency (no requests yet)"));
        return;
    }
    // Short lines (a chart title is rich text: <br> breaks it): the dock is narrow, and a cut-off
    // percentile is worse than none.
    QString title = tr("Latency (%1 requests)<br>p50 %2 · p90 %3<br>p99 %4")
                        .arg(all.count)
                        .arg(latencyText(all.p50), latencyText(all.p90), latencyText(all.p99));
    // The recent window's p99 is what moves during a demo; its p50 and p90 are in the tooltip.
    const QString span = QString::number(double(recent.spanNs) / 1e9, 'g', 2);
    if (recent.count > 0)
        title += tr("<br>last %1 s: p99 %2").arg(span, latencyText(recent.p99));
    m_latency->setTitle(title);
    m_latencyView->setToolTip(recent.count == 0 ? QString()
                              : tr("Last %1 s: %2 requests, p50 %3, p90 %4, p99 %5")
                                    .arg(span)
                                    .arg(recent.count)
                                    .arg(latencyText(recent.p50), latencyText(recent.p90), latencyText(recent.p99)));
}

} // namespace loopscope
