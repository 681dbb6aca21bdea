"""Shared helpers for the end-to-end tests: running the Java tools and kcat, parsing their output, waiting."""
import ctypes
import pathlib
import signal
import subprocess
import time
import uuid

REPO = pathlib.Path(__file__).resolve().parents[2]
JAVA_DIR = REPO / "tests" / "java"
CLASSPATH = f"{JAVA_DIR / 'classes'}:{JAVA_DIR / 'lib'}/*"
JAVA_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"]

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def preexec_die_with_parent():
    """In the child: get SIGKILL when the test process dies, so nothing outlives an aborted run."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, timeout, interval=0.5, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def run(cmd, input=None, timeout=120, check=False):
    """Runs a command to completion; returns CompletedProcess with text stdout/stderr."""
    try:
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=preexec_die_with_parent)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise AssertionError(f"{' '.join(map(str, cmd[:6]))}... timed out after {timeout}s\n"
                             f"stdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}")
    if check and p.returncode != 0:
        raise AssertionError(describe(p))
    return p


def describe(p):
    args = p.args if isinstance(p.args, list) else [p.args]
    tool = args[len(JAVA_OPTS) + 3] if args and args[0] == "java" else " ".join(map(str, args[:8]))
    return (f"{tool} exited {p.returncode}\nargs: {' '.join(map(str, args))}\n"
            f"stdout (tail):\n{p.stdout[-3000:]}\nstderr (tail):\n{_strip_slf4j(p.stderr)[-3000:]}")


def _strip_slf4j(text):
    return "\n".join(l for l in (text or "").splitlines() if not l.startswith("SLF4J"))


def java_cmd(tool, *args):
    return ["java", *JAVA_OPTS, "-cp", CLASSPATH, tool, *map(str, args)]


def java(tool, *args, input=None, timeout=120, check=True):
    return run(java_cmd(tool, *args), input=input, timeout=timeout, check=check)


def rows(text, kind=None):
    """Parses AdminTool output: lines "KIND\\tk=v\\tk=v..." into dicts (with "kind" set)."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if not parts or "=" in parts[0]:
            continue
        d = {"kind": parts[0]}
        for kv in parts[1:]:
            k, _, v = kv.partition("=")
            d[k] = v
        if kind is None or d["kind"] == kind:
            out.append(d)
    return out


def consumer_records(text):
    """Parses ConsoleConsumer output into a list of dicts with partition, offset, timestamp, key, value."""
    recs = []
    for line in text.splitlines():
        if not line.startswith("Partition:"):
            continue
        p, o, ts, k, v = line.split("\t", 4)
        recs.append({"partition": int(p.split(":", 1)[1]), "offset": int(o.split(":", 1)[1]),
                     "timestamp": int(ts.split(":", 1)[1]), "key": k.split(":", 1)[1], "value": v.split(":", 1)[1]})
    return recs


class Admin:
    """Thin wrapper over the AdminTool Java program for one broker."""

    def __init__(self, bootstrap):
        self.bs = bootstrap

    def __call__(self, cmd, *args, check=True, timeout=120):
        return java("AdminTool", cmd, "--bootstrap-server", self.bs, *args, check=check, timeout=timeout)

    def create_topic(self, topic, partitions=1, configs=None):
        extra = []
        for k, v in (configs or {}).items():
            extra += ["--config", f"{k}={v}"]
        out = self("topics", "--create", "--topic", topic, "--partitions", partitions, *extra).stdout
        return rows(out, "CREATED")[0]

    def describe_topic(self, topic):
        out = self("topics", "--describe", "--topic", topic).stdout
        return {"topic": rows(out, "TOPIC")[0], "partitions": rows(out, "PARTITION"),
                "configs": {r["name"]: r for r in rows(out, "CONFIG")}}

    def list_topics(self):
        return [r["name"] for r in rows(self("topics", "--list").stdout, "TOPIC")]

    def offsets(self, topic, spec):
        out = self("offsets", "--topic", topic, "--spec", spec).stdout
        return {int(r["partition"]): (int(r["offset"]), int(r["timestamp"])) for r in rows(out, "OFFSET")}

    def describe_group(self, group):
        out = self("groups", "--describe", "--group", group).stdout
        return {"group": rows(out, "GROUP")[0], "members": rows(out, "MEMBER"), "offsets": rows(out, "OFFSET")}

    def list_groups(self):
        return {r["id"]: r for r in rows(self("groups", "--list").stdout, "GROUP")}


def produce_java(bootstrap, topic, lines, *extra, timeout=120):
    """Produces `lines` with ConsoleProducer --print-metadata; returns list of (partition, offset) per ack."""
    p = java("ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", topic, "--print-metadata", *extra,
             input="".join(l + "\n" for l in lines), timeout=timeout, check=False)
    assert p.returncode == 0, describe(p)
    assert f"acked={len(lines)} failed=0" in p.stdout, describe(p)
    acks = []
    prefix = topic + "-"
    for line in p.stdout.splitlines():
        if line.startswith(prefix) and "@" in line:
            part, off = line[len(prefix):].rsplit("@", 1)
            acks.append((int(part), int(off)))
    assert len(acks) == len(lines), describe(p)
    return acks


def consume_java(bootstrap, topic, expected, *extra, timeout_ms=30000, timeout=180):
    """Consumes with ConsoleConsumer --from-beginning --max-messages expected; returns the parsed records."""
    p = java("ConsoleConsumer", "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning",
             "--max-messages", expected, "--timeout-ms", timeout_ms, *extra, timeout=timeout, check=False)
    assert p.returncode == 0, describe(p)
    return consumer_records(p.stdout)


def kcat(*args, input=None, timeout=120, check=True):
    return run(["kcat", *map(str, args)], input=input, timeout=timeout, check=check)


class Background:
    """A long-running child process whose stdout/stderr lines are collected by reader threads."""

    def __init__(self, cmd, name=None, stdin=subprocess.DEVNULL):
        import threading
        self.name = name or str(cmd[0])
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     bufsize=1, preexec_fn=preexec_die_with_parent)
        self.out, self.err = [], []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        for line in stream:
            with self._lock:
                sink.append(line.rstrip("\n"))

    def lines(self, prefix=""):
        with self._lock:
            return [l for l in self.out if l.startswith(prefix)]

    def stderr_tail(self, n=40):
        with self._lock:
            return "\n".join(l for l in self.err[-n:] if not l.startswith("SLF4J"))

    def wait_for(self, predicate, timeout, what):
        """Waits until predicate(self) is truthy; fails early if the process exits first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = predicate(self)
            if v:
                return v
            if self.proc.poll() is not None:
                time.sleep(0.3)  # let the readers drain
                v = predicate(self)
                if v:
                    return v
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) before {what}\n"
                                     f"stdout tail: {self.lines()[-10:]}\nstderr tail:\n{self.stderr_tail()}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} from {self.name}\n"
                             f"stdout tail: {self.lines()[-10:]}\nstderr tail:\n{self.stderr_tail()}")

    def wait(self, timeout):
        """Waits for the process to exit by itself; returns its status, or None if still running after `timeout`."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals and waits; returns the exit status, or None if it had to be SIGKILLed after `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        for t in self._threads:
            t.join(5)
        return rc


def java_background(tool, *args, name=None, stdin=subprocess.DEVNULL):
    return Background(java_cmd(tool, *args), name=name or tool, stdin=stdin)
