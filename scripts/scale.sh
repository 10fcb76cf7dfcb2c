#!/usr/bin/env bash
# The 100,000-connection scale run (tests/scale/scale_100k.c); not part of ctest, which runs a
# 2,000-connection smoke (scale_smoke). Builds scale_100k in BUILD_DIR and runs it; extra
# arguments go to scale_100k (-n connections, -s / -c loops per server / client process,
# -d destination addresses, -b message bytes, -t phase timeout in s).
#
#   scripts/scale.sh                  # 100,000 connections
#   BUILD_DIR=/tmp/b scripts/scale.sh -n 50000 -s 4
#
# Needs: ~200,000 fds in all (one per socket on each side; scale_100k splits them over processes
# so that none exceeds RLIMIT_NOFILE, raising the soft limit to the hard one), ~250 MiB of RAM,
# and net.ipv4.ip_local_port_range wide enough for connections/destinations ports per address
# (the default 32768-60999 gives 28,232; 16 destinations need 6,250 each).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-scale}
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUN_TCP_BUILD_BENCH=OFF \
      -DBUN_TCP_BUILD_CONFORMANCE=OFF >/dev/null
cmake --build "$BUILD_DIR" --target scale_100k -j2 >/dev/null
echo "sysctls: ip_local_port_range=$(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range)" \
     "somaxconn=$(cat /proc/sys/net/core/somaxconn)" \
     "tcp_max_syn_backlog=$(cat /proc/sys/net/ipv4/tcp_max_syn_backlog)" \
     "ulimit -n=$(ulimit -n) (hard $(ulimit -Hn))"
exec "$BUILD_DIR/scale_100k" "$@"
