#include "diagram/state_diagram.h"

#include "timeline/palette.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <cmath>

namespace loopscope {

namespace {

using S = ConnectionState;

// Where each node sits, on a 3 x 3 grid read like the seed's cycle: accept, read, fetch across
// the top, write down the right and back along the bottom, keep-alive in the middle looping back.
struct NodePlace {
    S state;
    int column;
    int row;
};
constexpr NodePlace kNodes[] = {
    {S::Accepted, 0, 0},       {S::ReadingHeaders, 1, 0}, {S::FetchingFile, 2, 0},
    {S::KeepAlive, 1, 1},
    {S::Closed, 0, 2},         {S::WritingBody, 1, 2},    {S::WritingHeaders, 2, 2},
};

// The transitions of the seed's state machine: a short label for the arrow, and the event of the
// seed's pseudocode that causes it (shown in the tooltips).
struct Edge {
    S from;
    S to;
    const char* label;
    const char* event;
    bool rare; // drawn dashed: the path of a refused request
};
constexpr Edge kEdges[] = {
    {S::Accepted, S::ReadingHeaders, "bytes", "NEW_TCP_CONNECTION", false},
    {S::ReadingHeaders, S::FetchingFile, "head", "FINISHED_READING_FROM_SOCKET", false},
    {S::FetchingFile, S::WritingHeaders, "file", "FINISHED_READING_FROM_DISK", false},
    {S::WritingHeaders, S::WritingBody, "sent", "FINISHED_WRITING_TO_SOCKET (headers done)", false},
    {S::WritingBody, S::KeepAlive, "keep-alive", "FINISHED_WRITING_TO_SOCKET (contents done, keep-alive)", false},
    {S::KeepAlive, S::ReadingHeaders, "next request", "the next request's first bytes", false},
    {S::WritingBody, S::Closed, "close", "FINISHED_WRITING_TO_SOCKET (contents done, close)", false},
    {S::ReadingHeaders, S::WritingHeaders, "bad request", "a malformed or refused request", true},
};

// Where the segment from the centre of `r` towards `target` leaves `r`.
QPointF borderPoint(const QRectF& r, QPointF target)
{
    const QPointF c = r.center();
    const double dx = target.x() - c.x(), dy = target.y() - c.y();
    if (dx == 0 && dy == 0)
        return c;
    const double sx = dx != 0 ? (r.width() / 2) / std::abs(dx) : 1e9;
    const double sy = dy != 0 ? (r.height() / 2) / std::abs(dy) : 1e9;
    const double s = std::min(sx, sy);
    return {c.x() + dx * s, c.y() + dy * s};
}

void drawArrow(QPainter& p, QPointF from, QPointF to)
{
    p.drawLine(from, to);
    const double angle = std::atan2(to.y() - from.y(), to.x() - from.x());
    constexpr double kHead = 8, kSpread = 0.45;
    QPainterPath head(to);
    head.lineTo(to.x() - kHead * std::cos(angle - kSpread), to.y() - kHead * std::sin(angle - kSpread));
    head.lineTo(to.x() - kHead * std::cos(angle + kSpread), to.y() - kHead * std::sin(angle + kSpread));
    head.closeSubpath();
    p.fillPath(head, p.pen().color());
}

} // namespace

StateDiagram::StateDiagram(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void StateDiagram::setCounts(const Counts& counts)
{
    if (counts == m_counts)
        return;
    m_counts = counts;
    update();
}

void StateDiagram::setSelectedState(std::optional<ConnectionState> state)
{
    if (state == m_selected)
        return;
    m_selected = state;
    update();
}

QRectF StateDiagram::nodeRect(ConnectionState state) const
{
    const double cellW = width() / 3.0, cellH = height() / 3.0;
    for (const NodePlace& n : kNodes)
        if (n.state == state) {
            const double w = std::min(cellW * 0.76, 160.0), h = std::min(cellH * 0.56, 56.0);
            const QPointF centre((n.column + 0.5) * cellW, (n.row + 0.5) * cellH);
            return {centre.x() - w / 2, centre.y() - h / 2, w, h};
        }
    return {};
}

std::optional<ConnectionState> StateDiagram::stateAt(QPointF pos) const
{
    for (const NodePlace& n : kNodes)
        if (nodeRect(n.state).contains(pos))
            return n.state;
    return std::nullopt;
}

void StateDiagram::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing, true);
    paintEdges(p);
    paintNodes(p);
}

void StateDiagram::paintEdges(QPainter& p) const
{
    QFont small = font();
    small.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.75));
    p.setFont(small);
    for (const Edge& e : kEdges) {
        const QRectF a = nodeRect(e.from), b = nodeRect(e.to);
        const QPointF from = borderPoint(a, b.center()), to = borderPoint(b, a.center());
        const QColor colour = palette().color(QPalette::Text);
        p.setPen(QPen(colour, 1.4, e.rare ? Qt::DashLine : Qt::SolidLine));
        drawArrow(p, from, to);
        // The label beside the arrow's middle, on a white ground so crossing lines stay readable.
        // The diagonal (refused request) passes the keep-alive node: label it nearer its end.
        const QPointF mid = e.rare ? from + (to - from) * 0.72 : (from + to) / 2;
        const QString label = QString::fromLatin1(e.label);
        const QRectF box = QFontMetricsF(small).boundingRect(label).adjusted(-3, -1, 3, 1);
        const QRectF placed(mid.x() - box.width() / 2, mid.y() - box.height() / 2, box.width(), box.height());
        p.fillRect(placed, QColor(255, 255, 255, 220));
        p.setPen(colour);
        p.drawText(placed, Qt::AlignCenter, label);
    }
}

void StateDiagram::paintNodes(QPainter& p) const
{
    QFont name = font();
    name.setPointSizeF(font().pointSizeF() * 0.9);
    QFont count = font();
    count.setBold(true);
    count.setPointSizeF(font().pointSizeF() * 1.6);
    for (const NodePlace& n : kNodes) {
        const QRectF r = nodeRect(n.state);
        const bool selected = m_selected == n.state;
        const std::uint64_t value = m_counts[std::size_t(n.state)];
        QColor fill = n.state == S::Closed ? QColor(0xdd, 0xdd, 0xdd) : palette::colorFor(n.state);
        if (value == 0 && n.state != S::Closed)
            fill = fill.lighter(160); // empty states fade, busy ones stand out
        p.setPen(QPen(selected ? QColor(0xd0, 0x20, 0x20) : QColor(0x30, 0x30, 0x30), selected ? 3.5 : 1.2));
        p.setBrush(fill);
        p.drawRoundedRect(r, 8, 8);
        const QColor text = fill.lightness() < 120 ? Qt::white : Qt::black;
        p.setPen(text);
        p.setFont(name);
        const QRectF top(r.left(), r.top() + 2, r.width(), r.height() / 2 - 2);
        p.drawText(top, Qt::AlignCenter, palette::nameOf(n.state));
        p.setFont(count);
        const QRectF bottom(r.left(), r.center().y(), r.width(), r.height() / 2 - 2);
        p.drawText(bottom, Qt::AlignCenter, n.state == S::Closed ? QStringLiteral("%1 so far").arg(value) : QString::number(value));
    }
}

void StateDiagram::mousePressEvent(QMouseEvent* e)
{
    if (e->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(e);
    std::optional<ConnectionState> hit = stateAt(e->position());
    if (hit == S::Closed)
        hit.reset(); // closed connections have no lane to show
    const std::optional<ConnectionState> next = hit == m_selected ? std::nullopt : hit;
    setSelectedState(next);
    emit stateClicked(next);
}

QString StateDiagram::toolTipFor(ConnectionState state) const
{
    const std::uint64_t n = m_counts[std::size_t(state)];
    if (state == S::Closed)
        return tr("%1 connections closed so far").arg(n);
    QString entered;
    for (const Edge& e : kEdges)
        if (e.to == state)
            entered += (entered.isEmpty() ? QString() : tr(" or ")) + QString::fromLatin1(e.event);
    return tr("%1: %2 connection(s) now\nEntered on %3\nClick to show only these lanes; click again to show all")
        .arg(palette::nameOf(state))
        .arg(n)
        .arg(entered.isEmpty() ? tr("accept (the loop's accept4 on the listening socket)") : entered);
}

bool StateDiagram::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        if (const auto state = stateAt(help->pos()))
            QToolTip::showText(help->globalPos(), toolTipFor(*state), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(e);
}

} // namespace loopscope
