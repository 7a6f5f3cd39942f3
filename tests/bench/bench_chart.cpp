// bench_chart: renders the summary CSV that tests/bench/run writes as a PNG of grouped bars,
// one group per case, one bar per server, for the README.
//
// Usage: bench_chart SUMMARY.csv OUT.png [--metric COLUMN] [--title TEXT] [--linear]
//
// The CSV needs a header row naming at least `server`, `case` and the metric column (default
// cpu_us_per_request). Rows whose `cap` column is present and not "none" are skipped, so the
// chart shows the uncapped runs. Cases and servers keep the order in which they first appear.
// The value axis is logarithmic by default because a 4 MiB response costs a hundred times what
// a 1 KiB one does; --linear turns that off. Renders offscreen: set QT_QPA_PLATFORM=offscreen
// when there is no display (the script does).
#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFile>
#include <QLogValueAxis>
#include <QMap>
#include <QPixmap>
#include <QTextStream>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace {

struct Options
{
    QString csvPath;
    QString pngPath;
    QString metric = QStringLiteral("cpu_us_per_request");
    QString title;
    bool linear = false;
};

// The figures to plot: values[server][case], with both orders as first seen.
struct Table
{
    QStringList cases;
    QStringList servers;
    QMap<QString, QMap<QString, double>> values;
};

bool parseArguments(const QStringList &args, Options &options)
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
        else if (arg.startsWith(QLatin1String("--")))
            return false;
        else
            positional << arg;
    }
    if (positional.size() != 2)
        return false;
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
    const int serverColumn = header.indexOf(QStringLiteral("server"));
    const int caseColumn = header.indexOf(QStringLiteral("case"));
    const int metricColumn = header.indexOf(options.metric);
    const int capColumn = header.indexOf(QStringLiteral("cap"));
    if (serverColumn < 0 || caseColumn < 0 || metricColumn < 0) {
        error = QStringLiteral("%1 lacks a server, case or %2 column").arg(options.csvPath, options.metric);
        return false;
    }
    while (!in.atEnd()) {
        const QStringList fields = in.readLine().split(QLatin1Char(','));
        if (fields.size() < header.size())
            continue;
        if (capColumn >= 0 && fields[capColumn] != QLatin1String("none"))
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
        error = QStringLiteral("%1 has no rows with a %2 figure").arg(options.csvPath, options.metric);
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
    };
    return titles.value(metric, metric);
}

QChart *makeChart(const Options &options, const Table &table)
{
    double smallest = INFINITY;
    double largest = 0;
    for (const auto &byCase : table.values) {
        for (double value : byCase) {
            if (value > 0)
                smallest = std::min(smallest, value);
            largest = std::max(largest, value);
        }
    }
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

    auto *chart = new QChart;
    chart->addSeries(series);
    chart->setTitle(options.title.isEmpty() ? axisTitle(options.metric) : options.title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setVisible(true);
    chart->legend()->setAlignment(Qt::AlignBottom);

    auto *caseAxis = new QBarCategoryAxis;
    caseAxis->append(table.cases);
    caseAxis->setTitleText(QStringLiteral("case (file size, keep-alive or Connection: close, connections)"));
    chart->addAxis(caseAxis, Qt::AlignBottom);
    series->attachAxis(caseAxis);

    if (!logScale) {
        auto *valueAxis = new QValueAxis;
        valueAxis->setRange(0, largest * 1.1);
        valueAxis->setTitleText(axisTitle(options.metric));
        chart->addAxis(valueAxis, Qt::AlignLeft);
        series->attachAxis(valueAxis);
    } else {
        auto *valueAxis = new QLogValueAxis;
        valueAxis->setBase(10);
        valueAxis->setLabelFormat(QStringLiteral("%g"));
        valueAxis->setRange(std::pow(10, std::floor(std::log10(smallest))) / 2,
                            std::pow(10, std::ceil(std::log10(largest))));
        valueAxis->setMinorTickCount(8);
        valueAxis->setTitleText(axisTitle(options.metric) + QStringLiteral(", log scale"));
        chart->addAxis(valueAxis, Qt::AlignLeft);
        series->attachAxis(valueAxis);
    }
    return chart;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    Options options;
    if (!parseArguments(app.arguments(), options)) {
        std::fprintf(stderr, "usage: bench_chart SUMMARY.csv OUT.png [--metric COLUMN] [--title TEXT] [--linear]\n");
        return 2;
    }
    Table table;
    QString error;
    if (!readTable(options, table, error)) {
        std::fprintf(stderr, "bench_chart: %s\n", qPrintable(error));
        return 1;
    }
    QChartView view(makeChart(options, table));
    view.setRenderHint(QPainter::Antialiasing);
    view.resize(std::max<int>(900, 160 * table.cases.size() + 40 * table.servers.size() * table.cases.size() / 2), 700);
    if (!view.grab().save(options.pngPath)) {
        std::fprintf(stderr, "bench_chart: cannot write %s\n", qPrintable(options.pngPath));
        return 1;
    }
    return 0;
}
