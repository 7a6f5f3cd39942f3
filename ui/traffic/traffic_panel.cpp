#include "traffic/traffic_panel.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace loopscope {

namespace {

QString grouped(std::uint64_t n)
{
    return QLocale(QLocale::English).toString(qulonglong(n));
}

QString millis(std::int64_t ns)
{
    return QString::number(double(ns) / 1e6, 'f', ns < 10'000'000 ? 2 : 1) + QStringLiteral(" ms");
}

LoadSettings demoSettings(unsigned clients, double rate)
{
    LoadSettings s;
    s.clients = clients;
    s.rate = rate;
    return s;
}

} // namespace

TrafficPanel::TrafficPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    buildForm();
    buildFigures();
    layout->addStretch(1);
    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, &TrafficPanel::poll);
}

TrafficPanel::~TrafficPanel()
{
    m_generator.stop();
}

void TrafficPanel::buildForm()
{
    auto* form = new QFormLayout;
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("trafficUrl"));
    m_url->setPlaceholderText(tr("the server's URL once it runs"));
    m_url->setToolTip(tr("http://ADDRESS:PORT/ (IPv4); filled in when the window's server starts"));
    form->addRow(tr("URL"), m_url);
    m_clients = new QSpinBox(this);
    m_clients->setRange(0, int(LoadSettings::kMaxClients));
    m_clients->setValue(4);
    m_clients->setToolTip(tr("Connections sending requests at once"));
    form->addRow(tr("Clients"), m_clients);
    m_rate = new QDoubleSpinBox(this);
    m_rate->setRange(0, 1e6);
    m_rate->setDecimals(0);
    m_rate->setValue(50);
    m_rate->setSpecialValueText(tr("as fast as answered"));
    m_rate->setSuffix(tr(" req/s"));
    m_rate->setToolTip(tr("Requests per second over all clients; 0 sends each next request as soon as "
                          "the previous response arrives"));
    form->addRow(tr("Rate"), m_rate);
    m_duration = new QDoubleSpinBox(this);
    m_duration->setRange(0, 86400);
    m_duration->setDecimals(1);
    m_duration->setSpecialValueText(tr("until Stop"));
    m_duration->setSuffix(tr(" s"));
    form->addRow(tr("Duration"), m_duration);
    m_keepAlive = new QCheckBox(tr("Keep-alive (untick: a new connection per request)"), this);
    m_keepAlive->setChecked(true);
    form->addRow(QString(), m_keepAlive);
    m_paths = new QLineEdit(QString::fromStdString(pathMixText(defaultPathMix())), this);
    m_paths->setObjectName(QStringLiteral("trafficPaths"));
    m_paths->setToolTip(tr("PATH[:WEIGHT] separated by commas; \"HEAD \" before a path asks for HEAD"));
    form->addRow(tr("Paths"), m_paths);
    m_pipeline = new QSpinBox(this);
    m_pipeline->setRange(1, int(LoadSettings::kMaxPipeline));
    m_pipeline->setToolTip(tr("Requests sent back to back on a connection before reading the responses"));
    form->addRow(tr("Pipeline"), m_pipeline);
    m_slowHeaders = new QSpinBox(this);
    m_slowHeaders->setRange(0, 1000);
    m_slowHeaders->setToolTip(tr("More clients that send their request headers one byte every 20 ms"));
    form->addRow(tr("Slow headers"), m_slowHeaders);
    m_slowReaders = new QSpinBox(this);
    m_slowReaders->setRange(0, 1000);
    m_slowReaders->setToolTip(tr("More clients with a small receive buffer that read 4 KiB every 20 ms"));
    form->addRow(tr("Slow readers"), m_slowReaders);
    static_cast<QVBoxLayout*>(layout())->addLayout(form);

    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Start"), this);
    m_stop = new QPushButton(tr("Stop"), this);
    m_demo = new QPushButton(tr("Demo"), this);
    m_demo->setToolTip(tr("Start the server if needed, then run a few phases of traffic made for watching"));
    m_stop->setEnabled(false);
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_demo);
    static_cast<QVBoxLayout*>(layout())->addLayout(buttons);
    connect(m_start, &QPushButton::clicked, this, &TrafficPanel::startFromForm);
    connect(m_stop, &QPushButton::clicked, this, &TrafficPanel::stop);
    connect(m_demo, &QPushButton::clicked, this, &TrafficPanel::startDemo);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_status);
}

void TrafficPanel::buildFigures()
{
    auto* figures = new QFormLayout;
    m_phase = new QLabel(QStringLiteral("–"), this);
    m_rateNow = new QLabel(QStringLiteral("–"), this);
    m_done = new QLabel(QStringLiteral("0"), this);
    m_done->setObjectName(QStringLiteral("trafficDone"));
    m_errors = new QLabel(QStringLiteral("0"), this);
    m_latency = new QLabel(QStringLiteral("–"), this);
    figures->addRow(tr("Phase"), m_phase);
    figures->addRow(tr("Requests/s"), m_rateNow);
    figures->addRow(tr("Done"), m_done);
    figures->addRow(tr("Errors"), m_errors);
    figures->addRow(tr("Latency p50 / p99"), m_latency);
    static_cast<QVBoxLayout*>(layout())->addLayout(figures);
}

// ---- Plans ----------------------------------------------------------------------------------

LoadPlan TrafficPanel::demoPlan(const LoadUrl& target)
{
    // A few clients at a modest rate keep the lanes readable; the burst fills them; slow
    // clients show long ReadingHeaders and WritingBody spans beside quick ones; closing after
    // every request shows accept and close on every lane.
    LoadPlan plan;
    plan.target = target;
    plan.phases.push_back({"steady keep-alive", 8, demoSettings(4, 20)});
    plan.phases.push_back({"burst", 4, demoSettings(16, 400)});
    LoadSettings slow = demoSettings(4, 20);
    slow.slowHeaders = 3;
    slow.slowReaders = 2;
    plan.phases.push_back({"slow clients join", 8, slow});
    LoadSettings close = demoSettings(4, 40);
    close.keepAlive = false;
    plan.phases.push_back({"connection per request", 6, close});
    return plan;
}

std::optional<LoadPlan> TrafficPanel::formPlan(QString& error) const
{
    std::string why;
    const QString urlText = m_url->text().trimmed();
    if (urlText.isEmpty()) {
        error = tr("No URL to send to; press Start in the toolbar to serve, or type a URL.");
        return std::nullopt;
    }
    const auto url = parseLoadUrl(urlText.toStdString(), why);
    if (!url) {
        error = QString::fromStdString(why);
        return std::nullopt;
    }
    LoadSettings s;
    s.clients = unsigned(m_clients->value());
    s.rate = m_rate->value();
    s.keepAlive = m_keepAlive->isChecked();
    s.pipeline = unsigned(m_pipeline->value());
    s.slowHeaders = unsigned(m_slowHeaders->value());
    s.slowReaders = unsigned(m_slowReaders->value());
    const auto paths = parsePathMix(m_paths->text().toStdString(), why);
    if (!paths) {
        error = QString::fromStdString(why);
        return std::nullopt;
    }
    s.paths = *paths;
    LoadPlan plan = singlePhasePlan(*url, s, m_duration->value(), "traffic");
    why = validate(plan);
    if (!why.empty()) {
        error = QString::fromStdString(why);
        return std::nullopt;
    }
    return plan;
}

// ---- Running --------------------------------------------------------------------------------

void TrafficPanel::setSlowReaders(int clients)
{
    m_slowReaders->setValue(clients);
}

void TrafficPanel::setServerUrl(const QString& url)
{
    // Follow the server unless the user typed another target.
    if (m_url->text().isEmpty() || m_url->text() == m_serverUrl)
        m_url->setText(url);
    m_serverUrl = url;
}

void TrafficPanel::startFromForm()
{
    QString error;
    const auto plan = formPlan(error);
    if (!plan)
        return showStatus(error, true);
    startPlan(*plan);
}

void TrafficPanel::startDemo()
{
    QString url = m_serverUrl;
    if (url.isEmpty() && m_starter)
        url = m_starter();
    if (url.isEmpty())
        return showStatus(tr("The server is not running; press Start in the toolbar, then Demo again."), true);
    std::string error;
    const auto target = parseLoadUrl(url.toStdString(), error);
    if (!target)
        return showStatus(QString::fromStdString(error), true);
    startPlan(demoPlan(*target));
}

bool TrafficPanel::startPlan(const LoadPlan& plan)
{
    stop();
    std::string error;
    m_plan = plan;
    m_phasesRecorded = 0;
    if (!m_generator.start(m_plan, error)) {
        showStatus(QString::fromStdString(error), true);
        return false;
    }
    showStatus(tr("Sending to %1.").arg(QString::fromStdString(plan.target.text())), false);
    m_wasRunning = true;
    setEditable(false);
    m_poll.start();
    emit runningChanged(true);
    return true;
}

void TrafficPanel::stop()
{
    if (!m_wasRunning)
        return;
    m_generator.stop();
    poll(); // records the stop and shows the final figures
}

void TrafficPanel::poll()
{
    const LoadSnapshot s = m_generator.snapshot();
    recordNewPhases(s);
    showFigures(s);
    if (!s.running && m_wasRunning) {
        m_wasRunning = false;
        m_poll.stop();
        m_generator.stop(); // joins the finished thread, closes its fds
        const std::size_t last = s.phaseStartNs.empty() ? 0 : s.phaseStartNs.size() - 1;
        recordPhase(s.startedNs + s.elapsedNs, last, true);
        setEditable(true);
        showStatus(s.failure.empty() ? tr("Finished.") : QString::fromStdString(s.failure), !s.failure.empty());
        emit runningChanged(false);
    }
}

void TrafficPanel::recordNewPhases(const LoadSnapshot& s)
{
    // Phases shorter than a poll are recorded too: the snapshot keeps every phase's start.
    for (; m_phasesRecorded < s.phaseStartNs.size(); ++m_phasesRecorded)
        recordPhase(s.phaseStartNs[m_phasesRecorded], m_phasesRecorded, false);
}

void TrafficPanel::recordPhase(std::int64_t t, std::size_t index, bool stopped)
{
    if (!m_sink)
        return;
    m_sink(makeLoadPhaseRecord(t, index, stopped));
    const std::string name = index < m_plan.phases.size() ? m_plan.phases[index].name : std::string();
    // The name as RequestText side records, 16 bytes each, the last one flagged.
    std::size_t off = 0;
    do {
        const std::string_view piece = std::string_view(name).substr(off, kTextBytesPerRecord);
        off += piece.size();
        m_sink(makeTextRecord(0, piece, off >= name.size()));
    } while (off < name.size());
}

void TrafficPanel::showFigures(const LoadSnapshot& s)
{
    if (s.phaseIndex >= 0)
        m_phase->setText(QStringLiteral("%1 of %2: %3")
                             .arg(s.phaseIndex + 1)
                             .arg(m_plan.phases.size())
                             .arg(QString::fromStdString(s.phaseName)));
    m_rateNow->setText(QString::number(s.requestsPerSecond, 'f', 0));
    const LoadCounts& c = s.counts;
    m_done->setText(tr("%1 (2xx %2, 3xx %3, 4xx %4, 5xx %5), %6 in flight")
                        .arg(grouped(c.responses), grouped(c.status(2)), grouped(c.status(3)), grouped(c.status(4)),
                             grouped(c.status(5)), grouped(s.inFlight)));
    QString errors = grouped(c.errorTotal());
    if (c.errorTotal() > 0)
        errors += tr(" (connect %1, reset %2, timeout %3, malformed %4)")
                      .arg(grouped(c.errors[0]), grouped(c.errors[1]), grouped(c.errors[2]), grouped(c.errors[3]));
    m_errors->setText(errors);
    m_latency->setText(c.responses == 0 ? QStringLiteral("–") : millis(s.p50Ns) + QStringLiteral(" / ") + millis(s.p99Ns));
}

void TrafficPanel::showStatus(const QString& text, bool error)
{
    m_status->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
    m_status->setText(text);
}

QString TrafficPanel::statusText() const
{
    return m_status->text();
}

void TrafficPanel::setEditable(bool editable)
{
    for (QWidget* w : std::initializer_list<QWidget*>{m_url, m_clients, m_rate, m_duration, m_keepAlive, m_paths,
                                                      m_pipeline, m_slowHeaders, m_slowReaders, m_start, m_demo})
        w->setEnabled(editable);
    m_stop->setEnabled(!editable);
}

} // namespace loopscope
