#!/usr/bin/env bash
# TLS session resumption (SPEC 8.5) with Bun 1.4.4 on the other end (ctest tls_interop_bun_sessions,
# label tls-interop), over 127.0.0.1. Each case makes 3 connections one after another; every one
# sends BUN_TCP_INTEROP_SESSION_BYTES (default 256 KiB) and checks SHA-256 digests on both ends, and
# both ends report whether the handshake resumed (bun_tcp_socket_session_reused on bun_tcp's end,
# socket.isSessionReused() on Bun's). What Bun 1.4.4 does, as asserted here:
#
#   bun_tcp client -> Bun.listen({tls}): tls_peer --connections 3 (one loop, equal options): the
#     first handshake is full, the next two resume, on both ends; TLS 1.3 (tickets) and TLS 1.2
#     (bun_tcp's max_version; Bun's server resumes TLS 1.2 by session ticket).
#   Bun client -> bun_tcp server (tls_peer server --connections 3), TLS 1.3 and TLS 1.2 (the
#     server's max_version). Bun's clients never resume on their own; the session of the last
#     connection (socket.getSession() once the echo is in, so TLS 1.3 tickets are in it) is offered:
#       - Bun.connect, then socket.setSession(session) in `open`: full, resumed, resumed;
#       - node:tls tls.connect({session}) (session from the "session" event): full, resumed, resumed;
#       - Bun.connect({tls: {session}}): Bun 1.4.4 ignores the option: three full handshakes;
#       - nothing offered: three full handshakes.
#
#   usage: interop_bun_sessions.sh TLS_PEER [FIXTURE_DIR]
# Bun: $BUN_TCP_BUN, else scripts/fetch_bun.sh. Exit 0 when every case passed, 1 otherwise,
# 77 (skip) when no Bun binary is available.
set -uo pipefail
PEER=${1:?usage: interop_bun_sessions.sh TLS_PEER [FIXTURE_DIR]}
FX=${2:-${BUN_TCP_TLS_FIXTURES:?set BUN_TCP_TLS_FIXTURES or pass FIXTURE_DIR}}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE=${BUN_TCP_INTEROP_SESSION_BYTES:-262144}
TMO=${BUN_TCP_INTEROP_TIMEOUT:-30} # seconds per program
N=3
source "$HERE/interop_lib.sh"
interop_setup interop_bun_sessions "$SIZE"
JS=$HERE/bun_session_peer.js
echo "payloads: $SIZE bytes per connection, $N connections per case"
# the values of field $1 on every RESULT line of file $2, comma-separated ("0,1,1")
fields() { sed -n "s/^RESULT.* $1=\([^ ]*\).*/\1/p" "$2" | paste -sd, -; }
# "v,v,v": $1 repeated N times
times_n() { local s=$1; for _ in $(seq 2 $N); do s="$s,$1"; done; echo "$s"; }

SHOW_LOG_LINES=8

# ---- bun_tcp client -> Bun server ------------------------------------------------------------
# peer_to_bun NAME VERSION WANT_REUSED "tls_peer client options"
peer_to_bun() {
  local name=$1 version=$2 want=$3 copts=$4
  : > "$T/bsrv.out"
  timeout "$TMO" "$BUN" "$JS" server "$FX" "$N" > "$T/bsrv.out" 2> "$T/bsrv.err" &
  local bpid=$!
  PIDS+=("$bpid")
  local port
  port=$(wait_line "$T/bsrv.out" 's/^PORT \([0-9][0-9]*\)$/\1/p') || {
    fail "$name: Bun server did not start"; show_logs "$T/bsrv.err"; return; }
  # shellcheck disable=SC2086
  "$PEER" client --port "$port" --ca "$FX/ca.crt" --send-file "$T/up.bin" --expect "$SIZE" \
    --connections "$N" --want-version "$version" --want-authorized 1 --want-reused "$want" \
    --timeout "$TMO" $copts > "$T/peer.out" 2> "$T/peer.err"
  local prc=$?
  wait "$bpid"
  local brc=$?
  local p_reused b_reused p_sha b_sha b_ver
  p_reused=$(fields reused "$T/peer.out")
  b_reused=$(fields reused "$T/bsrv.out")
  p_sha=$(fields recv_sha256 "$T/peer.out")
  b_sha=$(fields recv_sha256 "$T/bsrv.out")
  b_ver=$(fields version "$T/bsrv.out")
  if [ $prc -eq 0 ] && [ $brc -eq 0 ] && [ "$p_reused" = "$want" ] && [ "$b_reused" = "$want" ] &&
     [ "$p_sha" = "$(times_n "$SHA_UP")" ] && [ "$b_sha" = "$(times_n "$SHA_UP")" ] &&
     [ "$b_ver" = "$(times_n "$version")" ]; then
    pass "$name: reused $p_reused (bun_tcp) / $b_reused (Bun), $N x $SIZE bytes echoed, sha256 match"
  else
    fail "$name: tls_peer rc=$prc Bun rc=$brc; reused: bun_tcp $p_reused, Bun $b_reused, want $want; Bun versions $b_ver"
    show_logs "$T/peer.out" "$T/peer.err" "$T/bsrv.out" "$T/bsrv.err"
  fi
}

# ---- Bun client -> bun_tcp server ------------------------------------------------------------
# bun_to_peer NAME HOW VERSION WANT_REUSED "tls_peer server options"
bun_to_peer() {
  local name=$1 how=$2 version=$3 want=$4 sopts=$5
  : > "$T/peer.out"
  # shellcheck disable=SC2086
  "$PEER" server --cert "$FX/server.crt" --key "$FX/server.key" --send-file "$T/down.bin" \
    --expect "$SIZE" --connections "$N" --want-version "$version" --want-reused "$want" \
    --timeout "$TMO" $sopts > "$T/peer.out" 2> "$T/peer.err" &
  local ppid=$!
  PIDS+=("$ppid")
  local port
  port=$(wait_line "$T/peer.out" 's/^PORT \([0-9][0-9]*\)$/\1/p') || {
    fail "$name: tls_peer did not start"; show_logs "$T/peer.err"; return; }
  timeout "$TMO" "$BUN" "$JS" client "$FX" "$port" "$T/up.bin" "$SIZE" "$N" "$how" \
    > "$T/bcli.out" 2> "$T/bcli.err"
  local brc=$?
  wait "$ppid"
  local prc=$?
  local p_reused b_reused p_sha b_sha b_ver
  p_reused=$(fields reused "$T/peer.out")
  b_reused=$(fields reused "$T/bcli.out")
  p_sha=$(fields recv_sha256 "$T/peer.out")
  b_sha=$(fields recv_sha256 "$T/bcli.out")
  b_ver=$(fields version "$T/bcli.out")
  if [ $prc -eq 0 ] && [ $brc -eq 0 ] && [ "$p_reused" = "$want" ] && [ "$b_reused" = "$want" ] &&
     [ "$p_sha" = "$(times_n "$SHA_UP")" ] && [ "$b_sha" = "$(times_n "$SHA_DOWN")" ] &&
     [ "$b_ver" = "$(times_n "$version")" ]; then
    pass "$name: reused $p_reused (bun_tcp) / $b_reused (Bun), $N x $SIZE bytes each way, sha256 match [session sizes $(fields session "$T/bcli.out")]"
  else
    fail "$name: Bun rc=$brc tls_peer rc=$prc; reused: bun_tcp $p_reused, Bun $b_reused, want $want; Bun versions $b_ver"
    show_logs "$T/bcli.out" "$T/bcli.err" "$T/peer.out" "$T/peer.err"
  fi
}

FULL_THEN_RESUMED=0,1,1
ALL_FULL=0,0,0

echo "== bun_tcp client (one loop, equal options) -> Bun.listen"
peer_to_bun "tls_peer x3 -> Bun.listen, TLS 1.3" TLSv1.3 $FULL_THEN_RESUMED ""
peer_to_bun "tls_peer x3 -> Bun.listen, TLS 1.2 (client max_version)" TLSv1.2 $FULL_THEN_RESUMED "--max 1.2"

echo "== Bun client -> bun_tcp server"
for v in 1.3 1.2; do
  max=""
  [ $v = 1.2 ] && max="--max 1.2"
  bun_to_peer "Bun.connect + setSession() x3 -> tls_peer server, TLS $v" set-session "TLSv$v" $FULL_THEN_RESUMED "$max"
  bun_to_peer "node:tls connect({session}) x3 -> tls_peer server, TLS $v" node-tls "TLSv$v" $FULL_THEN_RESUMED "$max"
  # Bun 1.4.4's Bun.connect has no `session` TLS option: it is ignored, nothing resumes
  bun_to_peer "Bun.connect({tls: {session}}) x3 -> tls_peer server, TLS $v (ignored by Bun)" session-option "TLSv$v" $ALL_FULL "$max"
done
bun_to_peer "Bun.connect x3, no session offered -> tls_peer server, TLS 1.3" none TLSv1.3 $ALL_FULL ""

if [ $FAILS -gt 0 ]; then
  echo "Bun session interop: $FAILS case(s) failed"
  exit 1
fi
echo "Bun session interop: all cases passed"
