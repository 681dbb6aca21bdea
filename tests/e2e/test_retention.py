"""Retention: retention.bytes and retention.ms delete whole non-active segments and move the log start offset;
DeleteRecords moves it too; all of it survives a restart. Records at or above the log start offset stay intact."""
import time

import pytest

from helpers import Admin, produce_java, rows, unique, wait_until
from loghelpers import (SyncProducer, assert_storage_ok, fetch_error_at, is_offset_out_of_range, log_bytes,
                        dir_bytes, partition_dir, read_all, segment_bases, watermarks)

CHECK_MS = 500
RETENTION_OVERRIDES = {"log.retention.check.interval.ms": str(CHECK_MS)}


def value(i):
    return f"r-{i:05d}-" + "x" * 80


def assert_log_is(broker, topic, start, end, value_of):
    """Partition 0 holds exactly the records start..end-1 with their values, in order."""
    recs = read_all(broker.bootstrap, topic)[0]
    offs = [r.offset for r in recs]
    assert offs == list(range(start, end)), \
        f"offsets read: {offs[:3]}...{offs[-3:]} ({len(offs)}), expected {start}..{end - 1}"
    bad = [r for r in recs if r.value != value_of(r.offset)]
    assert not bad, f"{len(bad)} records changed, first: {bad[:3]}"


def assert_below_start_is_gone(broker, topic, start):
    err = fetch_error_at(broker.bootstrap, topic, 0, start - 1)
    assert is_offset_out_of_range(err), f"a fetch at {start - 1} (below the log start {start}) gave {err!r}"


@pytest.mark.broker_overrides(RETENTION_OVERRIDES)
def test_retention_bytes_deletes_oldest_segments(broker):
    topic = unique("ret-bytes")
    seg, keep = 4096, 16384
    admin = Admin(broker.bootstrap)
    admin.create_topic(topic, 1, {"segment.bytes": seg, "retention.bytes": keep})
    n = 1200
    acks = produce_java(broker.bootstrap, topic, [value(i) for i in range(n)],
                        "--producer-property", "batch.size=1024", "--producer-property", "linger.ms=0")
    assert acks == [(0, i) for i in range(n)]
    pdir = partition_dir(broker.data_dir, topic, 0)

    # Retention runs every 500 ms; allow many check intervals.
    wait_until(lambda: watermarks(broker.bootstrap, topic)[0][0] > 0, 30, what="the log start offset to move")

    def settled():
        sizes = log_bytes(pdir)
        bases = sorted(sizes)
        return len(bases) >= 2 and sum(sizes.values()) - sizes[bases[0]] < keep and (sizes, bases)
    sizes, bases = wait_until(settled, 30, what="retention.bytes to be met (size - oldest segment < retention.bytes)")

    low, high = watermarks(broker.bootstrap, topic)[0]
    total = sum(sizes.values())
    assert high == n, f"log end moved: {high}"
    assert low == bases[0], f"log start offset {low} is not the base offset of the oldest kept segment {bases}"
    assert max(sizes.values()) <= seg, f"a segment is larger than segment.bytes: {sizes}"
    assert total >= keep, f"retention deleted too much: {total} bytes of log left, retention.bytes={keep}"
    assert dir_bytes(pdir) <= keep + 2 * seg, f"partition directory holds {dir_bytes(pdir)} bytes"
    assert_log_is(broker, topic, low, n, value)
    assert_below_start_is_gone(broker, topic, low)
    assert admin.offsets(topic, "earliest")[0][0] == low

    broker.restart()
    assert watermarks(broker.bootstrap, topic)[0] == (low, n), "log start/end changed across a restart"
    assert_log_is(broker, topic, low, n, value)
    assert_below_start_is_gone(broker, topic, low)
    # Appends continue at the end.
    offs = SyncProducer(broker.bootstrap).send_ok(topic, [(None, value(n + j)) for j in range(5)])
    assert offs == list(range(n, n + 5))
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)


@pytest.mark.broker_overrides(RETENTION_OVERRIDES)
def test_retention_ms_deletes_old_timestamped_segments_only(broker):
    topic = unique("ret-ms")
    admin = Admin(broker.bootstrap)
    # No time limit while producing, so the segment layout can be read before retention acts.
    admin.create_topic(topic, 1, {"segment.bytes": 2048, "retention.ms": -1})
    now = int(time.time() * 1000)
    old_ts = now - 2 * 3600 * 1000
    n_old, n_new = 300, 60
    prod = SyncProducer(broker.bootstrap)
    old_offs = prod.send_ok(topic, [(None, value(i), old_ts + i) for i in range(n_old)])
    new_offs = prod.send_ok(topic, [(None, value(n_old + i)) for i in range(n_new)])  # separate batches (flushed)
    assert old_offs + new_offs == list(range(n_old + n_new))
    pdir = partition_dir(broker.data_dir, topic, 0)
    bases = segment_bases(pdir)
    # Segments [b_i, b_i+1) entirely below n_old hold only old records: those go, the rest stays.
    expected_start = max(b for b in bases if b <= n_old)
    assert expected_start >= n_old // 2, f"test setup: too few old-only segments {bases}"
    time.sleep(2 * CHECK_MS / 1000)
    assert watermarks(broker.bootstrap, topic)[0] == (0, n_old + n_new), "retention.ms=-1 deleted something"

    admin("topics", "--alter", "--topic", topic, "--config", "retention.ms=3600000")
    wait_until(lambda: watermarks(broker.bootstrap, topic)[0][0] == expected_start, 30,
               what=f"the log start offset to reach {expected_start} (segments {bases})")
    assert segment_bases(pdir) == [b for b in bases if b >= expected_start]
    assert_log_is(broker, topic, expected_start, n_old + n_new, value)
    assert_below_start_is_gone(broker, topic, expected_start)
    # Nothing more goes in later checks: the remaining segments all hold fresh records.
    time.sleep(3 * CHECK_MS / 1000)
    assert watermarks(broker.bootstrap, topic)[0] == (expected_start, n_old + n_new)

    broker.restart()
    assert watermarks(broker.bootstrap, topic)[0] == (expected_start, n_old + n_new)
    assert_log_is(broker, topic, expected_start, n_old + n_new, value)
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)


def test_delete_records_moves_earliest_and_survives_restart(broker):
    topic = unique("delrec")
    admin = Admin(broker.bootstrap)
    admin.create_topic(topic, 1, {"segment.bytes": 1024})
    n = 300
    acks = produce_java(broker.bootstrap, topic, [value(i) for i in range(n)],
                        "--producer-property", "batch.size=512", "--producer-property", "linger.ms=0")
    assert acks == [(0, i) for i in range(n)]
    pdir = partition_dir(broker.data_dir, topic, 0)
    before = segment_bases(pdir)
    cut = 137
    assert cut not in before, "test setup: the cut should fall inside a segment"

    out = admin("delete-records", "--topic", topic, "--partition", 0, "--before-offset", cut).stdout
    assert rows(out, "DELETED_RECORDS")[0]["low_watermark"] == str(cut)
    assert admin.offsets(topic, "earliest")[0][0] == cut
    assert admin.offsets(topic, "latest")[0][0] == n
    # Whole segments below the cut are gone; the one holding the cut stays.
    holder = max(b for b in before if b <= cut)
    assert segment_bases(pdir) == [b for b in before if b >= holder]
    assert_log_is(broker, topic, cut, n, value)
    assert_below_start_is_gone(broker, topic, cut)

    # Deleting below the current start changes nothing; beyond the end is refused.
    out = admin("delete-records", "--topic", topic, "--partition", 0, "--before-offset", 50).stdout
    assert rows(out, "DELETED_RECORDS")[0]["low_watermark"] == str(cut)
    p = admin("delete-records", "--topic", topic, "--partition", 0, "--before-offset", n + 10, check=False)
    assert p.returncode == 1 and "OffsetOutOfRangeException" in p.stderr, p.stderr[-2000:]

    broker.restart()
    assert admin.offsets(topic, "earliest")[0][0] == cut, "DeleteRecords did not survive a restart"
    assert admin.offsets(topic, "latest")[0][0] == n
    assert_log_is(broker, topic, cut, n, value)
    assert_below_start_is_gone(broker, topic, cut)
    offs = SyncProducer(broker.bootstrap).send_ok(topic, [(None, value(n + j)) for j in range(3)])
    assert offs == [n, n + 1, n + 2]
    assert broker.stop() == 0
    assert_storage_ok(broker.data_dir)
