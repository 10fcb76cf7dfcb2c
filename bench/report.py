#!/usr/bin/env python3
"""bench/report.py: the benchmark's table, from the rows the workload scripts wrote.

    python3 bench/report.py RESULTS.tsv [--command "bash bench/run.sh ..."]

Each row: workload<TAB>contender<TAB>metric<TAB>round<TAB>value. For every workload and metric,
each contender's cell is the median over the rounds with (min-max), and, next to every other
contender, bun_tcp's ratio to it (bun_tcp / contender). Prints markdown: a header (date, nproc,
CPU model, kernel, the command), then one table.
"""
import argparse
import datetime
import os
import platform
import statistics
import sys
from collections import defaultdict

WORKLOADS = ["PING -P1", "PING -P16", "HTTP", "bulk 4GiB", "TLS PING -P1", "TLS PING -P16",
             "TLS bulk 1GiB", "TLS handshakes",
             *[f"TLS{v} {client} {mode}" for v in ("1.3", "1.2")
               for client, modes in (("bun_tcp client", ("full", "resumed")), ("s_time", ("-new", "-reuse")))
               for mode in modes],
             "idle 10k", "idle tls 5k", "churn"]
METRICS = ["req/s", "bytes/s", "hs/s", "conn/s", "cpu_us/req", "cpu_us/MiB", "Ir/req", "KiB/conn",
           "reused %", "cpu resumed/full"]
LOWER_IS_BETTER = {"cpu_us/req", "Ir/req", "KiB/conn", "cpu_us/MiB", "cpu resumed/full"}
CONTENDERS = ["bun_tcp", "bun", "redis", "nginx", "libuv", "epoll", "iperf3"]
US = "bun_tcp"


def order(known, seen):
    """known names first, in their order, then the others as first seen."""
    return [k for k in known if k in seen] + [s for s in seen if s not in known]


def fmt(v):
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.2f}G"
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.1f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def read_rows(paths):
    values = defaultdict(list)  # (workload, metric, contender) -> [value per round]
    seen = {"workload": [], "metric": [], "contender": []}
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                parts = line.rstrip("\n").split("\t")
                if not line.strip():
                    continue
                try:
                    workload, contender, metric, _round, value = parts
                    value = float(value)
                except ValueError:
                    print(f"warning: {path}:{n}: bad row: {line.rstrip()!r}", file=sys.stderr)
                    continue
                values[(workload, metric, contender)].append(value)
                for key, name in (("workload", workload), ("metric", metric), ("contender", contender)):
                    if name not in seen[key]:
                        seen[key].append(name)
    return values, seen


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--command", default="")
    args = ap.parse_args()

    values, seen = read_rows(args.results)
    if not values:
        print("no results", file=sys.stderr)
        return 1
    workloads = order(WORKLOADS, seen["workload"])
    metrics = order(METRICS, seen["metric"])
    contenders = order(CONTENDERS, seen["contender"])
    rounds = max(len(v) for v in values.values())

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"## bun_tcp benchmark, {now}")
    print()
    print(f"- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, Linux {platform.release()}")
    if args.command:
        print(f"- command: `{args.command}`")
    print(f"- each cell: median (min-max) over the rounds (up to {rounds}); contenders interleaved "
          f"round by round; `x N` = bun_tcp / that contender")
    print(f"- metrics marked (lower) are lower-is-better: there a ratio below 1 means bun_tcp is better")
    print()
    print("| workload | metric | " + " | ".join(contenders) + " |")
    print("|---|---|" + "---|" * len(contenders))
    for w in workloads:
        for m in metrics:
            if not any((w, m, c) in values for c in contenders):
                continue
            ours = values.get((w, m, US))
            ours_med = statistics.median(ours) if ours else None
            cells = []
            for c in contenders:
                v = values.get((w, m, c))
                if not v:
                    cells.append("-")
                    continue
                med = statistics.median(v)
                cell = f"{fmt(med)} ({fmt(min(v))}-{fmt(max(v))})"
                if c != US and ours_med is not None and med > 0:
                    cell += f" x {ours_med / med:.2f}"
                cells.append(cell)
            label = f"{m} (lower)" if m in LOWER_IS_BETTER else m
            print(f"| {w} | {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
