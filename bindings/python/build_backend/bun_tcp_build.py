"""A PEP 517 build backend for the bun_tcp wheel (standard library only: no setuptools, no
network). build_wheel runs `cargo build --release --lib` in the repository root, then writes a
wheel tagged for this platform (py3-none-<platform>: ctypes, no CPython ABI) holding
src/bun_tcp/*.py, py.typed and libbun_tcp.so.

Environment: CARGO (the cargo to run, default "cargo"), CARGO_TARGET_DIR (as for cargo),
BUN_TCP_SOURCE_DIR (the repository root, when this directory was copied elsewhere).
"""

import base64
import hashlib
import os
import subprocess
import sysconfig
import zipfile

NAME, VERSION = "bun_tcp", "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bindings/python
PACKAGE_DIR = os.path.join(HERE, "src", NAME)
SUMMARY = "Bun's TCP/TLS socket API (Bun.listen, Bun.connect) for Python, on libbun_tcp"


def _repo_root():
    root = os.environ.get("BUN_TCP_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
    if not os.path.exists(os.path.join(root, "Cargo.toml")):
        raise RuntimeError(f"no Cargo.toml in {root}: set BUN_TCP_SOURCE_DIR to the bun_tcp "
                           "checkout")
    return root


def _build_library():
    """Runs cargo and returns the path of the shared library it built."""
    root = _repo_root()
    cargo = os.environ.get("CARGO", "cargo")
    subprocess.run([cargo, "build", "--release", "--lib"], cwd=root, check=True)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    if not os.path.isabs(target):
        target = os.path.join(root, target)
    return os.path.join(target, "release", "libbun_tcp.so")


def _platform_tag():
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.11\n")


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _write_wheel(wheel_directory, files):
    """files: [(path in the wheel, bytes, unix mode)]. Returns the wheel's file name."""
    tag = f"py3-none-{_platform_tag()}"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_file = (f"Wheel-Version: 1.0\nGenerator: bun_tcp_build\nRoot-Is-Purelib: false\n"
                  f"Tag: {tag}\n")
    files = files + [(f"{dist_info}/METADATA", _metadata().encode(), 0o644),
                     (f"{dist_info}/WHEEL", wheel_file.encode(), 0o644)]
    record = [_record_line(path, data) for path, data, _ in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))
    filename = f"{NAME}-{VERSION}-{tag}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        for path, data, mode in files:
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return filename


def _package_files():
    files = []
    for name in sorted(os.listdir(PACKAGE_DIR)):
        if name.endswith(".py") or name == "py.typed":
            with open(os.path.join(PACKAGE_DIR, name), "rb") as f:
                files.append((f"{NAME}/{name}", f.read(), 0o644))
    return files


# -- PEP 517 hooks ----------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = os.path.join(metadata_directory, f"{NAME}-{VERSION}.dist-info")
    os.makedirs(dist_info, exist_ok=True)
    with open(os.path.join(dist_info, "METADATA"), "w") as f:
        f.write(_metadata())
    return os.path.basename(dist_info)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(_build_library(), "rb") as f:
        library = f.read()
    files = _package_files() + [(f"{NAME}/libbun_tcp.so", library, 0o755)]
    return _write_wheel(wheel_directory, files)
