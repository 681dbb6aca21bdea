"""Log lifecycle benchmark for Sluice: retention soak, durability cost, compaction, Connect.

Run it through bench/lifecycle.sh (which provisions the clients and compiles bench/java); see the
"Log lifecycle" section of docs/benchmarks.md. One Sluice process at a time, everything on 127.0.0.1,
each part with a fresh data directory under $TMPDIR.

  soak        one topic with retention.bytes / segment.bytes, broker with
              log.retention.check.interval.ms=1000; ProducePerf pushes --soak-records 1 KiB records
              (client defaults, acks=all) while the partition directory (du -sb), the .log files, the
              broker's VmRSS and its open file descriptors are sampled every 2 s.
  durability  disk limit (dd conv=fdatasync; 1 MiB writes with fdatasync every 16 MiB and every 1 MiB;
              16 KiB write + fdatasync latency), then ProducePerf flat out and rate-limited at
              --paced-fraction of the flat-out rate, for acks=all (the default: answered from the
              page cache, background sync every second), acks=all with sluice.log.sync.on.ack=true
              (fdatasync before the answer, group commit) and acks=1, 1 and 6 partitions.
  compaction  a cleanup.policy=compact topic filled with --compact-records keyed records over
              --compact-keys keys (held back by min.compaction.lag.ms during the fill), then the lag
              is set to 0 and the cleaner pass is timed: broker CPU going busy -> the `compacted` log
              line; peak RSS = VmHWM after resetting it (/proc/PID/clear_refs 5) just before.
  connect     `sluice` with Connect: FileStreamSource (a file of --connect-lines lines) -> topic ->
              FileStreamSink, time until the topic and the sink file hold every line; RSS idle, with
              the two connectors, and per FileStreamSource connector (N = 1, 5, 10 on small files).
Results: bench/results/lifecycle-<timestamp>/ (results.json, report.md, broker logs, client output)
and the section between the bench/lifecycle.sh markers of docs/benchmarks.md (unless --no-doc).
"""
import argparse
import datetime
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import broker as bb  # noqa: E402  (helpers shared with bench/broker.sh)
import common  # noqa: E402

from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,  # noqa: E402
                                   NewTopic, ResourceType)

BENCH, REPO, MiB, JAVA = bb.BENCH, bb.REPO, bb.MiB, bb.JAVA
log, fmt = bb.log, bb.fmt
# Environment the all-in-one binary would read as Connect / broker settings: never inherited.
_FOREIGN_ENV = ("BOOTSTRAP_SERVERS", "GROUP_ID", "CONFIG_STORAGE_TOPIC", "OFFSET_STORAGE_TOPIC",
                "STATUS_STORAGE_TOPIC", "KEY_CONVERTER", "VALUE_CONVERTER", "REST_PORT", "SLUICE_LOG")
FOREIGN_NOTE = 0.10  # note a measurement when other processes took more than this share of the CPU
TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z")


# ---------------------------------------------------------------------------------------------- processes

class Sluice:
    """One Sluice process (`sluice broker`, or `sluice` with Connect) with its own temp data dir."""

    def __init__(self, binary, rdir, name, overrides=(), connect=False):
        self.name = name
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"sluice-lifecycle-{name}-"))
        self.data = self.tmp / "data"
        self.port = bb.free_port()
        self.rest_port = None
        while connect and self.rest_port in (None, self.port):
            # Two free ports asked one after the other can be the same one.
            self.rest_port = bb.free_port()
        self.logpath = rdir / f"sluice-{name}.log"
        self.connect = connect
        self.overrides = [f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
                          f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                          f"log.dirs={self.data}", "group.initial.rebalance.delay.ms=0", *overrides,
                          # For A/B runs: SLUICE_BENCH_OVERRIDES="key=value,key=value" (the KAFKA_CFG_*
                          # environment is not passed on, so a stray setting cannot skew a run).
                          *filter(None, os.environ.get("SLUICE_BENCH_OVERRIDES", "").split(","))]
        self.cmd = [str(binary)] + ([] if connect else ["broker"])
        for kv in self.overrides:
            self.cmd += ["--override", kv]
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("CONNECT_", "KAFKA_CFG_")) and k not in _FOREIGN_ENV}
        if connect:
            self.env["CONNECT_LISTENERS"] = f"http://127.0.0.1:{self.rest_port}"
            self.env["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000"
        self.proc = None
        self.log_off = 0

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid

    def shown_command(self):
        """The command line with the temp paths and ports replaced by placeholders, for the report."""
        env = ("CONNECT_LISTENERS=http://127.0.0.1:$REST CONNECT_OFFSET_FLUSH_INTERVAL_MS=1000 "
               if self.connect else "")
        s = env + "sluice" + ("" if self.connect else " broker")
        for kv in self.overrides:
            s += " --override " + kv
        return (s.replace(str(self.data), "$TMPDIR/data").replace(str(self.port), "$PORT"))

    def start(self, timeout=60.0):
        self.log_off = self.logpath.stat().st_size if self.logpath.exists() else 0
        self.logf = open(self.logpath, "ab")
        self.logf.write(f"\n===== {datetime.datetime.now().isoformat()} {' '.join(self.cmd)}\n".encode())
        self.logf.flush()
        self.log_off = self.logpath.stat().st_size
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.tmp, env=self.env, preexec_fn=bb._die_with_parent)
        deadline = time.time() + timeout
        while not bb.port_open(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluice exited with {self.proc.returncode} before listening; see {self.logpath}")
            if time.time() > deadline:
                raise RuntimeError(f"sluice not accepting on {self.port} after {timeout} s")
            time.sleep(0.01)
        if self.connect:
            while True:
                st, _ = rest(self.rest_port, "GET", "/", timeout=2)
                if st == 200:
                    st, _ = rest(self.rest_port, "GET", "/health", timeout=2)
                    if st != 503:
                        break
                if self.proc.poll() is not None:
                    raise RuntimeError(f"sluice exited with {self.proc.returncode} during Connect start-up")
                if time.time() > deadline:
                    raise RuntimeError(f"Connect REST on {self.rest_port} not ready after {timeout} s")
                time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_mb(self):
        return bb.status_kb(self.pid, "VmRSS") / 1024

    def hwm_mb(self):
        return bb.status_kb(self.pid, "VmHWM") / 1024

    def cpu_s(self):
        return bb.tree_cpu_s(self.pid)

    def reset_hwm(self):
        """Resets VmHWM to the current RSS (Linux >= 4.0, needs permission on /proc/PID/clear_refs)."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def fds(self):
        """(open file descriptors, of which point at deleted files)."""
        n = deleted = 0
        try:
            for fd in os.listdir(f"/proc/{self.pid}/fd"):
                n += 1
                try:
                    if os.readlink(f"/proc/{self.pid}/fd/{fd}").endswith(" (deleted)"):
                        deleted += 1
                except OSError:
                    pass
        except OSError:
            pass
        return n, deleted

    def log_text(self):
        with open(self.logpath, "rb") as f:
            f.seek(self.log_off)
            return f.read().decode(errors="replace")

    def findings(self):
        return bb.log_findings(self.logpath, self.log_off)

    def stop(self):
        if self.proc is None:
            return ""
        note = ""
        if self.proc.poll() is None:
            if not common.terminate(self.proc):
                note = "did not exit within 20 s of SIGTERM; killed"
            if not note and self.proc.returncode != 0:
                note = f"exit code {self.proc.returncode} after SIGTERM"
        else:
            note = f"had already exited with code {self.proc.returncode}"
        self.logf.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return note


def rest(port, method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            try:
                return r.status, json.loads(raw) if raw else None
            except ValueError:
                return r.status, raw.decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as e:
        return None, str(e)


def admin(bs):
    return AdminClient({"bootstrap.servers": bs, "client.id": "sluice-lifecycle-admin"})


def create_topic(bs, topic, partitions=1, config=None):
    a = admin(bs)  # keep the client referenced until its futures are done
    fs = a.create_topics([NewTopic(topic, partitions, 1, config=config or {})], operation_timeout=30)
    fs[topic].result(60)
    # wait until the metadata shows a leader for every partition
    for _ in range(300):
        md = a.list_topics(topic, timeout=10)
        t = md.topics.get(topic)
        if t is not None and t.error is None and len(t.partitions) == partitions and \
                all(p.leader >= 0 for p in t.partitions.values()):
            return
        time.sleep(0.1)
    raise RuntimeError(f"topic {topic} has no leader after 30 s")


def alter_topic(bs, topic, **cfg):
    entries = [ConfigEntry(k.replace("_", "."), str(v), incremental_operation=AlterConfigOpType.SET)
               for k, v in cfg.items()]
    a = admin(bs)
    fs = a.incremental_alter_configs([ConfigResource(ResourceType.TOPIC, topic, incremental_configs=entries)])
    for f in fs.values():
        f.result(30)


class Watermarks:
    def __init__(self, bs):
        self.c = Consumer({"bootstrap.servers": bs, "group.id": "sluice-lifecycle-wm", "enable.auto.commit": False})

    def high(self, topic, parts=1):
        return sum(self.c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                   for p in range(parts))

    def close(self):
        self.c.close()


def producer(outpath, bs, topic, records, props=(), throughput=None, keys=None, skip_s=None, timeout=900):
    cmd = [*JAVA, "ProducePerf", "--bootstrap", bs, "--topic", topic, "--records", str(records),
           "--record-size", "1024"]
    for p in props:
        cmd += ["--prop", p]
    if throughput:
        cmd += ["--throughput", f"{throughput:.0f}"]
    if keys:
        cmd += ["--keys", str(keys)]
    if skip_s:
        cmd += ["--latency-skip-seconds", str(skip_s)]
    rc, out, err, wall = bb.run_tool(cmd, outpath, timeout)
    r = bb.parse_result(out) or {}
    r["rc"] = rc
    r["wall_s"] = wall
    if rc != 0 or r.get("status") != "ok":
        why = next((l.strip() for l in err.splitlines() if l.startswith(("ERROR", "STALL"))
                    or "Exception" in l), "")
        r["problem"] = (f"ProducePerf rc={rc} status={r.get('status')} acked={r.get('acked')} "
                        f"errors={r.get('errors')} first_error={r.get('first_error', '')} {why}").strip()
    return r


def du_sb(path):
    p = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    try:
        return int(p.stdout.split()[0])
    except (IndexError, ValueError):
        return 0


def log_files(path):
    """(bytes in *.log files, number of *.log files) of a partition directory."""
    total = n = 0
    try:
        for e in os.scandir(path):
            if e.name.endswith(".log"):
                try:
                    total += e.stat().st_size
                    n += 1
                except OSError:
                    pass
    except OSError:
        pass
    return total, n


class Window:
    """CPU the rest of the machine (not this script, its waited-for clients or the Sluice process) used
    during a measurement, kernel writeback included: a contamination check on a 2-core machine."""

    def __init__(self, sluice):
        self.s = sluice
        self.t0, self.sys0, self.b0, self.own0 = time.time(), bb.system_busy_s(), sluice.cpu_s(), bb.own_cpu_s()

    def close(self, where, notes):
        win = time.time() - self.t0
        foreign = (bb.system_busy_s() - self.sys0) - (self.s.cpu_s() - self.b0) - (bb.own_cpu_s() - self.own0)
        frac = foreign / (win * os.cpu_count()) if win > 0 else 0.0
        if frac > FOREIGN_NOTE:
            notes.append(f"{where}: other processes used {foreign:.1f} CPU-s ({frac:.0%} of the machine)")
        return round(frac, 3)


def quiet(args):
    """Writes back dirty pages from earlier steps, then waits for the machine to be idle."""
    os.sync()
    return bb.wait_quiet(args.wait_idle)


def parse_ts(line):
    m = TS_RE.match(line)
    if not m:
        return None
    s = m.group(1)
    if "." in s:
        head, frac = s.split(".")
        s = f"{head}.{frac[:6]:0<6}"
    return datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc).timestamp()


def kv_fields(line):
    return {k: v for k, v in re.findall(r"\b([a-z_]+)=(\S+)", line)}


# ---------------------------------------------------------------------------------------------- 1. soak

def run_soak(args, binary, rdir, res):
    seg, ret = args.soak_segment_mib * MiB, args.soak_retention_mib * MiB
    r = {"records": args.soak_records, "retention_bytes": ret, "segment_bytes": seg, "notes": [], "samples": []}
    res["soak"] = r
    s = Sluice(binary, rdir, "soak", ["log.retention.check.interval.ms=1000"])
    r["command"] = s.shown_command()
    quiet(args)
    try:
        s.start()
        topic = "soak"
        create_topic(s.bootstrap, topic, 1, {"retention.bytes": str(ret), "segment.bytes": str(seg)})
        pdir = s.data / f"{topic}-0"
        time.sleep(1)
        r["idle_rss_mb"] = s.rss_mb()
        halt = threading.Event()
        t0 = time.time()
        cpu0 = s.cpu_s()
        swm = Watermarks(s.bootstrap)

        def sample():
            while True:
                lb, ln = log_files(pdir)
                fd, fdd = s.fds()
                now = time.time()
                r["samples"].append({"t": round(now - t0, 1), "tt": now - t0, "du": du_sb(pdir), "log_bytes": lb,
                                     "segments": ln, "rss_mb": round(s.rss_mb(), 2), "fds": fd, "fds_deleted": fdd,
                                     "end_offset": swm.high(topic)})
                if halt.wait(2.0):
                    return

        fast = []  # (epoch s, bytes of .log files) every 20 ms: the size just before / after each retention pass

        def sample_fast():
            while not halt.wait(0.02):
                fast.append((time.time(), log_files(pdir)[0]))

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        thf = threading.Thread(target=sample_fast, daemon=True)
        thf.start()
        log(f"soak: producing {args.soak_records} x 1 KiB into {topic} "
            f"(retention.bytes {args.soak_retention_mib} MiB, segment.bytes {args.soak_segment_mib} MiB)")
        w = Window(s)
        pr = producer(rdir / "soak-produce.txt", s.bootstrap, topic, args.soak_records)
        r["foreign_frac"] = w.close("produce", r["notes"])
        r["produce"] = pr
        r["produce_end_t"] = round(time.time() - t0, 1)
        if pr.get("problem"):
            r["notes"].append(pr["problem"])
        time.sleep(args.soak_tail)
        halt.set()
        th.join()
        thf.join()
        swm.close()
        r["broker_cpu_s"] = round(s.cpu_s() - cpu0, 1)
        r["hwm_mb"] = s.hwm_mb()
        passes = [parse_ts(l) for l in s.log_text().splitlines() if "retention deleted segments" in l]
        passes = [t for t in passes if t is not None]
        r["retention_deletions"] = len(passes)
        gaps = [b - a for a, b in zip(passes, passes[1:])]
        if gaps:
            r["retention_gap_median_s"] = statistics.median(gaps)
            r["retention_gap_max_s"] = max(gaps)
        # around each pass (its log line is written when it is done): the largest .log total in the 0.5 s before,
        # the first sample after; a sample step's growth is the measurement's own slack
        before, after = [], []
        for tp in passes:
            b = [v for t, v in fast if tp - 0.5 < t <= tp]
            a = [v for t, v in fast if tp < t <= tp + 0.1]
            if b and a:
                before.append(max(b))
                after.append(a[0])
        steps = [b[1] - a[1] for a, b in zip(fast, fast[1:])]
        if after:
            r["pass_before_max"], r["pass_after_max"], r["passes_seen"] = max(before), max(after), len(after)
            r["fast_step_max"] = max(steps) if steps else 0
            r["fast_max"] = max(v for _, v in fast)
            r["after_ok"] = r["pass_after_max"] <= ret + seg + r["fast_step_max"]
        wm = Watermarks(s.bootstrap)
        lo, hi = wm.c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
        wm.close()
        r["log_start_offset"], r["log_end_offset"] = lo, hi
        if not s.alive():
            r["notes"].append(f"broker exited during the soak (code {s.proc.returncode})")
    except Exception as e:  # noqa: BLE001
        r["notes"].append(f"soak failed: {e!r}")
    finally:
        r["findings"] = s.findings()[:50]
        note = s.stop()
        if note:
            r["notes"].append(f"stop: {note}")
    sm = r["samples"]
    if sm:
        r["max_du"] = max(x["du"] for x in sm)
        r["final_du"] = sm[-1]["du"]
        r["max_log_bytes"] = max(x["log_bytes"] for x in sm)
        r["disk_limit"] = ret + 2 * seg
        warm = [x for x in sm if x["t"] >= args.soak_warmup]
        if warm:
            r["rss_min"] = min(x["rss_mb"] for x in warm)
            r["rss_max"] = max(x["rss_mb"] for x in warm)
            r["rss_ok"] = r["rss_max"] - r["rss_min"] <= args.soak_rss_tolerance
        r["max_fds"] = max(x["fds"] for x in sm)
        r["max_fds_deleted"] = max(x["fds_deleted"] for x in sm)
    log(f"soak: max du {fmt(r.get('max_du', 0) / MiB)} MiB, final {fmt(r.get('final_du', 0) / MiB)} MiB, "
        f"RSS {r.get('rss_min')}..{r.get('rss_max')} MB after warm-up; notes {r['notes']}")


# ---------------------------------------------------------------------------------------------- 2. durability

def timed_writes(path, total, block, sync_every, data):
    """Writes `total` bytes in `block`-byte writes, fdatasync after every `sync_every` bytes (and at the end).
    Returns (MB/s, [per-sync seconds])."""
    syncs = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        t0 = time.perf_counter()
        written = since = 0
        while written < total:
            off = written % (len(data) - block + 1)
            os.write(fd, data[off:off + block])
            written += block
            since += block
            if since >= sync_every or written >= total:
                s0 = time.perf_counter()
                os.fdatasync(fd)
                syncs.append(time.perf_counter() - s0)
                since = 0
        secs = time.perf_counter() - t0
    finally:
        os.close(fd)
        os.unlink(path)
    return written / MiB / secs, syncs


def disk_limits(args, rdir):
    d = pathlib.Path(tempfile.mkdtemp(prefix="sluice-lifecycle-disk-"))
    rows = []
    try:
        quiet(args)
        f = d / "dd.bin"
        cmd = ["dd", "if=/dev/zero", f"of={f}", "bs=1M", f"count={args.dd_mib}", "conv=fdatasync"]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        f.unlink(missing_ok=True)
        with open(rdir / "disk.txt", "a") as o:
            o.write(f"$ {' '.join(cmd)}\n{p.stderr}\n")
        rows.append({"what": f"`dd if=/dev/zero bs=1M count={args.dd_mib} conv=fdatasync` (one sync at the end)",
                     "mb_per_s": args.dd_mib / secs, "sync_ms": None})
        data = os.urandom(32 * MiB)
        for block, every, total, what in [
                (MiB, 16 * MiB, args.dd_mib * MiB, "1 MiB writes, fdatasync every 16 MiB"),
                (MiB, MiB, args.dd_mib * MiB // 4, "1 MiB writes, fdatasync after each"),
                (16 * 1024, 16 * 1024, 16 * MiB, "16 KiB writes, fdatasync after each")]:
            quiet(args)
            mbps, syncs = timed_writes(d / "w.bin", total, block, every, data)
            syncs.sort()
            rows.append({"what": f"Python, random data, {total // MiB} MiB: {what}", "mb_per_s": mbps,
                         "sync_ms": (syncs[len(syncs) // 2] * 1000, syncs[min(len(syncs) - 1, int(len(syncs) * 0.99))] * 1000)})
            log(f"disk: {what}: {mbps:.1f} MB/s")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return rows


# (label, producer properties, topic configs, broker overrides, file tag)
MODES = [("acks=all (default: answered from the page cache, synced every second)", ["acks=all"], {}, [], "all"),
         ("acks=all, sluice.log.sync.on.ack=true (fdatasync before the answer)", ["acks=all"], {},
          ["sluice.log.sync.on.ack=true"], "all-sync"),
         ("acks=1", ["acks=1"], {}, [], "1")]


def run_durability(args, binary, rdir, res):
    d = {"records": args.dur_records, "paced_fraction": args.paced_fraction, "rows": [], "notes": []}
    res["durability"] = d
    log("durability: disk limits")
    d["disk"] = disk_limits(args, rdir)
    for parts in args.dur_partitions:
        for label, props, tcfg, overrides, tag in MODES:
            row = {"partitions": parts, "mode": label, "notes": []}
            d["rows"].append(row)
            if not overrides:
                d["command"] = Sluice(binary, rdir, f"durability-p{parts}").shown_command()
            s = Sluice(binary, rdir, f"durability-p{parts}", overrides)
            out = rdir / f"durability-p{parts}-acks{tag}.txt"
            try:
                s.start()
                flat_t, paced_t = "flat", "paced"
                create_topic(s.bootstrap, flat_t, parts, tcfg)
                create_topic(s.bootstrap, paced_t, parts, tcfg)
                quiet(args)
                log(f"durability: {parts} partition(s), {label}: flat out, {args.dur_records} records")
                cpu0 = s.cpu_s()
                w = Window(s)
                r = producer(out, s.bootstrap, flat_t, args.dur_records, props)
                row["foreign_frac_flat"] = w.close("flat", row["notes"])
                row["broker_cpu_s"] = s.cpu_s() - cpu0
                row["flat"] = r
                if r.get("problem"):
                    row["notes"].append("flat: " + r["problem"])
                rate = bb.fnum(r, "records_per_s")
                if rate:
                    target = rate * args.paced_fraction
                    n = int(min(args.dur_records * 4, target * (args.paced_seconds + args.latency_skip)))
                    quiet(args)
                    log(f"durability: {parts} partition(s), {label}: paced at {target:.0f} rec/s, {n} records")
                    w = Window(s)
                    p = producer(out, s.bootstrap, paced_t, n, props, throughput=target, skip_s=args.latency_skip)
                    row["foreign_frac_paced"] = w.close("rate-limited", row["notes"])
                    p["target_mb_per_s"] = target * 1024 / MiB
                    row["paced"] = p
                    if p.get("problem"):
                        row["notes"].append("paced: " + p["problem"])
                if not s.alive():
                    row["notes"].append(f"broker exited (code {s.proc.returncode})")
            except Exception as e:  # noqa: BLE001
                row["notes"].append(f"failed: {e!r}")
            finally:
                f = s.findings()
                if f:
                    row["notes"].append(f"{len(f)} WARN/ERROR log lines, first: {f[0][:300]}")
                note = s.stop()
                if note:
                    row["notes"].append(f"stop: {note}")
            fl, pa = row.get("flat", {}), row.get("paced", {})
            log(f"  flat {fl.get('mb_per_s')} MB/s p50/p99 {fl.get('p50_ms')}/{fl.get('p99_ms')} ms; paced "
                f"{pa.get('mb_per_s')} MB/s p50/p99 {pa.get('p50_ms')}/{pa.get('p99_ms')} ms {row['notes'] or ''}")


# ---------------------------------------------------------------------------------------------- 3. compaction

def run_compaction(args, binary, rdir, res):
    c = {"records": args.compact_records, "keys": args.compact_keys, "segment_bytes": 64 * MiB, "notes": []}
    res["compaction"] = c
    s = Sluice(binary, rdir, "compaction", ["log.cleaner.backoff.ms=1000"])
    c["command"] = s.shown_command()
    topic = "compacted"
    try:
        s.start()
        create_topic(s.bootstrap, topic, 1, {"cleanup.policy": "compact", "segment.bytes": str(64 * MiB),
                                             "min.cleanable.dirty.ratio": "0.01",
                                             "min.compaction.lag.ms": str(24 * 3600 * 1000)})
        pdir = s.data / f"{topic}-0"
        quiet(args)
        log(f"compaction: filling {topic} with {args.compact_records} records over {args.compact_keys} keys "
            "(min.compaction.lag.ms=1 day holds the cleaner back)")
        pr = producer(rdir / "compaction-fill.txt", s.bootstrap, topic, args.compact_records,
                      keys=args.compact_keys)
        c["fill"] = pr
        if pr.get("problem"):
            c["notes"].append("fill: " + pr["problem"])
        early = [l for l in s.log_text().splitlines() if " compacted " in f" {l} " and f"topic={topic}" in l]
        if early:
            c["notes"].append(f"the cleaner ran during the fill despite min.compaction.lag.ms: {early[0][:200]}")
        c["du_before"] = du_sb(pdir)
        c["log_bytes_before"], c["segments_before"] = log_files(pdir)
        c["fill_hwm_mb"] = s.hwm_mb()
        quiet(args)
        time.sleep(1)
        c["rss_before_mb"] = s.rss_mb()
        c["hwm_reset"] = s.reset_hwm()
        samples = []
        halt = threading.Event()

        def sample():
            while not halt.is_set():
                samples.append((time.time(), s.cpu_s(), s.rss_mb()))
                halt.wait(0.02)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        time.sleep(0.3)
        log_mark = s.logpath.stat().st_size
        w = Window(s)
        t_alter = time.time()
        alter_topic(s.bootstrap, topic, min_compaction_lag_ms=0)
        log("compaction: min.compaction.lag.ms set to 0; waiting for the `compacted` log line")
        line, deadline = None, time.time() + args.compact_timeout
        while time.time() < deadline and line is None:
            with open(s.logpath, "rb") as f:
                f.seek(log_mark)
                for l in f.read().decode(errors="replace").splitlines():
                    if "compacted" in l and f"topic={topic}" in l and "bytes_before" in l:
                        line = l
                        break
            if not s.alive():
                break
            time.sleep(0.05)
        t_seen = time.time()
        c["foreign_frac"] = w.close("compaction pass", c["notes"])
        time.sleep(0.5)
        halt.set()
        th.join()
        if line is None:
            c["notes"].append(f"no `compacted` log line within {args.compact_timeout} s of the config change"
                              + ("" if s.alive() else f"; broker exited (code {s.proc.returncode})"))
        else:
            c["log_line"] = line.strip()
            f = kv_fields(line)
            for k in ("segments", "records_before", "records_after", "bytes_before", "bytes_after"):
                c[k] = int(f[k]) if f.get(k, "").isdigit() else None
            t_end = parse_ts(line) or t_seen
            # pass start: first 20 ms sample after the config change where the broker used >= half a core
            t_start = None
            for (ta, ca, _), (tb, cb, _) in zip(samples, samples[1:]):
                if ta >= t_alter and tb > ta and (cb - ca) / (tb - ta) >= 0.5:
                    t_start = ta
                    break
            c["alter_to_line_s"] = t_end - t_alter
            if t_start is not None and t_start <= t_end:
                c["pass_s"] = t_end - t_start
                c["start_delay_s"] = t_start - t_alter
            else:
                c["notes"].append("could not see the broker go busy before the `compacted` line; "
                                  "pass time = config change -> log line")
                c["pass_s"] = t_end - t_alter
            c["cpu_s"] = (max(x[1] for x in samples if x[0] <= t_end + 0.05) -
                          min(x[1] for x in samples if x[0] >= t_alter)) if samples else None
            if c.get("bytes_before"):
                c["mb_per_s"] = c["bytes_before"] / MiB / c["pass_s"]
        c["peak_rss_sampled_mb"] = max((x[2] for x in samples), default=None)
        c["hwm_mb"] = s.hwm_mb()
        c["rss_after_mb"] = s.rss_mb()
        time.sleep(1.5)
        c["du_after"] = du_sb(pdir)
        c["log_bytes_after"], c["segments_after"] = log_files(pdir)
        # correctness: every key's record with the highest offset must be the last one written
        log("compaction: reading the topic back (kcat) to check the latest record of every key is kept")
        kc = subprocess.run(["kcat", "-C", "-b", s.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                             "-f", "%k %o\\n"], capture_output=True, text=True, env=bb.kcat_env(), timeout=600)
        last, n = {}, 0
        for l in kc.stdout.splitlines():
            k, _, o = l.partition(" ")
            if o.isdigit():
                n += 1
                last[k] = max(int(o), last.get(k, -1))
        N, K = args.compact_records, args.compact_keys
        # record i has key i mod K and (one idempotent producer, one partition) offset i
        wrong = sum(1 for j in range(min(K, N)) if last.get(f"key-{j:08d}") != ((N - 1 - j) // K) * K + j)
        c["readback"] = {"records": n, "distinct_keys": len(last), "kcat_rc": kc.returncode,
                         "keys_with_wrong_latest": wrong}
        if kc.returncode != 0:
            c["notes"].append(f"kcat read-back rc={kc.returncode}: {kc.stderr.strip()[-300:]}")
        if len(last) != K or wrong:
            c["notes"].append(f"read-back: {len(last)} distinct keys (want {K}), {wrong} keys whose newest record "
                              "is not the last one written")
        if not s.alive():
            c["notes"].append(f"broker exited (code {s.proc.returncode})")
    except Exception as e:  # noqa: BLE001
        c["notes"].append(f"compaction failed: {e!r}")
    finally:
        c["findings"] = s.findings()[:50]
        note = s.stop()
        if note:
            c["notes"].append(f"stop: {note}")
    log(f"compaction: {c.get('log_line', 'no log line')}; pass {c.get('pass_s')} s; HWM {c.get('hwm_mb')} MB; "
        f"notes {c['notes']}")


# ---------------------------------------------------------------------------------------------- 4. connect

def wait_running(port, name, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        st, body = rest(port, "GET", f"/connectors/{name}/status", timeout=5)
        last = (st, body)
        if st == 200 and isinstance(body, dict) and body.get("connector", {}).get("state") == "RUNNING" \
                and body.get("tasks") and all(t.get("state") == "RUNNING" for t in body["tasks"]):
            return True, body
        if st == 200 and isinstance(body, dict) and any(t.get("state") == "FAILED" for t in body.get("tasks", [])):
            return False, body
        time.sleep(0.1)
    return False, last


def write_lines(path, n, size):
    """n lines of `size` bytes before the newline: a 10-digit line number, a space, random hex."""
    import binascii
    with open(path, "wb") as f:
        chunk = 10000
        for i in range(0, n, chunk):
            k = min(chunk, n - i)
            raw = binascii.hexlify(os.urandom(k * (size - 11) // 2 + k))
            w = size - 11
            f.write(b"".join(b"%010d " % (i + j) + raw[j * w:(j + 1) * w] + b"\n" for j in range(k)))


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(MiB), b""):
            h.update(b)
    return h.hexdigest()


def steady_rss(s, n=3, gap=0.5):
    v = []
    for _ in range(n):
        v.append(s.rss_mb())
        time.sleep(gap)
    return statistics.median(v)


def run_connect(args, binary, rdir, res):
    c = {"lines": args.connect_lines, "line_bytes": args.connect_line_bytes, "notes": [], "rss_per_connector": []}
    res["connect"] = c
    work = pathlib.Path(tempfile.mkdtemp(prefix="sluice-lifecycle-files-"))
    try:
        src, dst = work / "in.txt", work / "out.txt"
        log(f"connect: writing {args.connect_lines} lines of {args.connect_line_bytes} B")
        write_lines(src, args.connect_lines, args.connect_line_bytes)
        src_size = src.stat().st_size
        s = Sluice(binary, rdir, "connect", connect=True)
        c["command"] = s.shown_command()
        quiet(args)
        try:
            s.start()
            time.sleep(3)
            c["idle_rss_mb"] = steady_rss(s)
            topic = "lines"
            create_topic(s.bootstrap, topic, 1)
            st, body = rest(s.rest_port, "POST", "/connectors", {"name": "sink", "config": {
                "connector.class": "FileStreamSink", "topics": topic, "file": str(dst), "tasks.max": "1"}})
            if st not in (200, 201):
                raise RuntimeError(f"creating the sink: HTTP {st} {body}")
            ok, body = wait_running(s.rest_port, "sink")
            if not ok:
                raise RuntimeError(f"sink not RUNNING: {body}")
            wm = Watermarks(s.bootstrap)
            quiet(args)
            peak = [s.rss_mb()]
            cpu0 = s.cpu_s()
            w = Window(s)
            t0 = time.time()
            st, body = rest(s.rest_port, "POST", "/connectors", {"name": "source", "config": {
                "connector.class": "FileStreamSource", "file": str(src), "topic": topic, "tasks.max": "1"}})
            if st not in (200, 201):
                raise RuntimeError(f"creating the source: HTTP {st} {body}")
            t_topic = t_sink = None
            deadline = t0 + args.connect_timeout
            last_print = t0
            progress = []
            while time.time() < deadline and (t_topic is None or t_sink is None):
                now = time.time()
                hi = wm.high(topic)
                size = dst.stat().st_size if dst.exists() else 0
                progress.append((round(now - t0, 2), hi, size))
                if t_topic is None and hi >= args.connect_lines:
                    t_topic = now
                if t_sink is None and size >= src_size:
                    t_sink = now
                peak.append(s.rss_mb())
                if now - last_print >= 10:
                    last_print = now
                    log(f"connect: t={now - t0:.0f}s topic {hi} records, sink file {size / src_size:.0%}")
                if not s.alive():
                    raise RuntimeError(f"sluice exited (code {s.proc.returncode})")
                time.sleep(0.1)
            c["cpu_s"] = s.cpu_s() - cpu0
            c["foreign_frac"] = w.close("FileStream transfer", c["notes"])
            c["progress"] = progress[::max(1, len(progress) // 60)]
            c["peak_rss_mb"] = max(peak)
            if t_topic is None:
                c["notes"].append(f"the topic held {progress[-1][1]} of {args.connect_lines} lines after "
                                  f"{args.connect_timeout} s")
            else:
                c["topic_s"] = t_topic - t0
            if t_sink is None:
                c["notes"].append(f"the sink file held {progress[-1][2]} of {src_size} bytes after "
                                  f"{args.connect_timeout} s")
            else:
                c["sink_s"] = t_sink - t0
                time.sleep(0.5)
                c["sink_identical"] = file_sha(src) == file_sha(dst)
                if not c["sink_identical"]:
                    c["notes"].append(f"sink file differs from the source file ({dst.stat().st_size} vs {src_size} B)")
            c["topic_records"] = wm.high(topic)
            if c["topic_records"] > args.connect_lines:
                c["notes"].append(f"the topic holds {c['topic_records']} records for {args.connect_lines} lines "
                                  "(duplicates)")
            wm.close()
            time.sleep(3)
            c["two_connectors_rss_mb"] = steady_rss(s)
            for n in ("source", "sink"):
                st, body = rest(s.rest_port, "GET", f"/connectors/{n}/status")
                c[f"{n}_status"] = body
                if not (isinstance(body, dict) and body.get("connector", {}).get("state") == "RUNNING"):
                    c["notes"].append(f"{n} status at the end: {body}")
        except Exception as e:  # noqa: BLE001
            c["notes"].append(f"pipeline failed: {e!r}")
        finally:
            f = s.findings()
            c["findings"] = f[:50]
            note = s.stop()
            if note:
                c["notes"].append(f"stop: {note}")
        log(f"connect: topic {c.get('topic_s')} s, sink {c.get('sink_s')} s, idle {c.get('idle_rss_mb')} MB, "
            f"peak {c.get('peak_rss_mb')} MB, two connectors {c.get('two_connectors_rss_mb')} MB; {c['notes']}")

        # ---- RSS per FileStreamSource connector, fresh process
        s = Sluice(binary, rdir, "connect-rss", connect=True)
        quiet(args)
        try:
            s.start()
            steps = sorted(set(args.connect_rss_steps))
            topics = [f"small-{i}" for i in range(max(steps))]
            for t in topics:
                create_topic(s.bootstrap, t, 1)
            for i in range(max(steps)):
                write_lines(work / f"small-{i}.txt", args.connect_small_lines, args.connect_line_bytes)
            time.sleep(3)
            base = steady_rss(s)
            c["rss_baseline_mb"] = base
            wm = Watermarks(s.bootstrap)
            made = 0
            for n in steps:
                while made < n:
                    st, body = rest(s.rest_port, "POST", "/connectors", {"name": f"small-{made}", "config": {
                        "connector.class": "FileStreamSource", "file": str(work / f"small-{made}.txt"),
                        "topic": f"small-{made}", "tasks.max": "1"}})
                    if st not in (200, 201):
                        raise RuntimeError(f"creating small-{made}: HTTP {st} {body}")
                    made += 1
                for i in range(n):
                    ok, body = wait_running(s.rest_port, f"small-{i}")
                    if not ok:
                        raise RuntimeError(f"small-{i} not RUNNING: {body}")
                deadline = time.time() + 60
                while time.time() < deadline and any(wm.high(f"small-{i}") < args.connect_small_lines for i in range(n)):
                    time.sleep(0.2)
                time.sleep(3)
                rss = steady_rss(s)
                c["rss_per_connector"].append({"n": n, "rss_mb": rss, "delta_mb": rss - base,
                                               "per_connector_mb": (rss - base) / n})
                log(f"connect: {n} FileStreamSource connectors: RSS {rss:.1f} MB (+{rss - base:.1f} MB)")
            wm.close()
        except Exception as e:  # noqa: BLE001
            c["notes"].append(f"per-connector RSS failed: {e!r}")
        finally:
            f = s.findings()
            c["findings_rss"] = f[:50]
            note = s.stop()
            if note:
                c["notes"].append(f"stop (per-connector run): {note}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- report

def mib(b):
    return fmt(b / MiB) if b is not None else "—"


def render(meta, res):
    s = common.results_head(meta)
    s.append(f"Versions: Sluice {meta['sluice_version']}; Java clients kafka-clients 3.9.1 on {meta['java']}. "
             "MB = 2^20 bytes. Total time of the run: " + f"{meta.get('duration_s', 0) / 60:.1f} min.")
    s.append("")
    fr = [v for part in res.values() for d in ([part] + part.get("rows", [])) for k, v in d.items()
          if k.startswith("foreign_frac") and isinstance(v, (int, float))]
    if fr:
        worst = max(fr)
        s.append(f"Other processes (kernel writeback included) used at most {max(0, worst):.0%} of the machine's CPU during "
                 "any measurement" + (f"; measurements above {FOREIGN_NOTE:.0%} are noted where they appear." if worst > FOREIGN_NOTE
                                      else "."))
        s.append("")
    if "soak" in res:
        r = res["soak"]
        if "fast_max" in r:
            r["max_log_bytes"] = max(r.get("max_log_bytes", 0), r["fast_max"])
        s.append("#### Soak: retention.bytes under sustained produce")
        s.append("")
        s.append(f"Broker: `{r.get('command', '')}`. Topic `soak`, 1 partition, retention.bytes "
                 f"{mib(r['retention_bytes'])} MiB, segment.bytes {mib(r['segment_bytes'])} MiB. ProducePerf "
                 f"(client defaults, acks=all) sent {r['records']:,} × 1 KiB = {r['records'] * 1024 / MiB:,.0f} MiB "
                 f"({r['records'] * 1024 / r['retention_bytes']:.0f}× retention.bytes); sampled every 2 s, "
                 f"{args_g.soak_tail:.0f} s beyond the end of the produce.")
        s.append("")
        pr = r.get("produce", {})
        s.append("| produce MB/s | p50 / p99 ms | max disk (du -sb, 2 s samples) MiB | final disk MiB | max .log bytes (20 ms samples) MiB | limit "
                 "(retention + 2 segments) MiB | RSS idle MB | RSS after warm-up min–max MB | VmHWM MB | open fds max "
                 "(to deleted files) | retention passes that deleted | log start → end offset | broker CPU s |")
        s.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        s.append(f"| {fmt(pr.get('mb_per_s'))} | {fmt(pr.get('p50_ms'))} / {fmt(pr.get('p99_ms'))} | "
                 f"{mib(r.get('max_du'))} | {mib(r.get('final_du'))} | {mib(r.get('max_log_bytes'))} | "
                 f"{mib(r.get('disk_limit'))} | {fmt(r.get('idle_rss_mb'))} | {fmt(r.get('rss_min'))}–{fmt(r.get('rss_max'))} | "
                 f"{fmt(r.get('hwm_mb'))} | {r.get('max_fds', '—')} ({r.get('max_fds_deleted', '—')}) | "
                 f"{r.get('retention_deletions', '—')} | {fmt(r.get('log_start_offset'), 0)} → "
                 f"{fmt(r.get('log_end_offset'), 0)} | {fmt(r.get('broker_cpu_s'))} |")
        s.append("")
        ret_, seg_ = r["retention_bytes"], r["segment_bytes"]
        if "disk_limit" in r:
            top = max(r["max_du"], r.get("fast_max", 0))
            s.append(f"- Disk stayed ≤ retention.bytes + 2 segments ({mib(r['disk_limit'])} MiB): max {mib(top)} MiB "
                     f"(the larger of the 2 s `du -sb` samples and the 20 ms samples of the .log files) → "
                     f"**{'MET' if top <= r['disk_limit'] else 'NOT MET'}**")
        if "after_ok" in r:
            s.append(f"- Right after each retention pass ({r['passes_seen']} seen with 20 ms samples of the .log files) "
                     f"the log held at most {mib(r['pass_after_max'])} MiB ≤ retention.bytes + 1 segment "
                     f"({mib(ret_ + seg_)} MiB, plus one 20 ms sample step of ingest, ≤ {mib(r['fast_step_max'])} MiB) → "
                     f"**{'MET' if r['after_ok'] else 'NOT MET'}**; just before a pass up to {mib(r['pass_before_max'])} MiB "
                     f"(largest 20 ms sample {mib(r['fast_max'])} MiB): between two passes the log grows by one check "
                     "interval of ingest.")
        if r.get("retention_gap_median_s"):
            s.append(f"- Retention passes that deleted segments: {r['retention_deletions']}, "
                     f"{r['retention_gap_median_s']:.2f} s apart (median; longest {r['retention_gap_max_s']:.2f} s) "
                     "with log.retention.check.interval.ms=1000.")
        if "rss_ok" in r:
            s.append(f"- RSS flat after a {args_g.soak_warmup:.0f} s warm-up (max − min ≤ {args_g.soak_rss_tolerance:.0f} MB): "
                     f"{r['rss_max'] - r['rss_min']:.1f} MB → **{'MET' if r['rss_ok'] else 'NOT MET'}**")
        for n in r["notes"]:
            s.append(f"- Note: {n}")
        if r.get("findings"):
            s.append(f"- Broker WARN/ERROR lines: {len(r['findings'])}, first: `{r['findings'][0][:250]}`")
        s.append("")
        s.append("<details><summary>Samples every 2 s</summary>")
        s.append("")
        s.append("| t s | disk (du -sb) MiB | .log MiB | segments | VmRSS MB | open fds (deleted) |")
        s.append("|---|---|---|---|---|---|")
        for x in r["samples"]:
            mark = " (produce done)" if r.get("produce_end_t") and x["t"] >= r["produce_end_t"] else ""
            s.append(f"| {x['t']:.0f}{mark} | {mib(x['du'])} | {mib(x['log_bytes'])} | {x['segments']} | "
                     f"{x['rss_mb']:.1f} | {x['fds']} ({x['fds_deleted']}) |")
        s.append("")
        s.append("</details>")
        s.append("")
    if "durability" in res:
        d = res["durability"]
        s.append("#### Durability cost: acks=all with and without an fdatasync per answer, and acks=1")
        s.append("")
        s.append("The disk's own limit, measured in the same run on the same filesystem:")
        s.append("")
        s.append("| write pattern | MB/s | fdatasync p50 / p99 ms |")
        s.append("|---|---|---|")
        for x in d.get("disk", []):
            sy = f"{x['sync_ms'][0]:.2f} / {x['sync_ms'][1]:.2f}" if x.get("sync_ms") else "—"
            s.append(f"| {x['what']} | {fmt(x['mb_per_s'])} | {sy} |")
        s.append("")
        s.append(f"Broker: `{d.get('command', '')}` (plus the override a row names), a fresh one per row. ProducePerf, 1 KiB records, client "
                 "defaults (idempotent, batch.size 16384, linger.ms 5; with acks=1 the client turns idempotence "
                 f"off). Flat out: {d['records']:,} records as fast as send() accepts them, so the latency is mostly "
                 f"time queued in the client's 32 MiB buffer. Rate-limited: {d['paced_fraction']:.0%} of that row's "
                 f"flat-out rate for {args_g.latency_skip + args_g.paced_seconds:.0f} s, so the latency is the broker's answer "
                 f"time (plus up to linger.ms); the records sent in its first {args_g.latency_skip:.0f} s (the client's JVM "
                 "still compiling) are left out of its percentiles (`--latency-skip-seconds`).")
        s.append("")
        s.append("| part. | mode | flat-out MB/s | flat-out p50 / p99 ms | broker CPU s (flat-out) | rate-limited target → "
                 "achieved MB/s | rate-limited p50 / p99 / p99.9 / max ms | notes |")
        s.append("|---|---|---|---|---|---|---|---|")
        for r in d["rows"]:
            fl, pa = r.get("flat", {}), r.get("paced", {})
            notes = "; ".join(n.replace("|", "\\|") for n in r["notes"])
            s.append(f"| {r['partitions']} | {r['mode']} | {fmt(fl.get('mb_per_s'))} | {fmt(fl.get('p50_ms'))} / "
                     f"{fmt(fl.get('p99_ms'))} | {fmt(r.get('broker_cpu_s'))} | {fmt(pa.get('target_mb_per_s'))} → "
                     f"{fmt(pa.get('mb_per_s'))} | {fmt(pa.get('p50_ms'), 2)} / {fmt(pa.get('p99_ms'), 2)} / "
                     f"{fmt(pa.get('p999_ms'), 2)} / {fmt(pa.get('max_ms'), 2)} | {notes} |")
        s.append("")
        for n in d["notes"]:
            s.append(f"- Note: {n}")
    if "compaction" in res:
        c = res["compaction"]
        s.append("#### Compaction: one cleaner pass over about 1 GB")
        s.append("")
        s.append(f"Broker: `{c.get('command', '')}`. Topic `compacted`, 1 partition, cleanup.policy=compact, "
                 "segment.bytes 64 MiB, min.cleanable.dirty.ratio 0.01. ProducePerf (acks=all) wrote "
                 f"{c['records']:,} records of 1 KiB over {c['keys']:,} keys (`key-%08d` of i mod {c['keys']:,}, each "
                 f"written {c['records'] // max(1, c['keys'])} times, so {c['keys'] / max(1, c['records']):.0%} of the "
                 "records are live) with min.compaction.lag.ms = 1 day; then min.compaction.lag.ms was set to 0 "
                 "(IncrementalAlterConfigs) and the next cleaner tick compacted every sealed segment. Pass time = "
                 "first 20 ms sample with the broker using ≥ half a core after the change → timestamp of the "
                 "`compacted` log line. Peak RSS = VmHWM, reset through /proc/PID/clear_refs just before the change.")
        s.append("")
        fill = c.get("fill", {})
        s.append("| fill MB/s | sealed segments cleaned | bytes before → after MiB | records before → after | pass s "
                 "(change → line s) | MB/s cleaned | broker CPU s | RSS before MB | peak RSS during compaction MB "
                 "(VmHWM) | partition dir before → after MiB | read-back: records, distinct keys, keys whose "
                 "newest record is wrong |")
        s.append("|---|---|---|---|---|---|---|---|---|---|---|")
        rb = c.get("readback", {})
        s.append(f"| {fmt(fill.get('mb_per_s'))} | {c.get('segments', '—')} | {mib(c.get('bytes_before'))} → "
                 f"{mib(c.get('bytes_after'))} | {fmt(c.get('records_before'), 0)} → {fmt(c.get('records_after'), 0)} | "
                 f"{fmt(c.get('pass_s'), 2)} ({fmt(c.get('alter_to_line_s'), 2)}) | {fmt(c.get('mb_per_s'))} | "
                 f"{fmt(c.get('cpu_s'), 2)} | {fmt(c.get('rss_before_mb'))} | {fmt(c.get('hwm_mb'))} "
                 f"{'' if c.get('hwm_reset') else '(lifetime HWM: reset failed) '}| {mib(c.get('du_before'))} → "
                 f"{mib(c.get('du_after'))} | {fmt(rb.get('records'), 0)}, {fmt(rb.get('distinct_keys'), 0)}, "
                 f"{rb.get('keys_with_wrong_latest', '—')} |")
        s.append("")
        if c.get("log_line"):
            s.append(f"Broker log: `{c['log_line'][:400]}`")
            s.append("")
        for n in c["notes"]:
            s.append(f"- Note: {n}")
        if c.get("findings"):
            s.append(f"- Broker WARN/ERROR lines: {len(c['findings'])}, first: `{c['findings'][0][:250]}`")
        s.append("")
    if "connect" in res:
        c = res["connect"]
        n = c["lines"]
        s.append("#### Connect: FileStreamSource → embedded broker → FileStreamSink")
        s.append("")
        s.append(f"Process: `{c.get('command', '')}` (broker + Connect in one process, JsonConverter defaults). "
                 f"{n:,} lines of {c['line_bytes']} B ({n * (c['line_bytes'] + 1) / MiB:,.0f} MiB) written to the source "
                 "file first; the sink connector was created and RUNNING before the source connector was "
                 "created at t = 0; the topic's high watermark and the sink file's size were polled every 0.1 s; "
                 "the sink file was then compared with the source file byte for byte.")
        s.append("")
        s.append("| lines in the topic after s | records/s into the topic | all lines in the sink file after s | "
                 "records/s end to end | sink file identical | process CPU s | RSS idle MB | peak RSS MB | RSS with "
                 "the two connectors, after MB |")
        s.append("|---|---|---|---|---|---|---|---|---|")
        ts, tk = c.get("topic_s"), c.get("sink_s")
        s.append(f"| {fmt(ts, 2)} | {fmt(n / ts) if ts else '—'} | {fmt(tk, 2)} | {fmt(n / tk) if tk else '—'} | "
                 f"{ {True: 'yes', False: 'NO'}.get(c.get('sink_identical'), '—')} | {fmt(c.get('cpu_s'))} | "
                 f"{fmt(c.get('idle_rss_mb'))} | {fmt(c.get('peak_rss_mb'))} | {fmt(c.get('two_connectors_rss_mb'))} |")
        s.append("")
        if c.get("rss_per_connector"):
            s.append(f"RSS per running connector (a fresh process, its {len(c['rss_per_connector']) and max(x['n'] for x in c['rss_per_connector'])} "
                     f"topics created before the baseline; FileStreamSource connectors on files of "
                     f"{args_g.connect_small_lines} lines, each RUNNING with its lines in its topic, then 3 s; median "
                     "of 3 samples):")
            s.append("")
            s.append("| running connectors | RSS MB | − baseline MB | per connector MB |")
            s.append("|---|---|---|---|")
            s.append(f"| 0 (baseline) | {fmt(c.get('rss_baseline_mb'))} | — | — |")
            for x in c["rss_per_connector"]:
                s.append(f"| {x['n']} | {fmt(x['rss_mb'])} | {fmt(x['delta_mb'])} | {fmt(x['per_connector_mb'], 2)} |")
            s.append("")
        for nt in c["notes"]:
            s.append(f"- Note: {nt}")
        fnd = c.get("findings", []) + c.get("findings_rss", [])
        if fnd:
            s.append(f"- WARN/ERROR log lines: {len(fnd)}, first: `{fnd[0][:250]}`")
        s.append("")
    return "\n".join(s)


# ---------------------------------------------------------------------------------------------- main

args_g = None


def main():
    global args_g
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="soak,durability,compaction,connect")
    ap.add_argument("--soak-records", type=int, default=2_000_000)
    ap.add_argument("--soak-retention-mib", type=int, default=64)
    ap.add_argument("--soak-segment-mib", type=int, default=8)
    ap.add_argument("--soak-warmup", type=float, default=10, help="seconds of produce before RSS must be flat")
    ap.add_argument("--soak-rss-tolerance", type=float, default=5, help="MB of RSS spread allowed after warm-up")
    ap.add_argument("--soak-tail", type=float, default=10, help="seconds of sampling after the produce")
    ap.add_argument("--dur-records", type=int, default=500_000)
    ap.add_argument("--dur-partitions", default="1,6")
    ap.add_argument("--paced-fraction", type=float, default=0.5)
    ap.add_argument("--paced-seconds", type=float, default=12,
                    help="length of a rate-limited run, after --latency-skip")
    ap.add_argument("--latency-skip", type=float, default=2,
                    help="seconds at the start of a rate-limited run left out of its latency percentiles (JVM warm-up)")
    ap.add_argument("--dd-mib", type=int, default=1024)
    ap.add_argument("--compact-records", type=int, default=1_000_000)
    ap.add_argument("--compact-keys", type=int, default=100_000)
    ap.add_argument("--compact-timeout", type=float, default=600)
    ap.add_argument("--connect-lines", type=int, default=1_000_000)
    ap.add_argument("--connect-line-bytes", type=int, default=100)
    ap.add_argument("--connect-timeout", type=float, default=600)
    ap.add_argument("--connect-small-lines", type=int, default=100)
    ap.add_argument("--connect-rss-steps", default="1,5,10")
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
        args_g = argparse.Namespace(**{**vars(args), **d["meta"]["args"]})
        common.publish(rd, render(d["meta"], d["results"]), "lifecycle", args)
        return
    args.dur_partitions = [int(x) for x in args.dur_partitions.split(",") if x.strip()]
    args.connect_rss_steps = [int(x) for x in args.connect_rss_steps.split(",") if x.strip()]
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    for p in parts:
        if p not in ("soak", "durability", "compaction", "connect"):
            sys.exit(f"unknown part {p}")
    args_g = args

    rdir = common.results_dir("lifecycle-")
    src = REPO / "target" / "release" / "sluice"
    frozen = common.freeze_binary(src, rdir)
    meta = {
        **common.run_meta("lifecycle", args, src, frozen),
        "java": subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0],
        "parts": parts,
        "args": {k: v for k, v in vars(args).items() if k not in ("command", "render")},
    }
    log(f"results in {rdir}; {meta['machine']}; Sluice {meta['sluice_version']}")
    res = {}
    t_all = time.time()

    def save():
        common.save_results(rdir, meta, res, t_all)

    try:
        for p in parts:
            {"soak": run_soak, "durability": run_durability, "compaction": run_compaction,
             "connect": run_connect}[p](args, frozen, rdir, res)
            save()
    finally:
        save()
        frozen.unlink(missing_ok=True)
    common.publish(rdir, render(meta, res), "lifecycle", args)
    log(f"done in {meta['duration_s']} s; raw results in {rdir}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    main()
