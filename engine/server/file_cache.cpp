#include "server/file_cache.h"

#include <algorithm>
#include <cstdint>

namespace loopscope {

FileCache::FileCache(std::size_t maxBytes, std::int64_t validNs)
    : m_maxBytes(maxBytes)
    , m_validNs(validNs)
{
}

std::shared_ptr<const CachedFile> FileCache::find(std::string_view path, std::int64_t nowNs)
{
    const auto found = m_index.find(path);
    if (found == m_index.end())
        return nullptr;
    const Lru::iterator it = found->second;
    if (nowNs > staleAfterNs(*it->file)) {
        erase(it); // stale: the next read goes to disk and brings a fresh copy
        return nullptr;
    }
    m_lru.splice(m_lru.begin(), m_lru, it);
    return it->file;
}

std::int64_t FileCache::insert(std::string_view path, std::shared_ptr<const CachedFile> file)
{
    // An entry is either the bytes of a small file or the descriptor of a bigger one.
    const bool inMemory = file && !file->file.valid() && file->content.size() == file->size
                          && keepsInMemory(file->size) && file->size <= m_maxBytes;
    const bool openFile = file && file->file.valid() && file->content.empty()
                          && !keepsInMemory(file->size);
    if (!inMemory && !openFile)
        return INT64_MAX;
    const std::int64_t dropAt = dropAtNs(*file);
    if (const auto found = m_index.find(path); found != m_index.end())
        erase(found->second);
    m_bytes += file->content.size();
    m_openFiles += file->file.valid() ? 1 : 0;
    m_lru.push_front(Entry{std::string(path), std::move(file)});
    m_index.emplace(m_lru.front().path, m_lru.begin());
    while (full())
        erase(std::prev(m_lru.end()));
    return dropAt;
}

std::int64_t FileCache::dropStale(std::int64_t nowNs)
{
    std::int64_t next = INT64_MAX;
    for (auto it = m_lru.begin(); it != m_lru.end();) {
        const std::int64_t staleAfter = staleAfterNs(*it->file);
        if (nowNs > staleAfter) {
            erase(it++);
            continue;
        }
        next = std::min(next, dropAtNs(*it->file));
        ++it;
    }
    return next;
}

void FileCache::erase(Lru::iterator it)
{
    m_bytes -= it->file->content.size();
    m_openFiles -= it->file->file.valid() ? 1 : 0;
    m_index.erase(it->path);
    m_lru.erase(it);
}

} // namespace loopscope
