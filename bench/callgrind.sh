#!/usr/bin/env bash
# bench/callgrind.sh: instructions per PING request under `valgrind --tool=callgrind`, bun_tcp's
# ping_server against the hand-written epoll_server (and libuv_server with --contenders).
#
# For each contender and pipeline (-P 1, -P 16) the server runs twice under callgrind: once
# serving N0 = N/10 requests, once N requests (redis-benchmark -c CLIENTS -t ping_inline), each
# ended by SIGTERM. Ir/req = (Ir(N) - Ir(N0)) / (N - N0): start-up, connection set-up and exit
# cancel out, what is left is the cost of a request. Counts are user-space instructions only
# (the kernel's work in syscalls is not in them) and nearly deterministic (they vary a little
# with how requests batch); --rounds N repeats it all N times, interleaved like the other workloads.
#
#   bash bench/callgrind.sh [--out FILE] [--smoke] [--contenders bun_tcp,epoll[,libuv]]
#
# Keeps the profiles in target/bench/callgrind/<contender>-P<p>.out (-base.out for N0; .log: valgrind's) and
# prints the 15 functions with the most instructions per request (self) of bun_tcp's -P 16 and -P 1
# runs (bench/callgrind_top.py).
# Options: --rounds N (1), --bin-dir DIR (else $BUN_TCP_BINARY_DIR, else build/bench is built).
# Env: N (20000; --smoke 2000), CLIENTS (50). The profiles kept are the last round's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMOKE=0 ROUNDS=1 OUT= BIN_DIR= CONTENDERS=bun_tcp,epoll N=${N:-20000} CLIENTS=${CLIENTS:-50}
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --bin-dir) BIN_DIR=$2; shift ;;
    --contenders) CONTENDERS=$2; shift ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then N=2000 ROUNDS=1; fi
N0=$((N / 10))
IFS=, read -r -a CONTENDERS <<<"$CONTENDERS"
[ -n "$OUT" ] || OUT=/dev/null

need_tool valgrind valgrind
need_tool callgrind_annotate valgrind
need_tool redis-benchmark redis-tools
[ -n "$BIN_DIR" ] || BIN_DIR=$(default_bin_dir)
PROFILES=${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/bench/callgrind
mkdir -p "$PROFILES"
trap stop_server EXIT

declare -A SERVER_CMD # contender -> the PING server's command line (without the port)
for c in "${CONTENDERS[@]}"; do
  case $c in
    bun_tcp) SERVER_CMD[$c]=$(find_bin ping_server) ;;
    epoll) SERVER_CMD[$c]="$(find_bin bench_epoll_server) ping" ;;
    libuv) SERVER_CMD[$c]="$(find_bin bench_libuv_server) ping" ;;
    *) die "unknown contender: $c" ;;
  esac
done

# wait_idle: until the server used no CPU for 0.3 s (it has handled every close), at most 10 s.
wait_idle() {
  local before after
  for _ in $(seq 30); do
    before=$(cpu_ticks); sleep 0.3; after=$(cpu_ticks)
    [ "$before" = "$after" ] && return 0
  done
}

# instructions CONTENDER PIPELINE REQUESTS FILE: runs the server under callgrind for REQUESTS
# requests; prints the program's total instruction count.
instructions() {
  local cmd
  read -r -a cmd <<<"${SERVER_CMD[$1]}"
  PORT=$(free_port)
  rm -f "$4"
  start_server "$1/callgrind" valgrind --tool=callgrind --callgrind-out-file="$4" \
    --log-file="${4%.out}.log" "${cmd[@]}" "$PORT" 127.0.0.1
  timeout 600 redis-benchmark -h 127.0.0.1 -p "$PORT" -t ping_inline -c "$CLIENTS" -n "$3" -P "$2" \
    -q --csv >/dev/null 2>&1 || die "redis-benchmark failed against $1 under callgrind"
  wait_idle
  stop_server
  awk '/^totals:/ { print $2; found = 1 } END { exit !found }' "$4" ||
    die "no callgrind totals in $4"
}

log "callgrind: contenders ${CONTENDERS[*]}, N=$N (baseline N0=$N0), $CLIENTS clients, $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
  for p in 1 16; do
    for c in "${CONTENDERS[@]}"; do
      base=$(instructions "$c" "$p" "$N0" "$PROFILES/$c-P$p-base.out")
      full=$(instructions "$c" "$p" "$N" "$PROFILES/$c-P$p.out")
      ir=$(awk -v a="$base" -v b="$full" -v n=$((N - N0)) 'BEGIN { printf "%.1f", (b - a) / n }')
      log "round $round  PING -P$p  $c: $ir Ir/req (start-up + $N0 requests: $base Ir; + $N: $full Ir)"
      row "PING -P$p" "$c" Ir/req "$round" "$ir"
    done
  done
done

if [[ " ${CONTENDERS[*]} " == *" bun_tcp "* ]]; then
  for p in 16 1; do
    echo
    echo "bun_tcp ping_server, PING -P$p: the 15 functions with the most instructions per request"
    echo "(self; (profile with N - profile with N0) / (N - N0); files: $PROFILES/bun_tcp-P$p{,-base}.out)"
    python3 "$BENCH_ROOT/bench/callgrind_top.py" "$PROFILES/bun_tcp-P$p-base.out" \
      "$PROFILES/bun_tcp-P$p.out" $((N - N0)) --top 15
  done
fi
[ "$SMOKE" = 1 ] && echo "bench callgrind smoke: OK"
exit 0
