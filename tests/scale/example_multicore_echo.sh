#!/usr/bin/env bash
# ctest "example_multicore_echo": multicore_echo with 3 loops on a free port, 30 echo_client runs
# against it, then SIGTERM: it must stop every loop, report 30 connections in total and exit 0.
# usage: example_multicore_echo.sh <multicore_echo> <echo_client>
set -euo pipefail
SERVER=$1 CLIENT=$2 RUNS=30
LOG=$(mktemp "${TMPDIR:-/tmp}/multicore_echo.XXXXXX")
"$SERVER" 3 0 127.0.0.1 >"$LOG" 2>&1 &
PID=$!
trap 'kill -9 "$PID" 2>/dev/null || true; rm -f "$LOG"' EXIT

PORT=
for _ in $(seq 100); do   # up to 10 s for "listening on 127.0.0.1:PORT with 3 loops"
  PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) with 3 loops$/\1/p' "$LOG")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "multicore_echo died:"; cat "$LOG"; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "multicore_echo did not start:"; cat "$LOG"; exit 1; }

for i in $(seq "$RUNS"); do
  out=$("$CLIENT" "$PORT" "message $i")
  [ "$out" = "echo: message $i" ] || { echo "run $i got: $out"; exit 1; }
done

kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
wait "$PID"   # set -e: fails unless multicore_echo exited 0
cat "$LOG"
grep -qx "got SIGTERM, stopping" "$LOG"
[ "$(grep -c '^loop [0-2]: ' "$LOG")" -eq 3 ]
grep -qx "total: $RUNS connections" "$LOG"
echo "multicore_echo example: OK"
