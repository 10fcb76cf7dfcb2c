#!/usr/bin/env bash
# scripts/demo.sh: build everything (Rust library, header, examples, tests) and run the demo:
# an echo server and a client talking to each other in one process, on one bun_tcp loop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v cmake >/dev/null || ! command -v cc >/dev/null; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq cmake build-essential
fi
command -v cargo >/dev/null || [ -x "$HOME/.cargo/bin/cargo" ] ||
  { echo "cargo not found: install Rust first (https://rustup.rs)" >&2; exit 1; }

BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2
echo
echo "==> $BUILD/demo"
"$BUILD/demo"
