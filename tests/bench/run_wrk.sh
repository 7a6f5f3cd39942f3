#!/usr/bin/env bash
# Measures loopscope-server (recording on and off) against nginx with one worker, under the
# same wrk commands, and prints a markdown table plus the loopscope/nginx ratios.
#
# Usage: tests/bench/run_wrk.sh [BUILD_DIR]        (BUILD_DIR defaults to $BUILD_DIR or ./build)
# Settings (environment):
#   DURATION=5          seconds per wrk run
#   RUNS=3              runs per case; the table shows the median of each figure
#   WARMUP=1            seconds of unmeasured wrk before each case (0 = none)
#   IDLE_CONNECTIONS=10000  idle keep-alive connections for the memory figure (0 = skip)
#   SERVERS="nginx loopscope loopscope-norec"   which servers to measure
#   CASES_MATCHING=REGEX  only the cases whose name matches (e.g. 'close')
#   SERVER_CPU=0 CLIENT_CPU=1   cores for the server (whole process) and for wrk
#   NGINX_SENDFILE=on   nginx's sendfile setting (on, as production nginx runs)
#   RESULTS=tests/bench/results/wrk-<time>.csv  summary CSV (per-run CSV and .md beside it)
#
# Figures per case: requests/s, p50/p99 latency (wrk's own, in µs), and server CPU time per
# request: utime+stime of the whole server process (all threads) from /proc/PID/stat before and
# after each run, divided by the requests wrk completed. Memory: (VmRSS with N idle keep-alive
# connections - VmRSS before) / N.
#
# Everything runs on loopback. Every process the script starts is stopped by PID on exit.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

BUILD_DIR="${1:-${BUILD_DIR:-./build}}"
DURATION="${DURATION:-5}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-1}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
SERVERS="${SERVERS:-nginx loopscope loopscope-norec}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="${RESULTS:-$REPO_DIR/tests/bench/results/wrk-$STAMP.csv}"
LOOPSCOPE_BIN="$BUILD_DIR/app/loopscope-server"

# name|connections|path|extra header
CASES=(
    "1k-keepalive-c64|64|/1k.bin|"
    "1k-close-c64|64|/1k.bin|Connection: close"
    "256k-keepalive-c64|64|/256k.bin|"
    "1k-keepalive-c1000|1000|/1k.bin|"
)

if [[ -n "${CASES_MATCHING:-}" ]]; then
    selected=()
    for c in "${CASES[@]}"; do
        [[ "${c%%|*}" =~ $CASES_MATCHING ]] && selected+=("$c")
    done
    ((${#selected[@]})) || { printf 'run_wrk: no case matches %s\n' "$CASES_MATCHING" >&2; exit 1; }
    CASES=("${selected[@]}")
fi

log() { printf '%s\n' "run_wrk: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Processes we started, stopped by PID whatever happens.
STARTED_PIDS=()
TMP_DIR=""

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$TMP_DIR" && -d "$TMP_DIR" ]]; then
        rm -rf "$TMP_DIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to $2 seconds for process $1 to exit; returns non-zero if it is still there.
wait_gone() {
    local pid="$1" deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        # A zombie child counts as gone; `wait` below reaps it.
        [[ "$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]] || return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# Drops a PID from the clean-up list once it has been reaped, so a recycled PID is never hit.
forget_pid() {
    local pid="$1" kept=() p
    for p in "${STARTED_PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || kept+=("$p")
    done
    STARTED_PIDS=("${kept[@]}")
}

stop_pid() {
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 10; then
        log "process $pid ignored SIGTERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    forget_pid "$pid"
    return "$status"
}

# ---------------------------------------------------------------------------------------------
# Tools: installed only when absent.
ensure_tools() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v python3 >/dev/null || missing+=(python3)
    if ((${#missing[@]})); then
        [[ $EUID -eq 0 ]] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
        log "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    export PATH="$PATH:/usr/sbin"
}

# Enough descriptors for 1,000 wrk connections and 10,000 idle ones on both ends.
raise_fd_limit() {
    local want=$((IDLE_CONNECTIONS * 2 + 4096))
    ((want >= 65536)) || want=65536
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    local have
    have="$(ulimit -n)"
    if [[ "$have" != unlimited ]] && ((have < IDLE_CONNECTIONS + 1024)); then
        die "only $have file descriptors allowed; need $((IDLE_CONNECTIONS + 1024)) (run as root or lower IDLE_CONNECTIONS)"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts connections on the port, or the process dies.
wait_listening() {
    local pid="$1" port="$2" deadline=$((SECONDS + 15))
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# Fails unless GET path answers 200 with exactly `size` body bytes.
check_get() {
    local port="$1" path="$2" size="$3"
    python3 - "$port" "$path" "$size" <<'EOF'
import http.client, sys
port, path, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
c.request("GET", path)
r = c.getresponse()
body = r.read()
if r.status != 200 or len(body) != size:
    sys.exit(f"GET {path}: status {r.status}, {len(body)} bytes (expected 200, {size})")
EOF
}

# utime+stime of the whole process (all its threads), in clock ticks. The command name may
# contain spaces, so fields are counted after the closing parenthesis.
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

rss_kib() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# ---------------------------------------------------------------------------------------------
make_document_root() {
    DOC_ROOT="$TMP_DIR/root"
    mkdir -p "$DOC_ROOT"
    head -c 1024 /dev/urandom >"$DOC_ROOT/1k.bin"
    head -c $((256 * 1024)) /dev/urandom >"$DOC_ROOT/256k.bin"
    # nginx may drop privileges to read the files; the temp dir is private by default.
    chmod 755 "$TMP_DIR" "$DOC_ROOT"
    chmod 644 "$DOC_ROOT"/*.bin
}

# A minimal nginx: one process (master_process off) that is itself the single worker.
write_nginx_conf() {
    local port="$1" dir="$TMP_DIR/nginx"
    mkdir -p "$dir/client_body"
    local temp_paths="client_body_temp_path $dir/client_body;"
    local module
    for module in proxy fastcgi uwsgi scgi; do
        if ! nginx -V 2>&1 | grep -q -- "--without-http_${module}_module"; then
            mkdir -p "$dir/$module"
            temp_paths+=" ${module}_temp_path $dir/$module;"
        fi
    done
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections $((IDLE_CONNECTIONS + 2048));
    use epoll;
}
http {
    access_log off;
    $temp_paths
    default_type application/octet-stream;
    # sendfile as in any production nginx (and Debian's default nginx.conf); open_file_cache
    # because loopscope also caches hot small files, so neither pays open/fstat per request.
    sendfile ${NGINX_SENDFILE:-on};
    open_file_cache max=1000 inactive=60s;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$port;
        root $DOC_ROOT;
    }
}
EOF
    echo "$dir/nginx.conf"
}

# Starts one server pinned to SERVER_CPU; sets SERVER_PID and SERVER_PORT.
start_server() {
    local kind="$1"
    SERVER_PORT="$(free_port)"
    local out="$TMP_DIR/$kind.log"
    case "$kind" in
    nginx)
        local conf
        conf="$(write_nginx_conf "$SERVER_PORT")"
        taskset -c "$SERVER_CPU" nginx -p "$TMP_DIR/nginx/" -e "$TMP_DIR/nginx/error.log" \
            -c "$conf" >"$out" 2>&1 &
        ;;
    loopscope | loopscope-norec)
        local extra=()
        [[ "$kind" == loopscope-norec ]] && extra+=(--no-record)
        # --duration is only a safety net should this script be killed hard.
        local servers
        read -r -a servers <<<"$SERVERS"
        local lifetime=$((${#servers[@]} * ${#CASES[@]} * (RUNS * (DURATION + 3) + WARMUP + 3) + 600))
        taskset -c "$SERVER_CPU" "$LOOPSCOPE_BIN" --root "$DOC_ROOT" --port "$SERVER_PORT" \
            --duration "$lifetime" --keepalive-timeout 120 \
            --max-connections $((IDLE_CONNECTIONS + 2048)) "${extra[@]}" >"$out" 2>&1 &
        ;;
    *) die "unknown server '$kind'" ;;
    esac
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    if ! wait_listening "$SERVER_PID" "$SERVER_PORT"; then
        cat "$out" >&2 || true
        die "$kind did not start listening on port $SERVER_PORT"
    fi
    check_get "$SERVER_PORT" /1k.bin 1024 || die "$kind serves /1k.bin wrongly"
    check_get "$SERVER_PORT" /256k.bin $((256 * 1024)) || die "$kind serves /256k.bin wrongly"
    log "$kind: pid $SERVER_PID on 127.0.0.1:$SERVER_PORT (core $SERVER_CPU)"
}

stop_server() {
    local kind="$1" status=0
    stop_pid "$SERVER_PID" || status=$?
    ((status == 0)) || log "$kind exited with status $status"
    if [[ "$kind" == loopscope* ]]; then
        # loopscope reports what it recorded and dropped on exit.
        tail -n 1 "$TMP_DIR/$kind.log" | sed 's/^/    /' >&2 || true
    fi
}

# wrk prints this one machine-readable line from its done() hook.
write_wrk_script() {
    cat >"$TMP_DIR/report.lua" <<'EOF'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("WRKCSV %d,%d,%.0f,%.0f,%d,%d,%d,%d,%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
}

# Runs wrk once; prints "requests,duration_us,p50_us,p99_us,errors".
run_wrk() {
    local seconds="$1" connections="$2" path="$3" header="$4"
    local args=(-t1 -c"$connections" -d"${seconds}s" --latency -s "$TMP_DIR/report.lua")
    [[ -n "$header" ]] && args+=(-H "$header")
    local out
    out="$(taskset -c "$CLIENT_CPU" wrk "${args[@]}" "http://127.0.0.1:$SERVER_PORT$path")" ||
        die "wrk failed: $out"
    echo "$out" >>"$TMP_DIR/wrk-raw.log"
    local line
    line="$(grep '^WRKCSV ' <<<"$out" | tail -n 1 | cut -d' ' -f2)"
    [[ -n "$line" ]] || die "wrk printed no result line: $out"
    local req dur p50 p99 econn eread ewrite estatus etimeout
    IFS=, read -r req dur p50 p99 econn eread ewrite estatus etimeout <<<"$line"
    # Connection: close ends in reads of 0 bytes that wrk counts as read errors; status and
    # timeout errors are the ones that mean a server misbehaved.
    echo "$req,$dur,$p50,$p99,$((econn + eread + ewrite + estatus + etimeout)),$estatus"
}

declare -A PIDS=() PORTS=()

# Makes `kind` the server that run_wrk, cpu_ticks and rss_kib talk to.
use_server() {
    SERVER_PID="${PIDS[$1]}"
    SERVER_PORT="${PORTS[$1]}"
}

warm_up() {
    local spec="$1" name connections path header
    IFS='|' read -r name connections path header <<<"$spec"
    if ((WARMUP > 0)); then
        run_wrk "$WARMUP" "$connections" "$path" "$header" >/dev/null
    fi
}

# One measured wrk run against the current server, appended to the per-run CSV.
measure_run() {
    local kind="$1" spec="$2" run="$3" name connections path header before after result
    IFS='|' read -r name connections path header <<<"$spec"
    before="$(cpu_ticks "$SERVER_PID")"
    result="$(run_wrk "$DURATION" "$connections" "$path" "$header")"
    after="$(cpu_ticks "$SERVER_PID")"
    echo "$kind,$name,$connections,$run,$DURATION,$result,$((after - before)),$CLK_TCK" >>"$RUNS_CSV"
    log "$name run $run $kind: $(cut -d, -f1 <<<"$result") requests, $((after - before)) CPU ticks"
}

# All servers run side by side (each idle while another is measured), and their runs are
# interleaved, so a slow drift of the machine's load (it is shared) hits them all alike.
measure_throughput() {
    local kind spec run
    for kind in $SERVERS; do
        start_server "$kind"
        PIDS[$kind]="$SERVER_PID"
        PORTS[$kind]="$SERVER_PORT"
    done
    for spec in "${CASES[@]}"; do
        for kind in $SERVERS; do
            use_server "$kind"
            warm_up "$spec"
        done
        for ((run = 1; run <= RUNS; run++)); do
            for kind in $SERVERS; do
                use_server "$kind"
                measure_run "$kind" "$spec" "$run"
            done
        done
    done
    for kind in $SERVERS; do
        use_server "$kind"
        stop_server "$kind"
    done
}

# RSS per idle keep-alive connection; appends "kind,rss_before_kib,rss_after_kib,connections".
measure_idle_memory() {
    local kind="$1"
    sleep 0.5
    local before after pid ready_file="$TMP_DIR/idle-$kind.out" deadline
    before="$(rss_kib "$SERVER_PID")"
    taskset -c "$CLIENT_CPU" python3 "$SCRIPT_DIR/idle_connections.py" --port "$SERVER_PORT" \
        --count "$IDLE_CONNECTIONS" --path /1k.bin --hold 600 >"$ready_file" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    deadline=$((SECONDS + 180))
    until grep -qs '^READY' "$ready_file"; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            cat "$ready_file" >&2
            die "could not open $IDLE_CONNECTIONS idle connections to $kind"
        fi
        sleep 0.2
    done
    sleep 0.5 # let the server finish recording and settle
    after="$(rss_kib "$SERVER_PID")"
    stop_pid "$pid" || true
    echo "$kind,$before,$after,$IDLE_CONNECTIONS" >>"$MEM_CSV"
    log "$kind idle memory: VmRSS $before KiB -> $after KiB with $IDLE_CONNECTIONS connections"
}

# ---------------------------------------------------------------------------------------------
summarize() {
    python3 - "$RUNS_CSV" "$MEM_CSV" "$RESULTS" <<'EOF'
import csv, statistics, sys
runs_path, mem_path, out_path = sys.argv[1:4]
rows = list(csv.DictReader(open(runs_path)))
mem = {r["server"]: r for r in csv.DictReader(open(mem_path))}

def med(values):
    return statistics.median(values) if values else float("nan")

cases, servers, summary = [], [], {}
for r in rows:
    key = (r["server"], r["case"])
    if r["case"] not in cases: cases.append(r["case"])
    if r["server"] not in servers: servers.append(r["server"])
    req, dur = int(r["requests"]), int(r["duration_us"])
    s = summary.setdefault(key, {"rps": [], "p50": [], "p99": [], "cpu": [], "err": [], "status": [], "conns": r["connections"]})
    s["rps"].append(req / (dur / 1e6))
    s["p50"].append(float(r["p50_us"]))
    s["p99"].append(float(r["p99_us"]))
    s["cpu"].append(int(r["cpu_ticks"]) / int(r["clk_tck"]) * 1e6 / max(req, 1))
    s["err"].append(int(r["errors"]))
    s["status"].append(int(r["status_errors"]))

def rss_per_conn(server):
    m = mem.get(server)
    if not m: return None
    return (int(m["rss_after_kib"]) - int(m["rss_before_kib"])) * 1024 / int(m["connections"])

out = []
fields = ["server", "case", "connections", "runs", "requests_per_s", "p50_us", "p99_us",
          "cpu_us_per_request", "socket_errors", "status_errors", "rss_bytes_per_idle_conn"]
for (server, case), s in summary.items():
    rss = rss_per_conn(server)
    out.append({"server": server, "case": case, "connections": s["conns"], "runs": len(s["rps"]),
                "requests_per_s": round(med(s["rps"])), "p50_us": round(med(s["p50"])),
                "p99_us": round(med(s["p99"])), "cpu_us_per_request": round(med(s["cpu"]), 2),
                "socket_errors": max(s["err"]), "status_errors": max(s["status"]),
                "rss_bytes_per_idle_conn": "" if rss is None else round(rss)})
with open(out_path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    w.writerows(out)

lines = ["| case | server | req/s | p50 µs | p99 µs | server CPU µs/req | errors (socket/status) |",
         "|---|---|---:|---:|---:|---:|---:|"]
by_key = {(r["server"], r["case"]): r for r in out}
for case in cases:
    for server in servers:
        r = by_key.get((server, case))
        if r:
            lines.append(f"| {case} | {server} | {r['requests_per_s']:,} | {r['p50_us']:,} | {r['p99_us']:,} "
                         f"| {r['cpu_us_per_request']:.2f} | {r['socket_errors']}/{r['status_errors']} |")
if mem:
    lines += ["", "| server | idle keep-alive connections | VmRSS before KiB | VmRSS after KiB | bytes per connection |",
              "|---|---:|---:|---:|---:|"]
    for server in servers:
        m = mem.get(server)
        if m:
            lines.append(f"| {server} | {int(m['connections']):,} | {int(m['rss_before_kib']):,} "
                         f"| {int(m['rss_after_kib']):,} | {rss_per_conn(server):,.0f} |")
if "nginx" in servers:
    others = [s for s in servers if s != "nginx"]
    if others:
        lines += ["", "Ratios loopscope / nginx (req/s: higher is better; latency, CPU, memory: lower is better)", "",
                  "| case | server | req/s | p50 | p99 | CPU/req |", "|---|---|---:|---:|---:|---:|"]
        def ratio(a, b): return f"{a / b:.2f}" if b else "n/a"
        for case in cases:
            n = by_key.get(("nginx", case))
            for server in others:
                r = by_key.get((server, case))
                if n and r:
                    lines.append(f"| {case} | {server} | {ratio(r['requests_per_s'], n['requests_per_s'])} "
                                 f"| {ratio(r['p50_us'], n['p50_us'])} | {ratio(r['p99_us'], n['p99_us'])} "
                                 f"| {ratio(r['cpu_us_per_request'], n['cpu_us_per_request'])} |")
        n_rss = rss_per_conn("nginx")
        for server in others:
            r_rss = rss_per_conn(server)
            if n_rss and r_rss is not None:
                lines.append(f"\nIdle keep-alive memory per connection, {server} / nginx: {r_rss / n_rss:.2f}")
        if n_rss:
            lines.append("(nginx allocates its whole connection array, worker_connections entries, at start,"
                         " so part of its per-connection cost is in its 'before' figure.)")
table = "\n".join(lines)
print(table)
open(out_path[:-4] + ".md" if out_path.endswith(".csv") else out_path + ".md", "w").write(table + "\n")
EOF
}

main() {
    ensure_tools
    raise_fd_limit
    CLK_TCK="$(getconf CLK_TCK)"
    for kind in $SERVERS; do
        if [[ "$kind" == loopscope* && ! -x "$LOOPSCOPE_BIN" ]]; then
            die "$LOOPSCOPE_BIN not found: build it (cmake --build $BUILD_DIR --target loopscope-server), pass the build dir, or set SERVERS=nginx"
        fi
    done
    [[ "$(nproc)" -ge 2 ]] || log "warning: fewer than 2 cores; server and wrk will share one"

    TMP_DIR="$(mktemp -d /tmp/loopscope-wrk.XXXXXX)"
    make_document_root
    write_wrk_script
    mkdir -p "$(dirname "$RESULTS")"
    RUNS_CSV="${RESULTS%.csv}-runs.csv"
    MEM_CSV="$TMP_DIR/memory.csv"
    echo "server,case,connections,run,seconds,requests,duration_us,p50_us,p99_us,errors,status_errors,cpu_ticks,clk_tck" >"$RUNS_CSV"
    echo "server,rss_before_kib,rss_after_kib,connections" >"$MEM_CSV"
    log "$RUNS run(s) of ${DURATION}s per case; servers: $SERVERS; results: $RESULTS"

    measure_throughput
    # Memory is measured on a fresh server, so heap left over from the load runs is not reused
    # by the idle connections (which would understate their cost).
    local kind
    if ((IDLE_CONNECTIONS > 0)); then
        for kind in $SERVERS; do
            start_server "$kind"
            measure_idle_memory "$kind"
            stop_server "$kind"
        done
    fi
    echo
    summarize
    echo
    log "summary: $RESULTS; every run: $RUNS_CSV"
}

main "$@"
