#!/usr/bin/env python3
"""Where a request's CPU goes in loopscope-server, phase by phase.

Two views, both divided by the requests served in the measured interval:

  perf      CPU time per request (user + kernel), from `perf script` output of
            `perf record -e cpu-clock --call-graph dwarf` on the server. Each sample is put in the phase of the
            innermost loopscope function on its stack (so the kernel's work inside sendmsg counts
            as "write the response", its work inside close as "close"); samples of the main
            thread (draining the recorder) and of the disk workers are phases of their own.
  callgrind Instructions per request in user space, from a callgrind output file recorded with
            --toggle-collect on the loop's runOnce(): each function's own (self) instructions go
            to the phase its name belongs to; library code called from several phases (malloc,
            memcpy, ...) is its own line.

Usage: phases.py perf SCRIPT_FILE REQUESTS [--period-us N]
       phases.py callgrind CALLGRIND_OUT REQUESTS
Prints a Markdown table. Bad input ends with one sentence on stderr and exit status 2.
"""
import collections
import re
import subprocess
import sys

# Phases in the order of a request's life. The first pattern that matches a frame's function
# name names its phase; the innermost matching frame of a stack wins.
PHASES = [
    ("recording", r"loopscope::(ProducerRing::|EventRing::|Recorder::|EventLoop::record(Loop|Dispatch)?\b)"),
    ("parse the request", r"llhttp|loopscope::(RequestParser|decodeTargetPath|detail::HeadMeter|EventLoop::parseInput|parseRange)"),
    ("build the response head", r"loopscope::(appendResponseHead|fileResponseHead|errorResponseHead|errorBody|HttpDateCache|planFileResponse|planErrorResponse|EventLoop::sendHead|EventLoop::startResponse|EventLoop::startErrorResponse)|appendTwoDigits"),
    ("write the response", r"loopscope::EventLoop::(writeResponse|sendFromMemory|sendFromFile|onWritable|advanceBody)"),
    ("look up the file (cache, disk job)", r"loopscope::(FileCache::|EventLoop::(serveFromCache|rememberFile|onHeadersRead|submitDiskJob|onDiskDone|onDiskEventFd|startFileResponse|takeChunk|readNextChunk)|DiskPool::(submit|takeCompleted))"),
    ("read the request", r"loopscope::EventLoop::(readInput|onReadable)"),
    ("accept", r"loopscope::EventLoop::(onAccept|acceptOne|newConnection)"),
    ("finish (keep-alive or close)", r"loopscope::EventLoop::(onResponseDone|closeConnection|releaseResponse|startLingering|drainLingering)"),
    ("timers", r"loopscope::(EventLoop::(expireTimers|timeOut|pollTimeoutMs)|TimerList)"),
    ("dispatch ready events", r"loopscope::EventLoop::(dispatch|dispatchConnection|connectionHandler)"),
    ("wait for events (epoll_wait)", r"loopscope::EventLoop::(waitForEvents|runOnce|run)\b"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in PHASES]
DISK_WORKERS = "disk workers (open, stat, read)"
DRAIN = "main thread: drain the recording"
LIBRARY = "library code (malloc, memcpy, ...)"
OTHER = "other"
ORDER = [name for name, _ in PHASES] + [DRAIN, DISK_WORKERS, LIBRARY, OTHER]


def fail(message):
    print(f"phases.py: {message}", file=sys.stderr)
    sys.exit(2)


def phase_of(function):
    for name, pattern in COMPILED:
        if pattern.search(function):
            return name
    return None


def read_perf_samples(path):
    """Yields (tid, [(function, is_kernel)] leaf first) for each sample of `perf script` output."""
    tid, frames = None, []
    header = re.compile(r"^\S.*?\s+(\d+)(?:/(\d+))?\s+[\d.]+:")
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if tid is not None:
                    yield tid, frames
                tid, frames = None, []
                continue
            if not line[0].isspace():
                m = header.match(line)
                tid = int(m.group(2) or m.group(1)) if m else -1
                frames = []
                continue
            parts = line.split(None, 1)
            if len(parts) < 2:
                continue
            symbol, _, dso = parts[1].rpartition(" (")
            symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol.strip())
            frames.append((symbol, "kernel" in dso))
    if tid is not None:
        yield tid, frames


def perf_table(path, requests, period_us):
    per_phase = collections.Counter()
    kernel = collections.Counter()
    samples = 0
    for _, frames in read_perf_samples(path):
        samples += 1
        names = [f for f, _ in frames]
        if any("DiskPool::workerMain" in f for f in names):
            phase = DISK_WORKERS
        elif any(re.search(r"\bmain\b|drainInto", f) for f in names) and not any("EventLoop::" in f for f in names):
            phase = DRAIN
        else:
            phase = next((p for p in map(phase_of, names) if p), OTHER)
        per_phase[phase] += 1
        if frames and frames[0][1]:
            kernel[phase] += 1
    if samples == 0:
        fail(f"{path} holds no perf samples; was the server busy while perf recorded?")
    total_us = samples * period_us / requests
    print(f"{requests:,} requests, {samples:,} samples of {period_us:g} µs: "
          f"{total_us:.2f} µs of CPU per request\n")
    print("| phase | µs per request | of which in the kernel | share |")
    print("|---|---:|---:|---:|")
    for phase in ORDER:
        if per_phase[phase] == 0:
            continue
        us = per_phase[phase] * period_us / requests
        k = kernel[phase] * period_us / requests
        print(f"| {phase} | {us:.2f} | {k:.2f} | {100 * per_phase[phase] / samples:.1f}% |")
    print(f"| **total** | **{total_us:.2f}** | {sum(kernel.values()) * period_us / requests:.2f} | 100% |")


def callgrind_self_costs(path):
    """(function, self instructions) from callgrind_annotate's per-function listing, whose rows
    read `9,861,952 (11.21%)  /usr/share/llhttp/llhttp.c:llhttp__internal__run [object]`."""
    try:
        out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no", path],
                             check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        fail("callgrind_annotate is not installed; install valgrind (apt-get install valgrind).")
    except subprocess.CalledProcessError as e:
        fail(f"callgrind_annotate could not read {path}: {e.stderr.strip()}")
    row = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$")
    file_colon = re.compile(r"(?<!:):(?!:)")  # the colon after the file name, not a C++ '::'
    for line in out.splitlines():
        m = row.match(line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        location = m.group(2)
        split = file_colon.search(location)
        yield (location[split.end():] if split else location), int(m.group(1).replace(",", ""))


def callgrind_table(path, requests):
    per_phase = collections.Counter()
    for function, ir in callgrind_self_costs(path):
        phase = phase_of(function)
        if phase is None:
            phase = LIBRARY if re.search(r"libc|ld-linux|libstdc|malloc|free|mem(cpy|move|set|cmp)|str", function) else OTHER
        per_phase[phase] += ir
    total = sum(per_phase.values())
    if total == 0:
        fail(f"{path} holds no instructions; was --toggle-collect's function ever called?")
    print(f"{requests:,} requests: {total / requests:,.0f} instructions per request in the loop thread\n")
    print("| phase | instructions per request | share |")
    print("|---|---:|---:|")
    for phase in ORDER:
        if per_phase[phase]:
            print(f"| {phase} | {per_phase[phase] / requests:,.0f} | {100 * per_phase[phase] / total:.1f}% |")
    print(f"| **total** | **{total / requests:,.0f}** | 100% |")


def main(argv):
    if len(argv) < 3 or argv[0] not in ("perf", "callgrind"):
        fail("usage: phases.py perf SCRIPT_FILE REQUESTS [--period-us N] | callgrind OUT_FILE REQUESTS")
    try:
        requests = int(argv[2])
    except ValueError:
        fail(f"REQUESTS must be a whole number, not '{argv[2]}'.")
    if requests <= 0:
        fail("no request was served, so there is nothing to divide by; run the load longer.")
    if argv[0] == "perf":
        period = 250.0  # perf's default cpu-clock frequency, 4000 Hz
        if len(argv) == 5 and argv[3] == "--period-us":
            period = float(argv[4])
        perf_table(argv[1], requests, period)
    else:
        callgrind_table(argv[1], requests)


if __name__ == "__main__":
    main(sys.argv[1:])
