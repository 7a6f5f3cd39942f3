#!/usr/bin/env bash
# Sets up and builds loopscope (scripts/setup.sh), then runs the whole test suite with CTest.
# SANITIZE=1 builds into build-asan with AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${SANITIZE:-0} == 1 ]]; then
    export BUILD_DIR=build-asan CMAKE_ARGS="-DLOOPSCOPE_SANITIZE=ON -DLOOPSCOPE_BUILD_BENCHMARKS=OFF"
fi
scripts/setup.sh
cd "${BUILD_DIR:-build}"
exec ctest --output-on-failure -j2 --timeout 600
