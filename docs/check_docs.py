#!/usr/bin/env python3
"""ctest docs_excerpts: the C shown in docs/guide.md and docs/migration.md is the C that runs.

A fenced ```c (or ```python) block right after a line `<!-- excerpt: docs/examples/NAME.c -->` must appear, line
for line and contiguously, in that file (which ctest runs as docs_NAME); likewise a ```cpp or
```zig block after a marker naming a C++ or Zig file (docs/examples/cpp_app.cpp, the Zig
example project), which ctest runs too. Relative links
[text](path) and [text](path#anchor) must name files that exist. Usage: check_docs.py REPO_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
failures = []
for doc in ("docs/guide.md", "docs/migration.md"):
    path = root / doc
    lines = path.read_text().splitlines()
    excerpts = 0
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- excerpt: (\S+) -->", line.strip())
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1] not in ("```c", "```python", "```cpp", "```zig"):
            failures.append(f"{doc}:{i + 1}: an excerpt marker must be followed by a ```c, ```python, ```cpp or ```zig block")
            continue
        end = lines.index("```", i + 2)
        block = lines[i + 2:end]
        source = (root / m.group(1)).read_text().splitlines()
        found = any(source[k:k + len(block)] == block for k in range(len(source) - len(block) + 1))
        if not found:
            failures.append(f"{doc}:{i + 3}: the excerpt is not verbatim in {m.group(1)}")
        excerpts += 1
    text = path.read_text()
    targets = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text)            # [text](path)
    targets += re.findall(r"^\[[^\]]+\]:\s*([^#\s]+)", text, re.MULTILINE)  # [name]: path
    for target in targets:
        if not (path.parent / target).exists():
            failures.append(f"{doc}: link to a missing file: {target}")
    print(f"{doc}: {excerpts} excerpts checked")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
