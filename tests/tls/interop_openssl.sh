#!/usr/bin/env bash
# TLS interop with the openssl CLI (ctest label tls-interop), over 127.0.0.1 only:
#   openssl s_client -> bun_tcp server (tls_peer server)
#   bun_tcp client (tls_peer client) -> openssl s_server
# for TLS 1.3 and TLS 1.2, with and without client certificates, and with ALPN. Each successful
# case moves BUN_TCP_INTEROP_BYTES (default 16 MiB) in each direction at once and checks both
# SHA-256 digests; the refused cases check that both sides fail with the expected verdict.
#
#   usage: interop_openssl.sh TLS_PEER [FIXTURE_DIR]      (FIXTURE_DIR default: $BUN_TCP_TLS_FIXTURES)
# Exit 0 when every case passed, 1 otherwise, 77 (skip) without the openssl CLI.
set -uo pipefail
PEER=${1:?usage: interop_openssl.sh TLS_PEER [FIXTURE_DIR]}
FX=${2:-${BUN_TCP_TLS_FIXTURES:?set BUN_TCP_TLS_FIXTURES or pass FIXTURE_DIR}}
SIZE=${BUN_TCP_INTEROP_BYTES:-16777216}
TMO=${BUN_TCP_INTEROP_TIMEOUT:-30} # seconds per program (16 MiB on loopback takes ~1 s)
command -v openssl >/dev/null || { echo "SKIP: no openssl CLI"; exit 77; }
command -v ss >/dev/null || { echo "SKIP: no ss (iproute2) to find s_server's port"; exit 77; }
export OPENSSL_CONF=/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/bun_tcp_interop_openssl.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

head -c "$SIZE" /dev/urandom > "$T/up.bin"     # what the client sends
head -c "$SIZE" /dev/urandom > "$T/down.bin"   # what the server sends
SHA_UP=$(sha256sum < "$T/up.bin" | cut -d' ' -f1)
SHA_DOWN=$(sha256sum < "$T/down.bin" | cut -d' ' -f1)
echo "payloads: $SIZE bytes each way; up sha256 $SHA_UP, down sha256 $SHA_DOWN"

FAILS=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; } # field NAME "RESULT line"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# waits (up to 10 s) for "PORT n" from tls_peer server in file $1; prints n
peer_port() {
  local p
  for _ in $(seq 200); do
    p=$(sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$1")
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.05
  done
  return 1
}

# waits (up to 10 s) for process $1 or one of its children (timeout runs openssl as its child)
# to listen on TCP; prints the port
listen_port() {
  local p pid
  for _ in $(seq 200); do
    for pid in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
      p=$(ss -ltnpH 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | head -1)
      [ -n "$p" ] && { echo "$p"; return 0; }
    done
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# ---- openssl s_client -> bun_tcp server ----------------------------------------------------
# s_client_case NAME EXPECT(ok|fail) "tls_peer server options" "s_client options"
s_client_case() {
  local name=$1 expect=$2 popts=$3 copts=$4
  local t0
  t0=$(ms)
  : > "$T/peer.out"
  # shellcheck disable=SC2086
  "$PEER" server --cert "$FX/server.crt" --key "$FX/server.key" --send-file "$T/down.bin" \
    --expect "$SIZE" --timeout "$TMO" $popts > "$T/peer.out" 2> "$T/peer.err" &
  local ppid=$!
  PIDS+=("$ppid")
  local port
  if ! port=$(peer_port "$T/peer.out"); then
    fail "$name: tls_peer server did not start: $(cat "$T/peer.err")"
    return
  fi
  # -quiet: raw data on stdin/stdout, and EOF on stdin is ignored: s_client reads until the
  # server closes (bun_tcp ends once it has sent everything and received SIZE bytes).
  # shellcheck disable=SC2086
  timeout "$TMO" openssl s_client -connect "127.0.0.1:$port" -servername localhost \
    -CAfile "$FX/ca.crt" -verify_return_error -verify_hostname localhost -quiet $copts \
    < "$T/up.bin" > "$T/got_down.bin" 2> "$T/sc.err"
  local src=$?
  wait "$ppid"
  local prc=$?
  local result
  result=$(grep '^RESULT' "$T/peer.out")
  local got_down
  got_down=$(sha256sum < "$T/got_down.bin" | cut -d' ' -f1)
  if [ "$expect" = ok ]; then
    if [ $prc -eq 0 ] && [ "$(field recv_sha256 "$result")" = "$SHA_UP" ] && [ "$got_down" = "$SHA_DOWN" ]; then
      pass "$name: $SIZE bytes each way, both sha256 match [$(field version "$result") $(field cipher "$result") alpn=$(field alpn "$result") client-cert-authorized=$(field authorized "$result")] ($(( $(ms) - t0 )) ms)"
    else
      fail "$name: tls_peer rc=$prc s_client rc=$src; $result; s_client got $(stat -c %s "$T/got_down.bin") bytes sha $got_down"
      sed 's/^/    peer: /' "$T/peer.err" | tail -5
      sed 's/^/    s_client: /' "$T/sc.err" | tail -5
    fi
  else
    local want=$expect
    if [ $prc -ne 0 ] && [ $src -ne 0 ] && [ "$(field close "$result")" = "$want" ] && [ "$(field recv "$result")" = 0 ]; then
      pass "$name: refused as expected (bun_tcp: $want; s_client rc=$src: $(grep -m1 -i 'alert\|error' "$T/sc.err" | cut -c1-100))"
    else
      fail "$name: expected a refusal with $want; tls_peer rc=$prc s_client rc=$src; $result"
      sed 's/^/    peer: /' "$T/peer.err" | tail -5
      sed 's/^/    s_client: /' "$T/sc.err" | tail -5
    fi
  fi
}

# ---- bun_tcp client -> openssl s_server ----------------------------------------------------
# s_server_case NAME EXPECT(ok|fail verdict) "s_server options" "tls_peer client options"
s_server_case() {
  local name=$1 expect=$2 sopts=$3 copts=$4
  local t0
  t0=$(ms)
  rm -f "$T/fifo"
  mkfifo "$T/fifo"
  # -quiet: raw data; stdin is a fifo held open by this script, so s_server never sees EOF on
  # it (which would make it close the connection) before bun_tcp has finished.
  # shellcheck disable=SC2086
  timeout "$TMO" openssl s_server -accept 127.0.0.1:0 -naccept 1 -quiet $sopts \
    < "$T/fifo" > "$T/got_up.bin" 2> "$T/ss.err" &
  local spid=$!
  PIDS+=("$spid")
  exec 3> "$T/fifo"
  cat "$T/down.bin" >&3 &
  local cpid=$!
  PIDS+=("$cpid")
  local port
  if ! port=$(listen_port "$spid"); then
    exec 3>&-
    fail "$name: s_server did not start: $(cat "$T/ss.err")"
    return
  fi
  # shellcheck disable=SC2086
  "$PEER" client --port "$port" --ca "$FX/ca.crt" --send-file "$T/up.bin" --expect "$SIZE" \
    --timeout "$TMO" $copts > "$T/peer.out" 2> "$T/peer.err"
  local prc=$?
  exec 3>&-
  kill "$cpid" 2>/dev/null
  wait "$spid"
  local src=$?
  local result
  result=$(grep '^RESULT' "$T/peer.out")
  local got_up
  got_up=$(sha256sum < "$T/got_up.bin" | cut -d' ' -f1)
  if [ "$expect" = ok ]; then
    if [ $prc -eq 0 ] && [ "$(field recv_sha256 "$result")" = "$SHA_DOWN" ] && [ "$got_up" = "$SHA_UP" ]; then
      pass "$name: $SIZE bytes each way, both sha256 match [$(field version "$result") $(field cipher "$result") alpn=$(field alpn "$result") server-authorized=$(field authorized "$result")] ($(( $(ms) - t0 )) ms)"
    else
      fail "$name: tls_peer rc=$prc s_server rc=$src; $result; s_server got $(stat -c %s "$T/got_up.bin") bytes sha $got_up"
      sed 's/^/    peer: /' "$T/peer.err" | tail -5
      sed 's/^/    s_server: /' "$T/ss.err" | tail -5
    fi
  else
    local want=$expect
    if [ $prc -ne 0 ] && [ "$(field close "$result")" = "$want" ] && [ "$(field recv "$result")" = 0 ] && [ ! -s "$T/got_up.bin" ]; then
      pass "$name: refused as expected (bun_tcp: $want; s_server: $(grep -m1 -i 'alert\|error' "$T/ss.err" | cut -c1-100))"
    else
      fail "$name: expected a refusal with $want; tls_peer rc=$prc s_server rc=$src; $result"
      sed 's/^/    peer: /' "$T/peer.err" | tail -5
      sed 's/^/    s_server: /' "$T/ss.err" | tail -5
    fi
  fi
}

MTLS_SERVER="--request-cert --ca $FX/ca.crt --want-authorized 1"
CLIENT_CERT="-cert $FX/client.crt -key $FX/client.key"

echo "== openssl s_client -> bun_tcp server"
s_client_case "s_client TLS 1.3" ok "--want-version TLSv1.3" "-tls1_3"
s_client_case "s_client TLS 1.2" ok "--want-version TLSv1.2" "-tls1_2"
s_client_case "s_client TLS 1.3 + client certificate" ok "$MTLS_SERVER --want-version TLSv1.3" "-tls1_3 $CLIENT_CERT"
s_client_case "s_client TLS 1.2 + client certificate" ok "$MTLS_SERVER --want-version TLSv1.2" "-tls1_2 $CLIENT_CERT"
s_client_case "s_client TLS 1.3 ALPN h2" ok "--alpn h2,http/1.1 --want-alpn h2" "-tls1_3 -alpn h2"
s_client_case "s_client TLS 1.2 ALPN http/1.1" ok "--alpn h2,http/1.1 --want-alpn http/1.1" "-tls1_2 -alpn http/1.1,spdy/1"
s_client_case "s_client without the required client certificate" UNABLE_TO_GET_ISSUER_CERT "--request-cert --ca $FX/ca.crt" "-tls1_3"
s_client_case "s_client with an untrusted client certificate" UNABLE_TO_VERIFY_LEAF_SIGNATURE "--request-cert --ca $FX/ca.crt" "-tls1_2 -cert $FX/rogue-client.crt -key $FX/rogue-client.key"

echo "== bun_tcp client -> openssl s_server"
SRV="-cert $FX/server.crt -key $FX/server.key"
s_server_case "s_server TLS 1.3" ok "$SRV -tls1_3" "--want-version TLSv1.3 --want-authorized 1"
s_server_case "s_server TLS 1.2" ok "$SRV -tls1_2" "--want-version TLSv1.2 --want-authorized 1"
s_server_case "s_server TLS 1.3 + client certificate" ok "$SRV -tls1_3 -Verify 1 -CAfile $FX/ca.crt -verify_return_error" "--cert $FX/client.crt --key $FX/client.key --want-version TLSv1.3"
s_server_case "s_server TLS 1.2 + client certificate" ok "$SRV -tls1_2 -Verify 1 -CAfile $FX/ca.crt -verify_return_error" "--cert $FX/client.crt --key $FX/client.key --want-version TLSv1.2"
s_server_case "s_server TLS 1.3 ALPN h2" ok "$SRV -tls1_3 -alpn h2,http/1.1" "--alpn h2 --want-alpn h2"
s_server_case "s_server TLS 1.2 ALPN http/1.1" ok "$SRV -tls1_2 -alpn http/1.1" "--alpn h2,http/1.1 --want-alpn http/1.1"
s_server_case "s_server with a self-signed certificate" DEPTH_ZERO_SELF_SIGNED_CERT "-cert $FX/self.crt -key $FX/self.key" ""
s_server_case "s_server for another name" ERR_TLS_CERT_ALTNAME_INVALID "-cert $FX/other.crt -key $FX/other.key" ""

if [ $FAILS -gt 0 ]; then
  echo "openssl interop: $FAILS case(s) failed"
  exit 1
fi
echo "openssl interop: all cases passed"
