#!/usr/bin/env bash
# ctest "example_handover" (cmake/examples.cmake): a zero-downtime handover under load.
#   1. `handover old` serves 127.0.0.1:PORT; handover_load connects continuously (4 threads of
#      short echo connections, 2 long connections pinging every 20 ms);
#   2. once 300 connections completed, `handover new` takes the listening socket over SCM_RIGHTS
#      and serves it; the old process stops accepting and drains;
#   3. the load goes on until the new process alone completed 300 more and the long connections
#      (still on the old process) answered 10 more times, then stops;
#   4. asserts: no connection refused, every echo complete (handover_load exits 0), the old process
#      exits by itself once drained, and both processes served connections, which add up to what
#      the clients completed (short ones plus the 2 long ones).
# usage: handover_test.sh <handover> <handover_load>
set -euo pipefail
HANDOVER=$1 LOAD=$2
DIR=$(mktemp -d "${TMPDIR:-/tmp}/handover.XXXXXX")
CTL=$DIR/control.sock
OLD= NEW= LOADPID=
cleanup() {
  for p in $LOADPID $NEW $OLD; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in old new load; do echo "--- $f.log"; cat "$DIR/$f.log" 2>/dev/null || true; done; exit 1; }
wait_for() { # wait_for FILE PATTERN PID: up to 20 s for PATTERN in FILE while PID lives
  for _ in $(seq 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null && return 0; fail "process $3 exited before '$2'"; }
    sleep 0.1
  done
  fail "no '$2' in $1"
}

"$HANDOVER" old "$CTL" >"$DIR/old.log" 2>&1 &
OLD=$!
wait_for "$DIR/old.log" "old: listening on" "$OLD"
PORT=$(sed -n 's/^old: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$DIR/old.log")

"$LOAD" "$PORT" "$DIR/handed_over" 300 300 >"$DIR/load.log" 2>&1 &
LOADPID=$!
wait_for "$DIR/load.log" "load: warmed up" "$LOADPID"

"$HANDOVER" new "$CTL" >"$DIR/new.log" 2>&1 &
NEW=$!
wait_for "$DIR/new.log" "new: listening on 127.0.0.1:$PORT (inherited)" "$NEW"
wait_for "$DIR/old.log" "old: handed over" "$OLD"
touch "$DIR/handed_over"

wait "$LOADPID" && load_status=0 || load_status=$?
LOADPID=
[ "$load_status" = 0 ] || fail "the clients saw refusals or failed echoes (status $load_status)"
wait_for "$DIR/old.log" "old: served" "$OLD" # it exits by itself once its connections closed
wait "$OLD" || fail "old exited with $?"
OLD=
kill -TERM "$NEW"
wait "$NEW" || fail "new exited with $?"
NEW=

completed=$(sed -n 's/^load: completed=\([0-9]*\) .*/\1/p' "$DIR/load.log")
long=$(sed -n 's/.* long=\([0-9]*\)$/\1/p' "$DIR/load.log")
old_served=$(sed -n 's/^old: served \([0-9]*\) connections$/\1/p' "$DIR/old.log")
new_served=$(sed -n 's/^new: served \([0-9]*\) connections$/\1/p' "$DIR/new.log")
grep -q 'refused=0 failed=0' "$DIR/load.log" || fail "refused or failed connections"
[ "$old_served" -gt 0 ] || fail "the old process served nothing"
[ "$new_served" -ge 300 ] || fail "the new process served $new_served connections (at least 300 expected)"
[ $((old_served + new_served)) = $((completed + long)) ] ||
  fail "served $old_served + $new_served, but the clients completed $completed + $long"
cat "$DIR/load.log" "$DIR/old.log" "$DIR/new.log"
echo "handover example: OK (old served $old_served, new served $new_served, none refused)"
