// CompareWindow: the same load against two server models, side by side, so the contrast the
// product teaches becomes visible: a blocking server queues everyone behind one client, a thread
// per connection spends a thread on each idle connection, an event loop serves them all from one
// thread.
//
// Contract: GUI thread only. The window owns two CompareSides (each its own server on its own
// ephemeral port, recorder, store, models and load generator), so it works whether or not the
// main window's server runs and never touches it. Start serves the document root with both
// models at once and sends each the same load; the two timelines are stacked, each labelled with
// its model, kept in step relative to their own run's start (TimelineSync), and following live
// together while running; the figures table refreshes every kRefreshMs and once more when both
// runs are done. Closing or destroying the window during a run stops both cleanly.
//
// Both sides run at the same time rather than one after the other: the default load is open loop
// at a modest rate, so each server needs a small share of a core and the two do not compete on a
// two-core machine, and the audience sees both unfold together. (A closed-loop load, rate 0,
// makes each side take all the CPU it can; its absolute numbers are then shared between the
// sides, which the rate field's tooltip says.)
#pragma once

#include "compare/compare_load.h"

#include <QTimer>
#include <QWidget>

#include <array>
#include <cstdint>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace loopscope {

class CompareSide;
class CompareTable;
class TimelineSync;
class TimelineView;

class CompareWindow : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = 250;

    // `root`: the document root both servers serve (the main window's).
    explicit CompareWindow(const QString& root, QWidget* parent = nullptr);
    ~CompareWindow() override;

    void setRoot(const QString& root) { m_root = root; }
    QString root() const { return m_root; }
    void setModels(ServerModel first, ServerModel second);
    // The load the form describes, and filling the form from one.
    CompareLoad load() const;
    void setLoad(const CompareLoad& load);

    bool isRunning() const;
    CompareSide& side(int index) { return *m_sides[std::size_t(index)]; }
    TimelineView& view(int index) { return *m_views[std::size_t(index)]; }
    QString caption(int index) const;
    CompareTable& table() { return *m_table; }
    QString statusText() const;

public slots:
    // Starts both runs; false (and one sentence in statusText()) if either cannot start.
    bool start();
    void stop();

signals:
    void runningChanged(bool running);
    // Both runs are over (ended by themselves or stopped) and the table shows final figures.
    void finished();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QWidget* buildForm();
    QWidget* buildBody();
    QWidget* buildSideView(int index, QWidget* parent);
    QComboBox* modelBox(ServerModel initial);
    void onSideFinished();
    void refreshFigures();
    void showStatus(const QString& text, bool error);
    void setEditable(bool editable);

    QString m_root;
    std::array<std::unique_ptr<CompareSide>, 2> m_sides;
    std::array<TimelineView*, 2> m_views{};
    std::array<QLabel*, 2> m_captions{};
    QWidget* m_body = nullptr;
    CompareTable* m_table = nullptr;
    TimelineSync* m_sync = nullptr;
    QTimer m_refresh;
    std::uint64_t m_residentBefore = 0;
    bool m_running = false;

    std::array<QComboBox*, 2> m_models{};
    QSpinBox* m_clients = nullptr;
    QDoubleSpinBox* m_rate = nullptr;
    QSpinBox* m_slowReaders = nullptr;
    QSpinBox* m_slowHeaders = nullptr;
    QCheckBox* m_keepAlive = nullptr;
    QDoubleSpinBox* m_giveUp = nullptr;
    QDoubleSpinBox* m_duration = nullptr;
    QLineEdit* m_paths = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_status = nullptr;
    std::uint64_t m_budget = 0; // requests per client: not in the form (tests end runs early with it)
};

} // namespace loopscope
