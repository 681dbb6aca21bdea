"""MySQL / MariaDB CDC under faults: kill -9 of the binary during the snapshot and (repeatedly) while streaming, the
database server restarted mid-stream, and the bad inputs of issue 5 that must end in a FAILED task whose trace names
the fix (binlog_format, missing grants, purged binlog position, DDL the parser does not understand), plus the keys
of tables without a primary key.

How "every duplicate comes after the last committed offset" is checked (test_kill9_while_streaming_repeatedly):
records carry the producer's timestamp (CreateTime), and nothing is produced while the binary is dead, so a record
whose timestamp is before the kill time was written by the killed process and a record after it by the restarted
one. The last committed offset before a kill is the last connect-offsets record of the connector older than the
kill. Each record's `source.gtid` (MariaDB `0-1-<seq>`) is compared with the committed `gtids`: after a restart no
record of a transaction the committed offset lists as completed may appear again, and every duplicate must come
from a transaction after it.

Set SLUICE_CDC_CRASH_TRIALS to change the number of kill -9 trials while streaming (default 5)."""
import itertools
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

from connecthelpers import Rest, wait_for
from helpers import preexec_die_with_parent, unique

MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"
_server_ids = itertools.count(8100 + (os.getpid() % 500) * 3)


def cdc_config(mariadb, db, prefix, schemas=True, **extra):
    c = mariadb.connector_config(**{
        "connector.class": MARIADB,
        "tasks.max": "1",
        "database.server.id": str(next(_server_ids)),
        "topic.prefix": prefix,
        "database.include.list": db,
        "schema.history.internal.kafka.bootstrap.servers": "ignored:9092",
        "schema.history.internal.kafka.topic": f"schema-changes.{prefix}",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    })
    if not schemas:
        c["key.converter.schemas.enable"] = "false"
        c["value.converter.schemas.enable"] = "false"
    c.update(extra)
    return c


def new_db(mariadb, ddl):
    db = unique("flt").replace("-", "_")
    mariadb.sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4; USE {db}; {ddl}")
    return db


class Rec:
    __slots__ = ("partition", "offset", "ts", "key", "value")

    def __init__(self, partition, offset, ts, key, value):
        self.partition, self.offset, self.ts, self.key, self.value = partition, offset, ts, key, value


def read_topic(bootstrap, topic, timeout=120):
    """Every record of `topic` (all partitions, each from the beginning to its end) as Rec with parsed JSON key and
    value (None for a Kafka null), in (partition, offset) order; ts = the record timestamp in ms."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("cdc-faults-reader"),
                  "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest",
                  "fetch.wait.max.ms": 100})
    out = []
    try:
        md = c.list_topics(topic, timeout=20)
        parts = sorted(md.topics[topic].partitions) if topic in md.topics and md.topics[topic].error is None else []
        if not parts:
            return []
        c.assign([TopicPartition(topic, p, -2) for p in parts])
        eof = set()
        deadline = time.time() + timeout
        while len(eof) < len(parts):
            assert time.time() < deadline, f"reading {topic} did not reach its end within {timeout}s"
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError(f"consumer error on {topic}: {m.error()}")
            eof.discard(m.partition())
            k, v = m.key(), m.value()
            out.append(Rec(m.partition(), m.offset(), m.timestamp()[1],
                           json.loads(k) if k is not None else None, json.loads(v) if v is not None else None))
    finally:
        c.close()
    out.sort(key=lambda r: (r.partition, r.offset))
    return out


def end_offset(bootstrap, topic):
    """Sum of the high watermarks of `topic` (0 when it does not exist yet)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("cdc-faults-wm")})
    try:
        md = c.list_topics(topic, timeout=10)
        if topic not in md.topics or md.topics[topic].error is not None:
            return 0
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                   for p in md.topics[topic].partitions)
    except Exception:  # noqa: BLE001 - the broker may be starting
        return 0
    finally:
        c.close()


def wait_records(bootstrap, topic, pred, timeout=120, what="records"):
    """Reads `topic` until pred(records) is true; returns the records."""
    return wait_for(lambda: (lambda rs: rs if pred(rs) else None)(read_topic(bootstrap, topic)), timeout,
                    f"{what} in {topic}", interval=1.0)


def committed_offsets(bootstrap, name, prefix):
    """[(timestamp ms, offset map or None)] of the connector's records in connect-offsets, oldest first."""
    want = [name, {"server": prefix}]
    recs = [r for r in read_topic(bootstrap, "connect-offsets") if r.key == want]
    recs.sort(key=lambda r: (r.ts, r.offset))
    return [(r.ts, r.value) for r in recs]


def gtid_seq(gtid_text, domain=0):
    """Sequence number of MariaDB GTID(s) `d-s-n[,d-s-n...]` for `domain` (-1 when absent)."""
    best = -1
    for part in (gtid_text or "").split(","):
        part = part.strip()
        if not part:
            continue
        d, _s, n = part.split("-")
        if int(d) == domain:
            best = max(best, int(n))
    return best


def trace(rest, name, timeout=90):
    st = rest.wait_status(name, "RUNNING", ["FAILED"], timeout=timeout)
    return st["tasks"][0].get("trace", "")


class Writer(threading.Thread):
    """Inserts numbered rows into `db`.nums through one mariadb client: mostly one row per autocommit transaction,
    every 7th round a 3-row INSERT (one rows event, several rows) and every 11th a BEGIN with two INSERTs (several
    rows events in one transaction). `next_id` is the next id to write; ids are written in increasing order."""

    def __init__(self, mariadb, db, start_id=1, delay=0.004):
        super().__init__(daemon=True)
        self.mariadb, self.db, self.next_id, self.delay = mariadb, db, start_id, delay
        self.stop_flag = threading.Event()
        self.error = None
        self.proc = subprocess.Popen(mariadb._client("--default-character-set=utf8mb4", "-N", "-B", db),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=preexec_die_with_parent)

    def run(self):
        try:
            rnd = 0
            while not self.stop_flag.is_set():
                rnd += 1
                i = self.next_id
                if rnd % 11 == 0:
                    sql = (f"BEGIN; INSERT INTO nums VALUES ({i}, 'v{i}'); "
                           f"INSERT INTO nums VALUES ({i + 1}, 'v{i + 1}'); COMMIT;\n")
                    n = 2
                elif rnd % 7 == 0:
                    sql = f"INSERT INTO nums VALUES ({i}, 'v{i}'), ({i + 1}, 'v{i + 1}'), ({i + 2}, 'v{i + 2}');\n"
                    n = 3
                else:
                    sql = f"INSERT INTO nums VALUES ({i}, 'v{i}');\n"
                    n = 1
                self.proc.stdin.write(sql)
                self.proc.stdin.flush()
                self.next_id = i + n
                time.sleep(self.delay)
        except Exception as e:  # noqa: BLE001
            self.error = e

    def finish(self):
        self.stop_flag.set()
        self.join(10)
        self.proc.stdin.close()
        rc = self.proc.wait(60)
        assert self.error is None and rc == 0, f"writer failed: {self.error!r} rc={rc} {self.proc.stderr.read()}"


# ---------------------------------------------------------------------------------------------------------------

SNAPSHOT_ROWS = 200_000


def test_kill9_during_snapshot(connect, mariadb):
    """kill -9 while the initial snapshot is being exported; after the restart the snapshot is taken again (the
    committed offsets all say `snapshot` in progress, so a full redo is the expected duplicate), and every row is in
    the topic, plus a change made after the restart."""
    db = new_db(mariadb, "CREATE TABLE big (id INT NOT NULL PRIMARY KEY, pad VARCHAR(64) NOT NULL);")
    mariadb.sql(f"SET STATEMENT max_recursive_iterations={SNAPSHOT_ROWS + 10} FOR INSERT INTO big "
                f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {SNAPSHOT_ROWS}) "
                f"SELECT n, CONCAT('row-', n, '-', REPEAT('p', 40)) FROM s", db)
    assert mariadb.query("SELECT COUNT(*), MIN(id), MAX(id) FROM big", db) == [[str(SNAPSHOT_ROWS), "1",
                                                                                 str(SNAPSHOT_ROWS)]]
    prefix = unique("snapkill")
    rest = Rest(connect.rest_port)
    # Schemas on (bigger records) keep the export slow enough to be caught in the middle.
    rest.create("snapkill", cdc_config(mariadb, db, prefix, **{"max.batch.size": "512"}))
    topic = f"{prefix}.{db}.big"
    wait_for(lambda: end_offset(connect.bootstrap, topic) >= 5_000, 120, "the snapshot to be under way", 0.05)
    t_kill = int(time.time() * 1000)
    connect.stop(signal.SIGKILL)
    connect.start()
    rest.wait_running("snapkill", timeout=90)

    def second_snapshot_done(rs):
        post = [r for r in rs if r.ts > t_kill and r.value and r.value["payload"]["op"] == "r"]
        return post and post[-1].value["payload"]["source"]["snapshot"] == "last"
    wait_records(connect.bootstrap, topic, second_snapshot_done, timeout=600, what="a complete second snapshot")
    mariadb.sql(f"INSERT INTO big VALUES ({SNAPSHOT_ROWS + 1}, 'after-restart')", db)
    recs = wait_records(connect.bootstrap, topic,
                        lambda rs: any(r.value and r.value["payload"]["op"] == "c" for r in rs),
                        what="the change made after the restart")

    pre = [r for r in recs if r.ts <= t_kill]
    post = [r for r in recs if r.ts > t_kill]
    assert 0 < len(pre) < SNAPSHOT_ROWS, f"the kill did not land inside the snapshot ({len(pre)} records before it)"
    pre_ids = [r.key["payload"]["id"] for r in pre]
    assert all(r.value["payload"]["op"] == "r" for r in pre)
    assert len(set(pre_ids)) == len(pre_ids), "no duplicates inside one snapshot run"
    assert pre[0].value["payload"]["source"]["snapshot"] == "first"
    assert all(r.value["payload"]["source"]["snapshot"] != "last" for r in pre), "the first run never finished"

    # The committed offsets before the kill all mark the snapshot as in progress: redoing it is the only correct
    # restart, so its duplicates are "after the last committed offset".
    offs = [o for ts, o in committed_offsets(connect.bootstrap, "snapkill", prefix) if ts <= t_kill]
    assert all(o is not None and o.get("snapshot") in ("INITIAL", True, "true") for o in offs), offs[-3:]

    post_r = [r for r in post if r.value["payload"]["op"] == "r"]
    post_ids = [r.key["payload"]["id"] for r in post_r]
    assert len(post_ids) == SNAPSHOT_ROWS and set(post_ids) == set(range(1, SNAPSHOT_ROWS + 1)), \
        f"the second snapshot holds every row exactly once ({len(post_ids)} records, {len(set(post_ids))} ids)"
    markers = [r.value["payload"]["source"]["snapshot"] for r in post_r]
    assert markers[0] == "first" and markers[-1] == "last" and set(markers[1:-1]) == {"true"}
    sample = next(r for r in post_r if r.key["payload"]["id"] == 4242)
    assert sample.value["payload"]["after"] == {"id": 4242, "pad": "row-4242-" + "p" * 40}
    creates = [r for r in post if r.value["payload"]["op"] == "c"]
    assert [r.value["payload"]["after"]["id"] for r in creates] == [SNAPSHOT_ROWS + 1]
    assert post.index(creates[0]) == len(post) - 1, "the streamed change comes after the whole snapshot"


def test_kill9_while_streaming_repeatedly(connect, mariadb):
    trials = int(os.environ.get("SLUICE_CDC_CRASH_TRIALS", "5"))
    db = new_db(mariadb, "CREATE TABLE nums (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL);")
    prefix = unique("strkill")
    name = "strkill"
    rest = Rest(connect.rest_port)
    rest.create(name, cdc_config(mariadb, db, prefix, schemas=False))
    rest.wait_running(name)
    topic = f"{prefix}.{db}.nums"
    # The empty snapshot is done once the schema change topic has the table (no data events to wait for).
    wait_for(lambda: end_offset(connect.bootstrap, prefix) > 0, 60, "the snapshot's schema changes")
    writer = Writer(mariadb, db)
    writer.start()
    kills = []
    try:
        for _ in range(trials):
            time.sleep(random.uniform(1.5, 3.0))
            kills.append(int(time.time() * 1000))
            connect.stop(signal.SIGKILL)
            time.sleep(random.uniform(0.2, 1.0))
            connect.start()
            rest.wait_running(name, timeout=90)
        time.sleep(2)
    finally:
        writer.finish()
    rows = mariadb.query("SELECT id, v FROM nums ORDER BY id", db)
    table = {int(i): v for i, v in rows}
    assert len(table) == writer.next_id - 1 > 100, "the writer wrote rows"
    recs = wait_records(connect.bootstrap, topic,
                        lambda rs: {r.value["after"]["id"] for r in rs if r.value} >= set(table),
                        timeout=180, what="every row of the table")

    assert all(r.value is not None and r.value["op"] == "c" and r.value["before"] is None for r in recs)
    ids = [r.value["after"]["id"] for r in recs]
    assert set(ids) == set(table), "no change missing and none invented"
    assert all(r.value["after"] == {"id": r.value["after"]["id"], "v": table[r.value["after"]["id"]]}
               for r in recs)
    assert all(r.ts > 0 for r in recs), "records carry producer timestamps"

    offsets = committed_offsets(connect.bootstrap, name, prefix)
    bounds = [0] + kills + [int(time.time() * 1000) + 60_000]
    seen = set()
    dups_total = 0
    report = []
    for k in range(len(bounds) - 1):
        run = [r for r in recs if bounds[k] < r.ts <= bounds[k + 1]]
        if k == 0:
            committed_seq = -1
        else:
            before = [o for ts, o in offsets if ts <= bounds[k]]
            assert before and before[-1] is not None, f"an offset was committed before kill {k}"
            committed = before[-1]
            assert "snapshot" not in committed, committed
            committed_seq = gtid_seq(committed.get("gtids"))
            assert committed_seq >= 0, committed
        seqs = [gtid_seq(r.value["source"]["gtid"]) for r in run]
        assert seqs == sorted(seqs), f"run {k}: binlog order"
        again = [r for r in run if r.value["after"]["id"] in seen]
        stale = [r for r in run if gtid_seq(r.value["source"]["gtid"]) <= committed_seq]
        assert not stale, (f"after kill {k} the connector re-emitted transactions its committed offset "
                           f"(gtids seq {committed_seq}) lists as done: {[r.value['source'] for r in stale[:3]]}")
        assert all(gtid_seq(r.value["source"]["gtid"]) > committed_seq for r in again)
        dups_total += len(again)
        report.append((k, len(run), len(again), committed_seq))
        seen.update(r.value["after"]["id"] for r in run)
    assert seen == set(table), f"every record falls in one run: {report}"
    print(f"runs (k, records, duplicates, committed gtid seq): {report}; duplicates total {dups_total}")


def test_server_restart_mid_stream(connect, mariadb):
    """MariaDB shut down and started again on the same data directory while the connector streams: it reconnects
    (the task stays RUNNING), follows the new binlog file, and emits every row exactly once."""
    db = new_db(mariadb, "CREATE TABLE nums (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL);")
    prefix = unique("srvrst")
    rest = Rest(connect.rest_port)
    rest.create("srvrst", cdc_config(mariadb, db, prefix, schemas=False))
    rest.wait_running("srvrst")
    wait_for(lambda: end_offset(connect.bootstrap, prefix) > 0, 60, "the snapshot's schema changes")
    topic = f"{prefix}.{db}.nums"
    writer = Writer(mariadb, db)
    writer.start()
    time.sleep(2)
    writer.finish()
    first = writer.next_id - 1
    file_before = mariadb.query("SHOW MASTER STATUS")[0][0]
    mariadb.stop()          # while the connector is still catching up / streaming
    time.sleep(3)
    mariadb.start()
    assert mariadb.query("SHOW MASTER STATUS")[0][0] != file_before, "the restart opened a new binlog file"
    writer = Writer(mariadb, db, start_id=first + 1)
    writer.start()
    time.sleep(2)
    writer.finish()
    total = writer.next_id - 1
    recs = wait_records(connect.bootstrap, topic,
                        lambda rs: {r.value["after"]["id"] for r in rs if r.value} >= set(range(1, total + 1)),
                        timeout=120, what=f"ids 1..{total}")
    ids = [r.value["after"]["id"] for r in recs]
    assert sorted(ids) == list(range(1, total + 1)), \
        f"each row exactly once (duplicates: {sorted(i for i in set(ids) if ids.count(i) > 1)[:20]})"
    assert ids == sorted(ids), "in binlog order"
    assert rest.status("srvrst").json()["tasks"][0]["state"] == "RUNNING"


def test_binlog_format_statement_fails_with_fix(connect, mariadb):
    db = new_db(mariadb, "CREATE TABLE t (id INT PRIMARY KEY);")
    rest = Rest(connect.rest_port)
    mariadb.sql("SET GLOBAL binlog_format='STATEMENT'")
    try:
        rest.create("stmt", cdc_config(mariadb, db, unique("stmt")))
        tr = trace(rest, "stmt")
    finally:
        mariadb.sql("SET GLOBAL binlog_format='ROW'")
    assert mariadb.query("SELECT @@global.binlog_format") == [["ROW"]]
    assert "binlog_format=ROW" in tr and "STATEMENT" in tr, tr[:2000]


@pytest.mark.parametrize("mode", ["initial", "never"])
def test_user_without_replication_grants_fails_naming_them(connect, mariadb, mode):
    """'nogrant' has only SELECT: the snapshot's lock (RELOAD) or the binlog listing / dump (REPLICATION ...)
    is refused; the trace lists the grants the connector's user needs."""
    if mariadb.external:
        pytest.skip("the 'nogrant' user exists only on the private MariaDB")
    db = new_db(mariadb, "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);")
    rest = Rest(connect.rest_port)
    cfg = cdc_config(mariadb, db, unique("nogrant"), **{"database.user": "nogrant", "database.password": "nogrant",
                                                        "snapshot.mode": mode})
    rest.create("nogrant", cfg)
    tr = trace(rest, "nogrant")
    assert "REPLICATION SLAVE" in tr and "REPLICATION CLIENT" in tr and "RELOAD" in tr, tr[:2000]


def test_tables_without_primary_key(connect, mariadb):
    """No key → null Kafka key; only a UNIQUE key over NOT NULL columns → that key; a UNIQUE key over a nullable
    column does not count (debezium.md §1.1). Snapshot (`r`) and streaming (`c`) alike."""
    db = new_db(mariadb, """
        CREATE TABLE nokey (a INT, b VARCHAR(10));
        CREATE TABLE uniq (n INT, code VARCHAR(10) NOT NULL, UNIQUE KEY uk_code (code));
        CREATE TABLE uniqnull (code VARCHAR(10) NULL, n INT, UNIQUE KEY uk_code (code));
        INSERT INTO nokey VALUES (1, 'one'); INSERT INTO uniq VALUES (1, 'A1'); INSERT INTO uniqnull VALUES ('N1', 1);
    """)
    prefix = unique("nopk")
    rest = Rest(connect.rest_port)
    rest.create("nopk", cdc_config(mariadb, db, prefix))
    rest.wait_streaming("nopk")
    mariadb.sql("INSERT INTO nokey VALUES (2, 'two'); INSERT INTO uniq VALUES (2, 'B2');"
                "INSERT INTO uniqnull VALUES ('N2', 2); UPDATE uniq SET n = 3 WHERE code = 'A1';", db)
    nokey = wait_records(connect.bootstrap, f"{prefix}.{db}.nokey", lambda rs: len(rs) >= 2)
    assert [r.value["payload"]["op"] for r in nokey] == ["r", "c"]
    assert [r.key for r in nokey] == [None, None], "no key: a Kafka null key"
    assert [r.value["payload"]["after"] for r in nokey] == [{"a": 1, "b": "one"}, {"a": 2, "b": "two"}]
    uniq = wait_records(connect.bootstrap, f"{prefix}.{db}.uniq", lambda rs: len(rs) >= 3)
    topic = f"{prefix}.{db}.uniq"
    key_schema = {"type": "struct", "fields": [{"type": "string", "optional": False, "field": "code"}],
                  "optional": False, "name": f"{topic}.Key"}
    assert [r.value["payload"]["op"] for r in uniq] == ["r", "c", "u"]
    assert [r.key for r in uniq] == [{"schema": key_schema, "payload": {"code": c}} for c in ("A1", "B2", "A1")]
    assert uniq[2].value["payload"]["after"] == {"n": 3, "code": "A1"}
    un = wait_records(connect.bootstrap, f"{prefix}.{db}.uniqnull", lambda rs: len(rs) >= 2)
    assert [r.key for r in un] == [None, None], "a UNIQUE key over a nullable column is not promoted"


def test_purged_binlog_position(connect, mariadb):
    """The stored binlog file is purged while the binary is down: the task fails naming snapshot.mode=when_needed;
    with when_needed it takes a new snapshot (rows changed while down included) and streams on."""
    db = new_db(mariadb, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1,'a'),(2,'b');")
    prefix = unique("purge")
    rest = Rest(connect.rest_port)
    cfg = cdc_config(mariadb, db, prefix)
    rest.create("purge", cfg)
    rest.wait_streaming("purge")
    topic = f"{prefix}.{db}.t"
    mariadb.sql("INSERT INTO t VALUES (3, 'c')", db)
    wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 3)
    time.sleep(2.5)  # offsets committed (flush interval 1 s)
    stored = rest.get("/connectors/purge/offsets").json()["offsets"][0]["offset"]
    assert connect.stop(signal.SIGTERM) == 0
    mariadb.sql("UPDATE t SET v = 'changed' WHERE id = 1; INSERT INTO t VALUES (4, 'd')", db)
    # The server keeps a dump thread of a gone replica until it next writes to it, and never purges a file such a
    # thread still has open: end the leftovers (the binary is stopped, so none of them is alive on our side).
    for (tid,) in mariadb.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"):
        mariadb.sql(f"KILL {tid}", check=False)
    time.sleep(0.5)
    for _ in range(3):
        mariadb.sql("FLUSH BINARY LOGS")
    # MariaDB keeps files its binlog checkpoint still needs (InnoDB catches up asynchronously): retry for a while.
    deadline = time.time() + 30
    while True:
        newest = mariadb.query("SHOW MASTER STATUS")[0][0]
        mariadb.sql(f"PURGE BINARY LOGS TO '{newest}'")
        remaining = [r[0] for r in mariadb.query("SHOW BINARY LOGS")]
        if stored["file"] not in remaining or time.time() > deadline:
            break
        mariadb.sql("FLUSH BINARY LOGS")
        time.sleep(1)
    assert stored["file"] not in remaining, (stored, remaining)
    connect.start()
    tr = trace(rest, "purge")
    assert "snapshot.mode=when_needed" in tr and stored["file"] in tr, tr[:2000]

    r = rest.put("/connectors/purge/config", dict(cfg, **{"snapshot.mode": "when_needed"}))
    assert r.status == 200, r
    st = rest.status("purge").json()
    if st["tasks"] and st["tasks"][0]["state"] == "FAILED":
        rest.post("/connectors/purge/restart?includeTasks=true&onlyFailed=true")
    rest.wait_streaming("purge", timeout=90)
    mariadb.sql("INSERT INTO t VALUES (5, 'e')", db)
    recs = wait_records(connect.bootstrap, topic,
                        lambda rs: any(r.value and r.value["payload"]["op"] == "c"
                                       and r.value["payload"]["after"]["id"] == 5 for r in rs),
                        what="the change after the new snapshot")
    ops = [(r.value["payload"]["op"], r.value["payload"]["after"]["id"]) for r in recs]
    assert ops[:3] == [("r", 1), ("r", 2), ("c", 3)], ops
    assert ops[3:] == [("r", 1), ("r", 2), ("r", 3), ("r", 4), ("c", 5)], ops
    assert recs[3].value["payload"]["after"]["v"] == "changed", "the new snapshot reads the current rows"
    assert recs[3].value["payload"]["source"]["snapshot"] == "first"
    assert recs[6].value["payload"]["source"]["snapshot"] == "last"


def test_unparseable_ddl(connect, mariadb):
    """A CREATE TABLE the DDL parser rejects (MariaDB's REF_SYSTEM_ID column attribute) fails the task naming
    schema.history.internal.skip.unparseable.ddl; with it set to true the connector skips it and continues."""
    db = new_db(mariadb, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'a');")
    prefix = unique("ddl")
    rest = Rest(connect.rest_port)
    cfg = cdc_config(mariadb, db, prefix)
    rest.create("ddl", cfg)
    rest.wait_running("ddl")
    topic = f"{prefix}.{db}.t"
    wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 1)
    mariadb.sql("CREATE TABLE geo (id INT PRIMARY KEY, p POINT REF_SYSTEM_ID=4326)", db)
    tr = trace(rest, "ddl")
    assert "schema.history.internal.skip.unparseable.ddl" in tr and "REF_SYSTEM_ID" in tr, tr[:2000]

    r = rest.put("/connectors/ddl/config", dict(cfg, **{"schema.history.internal.skip.unparseable.ddl": "true"}))
    assert r.status == 200, r
    st = rest.status("ddl").json()
    if st["tasks"] and st["tasks"][0]["state"] == "FAILED":
        rest.post("/connectors/ddl/restart?includeTasks=true&onlyFailed=true")
    rest.wait_streaming("ddl", timeout=90)
    mariadb.sql("INSERT INTO t VALUES (2, 'after-ddl')", db)
    recs = wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 2, what="the change after the DDL")
    time.sleep(2)
    recs = read_topic(connect.bootstrap, topic)
    assert [(r.value["payload"]["op"], r.value["payload"]["after"]["id"]) for r in recs] == [("r", 1), ("c", 2)]
    assert rest.status("ddl").json()["tasks"][0]["state"] == "RUNNING"
