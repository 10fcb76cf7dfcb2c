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

# The helpers shared with the PING and HTTP scripts (find_bun, free_port, stop_server,
# cpu_ticks, cpu_us_per, need_tool, CPU pinning) come from bench/lib.sh; what is defined here
# replaces or adds to them.
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ROOT=$BENCH_ROOT
OUT= ROUNDS=3 SMOKE=0 BUN_BIN=${BUN:-${BUN_TCP_BUN:-}}

log() { echo "[$(basename "$(dirname "$0")")] $*" >&2; }

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

# start_server LOGFILE CMD...: lib.sh's start_server, but the output goes to LOGFILE and readiness
# is the port's LISTEN state (checked with ss), so no probe connection reaches the server.
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
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

now() { echo "$EPOCHREALTIME"; }
per_second() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
