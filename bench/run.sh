#!/usr/bin/env bash
# bench/run.sh: the whole benchmark, one command.
#
#   bash bench/run.sh                  build (release), run every workload 3 rounds, print the table
#   bash bench/run.sh --rounds 5       more rounds (each figure: the median of the rounds)
#   bash bench/run.sh --smoke          everything tiny (seconds), no table checks (ctest bench_smoke)
#
# 1. bench/build.sh: cargo build --release --lib, CMake (Release) into --build-dir and the servers.
# 2. Every workload script that exists, each with --out RESULTS --rounds N [--smoke]; each starts
#    its contenders' servers in turn on loopback, rounds interleaved, and drives them with a load
#    generator (redis-benchmark, wrk, ...):
#      bench/ping/run.sh   PING -P1, PING -P16: bun_tcp, bun, redis, epoll, libuv (req/s, cpu_us/req)
#      bench/http/run.sh   HTTP: bun_tcp, bun, nginx, epoll, libuv (req/s, cpu_us/req)
#      bench/callgrind.sh  PING Ir/req under valgrind --tool=callgrind: bun_tcp, epoll
#      bench/bulk/run.sh, bench/tls/run.sh, bench/scale/run.sh (when present)
#      bench/tls/handshake.sh  full vs resumed TLS 1.3 / 1.2 handshakes: bun_tcp client and
#                          openssl s_time against bun_tcp and bun (hs/s, cpu_us/req, reused %)
# 3. bench/report.py: the markdown table (median (min-max) per workload, metric and contender, and
#    bun_tcp's ratio to each), also saved next to the results.
#
# Options: --rounds N (3), --only ping,http,callgrind,bulk,tls,tls_hs,scale (a subset), --build-dir DIR
#          (build/bench), --no-build (use --build-dir as it is), --results FILE (default
#          target/bench/results-<time>.tsv), --pin (servers on CPU 0, load generators on CPU 1).
# Tools: redis-tools, redis-server, wrk, nginx, libuv1-dev, valgrind, curl (apt; installed when
# missing, except in --smoke mode, where a missing tool fails the run). Bun 1.4.4 comes from
# scripts/fetch_bun.sh (or $BUN_TCP_BUN); without it --smoke exits 77 (skipped).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARGS=("$@")

SMOKE=0 ROUNDS=3 ONLY= BUILD=$BENCH_ROOT/build/bench NO_BUILD=0 RESULTS=
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --no-build) NO_BUILD=1 ;;
    --results) RESULTS=$2; shift ;;
    --pin) export BENCH_PIN=1 ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done
[ "$SMOKE" = 1 ] && ROUNDS=1

# ---- tools -------------------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for tool in redis-benchmark:redis-tools redis-server:redis-server wrk:wrk nginx:nginx \
            valgrind:valgrind curl:curl; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[ -e /usr/include/uv.h ] || missing+=(libuv1-dev)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$SMOKE" = 1 ] && die "missing tools: ${missing[*]} (apt-get install ${missing[*]})"
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
find_bun "${BUN_TCP_BUN:-}"
export BUN_TCP_BUN=$BUN_BIN BUN=$BUN_BIN # BUN: what bench/lib/workload.sh reads

# ---- build -------------------------------------------------------------------------------------
if [ "$NO_BUILD" = 0 ]; then bash "$BENCH_ROOT/bench/build.sh" "$BUILD"; fi
export BUN_TCP_BINARY_DIR=$BUILD

# ---- workloads ---------------------------------------------------------------------------------
OUTDIR=${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/bench
mkdir -p "$OUTDIR"
[ -n "$RESULTS" ] || RESULTS=$OUTDIR/results-$(date +%Y%m%d-%H%M%S)$([ "$SMOKE" = 1 ] && echo -smoke).tsv
: >"$RESULTS"
FAILED=()
for name in ping http callgrind bulk tls tls_hs scale; do
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then continue; fi
  script=$BENCH_ROOT/bench/$name/run.sh
  [ "$name" = callgrind ] && script=$BENCH_ROOT/bench/callgrind.sh
  [ "$name" = tls_hs ] && script=$BENCH_ROOT/bench/tls/handshake.sh
  [ -f "$script" ] || continue
  log "== $name: bash ${script#"$BENCH_ROOT"/} --out $RESULTS --rounds $ROUNDS$([ "$SMOKE" = 1 ] && echo " --smoke")"
  rc=0
  bash "$script" --out "$RESULTS" --rounds "$ROUNDS" $([ "$SMOKE" = 1 ] && echo --smoke) || rc=$?
  if [ "$rc" != 0 ]; then log "FAILED: $name (exit $rc)"; FAILED+=("$name"); fi
done

# ---- table -------------------------------------------------------------------------------------
REPORT=${RESULTS%.tsv}.md
python3 "$BENCH_ROOT/bench/report.py" "$RESULTS" --command "bash bench/run.sh ${ARGS[*]}" | tee "$REPORT"
echo
log "rows: $RESULTS; table: $REPORT"
if [ ${#FAILED[@]} -gt 0 ]; then die "workloads failed: ${FAILED[*]}"; fi
[ "$SMOKE" = 1 ] && echo "bench smoke: OK"
exit 0
