#!/usr/bin/env bash
# ctest "zig_host": runs `zig build test` in bindings/zig (the package) against CMake's
# libbun_tcp.a, then `zig build run` in bindings/zig/example, a project that depends on the package
# by path and so builds libbun_tcp.a through cargo (a no-op when CMake already built it).
# Zig comes from PyPI's ziglang package (pinned below), installed once into the build tree.
# usage: run_test.sh <build dir> <libbun_tcp.a> <include dir>   (env CARGO: cargo executable)
set -euo pipefail
BUILD=$1 STATIC_LIB=$2 INCLUDE_DIR=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ZIG_VERSION=0.15.2
ZIG_HOME=$BUILD/ziglang

PYTHON=${PYTHON:-python3}
zig() { PYTHONPATH=$ZIG_HOME "$PYTHON" -m ziglang "$@"; }

if [ "$(zig version 2>/dev/null)" != "$ZIG_VERSION" ]; then
  echo "installing ziglang==$ZIG_VERSION into $ZIG_HOME"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --upgrade --target "$ZIG_HOME" "ziglang==$ZIG_VERSION"
fi
echo "zig $(zig version)"

# Zig writes its caches next to the build, never into the source tree or $HOME.
export ZIG_GLOBAL_CACHE_DIR=$BUILD/zig-cache/global ZIG_LOCAL_CACHE_DIR=$BUILD/zig-cache/local
cd "$HERE"
zig build test --summary all -Dstatic-lib="$STATIC_LIB" -Dinclude-dir="$INCLUDE_DIR"

cd "$HERE/example"
out=$(zig build run -Dcargo="${CARGO:-cargo}" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -qx 'bun_tcp [0-9.]*: echoed "hello from zig", 2 closes, 3 timer ticks' <<< "$out"
