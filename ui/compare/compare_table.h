// CompareTable: the figures of two compared runs side by side, one row per figure, one column
// per side (headed with its model), and under it the process's memory.
//
// Contract: GUI thread only; showFigures() reads the sides and rewrites every cell (the window calls it
// a few times a second while running and once more when both are done). Each row's label says
// exactly what its figure measures and who measured it (the load generator, as a client sees it,
// or the server's own recording).
#pragma once

#include <QWidget>

#include <cstdint>

class QLabel;
class QTableWidget;

namespace loopscope {

class CompareSide;

class CompareTable : public QWidget {
    Q_OBJECT
public:
    explicit CompareTable(QWidget* parent = nullptr);

    // `residentBefore`: the process's resident memory just before the run started (0: unknown).
    void showFigures(const CompareSide& first, const CompareSide& second, std::uint64_t residentBefore);
    // The text of a cell (row as in rowLabels(), column 0 or 1), for tests.
    QString cell(int row, int column) const;
    int rowOf(const QString& labelStart) const;
    QString memoryText() const;

private:
    void showSide(int column, const CompareSide& side);
    void showMemory(std::uint64_t residentBefore);

    QTableWidget* m_table = nullptr;
    QLabel* m_memory = nullptr;
    std::uint64_t m_residentPeak = 0;
};

} // namespace loopscope
