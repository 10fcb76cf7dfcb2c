#!/usr/bin/env python3
"""ctest cpp_covers_header: every function of include/bun_tcp.h is called by the code of
include/bun_tcp.hpp and its parts, include/bun_tcp_cpp/*.hpp (comments do not count), unless
EXCLUDED names it with the reason.

A C function added without a C++ counterpart fails this test. Usage: check_coverage.py REPO_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
header = (root / "include/bun_tcp.h").read_text()
parts = [root / "include/bun_tcp.hpp"] + sorted((root / "include/bun_tcp_cpp").glob("*.hpp"))
hpp = "\n".join(p.read_text() for p in parts)
hpp = re.sub(r"//.*", "", re.sub(r"/\*.*?\*/", "", hpp, flags=re.DOTALL))  # code only
EXCLUDED = {
    "bun_tcp_listener_set_data": "the listener's C data is bun_tcp.hpp's AppRef; state goes in the App",
}
declared = sorted(set(re.findall(r"^[^/ #].*?\b(bun_tcp_[a-z0-9_]+)\(", header, re.MULTILINE)))
missing = [n for n in declared if n not in EXCLUDED and not re.search(r"\b" + n + r"\b", hpp)]
print(f"{len(declared)} functions in bun_tcp.h, {len(declared) - len(missing) - len(EXCLUDED)} "
      f"called by bun_tcp.hpp, {len(EXCLUDED)} excluded: {', '.join(EXCLUDED)}")
for name in missing:
    print("FAIL: bun_tcp.hpp does not wrap", name)
sys.exit(1 if missing else 0)
