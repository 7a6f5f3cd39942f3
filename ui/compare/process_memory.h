// Process memory figures for the Compare window, said exactly as what they are.
//
// Contract: residentBytes() is this whole process's resident set (VmRSS from /proc/self/statm):
// both compared servers run inside loopscope together with both recordings and every window, so
// it cannot be split by side and is shown once, for the process. threadStackBytes() is the
// address space each new thread reserves for its stack (glibc's default, usually 8 MiB): virtual
// memory, of which only the pages a thread touches become resident. Both return 0 when the
// system does not say.
#pragma once

#include <cstdint>

namespace loopscope {

std::uint64_t residentBytes();
std::uint64_t threadStackBytes();

} // namespace loopscope
