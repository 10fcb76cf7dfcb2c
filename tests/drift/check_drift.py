#!/usr/bin/env python3
"""ctest "api_drift": every function of include/bun_tcp.h must have a counterpart in
include/bun_tcp.hpp, in the Python package (bindings/python/src/bun_tcp) and in
docs/migration.md, unless the exclusion list of that side names it with a reason.

Counterparts: C++: the name appears in bun_tcp.hpp or include/bun_tcp_cpp/*.hpp. Python: the package refers to `lib.NAME`
(calls it or passes it on; the signature table alone does not count). Migration: the name appears
in docs/migration.md, in full or as an abbreviation `_suffix` on a line that names a function of
the same group in full (`bun_tcp_socket_pause` / `_resume`).

Exclusions: tests/drift/exclude-{cpp,python,migration}.txt, one `name: reason` per line (# starts
a comment). An exclusion of a function the header lacks, or that has a counterpart now, fails too:
the lists stay as short as the truth. Usage: check_drift.py [REPO_ROOT]
"""

import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
here = root / "tests" / "drift"

header = (root / "include" / "bun_tcp.h").read_text()
functions = re.findall(r"^[a-z][^/\n]*?\b(bun_tcp_[a-z0-9_]+)\(", header, re.MULTILINE)
assert len(functions) > 50, f"only {len(functions)} functions found in bun_tcp.h"

GROUPS = ("bun_tcp_socket_", "bun_tcp_listener_", "bun_tcp_loop_", "bun_tcp_timer_", "bun_tcp_")


def cpp_names():
    files = [root / "include" / "bun_tcp.hpp", *sorted((root / "include" / "bun_tcp_cpp").glob("*.hpp"))]
    return {name for f in files for name in re.findall(r"\b(bun_tcp_[a-z0-9_]+)\b", f.read_text())}


def python_names():
    names = set()
    for path in (root / "bindings" / "python" / "src" / "bun_tcp").glob("*.py"):
        names |= set(re.findall(r"\b_?lib\.(bun_tcp_[a-z0-9_]+)\b", path.read_text()))
    return names


def migration_names():
    names = set()
    for line in (root / "docs" / "migration.md").read_text().splitlines():
        full = set(re.findall(r"\b(bun_tcp_[a-z0-9_]+)", line))
        names |= full
        prefixes = {next(g for g in GROUPS if name.startswith(g)) for name in full}
        for short in re.findall(r"(?<![a-z0-9])_([a-z][a-z0-9_]*)", line):
            names |= {prefix + short for prefix in prefixes}
    return names


def exclusions(side):
    table = {}
    path = here / f"exclude-{side}.txt"
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, reason = line.partition(":")
        if not sep or not reason.strip():
            sys.exit(f"{path}:{number}: expected `name: reason`")
        table[name.strip()] = reason.strip()
    return table


failures = []
for side, found in (("cpp", cpp_names()), ("python", python_names()),
                    ("migration", migration_names())):
    excluded = exclusions(side)
    missing = [f for f in functions if f not in found and f not in excluded]
    for name in missing:
        failures.append(f"{side}: {name} has no counterpart (add one, or a line "
                        f"`{name}: reason` to tests/drift/exclude-{side}.txt)")
    for name in excluded:
        if name not in functions:
            failures.append(f"{side}: exclude-{side}.txt names {name}, which bun_tcp.h lacks")
        elif name in found:
            failures.append(f"{side}: {name} has a counterpart now: drop it from "
                            f"exclude-{side}.txt")
    print(f"{side}: {len(functions) - len(missing)} of {len(functions)} covered "
          f"({len(excluded)} excluded)")
for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
