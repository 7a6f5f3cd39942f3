#include "server/file_cache.h"

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
    if (nowNs - it->file->loadedNs > m_validNs) {
        erase(it); // stale: the next read goes to disk and brings a fresh copy
        return nullptr;
    }
    m_lru.splice(m_lru.begin(), m_lru, it);
    return it->file;
}

void FileCache::insert(std::string_view path, std::shared_ptr<const CachedFile> file)
{
    if (!file || file->content.size() > kMaxFileBytes || file->content.size() > m_maxBytes)
        return;
    if (const auto found = m_index.find(path); found != m_index.end())
        erase(found->second);
    while (m_bytes + file->content.size() > m_maxBytes && !m_lru.empty())
        erase(std::prev(m_lru.end()));
    m_bytes += file->content.size();
    m_lru.push_front(Entry{std::string(path), std::move(file)});
    m_index.emplace(m_lru.front().path, m_lru.begin());
}

void FileCache::erase(Lru::iterator it)
{
    m_bytes -= it->file->content.size();
    m_index.erase(it->path);
    m_lru.erase(it);
}

} // namespace loopscope
