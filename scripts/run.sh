#!/usr/bin/env bash
# Sets up and builds loopscope (scripts/setup.sh), then serves the bundled demo site with the
# headless server, recording to loopscope-trace.json until Ctrl+C. Extra arguments go to
# loopscope-server (see: build/app/loopscope-server --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/app/loopscope-server --root resources/demo-site --trace loopscope-trace.json "$@"
