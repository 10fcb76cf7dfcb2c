# tests/tls/interop_lib.sh: helpers shared by the interop scripts (sourced, not run).

# wait_line FILE SED_EXPR: waits (up to 10 s) for a line of FILE matching the sed expression;
# prints the capture.
wait_line() {
  local v
  for _ in $(seq 200); do
    v=$(sed -n "$2" "$1" 2>/dev/null | head -1)
    [ -n "$v" ] && { echo "$v"; return 0; }
    sleep 0.05
  done
  return 1
}

# show_logs FILE...: the last lines of each file that exists, prefixed with its name
# (SHOW_LOG_LINES, default 6).
show_logs() {
  for f in "$@"; do
    [ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -"${SHOW_LOG_LINES:-6}"
  done
}

# interop_setup NAME SIZE: the Bun binary in BUN ($BUN_TCP_BUN, else scripts/fetch_bun.sh; without
# one the script exits 77, skipped), a work directory T removed at exit together with the
# processes listed in PIDS, and two random payloads of SIZE bytes, $T/up.bin and $T/down.bin, with
# their digests in SHA_UP and SHA_DOWN. Sets FAILS=0 for pass / fail.
interop_setup() {
  BUN=${BUN_TCP_BUN:-}
  if [ -z "$BUN" ] || [ ! -x "$BUN" ]; then
    BUN=$(bash "$HERE/../../scripts/fetch_bun.sh" 2>/dev/null) || { echo "SKIP: no Bun binary"; exit 77; }
  fi
  echo "Bun $("$BUN" --version) at $BUN"
  T=$(mktemp -d "${TMPDIR:-/tmp}/bun_tcp_$1.XXXXXX")
  PIDS=()
  trap interop_cleanup EXIT
  head -c "$2" /dev/urandom > "$T/up.bin"
  head -c "$2" /dev/urandom > "$T/down.bin"
  SHA_UP=$(sha256sum < "$T/up.bin" | cut -d' ' -f1)
  SHA_DOWN=$(sha256sum < "$T/down.bin" | cut -d' ' -f1)
  FAILS=0
}
interop_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
