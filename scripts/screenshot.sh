#!/usr/bin/env bash
# Regenerates the README's screenshot: the window under load, in a virtual X display.
# Needs a build (scripts/setup.sh) plus xvfb and wrk (installed here if missing).
# Usage: scripts/screenshot.sh [OUTPUT.png]   (default docs/screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshot.png}
mkdir -p "$(dirname "$OUT")"
for tool in xvfb-run wrk; do
    command -v "$tool" >/dev/null || { apt-get install -y -qq --no-install-recommends xvfb xauth wrk >/dev/null; break; }
done
PORT=${PORT:-18321}
# The window runs 8 s, then saves itself; meanwhile wrk keeps 50 connections busy, with some
# big-file downloads and fresh connections so every state shows.
xvfb-run -a -s "-screen 0 1600x1000x24" build/app/loopscope --autostart --port "$PORT" \
    --screenshot "$OUT" --screenshot-delay 8 &
APP=$!
trap 'kill $APP 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
wrk -t1 -c40 -d6s "http://127.0.0.1:$PORT/" >/dev/null &
WRK1=$!
wrk -t1 -c4 -d6s "http://127.0.0.1:$PORT/files/large-4MiB.txt" >/dev/null &
WRK2=$!
for _ in $(seq 30); do curl -s -o /dev/null -H 'Connection: close' "http://127.0.0.1:$PORT/guide/"; curl -s -o /dev/null "http://127.0.0.1:$PORT/missing"; sleep 0.15; done
wait $WRK1 $WRK2 || true
wait $APP
trap - EXIT
echo "screenshot: $OUT"
