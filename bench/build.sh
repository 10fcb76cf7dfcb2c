#!/usr/bin/env bash
# bench/build.sh: builds the library and every benchmark server in release mode.
#
#   bash bench/build.sh [BUILD_DIR]      (default build/bench)
#
# cargo build --release --lib (libbun_tcp.a), then CMake (Release) into BUILD_DIR and its target
# bench_programs (cmake/bench.cmake: ping_server, bench_{http,epoll,libuv}_server, ...).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build/bench}
JOBS=${JOBS:-$(nproc)}
export PATH="$HOME/.cargo/bin:$PATH"
echo "[bench] cargo build --release --lib" >&2
(cd "$ROOT" && cargo build --release --lib -j "$JOBS")
echo "[bench] cmake (Release) -> $BUILD" >&2
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUN_TCP_SANITIZE= >/dev/null
cmake --build "$BUILD" --target bench_programs -j "$JOBS" >/dev/null
