// DiskPool: a few worker threads that do the blocking file work (open, fstat, read) so the loop
// thread never waits for the disk. Completions come back through an eventfd the loop polls, as
// libuv's threadpool does.
//
// Contract: submit() is called by the loop thread only; workers run jobs in FIFO order; each
// finished job is put on a completion list and the eventfd is made readable. The loop calls
// takeCompleted() when the eventfd fires. A job owns whatever it carries (file fd, buffer): if
// the connection it was for is gone when it completes, the loop just destroys the job, which
// closes the fd. stop() lets running jobs finish, drops queued ones (destroying them closes their
// files; no completion is reported, since the loop is stopping too) and joins every worker.
#pragma once

#include "http/request.h"
#include "server/file_descriptor.h"

#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace loopscope {

// What the response to a file request will be, decided by the worker from the request and the
// file's metadata (see planResponse in response_plan.h).
struct ResponsePlan {
    int status = 200;
    std::uint64_t fileSize = 0;
    std::uint64_t bodyOffset = 0;  // first byte of the file to send
    std::uint64_t bodyLength = 0;  // bytes of the file to send (0 for HEAD, 304, errors)
    std::uint64_t contentLength = 0; // the Content-Length header (for HEAD and 304: what a GET would send)
    std::time_t lastModified = 0;
    std::string location;          // for 301
    std::string contentRange;      // for 206 and 416
    std::string contentType;       // empty for error pages (text/html is used)
};

struct DiskJob {
    enum class Type { OpenFile, ReadChunk };
    Type type = Type::OpenFile;

    // Which connection asked (the loop checks both before using the result).
    std::uint32_t connSlot = 0;
    std::uint32_t connId = 0;

    // OpenFile input: the request (path already safe-decoded).
    HttpMethod method = HttpMethod::Get;
    std::string path;
    std::string range;
    std::string ifModifiedSince;
    bool loadsCache = false; // other requests for `path` wait for it (EventLoop::m_loads)

    // ReadChunk input (and OpenFile output for files whose body is read in chunks).
    FileDescriptor file;
    std::uint64_t offset = 0;
    std::size_t length = 0;

    // Output.
    ResponsePlan plan;                 // OpenFile only
    std::unique_ptr<char[]> buffer;    // bytes read (reused between chunks)
    std::size_t bufferCapacity = 0;
    std::size_t bytesRead = 0;
    int error = 0;                     // errno of the failing call, 0 = ok
    std::int64_t startNs = 0;          // the worker's own clock readings
    std::int64_t endNs = 0;
    std::uint8_t worker = 0;
};

// Does one job on the calling thread: OpenFile opens the request's file beneath rootFd (a
// directory's index.html), plans the response and reads the body's first chunk (the whole file
// up to kWholeFileBytes); ReadChunk reads the next chunk. Disk workers run it, and so do the
// blocking and thread-per-connection servers, which read files on their serving thread. The
// caller sets startNs/endNs/worker.
void runDiskJob(int rootFd, DiskJob& job);

class DiskPool {
public:
    // Files up to this size are read whole by OpenFile; bigger ones in chunks of kChunkBytes.
    static constexpr std::size_t kWholeFileBytes = 256 * 1024;
    static constexpr std::size_t kChunkBytes = 256 * 1024;

    DiskPool() = default;
    ~DiskPool();
    DiskPool(const DiskPool&) = delete;
    DiskPool& operator=(const DiskPool&) = delete;

    // Returns 0 or -errno. rootFd stays owned by the caller and must outlive the pool.
    int start(unsigned workers, int rootFd);
    void stop();
    int eventFd() const { return m_eventFd.get(); }

    void submit(std::unique_ptr<DiskJob> job);
    // Reads the eventfd and moves finished jobs into `out` (appending).
    void takeCompleted(std::vector<std::unique_ptr<DiskJob>>& out);

private:
    void workerMain(std::uint8_t index);
    void run(DiskJob& job);
    void complete(std::unique_ptr<DiskJob> job);

    int m_rootFd = -1;
    FileDescriptor m_eventFd;
    std::vector<std::thread> m_workers;

    std::mutex m_queueMutex;
    std::condition_variable m_queueReady;
    std::deque<std::unique_ptr<DiskJob>> m_queue;
    bool m_stopping = false;

    std::mutex m_doneMutex;
    std::vector<std::unique_ptr<DiskJob>> m_done;
};

} // namespace loopscope
