#include "trace/text_buffer.h"

#include <algorithm>

namespace loopscope {

void TextBuffer::grow(std::size_t needed)
{
    const std::size_t used = size();
    const std::size_t capacity = std::size_t(m_capEnd - m_data.get());
    const std::size_t newCapacity = std::max(used + needed, capacity * 2);
    std::unique_ptr<char[]> data(new char[newCapacity]);
    if (used)
        std::memcpy(data.get(), m_data.get(), used);
    m_data = std::move(data);
    m_end = m_data.get() + used;
    m_capEnd = m_data.get() + newCapacity;
}

} // namespace loopscope
