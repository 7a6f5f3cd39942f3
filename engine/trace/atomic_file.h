// AtomicFile: writes a file so that readers see either the old content or the complete new one.
//
// Contract: open() creates a temporary file (mkstemp) in the destination's own folder, so the
// final rename never crosses file systems. write() appends bytes, optionally through a streaming
// gzip (zlib deflate) compressor. commit() finishes the compressed stream, fsyncs, and renames the
// temporary file over the destination. The first failing step is remembered: later writes do
// nothing, and commit() then returns false with one sentence naming the file, the cause and what
// to do. On failure, abort(), or destruction without commit(), the temporary file is removed and
// an earlier file at the destination is left untouched. Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace loopscope {

class AtomicFile {
public:
    enum class Compression { None, Gzip };

    AtomicFile();
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Returns false and sets `error` (one sentence) if the destination's folder cannot hold a new
    // file: it does not exist, is not a folder, is not writable, or the destination is a folder.
    bool open(const std::string& destination, Compression compression, std::string& error);

    // Appends bytes. Returns false once any step has failed (the failure is reported by commit()).
    bool write(std::string_view bytes);
    bool failed() const { return m_errno != 0; }

    // Completes the file and renames it into place. Returns false and sets `error` on failure;
    // the destination is then untouched and the temporary file removed.
    bool commit(std::string& error);
    // Drops the temporary file; the destination is untouched.
    void abort();

    bool isOpen() const { return m_fd >= 0; }
    const std::string& destination() const { return m_destination; }
    const std::string& temporaryPath() const { return m_tempPath; }
    // Bytes written to disk so far (compressed bytes for gzip).
    std::uint64_t bytesOnDisk() const { return m_bytesOnDisk; }

    // The one-sentence message used for a failed step, exposed so callers and tests word things
    // the same way: "Cannot write trace to <path>: <cause>; <advice>."
    static std::string describeError(const std::string& destination, int err);

private:
    struct Deflater;

    bool writeToDisk(const char* data, std::size_t size);
    bool deflateAndWrite(std::string_view bytes, bool finish);
    bool fail(int err);
    bool syncAndRename();
    void closeAndUnlink();

    std::string m_destination;
    std::string m_tempPath;
    int m_fd = -1;
    int m_errno = 0;
    std::uint64_t m_bytesOnDisk = 0;
    std::unique_ptr<Deflater> m_deflater;
};

} // namespace loopscope
