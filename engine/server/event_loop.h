// EventLoop: the seed's pseudocode as code. One thread runs run(); every other thread talks to it
// only through wake() (stop) and the disk pool's eventfd.
//
//   while running:
//       wait for the next event                      (epoll_wait)        waitForEvents()
//       NEW_TCP_CONNECTION        -> read headers                        onAccept()
//       FINISHED_READING_FROM_SOCKET -> fetch the file on a disk worker  onHeadersRead()
//       FINISHED_READING_FROM_DISK   -> write the response headers       onDiskDone()
//       FINISHED_WRITING_TO_SOCKET   -> write the body, then close or
//                                       keep alive and read again        onWritable(), onResponseDone()
//       expire timeouts                                                  expireTimers()
//
// Sockets are registered once, edge-triggered, for input and output; a connection remembers
// readiness until recv/send report EAGAIN, so no epoll_ctl is needed as states change.
//
// Step mode (LoopControls::stepMode): nudge() makes an idle loop notice it at once; between
// iterations the loop then waits in epoll_wait on a second, tiny epoll set that holds only its
// wake-up and step eventfds, so nothing else is touched while it is paused; each step asked for runs one iteration on the real set (one epoll_wait, blocking
// until something is ready or a timer is due, and the dispatch of all it returned), recorded as
// LoopDispatch records and a LoopStepped marker. Timers are frozen while paused: every deadline
// moves later by the time spent paused, so a pause never makes a connection time out; time runs
// during a step, and a timer due then expires as part of it.
//
// Break-the-loop switches (LoopControls): "synchronous disk" reads files on the loop thread
// instead of the disk workers (DiskRead records with aux 0, thread 0: the serving thread read it);
// "CPU per request" burns that many ms of the loop thread's CPU time hashing the response's bytes
// before sending each response head. Both block every other connection: that is the point.
#pragma once

#include "core/event_record.h"
#include "server/connection.h"
#include "server/disk_pool.h"
#include "server/file_cache.h"
#include "server/server.h"
#include "server/server_model.h"
#include "server/timer_list.h"
#include "http/response.h"

#include <atomic>
#include <cstdint>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace loopscope {

class Recorder;

class EventLoop : public ServerModelRunner {
public:
    // Takes ownership of the listening socket and the root directory fd.
    EventLoop(const ServerConfig& config, int listenFd, int rootFd, Recorder& recorder,
              LoopCounters& counters, LoopControls& controls, std::uint32_t firstConnectionId);
    ~EventLoop() override;
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Creates epoll, eventfds and the disk workers; returns 0 or -errno.
    int open() override;
    void run() override;     // on the engine thread, until wake()
    void wake() override;    // from any thread: makes run() return soon
    void nudge() override;   // from any thread: re-read the step mode controls
    std::uint32_t nextConnectionId() const override { return m_nextId; }

private:
    // Phases of one iteration.
    void runOnce();
    int pollTimeoutMs(std::int64_t nowNs) const;
    void waitForEvents();
    void dispatch(std::uint64_t tag, std::uint32_t events);
    void dispatchConnection(Connection& c, std::uint32_t events);
    LoopHandler connectionHandler(const Connection& c, std::uint32_t events) const;
    void onDiskEventFd(std::uint32_t events);
    void expireTimers(std::int64_t nowNs);
    void timeOut(TimerList& list, TimeoutKind kind, std::int64_t nowNs);

    // Step mode.
    bool waitForStep();
    void enterPause(std::int64_t nowNs);
    void leavePause(std::int64_t nowNs);
    void thawTimers(std::int64_t nowNs);
    void drainStepWake();
    void watchStepWake(bool inMainSet);
    void recordDispatch(LoopSource source, LoopHandler handler, std::uint32_t events, std::uint32_t conn);

    // Break-the-loop switches.
    void submitDiskJob(std::unique_ptr<DiskJob> job);
    void finishLoopDiskReads();
    void burnCpu(const Connection& c, std::uint32_t ms);

    // The seed's events.
    void onAccept();
    void onReadable(Connection& c);
    void onHeadersRead(Connection& c, std::int64_t nowNs);
    void onRequestRejected(Connection& c, int status, std::int64_t nowNs);
    void onDiskDone(std::unique_ptr<DiskJob> job);
    void onWritable(Connection& c);
    void onResponseDone(Connection& c, std::int64_t nowNs);

    // Steps used by the handlers.
    void acceptOne(int fd, std::uint32_t peerAddress, std::uint16_t peerPort, std::int64_t nowNs);
    void pauseAccepting(int error, std::int64_t nowNs);
    void resumeAccepting();
    bool readInput(Connection& c, std::int64_t nowNs);
    void parseInput(Connection& c, const char* data, std::size_t len, std::int64_t nowNs);
    bool serveFromCache(Connection& c, const HttpRequest& req, std::int64_t nowNs);
    void rememberFile(DiskJob& job);
    bool waitForLoad(Connection& c, const HttpRequest& req);
    void submitFileJob(Connection& c, const HttpRequest& req, bool mayLoadCache);
    void releaseWaiters(const std::string& path, std::int64_t nowNs);
    void startFileResponse(Connection& c, DiskJob& job, std::int64_t nowNs);
    void startErrorResponse(Connection& c, int status, const ResponsePlan* plan, bool isHead,
                            std::int64_t nowNs);
    void startResponse(Connection& c, const ResponsePlan& plan, std::int64_t nowNs);
    void sendHead(Connection& c, const ResponseHead& head, std::int64_t nowNs);
    void takeChunk(Connection& c, DiskJob& job);
    void readNextChunk(Connection& c);
    void writeResponse(Connection& c);
    ssize_t sendFromMemory(Connection& c, std::size_t headLeft, std::size_t bodyLeft);
    ssize_t sendFromFile(Connection& c, std::size_t headLeft, std::size_t bodyLeft, std::size_t& offered);
    bool advanceBody(Connection& c);
    void startLingering(Connection& c, std::int64_t nowNs);
    void drainLingering(Connection& c, std::int64_t nowNs);
    void closeConnection(Connection& c, CloseReason reason, std::int64_t nowNs);
    void releaseResponse(Connection& c);
    void closeAll(std::int64_t nowNs);

    // Bookkeeping.
    Connection* connectionAt(std::uint32_t slot, std::uint32_t id);
    Connection& newConnection(int fd);
    void record(Connection& c, EventKind kind, ConnectionState to, std::uint64_t arg,
                std::uint32_t aux, std::int64_t nowNs, std::uint8_t thread = 0);
    void recordLoop(EventKind kind, std::uint64_t arg, std::int64_t nowNs, std::uint32_t aux = 0);

    ServerConfig m_config;
    Recorder& m_recorder;
    LoopCounters& m_counters;
    LoopControls& m_controls;
    FileDescriptor m_listen;
    FileDescriptor m_root;
    FileDescriptor m_epoll;
    FileDescriptor m_wake;
    FileDescriptor m_pauseEpoll; // step mode: only m_wake and m_stepWake
    FileDescriptor m_stepWake;   // nudge(): a step was asked for, or step mode ended
    DiskPool m_disk;
    std::unique_ptr<FileCache> m_cache; // null when the open-file cache is off
    std::int64_t m_cacheSweepNs = INT64_MAX; // when the file cache next has a stale entry to drop
    // Paths a disk worker is reading into the cache, with the connections (slot, id) whose
    // requests for the same path wait for that read instead of starting their own.
    std::unordered_map<std::string, std::vector<std::pair<std::uint32_t, std::uint32_t>>> m_loads;

    std::atomic<bool> m_stopRequested{false};
    bool m_paused = false;        // in step mode, between steps
    bool m_stepping = false;      // running a step: dispatches are recorded
    std::int64_t m_pausedSinceNs = 0;
    std::uint64_t m_stepsTaken = 0;     // compared with LoopControls::stepsAsked
    std::uint64_t m_stepNumber = 0;     // steps since this loop started
    std::uint32_t m_stepDispatches = 0; // LoopDispatch records in the current step
    std::deque<std::unique_ptr<DiskJob>> m_loopReads; // read on the loop thread, not yet handled

    bool m_acceptPaused = false;
    bool m_acceptBacklog = false; // the last accept turn ended at its limit, not at EAGAIN
    std::int64_t m_acceptResumeNs = 0;

    std::vector<std::unique_ptr<Connection>> m_slots;
    std::vector<std::uint32_t> m_freeSlots;
    std::uint64_t m_active = 0;
    std::uint32_t m_nextId;

    TimerList m_headerTimers;
    TimerList m_idleTimers;
    TimerList m_sendTimers;
    TimerList m_lingerTimers;

    std::vector<std::unique_ptr<DiskJob>> m_completed;
    std::unique_ptr<char[]> m_readBuffer;
    HttpDateCache m_date;
    std::uint64_t m_cpuHash = 0; // the CPU switch's result, kept so its work is not optimised away
};

} // namespace loopscope
