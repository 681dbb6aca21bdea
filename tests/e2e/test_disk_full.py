"""Disk full: log.dirs on a 16 MiB tmpfs that a filler file fills up.

While the filesystem is full a produce must be answered with an error (KAFKA_STORAGE_ERROR, 56), never with a
success for data that is not stored; what was stored before stays readable and intact; once the filler is deleted
the broker carries on by itself (no restart): produces succeed at the next offsets, an idempotent producer that
kept retrying completes without loss or duplicates, topics can be created and group offsets committed; after a
clean stop `sluice storage verify` passes and a restart serves the same data.

Needs root (mount -t tmpfs); skipped with the reason otherwise.
"""
import errno
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

import kwire
from confluent_kafka import KafkaError
from conftest import Broker
from helpers import Admin, consume_java, java_background, produce_java, unique
from loghelpers import (SyncProducer, assert_storage_ok, create_topic, produce_v8, read_all, rec_value, storage_verify,
                        watermarks)

FS_SIZE = "16m"


@pytest.fixture
def small_fs():
    root = pathlib.Path(tempfile.mkdtemp(prefix="sluice-diskfull-"))
    mnt = root / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip("mounting a tmpfs needs root")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_SIZE}", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot mount a tmpfs here (mount exited {p.returncode}: {p.stderr.strip()})")
    try:
        yield root, mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def full_broker(small_fs, request):
    """A broker whose log.dirs is on the small tmpfs (its own log is kept outside it)."""
    root, mnt = small_fs
    b = Broker(mnt / "data")
    b.log_path = root / "broker.log"
    b.data_dir.mkdir()
    b.mnt = mnt
    b.start()
    try:
        yield b
    finally:
        crashed = b._log is not None and b.proc is not None and b.proc.poll() is not None
        rc = b.stop()
        failed = any(getattr(request.node, "rep_" + w, None) is not None and getattr(request.node, "rep_" + w).failed
                     for w in ("setup", "call"))
        if failed or crashed:
            print(f"\n--- broker log tail ({b.log_path}) ---\n{b.log_tail(80)}")
            keep = os.environ.get("SLUICE_E2E_KEEP_LOGS")
            if keep:
                pathlib.Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(b.log_path, pathlib.Path(keep) / f"{request.node.name}.log")
        if crashed:
            pytest.fail(f"broker died during the test with status {b.proc.returncode}")
        if rc is None:
            pytest.fail("broker did not exit within 30s of SIGTERM")


def fill_up(mnt):
    """Writes a filler file until the filesystem has no free block left."""
    path = mnt / "filler"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for chunk in (1 << 20, 64 << 10, 4096, 512):
            buf = b"\xa5" * chunk
            while True:
                try:
                    if os.write(fd, buf) == 0:
                        break
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    st = os.statvfs(mnt)
    assert st.f_bavail == 0, f"filesystem still has {st.f_bavail} free blocks"
    return path


def assert_partition_is(broker, topic, expected):
    """expected: list of (offset, value bytes) = exactly the whole partition."""
    recs = read_all(broker.bootstrap, topic)[0]
    got = [(r.offset, r.value.encode()) for r in recs]
    if got != expected:
        exp_o, got_o = [o for o, _ in expected], [o for o, _ in got]
        wrong = [(o, v[:20], dict(got).get(o, b"<missing>")[:20]) for o, v in expected if dict(got).get(o) != v]
        raise AssertionError(f"partition content differs: {len(got)} records read, {len(expected)} expected; "
                             f"offsets read {got_o[:3]}..{got_o[-3:]}, expected {exp_o[:3]}..{exp_o[-3:]}; "
                             f"wrong/missing (first 5): {wrong[:5]}; "
                             f"unexpected offsets: {sorted(set(got_o) - set(exp_o))[:10]}")


def test_produce_on_full_disk_fails_cleanly_and_recovers(full_broker):
    b = full_broker
    topic = unique("full")
    create_topic(b.bootstrap, topic, 1, {"segment.bytes": 262144})
    stored = []                              # (offset, value) of every produce answered with success
    with kwire.Conn(b.port, timeout=30) as c:
        for i in range(40):
            v = rec_value("before", i, 2000)
            err, base, msg = produce_v8(c, topic, v)
            assert err == 0, f"produce before the disk filled: error {err} {msg}"
            stored.append((base, v))
        assert [o for o, _ in stored] == list(range(40))

        filler = fill_up(b.mnt)
        answers = []
        for i in range(20):                  # 8 KiB records always need new pages
            v = rec_value("full-big", i, 8192)
            err, base, msg = produce_v8(c, topic, v)
            answers.append((len(v), err, msg))
            if err == 0:
                stored.append((base, v))
        for i in range(10):                  # small ones may still fit in a partly used page
            v = rec_value("full-small", i, 200)
            err, base, msg = produce_v8(c, topic, v)
            answers.append((len(v), err, msg))
            if err == 0:
                stored.append((base, v))
        assert b.alive(), "the broker died on a full disk"
        big_errors = [e for size, e, _ in answers if size == 8192]
        assert all(e == 56 for e in big_errors), f"8 KiB produces on a full disk answered {answers[:20]}"
        assert all(e in (0, 56) for _, e, _ in answers), answers

        # A real client sees KAFKA_STORAGE_ERROR too.
        res = SyncProducer(b.bootstrap, **{"enable.idempotence": False, "retries": 0, "message.timeout.ms": 30000}) \
            .send(topic, [(None, "y" * 8192)])
        assert res[0][1] is not None and res[0][1].code() == KafkaError.KAFKA_STORAGE_ERROR, res

        # What was stored stays readable while the disk is full.
        assert_partition_is(b, topic, stored)

        # Space comes back: no restart, the next produces succeed at the next offsets.
        os.unlink(filler)
        next_off = len(stored)
        for i in range(20):
            v = rec_value("after", i, 8192 if i % 2 else 2000)
            err, base, msg = produce_v8(c, topic, v)
            assert err == 0, f"produce #{i} after space returned: error {err} {msg}"
            stored.append((base, v))
    assert [o for o, _ in stored] == list(range(len(stored))), \
        f"offsets of successful produces are not contiguous: {[o for o, _ in stored]}"
    assert stored[next_off][0] == next_off

    acks = produce_java(b.bootstrap, topic, [f"java-{i}" for i in range(50)])
    n = len(stored)
    assert acks == [(0, n + i) for i in range(50)]
    stored += [(n + i, f"java-{i}".encode()) for i in range(50)]
    assert_partition_is(b, topic, stored)

    assert b.stop() == 0
    assert_storage_ok(b.data_dir)
    b.start()
    assert_partition_is(b, topic, stored)
    assert watermarks(b.bootstrap, topic)[0] == (0, len(stored))


def produce_batches_v3(conn, topic, batches):
    """Raw Produce v3 carrying several record batches for partition 0; returns the partition error code."""
    conn.request(kwire.PRODUCE, 3, kwire.produce_request(topic, 0, b"".join(batches), 3))
    [(_, _, err)] = kwire.parse_produce_response(conn.recv_frame(), 3)
    return err


@pytest.mark.parametrize("how", ["index-page-full", "two-batch-request"])
def test_failed_write_never_resurfaces(full_broker, how):
    """A produce answered with an error while the disk is full must not reappear later, and must never take the
    place of a record acknowledged afterwards (here: the next produce rolls the segment, then a clean restart).

    index-page-full: every batch gets an offset-index entry (index.interval.bytes=0) and the index file is exactly
    one full page, so the record bytes still fit in the log file's last page but the index entry does not.
    two-batch-request: one Produce carries a small batch (fits in the log file's last page) and a big one (does not).
    """
    b = full_broker
    admin = Admin(b.bootstrap)
    topic = unique("full-ghost")
    create_topic(b.bootstrap, topic, 1, {"segment.bytes": 1 << 20, "index.interval.bytes": 0})
    pdir = b.data_dir / f"{topic}-0"
    index = pdir / f"{0:020}.index"
    stored = []
    with kwire.Conn(b.port, timeout=30) as c:
        while index.stat().st_size < 4096:
            v = rec_value("pre", len(stored), 100)
            err, base, msg = produce_v8(c, topic, v)
            assert err == 0, msg
            stored.append((base, v))
        assert index.stat().st_size == 4096, "test setup: the offset index should be exactly one page"
        log_size = (pdir / f"{0:020}.log").stat().st_size
        assert 4096 - log_size % 4096 >= 400, "test setup: the log's last page should have room for a small batch"
        # The next 8 KiB record will roll the segment, a small one will not.
        admin("topics", "--alter", "--topic", topic, "--config", f"segment.bytes={log_size + 4000}")

        filler = fill_up(b.mnt)
        if how == "index-page-full":
            failed = b"GHOST-single-batch"
            err, base, msg = produce_v8(c, topic, failed)
            if err == 0:
                stored.append((base, failed))
        else:
            failed = b"GHOST-first-of-two"
            # The second batch does not fit in the page, yet both together stay below the roll threshold.
            second = 4096 - log_size % 4096 + 300
            assert second + 200 < 4000, "test setup"
            err = produce_batches_v3(c, topic, [kwire.record_batch([failed]),
                                               kwire.record_batch([rec_value("GHOST-second", 0, second)])])
        assert err in (0, 56), f"produce on a full disk answered error {err}"
        os.unlink(filler)

        for v in (rec_value("acked-roll", 0, 8000), b"acked-next"):
            err, base, msg = produce_v8(c, topic, v)
            assert err == 0, f"produce after space returned: error {err} {msg}"
            stored.append((base, v))
    assert [o for o, _ in stored] == list(range(len(stored)))
    assert_partition_is(b, topic, stored)

    assert b.stop() == 0
    verify = storage_verify(b.data_dir)
    b.start()
    assert_partition_is(b, topic, stored)   # the acknowledged records, nothing else, after a clean restart
    assert verify.returncode == 0, f"storage verify after a clean stop:\n{verify.stdout[-2000:]}"


def test_idempotent_producer_rides_out_full_disk(full_broker):
    b = full_broker
    admin = Admin(b.bootstrap)
    topic = unique("full-idem")
    create_topic(b.bootstrap, topic, 1, {"segment.bytes": 1048576})
    SyncProducer(b.bootstrap).send_ok(topic, [(None, "first")])
    filler = fill_up(b.mnt)
    count = 20000
    prod = java_background("AckProducer", "--bootstrap-server", b.bootstrap, "--topic", topic, "--prefix", "d",
                           "--count", count, "--max-outstanding", "2000",
                           "--producer-property", "delivery.timeout.ms=300000", name="AckProducer")
    try:
        # While the disk is full the producer cannot finish (20000 records do not fit in a partly used page),
        # and the broker answers storage errors rather than hanging.
        with kwire.Conn(b.port, timeout=30) as c:
            err, _, msg = produce_v8(c, topic, b"x" * 8192)
            assert err == 56, f"probe produce on a full disk: error {err} {msg}"
        prod.wait_for(lambda p: p.lines("STARTED"), 60, "producer start")
        time.sleep(3)                        # let it hit the full disk and retry a while
        assert b.alive(), "the broker died on a full disk"
        assert not prod.lines("DONE"), "the producer finished although the disk was full"
        # Creating a topic while full may fail; if it is answered with success, the topic must really exist.
        made_while_full = unique("made-while-full")
        try:
            create_topic(b.bootstrap, made_while_full, 1, timeout=15)
            created_while_full = True
        except Exception as e:  # noqa: BLE001 - either outcome is acceptable while full
            created_while_full = f"refused: {e}"

        os.unlink(filler)
        rc = prod.wait(300)
    finally:
        prod.stop(timeout=10)
    done = prod.lines("DONE")
    assert rc == 0 and done == [f"DONE acked={count} failed=0"], \
        f"producer status {rc}, {done}, failures: {prod.lines('FAIL')[:5]}\n{prod.stderr_tail()}"
    acks = [l.split(" ") for l in prod.lines("ACK ")]
    by_val = {v: int(o) for _, _, o, v in acks}
    assert len(by_val) == count
    recs = read_all(b.bootstrap, topic)[0]
    assert [(r.offset, r.value) for r in recs] == [(0, "first")] + [(by_val[f"d-{i}"], f"d-{i}") for i in range(count)]
    assert [r.offset for r in recs] == list(range(count + 1))

    # The rest of the broker carries on too: new topics, group offset commits.
    t2 = unique("after-full")
    admin.create_topic(t2, 1)
    produce_java(b.bootstrap, t2, [f"m-{i}" for i in range(10)])
    group = unique("after-full-grp")
    got = consume_java(b.bootstrap, t2, 10, "--group", group)
    assert [r["value"] for r in got] == [f"m-{i}" for i in range(10)]
    assert [o["current"] for o in admin.describe_group(group)["offsets"]] == ["10"]

    assert b.stop() == 0
    assert_storage_ok(b.data_dir)
    b.start()
    topics = admin.list_topics()
    assert t2 in topics
    if created_while_full is True:
        assert made_while_full in topics, "a topic created (with success) while the disk was full is gone"
    assert [o["current"] for o in admin.describe_group(group)["offsets"]] == ["10"]
    assert [(r.offset, r.value) for r in read_all(b.bootstrap, topic)[0]] == [(r.offset, r.value) for r in recs]
    print(f"topic creation while the disk was full: {created_while_full}")
