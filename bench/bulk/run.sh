#!/usr/bin/env bash
# bench/bulk/run.sh: "bulk 4GiB": one connection, the server sends 4 GiB, the client discards it.
#
#   bash bench/bulk/run.sh --out FILE [--rounds N] [--smoke] [--bun PATH]
#
# Contenders, interleaved round by round, each server started fresh per run:
#   bun_tcp  bench/bulk/bulk_server.c     (write until a short write, go on at drain, end)
#   bun      bench/bulk/server.js         (the same on Bun.listen)
#   epoll    bench/bulk/epoll_bulk.c      (no library: send until EAGAIN)
#   iperf3   iperf3 -s / iperf3 -c -R -t 5 -l 256K (one stream, server to client): the raw limit
# Client for the first three: socat -b 262144 -u TCP:127.0.0.1:PORT OPEN:/dev/null, timed.
# Rows: bytes/s (higher is better) and cpu_us/MiB (server CPU time, user + system, per MiB sent).
# Checks: every byte arrived (the server's own count; in --smoke also the client's, via wc -c).
# --smoke: 64 MiB, iperf3 for 1 s, one round. Env: BULK_BYTES, IPERF_SECONDS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/workload.sh"
parse_args "$@"
BYTES=${BULK_BYTES:-$((4 << 30))} IPERF_SECONDS=${IPERF_SECONDS:-5}
if [ "$SMOKE" = 1 ]; then BYTES=$((64 << 20)) IPERF_SECONDS=1; fi
WORKLOAD="bulk 4GiB"
need_tool socat; need_tool iperf3; need_tool ss iproute2; need_tool python3
find_bun
BULK_SERVER=$(build_c bulk_server "$ROOT/bench/bulk/bulk_server.c")
EPOLL_BULK=$(build_c epoll_bulk "$ROOT/bench/bulk/epoll_bulk.c" 0)
LOGDIR=$(mktemp -d)
trap 'stop_server; rm -rf "$LOGDIR"' EXIT

# wait_sent LOGFILE: waits for the server's "sent N of N bytes" line (it comes when the client
# has closed), fails unless every byte was sent.
wait_sent() {
  for _ in $(seq 100); do
    grep -q '^sent ' "$1" && break
    sleep 0.05
  done
  grep -q "^sent $BYTES of $BYTES bytes\$" "$1" || { cat "$1" >&2; die "incomplete transfer"; }
}

# socat_run CONTENDER ROUND: one transfer from the server on $PORT, two rows.
socat_run() {
  local t0 t1 w0 w1 got
  t0=$(cpu_ticks); w0=$(now)
  if [ "$SMOKE" = 1 ]; then
    got=$("${CLIENT_CPU[@]}" socat -b 262144 -u "TCP:127.0.0.1:$PORT" STDOUT | wc -c)
    [ "$got" = "$BYTES" ] || die "$1: client received $got of $BYTES bytes"
  else
    timeout 600 "${CLIENT_CPU[@]}" socat -b 262144 -u "TCP:127.0.0.1:$PORT" OPEN:/dev/null || die "$1: socat failed"
  fi
  w1=$(now)
  wait_sent "$LOGDIR/$1.log"
  t1=$(cpu_ticks)
  row "$WORKLOAD" "$1" bytes/s "$2" "$(per_second "$BYTES" "$w0" "$w1")"
  row "$WORKLOAD" "$1" cpu_us/MiB "$2" "$(cpu_us_per "$t0" "$t1" "$((BYTES >> 20))")"
}

# iperf3_run ROUND: iperf3 -R (the server sends), bytes/s from the client's JSON report.
iperf3_run() {
  local t0 t1 json rate mib
  t0=$(cpu_ticks)
  json=$(timeout 60 "${CLIENT_CPU[@]}" iperf3 -c 127.0.0.1 -p "$PORT" -R -t "$IPERF_SECONDS" -l 256K -J) ||
    die "iperf3 client failed"
  t1=$(cpu_ticks)
  read -r rate mib < <(python3 -c 'import json, sys
s = json.load(sys.stdin)["end"]["sum_received"]
print("%.0f %.3f" % (s["bytes"] / s["seconds"], s["bytes"] / 2**20))' <<<"$json") ||
    die "unexpected iperf3 output"
  awk -v m="$mib" 'BEGIN { exit !(m > 0) }' || die "iperf3 moved no bytes"
  row "$WORKLOAD" iperf3 bytes/s "$1" "$rate"
  row "$WORKLOAD" iperf3 cpu_us/MiB "$1" "$(cpu_us_per "$t0" "$t1" "$mib")"
}

log "$WORKLOAD: $BYTES bytes per transfer, $ROUNDS round(s), Bun $("$BUN_BIN" --version), $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for c in bun_tcp bun epoll iperf3; do
    PORT=$(free_port)
    case $c in
      bun_tcp) start_server "$LOGDIR/$c.log" "$BULK_SERVER" "$PORT" "$BYTES" ;;
      bun) start_server "$LOGDIR/$c.log" "$BUN_BIN" "$ROOT/bench/bulk/server.js" "$PORT" "$BYTES" ;;
      epoll) start_server "$LOGDIR/$c.log" "$EPOLL_BULK" "$PORT" "$BYTES" ;;
      iperf3) start_server "$LOGDIR/$c.log" iperf3 -s -p "$PORT" -B 127.0.0.1 ;;
    esac
    if [ "$c" = iperf3 ]; then iperf3_run "$round"; else socat_run "$c" "$round"; fi
    stop_server
  done
done
log "$WORKLOAD: OK"
