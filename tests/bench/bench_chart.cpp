// bench_chart: renders the summary CSV that tests/bench/run or tests/bench/scaling writes as a
// PNG, for the README: grouped bars (one group per case, one bar per server), or with --x a line
// chart (the x axis a numeric column on a log scale, one line per server).
//
// Usage: bench_chart SUMMARY.csv OUT.png [--metric COLUMN] [--title TEXT] [--linear]
//                    [--where COLUMN=VALUE] [--x COLUMN [--x-title TEXT] [--x-log-base N]]
//
// The CSV needs a header row naming at least `server`, `case` (or the --x column) and the metric
// column (default cpu_us_per_request). Rows whose `cap` column is present and not "none" are
// skipped, so the chart shows the uncapped runs; --where keeps only the rows whose COLUMN holds
// VALUE (tests/bench/scaling: one sweep per chart). Cases and servers keep the order in which
// they first appear; line points are drawn in x order. The value axis is logarithmic by default
// because a 4 MiB response costs a hundred times what a 1 KiB one does; --linear turns that off.
// The x axis of a line chart is logarithmic with base 10, or N (4 suits file sizes 1, 4, 16 ...
// KiB): the swept values span three or more decades. Renders offscreen: set
// QT_QPA_PLATFORM=offscreen when there is no display (the scripts do).
#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFile>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMap>
#include <QPixmap>
#include <QTextStream>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace {

struct Options
{
    QString csvPath;
    QString pngPath;
    QString metric = QStringLiteral("cpu_us_per_request");
    QString title;
    bool linear = false;
    QString whereColumn; // empty: every row
    QString whereValue;
    QString xColumn; // empty: a bar chart by case
    QString xTitle;
    double xLogBase = 10;
};

const char usage[] = "usage: bench_chart SUMMARY.csv OUT.png [--metric COLUMN] [--title TEXT] [--linear]\n"
                     "                   [--where COLUMN=VALUE] [--x COLUMN [--x-title TEXT] [--x-log-base N]]\n";

// The figures to plot: values[server][case], with both orders as first seen. In a line chart
// the "cases" are the x column's values, as written in the CSV.
struct Table
{
    QStringList cases;
    QStringList servers;
    QMap<QString, QMap<QString, double>> values;
};

// False with a one-sentence error for anything it cannot use; main adds the usage line.
bool parseArguments(const QStringList &args, Options &options, QString &error)
{
    QStringList positional;
    for (int i = 1; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (arg == QLatin1String("--metric") && i + 1 < args.size())
            options.metric = args[++i];
        else if (arg == QLatin1String("--title") && i + 1 < args.size())
            options.title = args[++i];
        else if (arg == QLatin1String("--linear"))
            options.linear = true;
        else if (arg == QLatin1String("--where") && i + 1 < args.size() && args[i + 1].contains(QLatin1Char('='))) {
            options.whereColumn = args[++i].section(QLatin1Char('='), 0, 0);
            options.whereValue = args[i].section(QLatin1Char('='), 1);
        } else if (arg == QLatin1String("--x") && i + 1 < args.size())
            options.xColumn = args[++i];
        else if (arg == QLatin1String("--x-title") && i + 1 < args.size())
            options.xTitle = args[++i];
        else if (arg == QLatin1String("--x-log-base") && i + 1 < args.size()) {
            bool ok = false;
            options.xLogBase = args[++i].toDouble(&ok);
            if (!ok || !(options.xLogBase > 1)) {
                error = QStringLiteral("--x-log-base wants a number above 1, not '%1'").arg(args[i]);
                return false;
            }
        } else if (arg.startsWith(QLatin1String("--"))) {
            error = QStringLiteral("unknown option %1, or it lacks its value").arg(arg);
            return false;
        } else
            positional << arg;
    }
    if (positional.size() != 2) {
        error = QStringLiteral("expected two paths, SUMMARY.csv and OUT.png; got %1").arg(positional.size());
        return false;
    }
    options.csvPath = positional[0];
    options.pngPath = positional[1];
    return true;
}

// The script writes plain CSV: no quoted commas, so a split is enough.
bool readTable(const Options &options, Table &table, QString &error)
{
    QFile file(options.csvPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        error = QStringLiteral("cannot open %1").arg(options.csvPath);
        return false;
    }
    QTextStream in(&file);
    const QStringList header = in.readLine().split(QLatin1Char(','));
    const QString category = options.xColumn.isEmpty() ? QStringLiteral("case") : options.xColumn;
    const int serverColumn = header.indexOf(QStringLiteral("server"));
    const int caseColumn = header.indexOf(category);
    const int metricColumn = header.indexOf(options.metric);
    const int capColumn = header.indexOf(QStringLiteral("cap"));
    const int whereColumn = options.whereColumn.isEmpty() ? -1 : header.indexOf(options.whereColumn);
    if (serverColumn < 0 || caseColumn < 0 || metricColumn < 0) {
        error = QStringLiteral("%1 lacks a server, %2 or %3 column").arg(options.csvPath, category, options.metric);
        return false;
    }
    if (!options.whereColumn.isEmpty() && whereColumn < 0) {
        error = QStringLiteral("%1 has no %2 column for --where").arg(options.csvPath, options.whereColumn);
        return false;
    }
    while (!in.atEnd()) {
        const QStringList fields = in.readLine().split(QLatin1Char(','));
        if (fields.size() < header.size())
            continue;
        if (capColumn >= 0 && fields[capColumn] != QLatin1String("none"))
            continue;
        if (whereColumn >= 0 && fields[whereColumn] != options.whereValue)
            continue;
        bool ok = false;
        const double value = fields[metricColumn].toDouble(&ok);
        if (!ok)
            continue;
        const QString &server = fields[serverColumn];
        const QString &caseName = fields[caseColumn];
        if (!table.cases.contains(caseName))
            table.cases << caseName;
        if (!table.servers.contains(server))
            table.servers << server;
        table.values[server][caseName] = value;
    }
    if (table.cases.isEmpty()) {
        error = QStringLiteral("%1 has no rows with a %2 figure%3")
                    .arg(options.csvPath, options.metric,
                         options.whereColumn.isEmpty() ? QString() : QStringLiteral(" where %1 is %2").arg(options.whereColumn, options.whereValue));
        return false;
    }
    return true;
}

QString axisTitle(const QString &metric)
{
    static const QMap<QString, QString> titles = {
        {QStringLiteral("cpu_us_per_request"), QStringLiteral("server CPU µs per request (lower is better)")},
        {QStringLiteral("requests_per_s"), QStringLiteral("requests per second (higher is better)")},
        {QStringLiteral("mb_per_s"), QStringLiteral("MB per second (higher is better)")},
        {QStringLiteral("p99_us"), QStringLiteral("p99 latency, µs (lower is better)")},
        {QStringLiteral("rss_peak_mib"), QStringLiteral("server peak RSS (VmRSS), MiB (lower is better)")},
        {QStringLiteral("rss_before_mib"), QStringLiteral("server RSS before load (VmRSS), MiB")},
    };
    return titles.value(metric, metric);
}

// The smallest positive and the largest figure; smallest is INFINITY when none is positive.
void valueRange(const Table &table, double &smallest, double &largest)
{
    smallest = INFINITY;
    largest = 0;
    for (const auto &byCase : table.values) {
        for (double value : byCase) {
            if (value > 0)
                smallest = std::min(smallest, value);
            largest = std::max(largest, value);
        }
    }
}

// The metric's axis, on the left: whole decades when logarithmic, from zero when linear.
QAbstractAxis *makeValueAxis(const Options &options, bool logScale, double smallest, double largest)
{
    if (!logScale) {
        auto *axis = new QValueAxis;
        axis->setRange(0, largest * 1.1);
        axis->setTitleText(axisTitle(options.metric));
        return axis;
    }
    auto *axis = new QLogValueAxis;
    axis->setBase(10);
    axis->setLabelFormat(QStringLiteral("%g"));
    axis->setRange(std::pow(10, std::floor(std::log10(smallest))) / 2, std::pow(10, std::ceil(std::log10(largest))));
    axis->setMinorTickCount(8);
    axis->setTitleText(axisTitle(options.metric) + QStringLiteral(", log scale"));
    return axis;
}

QChart *makeEmptyChart(const Options &options)
{
    auto *chart = new QChart;
    chart->setTitle(options.title.isEmpty() ? axisTitle(options.metric) : options.title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setVisible(true);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

QChart *makeBarChart(const Options &options, const Table &table)
{
    double smallest, largest;
    valueRange(table, smallest, largest);
    const bool logScale = !options.linear && smallest < INFINITY;
    auto *series = new QBarSeries;
    for (const QString &server : table.servers) {
        auto *set = new QBarSet(server);
        QList<qreal> values;
        for (const QString &caseName : table.cases) {
            // A missing figure is drawn as no bar; a log axis cannot place zero, so there it
            // is a value under the axis floor.
            const double value = table.values[server].value(caseName, 0.0);
            values << (value <= 0 && logScale ? smallest / 100 : value);
        }
        set->append(values);
        series->append(set);
    }
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    series->setLabelsPrecision(4);
    series->setLabelsAngle(-90);

    QChart *chart = makeEmptyChart(options);
    chart->addSeries(series);

    auto *caseAxis = new QBarCategoryAxis;
    caseAxis->append(table.cases);
    caseAxis->setTitleText(QStringLiteral("case (file size, keep-alive or Connection: close, connections)"));
    chart->addAxis(caseAxis, Qt::AlignBottom);
    series->attachAxis(caseAxis);

    QAbstractAxis *valueAxis = makeValueAxis(options, logScale, smallest, largest);
    chart->addAxis(valueAxis, Qt::AlignLeft);
    series->attachAxis(valueAxis);
    return chart;
}

// The x values as numbers; false (with the offending value in error) unless every one is
// positive, which a log axis needs.
bool xValues(const Table &table, QList<double> &xs, QString &error)
{
    for (const QString &text : table.cases) {
        bool ok = false;
        const double x = text.toDouble(&ok);
        if (!ok || x <= 0) {
            error = QStringLiteral("x value '%1' is not a positive number").arg(text);
            return false;
        }
        xs << x;
    }
    return true;
}

// Tableau 10's colours, the pale yellow last: the default theme has only five, so a sixth
// server would repeat the first one's colour.
const QColor lineColours[] = {QColor(0x4e79a7), QColor(0xf28e2b), QColor(0xe15759), QColor(0x76b7b2),
                              QColor(0x59a14f), QColor(0xb07aa1), QColor(0x9c755f), QColor(0xff9da7),
                              QColor(0xbab0ac), QColor(0xedc948)};

// One line per server through its figures in x order. A figure a log axis cannot place (a run
// in which no request completed has 0 requests/s) is left out, so the line skips that point.
QChart *makeLineChart(const Options &options, const Table &table, const QList<double> &xs)
{
    double smallest, largest;
    valueRange(table, smallest, largest);
    const bool logScale = !options.linear && smallest < INFINITY;
    QChart *chart = makeEmptyChart(options);

    auto *xAxis = new QLogValueAxis;
    xAxis->setBase(options.xLogBase);
    xAxis->setLabelFormat(QStringLiteral("%g"));
    // Half a step of the base beyond the ends, so the first and last points sit off the frame.
    const double margin = std::sqrt(options.xLogBase);
    xAxis->setRange(*std::min_element(xs.begin(), xs.end()) / margin, *std::max_element(xs.begin(), xs.end()) * margin);
    xAxis->setTitleText(options.xTitle.isEmpty() ? options.xColumn : options.xTitle);
    chart->addAxis(xAxis, Qt::AlignBottom);
    QAbstractAxis *valueAxis = makeValueAxis(options, logScale, smallest, largest);
    chart->addAxis(valueAxis, Qt::AlignLeft);

    const int seriesCount = table.servers.size();
    for (int s = 0; s < seriesCount; ++s) {
        const QString &server = table.servers[s];
        const QMap<QString, double> byX = table.values.value(server);
        QList<QPointF> points;
        for (int i = 0; i < table.cases.size(); ++i) {
            const auto value = byX.constFind(table.cases[i]);
            if (value != byX.cend() && (*value > 0 || !logScale))
                points << QPointF(xs[i], *value);
        }
        std::sort(points.begin(), points.end(), [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); });
        auto *series = new QLineSeries;
        series->setName(server);
        series->append(points);
        series->setPointsVisible(true);
        chart->addSeries(series); // before the pen: adding applies the theme's pen
        series->attachAxis(xAxis);
        series->attachAxis(valueAxis);
        // Servers often coincide (nginx and nginx-ofc use the same memory): each later series
        // is drawn thinner and with smaller markers on top, so an earlier one still shows
        // around it instead of disappearing.
        const int fromLast = seriesCount - 1 - s;
        QPen pen(lineColours[s % std::size(lineColours)]);
        pen.setWidthF(1.5 + 0.6 * fromLast);
        series->setPen(pen);
        series->setColor(pen.color());
        series->setMarkerSize(6 + 1.5 * fromLast);
    }
    return chart;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    Options options;
    QString error;
    if (!parseArguments(app.arguments(), options, error)) {
        std::fprintf(stderr, "bench_chart: %s\n", qPrintable(error));
        std::fputs(usage, stderr);
        return 2;
    }
    Table table;
    QList<double> xs;
    if (!readTable(options, table, error) || (!options.xColumn.isEmpty() && !xValues(table, xs, error))) {
        std::fprintf(stderr, "bench_chart: %s\n", qPrintable(error));
        return 1;
    }
    const bool lines = !options.xColumn.isEmpty();
    QChartView view(lines ? makeLineChart(options, table, xs) : makeBarChart(options, table));
    view.setRenderHint(QPainter::Antialiasing);
    if (lines)
        view.resize(1000, 650);
    else
        view.resize(std::max<int>(900, 160 * table.cases.size() + 40 * table.servers.size() * table.cases.size() / 2), 700);
    if (!view.grab().save(options.pngPath)) {
        std::fprintf(stderr, "bench_chart: cannot write %s\n", qPrintable(options.pngPath));
        return 1;
    }
    return 0;
}
