#!/usr/bin/env bash
# The API reference: HTML from include/bun_tcp.h with Doxygen (Debian: apt-get install doxygen).
#
#   bash scripts/api_docs.sh [OUTPUT_DIR]            -> OUTPUT_DIR/html/index.html (default target/api)
#   bash scripts/api_docs.sh OUTPUT_DIR --check      (ctest api_reference) also checks that every
#       group has its page, that every function of the header is on one, and that a header with
#       one function's comment removed fails the build.
# Doxygen runs with WARN_AS_ERROR (docs/api/Doxyfile): any warning, such as an undocumented public
# function, type, field or macro, fails it. Exit 77 (skip) only when doxygen is not installed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/target/api}" && cd "${1:-$ROOT/target/api}" && pwd)
MODE=${2:-}
if ! command -v doxygen > /dev/null; then
  echo "doxygen not found (apt-get install doxygen): skipped"
  exit 77
fi
cd "$ROOT"
rm -rf "$OUT/html"
BUN_TCP_API_OUT=$OUT doxygen docs/api/Doxyfile
echo "API reference: $OUT/html/index.html"
[ "$MODE" = --check ] || exit 0

# A page per group, and every function of the header on one of them.
for group in loop listen connect socket tls timers errors library; do
  [ -f "$OUT/html/group__$group.html" ] || { echo "no page for group $group"; exit 1; }
done
functions=$(grep -oE '\bbun_tcp_[a-z0-9_]+\(' include/bun_tcp.h | tr -d '(' | sort -u)
on_pages=$(cat "$OUT"/html/group__*.html | grep -oE 'bun_tcp_[a-z0-9_]+</a> \(' | sed 's/<.*//' | sort -u)
missing=$(comm -23 <(echo "$functions") <(echo "$on_pages"))
if [ -n "$missing" ]; then
  echo "functions on no group page:"; echo "$missing"; exit 1
fi
[ "$(grep -c 'bun_tcp_timer_start</a> (' "$OUT/html/group__timers.html")" -ge 1 ] || exit 1
echo "$(echo "$functions" | wc -l) functions, each on its group's page"

# The build must fail on an undocumented function: strip the comment of bun_tcp_socket_pause.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^\/\/\//{held = held $0 "\n"; next}
     /bun_tcp_socket_pause\(/{held = ""}
     {printf "%s", held; held = ""; print}' include/bun_tcp.h > "$tmp/bun_tcp.h"
if grep -B1 'bun_tcp_socket_pause(' "$tmp/bun_tcp.h" | grep -q '^///'; then
  echo "self-test: could not strip the comment"; exit 1
fi
if (cat docs/api/Doxyfile; echo "INPUT = $tmp/bun_tcp.h docs/api/groups.dox"
    echo "OUTPUT_DIRECTORY = $tmp/out") | doxygen - > "$tmp/log" 2>&1; then
  echo "self-test: doxygen accepted an undocumented function"; exit 1
fi
grep -q 'bun_tcp_socket_pause' "$tmp/log" || { echo "self-test: unexpected failure:"; cat "$tmp/log"; exit 1; }
echo "self-test: an undocumented function fails the build:"
grep 'bun_tcp_socket_pause' "$tmp/log" | head -2
