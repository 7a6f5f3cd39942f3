// TimelineSync: keeps two timelines of two different recordings in step, each measured from its
// own run's start (its store's origin), so "2 s into the run" sits at the same x on both.
//
// Contract: GUI thread only; the views and stores must outlive the sync. Zooming or panning
// either view (visibleRangeChanged) gives the other the same zoom and the same range relative to
// its own origin; pausing or resuming follow-live on either does the same to the other, so while
// both follow they show the same last seconds of their runs. A recording with no records yet has
// no origin: then only the zoom is shared.
#pragma once

#include <QObject>

#include <cstdint>

namespace loopscope {

class TimelineView;
class TraceStore;

class TimelineSync : public QObject {
    Q_OBJECT
public:
    TimelineSync(TimelineView& first, const TraceStore& firstStore, TimelineView& second,
                 const TraceStore& secondStore, QObject* parent = nullptr);

private:
    void follow(TimelineView& from, const TraceStore& fromStore, TimelineView& to, const TraceStore& toStore);
    void followLive(TimelineView& to, bool on);

    bool m_applying = false; // a change this sync makes is not echoed back
};

} // namespace loopscope
