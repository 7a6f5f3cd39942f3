// FileCache: the open-file cache of the event loop (as nginx's open_file_cache and h2o's file
// cache): small files recently read by a disk worker are kept in memory for a short validity
// period, so a hot file is served without a round trip to the disk pool.
//
// Contract: used by the loop thread only. Entries come only from disk workers' results (so only
// files that passed the root confinement checks), are valid for `validNs` after they were read,
// and the total size stays under `maxBytes` (least recently used entries go first). A served
// entry is shared (shared_ptr) so eviction never frees bytes a response is still sending.
// The timeline tells hits from reads: a hit is recorded as FileCacheHit, a read as
// DiskReadStarted/DiskReadDone.
#pragma once

#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loopscope {

struct CachedFile {
    std::string content;     // the whole file
    std::string contentType;
    std::time_t lastModified = 0;
    std::int64_t loadedNs = 0;
};

class FileCache {
public:
    static constexpr std::size_t kMaxFileBytes = 256 * 1024;

    FileCache(std::size_t maxBytes, std::int64_t validNs);

    // The entry for `path` if it is still valid at nowNs (a stale one is dropped).
    std::shared_ptr<const CachedFile> find(std::string_view path, std::int64_t nowNs);
    void insert(std::string_view path, std::shared_ptr<const CachedFile> file);

    std::size_t bytes() const { return m_bytes; }
    std::size_t entries() const { return m_index.size(); }

private:
    struct Entry {
        std::string path;
        std::shared_ptr<const CachedFile> file;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Lru = std::list<Entry>; // most recently used first

    void erase(Lru::iterator it);

    std::size_t m_maxBytes;
    std::int64_t m_validNs;
    std::size_t m_bytes = 0;
    Lru m_lru;
    std::unordered_map<std::string, Lru::iterator, Hash, std::equal_to<>> m_index;
};

} // namespace loopscope
