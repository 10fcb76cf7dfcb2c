#!/usr/bin/env bash
# ctest "install_consumer": install the build tree into a temporary prefix, check the shared
# library's versioning (SONAME libbun_tcp.so.0), then build and run a downstream program four ways:
# find_package + shared lib, find_package + static lib, pkg-config, and add_subdirectory of the
# source tree (cmake/consumer_subdir).
# usage: test_install.sh <cmake> <build dir> <source dir>
set -euo pipefail
CMAKE=$1 BUILD=$2 SRC=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bun_tcp_install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix

"$CMAKE" --install "$BUILD" --prefix "$PREFIX" >/dev/null
LIBDIR=$(dirname "$(find "$PREFIX" -name libbun_tcp.a | head -1)")
echo "installed into $PREFIX:"; (cd "$PREFIX" && find . -type f -o -type l | sort | sed 's/^/  /')
test -f "$PREFIX/include/bun_tcp.h"
# The C++ header and its parts (include/bun_tcp_cpp/) compile from the install tree alone.
if command -v c++ > /dev/null; then
  echo '#include <bun_tcp.hpp>' | c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
    -I"$PREFIX/include" -x c++ -
fi

soname_of() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
needs_soname() {  # <program>: it must load the library by its SONAME
  if ! readelf -d "$1" | grep -q '(NEEDED).*\[libbun_tcp\.so\.0\]'; then
    echo "$1 does not need libbun_tcp.so.0:"; readelf -d "$1" | grep NEEDED; exit 1
  fi
}
# The installed shared library is one versioned file, reached through .so.0 and .so links.
REAL=$(cd "$LIBDIR" && echo libbun_tcp.so.[0-9]*.[0-9]*.[0-9]*)
if [ ! -f "$LIBDIR/$REAL" ] || [ -L "$LIBDIR/$REAL" ]; then
  echo "no versioned libbun_tcp.so.X.Y.Z file in $LIBDIR"; exit 1
fi
test "$(readlink "$LIBDIR/libbun_tcp.so.0")" = "$REAL"
test "$(readlink "$LIBDIR/libbun_tcp.so")" = libbun_tcp.so.0
for lib in "$LIBDIR/$REAL" "$BUILD/lib/libbun_tcp.so.0"; do
  if [ "$(soname_of "$lib")" != libbun_tcp.so.0 ]; then
    echo "$lib: SONAME is '$(soname_of "$lib")', not libbun_tcp.so.0"; exit 1
  fi
done
echo "shared library: $REAL, SONAME libbun_tcp.so.0"

# 1 + 2: CMake package config.
"$CMAKE" -S "$SRC/cmake/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
"$CMAKE" --build "$WORK/consumer" >/dev/null
needs_soname "$WORK/consumer/consumer_shared"
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

# 4: add_subdirectory of the source tree, reusing this build's cargo output (no second build of
# the Rust library, no second target dir).
TARGET_DIR=$(sed -n 's/^BUN_TCP_CARGO_TARGET_DIR:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
"$CMAKE" -S "$SRC/cmake/consumer_subdir" -B "$WORK/subdir" -DBUN_TCP_SOURCE_DIR="$SRC" \
         -DBUN_TCP_CARGO_TARGET_DIR="$TARGET_DIR" >/dev/null
"$CMAKE" --build "$WORK/subdir" >/dev/null
needs_soname "$WORK/subdir/subdir_shared"
"$WORK/subdir/subdir_shared"
"$WORK/subdir/subdir_static"
if ldd "$WORK/subdir/subdir_static" | grep -q libbun_tcp; then
  echo "subdir_static depends on libbun_tcp.so"; exit 1
fi
if [ -e "$WORK/subdir/bun_tcp/CTestTestfile.cmake" ] && grep -q add_test "$WORK/subdir/bun_tcp/CTestTestfile.cmake"; then
  echo "add_subdirectory registered bun_tcp's own tests in the consumer"; exit 1
fi
echo "install consumer: OK"
