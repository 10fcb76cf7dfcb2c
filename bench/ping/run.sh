#!/usr/bin/env bash
# bench/ping/run.sh: redis-benchmark PING against the bun_tcp C server and the same server on Bun.
#
#   bash bench/ping/run.sh            3 interleaved rounds, then a table of medians
#   bash bench/ping/run.sh --smoke    one tiny round + protocol checks, no table (used by ctest)
#
# Options: --rounds N, --server-bin PATH (a built ping_server; else it is built in release),
#          --bun PATH (else $BUN, the cached npm package, or a fresh `npm pack`), --pin (pin the
#          server to CPU 0 and redis-benchmark to CPU 1).
# Env: CLIENTS (50), N_P1 (200000), N_P16 (2000000).
# In --smoke mode a missing redis-benchmark or Bun exits 77 (= skipped for ctest).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUN_VERSION=1.4.4
SMOKE=0 ROUNDS=3 SERVER_BIN= BUN_BIN=${BUN:-${BUN_TCP_BUN:-}} PIN=0
CLIENTS=${CLIENTS:-50} N_P1=${N_P1:-200000} N_P16=${N_P16:-2000000}
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --server-bin) SERVER_BIN=$2; shift ;;
    --bun) BUN_BIN=$2; shift ;;
    --pin) PIN=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then ROUNDS=1 N_P1=2000 N_P16=2000 CLIENTS=10; fi

log() { echo "[bench] $*" >&2; }
skip_or_die() { # in smoke mode a missing tool skips (77); otherwise it is an error
  if [ "$SMOKE" = 1 ]; then log "SKIP: $*"; exit 77; fi
  log "error: $*"; exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- tools -------------------------------------------------------------------------------------
if ! command -v redis-benchmark >/dev/null; then
  if [ "$SMOKE" = 1 ]; then skip_or_die "redis-benchmark not installed (apt-get install redis-tools)"; fi
  log "installing redis-tools"
  as_root apt-get update -qq && as_root apt-get install -y -qq redis-tools >/dev/null
fi

if [ -z "$BUN_BIN" ] || [ ! -x "$BUN_BIN" ]; then
  BUN_BIN=$(bash "$ROOT/scripts/fetch_bun.sh") || skip_or_die "no Bun $BUN_VERSION binary (npm pack failed)"
fi

if [ -z "$SERVER_BIN" ]; then
  BUILD="$ROOT/build/bench-release"
  log "building ping_server (release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUN_TCP_BUILD_TESTS=OFF \
        -DBUN_TCP_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$BUILD" --target ping_server -j2 >/dev/null
  SERVER_BIN="$BUILD/ping_server"
fi
[ -x "$SERVER_BIN" ] || { log "error: $SERVER_BIN is not executable"; exit 1; }

SERVER_CPU=() CLIENT_CPU=()
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi

# ---- servers -----------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 30000))
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

SERVER_PID= PORT=
start_server() { # start_server bun_tcp|bun: starts it on a free port, waits until it listens
  PORT=$(free_port)
  case $1 in
    bun_tcp) "${SERVER_CPU[@]}" "$SERVER_BIN" "$PORT" 127.0.0.1 >/dev/null & ;;
    bun) "${SERVER_CPU[@]}" "$BUN_BIN" "$ROOT/bench/ping/server.js" "$PORT" 127.0.0.1 >/dev/null & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 200); do     # up to 10 s
    port_open "$PORT" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { log "error: $1 server exited"; exit 1; }
    sleep 0.05
  done
  log "error: $1 server did not listen on $PORT"; exit 1
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap stop_server EXIT

# rps <pipeline> <requests>: one redis-benchmark run against $PORT, prints requests/second.
rps() {
  local out
  out=$(timeout 300 "${CLIENT_CPU[@]}" redis-benchmark -h 127.0.0.1 -p "$PORT" -t ping_inline \
          -c "$CLIENTS" -n "$2" -P "$1" -q --csv 2>/dev/null) ||
    { log "error: redis-benchmark failed (-P $1 -n $2)"; return 1; }
  echo "$out" | awk -F'"' '/^"PING_INLINE"/ { print $4; found = 1 } END { exit !found }' ||
    { log "error: unexpected redis-benchmark output: $out"; return 1; }
}

# check_protocol: exact replies, including a command split across two writes and a RESP array.
check_protocol() {
  local got
  got=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT"
        printf 'PI' >&3; sleep 0.1; printf 'NG\r\nPING\r\n*1\r\n$4\r\nping\r\nECHO x\r\n' >&3
        timeout 5 head -c 50 <&3 | tr -d '\r' | tr '\n' ' ')
  if [ "$got" != "+PONG +PONG +PONG -ERR only PING is supported " ]; then
    log "error: $1: unexpected replies: '$got'"; return 1
  fi
  if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$PORT" PING)" != PONG ]; then
    log "error: $1: redis-cli PING failed"; return 1
  fi
}

# cpu_ticks: the server's user + system CPU time so far, in clock ticks (/proc/PID/stat 14, 15).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# ---- runs --------------------------------------------------------------------------------------
WORKLOADS=("1 $N_P1" "16 $N_P16")
RESULTS=$(mktemp); trap 'stop_server; rm -f "$RESULTS"' EXIT
log "bun_tcp server: $SERVER_BIN"
log "Bun: $BUN_BIN ($("$BUN_BIN" --version))"
log "$(redis-benchmark --version), $CLIENTS clients, $ROUNDS round(s), $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for w in "${WORKLOADS[@]}"; do
    read -r pipeline n <<<"$w"
    for server in bun_tcp bun; do
      start_server "$server"
      [ "$SMOKE" = 1 ] && check_protocol "$server"
      t0=$(cpu_ticks)
      r=$(rps "$pipeline" "$n")
      t1=$(cpu_ticks)
      stop_server
      # Server CPU time (user + system) per request, in microseconds: steadier than req/s on a
      # shared machine, since it does not count time the server spent waiting for the CPU.
      us=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.3f", (b - a) * 1e6 / hz / n }')
      log "round $round  -P $pipeline -n $n  $server: $r req/s, $us us CPU/request"
      echo "$pipeline $server $r $us" >>"$RESULTS"
    done
  done
done

if [ "$SMOKE" = 1 ]; then
  echo "bench smoke: OK ($(wc -l <"$RESULTS") runs: $(awk '{printf "%s/P%s=%s ", $2, $1, $3}' "$RESULTS"))"
  exit 0
fi

# ---- table -------------------------------------------------------------------------------------
stats() { # stats <pipeline> <server> [column] -> "median min max" (column 3: req/s, 4: CPU us/req)
  awk -v p="$1" -v s="$2" -v c="${3:-3}" '$1 == p && $2 == s { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                               printf "%s %s %s\n", m, v[1], v[NR] }'
}
echo
echo "redis-benchmark -t ping_inline -c $CLIENTS, $ROUNDS rounds (requests/second, median (min-max)); $(nproc) CPUs"
printf '%-22s | %-30s | %-30s | %s\n' "workload" "bun_tcp (C)" "Bun $("$BUN_BIN" --version)" "bun_tcp/Bun"
printf '%-22s-|-%-30s-|-%-30s-|-%s\n' "----------------------" "------------------------------" \
       "------------------------------" "-----------"
for w in "${WORKLOADS[@]}"; do
  read -r pipeline n <<<"$w"
  read -r cm cmin cmax <<<"$(stats "$pipeline" bun_tcp)"
  read -r bm bmin bmax <<<"$(stats "$pipeline" bun)"
  printf '%-22s | %-30s | %-30s | %s\n' "-P $pipeline -n $n" "$cm ($cmin-$cmax)" "$bm ($bmin-$bmax)" \
         "$(awk -v a="$cm" -v b="$bm" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
done
echo
echo "server CPU time per request (user + system, microseconds; lower is better), median (min-max)"
printf '%-22s | %-30s | %-30s | %s\n' "workload" "bun_tcp (C)" "Bun $("$BUN_BIN" --version)" "bun_tcp/Bun"
printf '%-22s-|-%-30s-|-%-30s-|-%s\n' "----------------------" "------------------------------" \
       "------------------------------" "-----------"
for w in "${WORKLOADS[@]}"; do
  read -r pipeline n <<<"$w"
  read -r cm cmin cmax <<<"$(stats "$pipeline" bun_tcp 4)"
  read -r bm bmin bmax <<<"$(stats "$pipeline" bun 4)"
  printf '%-22s | %-30s | %-30s | %s\n' "-P $pipeline -n $n" "$cm ($cmin-$cmax)" "$bm ($bmin-$bmax)" \
         "$(awk -v a="$cm" -v b="$bm" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
done
