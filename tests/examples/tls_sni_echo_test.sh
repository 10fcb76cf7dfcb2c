#!/usr/bin/env bash
# ctest "example_tls_sni_echo": c-examples/tls_sni_echo with two chains, against openssl s_client.
#   usage: tls_sni_echo_test.sh TLS_SNI_ECHO [FIXTURE_DIR]     (exit 77 = skipped: no openssl)
# Server chains: server.crt (CN=server; localhost, 127.0.0.1) first, other.crt (CN=other;
# other.example) second, both signed by the test CA.
# 1. -servername localhost / other.example: the served certificate's subject is CN=server /
#    CN=other, verified against the CA for that host name, and a line is echoed back.
# 2. an unknown name, and no SNI at all: the first chain (CN=server) is served, so a client that
#    verifies the name it asked for refuses it (documented behaviour of the example).
# 3. chains given in the other order: the unknown name gets CN=other, the new first chain.
# 4. SIGTERM: the server exits 0.
set -euo pipefail
BIN=$1
FX=${2:-${BUN_TCP_TLS_FIXTURES:?set BUN_TCP_TLS_FIXTURES or pass FIXTURE_DIR}}
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/tls_sni_echo.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; echo "server stderr:"; cat "$T/err"; exit 1; }

start() { # --chain CERT KEY ...
  : > "$T/out" # empty now, not when the child gets to it: no stale port, no missing file
  "$BIN" "$@" > "$T/out" 2> "$T/err" &
  PID=$!
  PORT=
  for _ in $(seq 100); do # up to 10 s for "listening on 127.0.0.1:PORT"
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/out")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "tls_sni_echo did not start"
}

stop() { # SIGTERM, then a clean exit
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=
  [ "$rc" = 0 ] || fail "tls_sni_echo exited with $rc after SIGTERM"
}

# subject SNI_ARGS...: the subject of the certificate served (no verification).
subject() {
  openssl s_client -connect "127.0.0.1:$PORT" "$@" < /dev/null 2> /dev/null |
    openssl x509 -noout -subject -nameopt RFC2253
}

# verified_echo NAME: asks for NAME, verifies the certificate for NAME, sends a line, reads it back.
verified_echo() {
  local name=$1 line=
  coproc CLIENT { openssl s_client -connect "127.0.0.1:$PORT" -servername "$name" \
    -CAfile "$FX/ca.crt" -verify_hostname "$name" -verify_return_error -quiet 2> "$T/client.err"; }
  echo "hello $name" >&"${CLIENT[1]}"
  read -r -t 10 line <&"${CLIENT[0]}" || true
  kill "$CLIENT_PID" 2>/dev/null || true
  wait "$CLIENT_PID" 2>/dev/null || true
  [ "$line" = "hello $name" ] || { cat "$T/client.err"; fail "no echo for $name (got '$line')"; }
}

start --chain "$FX/server.crt" "$FX/server.key" --chain "$FX/other.crt" "$FX/other.key"

echo "== SNI picks the certificate; verified echo"
[ "$(subject -servername localhost)" = "subject=CN=server" ] || fail "localhost: wrong certificate"
[ "$(subject -servername other.example)" = "subject=CN=other" ] || fail "other.example: wrong certificate"
verified_echo localhost
verified_echo other.example

echo "== unknown name and no SNI: the first chain"
[ "$(subject -servername unknown.example)" = "subject=CN=server" ] || fail "unknown name: not the first chain"
[ "$(subject -noservername)" = "subject=CN=server" ] || fail "no SNI: not the first chain"
if openssl s_client -connect "127.0.0.1:$PORT" -servername unknown.example -CAfile "$FX/ca.crt" \
     -verify_hostname unknown.example -verify_return_error < /dev/null > "$T/refused.out" 2>&1; then
  fail "a verifying client accepted the first chain for unknown.example"
fi
grep -q "hostname mismatch" "$T/refused.out" || { cat "$T/refused.out"; fail "no hostname mismatch reported"; }
stop

echo "== chains in the other order: the unknown name gets the new first chain"
start --chain "$FX/other.crt" "$FX/other.key" --chain "$FX/server.crt" "$FX/server.key"
[ "$(subject -servername unknown.example)" = "subject=CN=other" ] || fail "unknown name: not the first chain"
[ "$(subject -servername localhost)" = "subject=CN=server" ] || fail "localhost: wrong certificate"
stop
echo "tls_sni_echo example: OK"
