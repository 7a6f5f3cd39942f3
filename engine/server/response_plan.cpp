#include "server/response_plan.h"

#include "http/range.h"
#include "http/response.h"

#include <cerrno>

namespace loopscope {

namespace {

std::string contentRangeOf(std::uint64_t first, std::uint64_t last, std::uint64_t size)
{
    return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size);
}

// If-Modified-Since is honoured only for a valid date, as RFC 9110 13.1.3 asks; the comparison is
// at one-second resolution because that is all an HTTP date carries.
bool notModifiedSince(std::string_view ifModifiedSince, std::time_t lastModified)
{
    if (ifModifiedSince.empty())
        return false;
    const auto since = parseHttpDate(ifModifiedSince);
    return since && lastModified <= *since;
}

} // namespace

void planFileResponse(HttpMethod method, std::string_view path, std::string_view range,
                      std::string_view ifModifiedSince, const struct stat& st, ResponsePlan& plan)
{
    plan.fileSize = std::uint64_t(st.st_size);
    plan.lastModified = st.st_mtime;
    plan.contentType = std::string(contentTypeFor(path));
    plan.bodyOffset = 0;
    plan.bodyLength = plan.fileSize;
    plan.status = 200;
    if (notModifiedSince(ifModifiedSince, plan.lastModified)) {
        plan.status = 304;
        plan.contentLength = plan.fileSize;
        plan.bodyLength = 0;
        return;
    }
    if (!range.empty()) {
        const ByteRange r = parseRange(range, plan.fileSize);
        if (r.kind == ByteRange::Kind::Satisfiable) {
            plan.status = 206;
            plan.bodyOffset = r.first;
            plan.bodyLength = r.last - r.first + 1;
            plan.contentRange = contentRangeOf(r.first, r.last, plan.fileSize);
        } else if (r.kind == ByteRange::Kind::Unsatisfiable) {
            plan.status = 416;
            plan.bodyLength = 0;
            plan.contentRange = "bytes */" + std::to_string(plan.fileSize);
            plan.contentType.clear();
            return;
        }
    }
    plan.contentLength = plan.bodyLength;
    if (method == HttpMethod::Head)
        plan.bodyLength = 0;
}

void planErrorResponse(int status, ResponsePlan& plan)
{
    plan = ResponsePlan{};
    plan.status = status;
}

ResponseHead fileResponseHead(const ResponsePlan& plan)
{
    ResponseHead head;
    head.status = plan.status;
    head.contentType = plan.contentType;
    head.contentLength = plan.contentLength;
    head.lastModified = plan.lastModified;
    head.contentRange = plan.contentRange;
    head.acceptRanges = true;
    return head;
}

ResponseHead errorResponseHead(int status, const ResponsePlan* plan, std::size_t bodyBytes)
{
    ResponseHead head;
    head.status = status;
    head.contentType = "text/html; charset=utf-8";
    head.contentLength = bodyBytes;
    head.allowGetHead = status == 405;
    if (plan) {
        head.location = plan->location;
        head.contentRange = plan->contentRange;
    }
    return head;
}

int statusForOpenError(int error)
{
    switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
        return 403;
    default:
        return 500;
    }
}

} // namespace loopscope
