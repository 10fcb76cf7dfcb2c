#!/usr/bin/env bash
# ctest "example_tls_echo": c-examples/tls_echo_server and c-examples/tls_client against each other.
#   usage: example_tls_echo.sh TLS_ECHO_SERVER TLS_CLIENT [FIXTURE_DIR]
# 1. a 1 MiB echo through TLS 1.3, verified against the test CA: the output equals the input;
# 2. mTLS: the server requires a client certificate and logs it as verified;
# 3. a client that trusts only the system store refuses the server (UNABLE_TO_VERIFY_LEAF_SIGNATURE,
#    exit 1) and --insecure connects anyway, reporting the verdict.
set -euo pipefail
SERVER=$1 CLIENT=$2
FX=${3:-${BUN_TCP_TLS_FIXTURES:?set BUN_TCP_TLS_FIXTURES or pass FIXTURE_DIR}}
T=$(mktemp -d "${TMPDIR:-/tmp}/tls_echo.XXXXXX")
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT

start() { # server options...
  : > "$T/srv.out"
  "$SERVER" --cert "$FX/server.crt" --key "$FX/server.key" "$@" > "$T/srv.out" 2> "$T/srv.err" &
  PID=$!
  PORT=
  for _ in $(seq 100); do # up to 10 s for "listening on 127.0.0.1:PORT"
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/srv.out")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "tls_echo_server did not start:"; cat "$T/srv.err"; exit 1
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; }

head -c 1048576 /dev/urandom > "$T/in.bin"

echo "== 1 MiB echo, TLS 1.3"
start
"$CLIENT" --ca "$FX/ca.crt" 127.0.0.1 "$PORT" < "$T/in.bin" > "$T/out.bin" 2> "$T/cli.err"
cat "$T/cli.err"
cmp "$T/in.bin" "$T/out.bin"
grep -q "server certificate verified" "$T/cli.err"

echo "== mTLS"
stop
start --ca "$FX/ca.crt" --request-cert --once
echo "hello mTLS" | "$CLIENT" --ca "$FX/ca.crt" --cert "$FX/client.crt" --key "$FX/client.key" \
  --server-name localhost 127.0.0.1 "$PORT" > "$T/out.txt" 2> "$T/cli.err"
wait "$PID"; PID=
cat "$T/srv.err"
[ "$(cat "$T/out.txt")" = "hello mTLS" ]
grep -q "client-cert=verified" "$T/srv.err"

echo "== system trust store: refused; --insecure: accepted with the verdict"
start
if echo nope | "$CLIENT" 127.0.0.1 "$PORT" > "$T/out.txt" 2> "$T/cli.err"; then
  echo "tls_client accepted a server signed by the test CA without --ca"; exit 1
fi
cat "$T/cli.err"
grep -q "UNABLE_TO_VERIFY_LEAF_SIGNATURE\|no system CA certificates" "$T/cli.err"
echo insecure | "$CLIENT" --insecure 127.0.0.1 "$PORT" > "$T/out.txt" 2> "$T/cli.err"
cat "$T/cli.err"
[ "$(cat "$T/out.txt")" = "insecure" ]
grep -q "NOT verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE" "$T/cli.err"
stop
echo "TLS echo example: OK"
