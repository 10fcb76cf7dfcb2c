#!/usr/bin/env bash
# ctest "example_echo": start echo_server on a free port, run echo_client against it twice.
# usage: echo_test.sh <echo_server> <echo_client>
set -euo pipefail
SERVER=$1 CLIENT=$2
LOG=$(mktemp "${TMPDIR:-/tmp}/echo_server.XXXXXX")
"$SERVER" 0 127.0.0.1 >"$LOG" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$LOG"' EXIT

PORT=
for _ in $(seq 100); do   # up to 10 s for "listening on 127.0.0.1:PORT"
  PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOG")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "echo_server died:"; cat "$LOG"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "echo_server did not start:"; cat "$LOG"; exit 1; }

out=$("$CLIENT" "$PORT" "hello bun_tcp")
echo "$out"
[ "$out" = "echo: hello bun_tcp" ]
big=$(head -c 3000 /dev/zero | tr '\0' 'x')
out=$("$CLIENT" "$PORT" "$big")
[ "$out" = "echo: $big" ]
echo "server log:"; cat "$LOG"
echo "echo example: OK"
