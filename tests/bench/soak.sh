#!/usr/bin/env bash
# Soak test: runs loopscope-server under high load for MINUTES (default 30) and watches for leaks.
#
# Usage: tests/bench/soak.sh [MINUTES]
# Settings (environment):
#   BUILD_DIR=./build        where app/loopscope-server is
#   CSV=/tmp/loopscope-soak-<time>.csv   the samples (one every SAMPLE_SECONDS)
#   SAMPLE_SECONDS=10        sampling period
#   SETTLE_SECONDS=30        after the load stops: how long fds may take to return to the baseline
#   TRACE=                   a trace file to write on exit (e.g. /tmp/soak.json.gz); empty: the
#                            server records and drains its recording but writes nothing
#
# The server runs on an ephemeral loopback port with recording on. Three wrk processes drive it
# at once: keep-alive requests for a 1 KiB file (64 connections), Connection: close requests for
# the same file (16 connections) and keep-alive requests for a 4 MiB file (4 connections). Every
# SAMPLE_SECONDS the server's VmRSS (/proc/PID/status) and open fds (/proc/PID/fd) go to the CSV.
# At the end it prints first/last/max RSS and fd counts and exits non-zero if RSS grew by more
# than 10% after the first minute of load (max after that minute against the sample at it), or
# the fd count did not return to its baseline (before any load) once the load stopped.
# Every process the script starts is stopped by PID on exit.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

MINUTES="${1:-30}"
BUILD_DIR="${BUILD_DIR:-./build}"
SAMPLE_SECONDS="${SAMPLE_SECONDS:-10}"
SETTLE_SECONDS="${SETTLE_SECONDS:-30}"
CSV="${CSV:-/tmp/loopscope-soak-$(date +%Y%m%d-%H%M%S).csv}"
TRACE="${TRACE:-}"
SERVER_BIN="$BUILD_DIR/app/loopscope-server"

die() { printf 'soak: %s\n' "$*" >&2; exit 2; }

[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "MINUTES must be a number, not '$MINUTES'."
LOAD_SECONDS="$(awk -v m="$MINUTES" 'BEGIN { s = int(m * 60); print (s < 1 ? 1 : s) }')"
[[ -x "$SERVER_BIN" ]] || die "$SERVER_BIN is missing; build first (cmake --build $BUILD_DIR) or set BUILD_DIR."
if ! command -v wrk >/dev/null; then
    printf 'soak: installing wrk with apt-get\n'
    apt-get install -y wrk >/dev/null || die "wrk is missing and could not be installed (apt-get install wrk)."
fi

TMP_DIR="$(mktemp -d /tmp/loopscope-soak.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP_DIR"
}
trap cleanup EXIT

# The document root: a small and a large file.
ROOT="$TMP_DIR/root"
mkdir -p "$ROOT"
head -c 1024 /dev/urandom >"$ROOT/1k.bin"
head -c $((4 << 20)) /dev/urandom >"$ROOT/4m.bin"

# Start the server on port 0 and read the port it picked from its first line.
server_args=(--root "$ROOT" --port 0)
[[ -n "$TRACE" ]] && server_args+=(--trace "$TRACE")
"$SERVER_BIN" "${server_args[@]}" >"$TMP_DIR/server.out" 2>"$TMP_DIR/server.err" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
PORT=""
for _ in $(seq 100); do
    PORT="$(sed -n 's|.*at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$TMP_DIR/server.out" | head -1)"
    [[ -n "$PORT" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(cat "$TMP_DIR/server.err")"
    sleep 0.1
done
[[ -n "$PORT" ]] || die "the server did not report its port: $(cat "$TMP_DIR/server.out" "$TMP_DIR/server.err")"
URL="http://127.0.0.1:$PORT"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fd_count() { ls "/proc/$SERVER_PID/fd" | wc -l; }

START=$SECONDS
echo "elapsed_s,phase,rss_kib,fds" >"$CSV"
sample() { # phase
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the soak (see $CSV)."
    echo "$((SECONDS - START)),$1,$(rss_kib),$(fd_count)" >>"$CSV"
}

sleep 1
sample baseline
BASE_FDS="$(fd_count)"
printf 'soak: %s on %s for %s s of load (%s minutes); samples in %s\n' \
    "$SERVER_BIN" "$URL" "$LOAD_SECONDS" "$MINUTES" "$CSV"

LOAD_START=$SECONDS
wrk -t1 -c64 -d"${LOAD_SECONDS}s" "$URL/1k.bin" >"$TMP_DIR/wrk-keepalive.txt" 2>&1 &
PIDS+=($!)
WRK_PIDS=($!)
wrk -t1 -c16 -d"${LOAD_SECONDS}s" -H "Connection: close" "$URL/1k.bin" >"$TMP_DIR/wrk-close.txt" 2>&1 &
PIDS+=($!)
WRK_PIDS+=($!)
wrk -t1 -c4 -d"${LOAD_SECONDS}s" "$URL/4m.bin" >"$TMP_DIR/wrk-large.txt" 2>&1 &
PIDS+=($!)
WRK_PIDS+=($!)

# Sample under load until every wrk has finished.
REF_RSS=""
while :; do
    running=0
    for pid in "${WRK_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && running=1
    done
    ((running)) || break
    sleep "$SAMPLE_SECONDS"
    sample load
    if [[ -z "$REF_RSS" && $((SECONDS - LOAD_START)) -ge 60 ]]; then
        REF_RSS="$(rss_kib)"
    fi
done
for pid in "${WRK_PIDS[@]}"; do wait "$pid" || true; done

# Load stopped: keep-alive connections time out; fds must come back to the baseline.
SETTLE_END=$((SECONDS + SETTLE_SECONDS))
while (($(fd_count) > BASE_FDS && SECONDS < SETTLE_END)); do
    sleep 1
done
sample after
END_FDS="$(fd_count)"

for kind in keepalive close large; do
    printf 'wrk %-9s: %s; %s\n' "$kind" \
        "$(grep -m1 'requests in' "$TMP_DIR/wrk-$kind.txt" | sed 's/^ *//')" \
        "$(grep -m1 -E 'Socket errors|Non-2xx' "$TMP_DIR/wrk-$kind.txt" | sed 's/^ *//' || echo 'no errors')"
done

# Summary from the CSV.
read -r FIRST_RSS LAST_RSS MAX_RSS FIRST_FDS LAST_FDS MAX_FDS MAX_RSS_AFTER_1MIN < <(awk -F, -v ls="$((LOAD_START - START))" '
    NR == 2 { frss = $3; ffd = $4 }
    NR > 1 { lrss = $3; lfd = $4; if ($3 > mrss) mrss = $3; if ($4 > mfd) mfd = $4
             if ($2 != "baseline" && $1 - ls > 60 && $3 > m1) m1 = $3 }
    END { print frss, lrss, mrss, ffd, lfd, mfd, (m1 == "" ? 0 : m1) }' "$CSV")
printf 'RSS KiB: first %s, last %s, max %s' "$FIRST_RSS" "$LAST_RSS" "$MAX_RSS"
[[ -n "$REF_RSS" ]] && printf ' (at 1 min of load %s, max after it %s)' "$REF_RSS" "$MAX_RSS_AFTER_1MIN"
printf '\nfds: first %s, last %s, max %s (baseline %s)\n' "$FIRST_FDS" "$LAST_FDS" "$MAX_FDS" "$BASE_FDS"

status=0
if [[ -n "$REF_RSS" ]] && ((MAX_RSS_AFTER_1MIN * 10 > REF_RSS * 11)); then
    printf 'soak: FAIL: RSS grew by more than 10%% after the first minute (%s -> %s KiB)\n' \
        "$REF_RSS" "$MAX_RSS_AFTER_1MIN"
    status=1
fi
if ((END_FDS > BASE_FDS)); then
    printf 'soak: FAIL: %s fds open %s s after the load stopped, baseline %s\n' \
        "$END_FDS" "$SETTLE_SECONDS" "$BASE_FDS"
    status=1
fi
[[ -z "$REF_RSS" ]] && printf 'soak: the load ran under a minute: RSS growth not judged\n'

# Stop the server (it writes its trace, if any) and show its own summary.
kill -INT "$SERVER_PID"
wait "$SERVER_PID" || { printf 'soak: FAIL: the server exited with an error: %s\n' "$(cat "$TMP_DIR/server.err")"; status=1; }
PIDS=()
tail -1 "$TMP_DIR/server.out"
((status == 0)) && printf 'soak: PASS\n'
exit "$status"
