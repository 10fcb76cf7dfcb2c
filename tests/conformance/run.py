#!/usr/bin/env python3
"""Differential conformance suite: bun_tcp (C) against the real Bun 1.4.4.

Every directory tests/conformance/scenarios/<name>/ holds a pair of programs, bun.js (Bun.listen /
Bun.connect) and c.c (the same scenario through bun_tcp). Both print a handler trace, one line per
handler call: "<stream> <event> [args]" (lib/conf.js and lib/conf.h). This runner builds each c.c
against libbun_tcp.a, runs both programs, splits the lines by stream (the first word: "server",
"client", "client2", "main", ...), joins consecutive data lines of a stream, and compares stream by
stream: the interleaving of two streams is not deterministic, the order inside one is.

A difference fails the run unless deviations.toml lists it exactly: the scenario, the stream, the
whole Bun trace and the whole bun_tcp trace of that stream, and the reason. A listed deviation that
no longer occurs (both traces agree, or either differs from what is listed) fails too.

Then the interop tests (interop/): a Bun client against a bun_tcp server and a bun_tcp client
against a Bun server, 64 MiB each way with SHA-256 checks, and 100 concurrent echo connections.

    python3 tests/conformance/run.py                 # everything
    python3 tests/conformance/run.py close_in_data   # one scenario (names or substrings)
    python3 tests/conformance/run.py --show NAME     # print both traces side by side
    python3 tests/conformance/run.py --no-interop    # scenarios only

Exit status: 0 all passed, 1 a failure, 77 Bun is not available (ctest reports a skip).
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import subprocess
import sys
import tempfile
import time

try:
    import tomllib  # Python >= 3.11
except ImportError:  # pragma: no cover
    try:
        import tomli as tomllib
    except ImportError:
        sys.stderr.write("run.py needs Python >= 3.11 (tomllib) or the tomli package\n")
        sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCEN_DIR = os.path.join(HERE, "scenarios")
LIB_DIR = os.path.join(HERE, "lib")
INTEROP_DIR = os.path.join(HERE, "interop")

PROGRAM_TIMEOUT = 60  # seconds, per program run (each program also has its own 20-30 s deadline)

# Why a listed difference is accepted: "beyond-bun" = a deliberate header/README difference (the
# reason cites it); "bun-bug" = Bun 1.4.4 misbehaves and bun_tcp does what the header says.
KINDS = ("beyond-bun", "bun-bug")

DATA_RE = re.compile(r'^(\S+(?: \S+)*?) data "(.*)"$')  # "<who> data "<bytes>"", who may be "client v2"


# ---------------------------------------------------------------------------------------------
# traces
# ---------------------------------------------------------------------------------------------

def parse_trace(text):
    """stdout -> {stream: [lines]}; comments (" # ...") stripped, consecutive data lines joined."""
    streams = {}
    for raw in text.splitlines():
        # a comment starts at " # " after the quoted bytes, if any (bytes may contain " # ")
        cut = raw.find(" # ", raw.rfind('"') + 1)
        line = (raw if cut < 0 else raw[:cut]).rstrip()
        if not line:
            continue
        stream = line.split(" ", 1)[0]
        lines = streams.setdefault(stream, [])
        m = DATA_RE.match(line)
        prev = DATA_RE.match(lines[-1]) if m and lines else None
        if prev and prev.group(1) == m.group(1):
            lines[-1] = '%s data "%s%s"' % (m.group(1), prev.group(2), m.group(2))
        else:
            lines.append(line)
    return streams


def self_test():
    """The comparator's own rules, checked on every run (cheap)."""
    t = parse_trace('server open\nclient data "ab"\nserver data "x\\x00"\nclient data "c # d"\n'
                    'server data "y"  \nclient write -> -1 # EENDED\nclient data "d"\n'
                    'client v2 data "e"\nclient v2 data "f"\n')
    assert t == {"server": ["server open", 'server data "x\\x00y"'],
                 "client": ['client data "abc # d"', "client write -> -1", 'client data "d"',
                            'client v2 data "ef"']}, t


def load_deviations(path):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    devs = {}
    for d in doc.get("deviation", []):
        for key in ("scenario", "stream", "kind", "bun", "bun_tcp", "reason", "see"):
            if key not in d:
                raise SystemExit("deviations.toml: an entry lacks %r: %r" % (key, d))
        if d["kind"] not in KINDS:
            raise SystemExit("deviations.toml: kind must be one of %s: %r" % (", ".join(KINDS), d))
        k = (d["scenario"], d["stream"])
        if k in devs:
            raise SystemExit("deviations.toml: two entries for %s/%s" % k)
        devs[k] = d
    return devs


def side_by_side(a, b, wa=60):
    out = []
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            left = a[i1 + k] if i1 + k < i2 else ""
            right = b[j1 + k] if j1 + k < j2 else ""
            mark = " " if tag == "equal" else "|"
            if len(left) > wa:
                left = left[: wa - 3] + "..."
            out.append("      %-*s %s %s" % (wa, left, mark, right))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------

def find_bun(explicit):
    for cand in (explicit, os.environ.get("BUN_TCP_BUN")):
        if cand and os.access(cand, os.X_OK):
            return cand
    try:
        out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch_bun.sh")],
                             capture_output=True, text=True, timeout=600)
        path = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        if out.returncode == 0 and os.access(path, os.X_OK):
            return path
        sys.stderr.write(out.stderr)
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.stderr.write("fetch_bun.sh: %s\n" % e)
    return None


def ensure_lib(lib):
    if os.path.exists(lib):
        return
    print("building the library: cargo build --release --lib", flush=True)
    subprocess.run(["cargo", "build", "--release", "--lib"], cwd=ROOT, check=True)


CFLAGS = ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"]


def compile_c(src, out, lib, cc, extra_flags):
    deps = [src, lib, os.path.join(LIB_DIR, "conf.h"), os.path.join(ROOT, "tests", "c", "harness.h"),
            os.path.join(ROOT, "include", "bun_tcp.h")]
    if os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(d) for d in deps
                                   if os.path.exists(d)):
        return None
    cmd = [cc] + CFLAGS + extra_flags + [
        "-I", os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "tests", "c"), "-I", LIB_DIR,
        src, lib, "-lpthread", "-ldl", "-lm", "-lrt", "-o", out + ".tmp"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return "compile failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr)
    os.replace(out + ".tmp", out)
    return None


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------

def run_prog(cmd, cwd, env, timeout=PROGRAM_TIMEOUT):
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return "timeout", out, err, time.monotonic() - t0


class Result:
    def __init__(self, name):
        self.name = name
        self.ok = True
        self.deviations = []  # streams that matched a listed deviation
        self.report = []
        self.seconds = 0.0

    def fail(self, msg):
        self.ok = False
        self.report.append(msg)


def run_scenario(name, bun, build_dir, devs, show, suggest=False):
    res = Result(name)
    sdir = os.path.join(SCEN_DIR, name)
    exe = os.path.join(build_dir, name)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="conf-%s-" % name) as tmp:
        env_b = dict(os.environ, CONF_TMP=os.path.join(tmp, "b"), NO_COLOR="1")
        env_c = dict(os.environ, CONF_TMP=os.path.join(tmp, "c"))
        os.makedirs(env_b["CONF_TMP"])
        os.makedirs(env_c["CONF_TMP"])
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            fb = ex.submit(run_prog, [bun, "bun.js"], sdir, env_b)
            fc = ex.submit(run_prog, [exe], sdir, env_c)
            rb, ob, eb, _ = fb.result()
            rc, oc, ec, _ = fc.result()
    res.seconds = time.monotonic() - t0
    tb, tc = parse_trace(ob), parse_trace(oc)
    if rb != 0:
        res.fail("bun.js exited with %s\n%s" % (rb, indent(eb)))
    if rc != 0:
        res.fail("c.c exited with %s\n%s" % (rc, indent(ec)))
    if show:
        res.report.append("traces (Bun | bun_tcp):\n" + side_by_side(flat(tb), flat(tc)))
    for stream in sorted(set(tb) | set(tc)):
        lb, lc = tb.get(stream, []), tc.get(stream, [])
        dev = devs.get((name, stream))
        if dev is None:
            if lb != lc:
                res.fail("stream %r differs (Bun | bun_tcp):\n%s" % (stream, side_by_side(lb, lc)))
                if suggest:
                    res.report.append(toml_entry(name, stream, lb, lc))
            continue
        if lb == lc:
            res.fail("stream %r: deviations.toml lists a deviation, but Bun and bun_tcp now agree "
                     "(remove the entry):\n%s" % (stream, side_by_side(lb, lc)))
        elif lb != dev["bun"] or lc != dev["bun_tcp"]:
            res.fail("stream %r differs, and not as deviations.toml lists it:\n"
                     "    actual (Bun | bun_tcp):\n%s\n    listed (Bun | bun_tcp):\n%s"
                     % (stream, side_by_side(lb, lc), side_by_side(dev["bun"], dev["bun_tcp"])))
        else:
            res.deviations.append(stream)
    for (sc, stream), _ in devs.items():
        if sc == name and stream not in tb and stream not in tc:
            res.fail("deviations.toml lists stream %r, which neither program printed" % stream)
    return res


def toml_str(line):
    return "'%s'" % line if "'" not in line else '"%s"' % line.replace("\\", "\\\\").replace('"', '\\"')


def toml_entry(name, stream, lb, lc):
    """a deviations.toml entry to start from (the reason is the author's to write)"""
    return "\n".join(
        ["# suggested entry (write the reason; only if this is a deliberate deviation):",
         "[[deviation]]", 'scenario = "%s"' % name, 'stream = "%s"' % stream,
         'kind = "beyond-bun"', 'see = "the header: ? / README: ?"', 'reason = """TODO"""', "bun = ["]
        + ["  %s," % toml_str(l) for l in lb] + ["]", "bun_tcp = ["]
        + ["  %s," % toml_str(l) for l in lc] + ["]"])


def flat(streams):
    out = []
    for s in sorted(streams):
        out.extend(streams[s])
    return out


def indent(text, n=6):
    return "\n".join(" " * n + l for l in (text or "").rstrip().splitlines()[-40:])


# ---------------------------------------------------------------------------------------------
# interop
# ---------------------------------------------------------------------------------------------

INTEROP = [
    # (name, server kind, client kind, mode)
    ("bun_client_to_c_server_64mib", "c", "bun", "big"),
    ("c_client_to_bun_server_64mib", "bun", "c", "big"),
    ("bun_client_to_c_server_echo100", "c", "bun", "echo"),
    ("c_client_to_bun_server_echo100", "bun", "c", "echo"),
]

INTEROP_BYTES = 64 * 1024 * 1024
INTEROP_CONNS = 100
INTEROP_MSGS = 10


def interop_cmd(kind, role, mode, bun, build_dir, port=None):
    if kind == "bun":
        cmd = [bun, os.path.join(INTEROP_DIR, "bun_%s.js" % role), mode]
    else:
        cmd = [os.path.join(build_dir, "interop_c_%s" % role), mode]
    if port is not None:
        cmd.append(str(port))
    return cmd


def parse_kv(text):
    """lines "<who> <what> key=value ..." -> {(who, what): {key: value}}"""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[(parts[0], parts[1])] = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    return out


def run_interop(name, skind, ckind, mode, bun, build_dir):
    res = Result(name)
    t0 = time.monotonic()
    srv = subprocess.Popen(interop_cmd(skind, "server", mode, bun, build_dir),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = srv.stdout.readline()
        m = re.match(r"server listening port=(\d+)", first)
        if not m:
            srv.kill()
            out, err = srv.communicate()
            res.fail("server did not start: %r\n%s" % (first + out, indent(err)))
            return res
        port = int(m.group(1))
        rc, cout, cerr, _ = run_prog(interop_cmd(ckind, "client", mode, bun, build_dir, port),
                                     INTEROP_DIR, dict(os.environ, NO_COLOR="1"))
        try:
            sout, serr = srv.communicate(timeout=PROGRAM_TIMEOUT)
        except subprocess.TimeoutExpired:
            srv.kill()
            sout, serr = srv.communicate()
            res.fail("server did not exit")
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    res.seconds = time.monotonic() - t0
    if rc != 0:
        res.fail("client exited with %s\n%s\n%s" % (rc, indent(cout), indent(cerr)))
    if srv.returncode != 0:
        res.fail("server exited with %s\n%s\n%s" % (srv.returncode, indent(sout), indent(serr)))
    kv = parse_kv(sout + cout)
    if mode == "big":
        cs, cr = kv.get(("client", "sent"), {}), kv.get(("client", "received"), {})
        ss, sr = kv.get(("server", "sent"), {}), kv.get(("server", "received"), {})
        want = str(INTEROP_BYTES)
        for label, d in (("client sent", cs), ("client received", cr), ("server sent", ss),
                         ("server received", sr)):
            if d.get("bytes") != want:
                res.fail("%s %s bytes, expected %s" % (label, d.get("bytes"), want))
        if cs.get("sha256") is None or cs.get("sha256") != sr.get("sha256"):
            res.fail("client->server SHA-256 mismatch: sent %s, received %s"
                     % (cs.get("sha256"), sr.get("sha256")))
        if ss.get("sha256") is None or ss.get("sha256") != cr.get("sha256"):
            res.fail("server->client SHA-256 mismatch: sent %s, received %s"
                     % (ss.get("sha256"), cr.get("sha256")))
        if cs.get("sha256") and cs.get("sha256") == ss.get("sha256"):
            res.fail("both directions carried the same bytes (the seeds should differ)")
        res.summary = ("%s bytes each way; client->server sha256 %s..., server->client sha256 %s..."
                       % (want, (cs.get("sha256") or "?")[:16], (ss.get("sha256") or "?")[:16]))
    else:
        c = kv.get(("client", "echo"), {})
        s = kv.get(("server", "echo"), {})
        if c.get("connections") != str(INTEROP_CONNS) or c.get("ok") != str(INTEROP_CONNS) \
                or c.get("messages") != str(INTEROP_CONNS * INTEROP_MSGS):
            res.fail("client: %r, expected connections=ok=%d messages=%d"
                     % (c, INTEROP_CONNS, INTEROP_CONNS * INTEROP_MSGS))
        if s.get("accepted") != str(INTEROP_CONNS) or s.get("closed") != str(INTEROP_CONNS):
            res.fail("server: %r, expected accepted=closed=%d" % (s, INTEROP_CONNS))
        res.summary = "client %s; server %s" % (
            " ".join("%s=%s" % kv_ for kv_ in c.items()), " ".join("%s=%s" % kv_ for kv_ in s.items()))
    if not res.ok:
        res.report.append("server output:\n%s\nclient output:\n%s" % (indent(sout), indent(cout)))
    return res


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="scenario names (or substrings); default: all")
    ap.add_argument("--bun", help="the Bun binary (default: $BUN_TCP_BUN, else scripts/fetch_bun.sh)")
    ap.add_argument("--lib", default=os.path.join(os.environ.get("CARGO_TARGET_DIR") or
                                                  os.path.join(ROOT, "target"),
                                                  "release", "libbun_tcp.a"))
    ap.add_argument("--build-dir", default=None, help="where the C programs are built")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--cflags", default="", help="extra compiler flags (e.g. -fsanitize=address)")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("CONF_JOBS", "4")))
    ap.add_argument("--show", action="store_true", help="print both traces of every scenario")
    ap.add_argument("--suggest", action="store_true",
                    help="print a deviations.toml entry for every unlisted difference")
    ap.add_argument("--no-interop", action="store_true")
    ap.add_argument("--interop-only", action="store_true")
    args = ap.parse_args()

    t_start = time.monotonic()
    self_test()
    bun = find_bun(args.bun)
    if not bun:
        print("SKIP: no Bun binary (set BUN_TCP_BUN or make scripts/fetch_bun.sh work)")
        return 77
    ensure_lib(args.lib)
    build_dir = args.build_dir or os.path.join(
        os.environ.get("BUN_TCP_BINARY_DIR", os.path.join(ROOT, "target")), "conformance")
    os.makedirs(build_dir, exist_ok=True)
    devs = load_deviations(os.path.join(HERE, "deviations.toml"))

    all_names = sorted(n for n in os.listdir(SCEN_DIR)
                       if os.path.isfile(os.path.join(SCEN_DIR, n, "bun.js")))
    for n in all_names:
        if not os.path.isfile(os.path.join(SCEN_DIR, n, "c.c")):
            print("FAIL %s: bun.js without c.c" % n)
            return 1
    names = all_names
    if args.names:
        names = sorted({n for a in args.names
                        for n in ([a] if a in all_names else [n for n in all_names if a in n])})
        if not names:
            print("no scenario matches %s" % args.names)
            return 1
    if args.interop_only:
        names = []
    for (sc, stream) in devs:
        if sc not in all_names:
            print("FAIL deviations.toml names an unknown scenario %r" % sc)
            return 1
    print("Bun: %s (%s)" % (bun, subprocess.run([bun, "--version"], capture_output=True,
                                                text=True).stdout.strip()))
    print("library: %s" % args.lib)

    # build
    extra = args.cflags.split()
    jobs = [(os.path.join(SCEN_DIR, n, "c.c"), os.path.join(build_dir, n)) for n in names]
    do_interop = not args.no_interop and (not args.names or args.interop_only)
    if do_interop:
        for role in ("server", "client"):
            jobs.append((os.path.join(INTEROP_DIR, "c_%s.c" % role),
                         os.path.join(build_dir, "interop_c_%s" % role)))
    with concurrent.futures.ThreadPoolExecutor(max(1, os.cpu_count() or 2)) as ex:
        errs = [e for e in ex.map(lambda j: compile_c(j[0], j[1], args.lib, args.cc, extra), jobs) if e]
    if errs:
        for e in errs:
            print(e)
        return 1

    failed = []
    n_dev = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(run_scenario, n, bun, build_dir, devs, args.show, args.suggest)
                for n in names]
        for f in futs:
            r = f.result()
            tag = "PASS" if r.ok else "FAIL"
            extra_s = (" (listed deviation: %s)" % ", ".join(r.deviations)) if r.deviations else ""
            print("%s %-34s %5.2fs%s" % (tag, r.name, r.seconds, extra_s), flush=True)
            for msg in r.report:
                print(indent(msg, 4))
            n_dev += len(r.deviations)
            if not r.ok:
                failed.append(r.name)

    if do_interop:
        for (name, skind, ckind, mode) in INTEROP:
            r = run_interop(name, skind, ckind, mode, bun, build_dir)
            print("%s interop %-30s %5.2fs  %s" % ("PASS" if r.ok else "FAIL", name, r.seconds,
                                                 getattr(r, "summary", "")), flush=True)
            for msg in r.report:
                print(indent(msg, 4))
            if not r.ok:
                failed.append(name)

    total = time.monotonic() - t_start
    print("\n%d scenarios (%d listed deviations matched)%s, %.1fs: %s" % (
        len(names), n_dev, ", %d interop tests" % len(INTEROP) if do_interop else "", total,
        "FAILED: " + " ".join(failed) if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
