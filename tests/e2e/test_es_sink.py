"""End-to-end tests of the Elasticsearch sink (io.confluent.connect.elasticsearch.ElasticsearchSinkConnector).

Elasticsearch is noida-db's Elasticsearch API (PyPI `noida-db`, installed into tests/.venv by tests/provision.sh),
started by the `es` fixture on a free loopback port with a private data directory. Set ELASTICSEARCH_URL to run
the tests that do not stop Elasticsearch against a real cluster instead (the outage tests are then skipped).

Records are produced with confluent-kafka as JSON; the sink reads them with the JsonConverter.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import free_port
from connecthelpers import JSON_CONVERTER, STRING_CONVERTER, Rest, wait_for
from helpers import preexec_die_with_parent, unique

ES_SINK = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"
REGEX_ROUTER = "org.apache.kafka.connect.transforms.RegexRouter"


def noida_binary():
    from importlib.resources import files
    import noida_db
    b = files(noida_db).joinpath("noida-db")
    os.chmod(str(b), 0o755)
    return str(b)


class Elasticsearch:
    """noida-db's Elasticsearch API (or an external cluster from ELASTICSEARCH_URL)."""

    def __init__(self, url=None):
        self.external = url is not None
        self.proc = None
        self.tmp = None
        if url:
            self.url = url.rstrip("/")
            return
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sluice-es-e2e-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "noida.log"

    def start(self):
        if self.external:
            return self
        cmd = [noida_binary(), "start", "--host", "127.0.0.1", "--only", "elasticsearch",
               "--data-dir", str(self.tmp / "data"), "--elasticsearch-port", str(self.port)]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     preexec_fn=preexec_die_with_parent)
        log.close()
        wait_for(lambda: self.request("GET", "/")[0] == 200, 30, "noida-db's Elasticsearch API", interval=0.1)
        return self

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.stop()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def request(self, method, path, body=None):
        data = None
        headers = {}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except (OSError, urllib.error.URLError) as e:
            return None, str(e)

    def json(self, method, path, body=None):
        status, text = self.request(method, path, body)
        assert status == 200, (method, path, status, text)
        return json.loads(text)

    def refresh(self, index):
        self.request("POST", f"/{index}/_refresh")

    def count(self, index):
        self.refresh(index)
        status, text = self.request("GET", f"/{index}/_count")
        return json.loads(text)["count"] if status == 200 else None

    def docs(self, index):
        """{_id: (_source, _version)} of every document (at most 10000)."""
        self.refresh(index)
        body = self.json("POST", f"/{index}/_search?version=true", {"size": 10000, "query": {"match_all": {}}})
        return {h["_id"]: (h["_source"], h.get("_version")) for h in body["hits"]["hits"]}

    def doc(self, index, doc_id):
        status, text = self.request("GET", f"/{index}/_doc/{doc_id}")
        if status != 200:
            return None
        return json.loads(text)

    def delete_index(self, index):
        self.request("DELETE", f"/{index}")


@pytest.fixture
def es():
    e = Elasticsearch(os.environ.get("ELASTICSEARCH_URL"))
    try:
        yield e.start()
    finally:
        e.close()


def produce(bootstrap, topic, records):
    """records: [(key or None, value dict or None)] -> JSON values (None = tombstone), in order, one partition."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    errors = []
    for k, v in records:
        p.produce(topic, key=None if k is None else str(k).encode(),
                  value=None if v is None else json.dumps(v).encode(), partition=0,
                  on_delivery=lambda err, msg: err and errors.append(err))
    left = p.flush(60)
    assert left == 0 and not errors, (left, errors)


def create_topic(bootstrap, topic):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": bootstrap})
    for f in a.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        f.result(30)


def sink_config(es, topic, **extra):
    cfg = {
        "connector.class": ES_SINK,
        "tasks.max": "1",
        "topics": topic,
        "connection.url": es.url,
        "key.converter": STRING_CONVERTER,
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "false",
        "schema.ignore": "true",
        "linger.ms": "20",
    }
    cfg.update(extra)
    return cfg


def test_seed_pipeline_key_ignore_and_regex_router(connect, es):
    """The seeds' es-sink-connector: key.ignore + schema.ignore and a RegexRouter to member-index."""
    rest = Rest(connect.rest_port)
    topic = unique("mysql_cdc.inventory.members")
    index = "member-index"
    es.delete_index(index)
    create_topic(connect.bootstrap, topic)
    rows = [(None, {"id": i, "name": f"member {i}", "score": i / 4, "tags": ["a", "b"], "meta": {"n": i}})
            for i in range(25)]
    produce(connect.bootstrap, topic, rows)
    name = unique("es-sink")
    rest.create(name, sink_config(es, topic, **{
        "key.ignore": "true",
        "flush.synchronously": "true",
        "transforms": "route",
        "transforms.route.type": REGEX_ROUTER,
        "transforms.route.regex": "mysql_cdc\\..*",
        "transforms.route.replacement": index,
    }))
    rest.wait_running(name)
    wait_for(lambda: es.count(index) == 25, 60, "25 documents in member-index")
    status, cat = es.request("GET", "/_cat/indices?v")
    assert status == 200, cat
    header, *lines = cat.strip().splitlines()
    cols = header.split()
    row = [dict(zip(cols, l.split())) for l in lines if l.split()[cols.index("index")] == index]
    assert row and row[0]["docs.count"] == "25", cat
    d = es.doc(index, f"{index}+0+7")
    assert d and d["_source"] == {"id": 7, "name": "member 7", "score": 1.75, "tags": ["a", "b"], "meta": {"n": 7}}, d
    # Documents keep arriving after the first batch.
    produce(connect.bootstrap, topic, [(None, {"id": 25})])
    wait_for(lambda: es.count(index) == 26, 60, "26 documents")
    rest.delete(f"/connectors/{name}")


def test_reference_worked_example_as_pasted(connect, es):
    """connect.md §11 pasted as written: the JSON's "mysql_cdc\\\\..*" is the Java regex mysql_cdc\\..* (a literal
    backslash), which matches nothing, so the topic (and the index) keep their name; ids are topic+partition+offset;
    a tombstone fails the task (behavior.on.null.values defaults to FAIL)."""
    rest = Rest(connect.rest_port)
    topic = unique("mysql_cdc.inventory.customers")
    create_topic(connect.bootstrap, topic)
    produce(connect.bootstrap, topic, [(None, {"id": 1, "f": 1.5}), (None, {"id": 2, "f": 2.0})])
    pasted = json.loads(r'''{"name":"es-sink","config":{
      "connector.class":"io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
      "topics":"mysql_cdc.inventory.customers",
      "connection.url":"http://es:9200",
      "key.ignore":"true","schema.ignore":"true",
      "value.converter":"org.apache.kafka.connect.json.JsonConverter",
      "value.converter.schemas.enable":"false",
      "transforms":"route",
      "transforms.route.type":"org.apache.kafka.connect.transforms.RegexRouter",
      "transforms.route.regex":"mysql_cdc\\\\..*",
      "transforms.route.replacement":"customers"}}''')
    cfg = dict(pasted["config"], topics=topic, **{"connection.url": es.url})
    assert cfg["transforms.route.regex"] == "mysql_cdc\\\\..*"
    name = unique("es-sink")
    rest.create(name, cfg)
    rest.wait_running(name)
    wait_for(lambda: es.count(topic) == 2, 60, f"2 documents in index {topic}")
    assert es.doc(topic, f"{topic}+0+1")["_source"] == {"id": 2, "f": 2.0}
    produce(connect.bootstrap, topic, [(None, None)])
    body = rest.wait_status(name, "RUNNING", ["FAILED"], timeout=60)
    assert "behavior.on.null.values" in body["tasks"][0]["trace"], body


def test_keyed_records_and_tombstones_keep_latest_per_key(connect, es):
    rest = Rest(connect.rest_port)
    topic = unique("members")
    create_topic(connect.bootstrap, topic)
    records, latest = [], {}
    for round_ in range(5):
        for k in range(10):
            v = {"id": k, "round": round_}
            records.append((f"k{k}", v))
            latest[f"k{k}"] = v
    for k in (1, 4, 7):
        records.append((f"k{k}", None))
        latest.pop(f"k{k}")
    records.append(("k4", {"id": 4, "round": 99}))   # re-created after its delete
    latest["k4"] = {"id": 4, "round": 99}
    produce(connect.bootstrap, topic, records)
    name = unique("es-keyed")
    rest.create(name, sink_config(es, topic, **{"key.ignore": "false", "behavior.on.null.values": "delete",
                                                "batch.size": "7", "max.buffered.records": "100"}))
    rest.wait_running(name)
    wait_for(lambda: {i: s for i, (s, _) in es.docs(topic).items()} == latest, 60, "the latest document per key")
    # External versioning by offset: each document's version is the offset of its last record.
    last_offset = {k: off for off, (k, _) in enumerate(records)}
    for k in latest:
        assert es.doc(topic, k)["_version"] == last_offset[k], (k, es.doc(topic, k), last_offset[k])
    assert rest.status(name).json()["tasks"][0]["state"] == "RUNNING"


def test_upsert_merges_fields(connect, es):
    rest = Rest(connect.rest_port)
    topic = unique("upserts")
    create_topic(connect.bootstrap, topic)
    produce(connect.bootstrap, topic, [("a", {"x": 1}), ("a", {"y": 2}), ("b", {"x": 3}), ("a", {"x": 5})])
    name = unique("es-upsert")
    rest.create(name, sink_config(es, topic, **{"write.method": "upsert"}))
    rest.wait_running(name)
    wait_for(lambda: {i: s for i, (s, _) in es.docs(topic).items()} == {"a": {"x": 5, "y": 2}, "b": {"x": 3}},
             60, "merged upserts")


def test_schemas_create_the_mapping(connect, es):
    """schema.ignore=false with JsonConverter schemas: the index mapping comes from the Connect schema and
    decimals are written as numbers."""
    rest = Rest(connect.rest_port)
    topic = unique("typed")
    create_topic(connect.bootstrap, topic)
    schema = {"type": "struct", "optional": False, "fields": [
        {"type": "int32", "optional": False, "field": "id"},
        {"type": "string", "optional": True, "field": "name"},
        {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
         "parameters": {"scale": "2"}, "field": "price"},
        {"type": "int64", "optional": False, "name": "org.apache.kafka.connect.data.Timestamp", "version": 1,
         "field": "updated_at"}]}
    produce(connect.bootstrap, topic, [(str(i), {"schema": schema, "payload": {
        "id": i, "name": "Ann", "price": "BNI=", "updated_at": 1700000000000 + i}}) for i in range(3)])
    name = unique("es-typed")
    rest.create(name, sink_config(es, topic, **{"schema.ignore": "false",
                                                "value.converter.schemas.enable": "true"}))
    rest.wait_running(name)
    wait_for(lambda: es.count(topic) == 3, 60, "3 typed documents")
    mapping = es.json("GET", f"/{topic}/_mapping")[topic]["mappings"]["properties"]
    assert mapping["id"]["type"] == "integer", mapping
    assert mapping["price"]["type"] == "double", mapping
    assert mapping["updated_at"]["type"] == "date", mapping
    assert mapping["name"]["type"] == "text", mapping
    assert es.doc(topic, "1")["_source"] == {"id": 1, "name": "Ann", "price": 12.34, "updated_at": 1700000000001}


def test_validation_answers_per_field(connect, es):
    rest = Rest(connect.rest_port)
    cfg = sink_config(es, "t", **{"name": "v", "topic.index.map": "mysql.db.members:member-index",
                                  "batch.size": "0"})
    r = rest.put("/connector-plugins/ElasticsearchSinkConnector/config/validate", cfg)
    assert r.status == 200, r
    errors = {c["value"]["name"]: c["value"]["errors"] for c in r.json()["configs"] if c["value"]["errors"]}
    assert "RegexRouter" in errors["topic.index.map"][0], errors
    assert errors["batch.size"] == ["Invalid value 0 for configuration batch.size: Value must be no less than 1"]
    # Cross-field rules and the connection check.
    cfg = sink_config(es, "t", **{"name": "v", "connection.username": "elastic"})
    errors = {c["value"]["name"]: c["value"]["errors"] for c in
              rest.put("/connector-plugins/ElasticsearchSinkConnector/config/validate", cfg).json()["configs"]
              if c["value"]["errors"]}
    assert errors == {"connection.username": ["Both 'connection.username' and 'connection.password' must be set."],
                      "connection.password": ["Both 'connection.username' and 'connection.password' must be set."]}
    cfg = sink_config(es, "t", **{"connection.url": f"http://127.0.0.1:{free_port()}"})
    r = rest.post("/connectors", {"name": "unreachable", "config": cfg})
    assert r.status == 400 and "Could not connect to Elasticsearch" in r.json()["message"], r
    r = rest.post("/connectors", {"name": "ok", "config": sink_config(es, "t")})
    assert r.status == 201, r


@pytest.mark.skipif(bool(os.environ.get("ELASTICSEARCH_URL")), reason="stops Elasticsearch")
def test_outage_loses_nothing_and_keeps_key_order(connect, es):
    rest = Rest(connect.rest_port)
    topic = unique("outage")
    create_topic(connect.bootstrap, topic)
    keys = [f"k{i}" for i in range(10)]
    sent = []

    def send(round_):
        batch = [(k, {"key": k, "round": round_}) for k in keys]
        produce(connect.bootstrap, topic, batch)
        sent.extend(batch)

    send(0)
    # Random backoff in [0, 20 ms * 2^attempt]: 14 retries outlast the 3 s outage (the last waits alone can
    # reach minutes), and after it the sink resumes at its next retry.
    name = unique("es-outage")
    rest.create(name, sink_config(es, topic, **{"max.retries": "14", "retry.backoff.ms": "20",
                                                "behavior.on.null.values": "delete"}))
    rest.wait_running(name)
    wait_for(lambda: len(es.docs(topic)) == 10, 60, "first round")
    es.stop()
    for round_ in range(1, 6):
        send(round_)
    time.sleep(3)
    es.start()
    want = {k: {"key": k, "round": 5} for k in keys}
    wait_for(lambda: {i: s for i, (s, _) in es.docs(topic).items()} == want, 120, "every key at its last round")
    assert rest.status(name).json()["tasks"][0]["state"] == "RUNNING"
    log = connect.log_path.read_text(errors="replace")
    assert "bulk request failed (attempt 1), retrying" in log, connect.log_tail()
    # Restart Sluice: the committed offsets resume where the acknowledged records end; nothing is lost.
    connect.restart()
    rest.wait_running(name)
    send(6)
    want = {k: {"key": k, "round": 6} for k in keys}
    wait_for(lambda: {i: s for i, (s, _) in es.docs(topic).items()} == want, 120, "round 6 after a restart")
    # The last write of each key is its last record (external version = offset).
    last_offset = {k: off for off, (k, _) in enumerate(sent)}
    for k in keys:
        assert es.doc(topic, k)["_version"] == last_offset[k], (k, es.doc(topic, k), last_offset[k])


@pytest.mark.skipif(bool(os.environ.get("ELASTICSEARCH_URL")), reason="stops Elasticsearch")
def test_outage_beyond_max_retries_fails_the_task_then_restart_recovers(connect, es):
    rest = Rest(connect.rest_port)
    topic = unique("down")
    create_topic(connect.bootstrap, topic)
    produce(connect.bootstrap, topic, [(f"k{i}", {"i": i}) for i in range(5)])
    name = unique("es-down")
    rest.create(name, sink_config(es, topic, **{"max.retries": "2", "retry.backoff.ms": "10"}))
    rest.wait_running(name)
    wait_for(lambda: es.count(topic) == 5, 60, "first records")
    es.stop()
    produce(connect.bootstrap, topic, [(f"k{i}", {"i": i}) for i in range(5, 12)])
    body = rest.wait_status(name, "RUNNING", ["FAILED"], timeout=60)
    trace = body["tasks"][0]["trace"]
    print(f"\nFAILED task trace:\n{trace}")
    assert "max.retries=2" in trace and "were not written and their offsets were not committed" in trace, trace
    assert "reachable" in trace, trace
    es.start()
    r = rest.post(f"/connectors/{name}/tasks/0/restart")
    assert r.status in (200, 202, 204), r
    rest.wait_running(name)
    wait_for(lambda: es.count(topic) == 12, 60, "all 12 documents after the restart")


@pytest.mark.parametrize("behavior", ["warn", "fail"])
def test_malformed_document(connect, es, behavior):
    rest = Rest(connect.rest_port)
    topic = unique(f"malformed-{behavior}")
    create_topic(connect.bootstrap, topic)
    # Map `n` as a number first, then send a document whose `n` is not one.
    es.request("PUT", f"/{topic}")
    es.request("PUT", f"/{topic}/_mapping", {"properties": {"n": {"type": "long"}}})
    produce(connect.bootstrap, topic, [("a", {"n": 1}), ("b", {"n": "not a number"}), ("c", {"n": 3})])
    name = unique("es-malformed")
    rest.create(name, sink_config(es, topic, **{"behavior.on.malformed.documents": behavior,
                                                "linger.ms": "1000"}))
    if behavior == "warn":
        rest.wait_running(name)
        wait_for(lambda: set(es.docs(topic)) == {"a", "c"}, 60, "the good documents")
        time.sleep(1)
        assert rest.status(name).json()["tasks"][0]["state"] == "RUNNING"
    else:
        body = rest.wait_status(name, "RUNNING", ["FAILED"], timeout=60)
        trace = body["tasks"][0]["trace"]
        assert "malformed" in trace and "behavior.on.malformed.documents" in trace, trace
        assert "offset 1" in trace, trace


def _read_all(bootstrap, topic, count, timeout=60):
    """The first `count` records of `topic` (partition 0) with their headers, via confluent-kafka."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("read"), "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        out, deadline = [], time.time() + timeout
        while len(out) < count and time.time() < deadline:
            m = c.poll(1.0)
            if m is not None and not m.error():
                out.append(m)
        assert len(out) >= count, f"{len(out)} of {count} records in {topic}"
        return out
    finally:
        c.close()


def test_rejected_documents_go_to_the_dead_letter_queue(connect, es):
    """Confluent's sink hands every document Elasticsearch rejects to the errant record reporter: with
    errors.tolerance=all and a DLQ the record goes there as consumed, with the context headers."""
    rest = Rest(connect.rest_port)
    topic, dlq = unique("dlq-src"), unique("dlq")
    create_topic(connect.bootstrap, topic)
    es.request("PUT", f"/{topic}")
    es.request("PUT", f"/{topic}/_mapping", {"properties": {"n": {"type": "long"}}})
    produce(connect.bootstrap, topic, [("a", {"n": 1}), ("b", {"n": "not a number"}), ("c", {"n": 3})])
    name = unique("es-dlq")
    rest.create(name, sink_config(es, topic, **{
        "behavior.on.malformed.documents": "warn",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"}))
    rest.wait_running(name)
    wait_for(lambda: set(es.docs(topic)) == {"a", "c"}, 60, "the good documents")
    [m] = _read_all(connect.bootstrap, dlq, 1)
    assert m.key() == b"b" and m.value() == json.dumps({"n": "not a number"}).encode()
    headers = {k: (v or b"").decode() for k, v in (m.headers() or [])}
    assert headers["__connect.errors.topic"] == topic
    assert headers["__connect.errors.offset"] == "1"
    assert headers["__connect.errors.stage"] == "TASK_PUT"
    assert headers["__connect.errors.class.name"] == "org.apache.kafka.connect.sink.SinkTask"
    assert headers["__connect.errors.exception.class.name"] == \
        "io.confluent.connect.elasticsearch.ElasticsearchClient$ReportingException"
    assert headers["__connect.errors.exception.message"].startswith("Indexing failed: "), headers
    assert rest.status(name).json()["tasks"][0]["state"] == "RUNNING"


def _debezium_events(table_rows):
    """Debezium MySQL-style change events (JsonConverter with schemas) for a sequence of
    ("c"|"u"|"d", id, row or None): key {"id"}, value Envelope {before, after, source, op, ts_ms}, and a
    tombstone after each delete, as Debezium emits them."""
    row_fields = [{"type": "int32", "optional": False, "field": "id"},
                  {"type": "string", "optional": True, "field": "name"},
                  {"type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
                   "parameters": {"scale": "2"}, "field": "balance"},
                  {"type": "int32", "optional": True, "name": "io.debezium.time.Date", "version": 1,
                   "field": "joined"}]
    row = {"type": "struct", "optional": True, "name": "mysql.db.members.Value", "fields": row_fields}
    source = {"type": "struct", "optional": False, "name": "io.debezium.connector.mysql.Source", "field": "source",
              "fields": [{"type": "string", "optional": False, "field": "connector"},
                         {"type": "string", "optional": False, "field": "db"},
                         {"type": "string", "optional": True, "field": "table"}]}
    envelope = {"type": "struct", "optional": False, "name": "mysql.db.members.Envelope", "version": 2, "fields": [
        dict(row, field="before"), dict(row, field="after"), source,
        {"type": "string", "optional": False, "field": "op"},
        {"type": "int64", "optional": True, "field": "ts_ms"}]}
    key_schema = {"type": "struct", "optional": False, "name": "mysql.db.members.Key",
                  "fields": [{"type": "int32", "optional": False, "field": "id"}]}
    current, out = {}, []
    for op, i, r in table_rows:
        key = json.dumps({"schema": key_schema, "payload": {"id": i}})
        before = current.get(i)
        after = None if op == "d" else r
        payload = {"before": before, "after": after, "source": {"connector": "mysql", "db": "db", "table": "members"},
                   "op": op, "ts_ms": 1700000000000 + len(out)}
        out.append((key, {"schema": envelope, "payload": payload}))
        if op == "d":
            current.pop(i, None)
            out.append((key, None))
        else:
            current[i] = r
    return out, current


def test_debezium_changes_keep_the_table_current(connect, es):
    """Debezium change events unwrapped by ExtractNewRecordState, key from ExtractField$Key, tombstones as
    deletes: the index holds exactly the table's current rows; the mapping comes from the row schema."""
    rest = Rest(connect.rest_port)
    topic = unique("mysql.db.members")
    create_topic(connect.bootstrap, topic)
    ops = [("c", i, {"id": i, "name": f"m{i}", "balance": "BNI=", "joined": 19700 + i}) for i in range(1, 9)]
    ops += [("u", 2, {"id": 2, "name": "m2 renamed", "balance": "AQ==", "joined": 19702}),
            ("d", 3, None), ("u", 5, {"id": 5, "name": "m5 again", "balance": None, "joined": None}),
            ("d", 8, None), ("c", 9, {"id": 9, "name": "m9", "balance": "BNI=", "joined": 19709}),
            ("u", 2, {"id": 2, "name": "m2 final", "balance": "BNI=", "joined": 19702})]
    events, table = _debezium_events(ops)
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": connect.bootstrap, "enable.idempotence": True})
    for k, v in events:
        p.produce(topic, key=k.encode(), value=None if v is None else json.dumps(v).encode(), partition=0)
    assert p.flush(60) == 0
    name = unique("es-cdc")
    rest.create(name, sink_config(es, topic, **{
        "key.converter": JSON_CONVERTER, "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true", "schema.ignore": "false",
        "behavior.on.null.values": "delete",
        "transforms": "unwrap,key",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.key.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
        "transforms.key.field": "id"}))
    rest.wait_running(name)
    index = topic.lower()

    def expected():
        out = {}
        for i, r in table.items():
            bal = {"BNI=": 12.34, "AQ==": 0.01, None: None}[r["balance"]]
            out[str(i)] = {"id": i, "name": r["name"], "balance": bal, "joined": r["joined"]}
        return out
    wait_for(lambda: {i: s for i, (s, _) in es.docs(index).items()} == expected(), 60,
             "exactly the table's current rows")
    props = es.json("GET", f"/{index}/_mapping")[index]["mappings"]["properties"]
    assert props["id"]["type"] == "integer" and props["balance"]["type"] == "double", props
    assert rest.status(name).json()["tasks"][0]["state"] == "RUNNING"
