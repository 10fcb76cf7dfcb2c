"""Starting and stopping an example server for the tests in this directory.

start() runs the program with its output in a temporary file and waits (bounded) for the
"listening on HOST:PORT" line; stop() sends SIGTERM and checks the program exits 0 (the examples
shut down cleanly on a signal, which also lets ASan's leak check run).
"""
import atexit
import re
import signal
import subprocess
import sys
import tempfile
import time

LISTENING = re.compile(rb"^listening on .*:(\d+)$", re.M)
_running = []


@atexit.register
def _kill_leftovers():
    for p in _running:
        if p.poll() is None:
            p.kill()


class Example:
    def __init__(self, argv, stderr_to=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log,
                                     stderr=stderr_to if stderr_to is not None else self.log)
        self.port = None
        _running.append(self.proc)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def wait_for(self, pattern, timeout=10.0):
        """Waits until the output matches `pattern` (bytes regex); returns the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.output(), re.M)
            if m:
                return m
            if self.proc.poll() is not None:
                fail(f"{self.proc.args[0]} exited ({self.proc.returncode}) before printing "
                     f"{pattern!r}:\n{self.output().decode(errors='replace')}")
            time.sleep(0.02)  # polling a log file: the condition is checked on every turn
        fail(f"timed out waiting for {pattern!r}:\n{self.output().decode(errors='replace')}")

    def stop(self, timeout=10.0):
        """SIGTERM, then a clean exit (status 0) within `timeout`; returns the output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail(f"{self.proc.args[0]} did not exit within {timeout} s of SIGTERM")
        out = self.output()
        if rc != 0:
            fail(f"{self.proc.args[0]} exited with {rc}:\n{out.decode(errors='replace')}")
        return out


def start(argv, stderr_to=None):
    ex = Example(argv, stderr_to)
    ex.port = int(ex.wait_for(LISTENING.pattern).group(1))
    return ex


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
