#!/usr/bin/env bash
# Sets up loopscope (scripts/setup.sh installs what is missing) and runs every check CI runs:
#   1. a 60-second libFuzzer smoke over request parsing, path resolution and Range (build-fuzz);
#   2. the ring, start/stop and server tests under ThreadSanitizer (build-tsan);
#   3. the whole QtTest suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan).
# CTest's summary of the whole suite is the last thing printed.
# QUICK=1 skips 1 and 2 and runs the whole suite in the plain build (./build) instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${QUICK:-0} == 1 ]]; then
    scripts/setup.sh
    cd build
    exec ctest --output-on-failure -j2 --timeout 600
fi

# Packages first (setup.sh also configures and builds; here it builds the sanitized tree).
export BUILD_DIR=build-asan CMAKE_ARGS="-DLOOPSCOPE_SANITIZE=ON -DLOOPSCOPE_BUILD_BENCHMARKS=OFF"

echo "== fuzz smoke (60 s)"
scripts/setup.sh --packages-only
scripts/fuzz.sh 60 2>&1 | tail -n 12

echo "== ThreadSanitizer: ring, merger, server start/stop, server events and models"
TSAN_TESTS=(tst_event_ring tst_record_merger tst_server_lifecycle tst_server_events tst_server_models)
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOPSCOPE_TSAN=ON \
    -DLOOPSCOPE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-tsan -j"$(nproc)" --target "${TSAN_TESTS[@]}"
tsan_regex="^($(IFS='|'; echo "${TSAN_TESTS[*]}"))\$"
(cd build-tsan && ctest --output-on-failure -j2 --timeout 900 -R "$tsan_regex")
# A TSan report does not fail a test by itself (halt_on_error=0 shows them all): fail on any.
if grep -rl "WARNING: ThreadSanitizer" build-tsan/Testing/Temporary/LastTest.log >/dev/null; then
    echo "test.sh: ThreadSanitizer reported a data race (see build-tsan/Testing/Temporary/LastTest.log)." >&2
    exit 1
fi

echo "== the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/setup.sh
cd build-asan
exec ctest --output-on-failure -j2 --timeout 900
