// loopscope: the window. Parses its options before Qt starts (so --help and "no display" work
// without a display), installs clean SIGINT/SIGTERM handling, and shows MainWindow.
#include "live/gui_loop_probe.h"
#include "model/timeline_model.h"
#include "model/trace_store.h"
#include "window/main_window.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QScreen>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using namespace loopscope;

namespace {

const char* kUsage = R"(Usage: loopscope [options]

Opens the loopscope window: a live timeline of an event-loop HTTP server's connections, beside
the server's own loop and the window's Qt loop, with an event table, charts and trace export.

Options:
  --root DIR            folder to serve (default: the bundled demo site)
  --port N              TCP port (default 8080; 0 picks a free port)
  --bind ADDR           IPv4 address to listen on (default 127.0.0.1)
  --autostart           start serving at once
  --demo                start serving and drive the built-in Demo traffic (about 26 s of
                        phases made for watching; the Traffic panel shows them)
  --max-events N        events the window keeps (default 5000000, about 40 bytes each);
                        when full, the oldest are evicted and counted in the status bar
  --screenshot FILE     save a PNG of the window to FILE and quit, once it has run for
                        --screenshot-delay seconds and shows live data (connections); with no
                        traffic at all it gives up waiting at three times the delay
  --screenshot-delay S  seconds to run before the screenshot (default 5)
  -h, --help            show this help

Without a display, run the headless server instead (loopscope-server --root DIR), or run the
window under Xvfb: xvfb-run -a loopscope
)";

struct GuiOptions {
    WindowOptions window;
    QString screenshot;
    double screenshotDelay = 5;
};

int usageError(const std::string& message)
{
    std::fprintf(stderr, "loopscope: %s\n", message.c_str());
    return 2;
}

QString defaultRoot(const char* argv0)
{
    // The build knows where the sources are; an installed copy looks beside the binary.
    const QString built = QStringLiteral(LOOPSCOPE_DEMO_SITE);
    if (QFileInfo(built).isDir())
        return built;
    return QFileInfo(QString::fromLocal8Bit(argv0)).absolutePath() + QStringLiteral("/../share/loopscope/demo-site");
}

// Returns 0 to go on, or an exit code (help printed, or a bad option).
int parseOptions(int argc, char** argv, GuiOptions& o)
{
    o.window.server.root = defaultRoot(argv[0]);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        auto value = [&]() -> std::string { return hasValue ? argv[++i] : std::string(); };
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return -1;
        } else if (a == "--autostart") {
            o.window.autostart = true;
        } else if (a == "--demo") {
            o.window.demo = true;
        } else if (a == "--max-events") {
            if (!hasValue)
                return usageError(a + " needs a value; see --help.");
            const std::string v = value();
            char* end = nullptr;
            const long long n = std::strtoll(v.c_str(), &end, 10);
            if (*end || v.empty() || n < 200'000 || n > 1'000'000'000)
                return usageError("--max-events needs a whole number from 200000 to 1000000000 (got '" + v + "').");
            o.window.storeCapacity = std::size_t(n);
        } else if (a == "--root" || a == "--bind" || a == "--port" || a == "--screenshot"
                   || a == "--screenshot-delay") {
            if (!hasValue)
                return usageError(a + " needs a value; see --help.");
            const std::string v = value();
            if (a == "--root")
                o.window.server.root = QString::fromLocal8Bit(v.c_str());
            else if (a == "--bind")
                o.window.server.bindAddress = QString::fromStdString(v);
            else if (a == "--screenshot")
                o.screenshot = QString::fromLocal8Bit(v.c_str());
            else if (a == "--screenshot-delay") {
                char* end = nullptr;
                o.screenshotDelay = std::strtod(v.c_str(), &end);
                if (*end || o.screenshotDelay <= 0 || o.screenshotDelay > 3600)
                    return usageError("--screenshot-delay needs a number of seconds from 0 to 3600 (got '" + v + "').");
            } else {
                char* end = nullptr;
                const long port = std::strtol(v.c_str(), &end, 10);
                if (*end || v.empty() || port < 0 || port > 65535)
                    return usageError("--port needs a port number from 0 to 65535 (got '" + v + "').");
                o.window.server.port = int(port);
            }
        } else {
            return usageError("Unknown option '" + a + "'; see --help.");
        }
    }
    return 0;
}

bool haveDisplay()
{
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform)
        return true; // offscreen, xcb with an explicit display, ...
    return (std::getenv("DISPLAY") && *std::getenv("DISPLAY"))
           || (std::getenv("WAYLAND_DISPLAY") && *std::getenv("WAYLAND_DISPLAY"));
}

// SIGINT/SIGTERM quit the event loop cleanly (the server stops, settings are saved): the
// handler only writes a byte to a socket that a QSocketNotifier watches.
int g_signalSocket[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    (void)!::write(g_signalSocket[0], &byte, 1);
}

void installQuitOnSignals(QApplication& app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalSocket) != 0)
        return;
    auto* notifier = new QSocketNotifier(g_signalSocket[1], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [&app] {
        char byte;
        (void)!::read(g_signalSocket[1], &byte, 1);
        app.quit();
    });
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// Waits for the delay and for live data (connection lanes), then saves the window.
void scheduleScreenshot(MainWindow& window, const QString& path, double delaySeconds)
{
    auto* poll = new QTimer(&window);
    auto* elapsed = new QElapsedTimer();
    elapsed->start();
    QObject::connect(poll, &QTimer::timeout, &window, [&window, path, delaySeconds, poll, elapsed] {
        const qint64 ms = elapsed->elapsed();
        const bool live = window.timelineModel().connectionLaneCount() > 0;
        if (ms < qint64(delaySeconds * 1000) || (!live && ms < qint64(delaySeconds * 3000)))
            return;
        if (!live)
            std::fprintf(stderr, "loopscope: no connections arrived; the screenshot shows an idle window.\n");
        poll->stop();
        delete elapsed;
        const QImage shot = window.grab().toImage();
        if (!shot.save(path, "PNG")) {
            std::fprintf(stderr, "loopscope: Cannot write the screenshot to %s; choose a writable path.\n",
                         qPrintable(path));
            QCoreApplication::exit(1);
            return;
        }
        std::printf("loopscope: screenshot written to %s\n", qPrintable(path));
        QCoreApplication::quit();
    });
    poll->start(100);
}

} // namespace

int main(int argc, char** argv)
{
    GuiOptions options;
    if (const int code = parseOptions(argc, argv, options); code != 0)
        return code < 0 ? 0 : code;
    if (!haveDisplay()) {
        std::fprintf(stderr, "loopscope: No display was found (DISPLAY and WAYLAND_DISPLAY are not set); "
                             "run the headless server with 'loopscope-server --root DIR', or the window "
                             "under Xvfb with 'xvfb-run -a loopscope'.\n");
        return 1;
    }

    LoopscopeApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("loopscope"));
    QCoreApplication::setApplicationName(QStringLiteral("loopscope"));
    installQuitOnSignals(app);

    MainWindow window(options.window);
    window.resize(1500, 900);
    window.show();
    if (!options.screenshot.isEmpty())
        scheduleScreenshot(window, options.screenshot, options.screenshotDelay);
    const int code = app.exec();
    window.server().stop();
    return code;
}
