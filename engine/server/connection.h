// Connection: one client's socket and where it is in the seed's state machine. A long-lived
// handle in libuv's sense: it lives in the loop's slot table from accept to close, and its
// memory is reused for the next connection only after its close was recorded.
#pragma once

#include "core/event_record.h"
#include "http/request.h"
#include "server/disk_pool.h"
#include "server/file_cache.h"
#include "server/timer_list.h"

#include <cstdint>
#include <memory>
#include <string>

namespace loopscope {

struct Connection {
    TimerNode timer; // on at most one of the loop's timeout lists

    std::uint32_t id = 0;   // as recorded; unique for the Server's lifetime
    std::uint32_t slot = 0; // index in the loop's slot table
    int fd = -1;
    ConnectionState state = ConnectionState::None;

    // Edge-triggered epoll: remember readiness until a syscall says EAGAIN.
    bool readReady = false;
    bool writeReady = true;
    bool peerClosed = false;     // EPOLLRDHUP seen
    bool lingering = false;      // response done, draining input before close
    bool keepAlive = true;       // for the response being written
    bool diskJobPending = false; // a DiskJob for this connection is in flight
    bool waitingForDisk = false; // the body needs the chunk that is being read
    bool isHead = false;         // the request being answered is a HEAD
    bool noDelay = false;        // TCP_NODELAY is set
    bool rejected = false;       // a bad request was answered; the connection closes after it

    std::uint32_t requests = 0;  // requests started on this connection
    std::uint32_t responses = 0; // responses completed

    std::unique_ptr<RequestParser> parser;
    std::string pipelined;       // received but not yet parsed (requests sent ahead)

    // The response being written: head, then body bytes from memory (or, for a big cached
    // file, from the kernel's page cache with sendfile).
    int status = 0;
    std::string head;
    std::size_t headSent = 0;
    std::string errorBody;             // body of error pages and redirects
    std::shared_ptr<const CachedFile> cached; // body source for a cache hit
    int sendFileFd = -1;               // body sent with sendfile from this (cached's) descriptor
    std::uint64_t sendFileOffset = 0;  // where in that file the body starts
    std::unique_ptr<char[]> chunk;     // file bytes being sent
    std::size_t chunkCapacity = 0;
    const char* body = nullptr;        // points into errorBody or chunk
    std::size_t bodyBytes = 0;
    std::size_t bodySent = 0;
    std::uint64_t bodyTotal = 0;       // body bytes of the whole response
    std::uint64_t bodyTotalSent = 0;

    // A big file is read in chunks; the next one is read while the current one is sent.
    FileDescriptor file;               // held here while no read is in flight
    std::uint64_t fileOffset = 0;      // next byte to read
    std::uint64_t fileRemaining = 0;   // bytes still to read
    std::unique_ptr<char[]> nextChunk; // read ahead, ready to send
    std::size_t nextChunkBytes = 0;
    std::size_t nextChunkCapacity = 0;
    std::unique_ptr<char[]> spare;     // an empty buffer to read the following chunk into
    std::size_t spareCapacity = 0;
};

} // namespace loopscope
