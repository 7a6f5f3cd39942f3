// TimerList: deadlines that all have the same duration, kept in arming order, so the earliest is
// always at the front and arming, disarming and expiring are O(1) (h2o and libuv keep such
// lists for their per-connection timeouts). A connection embeds one TimerNode and is on at most
// one list at a time.
#pragma once

#include <cstdint>

namespace loopscope {

struct TimerNode {
    TimerNode* prev = nullptr;
    TimerNode* next = nullptr;
    std::int64_t deadlineNs = 0;
    struct TimerList* list = nullptr;
};

struct TimerList {
    std::int64_t durationNs = 0;
    TimerNode* head = nullptr;
    TimerNode* tail = nullptr;

    void arm(TimerNode& node, std::int64_t nowNs)
    {
        disarm(node);
        node.deadlineNs = nowNs + durationNs;
        node.list = this;
        node.prev = tail;
        node.next = nullptr;
        if (tail)
            tail->next = &node;
        else
            head = &node;
        tail = &node;
    }

    static void disarm(TimerNode& node)
    {
        TimerList* list = node.list;
        if (!list)
            return;
        (node.prev ? node.prev->next : list->head) = node.next;
        (node.next ? node.next->prev : list->tail) = node.prev;
        node.prev = node.next = nullptr;
        node.list = nullptr;
    }

    // Moves every deadline `ns` later (the loop was paused: its time did not run). The order,
    // and so the O(1) front, stays as it was.
    void postpone(std::int64_t ns)
    {
        for (TimerNode* node = head; node; node = node->next)
            node->deadlineNs += ns;
    }

    // The earliest node whose deadline has passed, or nullptr.
    TimerNode* expired(std::int64_t nowNs) const
    {
        return head && head->deadlineNs <= nowNs ? head : nullptr;
    }
};

} // namespace loopscope
