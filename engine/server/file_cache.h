// FileCache: the open-file cache of the event loop (as nginx's open_file_cache and h2o's file
// cache): files recently opened by a disk worker are kept for a short validity period, so a hot
// file is served without a round trip to the disk pool. A small file is kept in memory (copying
// a few KiB into the socket costs less than a second syscall); a bigger one is kept as an open
// descriptor and sent with sendfile(2) from the kernel's page cache, which saves copying every
// byte through user space (profiled: that copy was 39% of the server's CPU at 256 KiB).
//
// Contract: used by the loop thread only. Entries come only from disk workers' results (so only
// files that passed the root confinement checks), are valid for `validNs` after they were read;
// the bytes kept in memory stay under `maxBytes` and the descriptors kept open under
// kMaxOpenFiles (least recently used entries go first). A served entry is shared (shared_ptr) so
// eviction never frees bytes, or closes a descriptor, that a response is still sending.
// The timeline tells hits from reads: a hit is recorded as FileCacheHit, a read as
// DiskReadStarted/DiskReadDone.
#pragma once

#include "server/file_descriptor.h"

#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loopscope {

struct CachedFile {
    std::string content;     // the whole file, when it is kept in memory
    FileDescriptor file;     // or an open descriptor of it, for a file sent with sendfile
    std::uint64_t size = 0;  // the file's size either way
    std::string contentType;
    std::time_t lastModified = 0;
    std::int64_t loadedNs = 0;
};

class FileCache {
public:
    // Files up to this size are kept in memory; bigger ones as an open descriptor.
    static constexpr std::size_t kInMemoryMaxBytes = 16 * 1024;
    static constexpr std::size_t kMaxOpenFiles = 256;
    // Whether a file of `size` bytes is kept as bytes (else as an open descriptor): the disk
    // workers and the loop decide by it which descriptors to keep.
    static constexpr bool keepsInMemory(std::uint64_t size) { return size <= kInMemoryMaxBytes; }

    FileCache(std::size_t maxBytes, std::int64_t validNs);

    // The entry for `path` if it is still valid at nowNs (a stale one is dropped).
    std::shared_ptr<const CachedFile> find(std::string_view path, std::int64_t nowNs);
    // Returns when the entry goes stale, for the caller's dropStale wake-up (INT64_MAX when the
    // entry was refused).
    std::int64_t insert(std::string_view path, std::shared_ptr<const CachedFile> file);
    // Drops every entry no longer valid at nowNs, so a file nobody asks for again does not keep
    // its descriptor (or bytes) until evicted; returns when the next entry goes stale (INT64_MAX
    // for none). The loop calls it when that time comes.
    std::int64_t dropStale(std::int64_t nowNs);

    std::size_t bytes() const { return m_bytes; }
    std::size_t entries() const { return m_index.size(); }
    std::size_t openFiles() const { return m_openFiles; }

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
    std::int64_t staleAfterNs(const CachedFile& file) const { return file.loadedNs + m_validNs; }
    // The first time dropStale drops it (an entry is still valid at staleAfterNs itself).
    std::int64_t dropAtNs(const CachedFile& file) const { return staleAfterNs(file) + 1; }
    bool full() const { return m_bytes > m_maxBytes || m_openFiles > kMaxOpenFiles; }

    std::size_t m_maxBytes;
    std::int64_t m_validNs;
    std::size_t m_bytes = 0;
    std::size_t m_openFiles = 0;
    Lru m_lru;
    std::unordered_map<std::string, Lru::iterator, Hash, std::equal_to<>> m_index;
};

} // namespace loopscope
