// LoopPanel: seeing the loop think. Pause stops the event loop between two epoll_wait calls,
// Step (F10) lets it run exactly one iteration, Run lets it go. The last step's ready list is a
// table (what was ready, its fd or connection, the epoll bits, the handler it went to); beside
// it the seed's pseudocode, with the branch the selected ready event took highlighted (the first
// row's after each step). Below, switches that break the loop on purpose (read files on the
// loop thread, burn CPU per request) and a link to the Traffic panel's slow readers.
//
// Contract: GUI thread. The panel learns what a step did only from the recording (its
// StepModel, which the window adds to the TraceConsumer's sinks), and changes the engine only
// through the ServerController; refusals (not serving, another model) are shown as the
// controller's one sentence.
#pragma once

#include "stepper/pseudocode.h"

#include <QWidget>

class QAction;
class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QSpinBox;
class QTableView;

namespace loopscope {

class ServerController;
class StepModel;

class LoopPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSlowReadersLink = 4; // how many slow readers the link asks for

    explicit LoopPanel(ServerController& server, QWidget* parent = nullptr);

    StepModel* model() const { return m_model; } // add it to the TraceConsumer's sinks
    QAction* pauseAction() const { return m_pause; }
    QAction* stepAction() const { return m_step; }
    QAction* runAction() const { return m_run; }
    QTableView* readyTable() const { return m_table; }
    pseudocode::LineRange highlightedLines() const { return m_highlight; }
    QString statusText() const;
    QCheckBox* syncDiskBox() const { return m_syncDisk; }
    QSpinBox* cpuMsBox() const { return m_cpuMs; }

public slots:
    void pauseLoop();
    void stepLoop();
    void runLoop();

signals:
    // The user asked for slow readers: the window fills the Traffic panel and shows it.
    void slowReadersRequested(int clients);

private:
    QWidget* buildButtons();
    QWidget* buildSwitches();
    void onStepModeChanged(bool on);
    void onStepped(quint64 step, int readyCount);
    void onRowSelected();
    void highlight(pseudocode::LineRange lines);
    void applyBreaks();
    void say(const QString& text, bool error = false);

    ServerController& m_server;
    StepModel* m_model = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_step = nullptr;
    QAction* m_run = nullptr;
    QLabel* m_status = nullptr;
    QTableView* m_table = nullptr;
    QPlainTextEdit* m_code = nullptr;
    QLabel* m_branch = nullptr;
    QCheckBox* m_syncDisk = nullptr;
    QSpinBox* m_cpuMs = nullptr;
    pseudocode::LineRange m_highlight;
};

} // namespace loopscope
