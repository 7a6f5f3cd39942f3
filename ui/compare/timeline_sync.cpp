#include "compare/timeline_sync.h"

#include "model/trace_store.h"
#include "timeline/timeline_view.h"

namespace loopscope {

TimelineSync::TimelineSync(TimelineView& first, const TraceStore& firstStore, TimelineView& second,
                           const TraceStore& secondStore, QObject* parent)
    : QObject(parent)
{
    TimelineView* a = &first;
    TimelineView* b = &second;
    const TraceStore* aStore = &firstStore;
    const TraceStore* bStore = &secondStore;
    // Each connection lives only as long as both views: a lambda's context is the view it moves.
    connect(a, &TimelineView::visibleRangeChanged, b, [=, this] { follow(*a, *aStore, *b, *bStore); });
    connect(b, &TimelineView::visibleRangeChanged, a, [=, this] { follow(*b, *bStore, *a, *aStore); });
    connect(a, &TimelineView::followLiveChanged, b, [=, this](bool on) { followLive(*b, on); });
    connect(b, &TimelineView::followLiveChanged, a, [=, this](bool on) { followLive(*a, on); });
}

void TimelineSync::follow(TimelineView& from, const TraceStore& fromStore, TimelineView& to, const TraceStore& toStore)
{
    if (m_applying)
        return;
    m_applying = true;
    const TimeScale& scale = from.scale();
    // Relative to each run's start; with an origin missing, keep the other view's position.
    const bool bothStarted = fromStore.originNs() != 0 && toStore.originNs() != 0;
    const std::int64_t start = bothStarted ? scale.startNs - fromStore.originNs() + toStore.originNs()
                                           : to.scale().startNs;
    to.setFollowLive(from.followLive());
    to.setView(start, scale.nsPerPixel);
    m_applying = false;
}

void TimelineSync::followLive(TimelineView& to, bool on)
{
    if (m_applying)
        return;
    m_applying = true;
    to.setFollowLive(on);
    m_applying = false;
}

} // namespace loopscope
