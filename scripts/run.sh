#!/usr/bin/env bash
# Sets up and builds loopscope (scripts/setup.sh), then opens the window serving the bundled
# demo site (press Start, or it starts at once: --autostart). Extra arguments go to the window
# (see: build/app/loopscope --help). Without a display it says so and serves the demo site with
# the headless server instead, recording to loopscope-trace.json until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
    exec build/app/loopscope --root resources/demo-site --autostart "$@"
fi
echo "run: no display here (DISPLAY is not set), so serving the demo site headless; for the window, run 'xvfb-run -a build/app/loopscope' or use a desktop session." >&2
exec build/app/loopscope-server --root resources/demo-site --trace loopscope-trace.json
