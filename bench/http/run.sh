#!/usr/bin/env bash
# bench/http/run.sh: wrk (-c 64 -t 1, keep-alive GET /) against each contender's "Hello, World!":
#   bun_tcp  bench/http/http_server.c          bun    bench/http/server.js on Bun 1.4.4 (raw TCP)
#   nginx    nginx.conf.in (own instance)      epoll  bench/servers/epoll_server.c http
#   libuv    bench/servers/libuv_server.c http
# Rounds are interleaved; each run starts a fresh server. Rows "HTTP, contender, req/s|cpu_us/req,
# round, value" (cpu_us/req: the server's user + system CPU from /proc/PID/stat, before and after,
# per request wrk completed; nginx: master + worker).
#
#   bash bench/http/run.sh                      3 rounds of 10 s, then the table (bench/report.py)
#   bash bench/http/run.sh --out FILE           append the rows to FILE instead (bench/run.sh)
#   bash bench/http/run.sh --smoke              one 1 s round + protocol checks (ctest)
#
# Options: --rounds N, --duration SECONDS, --bin-dir DIR (built servers; else $BUN_TCP_BINARY_DIR,
#          else build/bench is built), --bun PATH, --contenders a,b,... (default all five).
# Env: CONNECTIONS (64), BENCH_PIN=1 (server on CPU 0, wrk on CPU 1).
# A missing tool is an error; only a missing Bun in --smoke mode exits 77 (skipped).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SMOKE=0 ROUNDS=3 DURATION=10 OUT= BIN_DIR= BUN_ARG= CONTENDERS=bun_tcp,bun,nginx,epoll,libuv
CONNECTIONS=${CONNECTIONS:-64}
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1 ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --out) OUT=$2; shift ;;
    --bin-dir) BIN_DIR=$2; shift ;;
    --bun) BUN_ARG=$2; shift ;;
    --contenders) CONTENDERS=$2; shift ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then ROUNDS=1 DURATION=1; fi
IFS=, read -r -a CONTENDERS <<<"$CONTENDERS"

# ---- tools and servers -------------------------------------------------------------------------
need_tool wrk wrk
need_tool curl curl
[ -n "$BIN_DIR" ] || BIN_DIR=$(default_bin_dir)
for c in "${CONTENDERS[@]}"; do
  case $c in
    bun_tcp) HTTP_BIN=$(find_bin bench_http_server) ;;
    bun) find_bun "$BUN_ARG" ;;
    nginx) need_tool nginx nginx ;;
    epoll) EPOLL_BIN=$(find_bin bench_epoll_server) ;;
    libuv) LIBUV_BIN=$(find_bin bench_libuv_server) ;;
    *) die "unknown contender: $c" ;;
  esac
done

NGINX_DIR=
start() { # start CONTENDER: a fresh server on a free port
  PORT=$(free_port)
  case $1 in
    bun_tcp) start_server "$1" "$HTTP_BIN" "$PORT" 127.0.0.1 ;;
    bun) start_server "$1" "$BUN_BIN" "$BENCH_ROOT/bench/http/server.js" "$PORT" 127.0.0.1 ;;
    nginx) # its own prefix (config, pid, logs, temp files), never the system's instance
      NGINX_DIR=$(mktemp -d /tmp/bench-nginx.XXXXXX)
      sed -e "s|@PREFIX@|$NGINX_DIR|g" -e "s|@PORT@|$PORT|g" "$BENCH_ROOT/bench/http/nginx.conf.in" \
        >"$NGINX_DIR/nginx.conf"
      start_server "$1" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" ;;
    epoll) start_server "$1" "$EPOLL_BIN" http "$PORT" 127.0.0.1 ;;
    libuv) start_server "$1" "$LIBUV_BIN" http "$PORT" 127.0.0.1 ;;
  esac
}
stop() {
  stop_server
  if [ -n "$NGINX_DIR" ]; then rm -rf "$NGINX_DIR"; NGINX_DIR=; fi
}

# check_protocol CONTENDER: curl gets "Hello, World!"; our servers also answer a request split
# across two writes and a pipelined one with the exact bytes.
check_protocol() {
  local body
  body=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/") || die "$1: curl failed"
  [ "$body" = "Hello, World!" ] || die "$1: curl got '$body'"
  [ "$1" = nginx ] && return 0
  local one=$'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!' got
  got=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT"
        printf 'GET / HTTP/1.1\r\nHost: x\r' >&3; sleep 0.1; printf '\n\r\nGET / HTTP/1.1\r\n\r\n' >&3
        timeout 5 head -c $((2 * ${#one})) <&3 | od -An -c | tr -s ' \n' ' ')
  [ "$got" = "$(printf '%s%s' "$one" "$one" | od -An -c | tr -s ' \n' ' ')" ] ||
    die "$1: unexpected responses: '$got'"
}

# load: one wrk run against $PORT; prints "requests req/s".
load() {
  local out
  out=$(timeout $((DURATION + 60)) "${CLIENT_CPU[@]}" wrk -c "$CONNECTIONS" -t 1 -d "${DURATION}s" \
          "http://127.0.0.1:$PORT/" 2>&1) || { log "error: wrk failed: $out"; return 1; }
  if grep -q "Non-2xx" <<<"$out"; then log "error: wrk saw bad responses: $out"; return 1; fi
  grep -q "Socket errors" <<<"$out" && log "warning: $(grep "Socket errors" <<<"$out")"
  awk '/requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 } END { if (!n || !r) exit 1; print n, r }' \
    <<<"$out" || { log "error: unexpected wrk output: $out"; return 1; }
}

# ---- runs --------------------------------------------------------------------------------------
TABLE=0
if [ -z "$OUT" ]; then OUT=$(mktemp); TABLE=1; fi
trap 'stop; [ "$TABLE" = 1 ] && rm -f "$OUT"' EXIT
log "http: contenders ${CONTENDERS[*]}, wrk -c $CONNECTIONS -t 1 -d ${DURATION}s, $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
  for c in "${CONTENDERS[@]}"; do
    start "$c"
    [ "$SMOKE" = 1 ] && check_protocol "$c"
    t0=$(cpu_ticks)
    read -r n r <<<"$(load)"
    t1=$(cpu_ticks)
    stop
    us=$(cpu_us_per "$t0" "$t1" "$n")
    log "round $round  HTTP  $c: $r req/s ($n requests), $us us CPU/request"
    row HTTP "$c" req/s "$round" "$r"
    row HTTP "$c" cpu_us/req "$round" "$us"
  done
done

if [ "$TABLE" = 1 ] && [ "$SMOKE" = 0 ]; then
  python3 "$BENCH_ROOT/bench/report.py" "$OUT" --command "bash bench/http/run.sh --rounds $ROUNDS"
fi
[ "$SMOKE" = 1 ] && echo "bench http smoke: OK"
exit 0
