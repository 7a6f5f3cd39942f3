// Opening a file strictly beneath the document root.
//
// openBeneath(rootFd, relPath, flags) opens relPath (no leading '/', already decoded and
// normalised) relative to the directory rootFd so that nothing outside the root can be reached:
// it uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) and, where the kernel lacks openat2,
// falls back to opening then checking the real path against the root's real path. A symlink that
// stays inside the root is followed; one that leaves it fails with EXDEV (or EACCES).
// Returns the fd, or -errno. An empty relPath opens the root itself (as a directory).
#pragma once

#include <string_view>

namespace loopscope {

int openBeneath(int rootFd, std::string_view relPath, int flags);

} // namespace loopscope
