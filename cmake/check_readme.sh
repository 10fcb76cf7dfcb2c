#!/usr/bin/env bash
# ctest "readme_example": the C echo server shown in README.md is c-examples/minimal_server.c
# (which is compiled with the other examples), byte for byte; its C++ example compiles; the README opens with its title, one
# paragraph, and the two commands that build and test everything.
set -euo pipefail
SRC=$1
shown=$(awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$SRC/README.md")
if [ "$shown" != "$(cat "$SRC/c-examples/minimal_server.c")" ]; then
  echo "README.md's C example differs from c-examples/minimal_server.c:"
  diff <(echo "$shown") "$SRC/c-examples/minimal_server.c" || true
  exit 1
fi
# The title, one paragraph, then the two commands.
awk 'NR == 1 { ok = ($0 == "# bun_tcp"); next }
     !seen_para && $0 != "" { seen_para = 1 }
     seen_para && !ended && $0 == "" { ended = 1; next }
     ended { print; n++; if (n == 4) exit }' "$SRC/README.md" > /tmp/readme_head.$$ || true
[ "$(head -1 "$SRC/README.md")" = "# bun_tcp" ] &&
  [ "$(cat /tmp/readme_head.$$)" = $'```sh\nbash scripts/demo.sh\nbash scripts/test.sh\n```' ] ||
  { rm -f /tmp/readme_head.$$; echo "README.md must open with '# bun_tcp', one paragraph, then the demo.sh / test.sh code block"; exit 1; }
rm -f /tmp/readme_head.$$
# The C++ example of "Other languages" compiles as shown (it serves forever, so it is not run).
cpp=$(awk '/^ *```cpp$/ { on = 1; next } on && /^ *```$/ { exit } on { sub(/^  /, ""); print }' "$SRC/README.md")
if [ -n "$cpp" ]; then
  echo "$cpp" | "${CXX:-g++}" -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I"$SRC/include" -x c++ - ||
    { echo "README.md's C++ example does not compile"; exit 1; }
else
  echo "README.md has no C++ example"; exit 1
fi
echo "README example matches c-examples/minimal_server.c; its C++ example compiles"
