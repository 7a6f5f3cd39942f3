// SpanList<T>: the timeline's lanes of spans, a deque with power-of-two chunks.
//
// Why not std::deque: a frame of the timeline indexes millions of spans, and std::deque's block
// holds 512 / sizeof(T) elements, so for the packed 10-, 13- and 24-byte spans every index is a
// division (callgrind: a third of a zoomed-out frame's instructions). Here a chunk holds a
// power of two elements (about 1 KiB), so an index is a shift and a mask.
//
// Contract: push_back and pop_front are amortised O(1); references stay valid until their
// element is popped (chunks never move, only the vector of pointers to them does). Elements
// are only written by push_back.
#pragma once

#include <bit>
#include <cstddef>
#include <memory>
#include <vector>

namespace loopscope {

template <typename T>
class SpanList {
    static constexpr std::size_t kChunkBits = std::bit_width(std::size_t(1024) / sizeof(T)) - 1;
    static constexpr std::size_t kChunk = std::size_t(1) << kChunkBits;
    static constexpr std::size_t kMask = kChunk - 1;

public:
    using value_type = T;

    SpanList() = default;
    SpanList(std::initializer_list<T> items)
    {
        for (const T& item : items)
            push_back(item);
    }
    SpanList(SpanList&&) noexcept = default;
    SpanList& operator=(SpanList&&) noexcept = default;

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    // Items ever pushed (until clear()): pushed() - an earlier pushed() is how many of the
    // newest items came since, however many old ones were popped meanwhile.
    std::uint64_t pushed() const { return m_pushed; }
    const T& operator[](std::size_t i) const
    {
        const std::size_t p = m_head + i;
        return m_chunks[p >> kChunkBits][p & kMask];
    }
    T& operator[](std::size_t i)
    {
        const std::size_t p = m_head + i;
        return m_chunks[p >> kChunkBits][p & kMask];
    }
    const T& front() const { return (*this)[0]; }
    const T& back() const { return (*this)[m_size - 1]; }
    T& back() { return (*this)[m_size - 1]; }

    void push_back(const T& item)
    {
        const std::size_t p = m_head + m_size;
        if ((p >> kChunkBits) == m_chunks.size())
            m_chunks.push_back(m_spare ? std::move(m_spare) : std::make_unique<T[]>(kChunk));
        m_chunks[p >> kChunkBits][p & kMask] = item;
        ++m_size;
        ++m_pushed;
    }
    void pop_front()
    {
        ++m_head;
        --m_size;
        if (m_size == 0) { // keep one chunk for the next push
            m_chunks[0] = std::move(m_chunks.back()); // the newest chunk held the element just popped
            m_chunks.resize(1);
            m_head = 0;
        } else if ((m_head & kMask) == 0) {
            retireFrontChunk();
        }
    }
    void clear()
    {
        m_chunks.clear();
        m_spare.reset();
        m_head = m_size = 0;
        m_pushed = 0;
    }

    class const_iterator {
    public:
        const_iterator(const SpanList* list, std::size_t i) : m_list(list), m_i(i) {}
        const T& operator*() const { return (*m_list)[m_i]; }
        const T* operator->() const { return &(*m_list)[m_i]; }
        const_iterator& operator++()
        {
            ++m_i;
            return *this;
        }
        bool operator==(const const_iterator& other) const { return m_i == other.m_i; }

    private:
        const SpanList* m_list;
        std::size_t m_i;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, m_size}; }

private:
    // The chunk before m_head's is empty now. It becomes the spare for the next push_back, and
    // emptied chunks leave the front of m_chunks only once they are as many as the live ones:
    // erasing one at a time moved the whole vector each time, which made evicting the engine
    // loop's lane (tens of thousands of chunks) the costliest step of a drain at 2 million
    // events/s (bench_gui_firehose, perf: 5.8% of the process).
    void retireFrontChunk()
    {
        const std::size_t dead = m_head >> kChunkBits;
        m_spare = std::move(m_chunks[dead - 1]);
        if (dead < m_chunks.size() - dead)
            return;
        m_chunks.erase(m_chunks.begin(), m_chunks.begin() + std::ptrdiff_t(dead));
        m_head &= kMask;
    }

    std::vector<std::unique_ptr<T[]>> m_chunks; // chunks before m_head's are empty (null)
    std::unique_ptr<T[]> m_spare;               // an emptied chunk, for the next push_back
    std::size_t m_head = 0; // position of element 0, counted from the start of m_chunks.front()
    std::size_t m_size = 0;
    std::uint64_t m_pushed = 0;
};

} // namespace loopscope
