# bench/lib/workload.sh: shared by the bulk, TLS and scale workload scripts (source it).
#
# Gives: option parsing (--out FILE --rounds N --smoke --bun PATH), row output, the Bun binary,
# C servers compiled against target/release/libbun_tcp.a, starting/stopping one server per run,
# and the server's CPU time and memory from /proc.
#
# Rows appended to $OUT: workload<TAB>contender<TAB>metric<TAB>round<TAB>value
# Env: BUN or BUN_TCP_BUN (a Bun binary), BUN_TCP_LIB (a libbun_tcp.a to link instead of building
#      it with cargo), BENCH_BUILD (where C servers are compiled; default target/bench),
#      BENCH_PIN=1 (servers on CPU 0, clients on CPU 1, as in bench/lib.sh).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT= ROUNDS=3 SMOKE=0 BUN_BIN=${BUN:-${BUN_TCP_BUN:-}}
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[$(basename "$(dirname "$0")")] $*" >&2; }
die() { log "error: $*"; exit 1; }

parse_args() { # parse_args "$@": the options every workload script takes
  while [ $# -gt 0 ]; do
    case $1 in
      --out) OUT=$2; shift ;;
      --rounds) ROUNDS=$2; shift ;;
      --smoke) SMOKE=1 ;;
      --bun) BUN_BIN=$2; shift ;;
      -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d'; exit 0 ;;
      *) die "unknown option: $1" ;;
    esac
    shift
  done
  [ -n "$OUT" ] || die "--out FILE is required"
  [ "$SMOKE" = 1 ] && ROUNDS=1
  [ "$ROUNDS" -ge 1 ] 2>/dev/null || die "--rounds must be >= 1"
  : # the last status is the script's under set -e
}

row() { # row WORKLOAD CONTENDER METRIC ROUND VALUE
  printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT"
  log "$1 | $2 | round $4: $5 $3"
}

need() { # need TOOL [APT_PACKAGE]: fails when a tool is missing
  command -v "$1" >/dev/null || die "$1 not found (apt-get install ${2:-$1})"
}

find_bun() { # sets BUN_BIN; without Bun: exit 77 (skipped) in --smoke mode, else an error
  if [ -z "$BUN_BIN" ] || [ ! -x "$BUN_BIN" ]; then
    if ! BUN_BIN=$(bash "$ROOT/scripts/fetch_bun.sh"); then
      [ "$SMOKE" = 1 ] && { log "SKIP: no Bun binary (scripts/fetch_bun.sh failed)"; exit 77; }
      die "no Bun binary (scripts/fetch_bun.sh failed)"
    fi
  fi
}

SERVER_CPU=() CLIENT_CPU=() # prefixes of server and client commands
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi

# build_c NAME SOURCE [LINK_BUN_TCP=1]: compiles a C server into $BENCH_BUILD/NAME, prints the path.
BENCH_BUILD=${BENCH_BUILD:-$ROOT/target/bench}
build_c() {
  local name=$1 src=$2 with_lib=${3:-1} lib=()
  mkdir -p "$BENCH_BUILD"
  if [ "$with_lib" = 1 ]; then
    if [ -z "${BUN_TCP_LIB:-}" ]; then
      (cd "$ROOT" && cargo build --release --lib -q) >&2 || die "cargo build failed"
      BUN_TCP_LIB=$ROOT/target/release/libbun_tcp.a
    fi
    lib=("$BUN_TCP_LIB" -lgcc_s -lutil -lrt -lpthread -lm -ldl)
  fi
  cc -O2 -Wall -I"$ROOT/include" -o "$BENCH_BUILD/$name" "$src" "${lib[@]}" >&2 ||
    die "cannot compile $src"
  echo "$BENCH_BUILD/$name"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server LOGFILE CMD...: starts CMD (which must listen on $PORT) in the background, waits
# until the port is in LISTEN state (checked with ss: no probe connection), sets SERVER_PID.
SERVER_PID=
start_server() {
  local logfile=$1; shift
  "${SERVER_CPU[@]}" "$@" >"$logfile" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do # up to 15 s
    if [ -n "$(ss -Hltn "sport = :$PORT")" ]; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logfile" >&2; die "server exited: $*"; }
    sleep 0.05
  done
  die "server did not listen on $PORT: $*"
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# cpu_ticks: the server's user + system CPU time so far (all threads), in clock ticks. The fields
# are counted after the ")" that closes the command name, which may contain spaces.
cpu_ticks() { sed 's/.*) //' "/proc/$SERVER_PID/stat" | awk '{ print $12 + $13 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

# cpu_us_per T0 T1 COUNT: CPU microseconds per unit between two cpu_ticks readings.
cpu_us_per() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" -v n="$3" 'BEGIN { printf "%.3f", (b - a) * 1e6 / hz / n }'; }
now() { echo "$EPOCHREALTIME"; }
per_second() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
