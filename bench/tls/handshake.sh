#!/usr/bin/env bash
# bench/tls/handshake.sh: full against resumed TLS handshakes (issue 15), TLS 1.3 and TLS 1.2, on
# a bun_tcp server (rustls) and a Bun 1.4.4 server (BoringSSL).
#
#   bash bench/tls/handshake.sh --out FILE [--rounds N] [--smoke] [--bun PATH]
#
# The servers are the TLS PING servers of bench/tls/run.sh (bench/tls/tls_ping_server.c,
# bench/tls/ping_server.js; defaults: TLS 1.2 and 1.3, resumption on), one fresh server per run,
# certificates from tests/tls/make-fixtures.sh (P-256 ECDSA leaf signed by a test CA). The
# clients pick the version. Rows (workload, contender = the server, metric, round, value), rounds
# interleaved, for V in 1.3 and 1.2:
#   "TLSV bun_tcp client full|resumed"  bench/tls/handshake_client.c against the bun_tcp server:
#        one connection at a time (connect, handshake, PING/PONG, close) for HS_SECONDS, so the
#        rate is latency-bound; "full" sets disable_session_resumption (every handshake full, one
#        resumed fails the run), "resumed" keeps the defaults (the first handshake is full, every
#        later one should resume: a run below 95% resumed fails).
#   "TLSV s_time -new|-reuse"  openssl s_time -new (a full handshake per connection) or -reuse
#        (the first connection's session offered on every later one) with -tls1_3 / -tls1_2,
#        against the bun_tcp and the Bun server. s_time marks each connection with "r" (resumed)
#        or "*" (full); the "reused %" row counts them. A -reuse run that did not resume is
#        logged, not failed: over TLS 1.3 s_time never resumes, whatever the server, because it
#        never reads after its handshake and TLS 1.3 tickets come after the handshake (rustls
#        sends them once it has read the client's Finished, Bun 1.4.4 only along with its first
#        application write). Over TLS 1.2 both servers resume it (tickets).
# Metrics: hs/s (handshakes over the client's wall time; handshake_client's own clock),
# cpu_us/req (the server's user + system
# CPU from /proc/PID/stat around the load, per handshake), reused % (resumed runs), and on resumed
# runs "cpu resumed/full": this round's cpu_us/req over the same server's, client's and version's
# full-handshake figure (the issue's goal: at most 1/3).
# Before each run one openssl s_client handshake (not counted) checks that the certificate
# verifies and that the version is the one asked for.
# --smoke: one round, HS_COUNT_SMOKE (40) handshakes per bun_tcp client run and 1 s of s_time,
# plus checks (s_time -new never resumes; a bun_tcp server resumes s_time -reuse over TLS 1.2).
# Env: HS_SECONDS (5), BUN_TCP_LIB (a libbun_tcp.a to link), BENCH_PIN=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/workload.sh"
parse_args "$@"
HS_SECONDS=${HS_SECONDS:-5} HS_COUNT=
if [ "$SMOKE" = 1 ]; then HS_SECONDS=1 HS_COUNT=${HS_COUNT_SMOKE:-40}; fi
need_tool openssl; need_tool ss iproute2; need_tool python3
find_bun
PING_SERVER=$(build_c tls_ping_server "$ROOT/bench/tls/tls_ping_server.c")
CLIENT=$(build_c handshake_client "$ROOT/bench/tls/handshake_client.c")
FIX=$BENCH_BUILD/tls-fixtures
bash "$ROOT/tests/tls/make-fixtures.sh" "$FIX" || die "cannot make the TLS fixtures"
CA=$FIX/ca.crt CERT=$FIX/server.crt KEY=$FIX/server.key
LOGDIR=$(mktemp -d)
MINE=$LOGDIR/rows.tsv # this script's rows, for its own table at the end
trap 'stop_server; rm -rf "$LOGDIR"' EXIT
declare -A FULL_CPU # "VERSION client CONTENDER" -> this round's full-handshake cpu_us/req

hs_row() { row "$@"; printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$MINE"; }

start() { # start CONTENDER: a fresh TLS PING server on a free port
  PORT=$(free_port)
  case $1 in
    bun_tcp) start_server "$LOGDIR/$1.log" "$PING_SERVER" "$PORT" 127.0.0.1 "$CERT" "$KEY" ;;
    bun) start_server "$LOGDIR/$1.log" "$BUN_BIN" "$ROOT/bench/tls/ping_server.js" "$PORT" 127.0.0.1 "$CERT" "$KEY" ;;
  esac
}

# verify CONTENDER VERSION ROUND: one uncounted handshake; the certificate must verify and the
# version be VERSION.
verify() {
  local out
  out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" "-tls${2/./_}" \
          -verify_return_error -verify_ip 127.0.0.1 2>&1) || true
  grep -q 'Verify return code: 0 (ok)' <<<"$out" || die "$1: the TLS $2 handshake did not verify: $out"
  grep -q "^New, TLSv$2, " <<<"$out" || die "$1: TLS $2 was not negotiated: $(grep '^New, ' <<<"$out")"
  [ "$3" = 1 ] && log "$1: $(grep -E '^New, |Server Temp Key' <<<"$out" | tr '\n' ' ')"
  return 0
}

# record VERSION WORKLOAD CLIENT CONTENDER MODE ROUND N W0 W1 T0 T1 REUSED: the rows of one run.
record() {
  local v=$1 w=$2 client=$3 c=$4 mode=$5 round=$6 n=$7 us
  us=$(cpu_us_per "${10}" "${11}" "$n")
  hs_row "$w" "$c" hs/s "$round" "$(per_second "$n" "$8" "$9")"
  hs_row "$w" "$c" cpu_us/req "$round" "$us"
  if [ "$mode" = full ]; then
    FULL_CPU["$v $client $c"]=$us
  else
    hs_row "$w" "$c" "reused %" "$round" "$(awk -v r="${12}" -v n="$n" 'BEGIN { printf "%.1f", 100 * r / n }')"
    hs_row "$w" "$c" "cpu resumed/full" "$round" \
      "$(awk -v a="$us" -v b="${FULL_CPU["$v $client $c"]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
  fi
}

# bun_tcp_client VERSION MODE ROUND: handshake_client against a fresh bun_tcp server.
bun_tcp_client() {
  local v=$1 mode=$2 round=$3 w="TLS$1 bun_tcp client $2" t0 t1 w0 w1 out n r secs limit
  start bun_tcp
  verify bun_tcp "$v" "$round"
  limit=("$HS_SECONDS"); [ -n "$HS_COUNT" ] && limit=(-n "$HS_COUNT")
  t0=$(cpu_ticks)
  out=$(timeout 120 "${CLIENT_CPU[@]}" "$CLIENT" "$PORT" "$CA" "$mode" "$v" "${limit[@]}") ||
    die "$w: handshake_client failed: $out"
  t1=$(cpu_ticks)
  stop_server
  read -r n r secs < <(awk '$1 == "handshakes" && $3 == "reused" && $5 == "seconds" { print $2, $4, $6; f = 1 }
                            END { exit !f }' <<<"$out") || die "$w: unexpected handshake_client output: $out"
  # hs/s over the client's own clock (from its first connect to its last close: no process start-up)
  w0=0 w1=$secs
  [ "$round" = 1 ] && log "$w: $out"
  [ "$n" -gt 0 ] || die "$w: no handshake completed"
  if [ "$mode" = resumed ]; then
    [ $((100 * r)) -ge $((95 * n)) ] || die "$w: only $r of $n handshakes resumed (want >= 95%)"
  else
    [ "$r" = 0 ] || die "$w: $r of $n handshakes resumed with resumption disabled"
  fi
  record "$v" "$w" client bun_tcp "$mode" "$round" "$n" "$w0" "$w1" "$t0" "$t1" "$r"
}

# s_time CONTENDER VERSION MODE ROUND: openssl s_time -new (MODE full) or -reuse (resumed).
s_time() {
  local c=$1 v=$2 mode=$3 round=$4 flag=-new t0 t1 w0 w1 out n marks r
  [ "$mode" = resumed ] && flag=-reuse
  local w="TLS$v s_time $flag"
  start "$c"
  verify "$c" "$v" "$round"
  t0=$(cpu_ticks); w0=$(now)
  out=$(timeout 60 "${CLIENT_CPU[@]}" openssl s_time -connect "127.0.0.1:$PORT" -CAfile "$CA" \
          "-tls${v/./_}" "$flag" -time "$HS_SECONDS" 2>&1) || die "$c: openssl s_time failed: $out"
  w1=$(now); t1=$(cpu_ticks)
  stop_server
  n=$(awk '/connections in .* real seconds/ { print $1; f = 1 } END { exit !f }' <<<"$out") ||
    die "$c: unexpected s_time output: $out"
  [ "$n" -gt 0 ] || die "$w $c: no handshake completed"
  # The marks: one character per timed connection, on lines of their own ("r" = resumed).
  marks=$(grep -E '^[*r]+$' <<<"$out" | tr -d '\n') || true
  [ "${#marks}" = "$n" ] || die "$w $c: $n connections but ${#marks} marks in: $out"
  r=$(tr -cd r <<<"$marks" | wc -c)
  if [ "$mode" = full ]; then
    [ "$r" = 0 ] || die "$w $c: s_time -new resumed $r of $n"
  else
    [ $((100 * r)) -ge $((95 * n)) ] || log "$w $c: NOT RESUMED: $r of $n connections resumed"
    if [ "$SMOKE" = 1 ] && [ "$c" = bun_tcp ] && [ "$v" = 1.2 ] && [ "$r" -lt $((n - 1)) ]; then
      die "$w $c: the bun_tcp server resumed only $r of $n TLS 1.2 sessions"
    fi
  fi
  record "$v" "$w" s_time "$c" "$mode" "$round" "$n" "$w0" "$w1" "$t0" "$t1" "$r"
}

log "TLS handshakes: $([ -n "$HS_COUNT" ] && echo "$HS_COUNT handshakes (bun_tcp client) /")" \
    "${HS_SECONDS}s per run, $ROUNDS round(s), Bun $("$BUN_BIN" --version), $(openssl version), $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for v in 1.3 1.2; do
    for mode in full resumed; do bun_tcp_client "$v" "$mode" "$round"; done
    for mode in full resumed; do
      for c in bun_tcp bun; do s_time "$c" "$v" "$mode" "$round"; done
    done
  done
done
python3 "$ROOT/bench/report.py" "$MINE" \
  --command "bash bench/tls/handshake.sh --rounds $ROUNDS$([ "$SMOKE" = 1 ] && echo " --smoke")"
log "TLS handshakes: OK"
