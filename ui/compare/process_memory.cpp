#include "compare/process_memory.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdio>

namespace loopscope {

std::uint64_t residentBytes()
{
    std::FILE* f = std::fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    const int fields = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    const long page = sysconf(_SC_PAGESIZE);
    return fields == 2 && page > 0 ? resident * std::uint64_t(page) : 0;
}

std::uint64_t threadStackBytes()
{
    // std::thread uses the process's default attributes, so their stack size is what each
    // server thread reserved.
    pthread_attr_t attr;
    if (pthread_getattr_default_np(&attr) != 0)
        return 0;
    std::size_t bytes = 0;
    if (pthread_attr_getstacksize(&attr, &bytes) != 0)
        bytes = 0;
    pthread_attr_destroy(&attr);
    return bytes;
}

} // namespace loopscope
