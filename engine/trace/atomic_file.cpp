#include "trace/atomic_file.h"

#include "trace/trace_text.h"

#include <zlib.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

namespace loopscope {

namespace {

// Fast compression: traces are very repetitive, so level 1 already shrinks them ~10x, and it is
// several times faster than the default level (exports of millions of records stay quick).
constexpr int kGzipLevel = 1;
constexpr int kGzipWindowBits = 15 + 16; // +16: gzip header and trailer instead of zlib's
constexpr std::size_t kDeflateBufferBytes = std::size_t(256) * 1024;

std::string folderOf(const std::string& path)
{
    const auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string sentence(const std::string& destination, const std::string& cause, const char* advice)
{
    return "Cannot write trace to " + destination + ": " + cause + "; " + advice + ".";
}

// Checks what can be checked before creating anything, for messages better than mkstemp's errno.
bool checkDestination(const std::string& destination, std::string& error)
{
    if (destination.empty()) {
        error = "Cannot write a trace without a file name; choose a file name.";
        return false;
    }
    struct stat st;
    if (destination.back() == '/' || (::stat(destination.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
        error = sentence(destination, "it is a folder", "choose a file name");
        return false;
    }
    const std::string folder = folderOf(destination);
    if (::stat(folder.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            error = sentence(destination, "the folder " + folder + " does not exist",
                             "create it or choose another folder");
            return false;
        }
        error = AtomicFile::describeError(destination, errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        error = sentence(destination, folder + " is not a folder", "choose another folder");
        return false;
    }
    return true;
}

// New files get the destination's current permissions, or rw-r--r-- (mkstemp's 0600 would make
// a shared trace unreadable to others).
mode_t modeFor(const std::string& destination)
{
    struct stat st;
    if (::stat(destination.c_str(), &st) == 0)
        return st.st_mode & 07777;
    return 0644;
}

void syncFolder(const std::string& folder)
{
    // Makes the rename itself durable. Failure here cannot be acted on; the file is in place.
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

struct AtomicFile::Deflater {
    z_stream stream{};
    bool initialized = false;
    std::unique_ptr<unsigned char[]> buffer{new unsigned char[kDeflateBufferBytes]};

    ~Deflater()
    {
        if (initialized)
            deflateEnd(&stream);
    }
};

AtomicFile::AtomicFile() = default;

AtomicFile::~AtomicFile()
{
    abort();
}

std::string AtomicFile::describeError(const std::string& destination, int err)
{
    const char* advice = "choose another folder";
    switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        advice = "free some space or choose another folder";
        break;
    case EACCES:
    case EPERM:
    case EROFS:
        advice = "choose a folder you can write to";
        break;
    default:
        break;
    }
    return sentence(destination, trace_text::errnoText(err), advice);
}

bool AtomicFile::open(const std::string& destination, Compression compression, std::string& error)
{
    abort();
    if (!checkDestination(destination, error))
        return false;
    const auto slash = destination.rfind('/');
    const std::string base = slash == std::string::npos ? destination : destination.substr(slash + 1);
    std::string pattern = folderOf(destination) + "/." + base + ".tmp-XXXXXX";
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        // The folder exists (checked above), so ENOENT means it refuses new files (/proc, /sys).
        error = errno == ENOENT
            ? sentence(destination, "the folder " + folderOf(destination) + " does not accept new files",
                       "choose another folder")
            : describeError(destination, errno);
        return false;
    }
    ::fchmod(fd, modeFor(destination));
    m_fd = fd;
    m_tempPath = pattern;
    m_destination = destination;
    m_errno = 0;
    m_bytesOnDisk = 0;
    if (compression == Compression::Gzip) {
        m_deflater = std::make_unique<Deflater>();
        if (deflateInit2(&m_deflater->stream, kGzipLevel, Z_DEFLATED, kGzipWindowBits, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            m_deflater.reset();
            closeAndUnlink();
            error = describeError(destination, ENOMEM);
            return false;
        }
        m_deflater->initialized = true;
    }
    return true;
}

bool AtomicFile::fail(int err)
{
    if (m_errno == 0)
        m_errno = err ? err : EIO;
    return false;
}

bool AtomicFile::writeToDisk(const char* data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(m_fd, data, std::min<std::size_t>(size, SSIZE_MAX));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(errno);
        }
        if (n == 0)
            return fail(EIO);
        data += n;
        size -= std::size_t(n);
        m_bytesOnDisk += std::uint64_t(n);
    }
    return true;
}

bool AtomicFile::deflateAndWrite(std::string_view bytes, bool finish)
{
    z_stream& zs = m_deflater->stream;
    do {
        // avail_in is 32-bit: feed very large writes in slices.
        const std::size_t slice = std::min<std::size_t>(bytes.size(), 1u << 30);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
        zs.avail_in = static_cast<uInt>(slice);
        const bool last = finish && slice == bytes.size();
        int ret;
        do {
            zs.next_out = m_deflater->buffer.get();
            zs.avail_out = static_cast<uInt>(kDeflateBufferBytes);
            ret = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
            if (ret == Z_STREAM_ERROR)
                return fail(EIO);
            const std::size_t produced = kDeflateBufferBytes - zs.avail_out;
            if (!writeToDisk(reinterpret_cast<const char*>(m_deflater->buffer.get()), produced))
                return false;
        } while (zs.avail_out == 0 || (last && ret != Z_STREAM_END));
        bytes.remove_prefix(slice);
    } while (!bytes.empty());
    return true;
}

bool AtomicFile::write(std::string_view bytes)
{
    if (m_fd < 0)
        return fail(EBADF);
    if (m_errno != 0)
        return false;
    if (bytes.empty())
        return true;
    return m_deflater ? deflateAndWrite(bytes, false) : writeToDisk(bytes.data(), bytes.size());
}

bool AtomicFile::syncAndRename()
{
    if (::fsync(m_fd) != 0)
        return fail(errno);
    // close() can report a deferred write error (NFS, some FUSE file systems).
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0 && errno != EINTR)
        return fail(errno);
    if (::rename(m_tempPath.c_str(), m_destination.c_str()) != 0)
        return fail(errno);
    syncFolder(folderOf(m_destination));
    return true;
}

bool AtomicFile::commit(std::string& error)
{
    if (m_fd < 0 && m_tempPath.empty()) {
        error = "Cannot write trace to " + (m_destination.empty() ? std::string("a file") : m_destination)
                + ": it is not open; export again.";
        return false;
    }
    if (m_deflater && m_errno == 0)
        deflateAndWrite({}, true);
    if (m_errno == 0)
        syncAndRename();
    if (m_errno != 0) {
        error = describeError(m_destination, m_errno);
        closeAndUnlink();
        return false;
    }
    m_deflater.reset();
    m_tempPath.clear();
    return true;
}

void AtomicFile::closeAndUnlink()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_tempPath.empty()) {
        ::unlink(m_tempPath.c_str());
        m_tempPath.clear();
    }
    m_deflater.reset();
}

void AtomicFile::abort()
{
    closeAndUnlink();
}

} // namespace loopscope
