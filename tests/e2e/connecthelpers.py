"""Helpers for the Kafka Connect end-to-end tests: a small REST client (http.client, so every header and status
is visible), readers for the internal topics (kcat), UTF-8-safe Java console tools, and file helpers."""
import http.client
import json
import pathlib
import subprocess
import time

from helpers import CLASSPATH, JAVA_OPTS, consumer_records, preexec_die_with_parent, run

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"


class Resp:
    def __init__(self, method, path, status, headers, raw):
        self.method, self.path, self.status, self.headers, self.raw = method, path, status, headers, raw

    @property
    def text(self):
        return self.raw.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.raw)
        except ValueError as e:
            raise AssertionError(f"{self} is not JSON: {e}")

    def header(self, name):
        return self.headers.get(name)

    def __repr__(self):
        return f"{self.method} {self.path} -> {self.status} {self.text[:1500]!r}"

    __str__ = __repr__


class Rest:
    """Connect REST client for one worker. Bodies: dict/list -> JSON; str/bytes sent as they are."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, content_type="application/json", timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode("utf-8")
            if content_type is not None:
                headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            return Resp(method, path, r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- shortcuts ---------------------------------------------------------------------------------------------

    def create(self, name, config):
        r = self.post("/connectors", {"name": name, "config": config})
        assert r.status == 201, r
        return r

    def status(self, name):
        return self.get(f"/connectors/{name}/status")

    def wait_status(self, name, connector_state, task_states, timeout=60):
        """Waits until GET /connectors/<n>/status shows `connector_state` and exactly `task_states` (by task id).
        Returns the parsed body."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            r = self.status(name)
            last = r
            if r.status == 200:
                b = r.json()
                if b.get("connector", {}).get("state") == connector_state and \
                        [t.get("state") for t in b.get("tasks", [])] == list(task_states):
                    return b
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout}s waiting for {name} to be connector={connector_state} "
                             f"tasks={list(task_states)}; last: {last}")

    def wait_running(self, name, tasks=1, timeout=60):
        return self.wait_status(name, "RUNNING", ["RUNNING"] * tasks, timeout)

    def wait_streaming(self, name, timeout=90):
        """Waits until CDC connector `name` reads the binlog (its snapshot done and position taken), from the
        `sluice_connect_mysql_connected` gauge on /metrics. RUNNING alone is not enough: as in Kafka Connect, a
        task is RUNNING while its snapshot is still being taken, and a change made then lands in the snapshot."""
        self.wait_running(name, timeout=timeout)
        line = f'sluice_connect_mysql_connected{{connector="{name}"}} 1'

        def streaming():
            return line in self.get("/metrics").text.splitlines()
        wait_for(streaming, timeout, f"{name} to stream the binlog")


def wait_for(predicate, timeout, what, interval=0.3):
    """Like helpers.wait_until, but `predicate` may also raise (AssertionError, or a KeyError/IndexError/... from
    looking into a response that is not there yet) while not ready; the last value or error is shown."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = predicate()
            if v:
                return v
            last = v
        except (AssertionError, KeyError, IndexError, TypeError, ValueError) as e:
            last = repr(e)
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last}")


# -- files -------------------------------------------------------------------------------------------------------

def append_lines(path, lines):
    with open(path, "a", encoding="utf-8", newline="") as f:
        for line in lines:
            f.write(line + "\n")
        f.flush()


def read_lines(path):
    """The complete lines of a file (a trailing partial line is left out); [] if the file does not exist."""
    try:
        data = pathlib.Path(path).read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    parts = data.split("\n")
    return parts[:-1]


# -- topics ------------------------------------------------------------------------------------------------------

def kcat_records(bootstrap, topic, timeout=60):
    """Every record of `topic` (all partitions, beginning to end) as (key, value) strings; a null value is None.
    Uses kcat -C -e with a format whose fields are framed by control characters so values may hold tabs."""
    p = run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
             "-f", "\x01%k\x02%S\x02%s\x03"], timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"kcat -C -t {topic} exited {p.returncode}: {p.stderr[-2000:]}")
    out = []
    for rec in p.stdout.split("\x03"):
        if not rec.startswith("\x01"):
            continue
        key, size, value = rec[1:].split("\x02", 2)
        out.append((key, None if size == "-1" else value))
    return out


def kcat_values(bootstrap, topic, timeout=60):
    return [v for _, v in kcat_records(bootstrap, topic, timeout)]


def kcat_formatted(bootstrap, topic, timeout=60):
    """kcat -f '%k\\t%s\\n' output lines, as the brief's operator would read an internal topic."""
    p = run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"],
            timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"kcat -C -t {topic} exited {p.returncode}: {p.stderr[-2000:]}")
    return [tuple(l.split("\t", 1)) for l in p.stdout.splitlines() if "\t" in l]


def latest_by_key(pairs):
    d = {}
    for k, v in pairs:
        d[k] = v
    return d


def wait_topic_values(bootstrap, topic, count, timeout=90):
    """Waits until `topic` holds at least `count` records; returns all values."""
    return wait_for(lambda: (lambda v: v if len(v) >= count else None)(kcat_values(bootstrap, topic)),
                    timeout, f"{count} records in {topic}")


# -- Java console tools with UTF-8 on both pipes ----------------------------------------------------------------

UTF8_OPTS = ["-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8", "-Dsun.stderr.encoding=UTF-8",
             "-Dstdout.encoding=UTF-8", "-Dstderr.encoding=UTF-8"]


def java_utf8(tool, *args, input=None, timeout=180):
    cmd = ["java", *JAVA_OPTS, *UTF8_OPTS, "-cp", CLASSPATH, tool, *map(str, args)]
    try:
        return subprocess.run(cmd, input=input, capture_output=True, encoding="utf-8", errors="replace",
                              timeout=timeout, preexec_fn=preexec_die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{tool} timed out after {timeout}s; stdout: {e.stdout!r:.2000} stderr: {e.stderr!r:.2000}")


def console_consume(bootstrap, topic, expected, timeout_ms=60000):
    """ConsoleConsumer --from-beginning --max-messages `expected`; returns the parsed records."""
    p = java_utf8("ConsoleConsumer", "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning",
                  "--max-messages", expected, "--timeout-ms", timeout_ms)
    assert p.returncode == 0, (f"ConsoleConsumer exited {p.returncode} (2 = fewer than {expected} records)\n"
                               f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return consumer_records(p.stdout)


def console_produce(bootstrap, topic, lines):
    p = java_utf8("ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", topic,
                  input="".join(l + "\n" for l in lines))
    assert p.returncode == 0 and f"acked={len(lines)} failed=0" in p.stdout, \
        f"ConsoleProducer exited {p.returncode}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
