#!/usr/bin/env python3
"""bench/callgrind_top.py: the functions that cost the most instructions per request.

    python3 bench/callgrind_top.py BASE.out FULL.out REQUESTS [--top 15] [--inclusive]

BASE and FULL are callgrind profiles of the same server serving N0 and N requests; REQUESTS is
N - N0. Each function's cost per request is (Ir in FULL - Ir in BASE) / REQUESTS, so start-up and
connection set-up cancel out. Self cost by default (instructions in the function's own code,
including what was inlined into it), --inclusive for cost including callees. A function's entries
for several source files (inlining) are merged. Uses callgrind_annotate (valgrind).
"""
import argparse
import re
import subprocess
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?(\S.*)$")


def costs(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100",
         f"--inclusive={'yes' if inclusive else 'no'}", path],
        capture_output=True, text=True, check=True).stdout
    result, body = {}, False
    for line in out.splitlines():
        if "file:function" in line:
            body = True
            continue
        m = LINE.match(line) if body else None
        if not m:
            continue
        # "file:function [object]" -> "function": code inlined from other files is listed once
        # per file (one file may even appear under two paths). Self costs of these entries add
        # up; inclusive ones nest (the outer entry contains the others), so take the largest.
        name = re.sub(r" \[[^]]*\]$", "", m.group(2))
        name = name.split(":", 1)[1] if ":" in name else name
        ir = int(m.group(1).replace(",", ""))
        result[name] = max(result.get(name, 0), ir) if inclusive else result.get(name, 0) + ir
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("full")
    ap.add_argument("requests", type=int)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--inclusive", action="store_true")
    args = ap.parse_args()
    base, full = costs(args.base, args.inclusive), costs(args.full, args.inclusive)
    per_req = {f: (full.get(f, 0) - base.get(f, 0)) / args.requests for f in set(base) | set(full)}
    total = sum(per_req.values()) if not args.inclusive else max(per_req.values())
    print(f"{'Ir/req':>8} {'share':>6}  function ({'inclusive' if args.inclusive else 'self'})")
    for f, v in sorted(per_req.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{v:8.1f} {100 * v / total if total else 0:5.1f}%  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
