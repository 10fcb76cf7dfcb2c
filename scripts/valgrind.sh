#!/usr/bin/env bash
# scripts/valgrind.sh: every C test program under valgrind memcheck; any error or definite/indirect
# leak fails. Slower than the ASan stage of scripts/test.sh, so it is not part of the test
# command: run it by hand. Deadlines are scaled and the 1 GiB transfer shrinks (tests/c/README.md).
#   bash scripts/valgrind.sh [name-filter]      e.g. bash scripts/valgrind.sh tls
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
BUILD=${BUILD_DIR:-$ROOT/build/valgrind}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUN_TCP_SANITIZE= -DBUN_TCP_BUILD_BENCH=OFF >/dev/null || exit 1
cmake --build "$BUILD" -j2 >/dev/null || exit 1
bash tests/tls/make-fixtures.sh "$BUILD/tls-fixtures" || exit 1
export BUN_TCP_TLS_FIXTURES=$BUILD/tls-fixtures
export BUN_TCP_TEST_TIME_SCALE=10 BUN_TCP_TEST_BIG_BYTES=16777216 BUN_TCP_TEST_TIMER_TOLERANCE_MS=400
passed=0 failed=0 failures=()
for t in "$BUILD"/test_*; do
  name=$(basename "$t")
  [[ -n "${1:-}" && "$name" != *"$1"* ]] && continue
  if valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect "$t" >"$BUILD/$name.valgrind.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); failures+=("$name")
    echo "FAIL $name (log: $BUILD/$name.valgrind.log)"; tail -20 "$BUILD/$name.valgrind.log"
  fi
done
echo "valgrind: ${failures[*]:-no failures}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
