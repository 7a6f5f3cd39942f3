#!/usr/bin/env bash
# Regenerates the README's screenshot: the window running its built-in Demo traffic, in a virtual
# X display, with default settings (a throw-away settings folder, so your layout is not used).
# Needs a build (scripts/setup.sh) plus xvfb (installed here if missing).
# Usage: scripts/screenshot.sh [OUTPUT.png]   (default docs/screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshot.png}
mkdir -p "$(dirname "$OUT")"
command -v xvfb-run >/dev/null || apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
PORT=${PORT:-18321}
SETTINGS=$(mktemp -d)
trap 'rm -rf "$SETTINGS"' EXIT
# The Demo's phases: steady keep-alive, a burst, slow clients joining (at about 13 s), then a new
# connection per request. The picture is taken during the slow clients.
XDG_CONFIG_HOME="$SETTINGS" xvfb-run -a -s "-screen 0 1600x1000x24" build/app/loopscope --demo --port "$PORT" \
    --screenshot "$OUT" --screenshot-delay "${DELAY:-15}"
echo "screenshot: $OUT"
