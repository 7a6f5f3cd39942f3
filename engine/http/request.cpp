// RequestParser: see request.h for the contract.
//
// Three layers look at each head, in byte order, so the first problem in the bytes decides the
// answer however the bytes were split across reads:
//  1. HeadMeter checks sizes and line endings (414/431/400) before anything is parsed;
//  2. the method token is read here, by hand (llhttp stops at the first byte of a method it does
//     not know, too early to tell an unknown method, 501, from garbage, 400);
//  3. llhttp parses the rest; our callbacks keep what the server needs and add nginx's checks.
// A 405 or 501 is only answered once the whole head has parsed, as nginx does: a bad version or
// header, or a missing Host, in the same request is reported first.
//
// llhttp is paused in on_headers_complete, so one feed() returns after exactly one head. A body
// (a GET may carry one) is then run through llhttp, which understands Content-Length and
// chunked framing, paused again in on_message_complete, and thrown away.
//
// Nothing here allocates once the strings have grown to the size of a typical head: they are
// cleared, not freed, between requests.
#include "http/request.h"

#include "http/head_meter.h"
#include "http/target.h"

#include <llhttp.h>

#include <cstdint>
#include <cstring>

namespace loopscope {
namespace {

// llhttp's reason for a well-formed version it does not accept (see failFromLlhttp).
constexpr const char* kUnsupportedVersionReason = "Invalid HTTP version";

enum class HeaderSlot : std::uint8_t { Other, Host, Range, IfModifiedSince, TransferEncoding };

bool equalsNoCase(std::string_view text, std::string_view lowerCase)
{
    if (text.size() != lowerCase.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lowerCase[i])
            return false;
    }
    return true;
}

HeaderSlot slotFor(std::string_view name)
{
    if (equalsNoCase(name, "host"))
        return HeaderSlot::Host;
    if (equalsNoCase(name, "range"))
        return HeaderSlot::Range;
    if (equalsNoCase(name, "if-modified-since"))
        return HeaderSlot::IfModifiedSince;
    if (equalsNoCase(name, "transfer-encoding"))
        return HeaderSlot::TransferEncoding;
    return HeaderSlot::Other;
}

// The methods llhttp parses as HTTP (its HTTP_METHOD_MAP): they are real methods we do not
// allow (405). Any other well-formed token is a method we do not implement (501).
#define LOOPSCOPE_METHOD_NAME(number, name, text) #text,
constexpr std::string_view kKnownMethods[] = {HTTP_METHOD_MAP(LOOPSCOPE_METHOD_NAME)};
#undef LOOPSCOPE_METHOD_NAME

bool isKnownMethod(std::string_view token)
{
    for (const std::string_view known : kKnownMethods) {
        if (known == token)
            return true;
    }
    return false;
}

HttpMethod methodFor(std::string_view token)
{
    static constexpr struct {
        std::string_view name;
        HttpMethod method;
    } kRecorded[] = {{"GET", HttpMethod::Get},         {"HEAD", HttpMethod::Head},
                     {"POST", HttpMethod::Post},       {"PUT", HttpMethod::Put},
                     {"DELETE", HttpMethod::Delete},   {"OPTIONS", HttpMethod::Options},
                     {"PATCH", HttpMethod::Patch},     {"TRACE", HttpMethod::Trace},
                     {"CONNECT", HttpMethod::Connect}};
    for (const auto& entry : kRecorded) {
        if (entry.name == token)
            return entry.method;
    }
    return HttpMethod::Other;
}

// As nginx: a method is upper-case letters, '-' and '_'. Methods are case-sensitive (RFC 9110
// 9.1), so "get" is not a method we do not know but a malformed request line.
bool isMethodChar(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// Plain loops rather than find_first_of, which calls memchr once per byte of the text.
bool containsAnyOf(std::string_view text, char a, char b)
{
    for (const char c : text) {
        if (c == a || c == b)
            return true;
    }
    return false;
}

void trimTrailingSpace(std::string& value)
{
    std::size_t end = value.size();
    while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        --end;
    value.resize(end);
}

} // namespace

struct RequestParser::Impl {
    enum class Phase : std::uint8_t {
        Method,   // reading the method token (or empty lines before it)
        Head,     // llhttp is parsing the rest of the head
        Answered, // a Request was returned; waiting for next()
        Body,     // skipping the previous request's body
        Failed,   // an Error was returned; it is returned again
    };
    static constexpr std::size_t kMethodCapacity = 16; // longer than any method llhttp knows

    explicit Impl(const ParserLimits& parserLimits);

    Result feed(const char* data, std::size_t length);
    Result parseHead(const char* data, std::size_t length);
    std::size_t scanMethod(const char* data, std::size_t length);
    void startLlhttp();
    std::size_t skipBody(const char* data, std::size_t length);
    void next();
    void beginRequest();
    Result fail(int status, const char* reason);
    Result failFromLlhttp(llhttp_errno_t error);
    int reject(int status, const char* reason);

    int onVersionComplete();
    int onHeaderFieldComplete();
    int onHeaderValueComplete();
    int onHeadersComplete();
    static const llhttp_settings_t& settings();

    ParserLimits limits;
    llhttp_t parser{};
    Phase phase = Phase::Method;
    detail::HeadMeter meter;
    HttpRequest request;
    DecodedTarget decoded; // its strings trade buffers with request's, so both keep capacity

    char method[kMethodCapacity] = {};
    std::size_t methodLength = 0;
    bool methodTooLong = false;
    int methodStatus = 0; // 405 or 501, answered once the head is complete
    const char* methodReason = "";

    std::string field;           // the header name being read
    HeaderSlot slot = HeaderSlot::Other;
    std::string* value = nullptr; // where the header value being read goes, if we keep it
    std::string transferEncoding;
    bool sawHost = false;
    bool sawTransferEncoding = false;
    bool sawVersion = false;
    bool hasBody = false;

    Result failure;
};

RequestParser::Impl::Impl(const ParserLimits& parserLimits) : limits(parserLimits)
{
    llhttp_init(&parser, HTTP_REQUEST, &settings());
    parser.data = this;
    beginRequest();
}

RequestParser::Result RequestParser::Impl::feed(const char* data, std::size_t length)
{
    switch (phase) {
    case Phase::Failed:
        return failure;
    case Phase::Answered:
        return {Status::Request, 0, 0, ""};
    case Phase::Body: {
        const std::size_t bodyBytes = skipBody(data, length);
        if (phase != Phase::Method)
            return phase == Phase::Failed ? failure : Result{Status::NeedMore, length, 0, ""};
        Result result = parseHead(data + bodyBytes, length - bodyBytes);
        result.consumed += bodyBytes;
        return result;
    }
    case Phase::Method:
    case Phase::Head:
        break;
    }
    return parseHead(data, length);
}

RequestParser::Result RequestParser::Impl::parseHead(const char* data, std::size_t length)
{
    detail::HeadMeter::Verdict verdict;
    const std::size_t fit = meter.measure(data, length, limits, verdict);
    std::size_t used = 0;
    if (phase == Phase::Method) {
        used = scanMethod(data, fit);
        if (phase == Phase::Failed)
            return failure;
    }
    if (phase == Phase::Head && used < fit) {
        const llhttp_errno_t error = llhttp_execute(&parser, data + used, fit - used);
        if (error == HPE_PAUSED) {
            phase = Phase::Answered;
            return {Status::Request, std::size_t(llhttp_get_error_pos(&parser) - data), 0, ""};
        }
        if (error != HPE_OK)
            return failFromLlhttp(error);
        // llhttp reads "GET /\r\n" as HTTP/0.9 and waits for more; we refuse it at once.
        if (!sawVersion && !meter.inRequestLine())
            return fail(400, "request line without an HTTP version");
    }
    if (fit < length)
        return fail(verdict.httpStatus, verdict.reason);
    return {Status::NeedMore, length, 0, ""};
}

// Returns the bytes used by the method token (and empty lines before it). On the space after
// the token, hands over to llhttp, which then continues from that space.
std::size_t RequestParser::Impl::scanMethod(const char* data, std::size_t length)
{
    for (std::size_t i = 0; i < length; ++i) {
        const char c = data[i];
        if (c == ' ') {
            startLlhttp();
            return i;
        }
        if (methodLength == 0 && (c == '\r' || c == '\n'))
            continue;
        if (!isMethodChar(c)) {
            fail(400, "invalid method");
            return i;
        }
        if (methodLength < kMethodCapacity)
            method[methodLength++] = c;
        else
            methodTooLong = true;
    }
    return length;
}

void RequestParser::Impl::startLlhttp()
{
    const std::string_view token(method, methodLength);
    if (token.empty()) {
        fail(400, "request line without a method");
        return;
    }
    request.method = methodFor(token);
    std::string_view parsedAs = token;
    const bool servable = token == "GET" || token == "HEAD";
    if (!servable && (methodTooLong || !isKnownMethod(token))) {
        // llhttp cannot parse an unknown method; let it check the rest of the head as a GET.
        methodStatus = 501;
        methodReason = "method not implemented";
        parsedAs = "GET";
    } else if (!servable) {
        methodStatus = 405;
        methodReason = "method not allowed";
    }
    phase = Phase::Head;
    const llhttp_errno_t error = llhttp_execute(&parser, parsedAs.data(), parsedAs.size());
    if (error != HPE_OK)
        failFromLlhttp(error);
}

// Runs body bytes through llhttp; returns how many belonged to the body. When the body ends,
// the parser is ready for the next head.
std::size_t RequestParser::Impl::skipBody(const char* data, std::size_t length)
{
    if (length == 0)
        return 0;
    const llhttp_errno_t error = llhttp_execute(&parser, data, length);
    if (error == HPE_OK)
        return length;
    if (error == HPE_PAUSED || error == HPE_PAUSED_UPGRADE) { // paused by on_message_complete
        const std::size_t used = std::size_t(llhttp_get_error_pos(&parser) - data);
        llhttp_reset(&parser);
        beginRequest();
        return used;
    }
    const char* reason = llhttp_get_error_reason(&parser);
    fail(400, reason ? reason : "malformed request body");
    failure.inAnsweredBody = true;
    return 0;
}

void RequestParser::Impl::next()
{
    if (phase != Phase::Answered)
        return;
    const bool bodyFollows = hasBody;
    beginRequest();
    if (bodyFollows) {
        llhttp_resume(&parser);
        phase = Phase::Body;
    } else {
        llhttp_reset(&parser);
    }
}

void RequestParser::Impl::beginRequest()
{
    request.method = HttpMethod::Other;
    request.target.clear();
    request.path.clear();
    request.versionMajor = 1;
    request.versionMinor = 1;
    request.keepAlive = true;
    request.host.clear();
    request.range.clear();
    request.ifModifiedSince.clear();
    meter.reset();
    phase = Phase::Method;
    methodLength = 0;
    methodTooLong = false;
    methodStatus = 0;
    methodReason = "";
    field.clear();
    slot = HeaderSlot::Other;
    value = nullptr;
    transferEncoding.clear();
    sawHost = false;
    sawTransferEncoding = false;
    sawVersion = false;
    hasBody = false;
}

RequestParser::Result RequestParser::Impl::fail(int status, const char* reason)
{
    phase = Phase::Failed;
    failure = {Status::Error, 0, status, reason};
    return failure;
}

RequestParser::Result RequestParser::Impl::failFromLlhttp(llhttp_errno_t error)
{
    if (failure.httpStatus != 0) // one of our callbacks refused the request and said why
        return fail(failure.httpStatus, failure.reason);
    const char* reason = llhttp_get_error_reason(&parser);
    if (!reason)
        reason = "malformed request";
    // llhttp accepts versions 0.9, 1.0, 1.1 and 2.0 (which on_version_complete answers with 505)
    // and refuses other well-formed ones ("1.2", "9.9") with this reason; its other version
    // errors ("Expected dot", "Invalid minor version", ...) are malformed request lines.
    if (error == HPE_INVALID_VERSION && std::strcmp(reason, kUnsupportedVersionReason) == 0)
        return fail(505, "unsupported HTTP version");
    return fail(400, reason);
}

// For callbacks: remembers why the request is refused and tells llhttp to stop.
int RequestParser::Impl::reject(int status, const char* reason)
{
    failure = {Status::Error, 0, status, reason};
    return -1;
}

int RequestParser::Impl::onVersionComplete()
{
    sawVersion = true;
    request.versionMajor = parser.http_major;
    request.versionMinor = parser.http_minor;
    if (parser.http_major != 1 || parser.http_minor > 1)
        return reject(505, "unsupported HTTP version");
    return 0;
}

int RequestParser::Impl::onHeaderFieldComplete()
{
    const std::string_view name = field;
    if (name.empty())
        return reject(400, "empty header name");
    // llhttp lets "Host : x" through; RFC 9112 5.1 requires a 400 (it is a smuggling vector).
    if (containsAnyOf(name, ' ', '\t'))
        return reject(400, "whitespace in a header name");
    slot = slotFor(name);
    field.clear();
    value = nullptr;
    switch (slot) {
    case HeaderSlot::Host:
        if (sawHost)
            return reject(400, "two Host headers");
        sawHost = true;
        value = &request.host;
        break;
    case HeaderSlot::TransferEncoding:
        if (sawTransferEncoding)
            return reject(400, "two Transfer-Encoding headers");
        sawTransferEncoding = true;
        value = &transferEncoding;
        break;
    case HeaderSlot::Range:
    case HeaderSlot::IfModifiedSince:
        // Repeated list headers combine into one value (RFC 9110 5.3); a combined Range then has
        // several ranges and a combined date does not parse, so both end up ignored.
        value = slot == HeaderSlot::Range ? &request.range : &request.ifModifiedSince;
        if (!value->empty())
            value->append(", ");
        break;
    case HeaderSlot::Other:
        break;
    }
    return 0;
}

int RequestParser::Impl::onHeaderValueComplete()
{
    if (!value)
        return 0;
    trimTrailingSpace(*value); // llhttp drops leading whitespace only
    value = nullptr;
    if (slot == HeaderSlot::Host && containsAnyOf(request.host, '/', '\\'))
        return reject(400, "invalid Host header");
    return 0;
}

// The checks nginx makes once the head is complete, then a pause so feed() can return.
int RequestParser::Impl::onHeadersComplete()
{
    if (!sawVersion)
        return reject(400, "request line without an HTTP version");
    const bool http10 = request.versionMinor == 0;
    if (sawTransferEncoding && http10)
        return reject(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (sawTransferEncoding && !equalsNoCase(transferEncoding, "chunked"))
        return reject(501, "unsupported Transfer-Encoding");
    // An origin-form target needs Host; an absolute-form one carries its own (decodeTargetPath
    // refuses one without).
    const bool originForm = !request.target.empty() && request.target.front() == '/';
    if (!sawHost && !http10 && originForm)
        return reject(400, "HTTP/1.1 request without a Host header");
    // Before the target: for a method we do not serve, its target ("*", "host:443") is moot.
    if (methodStatus != 0)
        return reject(methodStatus, methodReason);
    const char* targetError = nullptr;
    if (!decodeTargetPath(request.target, decoded, targetError))
        return reject(400, targetError);
    request.path.swap(decoded.path);
    if (!decoded.host.empty())
        request.host.swap(decoded.host); // RFC 9112 3.2.2: an absolute-form target's host wins
    const auto flags = parser.flags;
    request.keepAlive = !(flags & F_CONNECTION_CLOSE) && (!http10 || (flags & F_CONNECTION_KEEP_ALIVE));
    hasBody = (flags & F_CHUNKED) || ((flags & F_CONTENT_LENGTH) && parser.content_length > 0);
    return HPE_PAUSED;
}

const llhttp_settings_t& RequestParser::Impl::settings()
{
    static const llhttp_settings_t settings = [] {
        llhttp_settings_t s;
        llhttp_settings_init(&s);
        s.on_url = [](llhttp_t* p, const char* at, std::size_t length) {
            static_cast<Impl*>(p->data)->request.target.append(at, length);
            return 0;
        };
        s.on_version_complete = [](llhttp_t* p) { return static_cast<Impl*>(p->data)->onVersionComplete(); };
        // Trailers of a skipped chunked body arrive through the header callbacks too: ignored.
        s.on_header_field = [](llhttp_t* p, const char* at, std::size_t length) {
            Impl* impl = static_cast<Impl*>(p->data);
            if (impl->phase == Phase::Head)
                impl->field.append(at, length);
            return 0;
        };
        s.on_header_field_complete = [](llhttp_t* p) {
            Impl* impl = static_cast<Impl*>(p->data);
            return impl->phase == Phase::Head ? impl->onHeaderFieldComplete() : 0;
        };
        s.on_header_value = [](llhttp_t* p, const char* at, std::size_t length) {
            Impl* impl = static_cast<Impl*>(p->data);
            if (impl->phase == Phase::Head && impl->value)
                impl->value->append(at, length);
            return 0;
        };
        s.on_header_value_complete = [](llhttp_t* p) {
            Impl* impl = static_cast<Impl*>(p->data);
            return impl->phase == Phase::Head ? impl->onHeaderValueComplete() : 0;
        };
        s.on_headers_complete = [](llhttp_t* p) { return static_cast<Impl*>(p->data)->onHeadersComplete(); };
        s.on_message_complete = [](llhttp_t*) { return int(HPE_PAUSED); };
        return s;
    }();
    return settings;
}

RequestParser::RequestParser(const ParserLimits& limits) : m_impl(std::make_unique<Impl>(limits)) {}

RequestParser::~RequestParser() = default;

RequestParser::Result RequestParser::feed(const char* data, std::size_t len) { return m_impl->feed(data, len); }

const HttpRequest& RequestParser::request() const { return m_impl->request; }

void RequestParser::next() { m_impl->next(); }

bool RequestParser::midRequest() const
{
    switch (m_impl->phase) {
    case Impl::Phase::Method:
        return m_impl->meter.started();
    case Impl::Phase::Head:
    case Impl::Phase::Body:
        return true;
    case Impl::Phase::Answered:
    case Impl::Phase::Failed:
        return false;
    }
    return false;
}

} // namespace loopscope
