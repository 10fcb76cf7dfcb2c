#!/usr/bin/env bash
# ctest "readme_example": the C echo server shown in README.md is c-examples/minimal_server.c
# (which is compiled with the other examples), byte for byte; the README starts with the two
# commands that build and test everything.
set -euo pipefail
SRC=$1
shown=$(awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$SRC/README.md")
if [ "$shown" != "$(cat "$SRC/c-examples/minimal_server.c")" ]; then
  echo "README.md's C example differs from c-examples/minimal_server.c:"
  diff <(echo "$shown") "$SRC/c-examples/minimal_server.c" || true
  exit 1
fi
[ "$(head -4 "$SRC/README.md")" = $'```sh\nbash scripts/demo.sh\nbash scripts/test.sh\n```' ] ||
  { echo "README.md must start with the demo.sh / test.sh code block"; exit 1; }
echo "README example matches c-examples/minimal_server.c"
