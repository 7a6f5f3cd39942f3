// TimelineLegend: explains the timeline's colours and glyphs (connection states and their
// flags, disk reads, the engine loop's phases, the GUI loop's work kinds, markers). It draws
// from palette.h and marker_glyph.h, so it cannot disagree with the timeline.
#pragma once

#include <QWidget>

namespace loopscope {

class TimelineLegend : public QWidget {
    Q_OBJECT
public:
    explicit TimelineLegend(QWidget* parent = nullptr);
};

} // namespace loopscope
