// Request reassembly: the request line of each connection, rebuilt from its records.
//
// Contract: the engine records a RequestHeadersRead (aux = HttpMethod, arg = request number on
// the connection) followed by RequestText side records carrying the target 16 bytes at a time,
// the last one flagged kTextLast. AssembledRequest collects one such request; RequestAssembler
// keeps one per connection, keyed by connection id, for any consumer (trace writers, the GUI).
// Text may be incomplete when records were dropped or recording started mid-request: stray
// RequestText records (no request being collected on that connection) are ignored, and
// `complete` stays false. Targets are capped at kMaxTargetBytes (`truncated` is then set) so
// hostile or corrupt input cannot grow memory without bound. Targets are raw bytes as received.
#pragma once

#include "core/event_record.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loopscope {

struct AssembledRequest {
    static constexpr std::size_t kMaxTargetBytes = 64 * 1024;

    HttpMethod method = HttpMethod::Other;
    std::uint64_t number = 0; // 1-based request number on the connection
    std::string target;       // raw bytes, as received
    bool collecting = false;  // a RequestHeadersRead was seen and its last text piece was not
    bool complete = false;    // the last text piece arrived
    bool truncated = false;   // text beyond kMaxTargetBytes was dropped

    // Starts a new request from a RequestHeadersRead record.
    void start(const EventRecord& headersRead);
    // Adds one RequestText record; returns true if it completed the text. Ignored unless collecting.
    bool addText(const EventRecord& text);
    // Stops collecting (the request ended or the connection closed) and keeps what was read.
    void stop() { collecting = false; }

    // "GET" (or "OTHER" for unrecognised methods).
    const char* methodName() const;
    // "GET /index.html", as people read a request.
    std::string title() const;
};

class RequestAssembler {
public:
    // What feeding one record did.
    enum class Step { Ignored, Started, TextAdded, Completed, Forgotten };

    // Feeds one record in recording order: RequestHeadersRead starts a request for its
    // connection, RequestText extends it, ConnectionClosed forgets the connection.
    Step add(const EventRecord& record);

    // The latest request of `conn` (complete or not), or nullptr.
    const AssembledRequest* find(std::uint32_t conn) const;
    void forget(std::uint32_t conn) { m_requests.erase(conn); }
    void clear() { m_requests.clear(); }
    std::size_t size() const { return m_requests.size(); }

private:
    std::unordered_map<std::uint32_t, AssembledRequest> m_requests;
};

} // namespace loopscope
