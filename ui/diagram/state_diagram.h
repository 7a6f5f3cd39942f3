// StateDiagram: the seed's connection state machine drawn as a graph, live.
//
// Each state is a node showing how many connections are in it now (Closed: how many have closed
// so far); each arrow is a transition, labelled with the event of the seed's pseudocode that
// causes it (FINISHED_READING_FROM_SOCKET ...). Clicking a node selects that state (the window
// then shows only the lanes in it); clicking it again, or an empty spot, clears the selection.
//
// Contract: GUI thread; setCounts() is all it needs (the window calls it a few times a second).
// Pure drawing of given numbers: it reads no model itself, so it is trivially testable.
#pragma once

#include "core/event_record.h"

#include <QWidget>

#include <array>
#include <cstdint>
#include <optional>

namespace loopscope {

class StateDiagram : public QWidget {
    Q_OBJECT
public:
    using Counts = std::array<std::uint64_t, 8>; // indexed by ConnectionState

    explicit StateDiagram(QWidget* parent = nullptr);

    void setCounts(const Counts& counts);
    const Counts& counts() const { return m_counts; }
    std::optional<ConnectionState> selectedState() const { return m_selected; }
    void setSelectedState(std::optional<ConnectionState> state);

    // The node under a point (widget coordinates), if any; and a node's rectangle.
    std::optional<ConnectionState> stateAt(QPointF pos) const;
    QRectF nodeRect(ConnectionState state) const;

    QSize sizeHint() const override { return {420, 260}; }
    QSize minimumSizeHint() const override { return {300, 190}; }

signals:
    // The user picked a state (nullopt: cleared).
    void stateClicked(std::optional<ConnectionState> state);

protected:
    void paintEvent(QPaintEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    bool event(QEvent* e) override;

private:
    void paintEdges(QPainter& p) const;
    void paintNodes(QPainter& p) const;
    QString toolTipFor(ConnectionState state) const;

    Counts m_counts{};
    std::optional<ConnectionState> m_selected;
};

} // namespace loopscope
