#!/usr/bin/env bash
# bench/ping/run.sh: redis-benchmark PING (-t ping_inline, -P 1 and -P 16) against each contender:
#   bun_tcp  bench/ping/ping_server.c          bun    bench/ping/server.js on Bun 1.4.4
#   redis    redis-server (own instance)       epoll  bench/servers/epoll_server.c ping
#   libuv    bench/servers/libuv_server.c ping
# Rounds are interleaved (round 1: every workload x contender, then round 2, ...); each run starts
# a fresh server. Rows "PING -P1|PING -P16, contender, req/s|cpu_us/req, round, value" (cpu_us/req:
# the server's user + system CPU from /proc/PID/stat, before and after, per request).
#
#   bash bench/ping/run.sh                      3 rounds, then the table (bench/report.py)
#   bash bench/ping/run.sh --out FILE           append the rows to FILE instead (bench/run.sh)
#   bash bench/ping/run.sh --smoke              one tiny round + protocol checks (ctest)
#
# Options: --rounds N, --bin-dir DIR (built servers; else $BUN_TCP_BINARY_DIR, else build/bench is
#          built), --server-bin PATH (bun_tcp's ping_server; its directory is the bin dir),
#          --bun PATH, --contenders a,b,... (default all five). Env: CLIENTS (50), N_P1 (200000),
#          N_P16 (2000000), BENCH_PIN=1 (server on CPU 0, redis-benchmark on CPU 1).
# A missing tool is an error; only a missing Bun in --smoke mode exits 77 (skipped).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SMOKE=0 ROUNDS=3 OUT= BIN_DIR= SERVER_BIN= BUN_ARG= CONTENDERS=bun_tcp,bun,redis,epoll,libuv
CLIENTS=${CLIENTS:-50} N_P1=${N_P1:-200000} N_P16=${N_P16:-2000000}
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --bin-dir) BIN_DIR=$2; shift ;;
    --server-bin) SERVER_BIN=$2; shift ;;
    --bun) BUN_ARG=$2; shift ;;
    --contenders) CONTENDERS=$2; shift ;;
    --pin) BENCH_PIN=1 ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then ROUNDS=1 N_P1=2000 N_P16=4000 CLIENTS=10; fi
if [ "${BENCH_PIN:-0}" = 1 ] && [ "$(nproc)" -ge 2 ]; then SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1); fi
IFS=, read -r -a CONTENDERS <<<"$CONTENDERS"

# ---- tools and servers -------------------------------------------------------------------------
need_tool redis-benchmark redis-tools
[ -n "$SERVER_BIN" ] && [ -z "$BIN_DIR" ] && BIN_DIR=$(dirname "$SERVER_BIN")
[ -n "$BIN_DIR" ] || BIN_DIR=$(default_bin_dir)
for c in "${CONTENDERS[@]}"; do
  case $c in
    bun_tcp) SERVER_BIN=${SERVER_BIN:-$(find_bin ping_server)} ;;
    bun) find_bun "$BUN_ARG" ;;
    redis) need_tool redis-server redis-server ;;
    epoll) EPOLL_BIN=$(find_bin bench_epoll_server) ;;
    libuv) LIBUV_BIN=$(find_bin bench_libuv_server) ;;
    *) die "unknown contender: $c" ;;
  esac
done

start() { # start CONTENDER: a fresh server on a free port
  PORT=$(free_port)
  case $1 in
    bun_tcp) start_server "$1" "$SERVER_BIN" "$PORT" 127.0.0.1 ;;
    bun) start_server "$1" "$BUN_BIN" "$BENCH_ROOT/bench/ping/server.js" "$PORT" 127.0.0.1 ;;
    redis) start_server "$1" redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
                                          --appendonly no --daemonize no --loglevel warning ;;
    epoll) start_server "$1" "$EPOLL_BIN" ping "$PORT" 127.0.0.1 ;;
    libuv) start_server "$1" "$LIBUV_BIN" ping "$PORT" 127.0.0.1 ;;
  esac
}

# rps PIPELINE REQUESTS: one redis-benchmark run against $PORT, prints requests/second.
rps() {
  local out
  out=$(timeout 300 "${CLIENT_CPU[@]}" redis-benchmark -h 127.0.0.1 -p "$PORT" -t ping_inline \
          -c "$CLIENTS" -n "$2" -P "$1" -q --csv 2>/dev/null) ||
    { log "error: redis-benchmark failed (-P $1 -n $2)"; return 1; }
  echo "$out" | awk -F'"' '/^"PING_INLINE"/ { print $4; found = 1 } END { exit !found }' ||
    { log "error: unexpected redis-benchmark output: $out"; return 1; }
}

# check_protocol CONTENDER: exact replies, incl. a command split across two writes and a RESP array.
check_protocol() {
  local got want=$'+PONG\r\n+PONG\r\n+PONG\r\n-ERR only PING is supported\r\n'
  [ "$1" = redis ] && want=$'+PONG\r\n+PONG\r\n+PONG\r\n' # redis answers ECHO: not asked
  got=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT"
        printf 'PI' >&3; sleep 0.1; printf 'NG\r\nPING\r\n*1\r\n$4\r\nping\r\n' >&3
        [ "$1" = redis ] || printf 'ECHO x\r\n' >&3
        timeout 5 head -c "${#want}" <&3 | od -An -c | tr -s ' \n' ' ')
  [ "$got" = "$(printf '%s' "$want" | od -An -c | tr -s ' \n' ' ')" ] ||
    die "$1: unexpected replies: '$got'"
  if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$PORT" PING)" != PONG ]; then
    die "$1: redis-cli PING failed"
  fi
}

# ---- runs --------------------------------------------------------------------------------------
TABLE=0
if [ -z "$OUT" ]; then OUT=$(mktemp); TABLE=1; fi
trap 'stop_server; [ "$TABLE" = 1 ] && rm -f "$OUT"' EXIT
log "ping: contenders ${CONTENDERS[*]}, $CLIENTS clients, $ROUNDS round(s), -P1 -n $N_P1, -P16 -n $N_P16"
for round in $(seq "$ROUNDS"); do
  for w in "1 $N_P1" "16 $N_P16"; do
    read -r pipeline n <<<"$w"
    for c in "${CONTENDERS[@]}"; do
      start "$c"
      [ "$SMOKE" = 1 ] && check_protocol "$c"
      t0=$(cpu_ticks)
      r=$(rps "$pipeline" "$n")
      t1=$(cpu_ticks)
      stop_server
      us=$(cpu_us_per "$t0" "$t1" "$n")
      log "round $round  PING -P$pipeline -n $n  $c: $r req/s, $us us CPU/request"
      row "PING -P$pipeline" "$c" req/s "$round" "$r"
      row "PING -P$pipeline" "$c" cpu_us/req "$round" "$us"
    done
  done
done

if [ "$TABLE" = 1 ] && [ "$SMOKE" = 0 ]; then
  python3 "$BENCH_ROOT/bench/report.py" "$OUT" --command "bash bench/ping/run.sh --rounds $ROUNDS"
fi
[ "$SMOKE" = 1 ] && echo "bench ping smoke: OK ($(wc -l <"$OUT") rows)"
exit 0
