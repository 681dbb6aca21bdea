"""Log compaction (cleanup.policy=compact): the cleaner keeps the latest record per key in sealed segments,
drops tombstones older than delete.retention.ms, never loses a key's latest record, keeps offsets; keyless
records are refused with INVALID_RECORD; compacted data survives a restart."""
import signal
import time

import pytest

import kwire
from confluent_kafka import KafkaError
from helpers import Admin, consume_java, java, unique, wait_until
from loghelpers import SyncProducer, assert_storage_ok, read_all, watermarks

CLEANER = {"log.cleaner.backoff.ms": "300"}
KEYS = [f"key-{i:02d}" for i in range(20)]
FINAL_TOMBSTONES = KEYS[:5]            # deleted at the end and never written again
RESURRECTED = KEYS[5]                  # deleted in the middle, written again later
ROUNDS = 40
PAD = "p" * 40


def topic_configs(delete_retention_ms):
    return {"cleanup.policy": "compact", "segment.bytes": 2048, "min.cleanable.dirty.ratio": "0.01",
            "min.compaction.lag.ms": 0, "delete.retention.ms": delete_retention_ms}


def produce_updates(prod, topic):
    """Many updates for a small key set, a tombstone that a later write overrides, and final tombstones.
    Returns the produced records as a list of (offset, key, value)."""
    items = []
    for r in range(ROUNDS):
        for k in KEYS:
            if k in FINAL_TOMBSTONES and r >= 30:
                continue
            items.append((k, f"{k}@{r}-{PAD}"))
        if r == 10:
            items.append((RESURRECTED, None))
        if r == 30:
            items += [(k, None) for k in FINAL_TOMBSTONES]
    offs = prod.send_ok(topic, items)
    return [(o, k, v) for o, (k, v) in zip(offs, items)]


class Filler:
    """Writes records with unique keys (each is its key's latest record, so all must survive), which also rolls
    segments so that everything before them becomes sealed and cleanable."""

    def __init__(self, prod, topic):
        self.prod, self.topic, self.n, self.produced = prod, topic, 0, []

    def more(self, count=25):
        items = [(f"fill-{self.n + j:05d}", f"filler-{self.n + j}-{PAD}") for j in range(count)]
        self.n += count
        offs = self.prod.send_ok(self.topic, items)
        self.produced += [(o, k, v) for o, (k, v) in zip(offs, items)]


def check_compacted(recs, produced, tombstones_expire):
    """Exact expectations for a log whose main keys all lie in cleaned (sealed) segments."""
    by_off = {o: (k, v) for o, k, v in produced}
    offs = [r.offset for r in recs]
    assert all(a < b for a, b in zip(offs, offs[1:])), "offsets are not strictly increasing"
    foreign = [r for r in recs if by_off.get(r.offset) != (r.key, r.value)]
    assert not foreign, f"records that differ from what was produced at their offset: {foreign[:5]}"
    last = {}
    for o, k, v in produced:
        last[k] = (o, v)
    present = {r.offset for r in recs}
    lost = [(k, o) for k, (o, v) in last.items() if v is not None and o not in present]
    assert not lost, f"latest records lost (key, offset): {lost[:10]}"
    seen = {}
    for r in recs:
        seen.setdefault(r.key, []).append(r)
    for k in KEYS:
        got = [(r.offset, r.value) for r in seen.get(k, [])]
        o, v = last[k]
        if v is None and tombstones_expire:
            assert got == [], f"{k}: tombstone expired, yet still present: {got}"
        else:
            assert got == [(o, v)], f"{k}: expected only its latest record {(o, v)}, got {got}"


def main_key_count(recs):
    return sum(1 for r in recs if r.key in KEYS)


def converge(broker, topic, filler, expected_main, timeout=120):
    """Adds filler (new dirty data that also rolls segments) until the main keys are compacted as expected."""
    state = {}

    def done():
        filler.more()
        recs = read_all(broker.bootstrap, topic)[0]
        state["recs"] = recs
        return main_key_count(recs) == expected_main
    wait_until(done, timeout, interval=1.0,
               what=f"compaction to leave {expected_main} records of the {len(KEYS)} updated keys")
    return state["recs"]


@pytest.mark.broker_overrides(CLEANER)
@pytest.mark.parametrize("tombstones_expire", [True, False], ids=["short-delete-retention", "long-delete-retention"])
def test_compaction_keeps_latest_per_key(broker, tombstones_expire):
    topic = unique("compact")
    admin = Admin(broker.bootstrap)
    admin.create_topic(topic, 1, topic_configs(500 if tombstones_expire else 86400000))
    prod = SyncProducer(broker.bootstrap)
    produced = produce_updates(prod, topic)
    filler = Filler(prod, topic)
    # Tombstones go once a cleaner pass sees them older than delete.retention.ms (500 ms); every filler round
    # makes new dirty data, so passes keep coming until the expected state is reached.
    expected_main = len(KEYS) - (len(FINAL_TOMBSTONES) if tombstones_expire else 0)
    recs = converge(broker, topic, filler, expected_main)
    all_produced = produced + filler.produced
    check_compacted(recs, all_produced, tombstones_expire)
    assert len(recs) < len(all_produced), "nothing was compacted"
    end = all_produced[-1][0] + 1
    assert watermarks(broker.bootstrap, topic)[0] == (0, end), "compaction moved the log start or end"
    assert "compacted" in broker.log_path.read_text(errors="replace")

    # Survives a restart unchanged, and a Java consumer group sees the same.
    broker.restart()
    again = read_all(broker.bootstrap, topic)[0]
    assert [r.as_tuple() for r in again] == [r.as_tuple() for r in recs], "compacted log changed across a restart"
    assert watermarks(broker.bootstrap, topic)[0] == (0, end)
    jrecs = consume_java(broker.bootstrap, topic, len(recs))
    assert [(r["offset"], r["key"], r["value"]) for r in jrecs] == \
        [(r.offset, r.key, "null" if r.value is None else r.value) for r in recs]

    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)


@pytest.mark.broker_overrides(CLEANER)
def test_keyless_records_refused_on_compacted_topic(broker):
    topic = unique("compact-nokey")
    Admin(broker.bootstrap).create_topic(topic, 1, topic_configs(86400000))
    SyncProducer(broker.bootstrap).send_ok(topic, [("a", "1"), ("b", "2")])

    # Java client: InvalidRecordException (not retried).
    p = java("ConsoleProducer", "--bootstrap-server", broker.bootstrap, "--topic", topic, input="no-key\n",
             check=False, timeout=120)
    assert p.returncode == 1 and "acked=0 failed=1" in p.stdout, p.stdout + p.stderr[-2000:]
    assert "InvalidRecordException" in p.stderr, p.stderr[-2000:]

    # librdkafka: INVALID_RECORD in the delivery report (non-idempotent, so the error is not masked by retries).
    res = SyncProducer(broker.bootstrap, **{"enable.idempotence": False, "retries": 0}).send(topic, [(None, "no-key")])
    assert res[0][1] is not None and res[0][1].code() == KafkaError.INVALID_RECORD, res

    # Raw Produce v9, acks=-1: error code 87 for the partition.
    with kwire.Conn(broker.port) as c:
        for version in (3, 9):
            c.request(kwire.PRODUCE, version, kwire.produce_request(topic, 0, kwire.record_batch([b"no-key"]), version),
                      flexible_header=version >= 9)
            assert kwire.parse_produce_response(c.recv_frame(), version) == [(topic, 0, 87)]

    # A batch mixing keyed and keyless records is refused whole.
    res = SyncProducer(broker.bootstrap, **{"enable.idempotence": False, "retries": 0, "linger.ms": 200}) \
        .send(topic, [("c", "3"), (None, "no-key"), ("d", "4")])
    assert all(e is not None and e.code() == KafkaError.INVALID_RECORD for _, e in res), res

    assert watermarks(broker.bootstrap, topic)[0] == (0, 2), "a refused record was appended"
    assert [(r.key, r.value) for r in read_all(broker.bootstrap, topic)[0]] == [("a", "1"), ("b", "2")]


@pytest.mark.broker_overrides(CLEANER)
def test_compaction_interrupted_by_kill9(broker):
    """kill -9 while the cleaner works (every 300 ms) on a growing log: after a restart nothing is lost and the
    cleaner finishes the job."""
    topic = unique("compact-kill")
    admin = Admin(broker.bootstrap)
    admin.create_topic(topic, 1, topic_configs(86400000))
    prod = SyncProducer(broker.bootstrap)
    produced = []
    for rnd in range(3):
        produced += produce_updates(prod, topic)
        time.sleep(0.35 * (rnd + 1))
        assert broker.stop(signal.SIGKILL) == -signal.SIGKILL
        broker.start()
        prod = SyncProducer(broker.bootstrap)
        recs = read_all(broker.bootstrap, topic)[0]
        present = {r.offset for r in recs}
        last = {}
        for o, k, v in produced:
            last[k] = (o, v)
        lost = [(k, o) for k, (o, v) in last.items() if o not in present]
        assert not lost, f"after kill -9 #{rnd + 1}: latest records lost (key, offset): {lost}"
        by_off = {o: (k, v) for o, k, v in produced}
        assert all(by_off.get(r.offset) == (r.key, r.value) for r in recs), "records changed"
    filler = Filler(prod, topic)
    recs = converge(broker, topic, filler, len(KEYS))
    check_compacted(recs, produced + filler.produced, tombstones_expire=False)
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)


def _compactions(broker):
    """(records_before, records_after) of every "compacted" line in the broker log so far."""
    out = []
    for line in broker.log_path.read_text(errors="replace").splitlines():
        if " compacted " in line and "records_before=" in line:
            f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            out.append((int(f["records_before"]), int(f["records_after"])))
    return out


@pytest.mark.broker_overrides(CLEANER)
def test_idempotent_producer_survives_kill9_after_its_batches_were_compacted(broker):
    """An idempotent producer P writes key "a" twice (batches b1, b2); another producer supersedes "a", so the
    cleaner removes P's batches; the broker is killed right after that pass. The producer-state snapshot taken at
    the segment roll after b1 is in the metadata store by then, the one after b2 may not be. After the restart P's
    next batch must be accepted: the broker must still know P's last sequence number (Kafka's cleaner keeps each
    producer's last batch for this), not answer OUT_OF_ORDER_SEQUENCE_NUMBER (fatal for the producer)."""
    from confluent_kafka import KafkaException
    topic = unique("compact-pid")
    Admin(broker.bootstrap).create_topic(topic, 1, {"cleanup.policy": "compact", "segment.bytes": 1024,
                                                    "min.cleanable.dirty.ratio": "0.01"})
    p = SyncProducer(broker.bootstrap, **{"message.timeout.ms": 60000})
    q = SyncProducer(broker.bootstrap, **{"message.timeout.ms": 60000})
    expected = {}

    def p_send(items, when):
        try:
            p.send_ok(topic, items)
        except (KafkaException, AssertionError) as e:
            pytest.fail(f"{when}: the idempotent producer was refused after a kill -9 of the broker: {e}")

    try:
        _rounds(broker, topic, p, q, p_send, expected)
    finally:
        p.close()
        q.close()
    latest = {}
    for r in read_all(broker.bootstrap, topic)[0]:
        latest[r.key] = r.value
    assert latest == expected


def _rounds(broker, topic, p, q, p_send, expected):
    for rnd in range(6):
        p_send([("a", f"P{rnd}-b1")], f"round {rnd}, first batch")
        time.sleep(1.5)   # the metadata store has flushed what came before (sled flushes every second)
        p_send([("a", f"P{rnd}-b2-{j}") for j in range(3)], f"round {rnd}, second batch")
        q.send_ok(topic, [("a", f"Q{rnd}")])
        n = len(_compactions(broker))
        q.send_ok(topic, [(f"f{rnd}-{j}", "x" * 100) for j in range(20)])   # rolls; P's batches become cleanable
        wait_until(lambda: any(a < bf for bf, a in _compactions(broker)[n:]), 30,
                   interval=0.05, what="a cleaner pass that removes records")
        assert broker.stop(signal.SIGKILL) == -signal.SIGKILL
        broker.start()
        expected.update({"a": f"Q{rnd}", **{f"f{rnd}-{j}": "x" * 100 for j in range(20)}})
    p_send([("a", "P-last")], "after the last restart")
    expected["a"] = "P-last"


@pytest.mark.broker_overrides({**CLEANER, "log.retention.check.interval.ms": "500"})
def test_compact_and_delete_policy(broker):
    """cleanup.policy=compact,delete: retention.ms deletes the segments holding only old records, the cleaner
    deduplicates the rest; the log start offset moves, nothing at or above it is lost."""
    topic = unique("compact-delete")
    Admin(broker.bootstrap).create_topic(topic, 1, {**topic_configs(86400000), "cleanup.policy": "compact,delete",
                                                    "segment.bytes": 1024, "retention.ms": 3600000})
    prod = SyncProducer(broker.bootstrap)
    old_ts = int(time.time() * 1000) - 2 * 3600 * 1000
    old_keys, new_keys = KEYS[:10], KEYS[:5]
    produced = []
    items = [(k, f"{k}@old{r}-{PAD}", old_ts + r) for r in range(10) for k in old_keys]
    produced += [(o, k, v) for o, (k, v, _) in zip(prod.send_ok(topic, items), items)]
    items = [(k, f"{k}@new{r}-{PAD}") for r in range(5) for k in new_keys]
    produced += [(o, k, v) for o, (k, v) in zip(prod.send_ok(topic, items), items)]
    filler = Filler(prod, topic)
    last = {}
    for o, k, v in produced:
        last[k] = (o, v)

    def done():
        filler.more()
        low = watermarks(broker.bootstrap, topic)[0][0]
        recs = read_all(broker.bootstrap, topic)[0]
        counts = {k: sum(1 for r in recs if r.key == k) for k in old_keys}
        ok = low > 0 and all(counts[k] == 1 for k in new_keys) and all(counts[k] <= 1 for k in old_keys)
        return ok and (low, recs)
    low, recs = wait_until(done, 120, interval=1.0, what="retention and compaction to both act")
    all_produced = produced + filler.produced
    by_off = {o: (k, v) for o, k, v in all_produced}
    offs = [r.offset for r in recs]
    assert offs and offs[0] >= low and all(a < b for a, b in zip(offs, offs[1:]))
    assert all(by_off.get(r.offset) == (r.key, r.value) for r in recs), "records changed"
    for k in new_keys:
        assert [(r.offset, r.value) for r in recs if r.key == k] == [last[k]], k
    for k in old_keys[5:]:
        got = [(r.offset, r.value) for r in recs if r.key == k]
        assert got in ([], [last[k]]), f"{k}: {got}"
    lost = [(o, k) for o, k, v in filler.produced if o >= low and o not in set(offs)]
    assert not lost, f"filler records (each its key's latest) lost: {lost[:5]}"
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)
