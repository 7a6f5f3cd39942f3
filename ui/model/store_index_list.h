// StoreIndexList: a sorted list of TraceStore indices in 4 bytes each.
//
// Contract: every index held lies in [base, base + 2^32), where `base` is a value the owner keeps
// (the oldest store index it covers) and passes by reference at construction; the list stores
// indices modulo 2^32 and rebuilds them against the current base. The store holds at most a few
// million records, so the window is never near 2^32 wide. Appended indices must not decrease.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace loopscope {

class StoreIndexList {
public:
    explicit StoreIndexList(const std::uint64_t& base) : m_base(base) {}

    std::size_t size() const { return m_low.size(); }
    bool empty() const { return m_low.empty(); }
    std::uint64_t operator[](std::size_t i) const { return m_base + std::uint32_t(m_low[i] - std::uint32_t(m_base)); }
    std::uint64_t front() const { return (*this)[0]; }

    void push_back(std::uint64_t index) { m_low.push_back(std::uint32_t(index)); }
    void append(const std::vector<std::uint64_t>& indices)
    {
        for (const std::uint64_t i : indices)
            push_back(i);
    }
    void pop_front() { m_low.pop_front(); }
    void clear() { m_low.clear(); }

    // Position of the first index >= value.
    std::size_t lowerBound(std::uint64_t value) const
    {
        std::size_t lo = 0, hi = size();
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if ((*this)[mid] < value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
    bool contains(std::uint64_t value) const
    {
        const std::size_t at = lowerBound(value);
        return at < size() && (*this)[at] == value;
    }

private:
    const std::uint64_t& m_base;
    std::deque<std::uint32_t> m_low;
};

} // namespace loopscope
