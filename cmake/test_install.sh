#!/usr/bin/env bash
# ctest "install_consumer": install the build tree into a temporary prefix, then build and run a
# downstream program three ways: find_package + shared lib, find_package + static lib, pkg-config.
# usage: test_install.sh <cmake> <build dir> <source dir>
set -euo pipefail
CMAKE=$1 BUILD=$2 SRC=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bun_tcp_install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix

"$CMAKE" --install "$BUILD" --prefix "$PREFIX" >/dev/null
LIBDIR=$(dirname "$(find "$PREFIX" -name libbun_tcp.a | head -1)")
echo "installed into $PREFIX:"; (cd "$PREFIX" && find . -type f -o -type l | sort | sed 's/^/  /')
test -L "$LIBDIR/libbun_tcp.so" && test -L "$LIBDIR/libbun_tcp.so.0"
test -f "$PREFIX/include/bun_tcp.h"

# 1 + 2: CMake package config.
"$CMAKE" -S "$SRC/cmake/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
"$CMAKE" --build "$WORK/consumer" >/dev/null
"$WORK/consumer/consumer_shared"
"$WORK/consumer/consumer_static"
if ldd "$WORK/consumer/consumer_static" | grep -q libbun_tcp; then
  echo "consumer_static depends on libbun_tcp.so"; exit 1
fi

# 3: pkg-config (shared, then --static).
if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
  echo "pkg-config: $(pkg-config --modversion bun_tcp) $(pkg-config --cflags --libs bun_tcp)"
  # shellcheck disable=SC2046
  cc -o "$WORK/pc_shared" "$SRC/cmake/consumer/main.c" $(pkg-config --cflags --libs bun_tcp)
  LD_LIBRARY_PATH=$LIBDIR "$WORK/pc_shared"
  # shellcheck disable=SC2046
  cc -o "$WORK/pc_static" "$SRC/cmake/consumer/main.c" $(pkg-config --cflags bun_tcp) \
     "$LIBDIR/libbun_tcp.a" $(pkg-config --static --libs-only-l bun_tcp | sed 's/-lbun_tcp//')
  "$WORK/pc_static"
else
  echo "pkg-config not installed: skipping the pkg-config consumer"
fi
echo "install consumer: OK"
