#!/usr/bin/env bash
# TLS interop with Bun 1.4.4 (ctest label tls-interop), over 127.0.0.1 only, both ways:
#   Bun.connect({tls: {ca, ...}})  -> c-examples/tls_echo_server, tests/tls/tls_peer server
#   c-examples/tls_client, tests/tls/tls_peer client -> Bun.listen({tls: {cert, key, ...}}) echo
# TLS 1.3 (the default) and TLS 1.2 (bun_tcp's max_version), with and without client
# certificates, and with ALPN. Each case moves BUN_TCP_INTEROP_BYTES (default 16 MiB) and checks
# SHA-256 digests on both ends.
#
#   usage: interop_bun.sh TLS_ECHO_SERVER TLS_CLIENT TLS_PEER [FIXTURE_DIR]
# Bun: $BUN_TCP_BUN, else scripts/fetch_bun.sh. Exit 0 when every case passed, 1 otherwise,
# 77 (skip) when no Bun binary is available.
set -uo pipefail
ECHO_SERVER=${1:?usage: interop_bun.sh TLS_ECHO_SERVER TLS_CLIENT TLS_PEER [FIXTURE_DIR]}
CLIENT=${2:?}
PEER=${3:?}
FX=${4:-${BUN_TCP_TLS_FIXTURES:?set BUN_TCP_TLS_FIXTURES or pass FIXTURE_DIR}}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE=${BUN_TCP_INTEROP_BYTES:-16777216}
TMO=${BUN_TCP_INTEROP_TIMEOUT:-30} # seconds per program (16 MiB on loopback takes ~1 s)
source "$HERE/interop_lib.sh"
interop_setup interop_bun "$SIZE"
echo "payloads: $SIZE bytes; up sha256 $SHA_UP, down sha256 $SHA_DOWN"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- Bun client -> bun_tcp ------------------------------------------------------------------
# bun_to_echo NAME "tls_echo_server options" "bun client options" CHECK_LOG_REGEX
bun_to_echo() {
  local name=$1 sopts=$2 bopts=$3 logre=$4 t0
  t0=$(ms)
  : > "$T/srv.out"
  # shellcheck disable=SC2086
  "$ECHO_SERVER" --cert "$FX/server.crt" --key "$FX/server.key" --once $sopts \
    > "$T/srv.out" 2> "$T/srv.err" &
  local spid=$!
  PIDS+=("$spid")
  local port
  port=$(wait_line "$T/srv.out" 's/^listening on .*:\([0-9][0-9]*\)$/\1/p') || {
    fail "$name: tls_echo_server did not start"; show_logs "$T/srv.err"; return; }
  # shellcheck disable=SC2086
  timeout "$TMO" "$BUN" "$HERE/bun_peer.js" client "$FX" "$port" "$T/up.bin" "$SIZE" $bopts \
    > "$T/bun.out" 2> "$T/bun.err"
  local brc=$?
  wait "$spid"
  local src=$?
  local r
  r=$(grep '^RESULT' "$T/bun.out")
  if [ $brc -eq 0 ] && [ $src -eq 0 ] && [ "$(field sent_sha256 "$r")" = "$SHA_UP" ] &&
     [ "$(field recv_sha256 "$r")" = "$SHA_UP" ] && grep -Eq "$logre" "$T/srv.err"; then
    pass "$name: $SIZE bytes echoed, sha256 match [$(field version "$r") $(field cipher "$r") alpn=$(field alpn "$r") authorized=$(field authorized "$r"); server: $(grep -m1 '^open' "$T/srv.err")] ($(( $(ms) - t0 )) ms)"
  else
    fail "$name: bun rc=$brc server rc=$src; $r"
    show_logs "$T/bun.err" "$T/srv.err"
  fi
}

# bun_to_peer NAME "tls_peer server options": Bun sends up.bin, tls_peer sends down.bin
bun_to_peer() {
  local name=$1 popts=$2 t0
  t0=$(ms)
  : > "$T/peer.out"
  # shellcheck disable=SC2086
  "$PEER" server --cert "$FX/server.crt" --key "$FX/server.key" --send-file "$T/down.bin" \
    --expect "$SIZE" --timeout "$TMO" $popts > "$T/peer.out" 2> "$T/peer.err" &
  local ppid=$!
  PIDS+=("$ppid")
  local port
  port=$(wait_line "$T/peer.out" 's/^PORT \([0-9][0-9]*\)$/\1/p') || {
    fail "$name: tls_peer did not start"; show_logs "$T/peer.err"; return; }
  timeout "$TMO" "$BUN" "$HERE/bun_peer.js" client "$FX" "$port" "$T/up.bin" "$SIZE" \
    > "$T/bun.out" 2> "$T/bun.err"
  local brc=$?
  wait "$ppid"
  local prc=$?
  local r p
  r=$(grep '^RESULT' "$T/bun.out")
  p=$(grep '^RESULT' "$T/peer.out")
  if [ $brc -eq 0 ] && [ $prc -eq 0 ] && [ "$(field recv_sha256 "$r")" = "$SHA_DOWN" ] &&
     [ "$(field recv_sha256 "$p")" = "$SHA_UP" ]; then
    pass "$name: $SIZE bytes each way, both sha256 match [$(field version "$p") $(field cipher "$p")] ($(( $(ms) - t0 )) ms)"
  else
    fail "$name: bun rc=$brc tls_peer rc=$prc; bun: $r; tls_peer: $p"
    show_logs "$T/bun.err" "$T/peer.err"
  fi
}

# ---- bun_tcp -> Bun server ------------------------------------------------------------------
start_bun_server() { # options...; sets BPORT and BPID
  : > "$T/bsrv.out"
  timeout "$TMO" "$BUN" "$HERE/bun_peer.js" server "$FX" "$@" > "$T/bsrv.out" 2> "$T/bsrv.err" &
  BPID=$!
  PIDS+=("$BPID")
  BPORT=$(wait_line "$T/bsrv.out" 's/^PORT \([0-9][0-9]*\)$/\1/p')
}

# client_to_bun NAME "bun server options" "tls_client options" CHECK_STDERR_REGEX
client_to_bun() {
  local name=$1 bopts=$2 copts=$3 errre=$4 t0
  t0=$(ms)
  # shellcheck disable=SC2086
  start_bun_server $bopts || { fail "$name: Bun server did not start"; show_logs "$T/bsrv.err"; return; }
  # shellcheck disable=SC2086
  timeout "$TMO" "$CLIENT" --ca "$FX/ca.crt" $copts 127.0.0.1 "$BPORT" < "$T/up.bin" \
    > "$T/got.bin" 2> "$T/cli.err"
  local crc=$?
  wait "$BPID"
  local brc=$?
  local r got
  r=$(grep '^RESULT' "$T/bsrv.out")
  got=$(sha256sum < "$T/got.bin" | cut -d' ' -f1)
  if [ $crc -eq 0 ] && [ $brc -eq 0 ] && [ "$got" = "$SHA_UP" ] &&
     [ "$(field recv_sha256 "$r")" = "$SHA_UP" ] && grep -Eq "$errre" "$T/cli.err"; then
    pass "$name: $SIZE bytes echoed, sha256 match [$(head -1 "$T/cli.err"); Bun: alpn=$(field alpn "$r") client-authorized=$(field authorized "$r")] ($(( $(ms) - t0 )) ms)"
  else
    fail "$name: tls_client rc=$crc bun rc=$brc; got $(stat -c %s "$T/got.bin") bytes sha $got; bun: $r"
    show_logs "$T/cli.err" "$T/bsrv.err"
  fi
}

# peer_to_bun NAME "tls_peer client options": tls_peer sends up.bin and expects its echo
peer_to_bun() {
  local name=$1 copts=$2 t0
  t0=$(ms)
  start_bun_server || { fail "$name: Bun server did not start"; show_logs "$T/bsrv.err"; return; }
  # shellcheck disable=SC2086
  "$PEER" client --port "$BPORT" --ca "$FX/ca.crt" --send-file "$T/up.bin" --expect "$SIZE" \
    --timeout "$TMO" $copts > "$T/peer.out" 2> "$T/peer.err"
  local prc=$?
  wait "$BPID"
  local brc=$?
  local p r
  p=$(grep '^RESULT' "$T/peer.out")
  r=$(grep '^RESULT' "$T/bsrv.out")
  if [ $prc -eq 0 ] && [ $brc -eq 0 ] && [ "$(field recv_sha256 "$p")" = "$SHA_UP" ] &&
     [ "$(field recv_sha256 "$r")" = "$SHA_UP" ]; then
    pass "$name: $SIZE bytes echoed, sha256 match [$(field version "$p") $(field cipher "$p") authorized=$(field authorized "$p")] ($(( $(ms) - t0 )) ms)"
  else
    fail "$name: tls_peer rc=$prc bun rc=$brc; tls_peer: $p; bun: $r"
    show_logs "$T/peer.err" "$T/bsrv.err"
  fi
}

echo "== Bun client -> bun_tcp server"
bun_to_echo "Bun.connect -> tls_echo_server (TLS 1.3)" "" "" "^open +TLSv1.3 .*client-cert=none"
bun_to_echo "Bun.connect with client cert -> tls_echo_server --request-cert" \
  "--ca $FX/ca.crt --request-cert" "--client-cert" "^open +TLSv1.3 .*client-cert=verified"
bun_to_echo "Bun.connect ALPN h2 -> tls_echo_server --alpn h2,http/1.1" "--alpn h2,http/1.1" \
  "--alpn h2" "^open +TLSv1.3 .*alpn=h2 "
bun_to_peer "Bun.connect -> tls_peer server, TLS 1.2 (max_version)" "--max 1.2 --want-version TLSv1.2"

echo "== bun_tcp client -> Bun server"
client_to_bun "tls_client -> Bun.listen (TLS 1.3)" "" "" "connected: TLSv1.3 .* verified"
client_to_bun "tls_client with client cert -> Bun.listen requestCert" "--request-cert" \
  "--cert $FX/client.crt --key $FX/client.key" "connected: TLSv1.3 .* verified"
client_to_bun "tls_client ALPN h2 -> Bun.listen ALPN h2,http/1.1" "--alpn h2,http/1.1" \
  "--alpn h2" "connected: TLSv1.3 .* alpn=h2 "
peer_to_bun "tls_peer client TLS 1.2 (max_version) -> Bun.listen" "--max 1.2 --want-version TLSv1.2 --want-authorized 1"

if [ $FAILS -gt 0 ]; then
  echo "Bun interop: $FAILS case(s) failed"
  exit 1
fi
echo "Bun interop: all cases passed"
