# shellcheck shell=bash
# Shared by tests/bench/run and tests/bench/scaling (sourced, not run): clean-up of every
# process they start, tool installation, the file-descriptor limit, the document root, each
# server's config and start/stop, wrk runs with the server's CPU time, and the PNG charts.
#
# The sourcing script sets, before calling these functions: BUILD_DIR, SERVERS, DURATION,
# WARMUP, SERVER_CPU, CLIENT_CPU, CPU_CAP (empty: no cap), MAX_CONNECTIONS (the most
# connections any run opens), SERVER_LIFETIME (seconds loopscope-server may live at most, a
# safety net), FILES (the document root's "name:bytes" entries) and RESULTS (the summary CSV).
# prepare_bench sets the rest (TMP_DIR, DOC_ROOT, RUNS_CSV, RAW_LOG, CLK_TCK, ...).
# shellcheck disable=SC2034 # globals set here (MEASURED, RUNS_CSV, CLK_TCK) are read by the sourcing script

KNOWN_SERVERS="nginx nginx-ofc lighttpd h2o loopscope loopscope-norec loopscope-nodefer"

# Messages carry the name of the script that sourced this file (run or scaling).
log() { printf '%s\n' "${0##*/}: $*" >&2; }
die() { log "$*"; exit 1; }

# --help: the sourcing script's comment header, up to its `set -euo` line.
print_help() {
    sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'
}

# Settings are checked before anything starts, so a typo costs one sentence, not a half run.
# $1 = the setting's name, $2 = the least value allowed, then the values to check.
require_whole_numbers() {
    local name="$1" least="$2" value
    shift 2
    (($#)) || die "$name is empty; give at least one whole number"
    for value in "$@"; do
        if [[ ! "$value" =~ ^[0-9]+$ ]] || ((10#$value < least)); then
            die "$name: '$value' is not a whole number of at least $least"
        fi
    done
}

check_servers() {
    local kind
    [[ -n "${SERVERS// /}" ]] || die "SERVERS is empty; name at least one of: $KNOWN_SERVERS"
    for kind in $SERVERS; do
        [[ " $KNOWN_SERVERS " == *" $kind "* ]] || die "unknown server '$kind' in SERVERS; known: $KNOWN_SERVERS"
    done
}

# ---------------------------------------------------------------------------------------------
# Processes we started, stopped by PID whatever happens.
STARTED_PIDS=()
TMP_DIR=""
CAP_CGROUP="" # a cgroup directory this script made for the CPU cap, removed on exit

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
    if [[ -n "$CAP_CGROUP" && -d "$CAP_CGROUP" ]]; then
        rmdir "$CAP_CGROUP" 2>/dev/null || log "could not remove cgroup $CAP_CGROUP"
    fi
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
# Tools: installed only when absent. h2o is optional: a distribution without it drops it.
wants() { [[ " $SERVERS " == *" $1 "* ]]; }

ensure_tools() {
    export PATH="$PATH:/usr/sbin:/sbin"
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    if wants nginx || wants nginx-ofc; then
        command -v nginx >/dev/null || missing+=(nginx-light)
    fi
    if wants lighttpd; then command -v lighttpd >/dev/null || missing+=(lighttpd); fi
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v python3 >/dev/null || missing+=(python3)
    if wants h2o && ! command -v h2o >/dev/null; then
        if [[ -n "$(apt-cache policy h2o 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}')" ]]; then
            missing+=(h2o)
        else
            log "h2o: no apt package on this system; skipping it"
            SERVERS="$(tr ' ' '\n' <<<"$SERVERS" | grep -vx h2o | tr '\n' ' ')"
        fi
    fi
    if ((${#missing[@]})); then
        [[ $EUID -eq 0 ]] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
        log "installing ${missing[*]}"
        apt-get update -qq
        # The packages' own services are not wanted (we start each server by hand); where no
        # policy-rc.d forbids it, Debian starts them on install, so stop those again.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        local service
        for service in nginx lighttpd h2o; do
            if [[ " ${missing[*]} " == *" $service"* ]] && command -v service >/dev/null; then
                service "$service" stop >/dev/null 2>&1 || true
            fi
        done
    fi
}

# Enough descriptors for 10,000 connections in this shell and so in every server and wrk it
# starts (the limit is per process: the server and wrk each hold one end of every connection).
raise_fd_limit() {
    local want=$((SERVER_CONNECTIONS + 4096)) need=$((MAX_CONNECTIONS + 1024))
    ((want >= 65536)) || want=65536
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    local have
    have="$(ulimit -n)"
    if [[ "$have" != unlimited ]] && ((have < need)); then
        die "only $have file descriptors allowed; need $need (run as root, or skip the 10,000-connection case and lower IDLE_CONNECTIONS)"
    fi
    log "file descriptors per process: $have"
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
# The CPU cap: a transient systemd scope where systemd runs, else a cgroup this script makes
# (v2 cpu.max, or v1 cpu.cfs_quota_us). CAP_PREFIX is the command prefix that starts a server
# inside it; the server's PID stays the one `$!` reports (systemd-run --scope and sh exec).
CAP_PREFIX=()

setup_cpu_cap() {
    [[ -n "$CPU_CAP" ]] || return 0
    [[ "$CPU_CAP" =~ ^[0-9]+$ ]] && ((CPU_CAP > 0)) || die "CPU_CAP must be a whole percentage, e.g. 50"
    local quota=$((CPU_CAP * 1000)) period=100000 mount
    if [[ -d /run/systemd/system ]] && command -v systemd-run >/dev/null &&
        systemd-run --scope --quiet -p CPUQuota="$CPU_CAP%" true 2>/dev/null; then
        CAP_PREFIX=(systemd-run --scope --quiet -p "CPUQuota=$CPU_CAP%" --)
        log "CPU cap $CPU_CAP%: systemd-run --scope -p CPUQuota=$CPU_CAP%"
        return 0
    fi
    mount="$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)"
    if [[ -n "$mount" ]] && grep -qw cpu "$mount/cgroup.controllers" 2>/dev/null; then
        grep -qw cpu "$mount/cgroup.subtree_control" 2>/dev/null ||
            echo +cpu >"$mount/cgroup.subtree_control" 2>/dev/null || true
        if mkdir "$mount/loopscope-bench-$$" 2>/dev/null; then
            CAP_CGROUP="$mount/loopscope-bench-$$"
            if echo "$quota $period" >"$CAP_CGROUP/cpu.max" 2>/dev/null; then
                CAP_PREFIX=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CAP_CGROUP")
                log "CPU cap $CPU_CAP%: cgroup v2 $CAP_CGROUP (cpu.max $quota $period)"
                return 0
            fi
            rmdir "$CAP_CGROUP"
            CAP_CGROUP=""
        fi
    fi
    mount="$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ {print $2; exit}' /proc/mounts)"
    if [[ -n "$mount" ]] && mkdir "$mount/loopscope-bench-$$" 2>/dev/null; then
        CAP_CGROUP="$mount/loopscope-bench-$$"
        if echo "$period" >"$CAP_CGROUP/cpu.cfs_period_us" 2>/dev/null &&
            echo "$quota" >"$CAP_CGROUP/cpu.cfs_quota_us" 2>/dev/null; then
            CAP_PREFIX=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CAP_CGROUP")
            log "CPU cap $CPU_CAP%: cgroup v1 $CAP_CGROUP (cfs_quota_us $quota of $period)"
            return 0
        fi
        rmdir "$CAP_CGROUP"
        CAP_CGROUP=""
    fi
    log "CPU cap unavailable (no systemd, no writable cgroup with the cpu controller); skipping the capped column"
    CPU_CAP=""
}

# ---------------------------------------------------------------------------------------------
FILES=("1k.bin:1024" "256k.bin:$((256 * 1024))" "4m.bin:$((4 * 1024 * 1024))")

make_document_root() {
    DOC_ROOT="$TMP_DIR/root"
    mkdir -p "$DOC_ROOT"
    local file
    for file in "${FILES[@]}"; do
        head -c "${file#*:}" /dev/urandom >"$DOC_ROOT/${file%%:*}"
    done
    # Servers may drop privileges (h2o to nobody) to read the files; the temp dir is private
    # by default.
    chmod 755 "$TMP_DIR" "$DOC_ROOT"
    chmod 644 "$DOC_ROOT"/*.bin
}

# A minimal nginx: one process (master_process off) that is itself the single worker.
# $2 = on: with open_file_cache (open fds, sizes and stat results kept across requests).
write_nginx_conf() {
    local port="$1" file_cache="$2" dir="$TMP_DIR/nginx-$1"
    mkdir -p "$dir/client_body"
    local temp_paths="client_body_temp_path $dir/client_body;"
    local module
    for module in proxy fastcgi uwsgi scgi; do
        if ! nginx -V 2>&1 | grep -q -- "--without-http_${module}_module"; then
            mkdir -p "$dir/$module"
            temp_paths+=" ${module}_temp_path $dir/$module;"
        fi
    done
    local cache_line="open_file_cache off;"
    [[ "$file_cache" == on ]] && cache_line="open_file_cache max=1000 inactive=60s;"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections $SERVER_CONNECTIONS;
    use epoll;
}
http {
    access_log off;
    $temp_paths
    default_type application/octet-stream;
    # sendfile as in any production nginx (and Debian's default nginx.conf).
    sendfile ${NGINX_SENDFILE:-on};
    $cache_line
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$port backlog=4096;
        root $DOC_ROOT;
    }
}
EOF
    echo "$dir/nginx.conf"
}

# lighttpd runs as one process by default (server.max-worker 0); stat cache on (its default).
write_lighttpd_conf() {
    local port="$1" dir="$TMP_DIR/lighttpd-$1"
    mkdir -p "$dir"
    cat >"$dir/lighttpd.conf" <<EOF
server.document-root = "$DOC_ROOT"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$dir/error.log"
server.max-fds = $(ulimit -n)
server.max-connections = $SERVER_CONNECTIONS
server.listen-backlog = 4096
server.max-keep-alive-requests = 65535
server.max-keep-alive-idle = 120
server.stat-cache-engine = "simple"
mimetype.assign = ( "" => "application/octet-stream" )
EOF
    echo "$dir/lighttpd.conf"
}

# h2o 2.2 keeps an open-file cache per thread (always on: twice
# http2-max-concurrent-requests-per-connection entries, purged once per loop iteration).
write_h2o_conf() {
    local port="$1" dir="$TMP_DIR/h2o-$1"
    mkdir -p "$dir"
    cat >"$dir/h2o.conf" <<EOF
num-threads: 1
max-connections: $SERVER_CONNECTIONS
http1-request-timeout: 120
error-log: $dir/error.log
user: nobody
listen:
  host: 127.0.0.1
  port: $port
hosts:
  "127.0.0.1:$port":
    paths:
      /:
        file.dir: $DOC_ROOT
EOF
    echo "$dir/h2o.conf"
}

# The command line that runs `kind` in the foreground on SERVER_PORT, one word per line.
server_command() {
    local kind="$1" conf
    case "$kind" in
    nginx | nginx-ofc)
        local cache=off
        [[ "$kind" == nginx-ofc ]] && cache=on
        conf="$(write_nginx_conf "$SERVER_PORT" "$cache")"
        printf '%s\n' nginx -p "$(dirname "$conf")/" -e "$(dirname "$conf")/error.log" -c "$conf"
        ;;
    lighttpd)
        conf="$(write_lighttpd_conf "$SERVER_PORT")"
        printf '%s\n' lighttpd -D -f "$conf"
        ;;
    h2o)
        conf="$(write_h2o_conf "$SERVER_PORT")"
        printf '%s\n' h2o -m worker -c "$conf"
        ;;
    loopscope | loopscope-norec | loopscope-nodefer)
        # --duration is only a safety net should this script be killed hard.
        printf '%s\n' "$LOOPSCOPE_BIN" --root "$DOC_ROOT" --port "$SERVER_PORT" \
            --duration "$SERVER_LIFETIME" --keepalive-timeout 120 --max-connections "$SERVER_CONNECTIONS"
        [[ "$kind" == loopscope-norec ]] && echo --no-record
        [[ "$kind" == loopscope-nodefer ]] && echo --no-defer-accept
        # Extra options, e.g. LOOPSCOPE_ARGS=--no-file-cache for a what-if run.
        local extra
        for extra in ${LOOPSCOPE_ARGS:-}; do echo "$extra"; done
        ;;
    *) die "unknown server '$kind'" ;;
    esac
}

# A command the next servers run under (tests/bench/phases: valgrind), inside the CPU cap and
# outside taskset; empty for a plain run.
SERVER_WRAPPER=()

# Starts one server pinned to SERVER_CPU, capped if $2 is "capped", under SERVER_WRAPPER; sets
# SERVER_PID and SERVER_PORT.
start_server() {
    local kind="$1" cap="${2:-none}"
    SERVER_PORT="$(free_port)"
    local out="$TMP_DIR/$kind-$SERVER_PORT.log" command=() prefix=()
    mapfile -t command < <(server_command "$kind")
    [[ "$cap" == none ]] || prefix=("${CAP_PREFIX[@]}")
    prefix+=("${SERVER_WRAPPER[@]}")
    "${prefix[@]}" taskset -c "$SERVER_CPU" "${command[@]}" >"$out" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    if ! wait_listening "$SERVER_PID" "$SERVER_PORT"; then
        cat "$out" "$TMP_DIR"/*-"$SERVER_PORT"/error.log >&2 2>/dev/null || true
        die "$kind did not start listening on port $SERVER_PORT"
    fi
    local file
    for file in "${FILES[@]}"; do
        check_get "$SERVER_PORT" "/${file%%:*}" "${file#*:}" || die "$kind serves /${file%%:*} wrongly"
    done
    SERVER_LOG="$out"
    log "$kind: pid $SERVER_PID on 127.0.0.1:$SERVER_PORT (core $SERVER_CPU, cap $cap${SERVER_WRAPPER[0]:+, under ${SERVER_WRAPPER[0]}})"
}

stop_server() {
    local kind="$1" status=0
    stop_pid "$SERVER_PID" || status=$?
    # nginx with master_process off exits on SIGTERM with status 0; h2o and lighttpd too.
    ((status == 0)) || log "$kind exited with status $status"
    if [[ "$kind" == loopscope* ]]; then
        # loopscope reports what it recorded and dropped on exit.
        tail -n 1 "$SERVER_LOG" | sed 's/^/    /' >&2 || true
    fi
}

# wrk prints this one machine-readable line from its done() hook; the percentiles come from
# the same histogram as its --latency table (kept in wrk-raw.log beside the results).
write_wrk_script() {
    cat >"$TMP_DIR/report.lua" <<'EOF'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("WRKCSV %d,%d,%d,%.0f,%.0f,%d,%d,%d,%d,%d\n",
        summary.requests, summary.duration, summary.bytes, latency:percentile(50),
        latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
}

# Runs wrk once; prints "requests,duration_us,bytes,p50_us,p99_us,errors,status_errors".
run_wrk() {
    local seconds="$1" connections="$2" path="$3" header="$4"
    local args=(-t1 -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$TMP_DIR/report.lua")
    [[ -n "$header" ]] && args+=(-H "$header")
    local out
    out="$(taskset -c "$CLIENT_CPU" wrk "${args[@]}" "http://127.0.0.1:$SERVER_PORT$path")" ||
        die "wrk failed: $out"
    echo "$out" >>"$RAW_LOG"
    local line
    line="$(grep '^WRKCSV ' <<<"$out" | tail -n 1 | cut -d' ' -f2)"
    [[ -n "$line" ]] || die "wrk printed no result line: $out"
    local req dur bytes p50 p99 econn eread ewrite estatus etimeout
    IFS=, read -r req dur bytes p50 p99 econn eread ewrite estatus etimeout <<<"$line"
    # Connection: close ends in reads of 0 bytes that wrk counts as read errors; status and
    # timeout errors are the ones that mean a server misbehaved.
    echo "$req,$dur,$bytes,$p50,$p99,$((econn + eread + ewrite + estatus + etimeout)),$estatus"
}


# Unmeasured wrk before a measured run, so that a server's first requests (its caches filling,
# its pages being touched) are not counted.
warm_up() {
    local label="$1" connections="$2" path="$3" header="$4"
    ((WARMUP > 0)) || return 0
    echo "== warm-up $label" >>"$RAW_LOG"
    run_wrk "$WARMUP" "$connections" "$path" "$header" >/dev/null
}

# One measured wrk run against the current server. Sets MEASURED to run_wrk's fields followed
# by the server's CPU ticks over the run; not meant for $(...), so that callers can start
# helpers around it whose PIDs the clean-up knows.
measure_wrk() {
    local label="$1" connections="$2" path="$3" header="$4" before after result
    echo "== $label" >>"$RAW_LOG"
    before="$(cpu_ticks "$SERVER_PID")"
    result="$(run_wrk "$DURATION" "$connections" "$path" "$header")"
    after="$(cpu_ticks "$SERVER_PID")"
    MEASURED="$result,$((after - before))"
    log "$label: ${result%%,*} requests, $((after - before)) CPU ticks"
    # 10,000 connections take wrk a while to open on a loaded machine: a short run may end
    # before any request completes. Such a run has no CPU per request (the summary shows –).
    [[ "${result%%,*}" != 0 ]] || log "warning: no request completed in $label; try a longer DURATION"
}

# ---------------------------------------------------------------------------------------------
# Everything a measurement needs before its first server starts: tools, descriptors, the
# document root, the wrk report script, and the results' paths (RUNS_CSV, RAW_LOG).
prepare_bench() {
    LOOPSCOPE_BIN="$BUILD_DIR/app/loopscope-server"
    CHART_BIN="$BUILD_DIR/tests/bench/bench_chart"
    # Headroom over the busiest run, so that no server refuses a connection wrk opens.
    SERVER_CONNECTIONS=$((MAX_CONNECTIONS + 2048))
    ensure_tools
    raise_fd_limit
    CLK_TCK="$(getconf CLK_TCK)"
    local kind
    for kind in $SERVERS; do
        if [[ "$kind" == loopscope* && ! -x "$LOOPSCOPE_BIN" ]]; then
            die "$LOOPSCOPE_BIN not found: build it (cmake --build $BUILD_DIR --target loopscope-server), pass the build dir, or leave loopscope out of SERVERS"
        fi
    done
    [[ "$(nproc)" -ge 2 ]] || log "warning: fewer than 2 cores; server and wrk will share one"

    TMP_DIR="$(mktemp -d /tmp/loopscope-bench.XXXXXX)"
    make_document_root
    write_wrk_script
    mkdir -p "$(dirname "$RESULTS")"
    RUNS_CSV="${RESULTS%.csv}-runs.csv"
    RAW_LOG="${RESULTS%.csv}-wrk.log"
    : >"$RAW_LOG"
}

# Draws one PNG from a summary CSV with bench_chart (offscreen); bench_chart's own arguments
# follow the two paths. A missing bench_chart only costs the picture, not the figures.
render_chart() {
    local csv="$1" png="$2"
    shift 2
    if [[ ! -x "$CHART_BIN" ]]; then
        log "no chart: $CHART_BIN not built (cmake --build $BUILD_DIR --target bench_chart)"
        return 0
    fi
    [[ -d "$TMP_DIR/xdg" ]] || mkdir -m 700 "$TMP_DIR/xdg"
    QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$TMP_DIR/xdg" "$CHART_BIN" "$csv" "$png" "$@" &&
        log "chart: $png"
}
