// planResponse: the pure decision of what to answer for a GET/HEAD of an existing file, from the
// request's conditional and Range headers and the file's metadata. No I/O, so it is unit-tested
// with tables and can run on a disk worker.
#pragma once

#include "http/response.h"
#include "server/disk_pool.h"

#include <sys/stat.h>

namespace loopscope {

// `st` is the file's fstat (a regular file). Fills status (200, 206, 304, 416), body range,
// Content-Range, Last-Modified and Content-Type.
void planFileResponse(HttpMethod method, std::string_view path, std::string_view range,
                      std::string_view ifModifiedSince, const struct stat& st, ResponsePlan& plan);

// An error or redirect without a file body (301, 403, 404, 500...).
void planErrorResponse(int status, ResponsePlan& plan);

// The head of a file response (200, 206, 304) for `plan` (views into it: keep it alive). The
// caller adds Date and keep-alive.
ResponseHead fileResponseHead(const ResponsePlan& plan);

// The head of an error page, redirect or 416 whose body is errorBody(status) of `bodyBytes`;
// `plan` (may be null) gives Location and Content-Range.
ResponseHead errorResponseHead(int status, const ResponsePlan* plan, std::size_t bodyBytes);

// The status a failed open/fstat maps to: ENOENT/ENOTDIR -> 404, EACCES/EPERM/EXDEV/ELOOP -> 403,
// anything else -> 500.
int statusForOpenError(int error);

} // namespace loopscope
