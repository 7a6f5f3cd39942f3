// TextBuffer: a growable byte buffer made for many small appends.
//
// Contract: appends never fail (the buffer grows geometrically) and keep earlier bytes; view()
// shows everything appended since the last clear(); clear() keeps the capacity, so a writer that
// is drained regularly stops allocating. Appends are inline and copy with memcpy, so formatting an
// event of a dozen pieces costs a dozen bounds checks, not a dozen std::string reallocation paths.
// It offers the subset of std::string's interface the trace text helpers use (append, push_back,
// operator+=), so they work on either.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace loopscope {

class TextBuffer {
public:
    TextBuffer() { grow(kInitialCapacity); }
    TextBuffer(TextBuffer&&) noexcept = default;
    TextBuffer& operator=(TextBuffer&&) noexcept = default;
    TextBuffer(const TextBuffer&) = delete;
    TextBuffer& operator=(const TextBuffer&) = delete;

    void append(const char* data, std::size_t size)
    {
        if (size == 0) // memcpy from a null pointer is undefined even for zero bytes
            return;
        if (size > std::size_t(m_capEnd - m_end))
            grow(size);
        std::memcpy(m_end, data, size);
        m_end += size;
    }
    void append(std::string_view text) { append(text.data(), text.size()); }
    void push_back(char c)
    {
        if (m_end == m_capEnd)
            grow(1);
        *m_end++ = c;
    }
    TextBuffer& operator+=(std::string_view text)
    {
        append(text);
        return *this;
    }
    TextBuffer& operator+=(char c)
    {
        push_back(c);
        return *this;
    }

    // Direct writing: room(n) returns a pointer with at least n writable bytes; commit(end)
    // makes the bytes up to `end` part of the text.
    char* room(std::size_t n)
    {
        if (n > std::size_t(m_capEnd - m_end))
            grow(n);
        return m_end;
    }
    void commit(char* end) { m_end = end; }

    std::string_view view() const { return {m_data.get(), size()}; }
    std::size_t size() const { return std::size_t(m_end - m_data.get()); }
    bool empty() const { return m_end == m_data.get(); }
    void clear() { m_end = m_data.get(); }

private:
    static constexpr std::size_t kInitialCapacity = 256;

    void grow(std::size_t needed);

    std::unique_ptr<char[]> m_data;
    char* m_end = nullptr;
    char* m_capEnd = nullptr;
};

} // namespace loopscope
