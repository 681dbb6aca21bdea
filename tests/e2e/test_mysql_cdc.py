"""MySQL / MariaDB change data capture end to end: a private MariaDB (the `mariadb` fixture), the Debezium connector
configs users paste, and the topics read back with kcat and the Java console consumer.

What is checked: snapshot `r` events with their markers, then c/u/d events and tombstones in commit order, keys and
envelope schemas in Debezium's shape, DDL while streaming, the seeds' RegexRouter and ExtractNewRecordState
configs, restarts that lose nothing, and clear FAILED traces for bad settings."""
import json
import signal
import time

import pytest

from connecthelpers import Rest, console_consume, kcat_records, wait_for
from helpers import unique

MYSQL = "io.debezium.connector.mysql.MySqlConnector"
MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"


def cdc_config(mariadb, db, prefix, **extra):
    c = mariadb.connector_config(**{
        "connector.class": MARIADB,
        "tasks.max": "1",
        "database.server.id": str(5400 + (hash(prefix) % 1000)),
        "topic.prefix": prefix,
        "database.include.list": db,
        "schema.history.internal.kafka.bootstrap.servers": "ignored:9092",
        "schema.history.internal.kafka.topic": f"schema-changes.{prefix}",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    })
    c.update(extra)
    return c


def make_db(mariadb, rows=3):
    db = unique("inv").replace("-", "_")
    mariadb.sql(f"""
        CREATE DATABASE {db} CHARACTER SET utf8mb4;
        USE {db};
        CREATE TABLE customers (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          first_name VARCHAR(255) NOT NULL,
          balance DECIMAL(10,2) DEFAULT 0.00,
          size ENUM('S','M','L'),
          updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
        ) AUTO_INCREMENT=1001;
    """)
    for i in range(rows):
        mariadb.sql(f"INSERT INTO customers (first_name, balance, size) VALUES ('c{i}', {i}.50, 'M')", db)
    return db


def records(connect, topic, count, timeout=90):
    """(key, value) JSON pairs of `topic` once it holds at least `count` records (tombstones: value None)."""
    def ready():
        recs = kcat_records(connect.bootstrap, topic)
        return recs if len(recs) >= count else None
    recs = wait_for(ready, timeout, f"{count} records in {topic}")
    return [(json.loads(k) if k else None, json.loads(v) if v is not None else None) for k, v in recs]


def test_snapshot_then_streaming_events(connect, mariadb):
    db = make_db(mariadb, rows=3)
    prefix = unique("dbz")
    rest = Rest(connect.rest_port)
    rest.create("cdc", cdc_config(mariadb, db, prefix))
    rest.wait_running("cdc")
    topic = f"{prefix}.{db}.customers"
    recs = records(connect, topic, 3)
    assert [v["payload"]["op"] for _, v in recs] == ["r", "r", "r"]
    assert [v["payload"]["source"]["snapshot"] for _, v in recs] == ["first", "true", "last"]
    key, value = recs[0]
    assert key == {"schema": {"type": "struct", "fields": [{"type": "int32", "optional": False, "field": "id"}],
                              "optional": False, "name": f"{topic}.Key"}, "payload": {"id": 1001}}
    schema = value["schema"]
    assert schema["name"] == f"{topic}.Envelope" and schema["version"] == 2
    assert [f["field"] for f in schema["fields"]] == ["before", "after", "source", "transaction", "op", "ts_ms",
                                                       "ts_us", "ts_ns"]
    after_fields = schema["fields"][1]["fields"]
    assert after_fields[2] == {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal",
                               "version": 1, "parameters": {"scale": "2", "connect.decimal.precision": "10"},
                               "default": "AA==", "field": "balance"}
    after = value["payload"]["after"]
    assert after["id"] == 1001 and after["first_name"] == "c0" and after["balance"] == "Mg==" and after["size"] == "M"
    src = value["payload"]["source"]
    assert src["connector"] == "mariadb" and src["name"] == prefix and src["db"] == db
    assert src["table"] == "customers" and src["server_id"] == 0 and src["file"].startswith("mysql-bin.")

    mariadb.sql("INSERT INTO customers (first_name, balance, size) VALUES ('new', 1.00, 'L');"
                "UPDATE customers SET first_name='upd' WHERE id=1001;"
                "DELETE FROM customers WHERE id=1002;", db)
    recs = records(connect, topic, 7)
    tail = recs[3:]
    assert [v["payload"]["op"] if v else None for _, v in tail] == ["c", "u", "d", None]
    c, u, d = tail[0][1]["payload"], tail[1][1]["payload"], tail[2][1]["payload"]
    assert c["after"]["first_name"] == "new" and c["before"] is None
    assert u["before"]["first_name"] == "c0" and u["after"]["first_name"] == "upd"
    assert d["before"]["id"] == 1002 and d["after"] is None
    assert tail[3][0]["payload"] == {"id": 1002}, "the tombstone carries the deleted row's key"
    assert c["source"]["snapshot"] == "false" and c["source"]["server_id"] == 1
    assert c["source"]["gtid"].startswith("0-1-")

    # The schema history and schema change topics were written.
    hist = kcat_records(connect.bootstrap, f"schema-changes.{prefix}")
    assert any("CREATE TABLE `customers`" in v for _, v in hist), hist[:3]
    changes = kcat_records(connect.bootstrap, prefix)
    assert any(json.loads(v)["payload"]["ddl"].startswith("CREATE TABLE `customers`") for _, v in changes)

    # Snapshot progress and source lag on /metrics.
    metrics = rest.get("/metrics").text
    assert f'sluice_connect_mysql_snapshot_rows_done{{connector="cdc",table="{db}.customers"}} 3' in metrics, \
        [l for l in metrics.splitlines() if "mysql" in l]
    assert 'sluice_connect_mysql_source_lag_ms{connector="cdc"}' in metrics

    # Offsets in Debezium's format.
    offsets = rest.get("/connectors/cdc/offsets").json()["offsets"]
    assert offsets[0]["partition"] == {"server": prefix}
    assert offsets[0]["offset"]["file"].startswith("mysql-bin.") and "snapshot" not in offsets[0]["offset"]


def test_ddl_while_streaming_changes_the_schema_at_the_right_point(connect, mariadb):
    db = make_db(mariadb, rows=1)
    prefix = unique("ddl")
    rest = Rest(connect.rest_port)
    rest.create("ddl", cdc_config(mariadb, db, prefix))
    rest.wait_running("ddl")
    topic = f"{prefix}.{db}.customers"
    records(connect, topic, 1)
    mariadb.sql("INSERT INTO customers (first_name) VALUES ('before_add');"
                "ALTER TABLE customers ADD COLUMN email VARCHAR(100) NULL AFTER first_name;"
                "INSERT INTO customers (first_name, email) VALUES ('after_add', 'a@b.c');"
                "ALTER TABLE customers CHANGE COLUMN email mail VARCHAR(100);"
                "INSERT INTO customers (first_name, mail) VALUES ('after_rename', 'r@b.c');"
                "ALTER TABLE customers DROP COLUMN mail;"
                "INSERT INTO customers (first_name) VALUES ('after_drop');"
                "CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(20));"
                "INSERT INTO orders VALUES (1, 'book');", db)
    recs = records(connect, topic, 5)
    by_name = {v["payload"]["after"]["first_name"]: v for _, v in recs if v}
    fields = lambda v: [f["field"] for f in v["schema"]["fields"][1]["fields"]]
    assert "email" not in fields(by_name["before_add"])
    assert fields(by_name["after_add"])[:3] == ["id", "first_name", "email"]
    assert by_name["after_add"]["payload"]["after"]["email"] == "a@b.c"
    assert "mail" in fields(by_name["after_rename"]) and by_name["after_rename"]["payload"]["after"]["mail"] == "r@b.c"
    assert "mail" not in fields(by_name["after_drop"])
    orders = records(connect, f"{prefix}.{db}.orders", 1)
    assert orders[0][1]["payload"]["after"] == {"id": 1, "item": "book"}


def test_seed_pipeline_regexrouter_and_unwrap(connect, mariadb):
    """The seeds' configs: topic.prefix mysql_cdc with a RegexRouter to member-index, and ExtractNewRecordState
    with add.fields op,table, drop.tombstones false, delete.handling.mode rewrite; read with the Java console
    consumer."""
    db = make_db(mariadb, rows=2)
    rest = Rest(connect.rest_port)
    route = cdc_config(mariadb, db, "mysql_cdc", **{
        "connector.class": MYSQL,
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "([^.]+)\\.([^.]+)\\.([^.]+)",
        "transforms.route.replacement": "member-index",
    })
    rest.create("route", route)
    rest.wait_running("route")
    recs = console_consume(connect.bootstrap, "member-index", 2)
    assert len(recs) == 2
    unwrap = cdc_config(mariadb, db, "unwrapped", **{
        "database.server.id": "6101",
        "transforms": "unwrap",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.add.fields": "op,table",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.unwrap.delete.handling.mode": "rewrite",
        "value.converter.schemas.enable": "false",
    })
    rest.create("unwrap", unwrap)
    rest.wait_streaming("unwrap")
    topic = f"unwrapped.{db}.customers"
    mariadb.sql("DELETE FROM customers WHERE id=1001", db)
    recs = records(connect, topic, 4)
    values = [v for _, v in recs]
    assert values[0]["id"] == 1001 and values[0]["__op"] == "r" and values[0]["__table"] == "customers"
    assert values[0]["__deleted"] == "false"
    assert values[2]["id"] == 1001 and values[2]["__op"] == "d" and values[2]["__deleted"] == "true"
    assert values[3] is None


def test_restart_resumes_without_loss(connect, mariadb):
    db = make_db(mariadb, rows=5)
    prefix = unique("rst")
    rest = Rest(connect.rest_port)
    rest.create("rst", cdc_config(mariadb, db, prefix))
    rest.wait_running("rst")
    topic = f"{prefix}.{db}.customers"
    records(connect, topic, 5)
    mariadb.sql("INSERT INTO customers (first_name) VALUES ('s1'),('s2');", db)
    records(connect, topic, 7)
    time.sleep(2)  # an offset commit (offset.flush.interval.ms=1000)
    assert connect.stop(signal.SIGTERM) == 0
    mariadb.sql("INSERT INTO customers (first_name) VALUES ('while_down');", db)
    connect.start()
    rest.wait_running("rst")
    mariadb.sql("INSERT INTO customers (first_name) VALUES ('after');", db)
    recs = records(connect, topic, 9)
    names = [v["payload"]["after"]["first_name"] for _, v in recs if v]
    for n in ["c0", "c4", "s1", "s2", "while_down", "after"]:
        assert n in names, names
    assert names.count("while_down") == 1 and names.count("s1") == 1, f"no duplicates after a clean stop: {names}"
    assert [v["payload"]["op"] for _, v in recs].count("r") == 5, "the snapshot is not redone"


def test_bad_settings_fail_with_a_fix(connect, mariadb):
    db = make_db(mariadb, rows=1)
    rest = Rest(connect.rest_port)
    bad = cdc_config(mariadb, db, unique("bad"), **{"database.password": "wrong"})
    rest.create("badpw", bad)
    st = rest.wait_status("badpw", "RUNNING", ["FAILED"])
    assert "database.password" in st["tasks"][0]["trace"], st
    r = rest.put("/connector-plugins/MySqlConnector/config/validate",
                  {"connector.class": MYSQL, "topic.prefix": "x", "database.hostname": "h", "database.user": "u",
                   "database.server.id": "0", "schema.history.internal.kafka.topic": "h"})
    assert r.status == 200, r
    errs = {c["value"]["name"]: c["value"]["errors"] for c in r.json()["configs"]}
    assert errs["database.server.id"], errs
    legacy = cdc_config(mariadb, db, "ignored", **{"database.server.id": "7301"})
    legacy.pop("topic.prefix")
    legacy["database.server.name"] = unique("legacy")
    rest.create("legacy", legacy)
    rest.wait_running("legacy")
    records(connect, f"{legacy['database.server.name']}.{db}.customers", 1)


def test_incremental_snapshot_through_the_signal_table(connect, mariadb):
    """snapshot.mode=no_data, then an execute-snapshot signal: every row arrives as op r / snapshot incremental in
    chunks, while a concurrent update still streams; stop-snapshot is accepted."""
    db = make_db(mariadb, rows=10)
    mariadb.sql(f"""CREATE TABLE {db}.debezium_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL,
                    data VARCHAR(2048) NULL);
                    GRANT INSERT ON {db}.debezium_signal TO 'cdc'@'%';""")
    prefix = unique("inc")
    rest = Rest(connect.rest_port)
    rest.create("inc", cdc_config(mariadb, db, prefix, **{
        "snapshot.mode": "no_data",
        "signal.data.collection": f"{db}.debezium_signal",
        "incremental.snapshot.chunk.size": "3",
    }))
    rest.wait_streaming("inc")
    topic = f"{prefix}.{db}.customers"
    mariadb.sql(f"""INSERT INTO debezium_signal VALUES ('sig-1', 'execute-snapshot',
                    '{{"data-collections": ["{db}.customers"], "type": "incremental"}}');
                    UPDATE customers SET first_name='live' WHERE id=1005;""", db)
    recs = records(connect, topic, 10)
    wait_for(lambda: len({v["payload"]["after"]["id"] for _, v in kcat_records_json(connect, topic)
                          if v and v["payload"]["op"] == "r"}) >= 9, 60, "incremental rows")
    recs = kcat_records_json(connect, topic)
    reads = [v["payload"] for _, v in recs if v and v["payload"]["op"] == "r"]
    assert all(p["source"]["snapshot"] == "incremental" for p in reads)
    latest = {}
    for _, v in recs:
        latest[v["payload"]["after"]["id"]] = v["payload"]["after"]["first_name"]
    assert sorted(latest) == list(range(1001, 1011)), latest
    assert latest[1005] == "live", "the streamed update wins over the chunk's older copy"
    ids = [p["after"]["id"] for p in reads]
    assert len(ids) == len(set(ids)), f"each row read once: {ids}"
    # The watermark rows went through the signal table (and its topic).
    sig = kcat_records(connect.bootstrap, f"{prefix}.{db}.debezium_signal")
    kinds = [json.loads(v)["payload"]["after"]["type"] for _, v in sig if v]
    assert "snapshot-window-open" in kinds and "snapshot-window-close" in kinds, kinds
    mariadb.sql("INSERT INTO debezium_signal VALUES ('sig-2', 'stop-snapshot', '{}')", db)


def kcat_records_json(connect, topic):
    return [(json.loads(k) if k else None, json.loads(v) if v is not None else None)
            for k, v in kcat_records(connect.bootstrap, topic)]
