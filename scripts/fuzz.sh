#!/usr/bin/env bash
# scripts/fuzz.sh: runs the cargo fuzz (libFuzzer) targets for a bounded time each.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
# Targets (fuzz/fuzz_targets/): tls_server_input (a TLS server fed arbitrary client bytes over
# loopback), api_sequence (random API call sequences, from inside and outside handlers, checked
# against the lifecycle and byte-order invariants). The corpus in fuzz/corpus/ grows as it runs.
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly rustc, or RUSTC_BOOTSTRAP=1 with
# stable (the sanitizer flags are unstable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
SECONDS_PER_TARGET=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
if rustup toolchain list 2>/dev/null | grep -q nightly; then TOOLCHAIN=+nightly; else TOOLCHAIN=; export RUSTC_BOOTSTRAP=1; fi
for target in tls_server_input api_sequence; do
  echo "== $target ($SECONDS_PER_TARGET s)"
  cargo $TOOLCHAIN fuzz run -O "$target" "corpus/$target" -- -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 2>&1 |
    grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|ERROR|panicked" || true
done
