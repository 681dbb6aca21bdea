"""MySQL/MariaDB change data capture benchmark for Sluice: snapshot, binlog catch-up, commit-to-consumer latency.

Run it through bench/cdc.sh (which provisions the clients); see the "MySQL/MariaDB CDC" section of
docs/benchmarks.md. One private MariaDB (tests/e2e/mariadb.py's MariaDB class, its config plus the few bulk-load
settings in MARIADB_EXTRA) for the whole run, each part in its own database; one Sluice process at a time (`sluice`
with no subcommand: broker + Connect), each part with a fresh data directory under $TMPDIR. The connector is
io.debezium.connector.mariadb.MariaDbConnector with the JsonConverter for keys and values, schemas enabled (the
default), as in tests/e2e/test_mysql_cdc.py.

  snapshot  a table of --snapshot-rows rows (id INT PK, three VARCHARs, a DECIMAL, a DATETIME(6), an INT) loaded
            with INSERT ... SELECT from MariaDB's sequence engine; connector created (snapshot.mode=initial) at
            t = 0, the topic's high watermark polled every 0.1 s until it holds every row: rows/s, time to the
            first record, process CPU, VmRSS every 0.1 s (peak, median), idle RSS before the connector.
  catchup   the connector created with snapshot.mode=no_data on the empty table, one probe row streamed, offsets
            flushed; Sluice stopped (SIGTERM); --catchup-rows rows inserted in transactions of --catchup-txn rows
            (multi-row INSERT ... SELECT, autocommit); Sluice started again on the same data directory, so the
            connector resumes from its committed offset and reads a binlog prepared in advance. Rows/s from the
            first new record to the last (and from the restart), VmRSS every 0.1 s, per-thread CPU; with --perf a
            `perf record -g` of the Sluice process during the catch-up (report in the results directory).
  latency   connector (no_data) streaming an empty table; a writer (the mariadb client fed through a pipe) commits
            --latency-rate single-row autocommit INSERTs per second for --latency-seconds, each row's created_at =
            SYSDATE(6) (the statement's execution time, just before its commit); a confluent-kafka consumer reading
            the topic stamps each record on arrival: latency = arrival - created_at (same clock), p50/p99/max.
Results: bench/results/cdc-<timestamp>/ (results.json, report.md, Sluice logs, MariaDB error log, perf report)
and the section between the bench/cdc.sh markers of docs/benchmarks.md (unless --no-doc).
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "e2e"))
import broker as bb  # noqa: E402  (helpers shared with bench/broker.sh)
import common  # noqa: E402
import lifecycle as lc  # noqa: E402  (Sluice process, REST, watermarks, quiet-machine checks)
import mariadb as mdb  # noqa: E402  (tests/e2e/mariadb.py: the private MariaDB of the e2e tests)

from confluent_kafka import Consumer, KafkaException, TopicPartition  # noqa: E402

BENCH, REPO, MiB = bb.BENCH, bb.REPO, bb.MiB
log, fmt, mark = bb.log, bb.fmt, common.mark
MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"
# On top of tests/e2e/mariadb.py's config (later lines win): room for a 1 M-row table in the buffer pool and fast
# commits, so that loading the rows is quick and the server is not what the snapshot / latency parts measure.
MARIADB_EXTRA = """innodb_buffer_pool_size=512M
innodb_log_file_size=256M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
max_allowed_packet=64M
"""
TABLE = "orders"
DDL = f"""CREATE TABLE {TABLE} (
  id INT NOT NULL PRIMARY KEY,
  customer VARCHAR(64) NOT NULL,
  email VARCHAR(128),
  status VARCHAR(16) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  quantity INT NOT NULL
)"""
COLS = "id, customer, email, status, amount, created_at, quantity"


def select_rows(lo, hi):
    """INSERT ... SELECT source for ids lo..hi (inclusive) from the sequence engine."""
    return (f"SELECT seq, CONCAT('customer-', seq % 50000), CONCAT('user', seq, '@example.com'), "
            f"ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), (seq * 7919 % 10000000) / 100, "
            f"TIMESTAMP('2026-01-01 00:00:00') + INTERVAL seq SECOND, 1 + seq % 10 FROM seq_{lo}_to_{hi}")


def one_row(i, created="SYSDATE(6)"):
    return (f"({i}, 'customer-{i % 50000}', 'user{i}@example.com', "
            f"'{('new', 'paid', 'shipped', 'cancelled')[i % 4]}', {(i * 7919 % 10000000) / 100:.2f}, {created}, "
            f"{1 + i % 10})")


# ---------------------------------------------------------------------------------------------- processes

class CdcSluice(lc.Sluice):
    """lifecycle.Sluice (broker + Connect) that can also be stopped and started again on the same data."""

    def halt(self, timeout=30):
        if not common.terminate(self.proc, timeout):
            return f"did not exit within {timeout} s of SIGTERM; killed"
        return "" if self.proc.returncode == 0 else f"exit code {self.proc.returncode} after SIGTERM"


class Sampler(threading.Thread):
    """VmRSS (MB) and process CPU seconds of a pid every `interval` s: [(epoch s, rss MB, cpu s)]."""

    def __init__(self, pid_fn, interval=0.1):
        super().__init__(daemon=True)
        self.pid_fn, self.interval, self.samples = pid_fn, interval, []
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            pid = self.pid_fn()
            kb = bb.status_kb(pid, "VmRSS")
            if kb:
                self.samples.append((time.time(), kb / 1024, bb.tree_cpu_s(pid)))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()
        return self.samples


def rss_stats(samples, t0=None, t1=None):
    v = [r for t, r, _ in samples if (t0 is None or t >= t0) and (t1 is None or t <= t1)]
    return (max(v), statistics.median(v)) if v else (None, None)


def thread_cpu(pid):
    """{thread name: CPU s} summed over the threads of pid."""
    out, tck = {}, os.sysconf("SC_CLK_TCK")
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/stat") as f:
                    raw = f.read()
                name = raw[raw.index("(") + 1:raw.rindex(")")]
                fields = raw.rsplit(")", 1)[1].split()
                out.setdefault(name, [0.0, 0])
                out[name][0] += (int(fields[11]) + int(fields[12])) / tck
                out[name][1] += 1
            except (OSError, ValueError):
                pass
    except OSError:
        pass
    return out


def thread_cpu_delta(a, b):
    rows = []
    for name, (cpu, n) in b.items():
        d = cpu - a.get(name, [0.0, 0])[0]
        if d > 0.05:
            rows.append({"thread": name, "threads": n, "cpu_s": round(d, 2)})
    return sorted(rows, key=lambda r: -r["cpu_s"])


class Watermark:
    """High watermark of one topic (0 while the topic does not exist yet)."""

    def __init__(self, bs):
        self.c = Consumer({"bootstrap.servers": bs, "group.id": "sluice-cdc-wm", "enable.auto.commit": False})

    def high(self, topic):
        try:
            return self.c.get_watermark_offsets(TopicPartition(topic, 0), timeout=5, cached=False)[1]
        except KafkaException:
            return 0

    def close(self):
        self.c.close()


def peek(bs, topic, offset):
    """The JSON value of the record at `offset` (None if it cannot be read within 10 s)."""
    c = Consumer({"bootstrap.servers": bs, "group.id": "sluice-cdc-peek", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, offset)])
        deadline = time.time() + 10
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                return json.loads(m.value()) if m.value() else None
        return None
    finally:
        c.close()


def check_record(r, bs, topic, offset, op):
    v = peek(bs, topic, offset)
    ok = isinstance(v, dict) and "schema" in v and v.get("payload", {}).get("op") == op
    r["record_check"] = (f"offset {offset}: op={v.get('payload', {}).get('op')!r}, schema "
                         f"{'present' if 'schema' in v else 'MISSING'}, {len(json.dumps(v, separators=(',', ':')))} B "
                         f"of JSON of which the payload {len(json.dumps(v.get('payload'), separators=(',', ':')))} B"
                         if isinstance(v, dict) else f"offset {offset}: not readable")
    if not ok:
        r["notes"].append(f"unexpected record: {r['record_check']}")
    return v


EXTRA_PROPS = {}  # --connector-prop k=v, added to every connector config


def cdc_config(db, dbname, prefix, **extra):
    c = db.connector_config(**{
        "connector.class": MARIADB,
        "tasks.max": "1",
        "database.server.id": str(5400 + abs(hash(prefix)) % 1000),
        "topic.prefix": prefix,
        "database.include.list": dbname,
        "schema.history.internal.kafka.bootstrap.servers": "ignored:9092",
        "schema.history.internal.kafka.topic": f"schema-changes.{prefix}",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    })
    c.update(extra)
    c.update(EXTRA_PROPS)
    return c


def create_connector(s, name, config):
    st, body = lc.rest(s.rest_port, "POST", "/connectors", {"name": name, "config": config})
    if st not in (200, 201):
        raise RuntimeError(f"creating {name}: HTTP {st} {body}")


def connector_state(s, name):
    st, body = lc.rest(s.rest_port, "GET", f"/connectors/{name}/status", timeout=5)
    if st == 200 and isinstance(body, dict):
        tasks = body.get("tasks") or []
        bad = [t for t in tasks if t.get("state") == "FAILED"]
        if bad:
            return "FAILED: " + str(bad[0].get("trace", ""))[:300]
        return body.get("connector", {}).get("state", "?") + "/" + ",".join(t.get("state", "?") for t in tasks)
    return f"HTTP {st}"


def wait_high(s, wm, topic, target, timeout, progress, t0, what):
    """Polls the high watermark every 0.1 s until >= target; returns (epoch of reaching it or None, first epoch
    above the starting value or None)."""
    start = wm.high(topic)
    t_first, deadline, last_print = None, time.time() + timeout, time.time()
    while time.time() < deadline:
        now, hi = time.time(), wm.high(topic)
        progress.append((round(now - t0, 2), hi))
        if t_first is None and hi > start:
            t_first = now
        if hi >= target:
            return now, t_first
        if now - last_print >= 10:
            last_print = now
            log(f"{what}: t={now - t0:.0f}s {hi:,} of {target:,} records")
        if not s.alive():
            raise RuntimeError(f"sluice exited (code {s.proc.returncode})")
        if progress and len(progress) % 50 == 0:
            state = connector_state(s, "cdc")
            if state.startswith("FAILED"):
                raise RuntimeError(f"connector {state}")
        time.sleep(0.1)
    return None, t_first


def wait_streaming(s, db, dbname, wm_or_cons, timeout=60):
    """Waits for the connector's `streaming binlog from` log line, then inserts probe rows (ids 0, -1, ...) until
    one is seen (`wm_or_cons()` > 0); returns the number of probe rows in the topic."""
    deadline = time.time() + timeout
    while "streaming binlog from" not in s.log_text():
        if time.time() > deadline:
            raise RuntimeError(f"no `streaming binlog from` log line within {timeout} s")
        time.sleep(0.05)
    probes = 0
    while time.time() < deadline:
        db.sql(f"INSERT INTO {TABLE} ({COLS}) VALUES {one_row(-probes)}", dbname)
        probes += 1
        t = time.time()
        while time.time() < min(deadline, t + 5):
            if wm_or_cons() > 0:
                time.sleep(0.5)
                return wm_or_cons()
            time.sleep(0.05)
    raise RuntimeError(f"no probe row reached the topic within {timeout} s")


def start_sluice(rdir, name, args, res_part):
    s = CdcSluice(args.bin_path, rdir, name, connect=True)
    res_part["command"] = s.shown_command()
    lc.quiet(args)
    s.start()
    time.sleep(3)
    res_part["idle_rss_mb"] = lc.steady_rss(s)
    return s


def finish(s, r, name="cdc"):
    if s is None:
        return
    try:
        if s.alive():
            r["final_state"] = connector_state(s, name)
    except Exception:  # noqa: BLE001
        pass
    f = s.findings()
    r["findings"] = f[:50]
    note = s.stop()
    if note:
        r["notes"].append(f"stop: {note}")


# ---------------------------------------------------------------------------------------------- 1. snapshot

def run_snapshot(args, db, rdir, res):
    n = args.snapshot_rows
    r = {"rows": n, "notes": []}
    res["snapshot"] = r
    dbname, prefix = "bench_snap", "snap"
    topic = f"{prefix}.{dbname}.{TABLE}"
    s = None
    try:
        log(f"snapshot: loading {n:,} rows into {dbname}.{TABLE}")
        t = time.time()
        db.sql(f"DROP DATABASE IF EXISTS {dbname}; CREATE DATABASE {dbname}; USE {dbname}; {DDL};")
        for lo in range(1, n + 1, 200_000):  # statements of 200,000 rows (the client call has a 120 s timeout)
            db.sql(f"INSERT INTO {TABLE} ({COLS}) {select_rows(lo, min(n, lo + 199_999))};", dbname)
        r["load_s"] = time.time() - t
        db.sql(f"ANALYZE TABLE {TABLE}", dbname)
        r["table_mb"] = float(db.query(
            f"SELECT (data_length + index_length) / 1048576 FROM information_schema.tables "
            f"WHERE table_schema = '{dbname}' AND table_name = '{TABLE}'")[0][0])
        log(f"snapshot: loaded in {r['load_s']:.1f} s ({r['table_mb']:.0f} MB in InnoDB)")
        s = start_sluice(rdir, "snapshot", args, r)
        wm = Watermark(s.bootstrap)
        lc.quiet(args)
        sampler = Sampler(lambda: s.pid)
        sampler.start()
        cpu0, w = s.cpu_s(), lc.Window(s)
        th0 = thread_cpu(s.pid)
        t0 = time.time()
        create_connector(s, "cdc", cdc_config(db, dbname, prefix, **{"snapshot.mode": "initial"}))
        progress = []
        t_end, t_first = wait_high(s, wm, topic, n, args.timeout, progress, t0, "snapshot")
        r["cpu_s"] = s.cpu_s() - cpu0
        r["threads"] = thread_cpu_delta(th0, thread_cpu(s.pid))
        r["foreign_frac"] = w.close("snapshot", r["notes"])
        time.sleep(1)
        samples = sampler.stop()
        r["progress"] = progress[::max(1, len(progress) // 60)]
        if t_first:
            r["first_record_s"] = t_first - t0
        if t_end is None:
            r["notes"].append(f"the topic held {progress[-1][1]:,} of {n:,} records after {args.timeout} s")
        else:
            r["seconds"] = t_end - t0
            r["rows_per_s"] = n / r["seconds"]
            if t_first and t_end > t_first:
                r["rows_per_s_streamed"] = n / (t_end - t_first)
        r["peak_rss_mb"], r["median_rss_mb"] = rss_stats(samples, t0, t_end)
        r["hwm_mb"] = s.hwm_mb()
        r["topic_records"] = wm.high(topic)
        wm.close()
        if r["topic_records"] != n:
            r["notes"].append(f"the topic holds {r['topic_records']:,} records for {n:,} rows")
        check_record(r, s.bootstrap, topic, n - 1, "r")
    except Exception as e:  # noqa: BLE001
        r["notes"].append(f"snapshot failed: {e!r}")
    finally:
        finish(s, r)
        db.sql(f"DROP DATABASE IF EXISTS {dbname}", check=False)
    log(f"snapshot: {fmt(r.get('rows_per_s'), 0)} rows/s ({fmt(r.get('seconds'), 2)} s), RSS idle "
        f"{fmt(r.get('idle_rss_mb'))} MB, peak {fmt(r.get('peak_rss_mb'))} MB; notes {r['notes']}")


# ---------------------------------------------------------------------------------------------- 2. catch-up

def perf_start(pid, path):
    if not shutil.which("perf"):
        return None
    # DWARF call graphs: the release binary has symbols but no frame pointers, so -g alone attributes nothing
    return subprocess.Popen(["perf", "record", "-F", "199", "--call-graph", "dwarf,16384", "-p", str(pid), "-o",
                             str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=bb._die_with_parent)


def perf_stop(p, path, rdir, r):
    if p is None:
        r["notes"].append("--perf: perf not found")
        return
    p.send_signal(signal.SIGINT)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    out = rdir / "catchup-perf.txt"
    with open(out, "w") as f:
        for title, cmd in [
                ("self time by symbol", ["perf", "report", "-i", str(path), "--no-children", "--stdio",
                                          "--sort", "symbol", "--percent-limit", "0.7", "-g", "none"]),
                ("with children (inclusive) by symbol", ["perf", "report", "-i", str(path), "--children", "--stdio",
                                                         "--sort", "symbol", "--percent-limit", "2", "-g", "none"]),
                ("self time by shared object", ["perf", "report", "-i", str(path), "--no-children", "--stdio",
                                                "--sort", "dso", "-g", "none"]),
                ("by thread", ["perf", "report", "-i", str(path), "--no-children", "--stdio", "--sort", "comm",
                               "-g", "none"]),
                ("inclusive by thread and symbol", ["perf", "report", "-i", str(path), "--children", "--stdio",
                                                    "--sort", "comm,symbol", "--percent-limit", "1.5", "-g", "none"])]:
            f.write(f"===== {title}: {' '.join(cmd)}\n")
            f.flush()
            subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, timeout=600)
    r["perf_report"] = out.name
    top = []
    for line in out.read_text(errors="replace").split("=====")[1].splitlines():
        parts = line.split()
        if parts and parts[0].endswith("%") and len(top) < 25:
            top.append({"pct": parts[0], "symbol": " ".join(x for x in parts[2:] if x != "-")[:160]})
    r["perf_top"] = top
    incl = []
    for line in out.read_text(errors="replace").split("=====")[2].splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[0].endswith("%") and "sluice" in line and len(incl) < 40:
            incl.append({"pct": parts[0], "symbol": " ".join(x for x in parts[3:] if x != "-")[:160]})
    r["perf_inclusive"] = incl


def run_catchup(args, db, rdir, res):
    n, txn = args.catchup_rows, args.catchup_txn
    r = {"rows": n, "txn_rows": txn, "notes": []}
    res["catchup"] = r
    dbname, prefix = "bench_catch", "catch"
    topic = f"{prefix}.{dbname}.{TABLE}"
    s = None
    try:
        db.sql(f"DROP DATABASE IF EXISTS {dbname}; CREATE DATABASE {dbname}; USE {dbname}; {DDL};")
        s = start_sluice(rdir, "catchup", args, r)
        wm = Watermark(s.bootstrap)
        create_connector(s, "cdc", cdc_config(db, dbname, prefix, **{"snapshot.mode": "no_data"}))
        ok, body = lc.wait_running(s.rest_port, "cdc")
        if not ok:
            raise RuntimeError(f"connector not RUNNING: {body}")
        probes = wait_streaming(s, db, dbname, lambda: wm.high(topic))
        r["probes"] = probes
        wm.close()
        time.sleep(3)  # two offset flushes (CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000)
        r["streaming_idle_rss_mb"] = lc.steady_rss(s)
        note = s.halt()
        if note:
            r["notes"].append(f"first stop: {note}")
        log(f"catchup: sluice stopped; inserting {n:,} rows in transactions of {txn:,}")
        stmts = [f"INSERT INTO {TABLE} ({COLS}) {select_rows(lo, min(n, lo + txn - 1))};" for lo in range(1, n + 1, txn)]
        t = time.time()
        for i in range(0, len(stmts), 100):  # 100 transactions per client call (each call has a 120 s timeout)
            db.sql("\n".join(stmts[i:i + 100]), dbname)
        r["insert_s"] = time.time() - t
        r["binlog_mb"] = sum(int(x[1]) for x in db.query("SHOW BINARY LOGS")) / MiB
        log(f"catchup: inserted in {r['insert_s']:.1f} s; starting sluice again")
        lc.quiet(args)
        t0 = time.time()
        s.start()
        t_ready = time.time()
        sampler = Sampler(lambda: s.pid)
        sampler.start()
        pr = perf_start(s.pid, rdir / "catchup.perf.data") if args.perf else None
        cpu0, w = s.cpu_s(), lc.Window(s)
        th0 = thread_cpu(s.pid)
        wm = Watermark(s.bootstrap)
        progress = []
        t_end, t_first = wait_high(s, wm, topic, n + probes, args.timeout, progress, t0, "catchup")
        r["cpu_s"] = s.cpu_s() - cpu0
        r["threads"] = thread_cpu_delta(th0, thread_cpu(s.pid))
        r["foreign_frac"] = w.close("catch-up", r["notes"])
        if pr is not None or args.perf:
            perf_stop(pr, rdir / "catchup.perf.data", rdir, r)
        time.sleep(3)
        r["after_rss_mb"] = lc.steady_rss(s)
        samples = sampler.stop()
        r["progress"] = progress[::max(1, len(progress) // 60)]
        r["restart_to_rest_s"] = t_ready - t0
        if t_first:
            r["first_record_s"] = t_first - t0
        if t_end is None:
            r["notes"].append(f"the topic held {progress[-1][1]:,} of {n + probes:,} records after {args.timeout} s")
        else:
            r["seconds_from_restart"] = t_end - t0
            r["rows_per_s_from_restart"] = n / (t_end - t0)
            if t_first and t_end > t_first:
                r["seconds"] = t_end - t_first
                r["rows_per_s"] = n / r["seconds"]
        r["peak_rss_mb"], r["median_rss_mb"] = rss_stats(samples, t0, t_end)
        r["hwm_mb"] = s.hwm_mb()
        r["topic_records"] = wm.high(topic)
        wm.close()
        if r["topic_records"] != n + probes:
            r["notes"].append(f"the topic holds {r['topic_records']:,} records for {n + probes:,} rows (probes "
                              "included)")
        check_record(r, s.bootstrap, topic, n + probes - 1, "c")
    except Exception as e:  # noqa: BLE001
        r["notes"].append(f"catch-up failed: {e!r}")
    finally:
        finish(s, r)
        db.sql(f"DROP DATABASE IF EXISTS {dbname}", check=False)
    log(f"catchup: {fmt(r.get('rows_per_s'), 0)} rows/s ({fmt(r.get('seconds'), 2)} s from the first record), "
        f"peak RSS {fmt(r.get('peak_rss_mb'))} MB; notes {r['notes']}")


# ---------------------------------------------------------------------------------------------- 3. latency

class LatencyConsumer(threading.Thread):
    def __init__(self, bs, topic, want):
        super().__init__(daemon=True)
        self.c = Consumer({"bootstrap.servers": bs, "group.id": "sluice-cdc-latency", "enable.auto.commit": False})
        self.c.assign([TopicPartition(topic, 0, 0)])
        self.want, self.got, self.errors = want, [], []  # got: (arrival epoch s, created_at epoch us, id)
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set() and len(self.got) < self.want:
            # consume(n, timeout) waits for n messages or the timeout: block in poll() for the first only, then
            # take what is already fetched without waiting, so a record is stamped as soon as it is here
            m = self.c.poll(0.1)
            if m is None:
                continue
            now = time.time()
            msgs = [m] + self.c.consume(500, 0)
            for m in msgs:
                if m.error():
                    self.errors.append(str(m.error()))
                    continue
                v = json.loads(m.value()) if m.value() else None
                after = (v or {}).get("payload", {}).get("after") or {}
                if "created_at" in after:
                    self.got.append((now, after["created_at"], after.get("id")))
        self.c.close()

    def stop(self):
        self._halt.set()
        self.join(30)


def pct(v, q):
    return v[min(len(v) - 1, int(len(v) * q))]


def run_latency(args, db, rdir, res):
    rate, secs = args.latency_rate, args.latency_seconds
    total = int(rate * secs)
    r = {"rate": rate, "seconds": secs, "rows": total, "notes": []}
    res["latency"] = r
    dbname, prefix = "bench_lat", "lat"
    topic = f"{prefix}.{dbname}.{TABLE}"
    s = None
    try:
        db.sql(f"DROP DATABASE IF EXISTS {dbname}; CREATE DATABASE {dbname}; USE {dbname}; {DDL};")
        s = start_sluice(rdir, "latency", args, r)
        lc.create_topic(s.bootstrap, topic, 1)
        create_connector(s, "cdc", cdc_config(db, dbname, prefix, **{"snapshot.mode": "no_data"}))
        ok, body = lc.wait_running(s.rest_port, "cdc")
        if not ok:
            raise RuntimeError(f"connector not RUNNING: {body}")
        cons = LatencyConsumer(s.bootstrap, topic, total + 1)
        cons.start()
        probes = wait_streaming(s, db, dbname, lambda: len(cons.got))
        cons.want = total + probes
        time.sleep(2)
        r["streaming_idle_rss_mb"] = lc.steady_rss(s)
        lc.quiet(args)
        sampler = Sampler(lambda: s.pid)
        sampler.start()
        cpu0, w = s.cpu_s(), lc.Window(s)
        writer = subprocess.Popen(db._client("--default-character-set=utf8mb4", "-N", "-B", dbname),
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  preexec_fn=bb._die_with_parent)
        log(f"latency: writing {rate} rows/s for {secs} s (one row per autocommit transaction)")
        t0, sent = time.time(), 0
        while sent < total:
            due = min(total, int((time.time() - t0) * rate) + 1)
            if due > sent:
                writer.stdin.write("".join(f"INSERT INTO {TABLE} ({COLS}) VALUES {one_row(i)};\n"
                                           for i in range(sent + 1, due + 1)).encode())
                writer.stdin.flush()
                sent = due
            time.sleep(0.002)
        writer.stdin.close()
        rc = writer.wait(120)
        r["write_s"] = time.time() - t0
        if rc != 0:
            r["notes"].append(f"writer exited {rc}: {writer.stderr.read().decode(errors='replace')[:300]}")
        deadline = time.time() + 60
        while len(cons.got) < cons.want and time.time() < deadline:
            time.sleep(0.1)
        r["cpu_s"] = s.cpu_s() - cpu0
        r["foreign_frac"] = w.close("latency", r["notes"])
        cons.stop()
        samples = sampler.stop()
        got = [g for g in cons.got if g[2] is not None and g[2] > 0]
        r["received"] = len(got)
        if len(got) < total:
            r["notes"].append(f"received {len(got):,} of {total:,} rows")
        if cons.errors:
            r["notes"].append(f"consumer errors: {cons.errors[:3]}")
        if got:
            lat = sorted((a - c / 1e6) * 1000 for a, c, _ in got)
            r["p50_ms"], r["p99_ms"], r["p999_ms"], r["max_ms"] = (pct(lat, 0.5), pct(lat, 0.99), pct(lat, 0.999),
                                                                  lat[-1])
            r["min_ms"] = lat[0]
            span = (max(c for _, c, _ in got) - min(c for _, c, _ in got)) / 1e6
            r["achieved_rate"] = (len(got) - 1) / span if span > 0 else None
            # per second of the run: the worst latency, to see whether the p99 is steady or a few stalls
            per_s = {}
            for a, c, _ in got:
                k = int(c / 1e6 - t0)
                per_s[k] = max(per_s.get(k, 0), (a - c / 1e6) * 1000)
            r["max_ms_per_second"] = [round(per_s[k], 1) for k in sorted(per_s)]
        r["peak_rss_mb"], r["median_rss_mb"] = rss_stats(samples)
        r["hwm_mb"] = s.hwm_mb()
    except Exception as e:  # noqa: BLE001
        r["notes"].append(f"latency failed: {e!r}")
    finally:
        finish(s, r)
        db.sql(f"DROP DATABASE IF EXISTS {dbname}", check=False)
    log(f"latency: p50 {fmt(r.get('p50_ms'), 2)} ms, p99 {fmt(r.get('p99_ms'), 2)} ms, max {fmt(r.get('max_ms'), 2)} "
        f"ms at {fmt(r.get('achieved_rate'), 0)} rows/s; peak RSS {fmt(r.get('peak_rss_mb'))} MB; notes {r['notes']}")


# ---------------------------------------------------------------------------------------------- report

def render(meta, res):
    a = meta["args"]
    s = common.results_head(meta)
    s.append(f"Versions: Sluice {meta['sluice_version']}; {meta.get('mariadb', 'MariaDB ?')}; confluent-kafka "
             f"{meta.get('confluent_kafka', '?')}. MB = 2^20 bytes. Total time of the run: "
             f"{meta.get('duration_s', 0) / 60:.1f} min.")
    s.append("")
    fr = [p.get("foreign_frac") for p in res.values() if isinstance(p.get("foreign_frac"), (int, float))]
    if fr:
        worst = max(fr)
        s.append(f"Other processes used at most {max(0, worst):.0%} of the machine's CPU during any measurement"
                 + (f"; measurements above {lc.FOREIGN_NOTE:.0%} are noted." if worst > lc.FOREIGN_NOTE else "."))
        s.append("")
    cmd = next((p["command"] for p in res.values() if p.get("command")), "")
    if cmd:
        extra = "".join(f", {kv}" for kv in a.get("connector_prop", []))
        s.append(f"Process: `{cmd}`; connector `{MARIADB}`, JsonConverter keys and values with schemas{extra}.")
        s.append("")
    s.append("| part | what | result | target | met | Sluice CPU s | RSS idle MB | RSS peak / median MB | "
             "peak − idle MB |")
    s.append("|---|---|---|---|---|---|---|---|---|")

    def rss_cells(p):
        d = (p["peak_rss_mb"] - p["idle_rss_mb"]) if p.get("peak_rss_mb") and p.get("idle_rss_mb") else None
        return (f"{fmt(p.get('idle_rss_mb'))} | {fmt(p.get('peak_rss_mb'))} / {fmt(p.get('median_rss_mb'))} | "
                f"{fmt(d)} |"), d

    if "snapshot" in res:
        p = res["snapshot"]
        cells, _ = rss_cells(p)
        s.append(f"| snapshot | {p['rows']:,} rows, snapshot.mode=initial, connector created → topic holds every "
                 f"row | **{fmt(p.get('rows_per_s'), 0)} rows/s** ({fmt(p.get('seconds'), 1)} s; first record after "
                 f"{fmt(p.get('first_record_s'), 2)} s) | — | — | {fmt(p.get('cpu_s'))} | {cells}")
    if "catchup" in res:
        p = res["catchup"]
        cells, d = rss_cells(p)
        v = p.get("rows_per_s")
        s.append(f"| catch-up | {p['rows']:,} rows in the binlog ({p['txn_rows']:,}-row transactions), first → "
                 f"last record | **{fmt(v, 0)} rows/s** ({fmt(p.get('seconds'), 1)} s; "
                 f"{fmt(p.get('rows_per_s_from_restart'), 0)} rows/s counting the restart) | ≥ 100,000 rows/s | "
                 f"{mark(None if v is None else v >= 100_000)} | {fmt(p.get('cpu_s'))} | {cells}")
        s.append(f"| catch-up RSS | connector's share while streaming = peak − idle | {fmt(d)} MB (whole process "
                 f"{fmt(p.get('peak_rss_mb'))} MB) | < 64 MB | {mark(None if d is None else d < 64)} | | | | |")
    if "latency" in res:
        p = res["latency"]
        cells, d = rss_cells(p)
        v = p.get("p99_ms")
        s.append(f"| latency | {p['rate']:,} single-row transactions/s for {p['seconds']:.0f} s (achieved "
                 f"{fmt(p.get('achieved_rate'), 0)}/s), commit → consumer | p50 **{fmt(p.get('p50_ms'), 1)} ms**, "
                 f"p99 **{fmt(v, 1)} ms**, p99.9 {fmt(p.get('p999_ms'), 1)} ms, max {fmt(p.get('max_ms'), 1)} ms | "
                 f"p99 < 50 ms | {mark(None if v is None else v < 50)} | {fmt(p.get('cpu_s'))} | {cells}")
        s.append(f"| latency RSS | connector's share while streaming = peak − idle | {fmt(d)} MB (whole process "
                 f"{fmt(p.get('peak_rss_mb'))} MB) | < 64 MB | {mark(None if d is None else d < 64)} | | | | |")
    s.append("")
    if "snapshot" in res:
        p = res["snapshot"]
        s.append(f"- Snapshot: table loaded in {fmt(p.get('load_s'), 1)} s ({fmt(p.get('table_mb'), 0)} MB in InnoDB); "
                 f"{fmt(p.get('rows_per_s_streamed'), 0)} rows/s from the first record to the last; "
                 f"VmHWM {fmt(p.get('hwm_mb'))} MB; last record {p.get('record_check', '—')}.")
    if "catchup" in res:
        p = res["catchup"]
        s.append(f"- Catch-up: {p['rows']:,} rows inserted in {fmt(p.get('insert_s'), 1)} s while Sluice was down "
                 f"(binlog {fmt(p.get('binlog_mb'), 0)} MB in all); restart → REST up {fmt(p.get('restart_to_rest_s'), 2)} s, "
                 f"→ first new record {fmt(p.get('first_record_s'), 2)} s; RSS streaming idle before the stop "
                 f"{fmt(p.get('streaming_idle_rss_mb'))} MB, 3 s after the catch-up {fmt(p.get('after_rss_mb'))} MB; "
                 f"last record {p.get('record_check', '—')}.")
        if p.get("threads"):
            s.append("  CPU by thread during the catch-up: " + ", ".join(
                f"{t['thread']} ×{t['threads']} {t['cpu_s']:.1f} s" for t in p["threads"][:6]) + ".")
        if p.get("perf_top"):
            s.append(f"  `perf record -g` (self time, top symbols; full report `{p.get('perf_report')}` in the "
                     "results directory): " + "; ".join(f"{x['pct']} {x['symbol'][:70]}" for x in p["perf_top"][:12])
                     + ".")
    if "latency" in res:
        p = res["latency"]
        s.append(f"- Latency: {fmt(p.get('received'), 0)} rows received; min {fmt(p.get('min_ms'), 1)} ms; RSS streaming "
                 f"idle before the writer {fmt(p.get('streaming_idle_rss_mb'))} MB. Worst latency per second of the "
                 f"run (ms): {', '.join(str(x) for x in p.get('max_ms_per_second', [])[:40])}.")
    for name, p in res.items():
        for nt in p.get("notes", []):
            s.append(f"- Note ({name}): {nt}")
        if p.get("findings"):
            s.append(f"- WARN/ERROR log lines ({name}): {len(p['findings'])}, first: `{p['findings'][0][:250]}`")
    s.append("")
    return "\n".join(s)


# ---------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="snapshot,catchup,latency")
    ap.add_argument("--snapshot-rows", type=int, default=1_000_000)
    ap.add_argument("--catchup-rows", type=int, default=1_000_000)
    ap.add_argument("--catchup-txn", type=int, default=1000, help="rows per transaction of the catch-up inserts")
    ap.add_argument("--latency-rate", type=int, default=1000, help="rows (single-row transactions) per second")
    ap.add_argument("--latency-seconds", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=900, help="seconds a snapshot / catch-up may take")
    ap.add_argument("--connector-prop", action="append", default=[], metavar="K=V",
                    help="extra connector setting for every part (repeatable), e.g. max.queue.size=1024")
    ap.add_argument("--perf", action="store_true", help="perf record -g the Sluice process during the catch-up")
    ap.add_argument("--bin", default=os.environ.get("SLUICE_BIN") or str(REPO / "target" / "release" / "sluice"),
                    help="the sluice binary (default $SLUICE_BIN or target/release/sluice); copied at the start")
    ap.add_argument("--wait-idle", type=float, default=120,
                    help="before each measurement wait up to this long for 3 s with the machine < 25%% busy")
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--command", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--render", metavar="DIR", default=None,
                    help="only render DIR/results.json of an earlier run again (report.md, and the doc unless --no-doc)")
    args = ap.parse_args()
    if args.render:
        rd = pathlib.Path(args.render)
        d = json.loads((rd / "results.json").read_text())
        common.publish(rd, render(d["meta"], d["results"]), "cdc", args)
        return
    for kv in args.connector_prop:
        k, _, v = kv.partition("=")
        EXTRA_PROPS[k.strip()] = v.strip()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    for p in parts:
        if p not in ("snapshot", "catchup", "latency"):
            sys.exit(f"unknown part {p}")

    rdir = common.results_dir("cdc-")
    src = pathlib.Path(args.bin)
    frozen = common.freeze_binary(src, rdir)
    args.bin_path = frozen
    import confluent_kafka
    meta = {
        **common.run_meta("cdc", args, src, frozen, show_name=True),
        "confluent_kafka": f"{confluent_kafka.__version__} (librdkafka {confluent_kafka.libversion()[0]})",
        "parts": parts,
        "args": {k: v for k, v in vars(args).items() if k not in ("command", "render", "bin_path")},
    }
    log(f"results in {rdir}; {meta['machine']}; Sluice {meta['sluice_version']}")
    res = {}
    t_all = time.time()

    def save():
        common.save_results(rdir, meta, res, t_all)

    mdb.CNF = mdb.CNF + MARIADB_EXTRA
    work = pathlib.Path(tempfile.mkdtemp(prefix="sluice-cdc-mariadb-"))
    db = mdb.MariaDB(work)
    if db.external:
        sys.exit("bench/cdc.sh starts its own MariaDB: unset MYSQL_URL")
    try:
        log(f"starting a private MariaDB in {work} on port {db.port}")
        db.start()
        meta["mariadb"] = "MariaDB " + db.query("SELECT VERSION()")[0][0]
        if db.query("SELECT COUNT(*) FROM seq_1_to_10", "mysql")[0][0] != "10":
            raise RuntimeError("the sequence engine (seq_1_to_N) is not available")
        for p in parts:
            {"snapshot": run_snapshot, "catchup": run_catchup, "latency": run_latency}[p](args, db, rdir, res)
            save()
    finally:
        save()
        try:
            shutil.copy2(work / "error.log", rdir / "mariadb-error.log")
        except OSError:
            pass
        db.stop()
        shutil.rmtree(work, ignore_errors=True)
        frozen.unlink(missing_ok=True)
        if not os.environ.get("KEEP_PERF_DATA"):
            for f in rdir.glob("*.perf.data"):
                f.unlink()
    common.publish(rdir, render(meta, res), "cdc", args)
    log(f"done in {meta['duration_s']} s; raw results in {rdir}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    main()
