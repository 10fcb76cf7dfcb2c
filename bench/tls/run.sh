#!/usr/bin/env bash
# bench/tls/run.sh: the TLS workloads, bun_tcp (rustls) against Bun (BoringSSL).
#
#   bash bench/tls/run.sh --out FILE [--rounds N] [--smoke] [--bun PATH]
#
# Workloads (rows: workload, contender bun_tcp|bun, metric, round, value), interleaved round by
# round, each server started fresh per run, certificates from tests/tls/make-fixtures.sh
# (P-256 ECDSA leaf signed by a test CA; clients verify it against that CA):
#   "TLS PING -P1", "TLS PING -P16"  bench/tls/tls_ping_server.c and bench/tls/ping_server.js (the
#        PING servers of bench/ping with TLS), driven by redis-benchmark --tls --cacert CA
#        -t ping_inline -c 50 -P 1|16: req/s, cpu_us/req
#   "TLS bulk 1GiB"  bench/bulk/bulk_server.c and bench/bulk/server.js with CERT KEY; client
#        socat -u OPENSSL:127.0.0.1:PORT,cafile=CA,verify=1 OPEN:/dev/null: bytes/s, cpu_us/MiB
#   "TLS handshakes"  openssl s_time -new (a full handshake per connection, then the client
#        closes; one client process) for HS_SECONDS against the TLS PING servers: hs/s, and the
#        server's CPU time per handshake as cpu_us/req
# cpu_us/*: server CPU time (user + system, all threads) from /proc/PID/stat around the load.
# --smoke: tiny sizes, one round, plus checks (PONG over TLS, byte counts). Every run checks that
# the client verified the certificate (socat verify=1, redis-benchmark --cacert, s_client).
# Env: CLIENTS (50), N_P1 (100000), N_P16 (1000000), TLS_BULK_BYTES (1 GiB), HS_SECONDS (5).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/workload.sh"
parse_args "$@"
CLIENTS=${CLIENTS:-50} N_P1=${N_P1:-100000} N_P16=${N_P16:-1000000}
BULK=${TLS_BULK_BYTES:-$((1 << 30))} HS_SECONDS=${HS_SECONDS:-5}
if [ "$SMOKE" = 1 ]; then CLIENTS=10 N_P1=2000 N_P16=2000 BULK=$((16 << 20)) HS_SECONDS=1; fi
need_tool redis-benchmark redis-tools; need_tool redis-cli redis-tools; need_tool socat; need_tool openssl
need_tool ss iproute2; need_tool python3
find_bun
PING_SERVER=$(build_c tls_ping_server "$ROOT/bench/tls/tls_ping_server.c")
BULK_SERVER=$(build_c bulk_server "$ROOT/bench/bulk/bulk_server.c")
FIX=$BENCH_BUILD/tls-fixtures
bash "$ROOT/tests/tls/make-fixtures.sh" "$FIX" || die "cannot make the TLS fixtures"
CA=$FIX/ca.crt CERT=$FIX/server.crt KEY=$FIX/server.key
LOGDIR=$(mktemp -d)
trap 'stop_server; rm -rf "$LOGDIR"' EXIT

start() { # start CONTENDER ping|bulk BYTES: a fresh TLS server of that kind on a free port
  PORT=$(free_port)
  local log=$LOGDIR/$1-$2.log
  case $1-$2 in
    bun_tcp-ping) start_server "$log" "$PING_SERVER" "$PORT" 127.0.0.1 "$CERT" "$KEY" ;;
    bun-ping) start_server "$log" "$BUN_BIN" "$ROOT/bench/tls/ping_server.js" "$PORT" 127.0.0.1 "$CERT" "$KEY" ;;
    bun_tcp-bulk) start_server "$log" "$BULK_SERVER" "$PORT" "$3" "$CERT" "$KEY" ;;
    bun-bulk) start_server "$log" "$BUN_BIN" "$ROOT/bench/bulk/server.js" "$PORT" "$3" "$CERT" "$KEY" ;;
  esac
  SERVER_LOG=$log
}

# ping CONTENDER ROUND PIPELINE REQUESTS: one redis-benchmark --tls run, two rows.
ping() {
  local t0 t1 out rps
  start "$1" ping
  if [ "$SMOKE" = 1 ]; then
    [ "$(redis-cli --tls --cacert "$CA" -h 127.0.0.1 -p "$PORT" PING)" = PONG ] ||
      die "$1: no PONG over TLS"
  fi
  t0=$(cpu_ticks)
  out=$(timeout 300 "${CLIENT_CPU[@]}" redis-benchmark --tls --cacert "$CA" -h 127.0.0.1 -p "$PORT" -t ping_inline \
          -c "$CLIENTS" -n "$4" -P "$3" -q --csv 2>/dev/null) || die "$1: redis-benchmark failed"
  t1=$(cpu_ticks)
  stop_server
  rps=$(echo "$out" | awk -F'"' '/^"PING_INLINE"/ { print $4; f = 1 } END { exit !f }') ||
    die "$1: unexpected redis-benchmark output: $out"
  row "TLS PING -P$3" "$1" req/s "$2" "$rps"
  row "TLS PING -P$3" "$1" cpu_us/req "$2" "$(cpu_us_per "$t0" "$t1" "$4")"
}

# bulk CONTENDER ROUND: BULK bytes over one TLS connection, two rows.
bulk() {
  local t0 t1 w0 w1 got
  start "$1" bulk "$BULK"
  t0=$(cpu_ticks); w0=$(now)
  if [ "$SMOKE" = 1 ]; then
    got=$("${CLIENT_CPU[@]}" socat -b 262144 -u "OPENSSL:127.0.0.1:$PORT,cafile=$CA,verify=1" STDOUT | wc -c)
    [ "$got" = "$BULK" ] || die "$1: client received $got of $BULK bytes"
  else
    timeout 600 "${CLIENT_CPU[@]}" socat -b 262144 -u "OPENSSL:127.0.0.1:$PORT,cafile=$CA,verify=1" OPEN:/dev/null ||
      die "$1: socat failed"
  fi
  w1=$(now)
  for _ in $(seq 100); do grep -q '^sent ' "$SERVER_LOG" && break; sleep 0.05; done
  grep -q "^sent $BULK of $BULK bytes\$" "$SERVER_LOG" || { cat "$SERVER_LOG" >&2; die "$1: incomplete transfer"; }
  t1=$(cpu_ticks)
  stop_server
  row "TLS bulk 1GiB" "$1" bytes/s "$2" "$(per_second "$BULK" "$w0" "$w1")"
  row "TLS bulk 1GiB" "$1" cpu_us/MiB "$2" "$(cpu_us_per "$t0" "$t1" "$(awk -v b="$BULK" 'BEGIN { print b / 1048576 }')")"
}

# handshakes CONTENDER ROUND: openssl s_time -new for HS_SECONDS, two rows.
handshakes() {
  local t0 t1 w0 w1 out n
  start "$1" ping
  # One handshake first (not counted): the client must verify the certificate; log what was
  # negotiated. It also keeps one-time set-up (the TLS library's RNG seeding) out of the figure.
  out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" \
          -verify_return_error -verify_ip 127.0.0.1 2>&1) || true
  grep -q 'Verify return code: 0 (ok)' <<<"$out" || die "$1: the TLS handshake did not verify: $out"
  [ "$2" = 1 ] && log "$1: $(grep -E '^New, |Server Temp Key' <<<"$out" | tr '\n' ' ')"
  t0=$(cpu_ticks); w0=$(now)
  out=$(timeout 60 "${CLIENT_CPU[@]}" openssl s_time -connect "127.0.0.1:$PORT" -CAfile "$CA" -new -time "$HS_SECONDS" 2>&1) ||
    die "$1: openssl s_time failed: $out"
  w1=$(now)
  t1=$(cpu_ticks)
  stop_server
  n=$(echo "$out" | awk '/connections in .* real seconds/ { print $1; f = 1 } END { exit !f }') ||
    die "$1: unexpected s_time output: $out"
  [ "$n" -gt 0 ] || die "$1: no handshake completed"
  row "TLS handshakes" "$1" hs/s "$2" "$(per_second "$n" "$w0" "$w1")"
  row "TLS handshakes" "$1" cpu_us/req "$2" "$(cpu_us_per "$t0" "$t1" "$n")"
}

log "TLS: $CLIENTS clients, -n $N_P1 (-P1) / $N_P16 (-P16), $BULK bytes bulk, ${HS_SECONDS}s of" \
    "handshakes, $ROUNDS round(s), Bun $("$BUN_BIN" --version), $(redis-benchmark --version), $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for c in bun_tcp bun; do ping "$c" "$round" 1 "$N_P1"; done
  for c in bun_tcp bun; do ping "$c" "$round" 16 "$N_P16"; done
  for c in bun_tcp bun; do bulk "$c" "$round"; done
  for c in bun_tcp bun; do handshakes "$c" "$round"; done
done
log "TLS: OK"
