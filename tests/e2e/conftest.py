"""Fixtures for the Sluice end-to-end tests.

`broker` starts target/release/sluice (or $SLUICE_BIN) on a free loopback port with a private data directory,
waits until the port accepts connections, and stops it with SIGTERM afterwards. `broker.restart()` stops it
and starts it again on the same data directory and port. Extra settings for one test:

    @pytest.mark.broker_overrides({"group.initial.rebalance.delay.ms": "3000"})

`connect` starts the binary with no subcommand (broker + Kafka Connect runtime) on free Kafka and REST ports with a
private data directory, waits for the Kafka port and for `GET /` on the REST port, and restarts on the same data
directory and ports with `connect.restart()`. Worker settings go in as environment variables (CONNECT_LISTENERS,
CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000); extra environment for one test:

    @pytest.mark.connect_env({"SLUICE_TEST_INPUT": "/tmp/in.txt", "CONNECT_OFFSET_FLUSH_TIMEOUT_MS": "3000"})

`connect_standalone(worker_props, [connector_props...])` writes worker.properties and connector .properties files
and starts `sluice connect-standalone worker.properties connector-0.properties ...`; worker values may use the
placeholders `{rest_port}` (set `listeners=http://127.0.0.1:{rest_port}`) and `{kafka_port}`.
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
        cmd = self.command()
        self.starts += 1
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start #{self.starts}: {' '.join(cmd)}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     env=self.child_env(), preexec_fn=preexec_die_with_parent)
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"broker exited with status {self.proc.returncode} during startup:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"broker did not accept connections on {self.port} within {START_TIMEOUT}s:\n{self.log_tail()}")
        self.wait_ready(deadline)
        return self

    def command(self):
        cmd = [self.bin, "broker"]
        for k, v in self.settings().items():
            cmd += ["--override", f"{k}={v}"]
        return cmd

    def child_env(self):
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        return env

    def wait_ready(self, deadline):
        """Called once the Kafka port accepts connections; subclasses wait for more (the Connect REST port)."""

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
        _stop_and_clean(request, b, tmp)


def _stop_and_clean(request, b, tmp):
    """After the test: stops `b`, prints its log tail on failure or crash, removes `tmp`."""
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


# ---------------------------------------------------------------------------------------------------------------
# Kafka Connect: the binary with no subcommand (broker + Connect runtime) and `sluice connect-standalone`.

# Environment names the worker reads besides CONNECT_* (the debezium/connect image's short names): never inherited.
_CONNECT_SHORT_ENV = ("BOOTSTRAP_SERVERS", "GROUP_ID", "CONFIG_STORAGE_TOPIC", "OFFSET_STORAGE_TOPIC",
                      "STATUS_STORAGE_TOPIC", "KEY_CONVERTER", "VALUE_CONVERTER", "REST_ADVERTISED_HOST_NAME",
                      "OFFSET_FLUSH_INTERVAL_MS", "OFFSET_FLUSH_TIMEOUT_MS", "REST_PORT")


def _http_get_status(port, path, timeout=2):
    """(status, body bytes) of GET http://127.0.0.1:port/path, or (None, error text) when it cannot connect."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)
    finally:
        conn.close()


class Connect(Broker):
    """`sluice` with no subcommand: the broker and the Kafka Connect runtime (REST on `rest_port`)."""

    def __init__(self, data_dir, overrides=None, env=None, rest_port=None):
        super().__init__(data_dir, overrides)
        self.rest_port = rest_port or free_port()
        self.env = {"CONNECT_LISTENERS": f"http://127.0.0.1:{self.rest_port}",
                    "CONNECT_OFFSET_FLUSH_INTERVAL_MS": "1000"}
        self.env.update(env or {})
        self.log_path = self.data_dir.parent / "sluice.log"

    @property
    def rest_url(self):
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def worker_id(self):
        return f"127.0.0.1:{self.rest_port}"

    def command(self):
        cmd = [self.bin]
        for k, v in self.settings().items():
            cmd += ["--override", f"{k}={v}"]
        return cmd

    def child_env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CONNECT_") and k not in _CONNECT_SHORT_ENV}
        env.setdefault("RUST_BACKTRACE", "1")
        env.update(self.env)
        return env

    def wait_ready(self, deadline):
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"sluice exited with status {self.proc.returncode} during startup:\n{self.log_tail()}")
            status, body = _http_get_status(self.rest_port, "/")
            if status == 200:
                break
            last = (status, body)
            time.sleep(0.1)
        else:
            pytest.fail(f"Connect REST GET / on {self.rest_port} did not answer 200 within {START_TIMEOUT}s "
                        f"(last: {last!r}):\n{self.log_tail()}")
        # A worker still starting answers /health with 503 (KIP-1017); wait that out (no assertion here).
        while time.time() < deadline:
            status, _ = _http_get_status(self.rest_port, "/health")
            if status != 503:
                return
            time.sleep(0.1)


class Standalone(Connect):
    """`sluice connect-standalone worker.properties connector...` (REST listener from the worker file)."""

    def __init__(self, data_dir, worker_file, connector_files, overrides=None, env=None, rest_port=None):
        super().__init__(data_dir, overrides, env, rest_port)
        self.env.pop("CONNECT_LISTENERS")
        self.env.pop("CONNECT_OFFSET_FLUSH_INTERVAL_MS")
        self.worker_file = worker_file
        self.connector_files = list(connector_files)

    def command(self):
        cmd = [self.bin, "connect-standalone", str(self.worker_file), *map(str, self.connector_files)]
        for k, v in self.settings().items():
            cmd += ["--override", f"{k}={v}"]
        return cmd


@pytest.fixture
def connect(request):
    marker = request.node.get_closest_marker("connect_env")
    env = marker.args[0] if marker else {}
    marker = request.node.get_closest_marker("broker_overrides")
    overrides = marker.args[0] if marker else {}
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-connect-e2e-"))
    c = Connect(tmp / "data", overrides, env)
    c.data_dir.mkdir()
    try:
        c.start()
        yield c
    finally:
        _stop_and_clean(request, c, tmp)


@pytest.fixture
def connect_standalone(request):
    """A factory: start(worker_props: dict, connectors: [dict]) -> a started Standalone. The files go in a fresh
    directory (`connect_standalone.workdir`). Worker values may use the placeholders `{rest_port}` (write
    `listeners=http://127.0.0.1:{rest_port}`) and `{kafka_port}` (the broker's port)."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-standalone-e2e-"))
    started = []

    def start(worker_props, connectors):
        rest_port, kafka_port = free_port(), free_port()
        worker = tmp / "worker.properties"
        worker.write_text("".join(f"{k}={v.format(rest_port=rest_port, kafka_port=kafka_port)}\n"
                                  for k, v in worker_props.items()), encoding="utf-8")
        files = []
        for i, props in enumerate(connectors):
            f = tmp / f"connector-{i}.properties"
            f.write_text("".join(f"{k}={v}\n" for k, v in props.items()), encoding="utf-8")
            files.append(f)
        s = Standalone(tmp / "data", worker, files, rest_port=rest_port)
        s.port = kafka_port
        s.data_dir.mkdir(exist_ok=True)
        started.append(s)
        s.start()
        return s

    start.workdir = tmp
    try:
        yield start
    finally:
        if started:
            _stop_and_clean(request, started[-1], tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# MariaDB for the CDC tests: one private server per session (or MYSQL_URL); each test uses its own database.

@pytest.fixture(scope="session")
def mariadb():
    from mariadb import MariaDB
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-mariadb-"))
    db = MariaDB(tmp)
    db.start()
    try:
        yield db
    finally:
        db.stop()
        shutil.rmtree(tmp, ignore_errors=True)
