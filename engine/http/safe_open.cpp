// openBeneath: see safe_open.h for the contract.
//
// openat2 with RESOLVE_BENEATH lets the kernel do the containment check during path lookup,
// atomically, for every component including symlinks: nothing we could do in user space is as
// strong, so it is the first choice and the fallback only exists for old kernels.
#include "http/safe_open.h"
#include "http/safe_open_fallback.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace loopscope {
namespace {

// Set once the kernel has said it has no openat2, so later calls skip straight to the fallback.
std::atomic<bool> g_openat2Missing{false};

// Copies relPath into a NUL-terminated buffer; "" becomes "." (the root itself).
bool toCString(std::string_view relPath, char (&buffer)[PATH_MAX])
{
    if (relPath.empty())
        relPath = ".";
    if (relPath.size() >= sizeof buffer || relPath.find('\0') != std::string_view::npos)
        return false;
    std::memcpy(buffer, relPath.data(), relPath.size());
    buffer[relPath.size()] = '\0';
    return true;
}

int effectiveFlags(std::string_view relPath, int flags)
{
    flags |= O_CLOEXEC; // never leak a served file into a child process
    if (relPath.empty())
        flags |= O_DIRECTORY;
    return flags;
}

int openWithOpenat2(int rootFd, const char* path, int flags)
{
    open_how how{};
    how.flags = static_cast<unsigned long long>(static_cast<unsigned>(flags));
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // EAGAIN means a concurrent rename raced with a ".." lookup; the kernel asks us to retry.
    for (int attempt = 0; attempt < 8; ++attempt) {
        const long fd = syscall(SYS_openat2, rootFd, path, &how, sizeof how);
        if (fd >= 0)
            return int(fd);
        if (errno != EAGAIN)
            break;
    }
    return -errno;
}

// The real path of an open fd, via /proc/self/fd. Returns its length, or -errno.
long realPathOf(int fd, char (&buffer)[PATH_MAX])
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t length = ::readlink(link, buffer, sizeof buffer - 1);
    if (length < 0)
        return -errno;
    if (std::size_t(length) >= sizeof buffer - 1)
        return -ENAMETOOLONG;
    buffer[length] = '\0';
    return long(length);
}

bool hasDotDotSegment(std::string_view path)
{
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        if (path.substr(start, end - start) == "..")
            return true;
        start = end + 1;
    }
    return false;
}

bool isBeneath(std::string_view file, std::string_view root)
{
    if (file.substr(0, root.size()) != root)
        return false;
    if (file.size() == root.size() || root == "/")
        return true;
    return file[root.size()] == '/';
}

} // namespace

namespace detail {

int openBeneathByRealPath(int rootFd, std::string_view relPath, int flags)
{
    if (!relPath.empty() && relPath.front() == '/')
        return -EXDEV;
    if (hasDotDotSegment(relPath))
        return -EXDEV;
    char path[PATH_MAX];
    if (!toCString(relPath, path))
        return -ENAMETOOLONG;
    const int fd = ::openat(rootFd, path, effectiveFlags(relPath, flags));
    if (fd < 0)
        return -errno;
    char rootPath[PATH_MAX];
    char filePath[PATH_MAX];
    const long rootLength = realPathOf(rootFd, rootPath);
    const long fileLength = rootLength < 0 ? rootLength : realPathOf(fd, filePath);
    int result = fd;
    if (rootLength < 0 || fileLength < 0)
        result = int(rootLength < 0 ? rootLength : fileLength);
    else if (!isBeneath({filePath, std::size_t(fileLength)}, {rootPath, std::size_t(rootLength)}))
        result = -EXDEV;
    if (result < 0)
        ::close(fd);
    return result;
}

} // namespace detail

int openBeneath(int rootFd, std::string_view relPath, int flags)
{
    if (!g_openat2Missing.load(std::memory_order_relaxed)) {
        char path[PATH_MAX];
        if (!toCString(relPath, path))
            return -ENAMETOOLONG;
        const int result = openWithOpenat2(rootFd, path, effectiveFlags(relPath, flags));
        if (result != -ENOSYS && result != -EPERM)
            return result;
        // EPERM: some seccomp profiles refuse unknown syscalls with it; the fallback will give
        // the real answer (open itself reports permission problems as EACCES).
        if (result == -ENOSYS)
            g_openat2Missing.store(true, std::memory_order_relaxed);
    }
    return detail::openBeneathByRealPath(rootFd, relPath, flags);
}

} // namespace loopscope
