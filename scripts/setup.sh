#!/usr/bin/env bash
# Installs what loopscope needs to build, test and run (Debian 12, as root), then configures and
# builds it in ./build ($BUILD_DIR). Safe to run again: it installs only what is missing.
# --packages-only: install, do not build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the build, the tests and the bundled scripts use, including the build tools
# themselves: a fresh Debian 12 has no compiler, cmake, make or ninja.
PACKAGES=(
    g++ cmake ninja-build make pkg-config
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-qpa-plugins libgl-dev
    node-llhttp zlib1g-dev libbenchmark-dev
    fonts-dejavu-core python3 curl procps
    clang libclang-rt-14-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: these packages are missing: ${missing[*]}; run this script as root (or install them with apt-get)." >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[[ ${1:-} == --packages-only ]] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j"$(nproc)"
