"""Fixtures for the Sluice end-to-end tests.

`broker` starts target/release/sluice (or $SLUICE_BIN) on a free loopback port with a private data directory,
waits until the port accepts connections, and stops it with SIGTERM afterwards. `broker.restart()` stops it
and starts it again on the same data directory and port. Extra settings for one test:

    @pytest.mark.broker_overrides({"group.initial.rebalance.delay.ms": "3000"})
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from helpers import REPO, preexec_die_with_parent, wait_until

DEFAULT_BIN = REPO / "target" / "release" / "sluice"
START_TIMEOUT = 60
STOP_TIMEOUT = 30


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, data_dir, overrides=None, port=None):
        self.bin = os.environ.get("SLUICE_BIN", str(DEFAULT_BIN))
        self.data_dir = pathlib.Path(data_dir)
        self.port = port or free_port()
        self.overrides = dict(overrides or {})
        self.proc = None
        self.starts = 0
        self.log_path = self.data_dir.parent / "broker.log"
        self._log = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def settings(self):
        s = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.data_dir),
            "group.initial.rebalance.delay.ms": "0",
        }
        s.update(self.overrides)
        return s

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        if not os.access(self.bin, os.X_OK):
            pytest.fail(f"broker binary {self.bin} is missing; run `cargo build --release -p sluice`")
        cmd = [self.bin, "broker"]
        for k, v in self.settings().items():
            cmd += ["--override", f"{k}={v}"]
        self.starts += 1
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start #{self.starts}: {' '.join(cmd)}\n".encode())
        self._log.flush()
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     env=env, preexec_fn=preexec_die_with_parent)
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"broker exited with status {self.proc.returncode} during startup:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"broker did not accept connections on {self.port} within {START_TIMEOUT}s:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig` and waits. Returns the exit status, or None if it had to be killed after `timeout`."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        if self._log:
            self._log.write(f"===== stopped: status {rc}\n".encode())
            self._log.close()
            self._log = None
        return rc

    def restart(self):
        rc = self.stop()
        assert rc == 0, f"broker did not shut down cleanly on SIGTERM (status {rc}):\n{self.log_tail()}"
        return self.start()

    def log_tail(self, lines=60):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no broker log)"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def broker(request):
    marker = request.node.get_closest_marker("broker_overrides")
    overrides = marker.args[0] if marker else {}
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-e2e-"))
    b = Broker(tmp / "data", overrides)
    b.data_dir.mkdir()
    b.start()
    try:
        yield b
    finally:
        # Still expected to run (the test did not stop it) but already gone: it crashed or exited on its own.
        crashed = b._log is not None and b.proc is not None and b.proc.poll() is not None
        rc = b.stop()
        failed = any(getattr(request.node, "rep_" + w, None) is not None and getattr(request.node, "rep_" + w).failed
                     for w in ("setup", "call"))
        if failed or crashed:
            print(f"\n--- broker log tail ({b.log_path}) ---\n{b.log_tail(80)}")
            keep = os.environ.get("SLUICE_E2E_KEEP_LOGS")
            if keep:
                dest = pathlib.Path(keep)
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(b.log_path, dest / f"{request.node.name}.log")
        shutil.rmtree(tmp, ignore_errors=True)
        if crashed:
            pytest.fail(f"broker died during the test with status {b.proc.returncode}")
        if rc is None:
            pytest.fail(f"broker did not exit within {STOP_TIMEOUT}s of SIGTERM")
