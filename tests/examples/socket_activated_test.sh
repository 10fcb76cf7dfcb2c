#!/usr/bin/env bash
# ctest "example_socket_activated" (cmake/examples.cmake): systemd-socket-activate makes the listening sockets (TCP on
# 127.0.0.1, TCP on ::1 when the machine has IPv6, and a unix path) and starts socket_activated
# on the first connection with LISTEN_FDS; every socket then echoes (socat is the client), and
# SIGTERM stops the server cleanly.
# usage: socket_activated_test.sh <socket_activated>
set -euo pipefail
SERVER=$1
command -v systemd-socket-activate >/dev/null || { echo "systemd-socket-activate missing (apt-get install systemd)"; exit 1; }
command -v socat >/dev/null || { echo "socat missing"; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/socket_activated.XXXXXX")
LOG=$DIR/log
SOCK=$DIR/echo.sock
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$PID" ] && wait "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT

free_port() { # a port the kernel just gave out (and took back): free unless a race takes it
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
ARGS=(-l "127.0.0.1:$PORT" -l "$SOCK")
HAVE_V6=0
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then # ::1 exists
  PORT6=$(free_port)
  ARGS+=(-l "[::1]:$PORT6")
  HAVE_V6=1
fi

systemd-socket-activate "${ARGS[@]}" "$SERVER" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do # up to 10 s for systemd-socket-activate to listen
  grep -q "Listening on" "$LOG" 2>/dev/null && [ -S "$SOCK" ] && break
  kill -0 "$PID" 2>/dev/null || { echo "systemd-socket-activate died:"; cat "$LOG"; exit 1; }
  sleep 0.1
done

echo_via() { # echo_via SOCAT-ADDRESS TEXT: the reply must be TEXT
  local out
  out=$(printf '%s' "$2" | socat -t 5 - "$1")
  [ "$out" = "$2" ] || { echo "echo over $1: got '$out', want '$2'"; cat "$LOG"; exit 1; }
  echo "echo over $1: OK"
}
echo_via "TCP:127.0.0.1:$PORT" "hello over IPv4" # this connection starts the server
echo_via "UNIX-CONNECT:$SOCK" "hello over unix"
[ "$HAVE_V6" = 1 ] && echo_via "TCP6:[::1]:$PORT6" "hello over IPv6"
echo_via "TCP:127.0.0.1:$PORT" "$(head -c 100000 /dev/zero | tr '\0' 'x')"

# the server is the same process (systemd-socket-activate execs it), and saw every socket
grep -q "listening on 127.0.0.1:$PORT (fd 3)" "$LOG" || { echo "no IPv4 listener line:"; cat "$LOG"; exit 1; }
grep -q "listening on $SOCK (fd 4)" "$LOG" || { echo "no unix listener line:"; cat "$LOG"; exit 1; }
[ "$HAVE_V6" = 1 ] && { grep -q "listening on \[::1\]:$PORT6 (fd 5)" "$LOG" || { echo "no IPv6 line:"; cat "$LOG"; exit 1; }; }
kill -TERM "$PID"
wait "$PID" && status=0 || status=$?
PID=
[ "$status" = 0 ] || { echo "exit status $status"; cat "$LOG"; exit 1; }
grep -q "socket_activated: stopped" "$LOG" || { echo "no clean stop:"; cat "$LOG"; exit 1; }
echo "server log:"; cat "$LOG"
echo "socket activation example: OK"
