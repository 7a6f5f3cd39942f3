#include "timeline/timeline_legend.h"

#include "timeline/marker_glyph.h"
#include "timeline/palette.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPixmap>

namespace loopscope {

namespace {

constexpr int kSwatch = 12;

QLabel* swatch(const QColor& color, bool hatched = false)
{
    QPixmap pixmap(kSwatch, kSwatch);
    pixmap.fill(color);
    QPainter p(&pixmap);
    if (hatched)
        p.fillRect(pixmap.rect(), QBrush(QColor(0, 0, 0, 90), Qt::BDiagPattern));
    p.setPen(QColor::fromRgb(palette::kGrid));
    p.drawRect(pixmap.rect().adjusted(0, 0, -1, -1));
    auto* label = new QLabel;
    label->setPixmap(pixmap);
    return label;
}

QLabel* glyph(EventKind kind)
{
    QPixmap pixmap(kSwatch + 4, kSwatch + 4);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing, true);
    drawMarkerGlyph(p, kind, QPointF(pixmap.width() / 2.0, pixmap.height() / 2.0), kSwatch / 2.0 - 1);
    auto* label = new QLabel;
    label->setPixmap(pixmap);
    return label;
}

// One legend row: a bold title, then (swatch, words) pairs.
class Row {
public:
    Row(QGridLayout* grid, int row, const QString& title) : m_layout(new QHBoxLayout)
    {
        auto* heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title));
        grid->addWidget(heading, row, 0);
        grid->addLayout(m_layout, row, 1);
    }
    ~Row() { m_layout->addStretch(1); }
    void add(QLabel* picture, const QString& words)
    {
        m_layout->addWidget(picture);
        m_layout->addWidget(new QLabel(words));
        m_layout->addSpacing(10);
    }

private:
    QHBoxLayout* m_layout;
};

} // namespace

TimelineLegend::TimelineLegend(QWidget* parent) : QWidget(parent)
{
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(6, 4, 6, 4);
    grid->setVerticalSpacing(2);
    {
        Row row(grid, 0, tr("Connection"));
        for (int s = int(ConnectionState::Accepted); s <= int(ConnectionState::KeepAlive); ++s)
            row.add(swatch(palette::colorFor(ConnectionState(s))), palette::nameOf(ConnectionState(s)));
        row.add(swatch(palette::colorFor(ConnectionState::FetchingFile, kSpanCacheHit)), tr("file cache hit"));
        row.add(swatch(palette::colorFor(ConnectionState::WritingHeaders, kSpanRejected), true), tr("rejected"));
        row.add(swatch(palette::diskColor(false)), tr("disk read (thin bar)"));
        row.add(swatch(palette::diskColor(true)), tr("disk error"));
    }
    {
        Row row(grid, 1, tr("Engine loop"));
        for (const LoopPhase phase : {LoopPhase::Blocked, LoopPhase::Dispatching, LoopPhase::Stopped})
            row.add(swatch(palette::colorFor(phase)), palette::nameOf(phase));
    }
    {
        Row row(grid, 2, tr("GUI loop"));
        for (int k = int(GuiSpanKind::Event); k <= int(GuiSpanKind::Export); ++k)
            row.add(swatch(palette::colorFor(GuiSpanKind(k))), palette::nameOf(GuiSpanKind(k)));
    }
    {
        Row row(grid, 3, tr("Markers"));
        for (const EventKind kind : {EventKind::TimedOut, EventKind::RequestRejected, EventKind::RecordsDropped,
                                     EventKind::AcceptPaused, EventKind::ServerStarted, EventKind::ServerStopped,
                                     EventKind::LoadPhase, EventKind::LoopPaused, EventKind::LoopStepped})
            row.add(glyph(kind), palette::markerName(kind));
    }
    grid->setColumnStretch(1, 1);
}

} // namespace loopscope
