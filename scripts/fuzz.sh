#!/usr/bin/env bash
# Fuzzes what a client's bytes reach (request parsing, target decoding, path resolution under the
# root, Range) with libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/fuzz.sh [SECONDS]   (default 1800: the 30-minute run; CI runs 60)
# Builds tests/fuzz/fuzz_http with clang in build-fuzz (installing clang if missing), seeds a
# corpus from tests/fuzz/corpus and, when present, ../shared/testdata (parser cases and traversal
# payloads turned into requests), and keeps what it learns in build-fuzz/corpus. A finding stops
# the run with the input saved as build-fuzz/crash-*; the script then exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-1800}
[[ $SECONDS_TO_RUN =~ ^[0-9]+$ ]] || { echo "fuzz.sh: the run time must be a whole number of seconds (got '$SECONDS_TO_RUN')." >&2; exit 2; }

need=()
for pkg in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
    echo "fuzz.sh: installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DLOOPSCOPE_FUZZ=ON -DLOOPSCOPE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_http

SEEDS=build-fuzz/seeds
mkdir -p "$SEEDS" build-fuzz/corpus
cp tests/fuzz/corpus/* "$SEEDS/"
python3 scripts/fuzz_seeds.py ../shared/testdata "$SEEDS"

echo "fuzz.sh: fuzzing for $SECONDS_TO_RUN s"
cd build-fuzz
exec ./tests/fuzz/fuzz_http -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 corpus seeds
