"""Helpers for the log-lifecycle tests (crash recovery, retention, compaction, disk full): in-process
confluent-kafka admin/producer/consumer calls (no JVM start-up per call), partition directory inspection and
`sluice storage verify`."""
import os
import pathlib
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import kwire
from helpers import run

SEGMENT_SUFFIX = ".log"


def sluice_bin():
    from conftest import DEFAULT_BIN
    return os.environ.get("SLUICE_BIN", str(DEFAULT_BIN))


def storage_verify(data_dir, timeout=120):
    """Runs `sluice storage verify DIR` on a stopped broker's data directory; returns CompletedProcess."""
    return run([sluice_bin(), "storage", "verify", str(data_dir)], timeout=timeout)


def assert_storage_ok(data_dir):
    p = storage_verify(data_dir)
    assert p.returncode == 0, (f"sluice storage verify {data_dir} exited {p.returncode}\n"
                               f"stdout:\n{p.stdout[-4000:]}\nstderr:\n{p.stderr[-2000:]}")
    return p.stdout


def create_topic(bootstrap, topic, partitions=1, configs=None, timeout=30):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    fs = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1,
                                       config={k: str(v) for k, v in (configs or {}).items()})],
                             operation_timeout=timeout, request_timeout=timeout)
    fs[topic].result(timeout)


def watermarks(bootstrap, topic, partitions=(0,), timeout=20):
    """{partition: (low, high)} from ListOffsets earliest/latest."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sluice-e2e-watermarks", "enable.auto.commit": False})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout, cached=False)
                for p in partitions}
    finally:
        c.close()


class Rec:
    __slots__ = ("partition", "offset", "key", "value", "timestamp")

    def __init__(self, partition, offset, key, value, timestamp):
        self.partition, self.offset, self.key, self.value, self.timestamp = partition, offset, key, value, timestamp

    def __repr__(self):
        return f"Rec(p={self.partition}, o={self.offset}, k={self.key!r}, v={_short(self.value)})"

    def __eq__(self, other):
        return (self.partition, self.offset, self.key, self.value) == \
            (other.partition, other.offset, other.key, other.value)

    def as_tuple(self):
        return (self.partition, self.offset, self.key, self.value)


def _short(v):
    if v is None:
        return "None"
    return repr(v if len(v) <= 40 else v[:37] + "...")


def _dec(b):
    return None if b is None else b.decode()


def read_all(bootstrap, topic, partitions=(0,), timeout=60, start=None):
    """Reads every partition from its beginning (or from `start[p]`) to its end with an assigned consumer
    (no group). Returns {partition: [Rec...]} in log order. Ends when every partition reported end-of-partition."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sluice-e2e-reader", "enable.auto.commit": False,
                  "enable.partition.eof": True, "auto.offset.reset": "earliest",
                  "fetch.wait.max.ms": 100})
    out = {p: [] for p in partitions}
    try:
        c.assign([TopicPartition(topic, p, (start or {}).get(p, -2)) for p in partitions])  # -2 = OFFSET_BEGINNING
        eof = set()
        deadline = time.time() + timeout
        while len(eof) < len(partitions):
            if time.time() > deadline:
                raise AssertionError(f"reading {topic} did not reach the end of partitions "
                                     f"{sorted(set(partitions) - eof)} within {timeout}s "
                                     f"(records so far: { {p: len(r) for p, r in out.items()} })")
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError(f"consumer error while reading {topic}: {m.error()}")
            eof.discard(m.partition())
            out[m.partition()].append(Rec(m.partition(), m.offset(), _dec(m.key()), _dec(m.value()),
                                          m.timestamp()[1]))
    finally:
        c.close()
    return out


def fetch_error_at(bootstrap, topic, partition, offset, timeout=20):
    """Fetches `partition` at `offset` with auto.offset.reset=error. Returns the consumer error, or the first
    record (a Rec) if the fetch succeeded."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sluice-e2e-probe", "enable.auto.commit": False,
                  "auto.offset.reset": "error"})
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                return m.error()
            return Rec(m.partition(), m.offset(), _dec(m.key()), _dec(m.value()), m.timestamp()[1])
        raise AssertionError(f"no answer for a fetch of {topic}-{partition} at {offset} within {timeout}s")
    finally:
        c.close()


def is_offset_out_of_range(err):
    """librdkafka reports OFFSET_OUT_OF_RANGE with auto.offset.reset=error as _AUTO_OFFSET_RESET."""
    return (not isinstance(err, Rec)) and err.code() in (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE) \
        and ("out of range" in err.str().lower() or err.code() == KafkaError.OFFSET_OUT_OF_RANGE)


class SyncProducer:
    """An in-process librdkafka producer that waits for every delivery report and returns the outcome."""

    def __init__(self, bootstrap, **conf):
        base = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5}
        base.update(conf)
        self.p = Producer(base)

    def send(self, topic, items, partition=0, timeout=120):
        """items: iterable of (key, value) or (key, value, timestamp_ms); key/value are str or None.
        Returns [(offset, error)] in input order, after flushing."""
        results = []
        for it in items:
            key, value = it[0], it[1]
            ts = it[2] if len(it) > 2 else 0
            slot = len(results)
            results.append(None)

            def cb(err, msg, slot=slot):
                results[slot] = (msg.offset() if err is None else -1, err)

            kwargs = {"partition": partition, "on_delivery": cb}
            if ts:
                kwargs["timestamp"] = ts
            while True:
                try:
                    self.p.produce(topic, key=None if key is None else key.encode(),
                                   value=None if value is None else value.encode(), **kwargs)
                    break
                except BufferError:
                    self.p.poll(0.1)
            self.p.poll(0)
        left = self.p.flush(timeout)
        assert left == 0, f"{left} messages still undelivered after {timeout}s"
        return results

    def close(self):
        """Drops queued messages and destroys the client (no reconnect attempts after the test)."""
        if self.p is not None:
            try:
                self.p.purge()
                self.p.flush(1)
            except Exception:  # noqa: BLE001 - a producer in a fatal state may refuse; it is dropped anyway
                pass
            self.p = None
            import gc
            gc.collect()

    def send_ok(self, topic, items, partition=0, timeout=120):
        res = self.send(topic, items, partition, timeout)
        errs = [(i, e) for i, (_, e) in enumerate(res) if e is not None]
        assert not errs, f"{len(errs)} of {len(res)} records failed, first: {errs[:3]}"
        return [o for o, _ in res]


def partition_dir(data_dir, topic, partition):
    return pathlib.Path(data_dir) / f"{topic}-{partition}"


def segment_bases(pdir):
    return sorted(int(f.name[:-len(SEGMENT_SUFFIX)]) for f in pathlib.Path(pdir).iterdir()
                  if f.name.endswith(SEGMENT_SUFFIX) and f.name[:-len(SEGMENT_SUFFIX)].isdigit())


def log_bytes(pdir):
    """{base offset: size of <base>.log} (segments deleted while listing are left out)"""
    out = {}
    for b in segment_bases(pdir):
        try:
            out[b] = (pathlib.Path(pdir) / f"{b:020}.log").stat().st_size
        except FileNotFoundError:
            pass
    return out


def dir_bytes(pdir):
    total = 0
    for f in pathlib.Path(pdir).iterdir():
        try:
            total += f.stat().st_size
        except FileNotFoundError:
            pass
    return total


def produce_v8(conn, topic, value, acks=-1):
    """Raw Produce v8 of one keyless record; returns (error_code, base_offset, error_message)."""
    conn.request(kwire.PRODUCE, 8, kwire.produce_request(topic, 0, kwire.record_batch([value]), 8, acks=acks))
    r = kwire.Reader(conn.recv_frame())
    r.i32()                                  # correlation id
    assert r.i32() == 1 and r.string() == topic and r.i32() == 1
    assert r.i32() == 0                      # partition
    err, base = r.i16(), r.i64()
    r.i64(); r.i64()                         # log append time, log start offset
    for _ in range(r.i32()):
        r.i32(); r.string()
    msg = r.string()
    return err, base, msg


def rec_value(tag, i, size):
    head = f"{tag}-{i:04d}-".encode()
    return head + b"z" * (size - len(head))
