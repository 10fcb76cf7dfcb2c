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
