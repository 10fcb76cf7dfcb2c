#!/usr/bin/env bash
# scripts/fetch_bun.sh: prints the path of a Bun 1.4.4 binary, fetching it once if needed.
#
# Bun ships as the npm package @oven/bun-linux-x64; `npm pack` downloads its tarball from the npm
# registry and we unpack it into target/bun-1.4.4/ (cached: later calls are instant).
# Order: $BUN (if executable), the cache, npm pack, /tmp/bun/package/bin/bun. Exits 1 if none.
set -euo pipefail
VERSION=${BUN_VERSION:-1.4.4}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${CARGO_TARGET_DIR:-$ROOT/target}/bun-$VERSION
BIN=$DIR/package/bin/bun

if [ -n "${BUN:-}" ] && [ -x "$BUN" ]; then echo "$BUN"; exit 0; fi
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi
if command -v npm >/dev/null; then
  echo "fetching Bun $VERSION: npm pack @oven/bun-linux-x64@$VERSION" >&2
  mkdir -p "$DIR"
  if tgz=$(cd "$DIR" && npm pack --silent "@oven/bun-linux-x64@$VERSION" 2>/dev/null | tail -1) &&
     [ -f "$DIR/$tgz" ] && tar -xzf "$DIR/$tgz" -C "$DIR" && rm -f "$DIR/$tgz" &&
     chmod +x "$BIN" && "$BIN" --version >/dev/null 2>&1; then
    echo "$BIN"; exit 0
  fi
  echo "npm pack failed" >&2
fi
if [ -x /tmp/bun/package/bin/bun ]; then echo /tmp/bun/package/bin/bun; exit 0; fi
echo "no Bun binary available" >&2
exit 1
