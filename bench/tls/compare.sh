#!/usr/bin/env bash
# bench/tls/compare.sh: the rustls crypto providers side by side on bun_tcp's loop.
# Builds bench/tls/provider.rs with aws-lc-rs (the default) and with ring (its own target dir), then
# runs them interleaved for ROUNDS rounds and prints each run and the medians.
#   bash bench/tls/compare.sh [ROUNDS] [HANDSHAKES] [BULK_MIB]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROUNDS=${1:-3} HS=${2:-2000} MIB=${3:-1024}
cargo build --release --example tls_provider -q
CARGO_TARGET_DIR=target/ring cargo build --release --example tls_provider -q --no-default-features --features ring
RESULTS=$(mktemp)
for r in $(seq "$ROUNDS"); do
  for bin in target/ring/release/examples/tls_provider target/release/examples/tls_provider; do
    line=$("$bin" "$HS" "$MIB")
    echo "round $r: $line"
    echo "$line" >>"$RESULTS"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for p in ring aws-lc-rs; do
  hs=$(grep "provider=$p " "$RESULTS" | sed 's/.*handshakes_per_s=\([0-9]*\).*/\1/' | median)
  bulk=$(grep "provider=$p " "$RESULTS" | sed 's/.*bulk_mib_per_s=\([0-9]*\).*/\1/' | median)
  echo "median $p: $hs handshakes/s, $bulk MiB/s"
done
rm -f "$RESULTS"
