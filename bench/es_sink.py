"""Elasticsearch sink benchmark: documents/s from a Kafka topic into noida-db's Elasticsearch API through
Sluice's io.confluent.connect.elasticsearch.ElasticsearchSinkConnector, and the Sluice process's RSS.

Run it through bench/es_sink.sh. One Sluice process (broker + Connect) and one noida-db (Elasticsearch API
only), both on 127.0.0.1 with fresh data directories. Per row: the topic is filled first with --records JSON
documents of about 1 KiB, then the sink is created (default batch settings: batch.size 2000, linger.ms 1,
max.in.flight.requests 5, bulk.size.bytes 5 MiB) and `_count` is polled (after `_refresh`) until every document
is there. Sluice's VmRSS is sampled every 0.1 s.

Results: bench/results/es-sink-<timestamp>/ and the section between the bench/es_sink.sh markers of
docs/benchmarks.md (unless --no-doc).
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import broker as bb  # noqa: E402
import common  # noqa: E402
from lifecycle import Sluice, rest  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

BENCH, REPO = bb.BENCH, bb.REPO
log = bb.log
ES_SINK = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"


class Noida:
    def __init__(self, rdir):
        import noida_db
        from importlib.resources import files
        self.bin = str(files(noida_db).joinpath("noida-db"))
        os.chmod(self.bin, 0o755)
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-es-bench-"))
        self.port = bb.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logpath = rdir / "noida.log"
        self.proc = None

    def start(self):
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen([self.bin, "start", "--host", "127.0.0.1", "--only", "elasticsearch",
                                      "--data-dir", str(self.tmp / "data"), "--elasticsearch-port", str(self.port)],
                                     stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=bb._die_with_parent)
        logf.close()
        deadline = time.time() + 30
        while self.http("GET", "/")[0] != 200:
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"noida-db did not start; see {self.logpath}")
            time.sleep(0.1)

    def http(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except (OSError, urllib.error.URLError) as e:
            return None, str(e)

    def count(self, index):
        self.http("POST", f"/{index}/_refresh")
        st, text = self.http("GET", f"/{index}/_count")
        return json.loads(text)["count"] if st == 200 else 0

    def rss_mb(self):
        return bb.status_kb(self.proc.pid, "VmRSS") / 1024

    def stop(self):
        if self.proc and self.proc.poll() is None:
            common.terminate(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


def fill(bs, topic, n, keyed):
    a = AdminClient({"bootstrap.servers": bs})
    for f in a.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        f.result(30)
    p = Producer({"bootstrap.servers": bs, "linger.ms": 20, "batch.size": 1 << 20, "compression.type": "none",
                  "queue.buffering.max.messages": 200000})
    pad = "x" * 900
    t0 = time.time()
    for i in range(n):
        doc = {"id": i, "name": f"member {i}", "email": f"m{i}@example.com", "score": i * 0.25,
               "active": i % 2 == 0, "pad": pad}
        v = json.dumps(doc).encode()
        while True:
            try:
                p.produce(topic, key=str(i).encode() if keyed else None, value=v, partition=0)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(120) == 0
    return time.time() - t0, len(v)


def run_row(args, binary, rdir, part, label, extra, keyed):
    es = Noida(rdir)
    s = Sluice(binary, rdir, f"es-{part}", connect=True)
    row = {"label": label, "config": extra, "records": args.records}
    try:
        es.start()
        s.start()
        topic = "docs"
        fill_s, size = fill(s.bootstrap, topic, args.records, keyed)
        row["doc_bytes"] = size
        row["fill_s"] = round(fill_s, 2)
        time.sleep(2)
        row["rss_before_mb"] = round(s.rss_mb(), 1)
        cfg = {"connector.class": ES_SINK, "tasks.max": "1", "topics": topic, "connection.url": es.url,
               "key.converter": "org.apache.kafka.connect.storage.StringConverter",
               "value.converter": "org.apache.kafka.connect.json.JsonConverter",
               "value.converter.schemas.enable": "false", "schema.ignore": "true"}
        cfg.update(extra)
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append((time.time(), s.rss_mb(), es.rss_mb()))
                time.sleep(0.1)

        th = threading.Thread(target=sample, daemon=True)
        cpu0 = s.cpu_s()
        row["load_before"] = round(os.getloadavg()[0], 2)
        t0 = time.time()
        th.start()
        st, body = rest(s.rest_port, "POST", "/connectors", {"name": "es-bench", "config": cfg})
        assert st == 201, (st, body)
        deadline = t0 + args.timeout
        n = 0
        failed = None
        while time.time() < deadline:
            n = es.count(topic)
            if n >= args.records:
                break
            st, status = rest(s.rest_port, "GET", "/connectors/es-bench/status")
            if st == 200 and status.get("tasks") and status["tasks"][0].get("state") == "FAILED":
                failed = status["tasks"][0].get("trace", "").splitlines()[-1][:300]
                break
            time.sleep(0.25)
        elapsed = time.time() - t0
        stop.set()
        th.join()
        row["docs"] = n
        row["seconds"] = round(elapsed, 2)
        row["docs_per_s"] = round(n / elapsed) if elapsed > 0 else None
        row["mb_per_s"] = round(n * size / elapsed / 1e6, 1) if elapsed > 0 else None
        row["cpu_s"] = round(s.cpu_s() - cpu0, 1)
        row["load_after"] = round(os.getloadavg()[0], 2)
        row["peak_rss_mb"] = round(max(x[1] for x in samples), 1) if samples else None
        row["noida_peak_rss_mb"] = round(max(x[2] for x in samples), 1) if samples else None
        row["rss_after_mb"] = round(s.rss_mb(), 1)
        st, status = rest(s.rest_port, "GET", "/connectors/es-bench/status")
        row["task_state"] = (status or {}).get("tasks", [{}])[0].get("state") if st == 200 else st
        row["failure"] = failed
        log(f"{label}: {n} docs in {elapsed:.2f} s = {row['docs_per_s']} docs/s; RSS {row['rss_before_mb']} -> "
            f"peak {row['peak_rss_mb']} MB")
    finally:
        row["sluice_stop"] = s.stop()
        es.stop()
    return row


def render(args, rows, cmd):
    lines = [f"Run: `{cmd}` on {datetime.date.today().isoformat()} ({platform.machine()}, {os.cpu_count()} cores). "
             f"Elasticsearch: noida-db 0.2.3's Elasticsearch API (`noida-db start --only elasticsearch`), a fresh "
             f"data directory per row. Sluice: `sluice` (broker + Connect) with CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000, "
             f"a fresh data directory per row. The topic `docs` (1 partition) was filled with {args.records:,} JSON "
             f"documents of about 1 KiB (confluent-kafka) before the sink was created at t = 0; `POST _refresh` + "
             f"`GET docs/_count` polled every 0.25 s until every document was there. Sink settings: JsonConverter "
             f"(schemas.enable=false), schema.ignore=true, everything else at its default (batch.size 2000, "
             f"linger.ms 1, max.in.flight.requests 5, bulk.size.bytes 5 MiB) unless the row says otherwise. "
             f"RSS = Sluice's VmRSS sampled every 0.1 s (the sink runs inside the Sluice process; the "
             f"idle column is the whole process with the topic filled, before the connector).",
             "",
             "| row | documents | doc bytes | seconds (create → all counted) | documents/s | MB/s | Sluice CPU s | "
             "Sluice RSS idle MB | Sluice peak RSS MB | Sluice RSS after MB | noida-db peak RSS MB | task | "
             "1-min load before → after |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r.get('docs', 0):,} | {r.get('doc_bytes')} | {r.get('seconds')} | "
                     f"{r.get('docs_per_s'):,} | {r.get('mb_per_s')} | {r.get('cpu_s')} | {r.get('rss_before_mb')} | "
                     f"{r.get('peak_rss_mb')} | {r.get('rss_after_mb')} | {r.get('noida_peak_rss_mb')} | "
                     f"{r.get('task_state')} | {r.get('load_before')} → {r.get('load_after')} |")
    for r in rows:
        if r.get("failure"):
            lines.append("")
            lines.append(f"Row \"{r['label']}\" stopped when the task went FAILED: `{r['failure']}`")
    return "\n".join(lines) + "\n"


SLOW_OK = {"read.timeout.ms": "60000"}
ROWS = {
    "defaults": ("key.ignore=true, all other settings at their defaults (read.timeout.ms 3000)",
                 {"key.ignore": "true"}, False),
    "key-ignore": ("key.ignore=true, read.timeout.ms=60000", {"key.ignore": "true", **SLOW_OK}, False),
    "keyed": ("key.ignore=false (id = key, external version = offset), read.timeout.ms=60000", dict(SLOW_OK), True),
    "small-buffer": ("key.ignore=true, max.buffered.records=10000, read.timeout.ms=60000",
                     {"key.ignore": "true", "max.buffered.records": "10000", **SLOW_OK}, False),
    "gzip": ("key.ignore=true, connection.compression=true, read.timeout.ms=60000",
             {"key.ignore": "true", "connection.compression": "true", **SLOW_OK}, False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="defaults,key-ignore,keyed,small-buffer,gzip", help=f"rows to run, from {','.join(ROWS)}")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--command", default="bench/es_sink.sh")
    args = ap.parse_args()
    binary = REPO / "target" / "release" / "sluice"
    rdir = BENCH / "results" / f"es-sink-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    rdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for part in [p.strip() for p in args.parts.split(",") if p.strip()]:
        label, extra, keyed = ROWS[part]
        rows.append(run_row(args, binary, rdir, part, label, extra, keyed))
    (rdir / "results.json").write_text(json.dumps(rows, indent=2))
    section = render(args, rows, args.command)
    (rdir / "report.md").write_text(section)
    print(section)
    if not args.no_doc:
        common.update_doc(REPO / "docs" / "benchmarks.md", "es_sink", section,
                          "## Elasticsearch sink (bench/es_sink.sh)\n\n")


if __name__ == "__main__":
    main()
