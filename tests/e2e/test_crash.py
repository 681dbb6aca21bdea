"""Crash recovery: acknowledged (acks=all) records survive kill -9 of the broker at the offsets they were
acknowledged at.

Each trial: a fresh broker and 3-partition topic; an idempotent acks=all producer (Java kafka-clients, or
librdkafka in some trials) prints every acknowledged (partition, offset, value); the broker gets SIGKILL at a
random moment 0.2-2 s after the first acknowledgement, the producer is killed right after; the broker restarts
on the same data directory and the whole topic is read back with kcat. Every acknowledged record must be there,
exactly once, at its acknowledged partition/offset, with its value; the log must have no offset gaps; a new
producer must append right after the recovered end; and `sluice storage verify` must pass after a clean stop.

Knobs: SLUICE_CRASH_TRIALS (default 20), SLUICE_CRASH_SEED (default 1), SLUICE_CRASH_STATS (a file to which one
JSON line per trial is appended). Trials vary the client (every third is librdkafka), segment.bytes (odd trials
use 16 KiB segments, so rolls and sealed-segment recovery are exercised) and the durability mode: the default
(acks answered from the page cache, background sync every second, as Kafka plus the bound), the broker with
sluice.log.sync.on.ack=true (fdatasync before each answer), or a flush.messages=1000 topic. A process kill must
not lose acknowledged data in any of them: the page cache survives it.
"""
import collections
import json
import os
import pathlib
import random
import signal
import struct
import sys
import time

import pytest

import kwire
from helpers import REPO, Background, java_background, kcat, unique
from loghelpers import (SyncProducer, assert_storage_ok, create_topic, produce_v8, read_all, rec_value,
                        segment_bases)

TRIALS = int(os.environ.get("SLUICE_CRASH_TRIALS", "20"))
SEED = int(os.environ.get("SLUICE_CRASH_SEED", "1"))
PARTITIONS = 3
VENV_PY = REPO / "tests" / ".venv" / "bin" / "python"
RDKAFKA_PRODUCER = pathlib.Path(__file__).with_name("rdkafka_ack_producer.py")


def trial_plan(i):
    rng = random.Random(SEED * 1_000_003 + i)
    return {
        "client": "librdkafka" if i % 3 == 2 else "java",
        "segment_bytes": 16384 if i % 2 == 1 else None,
        "flush_messages": 1000 if i % 5 == 4 else None,
        "sync_on_ack": i % 5 in (0, 2),
        "kill_after_s": round(rng.uniform(0.2, 2.0), 3),
    }


def torn_tail_bytes(pdir):
    """Bytes after the last whole batch of the newest segment (0 if the file ends on a batch boundary)."""
    bases = segment_bases(pdir)
    if not bases:
        return 0
    data = (pathlib.Path(pdir) / f"{bases[-1]:020}.log").read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        length = struct.unpack(">i", data[pos + 8:pos + 12])[0]
        if length <= 0 or pos + 12 + length > len(data):
            break
        pos += 12 + length
    return len(data) - pos


def parse_acks(lines):
    acks = []
    for line in lines:
        _, p, o, v = line.split(" ", 3)
        acks.append((int(p), int(o), v))
    return acks


def start_producer(client, bootstrap, topic, prefix):
    if client == "java":
        return java_background("AckProducer", "--bootstrap-server", bootstrap, "--topic", topic, "--prefix", prefix,
                               "--keyed", "--max-outstanding", "500", name="AckProducer")
    return Background([str(VENV_PY), str(RDKAFKA_PRODUCER), bootstrap, topic, prefix], name="rdkafka_ack_producer")


@pytest.mark.parametrize("trial", range(TRIALS), ids=lambda i: f"trial{i}")
def test_acked_records_survive_kill9(broker, trial):
    plan = trial_plan(trial)
    topic = unique(f"crash{trial}")
    prefix = f"t{trial}"
    if plan["sync_on_ack"]:
        broker.stop()
        broker.overrides["sluice.log.sync.on.ack"] = "true"
        broker.start()
    configs = {}
    if plan["segment_bytes"]:
        configs["segment.bytes"] = plan["segment_bytes"]
    if plan["flush_messages"]:
        configs["flush.messages"] = plan["flush_messages"]
    create_topic(broker.bootstrap, topic, PARTITIONS, configs)

    prod = start_producer(plan["client"], broker.bootstrap, topic, prefix)
    try:
        prod.wait_for(lambda p: p.lines("ACK "), 90, "the first acknowledgement")
        time.sleep(plan["kill_after_s"])
        rc = broker.stop(signal.SIGKILL)
        assert rc == -signal.SIGKILL, f"broker was not killed by SIGKILL (status {rc})"
    finally:
        prod.stop(signal.SIGKILL, timeout=10)

    acks = parse_acks(prod.lines("ACK "))
    fails = prod.lines("FAIL ")
    assert not fails, f"{plan['client']} producer reported failed sends before the crash: {fails[:5]}"
    assert acks, "no acknowledged records"
    pdirs = [broker.data_dir / f"{topic}-{p}" for p in range(PARTITIONS)]
    torn = {p: torn_tail_bytes(d) for p, d in enumerate(pdirs)}

    # Acknowledgements are consistent among themselves: one value per (partition, offset), one place per value.
    by_pos = {}
    for p, o, v in acks:
        assert by_pos.setdefault((p, o), v) == v, f"two different records acknowledged at {p}@{o}: {by_pos[(p, o)]}, {v}"
    by_val = collections.Counter(v for _, _, v in acks)
    dup_acks = [v for v, n in by_val.items() if n > 1]
    assert not dup_acks, f"values acknowledged more than once: {dup_acks[:5]}"

    broker.start()
    out = kcat("-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
               "-f", "%p %o %s\\n", timeout=180)
    log = {}
    per_part = collections.defaultdict(list)
    for line in out.stdout.splitlines():
        p, o, v = line.split(" ", 2)
        p, o = int(p), int(o)
        assert (p, o) not in log, f"offset {p}@{o} delivered twice by the recovered log"
        log[(p, o)] = v
        per_part[p].append(o)

    missing = [(p, o, v) for p, o, v in acks if (p, o) not in log]
    changed = [(p, o, v, log[(p, o)]) for p, o, v in acks if (p, o) in log and log[(p, o)] != v]
    stats = {
        "trial": trial, **plan, "acked": len(acks), "log_records": len(log),
        "acked_per_partition": dict(collections.Counter(p for p, _, _ in acks)),
        "unacked_but_stored": len(log) - len(acks) + len(missing), "torn_tail_bytes": torn,
        "missing": len(missing), "changed": len(changed),
        "recovery_truncations": broker.log_path.read_text(errors="replace").count("truncating a torn or corrupt tail"),
    }
    _record(stats)
    assert not missing and not changed, (
        f"{len(missing)} acknowledged records missing after recovery (first: {missing[:5]}), "
        f"{len(changed)} at their offset with another value (first: {changed[:5]}); stats {stats}")

    # The recovered log has no holes and no foreign values; every acknowledged value is stored exactly once.
    for p, offs in per_part.items():
        assert offs == list(range(len(offs))), f"partition {p}: offsets are not 0..{len(offs) - 1}: gaps/reordering"
    values = collections.Counter(log.values())
    assert all(v.startswith(prefix + "-") for v in values), "records that no producer sent"
    dup = [v for v, n in values.items() if n > 1]
    assert not dup, f"values stored more than once after recovery (idempotence broken): {dup[:5]}"

    # The recovered end is where a new producer appends.
    end0 = len(per_part.get(0, []))
    offs = SyncProducer(broker.bootstrap).send_ok(topic, [(f"post-{j}", f"post-{j}") for j in range(3)], partition=0)
    assert offs == [end0, end0 + 1, end0 + 2], f"appends after recovery landed at {offs}, expected from {end0}"

    rc = broker.stop()
    assert rc == 0, f"broker did not stop cleanly after recovery (status {rc})"
    assert_storage_ok(broker.data_dir)


def _record(stats):
    line = json.dumps(stats, sort_keys=True)
    print("CRASH-TRIAL " + line)
    path = os.environ.get("SLUICE_CRASH_STATS")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
    sys.stdout.flush()


def _batches(path):
    """[(position, size)] of the whole batches in a segment file."""
    data = pathlib.Path(path).read_bytes()
    out, pos = [], 0
    while pos + 12 <= len(data):
        size = 12 + struct.unpack(">i", data[pos + 8:pos + 12])[0]
        if pos + size > len(data):
            break
        out.append((pos, size))
        pos += size
    return out


@pytest.mark.parametrize("damage", ["torn-half-batch", "corrupt-last-batch", "zero-filled-tail"])
def test_damaged_active_segment_tail_is_truncated_at_restart(broker, damage):
    """What a power loss can leave at the end of the active segment: part of a batch, a batch whose bytes did
    not all reach the disk (CRC mismatch), or a zero-filled tail (file size updated, data not). Recovery must cut
    exactly the damaged part and keep every whole batch before it; appends then continue right after."""
    topic = unique("torn")
    create_topic(broker.bootstrap, topic, 1)
    values = [rec_value("rec", i, 300) for i in range(30)]
    with kwire.Conn(broker.port) as c:
        for i, v in enumerate(values):
            err, base, msg = produce_v8(c, topic, v)
            assert (err, base) == (0, i), msg
    assert broker.stop(signal.SIGKILL) == -signal.SIGKILL
    seg = broker.data_dir / f"{topic}-0" / f"{0:020}.log"
    batches = _batches(seg)
    assert len(batches) == 30 and batches[-1][0] + batches[-1][1] == seg.stat().st_size
    data = seg.read_bytes()
    if damage == "torn-half-batch":
        pos, size = batches[-1]
        with open(seg, "ab") as f:                    # a copy of the first half of a batch, as a torn append
            f.write(data[pos:pos + size // 2])
        survivors = 30
    elif damage == "corrupt-last-batch":
        pos, size = batches[-1]
        with open(seg, "r+b") as f:                   # flip a byte inside the last batch's records
            f.seek(pos + size - 10)
            b = f.read(1)
            f.seek(pos + size - 10)
            f.write(bytes([b[0] ^ 0xFF]))
        survivors = 29
    else:
        with open(seg, "ab") as f:
            f.write(b"\0" * 5000)
        survivors = 30

    broker.start()
    assert "truncating a torn or corrupt tail" in broker.log_path.read_text(errors="replace")
    recs = read_all(broker.bootstrap, topic)[0]
    assert [(r.offset, r.value) for r in recs] == [(i, v.decode()) for i, v in enumerate(values[:survivors])]
    with kwire.Conn(broker.port) as c:
        err, base, msg = produce_v8(c, topic, b"after-recovery")
    assert (err, base) == (0, survivors), (err, base, msg)
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)
    assert seg.stat().st_size == sum(s for _, s in batches[:survivors]) + _batches(seg)[-1][1]
