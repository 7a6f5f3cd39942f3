// BlockingConnection: one connection served start to finish by one thread with blocking I/O, as
// the blocking and thread-per-connection servers do. It walks the seed's state machine and
// records the same steps as the event loop (ConnectionAccepted is recorded by whoever accepted):
// read until a request head is complete, read the file (on this thread: DiskReadStarted/Done
// carry its own clock), write the head and the body, then keep alive or close. It answers with
// the event loop's HTTP code (RequestParser, runDiskJob, response_plan), so the bytes on the
// wire are the same.
//
// Waits are bounded by the header, keep-alive and send timeouts. Any other thread stops it
// promptly by calling ConnectionRegistry::shutdownAll(): every wait then ends, and the
// connection closes as ServerStopping.
#pragma once

#include "core/event_record.h"
#include "core/producer_ring.h"
#include "http/request.h"
#include "http/response.h"
#include "server/disk_pool.h"
#include "server/server.h"
#include "server/server_model.h"

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace loopscope {

// The open connection sockets of a server, so that stop can shut them all down. A socket is
// closed only through close(), under the same lock, so shutdownAll() never touches a descriptor
// number that was already reused; a socket added after shutdownAll() is shut down at once, so a
// client accepted while the server stops cannot keep a thread blocked.
class ConnectionRegistry {
public:
    void add(int fd);
    void close(int fd);
    void shutdownAll();

private:
    std::mutex m_mutex;
    std::unordered_set<int> m_fds;
    bool m_shutDown = false;
};

// What every serving thread of one server shares.
struct BlockingServerShared {
    const ServerConfig& config;
    int rootFd;
    LoopCounters& counters;
    ConnectionRegistry& registry;
    const std::atomic<bool>& stopping;
};

// Where a serving thread records: its ring and its number in the `thread` field, and whether
// it is the server's only thread (then its waits for input are the engine loop lane's waits,
// recorded as LoopPollBegin/LoopPollEnd).
struct RecordingThread {
    ProducerRing& ring;
    std::uint8_t thread = 0;
    bool recordWaits = false;
};

class BlockingConnection {
public:
    // `fd` is registered, connected and already recorded as ConnectionAccepted at acceptedNs.
    BlockingConnection(const BlockingServerShared& shared, const RecordingThread& recording, int fd,
                       std::uint32_t id, std::int64_t acceptedNs);
    BlockingConnection(const BlockingConnection&) = delete;
    BlockingConnection& operator=(const BlockingConnection&) = delete;

    // Serves until the connection closes (recorded, socket closed, counters updated).
    void serve();
    CloseReason closeReason() const { return m_closeReason; }

private:
    enum class Wait { Ready, TimedOut, Failed };

    void readOnce();
    void takePipelined();
    void takeInput(const char* data, std::size_t len);
    Wait waitForInput(std::int64_t deadlineNs);
    void onHeadersRead();
    void onRequestRejected(int status);
    bool respondWithFile(DiskJob& job);
    bool respondWithError(int status, const ResponsePlan* plan, bool isHead);
    bool sendHead(const ResponseHead& head, const char* body, std::size_t bodyBytes);
    bool send(const char* head, std::size_t headBytes, const char* body, std::size_t bodyBytes);
    bool readFile(DiskJob& job, bool first);
    void onResponseDone();
    void linger();
    void close(CloseReason reason);
    CloseReason failureReason() const;
    void record(EventKind kind, ConnectionState to, std::uint64_t arg, std::uint32_t aux,
                std::int64_t nowNs);
    void recordWait(EventKind kind, std::uint64_t arg, std::int64_t nowNs);

    const BlockingServerShared& m_shared;
    RecordingThread m_recording;
    int m_fd;
    std::uint32_t m_id;
    ConnectionState m_state = ConnectionState::Accepted;
    std::int64_t m_headerDeadlineNs;
    std::int64_t m_idleDeadlineNs = 0;
    RequestParser m_parser;
    std::string m_pipelined;   // received after the request being answered
    bool m_open = true;
    CloseReason m_closeReason = CloseReason::Done;
    bool m_keepAlive = true;
    bool m_isHead = false;
    bool m_rejected = false;
    std::uint32_t m_requests = 0;
    std::uint32_t m_responses = 0;
    int m_status = 0;
    std::string m_head;
    std::uint64_t m_bodySent = 0;
    std::unique_ptr<char[]> m_readBuffer;
    HttpDateCache m_date;
};

} // namespace loopscope
