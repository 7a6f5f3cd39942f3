#include "server/disk_pool.h"

#include "core/clock.h"
#include "http/safe_open.h"
#include "server/file_cache.h"
#include "server/response_plan.h"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace loopscope {

DiskPool::~DiskPool()
{
    stop();
}

int DiskPool::start(unsigned workers, int rootFd)
{
    m_rootFd = rootFd;
    m_stopping = false;
    m_eventFd.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!m_eventFd.valid())
        return -errno;
    if (workers == 0)
        workers = 1;
    for (unsigned i = 0; i < workers; ++i)
        m_workers.emplace_back(&DiskPool::workerMain, this, std::uint8_t(i + 1));
    return 0;
}

void DiskPool::stop()
{
    {
        std::lock_guard lock(m_queueMutex);
        m_stopping = true;
    }
    m_queueReady.notify_all();
    for (auto& worker : m_workers)
        worker.join();
    m_workers.clear();
    // Queued jobs that never ran, and finished ones nobody collected, close their files here.
    m_queue.clear();
    m_done.clear();
    m_eventFd.reset();
}

void DiskPool::submit(std::unique_ptr<DiskJob> job)
{
    {
        std::lock_guard lock(m_queueMutex);
        m_queue.push_back(std::move(job));
    }
    m_queueReady.notify_one();
}

void DiskPool::takeCompleted(std::vector<std::unique_ptr<DiskJob>>& out)
{
    std::uint64_t count;
    (void)!::read(m_eventFd.get(), &count, sizeof count);
    std::lock_guard lock(m_doneMutex);
    for (auto& job : m_done)
        out.push_back(std::move(job));
    m_done.clear();
}

void DiskPool::workerMain(std::uint8_t index)
{
    for (;;) {
        std::unique_ptr<DiskJob> job;
        {
            std::unique_lock lock(m_queueMutex);
            m_queueReady.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_stopping)
                return;
            job = std::move(m_queue.front());
            m_queue.pop_front();
        }
        job->worker = index;
        job->startNs = monotonicNs();
        run(*job);
        job->endNs = monotonicNs();
        complete(std::move(job));
    }
}

void DiskPool::complete(std::unique_ptr<DiskJob> job)
{
    bool wasEmpty;
    {
        std::lock_guard lock(m_doneMutex);
        wasEmpty = m_done.empty();
        m_done.push_back(std::move(job));
    }
    // One wake-up per batch: the loop takes every finished job when it reads the eventfd.
    if (wasEmpty) {
        const std::uint64_t one = 1;
        (void)!::write(m_eventFd.get(), &one, sizeof one);
    }
}

namespace {

// Reads exactly `length` bytes at `offset` unless the file ends first; returns bytes or -errno.
long long readFully(int fd, char* out, std::size_t length, std::uint64_t offset)
{
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n = ::pread(fd, out + done, length - done, off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += std::size_t(n);
    }
    return (long long)done;
}

void ensureBuffer(DiskJob& job, std::size_t bytes)
{
    if (job.bufferCapacity < bytes) {
        job.buffer = std::make_unique_for_overwrite<char[]>(bytes);
        job.bufferCapacity = bytes;
    }
}

// Reads job.length bytes at job.offset into the job's buffer; a short read is an error because
// the response already promised (or is about to promise) that many bytes.
void readChunk(DiskJob& job)
{
    ensureBuffer(job, job.length);
    const long long n = readFully(job.file.get(), job.buffer.get(), job.length, job.offset);
    if (n < 0) {
        job.error = int(-n);
        return;
    }
    job.bytesRead = std::size_t(n);
    if (job.bytesRead < job.length)
        job.error = EIO; // the file shrank while being served
}

std::string_view relativePath(std::string_view path)
{
    while (!path.empty() && path.front() == '/')
        path.remove_prefix(1);
    return path;
}

// Opens the file a request names; directories resolve to their index.html. On failure sets the
// error status in the plan and returns an invalid descriptor. O_NONBLOCK: opening a FIFO inside
// the root must not hang a worker (it is then refused as not a regular file).
FileDescriptor openRequested(int rootFd, DiskJob& job, struct stat& st, std::string& servedPath)
{
    servedPath = job.path;
    FileDescriptor fd(openBeneath(rootFd, relativePath(servedPath), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        job.error = fd.valid() ? errno : -fd.get();
        planErrorResponse(statusForOpenError(job.error), job.plan);
        return {};
    }
    if (S_ISDIR(st.st_mode)) {
        if (servedPath.empty() || servedPath.back() != '/') {
            planErrorResponse(301, job.plan);
            job.plan.location = servedPath + "/";
            return {};
        }
        servedPath += "index.html";
        fd.reset(openBeneath(rootFd, relativePath(servedPath), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
        if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
            job.error = fd.valid() ? errno : -fd.get();
            // A directory without an index is forbidden (there is no directory listing).
            planErrorResponse(job.error == ENOENT ? 403 : statusForOpenError(job.error), job.plan);
            return {};
        }
    }
    if (!S_ISREG(st.st_mode)) {
        planErrorResponse(403, job.plan);
        return {};
    }
    return fd;
}

} // namespace

void DiskPool::run(DiskJob& job)
{
    runDiskJob(m_rootFd, job);
}

void runDiskJob(int rootFd, DiskJob& job)
{
    if (job.type == DiskJob::Type::ReadChunk) {
        readChunk(job);
        return;
    }
    struct stat st{};
    std::string servedPath;
    FileDescriptor fd = openRequested(rootFd, job, st, servedPath);
    if (!fd.valid())
        return;
    planFileResponse(job.method, servedPath, job.range, job.ifModifiedSince, st, job.plan);
    if (job.plan.bodyLength == 0)
        return;
    job.file = std::move(fd);
    job.offset = job.plan.bodyOffset;
    job.length = std::size_t(std::min<std::uint64_t>(job.plan.bodyLength,
        job.plan.bodyLength <= DiskPool::kWholeFileBytes ? DiskPool::kWholeFileBytes : DiskPool::kChunkBytes));
    readChunk(job);
    if (job.error != 0) {
        job.file.reset();
        planErrorResponse(500, job.plan);
        return;
    }
    // A file the event loop would keep as bytes, read whole, is done with its descriptor: close
    // it here, or thousands of responses in flight would each hold one (a burst of cache misses
    // at 10,000 connections ran the server out of descriptors). A bigger one stays with the job:
    // its next chunks are read through it, and the loop may keep it in its open-file cache.
    if (job.plan.bodyLength <= DiskPool::kWholeFileBytes && FileCache::keepsInMemory(job.plan.fileSize))
        job.file.reset();
}

} // namespace loopscope
