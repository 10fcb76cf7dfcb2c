# bench/lib.sh: shell helpers of the workload scripts (sourced, not run).
#
# Rows: every workload script appends tab-separated lines
#   workload<TAB>contender<TAB>metric<TAB>round<TAB>value
# to its --out file; bench/report.py turns them into the table.
#
# Servers: start_server NAME CMD... runs one server in the background (on CPU 0 when BENCH_PIN=1;
# clients then use "${CLIENT_CPU[@]}" = CPU 1), waits until $PORT listens, and sets SERVER_PID.
# stop_server ends it (SIGTERM, then SIGKILL after 10 s). cpu_ticks sums user + system time of the
# server and its child processes (nginx's workers) from /proc/PID/stat.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUN_VERSION=1.4.4
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

# need_tool COMMAND [PACKAGE]: a missing tool is an error (the package name tells how to get it).
need_tool() { command -v "$1" >/dev/null || die "$1 not found (apt-get install ${2:-$1})"; }

# find_bun [PATH]: sets BUN_BIN (PATH, BUN_BIN already set, $BUN_TCP_BUN or
# scripts/fetch_bun.sh). Without Bun the script exits 77 in --smoke mode (ctest: skipped) and 1
# otherwise.
find_bun() {
  BUN_BIN=${1:-${BUN_BIN:-${BUN_TCP_BUN:-}}}
  if [ -z "$BUN_BIN" ] || [ ! -x "$BUN_BIN" ]; then
    if ! BUN_BIN=$(bash "$BENCH_ROOT/scripts/fetch_bun.sh"); then
      [ "${SMOKE:-0}" = 1 ] && { log "SKIP: no Bun $BUN_VERSION binary"; exit 77; }
      die "no Bun $BUN_VERSION binary (scripts/fetch_bun.sh failed)"
    fi
  fi
}

# find_bin NAME: prints $BIN_DIR/NAME, or fails if it was not built.
find_bin() {
  [ -x "$BIN_DIR/$1" ] || die "$BIN_DIR/$1 not built (bash bench/build.sh; bench_libuv_server needs libuv1-dev)"
  echo "$BIN_DIR/$1"
}

# default_bin_dir: $BUN_TCP_BINARY_DIR (ctest, bench/run.sh), else build/bench (built if needed).
default_bin_dir() {
  if [ -n "${BUN_TCP_BINARY_DIR:-}" ]; then echo "$BUN_TCP_BINARY_DIR"; return; fi
  bash "$BENCH_ROOT/bench/build.sh" "$BENCH_ROOT/build/bench" >&2 || die "build failed"
  echo "$BENCH_ROOT/build/bench"
}

SERVER_CPU=() CLIENT_CPU=()
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 30000))
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

SERVER_PID= SERVER_NAME=
# start_server NAME CMD...: CMD must listen on 127.0.0.1:$PORT (set PORT=$(free_port) first).
start_server() {
  SERVER_NAME=$1; shift
  "${SERVER_CPU[@]}" "$@" >/dev/null &
  SERVER_PID=$!
  for _ in $(seq 200); do # up to 10 s
    port_open "$PORT" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "$SERVER_NAME server exited: $*"
    sleep 0.05
  done
  die "$SERVER_NAME server did not listen on $PORT: $*"
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# cpu_ticks: user + system clock ticks of $SERVER_PID (all threads) and its children (fields 14
# and 15 of /proc/PID/stat, counted after the ")" that closes the command name, which may contain
# spaces).
cpu_ticks() {
  local pids=("$SERVER_PID") p
  for p in $(cat /proc/"$SERVER_PID"/task/*/children 2>/dev/null); do pids+=("$p"); done
  local total=0 t
  for p in "${pids[@]}"; do
    t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
# cpu_us_per TICKS_BEFORE TICKS_AFTER N: server CPU microseconds per unit of work.
cpu_us_per() {
  awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" -v n="$3" 'BEGIN { printf "%.3f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }'
}

# row WORKLOAD CONTENDER METRIC ROUND VALUE: one result line into $OUT.
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT"; }
