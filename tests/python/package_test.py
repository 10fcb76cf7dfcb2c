"""ctest "python_package": `pip install ./bindings/python` into a fresh venv (offline: the
package's build backend needs nothing from PyPI), then, from a temporary directory outside the
checkout and without BUN_TCP_LIB / LD_LIBRARY_PATH / PYTHONPATH, runs package_scenario.py (TLS
echo, timers, call_soon_threadsafe, ...) and the README's Python example.

Environment (set by ctest): BUN_TCP_SOURCE_DIR, BUN_TCP_BINARY_DIR, BUN_TCP_TLS_FIXTURES, CARGO,
CARGO_TARGET_DIR.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

source = os.path.abspath(os.environ.get("BUN_TCP_SOURCE_DIR")
                         or os.path.join(os.path.dirname(__file__), "..", ".."))
binary = os.environ.get("BUN_TCP_BINARY_DIR") or os.path.join(source, "build")
fixtures = os.environ["BUN_TCP_TLS_FIXTURES"]
venv = os.path.join(binary, "python-venv")


def run(args, **kwargs):
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, **kwargs)


shutil.rmtree(venv, ignore_errors=True)
run([sys.executable, "-m", "venv", venv])
python = os.path.join(venv, "bin", "python")
run([python, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--quiet",
     os.path.join(source, "bindings", "python")])

clean_env = {k: v for k, v in os.environ.items()
             if k not in ("BUN_TCP_LIB", "LD_LIBRARY_PATH", "PYTHONPATH")}
with tempfile.TemporaryDirectory(prefix="bun_tcp_py_") as outside:
    assert not os.path.realpath(outside).startswith(os.path.realpath(source) + os.sep)
    run([python, os.path.join(source, "tests", "python", "package_scenario.py"), fixtures],
        cwd=outside, env=clean_env)

    # The guide's Python examples (docs/examples/*.py).
    examples = os.path.join(source, "docs", "examples")
    for name in sorted(os.listdir(examples)):
        if name.endswith(".py"):
            run([python, os.path.join(examples, name)], cwd=outside, env=clean_env, timeout=60)

    # The README's Python example, exactly as shown there.
    with open(os.path.join(source, "README.md")) as f:
        readme = f.read()
    match = re.search(r"<!-- python-example -->\n```python\n(.*?)```", readme, re.DOTALL)
    assert match, "README.md has no ```python block after <!-- python-example -->"
    example = os.path.join(outside, "example.py")
    with open(example, "w") as f:
        f.write(match.group(1))
    out = subprocess.run([python, example], cwd=outside, env=clean_env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    print(out, end="")
    assert out == "b'hello'\n", repr(out)
print("python_package: ok")
