#!/usr/bin/env bash
# scripts/test.sh: run every test.
#   1. cargo fmt --check, cargo clippy -D warnings, cargo test --release (Rust unit + integration
#      tests; checks the committed header)
#   2. CMake build + ctest           (C test programs, examples, install tree, bench smoke, and the
#                                     conformance suite against Bun 1.4.4: tests/conformance)
#   3. the C tests and the conformance suite again under ASan + UBSan (skip with BUN_TCP_ASAN=0)
# Installs the tools the tests need from apt if missing (cmake, g++, socat, redis-tools, openssl,
# pkg-config, libuv1-dev, curl, systemd (systemd-socket-activate), python3, python3-venv, doxygen; for the benchmark's smoke run redis-server, nginx, wrk, iperf3,
# valgrind), Bun 1.4.4 (npm package) as a test peer, and, inside its test, Zig from PyPI.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
step() { echo; echo "==> $*"; }
# Every stage runs even when an earlier one failed, so one run shows every failure; the exit
# status is non-zero if any stage failed.
FAILED=()
stage() { local name=$1; shift; if ! "$@"; then FAILED+=("$name"); echo "!! stage failed: $name"; fi; }

# ---- tools ---------------------------------------------------------------------------------
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v cc >/dev/null || missing+=(build-essential)
command -v socat >/dev/null || missing+=(socat)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v openssl >/dev/null || missing+=(openssl)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v c++ >/dev/null || missing+=(g++)                   # include/bun_tcp.hpp tests
[ -e /usr/include/uv.h ] || missing+=(libuv1-dev)              # uv_poll host, bench libuv server, timer bench
command -v curl >/dev/null || missing+=(curl)                  # HTTP example test
# The benchmark's smoke run (every contender, tiny sizes): servers and load generators.
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v iperf3 >/dev/null || missing+=(iperf3)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v ss >/dev/null || missing+=(iproute2)
command -v systemd-socket-activate >/dev/null || missing+=(systemd) # socket activation example test
command -v python3 >/dev/null || missing+=(python3)           # free ports in the example tests
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv) # python_package: a venv + pip
command -v doxygen >/dev/null || missing+=(doxygen)           # API reference (ctest api_reference)
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if BUN_TCP_BUN=$(bash scripts/fetch_bun.sh); then
  export BUN_TCP_BUN
  echo "Bun: $BUN_TCP_BUN ($("$BUN_TCP_BUN" --version))"
else
  echo "warning: no Bun binary: tests that need Bun as a peer will skip"
fi

JOBS=${JOBS:-2}

# ---- 1. Rust -------------------------------------------------------------------------------
for tool in rustfmt clippy; do
  cargo "${tool/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$tool"
done
step "cargo fmt --check"
stage "cargo fmt" cargo fmt --check
step "cargo clippy --all-targets -- -D warnings"
stage "cargo clippy" cargo clippy --release --all-targets -j "$JOBS" -- -D warnings
step "cargo test --release"
stage "cargo test" cargo test --release -j "$JOBS"

# ---- 2. CMake + ctest ----------------------------------------------------------------------
BUILD=${BUILD_DIR:-$ROOT/build}
step "cmake build ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUN_TCP_SANITIZE= \
      ${BUN_TCP_BUN:+-DBUN_TCP_BUN_EXECUTABLE="$BUN_TCP_BUN"}
stage "cmake build" cmake --build "$BUILD" -j "$JOBS"
step "ctest"
stage "ctest" ctest --test-dir "$BUILD" --output-on-failure -j "${CTEST_JOBS:-1}"

# ---- 3. ASan + UBSan -----------------------------------------------------------------------
if [ "${BUN_TCP_ASAN:-1}" = 1 ]; then
  ASAN_BUILD=$ROOT/build/asan
  step "cmake build with -fsanitize=address,undefined ($ASAN_BUILD)"
  cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUN_TCP_SANITIZE=address \
        -DBUN_TCP_BUILD_BENCH=OFF ${BUN_TCP_BUN:+-DBUN_TCP_BUN_EXECUTABLE="$BUN_TCP_BUN"}
  stage "cmake build (asan)" cmake --build "$ASAN_BUILD" -j "$JOBS"
  step "ctest (ASan + UBSan): C tests, examples, conformance"
  stage "ctest (asan)" ctest --test-dir "$ASAN_BUILD" --output-on-failure -L 'c|example|conformance' \
        -j "${CTEST_JOBS:-1}"
fi

if [ ${#FAILED[@]} -gt 0 ]; then
  step "FAILED: ${FAILED[*]}"
  exit 1
fi
step "all tests passed"
