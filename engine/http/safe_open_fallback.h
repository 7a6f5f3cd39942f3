// The part of openBeneath() used where the kernel lacks openat2 (before Linux 5.6, or under a
// seccomp filter that refuses it). Private to engine/http; declared here so tests can run the
// same cases through both paths.
//
// It refuses absolute paths and ".." segments outright (callers pass normalised paths), opens
// relPath beneath rootFd, and then compares the real path of what was opened with the root's real
// path (from /proc/self/fd), so a symlink that leads out of the root fails with EXDEV.
// Returns the fd, or -errno.
#pragma once

#include <string_view>

namespace loopscope::detail {

int openBeneathByRealPath(int rootFd, std::string_view relPath, int flags);

} // namespace loopscope::detail
