#!/usr/bin/env bash
# bench/scale/run.sh: many connections. Two workloads, against the PING servers:
#
#   bash bench/scale/run.sh --out FILE [--rounds N] [--smoke] [--bun PATH]
#
#   "idle 10k"  bench/scale/hold_clients.c opens 10,000 connections (each does one PING/PONG, so
#               the server has set it up) and holds them. Row KiB/conn = growth of the server's
#               VmRSS (/proc/PID/status) from before the clients to 1 s after all answered,
#               / 10,000. Contenders: bun_tcp (bench/ping/ping_server.c), bun
#               (bench/ping/server.js), epoll (bench/servers/epoll_server.c ping).
#   "idle tls 5k" the same over TLS: bench/scale/hold_tls_clients.py opens TLS_IDLE_CONNS (5,000)
#               TLS connections (handshake done, one PING/PONG each) and holds them; same KiB/conn
#               row. Contenders: bun_tcp (bench/tls/tls_ping_server.c), bun (bench/tls/ping_server.js).
#   "churn"     redis-benchmark -k 0 -t ping_inline -c 50 -n N: a new connection per request
#               (connect, PING, PONG, close). Rows conn/s (= its requests/s) and cpu_us/req
#               (server CPU per connection). Contenders: the three above and redis
#               (redis-server --save '' --appendonly no, its own instance).
# Contenders interleaved round by round; each server started fresh per run.
# --smoke: 200 connections held (100 TLS), 500 for churn, one round. Env: IDLE_CONNS (10000),
# TLS_IDLE_CONNS (5000), CHURN_N (30000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/workload.sh"
parse_args "$@"
IDLE_CONNS=${IDLE_CONNS:-10000} TLS_IDLE_CONNS=${TLS_IDLE_CONNS:-5000} CHURN_N=${CHURN_N:-30000}
if [ "$SMOKE" = 1 ]; then IDLE_CONNS=200 TLS_IDLE_CONNS=100 CHURN_N=500; fi
need_tool redis-benchmark redis-tools; need_tool redis-server; need_tool ss iproute2; need_tool python3
need_tool openssl
find_bun
PING_SERVER=$(build_c ping_server "$ROOT/bench/ping/ping_server.c")
TLS_PING_SERVER=$(build_c tls_ping_server "$ROOT/bench/tls/tls_ping_server.c")
FIX=$BENCH_BUILD/tls-fixtures
bash "$ROOT/tests/tls/make-fixtures.sh" "$FIX" || die "cannot make the TLS fixtures"
EPOLL_SERVER=$(build_c epoll_server "$ROOT/bench/servers/epoll_server.c" 0)
HOLD=$(build_c hold_clients "$ROOT/bench/scale/hold_clients.c" 0)
# every server and the client need an fd per connection
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((IDLE_CONNS + 100)) ] || die "ulimit -n $(ulimit -n) is too low for $IDLE_CONNS connections"
LOGDIR=$(mktemp -d)
HOLD_PID=
trap 'stop_server; [ -z "$HOLD_PID" ] || kill "$HOLD_PID" 2>/dev/null; rm -rf "$LOGDIR"' EXIT

start() { # start CONTENDER: a fresh PING server on a free port
  PORT=$(free_port)
  case $1 in
    bun_tcp) start_server "$LOGDIR/$1.log" "$PING_SERVER" "$PORT" 127.0.0.1 ;;
    bun) start_server "$LOGDIR/$1.log" "$BUN_BIN" "$ROOT/bench/ping/server.js" "$PORT" 127.0.0.1 ;;
    epoll) start_server "$LOGDIR/$1.log" "$EPOLL_SERVER" ping "$PORT" 127.0.0.1 ;;
    bun_tcp-tls) start_server "$LOGDIR/$1.log" "$TLS_PING_SERVER" "$PORT" 127.0.0.1 "$FIX/server.crt" "$FIX/server.key" ;;
    bun-tls) start_server "$LOGDIR/$1.log" "$BUN_BIN" "$ROOT/bench/tls/ping_server.js" "$PORT" 127.0.0.1 \
               "$FIX/server.crt" "$FIX/server.key" ;;
    redis) start_server "$LOGDIR/$1.log" redis-server --port "$PORT" --bind 127.0.0.1 --save '' \
             --appendonly no --maxclients $((IDLE_CONNS + 100)) ;;
  esac
}

# idle CONTENDER ROUND: hold IDLE_CONNS connections, one KiB/conn row. A CONTENDER ending in
# "-tls" holds TLS_IDLE_CONNS TLS connections instead ("idle tls 5k" row).
idle() {
  local rss0 rss1 conns=$IDLE_CONNS workload="idle 10k" hold=("$HOLD")
  if [[ $1 == *-tls ]]; then
    conns=$TLS_IDLE_CONNS workload="idle tls 5k" hold=(python3 "$ROOT/bench/scale/hold_tls_clients.py")
  fi
  start "$1"
  sleep 0.5 # let the server settle (Bun's JIT and GC) before the baseline
  rss0=$(rss_kib)
  if [[ $1 == *-tls ]]; then
    "${CLIENT_CPU[@]}" "${hold[@]}" "$PORT" "$conns" "$FIX/ca.crt" >"$LOGDIR/hold.out" 2>"$LOGDIR/hold.err" &
  else
    "${CLIENT_CPU[@]}" "${hold[@]}" "$PORT" "$conns" >"$LOGDIR/hold.out" 2>"$LOGDIR/hold.err" &
  fi
  HOLD_PID=$!
  for _ in $(seq 1200); do # up to 60 s
    grep -q '^ready' "$LOGDIR/hold.out" && break
    kill -0 "$HOLD_PID" 2>/dev/null || { cat "$LOGDIR/hold.err" >&2; die "$1: hold_clients failed"; }
    sleep 0.05
  done
  grep -q "^ready $conns\$" "$LOGDIR/hold.out" || die "$1: $conns connections not ready in 60 s"
  sleep 1
  rss1=$(rss_kib)
  kill -0 "$HOLD_PID" 2>/dev/null || { cat "$LOGDIR/hold.err" >&2; die "$1: a held connection failed"; }
  kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null || true; HOLD_PID=
  stop_server
  row "$workload" "${1%-tls}" KiB/conn "$2" "$(awk -v a="$rss0" -v b="$rss1" -v n="$conns" 'BEGIN { printf "%.3f", (b - a) / n }')"
}

# churn CONTENDER ROUND: redis-benchmark -k 0, two rows.
churn() {
  local t0 t1 out rps
  start "$1"
  t0=$(cpu_ticks)
  out=$(timeout 300 "${CLIENT_CPU[@]}" redis-benchmark -h 127.0.0.1 -p "$PORT" -k 0 -t ping_inline \
          -c 50 -n "$CHURN_N" -q --csv 2>/dev/null) || die "$1: redis-benchmark failed"
  t1=$(cpu_ticks)
  stop_server
  rps=$(echo "$out" | awk -F'"' '/^"PING_INLINE"/ { print $4; f = 1 } END { exit !f }') ||
    die "$1: unexpected redis-benchmark output: $out"
  row churn "$1" conn/s "$2" "$rps"
  row churn "$1" cpu_us/req "$2" "$(cpu_us_per "$t0" "$t1" "$CHURN_N")"
}

# smoke_check CONTENDER: the server answers PING (redis-benchmark does not check replies).
smoke_check() {
  start "$1"
  [ "$(redis-cli -h 127.0.0.1 -p "$PORT" PING)" = PONG ] || die "$1: no PONG"
  stop_server
}

log "scale: $IDLE_CONNS idle connections, churn -n $CHURN_N, $ROUNDS round(s), Bun $("$BUN_BIN" --version), $(nproc) CPUs"
if [ "$SMOKE" = 1 ]; then for c in bun_tcp bun epoll redis; do smoke_check "$c"; done; fi
# rotated ROUND WORDS...: the words shifted left by ROUND-1. The churn run right after the idle
# phase (30,000 connections just closed) is slower for whoever goes first, so the first place
# moves from round to round.
rotated() { local k=$(( ($1 - 1) % ($# - 1) )); shift; echo "${@:k+1}" "${@:1:k}"; }
for round in $(seq "$ROUNDS"); do
  for c in bun_tcp bun epoll bun_tcp-tls bun-tls; do idle "$c" "$round"; done
  for c in $(rotated "$round" bun_tcp bun epoll redis); do churn "$c" "$round"; done
done
log "scale: OK"
