// libFuzzer target over everything a client's bytes reach before a file is opened: the request
// parser (llhttp underneath), target decoding, path resolution beneath the root, and Range.
//
// One input is a byte stream as a client would send it. The first byte picks how it is cut into
// reads (1 to 256 bytes each), so the parser's resumption across reads is exercised too. For each
// request the parser accepts, the invariants the server relies on are checked, and violations
// abort (libFuzzer then saves the input):
//  - the decoded path starts with '/', and has no "..", NUL or backslash;
//  - openBeneath() of that path never yields a file outside the document root (checked with the
//    real path of the fd); the tree has a secret one level above the root and symlinks that leave;
//  - parseRange() of the Range header against sizes from the input is within the file.
// The same bytes also go straight to decodeTargetPath(), whose result must satisfy the first rule.
#include "http/range.h"
#include "http/request.h"
#include "http/safe_open.h"
#include "http/target.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

using namespace loopscope;

namespace {

struct Tree {
    std::string base;  // holds the root and a secret beside it
    std::string root;  // the document root
    int rootFd = -1;
};

void must(bool ok, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "fuzz_http: invariant broken: %s\n", what);
        std::abort();
    }
}

void writeFile(const std::string& path, const char* text)
{
    FILE* f = std::fopen(path.c_str(), "w");
    must(f != nullptr, "cannot create the fuzzing tree");
    std::fputs(text, f);
    std::fclose(f);
}

// A small document root: files, a folder with an index, a symlink inside and two leaving it.
Tree makeTree()
{
    char pattern[] = "/tmp/loopscope-fuzz-XXXXXX";
    must(mkdtemp(pattern) != nullptr, "mkdtemp");
    Tree t;
    t.base = pattern;
    t.root = t.base + "/root";
    must(mkdir(t.root.c_str(), 0755) == 0, "mkdir root");
    must(mkdir((t.root + "/dir").c_str(), 0755) == 0, "mkdir dir");
    writeFile(t.base + "/secret.txt", "outside the root\n");
    writeFile(t.root + "/index.html", "<p>hello</p>\n");
    writeFile(t.root + "/dir/index.html", "<p>dir</p>\n");
    writeFile(t.root + "/a b.txt", "space\n");
    must(symlink("index.html", (t.root + "/inside-link").c_str()) == 0, "symlink inside");
    must(symlink("../secret.txt", (t.root + "/leaving-link").c_str()) == 0, "symlink leaving");
    must(symlink("/etc", (t.root + "/etc-link").c_str()) == 0, "symlink absolute");
    t.rootFd = open(t.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    must(t.rootFd >= 0, "open root");
    char real[PATH_MAX];
    must(realpath(t.root.c_str(), real) != nullptr, "realpath root");
    t.root = real;
    return t;
}

const Tree& tree()
{
    static const Tree t = makeTree();
    return t;
}

void checkPath(std::string_view path)
{
    must(!path.empty() && path.front() == '/', "path starts with /");
    must(path.find('\0') == std::string_view::npos, "no NUL in path");
    must(path.find('\\') == std::string_view::npos, "no backslash in path");
    // ".." as a whole segment
    for (std::size_t at = path.find(".."); at != std::string_view::npos; at = path.find("..", at + 1)) {
        const bool startsSegment = at > 0 && path[at - 1] == '/';
        const bool endsSegment = at + 2 == path.size() || path[at + 2] == '/';
        must(!(startsSegment && endsSegment), "no .. segment in path");
    }
}

// Whatever openBeneath opens must really be the root or inside it.
void checkOpen(std::string_view path)
{
    const std::string rel(path.substr(1));
    const int fd = openBeneath(tree().rootFd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK); // the disk pool's flags
    if (fd < 0)
        return;
    char link[64], real[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = readlink(link, real, sizeof real - 1);
    close(fd);
    must(n > 0, "readlink of an opened fd");
    const std::string_view opened(real, std::size_t(n));
    const std::string& root = tree().root;
    must(opened == root || (opened.substr(0, root.size()) == root && opened.size() > root.size() && opened[root.size()] == '/'),
         "opened file is beneath the root");
}

void checkRange(std::string_view header, std::uint64_t size)
{
    const ByteRange r = parseRange(header, size);
    if (r.kind == ByteRange::Kind::Satisfiable)
        must(size > 0 && r.first <= r.last && r.last < size, "a satisfiable range lies within the file");
}

void checkRequest(const HttpRequest& req, std::uint64_t size)
{
    checkPath(req.path);
    checkOpen(req.path);
    checkRange(req.range, size);
    checkRange(req.range, 0);
    checkRange(req.range, UINT64_MAX);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::size_t step = std::size_t(data[0]) + 1;
    const char* bytes = reinterpret_cast<const char*>(data + 1);
    const std::size_t len = size - 1;
    const std::uint64_t fileSize = len * 977 + 1; // some size that varies with the input

    RequestParser parser;
    std::size_t offset = 0;
    bool failed = false;
    while (offset < len && !failed) {
        const std::size_t chunk = std::min(step, len - offset);
        std::size_t used = 0;
        while (used < chunk) { // a read may hold several pipelined requests
            const std::size_t given = chunk - used;
            const RequestParser::Result r = parser.feed(bytes + offset + used, given);
            must(r.consumed <= given, "the parser consumes no more than it was given");
            used += r.consumed;
            if (r.status == RequestParser::Status::Error) {
                must(r.httpStatus >= 400 && r.httpStatus <= 505, "an error has a 4xx/5xx status");
                failed = true;
                break;
            }
            if (r.status == RequestParser::Status::NeedMore) {
                must(r.consumed == given, "NeedMore consumes the whole read");
                break;
            }
            must(r.consumed > 0, "a request consumes bytes");
            checkRequest(parser.request(), fileSize);
            parser.next();
        }
        offset += chunk;
    }

    DecodedTarget target;
    const char* error = nullptr;
    if (decodeTargetPath(std::string_view(bytes, len), target, error))
        checkPath(target.path);
    checkRange(std::string_view(bytes, len), fileSize);
    return 0;
}
