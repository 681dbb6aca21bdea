"""Kafka Connect end to end: the `sluice` binary with no subcommand (broker + Connect runtime) and
`sluice connect-standalone`, checked against the Kafka Connect 3.9 reference (shared/reference/connect.md):
REST shapes and status codes (§1), FileStream connectors (§9), the internal topics' record formats (§2.3),
restart on the same data directory, config providers (§0.3), the offsets API and standalone mode (§2.2)."""
import json
import pathlib
import tempfile

import pytest

from connecthelpers import (FILE_SINK, FILE_SOURCE, JSON_CONVERTER, STRING_CONVERTER, Rest, append_lines,
                            console_consume, console_produce, kcat_formatted, kcat_values,
                            latest_by_key, read_lines, wait_for, wait_topic_values)
from helpers import Admin, rows, unique

TIMEOUT = 90  # generous: every wait below polls for a state, none measures time


def envelope(line):
    """JsonConverter (schemas.enable=true) bytes for a FileStreamSource record: a required STRING schema."""
    return '{"schema":{"type":"string","optional":false},"payload":' + json.dumps(line, ensure_ascii=False) + "}"


def end_positions(lines):
    """The FileStreamSource offset after `lines`: Kafka counts characters, Sluice counts bytes (same for ASCII)."""
    text = "".join(l + "\n" for l in lines)
    return sorted({len(text), len(text.encode("utf-8"))})


def source_config(name, path, topic, **extra):
    cfg = {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(path), "topic": topic}
    cfg.update(extra)
    return cfg


def sink_config(name, path, topics, **extra):
    cfg = {"connector.class": FILE_SINK, "tasks.max": "1", "file": str(path), "topics": topics}
    cfg.update(extra)
    return cfg


@pytest.fixture
def workdir():
    d = pathlib.Path(tempfile.mkdtemp(prefix="sluice-connect-files-"))
    yield d
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def assert_error(r, status, message):
    assert r.status == status, r
    body = r.json()
    assert list(body) == ["error_code", "message"], r
    assert body == {"error_code": status, "message": message}, r


def state_info(name, wid, connector_state, task_states, type_):
    return {"name": name, "connector": {"state": connector_state, "worker_id": wid},
            "tasks": [{"id": i, "state": s, "worker_id": wid} for i, s in enumerate(task_states)], "type": type_}


def assert_state_info_order(body):
    assert list(body) == ["name", "connector", "tasks", "type"], body
    assert list(body["connector"]) == ["state", "worker_id"], body
    for t in body["tasks"]:
        assert list(t) == ["id", "state", "worker_id"], body


# ---------------------------------------------------------------------------------------------------------------
# 1. REST basics


def test_server_info_health_and_empty_list(connect):
    rest = Rest(connect.rest_port)
    r = rest.get("/")
    assert r.status == 200, r
    assert (r.header("content-type") or "").startswith("application/json"), r.headers
    info = r.json()
    assert list(info) == ["version", "commit", "kafka_cluster_id"], r
    assert info["version"] == "3.9.0", r
    assert isinstance(info["commit"], str) and info["commit"], r
    cluster = rows(Admin(connect.bootstrap)("cluster").stdout, "CLUSTER")[0]
    assert info["kafka_cluster_id"] == cluster["id"], (r, cluster)

    r = rest.get("/connectors")
    assert r.status == 200 and r.json() == [], r
    r = rest.get("/connectors?expand=status")
    assert r.status == 200 and r.json() == {}, r

    r = rest.get("/health")
    assert r.status == 200, r
    assert r.json() == {"status": "healthy",
                        "message": "Worker has completed startup and is ready to handle requests."}, r
    assert list(r.json()) == ["status", "message"], r


def test_create_connector_shapes(connect, workdir):
    rest = Rest(connect.rest_port)
    wid = connect.worker_id
    name, topic, path = "file-src", unique("src"), workdir / "in.txt"
    append_lines(path, ["one", "two"])
    cfg = source_config(name, path, topic)

    r = rest.post("/connectors", {"name": name, "config": cfg})
    assert r.status == 201, r
    loc = r.header("location")
    assert loc in (f"/connectors/{name}", f"{connect.rest_url}/connectors/{name}"), r.headers
    body = r.json()
    assert list(body) == ["name", "config", "tasks", "type"], r
    assert body["name"] == name and body["type"] == "source", r
    assert body["config"] == {**cfg, "name": name}, r
    # Distributed mode: usually [] at this point; once the tasks exist they are listed.
    assert body["tasks"] in ([], [{"connector": name, "task": 0}]), r

    st = rest.wait_running(name)
    assert st == state_info(name, wid, "RUNNING", ["RUNNING"], "source"), st
    assert_state_info_order(st)

    r = rest.get(f"/connectors/{name}")
    assert r.status == 200, r
    assert r.json() == {"name": name, "config": {**cfg, "name": name}, "tasks": [{"connector": name, "task": 0}],
                        "type": "source"}, r
    assert list(r.json()) == ["name", "config", "tasks", "type"], r
    assert list(r.json()["tasks"][0]) == ["connector", "task"], r

    r = rest.get(f"/connectors/{name}/config")
    assert r.status == 200 and r.json() == {**cfg, "name": name}, r

    r = rest.get(f"/connectors/{name}/tasks")
    assert r.status == 200, r
    tasks = r.json()
    assert len(tasks) == 1 and list(tasks[0]) == ["id", "config"], r
    assert tasks[0]["id"] == {"connector": name, "task": 0}, r
    tc = tasks[0]["config"]
    assert (tc.get("file"), tc.get("topic"), tc.get("task.class")) == \
        (str(path), topic, "org.apache.kafka.connect.file.FileStreamSourceTask"), r

    r = rest.get(f"/connectors/{name}/tasks/0/status")
    assert r.status == 200 and r.json() == {"id": 0, "state": "RUNNING", "worker_id": wid}, r

    r = rest.get("/connectors")
    assert r.status == 200 and r.json() == [name], r

    # 409 on a second POST with the same name.
    r = rest.post("/connectors", {"name": name, "config": cfg})
    assert_error(r, 409, f"Connector {name} already exists")


def test_error_responses(connect, workdir):
    rest = Rest(connect.rest_port)
    path = workdir / "in.txt"
    append_lines(path, ["x"])
    good = source_config("e", path, unique("err"))

    assert_error(rest.get("/connectors/x"), 404, "Connector x not found")
    assert_error(rest.get("/connectors/x/config"), 404, "Connector x not found")
    assert_error(rest.get("/connectors/x/tasks"), 404, "Connector x not found")
    assert_error(rest.get("/connectors/x/status"), 404, "No status found for connector x")
    assert_error(rest.delete("/connectors/x"), 404, "Connector x not found")
    assert_error(rest.put("/connectors/x/pause"), 404, "Unknown connector x")
    assert_error(rest.put("/connectors/x/resume"), 404, "Unknown connector x")
    assert_error(rest.put("/connectors/x/stop"), 404, "Unknown connector x")
    assert_error(rest.post("/connectors/x/restart"), 404, "Connector x not found")
    assert_error(rest.post("/connectors/x/restart?includeTasks=true"), 404, "Unknown connector: x")
    assert_error(rest.get("/connectors/x/offsets"), 404, "Connector x not found")
    assert_error(rest.get("/no/such/path"), 404, "HTTP 404 Not Found")
    assert_error(rest.delete("/connectors"), 405, "HTTP 405 Method Not Allowed")

    # 415: curl -d sends application/x-www-form-urlencoded (a request without Content-Type is not checked here:
    # Jersey's @Consumes matching lets it through, what follows is not in the reference).
    body = json.dumps({"name": "e", "config": good})
    assert_error(rest.post("/connectors", body, content_type="application/x-www-form-urlencoded"), 415,
                 "HTTP 415 Unsupported Media Type")
    assert_error(rest.put("/connectors/e/config", json.dumps(good), content_type="text/plain"), 415,
                 "HTTP 415 Unsupported Media Type")

    # 500 for a malformed JSON body (Jackson's parse message).
    r = rest.post("/connectors", '{"name": "e", "config": {')
    assert r.status == 500, r
    assert r.json()["error_code"] == 500 and isinstance(r.json()["message"], str) and r.json()["message"], r

    # 400 name mismatch (POST and PUT config).
    r = rest.post("/connectors", {"name": "a", "config": {**good, "name": "b"}})
    assert_error(r, 400, "Connector name configuration (b) doesn't match connector name in the URL (a)")
    r = rest.put("/connectors/a/config", {**good, "name": "b"})
    assert_error(r, 400, "Connector name configuration (b) doesn't match connector name in the URL (a)")

    # 400 no connector.class: the map's toString.
    r = rest.post("/connectors", {"name": "nc", "config": {}})
    assert_error(r, 400, "Connector config {name=nc} contains no connector type")

    # 500 unknown connector class.
    r = rest.post("/connectors", {"name": "bad", "config": {"connector.class": "com.example.NoSuchConnector"}})
    assert r.status == 500, r
    assert r.json()["error_code"] == 500, r
    assert r.json()["message"].startswith("Failed to find any class that implements Connector and which name "
                                          "matches com.example.NoSuchConnector, available connectors are: "), r

    # 400 invalid config (FileStreamSource without `topic`).
    cfg = {k: v for k, v in good.items() if k != "topic"}
    r = rest.post("/connectors", {"name": "notopic", "config": cfg})
    assert r.status == 400 and r.json()["error_code"] == 400, r
    msg = r.json()["message"]
    assert msg.startswith("Connector configuration is invalid and contains the following 1 error(s):\n"), r
    assert 'Missing required configuration "topic" which has no default value.' in msg, r
    assert msg.endswith("\nYou can also find the above list of errors at the endpoint "
                        "`/connector-plugins/{connectorType}/config/validate`"), r

    # None of the refused requests created anything.
    r = rest.get("/connectors")
    assert r.status == 200 and r.json() == [], r


def test_connector_plugins_and_validate(connect):
    rest = Rest(connect.rest_port)
    r = rest.get("/connector-plugins")
    assert r.status == 200, r
    plugins = r.json()
    by_class = {p["class"]: p for p in plugins}
    assert by_class.get(FILE_SINK, {}).get("type") == "sink", r
    assert by_class.get(FILE_SOURCE, {}).get("type") == "source", r
    for p in plugins:
        assert list(p)[:2] == ["class", "type"], p
    types = [p["type"] for p in plugins]
    assert set(types) <= {"sink", "source"}, r
    assert types == sorted(types, key=lambda t: t != "sink"), f"sinks must come before sources: {r}"

    r = rest.get("/connector-plugins?connectorsOnly=false")
    assert r.status == 200, r
    all_plugins = {(p["class"], p["type"]) for p in r.json()}
    for want in (("org.apache.kafka.connect.transforms.RegexRouter", "transformation"),
                 (JSON_CONVERTER, "converter"), (JSON_CONVERTER, "header_converter"),   # both interfaces
                 (STRING_CONVERTER, "converter"), (FILE_SINK, "sink"), (FILE_SOURCE, "source")):
        assert want in all_plugins, (want, r)

    r = rest.put("/connector-plugins/FileStreamSinkConnector/config/validate",
                 {"connector.class": FILE_SINK, "name": "v", "tasks.max": "1"})
    assert r.status == 200, r
    v = r.json()
    assert list(v) == ["name", "error_count", "groups", "configs"], r
    assert v["name"] == FILE_SINK, r
    assert v["groups"][:4] == ["Common", "Transforms", "Predicates", "Error Handling"], r
    errors = {c["value"]["name"]: c["value"]["errors"] for c in v["configs"] if c["value"]["errors"]}
    assert errors == {"topics": ["Must configure one of topics or topics.regex"],
                      "topics.regex": ["Must configure one of topics or topics.regex"]}, r
    assert v["error_count"] == 2, r
    first = v["configs"][0]
    assert list(first) == ["definition", "value"], first
    assert list(first["value"]) == ["name", "value", "recommended_values", "errors", "visible"], first

    # With topics set the same request validates cleanly.
    r = rest.put("/connector-plugins/FileStreamSinkConnector/config/validate",
                 {"connector.class": FILE_SINK, "name": "v", "tasks.max": "1", "topics": "t"})
    assert r.status == 200 and r.json()["error_count"] == 0, r


def test_lifecycle_expand_pause_resume_stop_restart_delete(connect, workdir):
    rest = Rest(connect.rest_port)
    wid = connect.worker_id
    name, path = "life", workdir / "in.txt"
    append_lines(path, ["a"])
    cfg = source_config(name, path, unique("life"))
    rest.create(name, cfg)
    rest.wait_running(name)

    r = rest.get("/connectors?expand=status")
    assert r.status == 200, r
    assert r.json() == {name: {"status": state_info(name, wid, "RUNNING", ["RUNNING"], "source")}}, r
    assert_state_info_order(r.json()[name]["status"])
    r = rest.get("/connectors?expand=info")
    assert r.status == 200, r
    assert r.json() == {name: {"info": {"name": name, "config": {**cfg, "name": name},
                                        "tasks": [{"connector": name, "task": 0}], "type": "source"}}}, r
    assert list(r.json()[name]["info"]) == ["name", "config", "tasks", "type"], r
    r = rest.get("/connectors?expand=status&expand=info")
    assert r.status == 200 and set(r.json()[name]) == {"status", "info"}, r

    # pause -> 202, PAUSED (connector and task)
    r = rest.put(f"/connectors/{name}/pause")
    assert r.status == 202 and r.raw == b"", r
    rest.wait_status(name, "PAUSED", ["PAUSED"])
    # resume -> 202, RUNNING
    r = rest.put(f"/connectors/{name}/resume")
    assert r.status == 202 and r.raw == b"", r
    rest.wait_running(name)

    # stop -> 204, STOPPED with no tasks
    r = rest.put(f"/connectors/{name}/stop")
    assert r.status == 204 and r.raw == b"", r
    st = rest.wait_status(name, "STOPPED", [])
    assert st == {"name": name, "connector": {"state": "STOPPED", "worker_id": wid}, "tasks": [], "type": "source"}, st
    r = rest.get(f"/connectors/{name}")
    assert r.status == 200 and r.json()["tasks"] == [], r
    r = rest.get(f"/connectors/{name}/tasks")
    assert r.status == 200 and r.json() == [], r
    r = rest.put(f"/connectors/{name}/resume")
    assert r.status == 202, r
    rest.wait_running(name)
    wait_for(lambda: rest.get(f"/connectors/{name}").json()["tasks"] == [{"connector": name, "task": 0}],
             TIMEOUT, "the task back after resume from STOPPED")

    # restart variants
    r = rest.post(f"/connectors/{name}/restart")
    assert r.status == 204 and r.raw == b"", r
    rest.wait_running(name)
    r = rest.post(f"/connectors/{name}/restart?includeTasks=true")
    assert r.status == 202, r
    assert r.json() == state_info(name, wid, "RESTARTING", ["RESTARTING"], "source"), r
    assert_state_info_order(r.json())
    rest.wait_running(name)
    r = rest.post(f"/connectors/{name}/restart?includeTasks=true&onlyFailed=true")
    assert r.status == 202, r
    assert r.json() == state_info(name, wid, "RUNNING", ["RUNNING"], "source"), r
    r = rest.post(f"/connectors/{name}/tasks/0/restart")
    assert r.status == 204 and r.raw == b"", r
    rest.wait_running(name)

    # delete -> 204, then gone
    r = rest.delete(f"/connectors/{name}")
    assert r.status == 204 and r.raw == b"", r
    wait_for(lambda: rest.get("/connectors").json() == [], TIMEOUT, "an empty connector list after DELETE")
    assert_error(rest.get(f"/connectors/{name}"), 404, f"Connector {name} not found")
    wait_for(lambda: rest.status(name).status == 404, TIMEOUT, "status 404 after DELETE")
    assert_error(rest.status(name), 404, f"No status found for connector {name}")


# ---------------------------------------------------------------------------------------------------------------
# 2. FileStream end to end

LINES = ["hello world", "second line", "안녕하세요 세계", "mixed 한국어 text", "tab\there", 'quote " and \\ backslash']


def test_filestream_source_json_envelope(connect, workdir):
    rest = Rest(connect.rest_port)
    name, topic, path = "src-json", unique("src-json"), workdir / "in.txt"
    append_lines(path, LINES[:3])
    rest.create(name, source_config(name, path, topic))
    rest.wait_running(name)
    append_lines(path, LINES[3:])          # lines appended while the task runs are picked up too

    recs = console_consume(connect.bootstrap, topic, len(LINES))
    assert [r["value"] for r in recs] == [envelope(l) for l in LINES], recs
    assert [r["key"] for r in recs] == ["null"] * len(LINES), recs
    assert [(r["partition"], r["offset"]) for r in recs] == [(0, i) for i in range(len(LINES))], recs
    # An unterminated last line is not emitted: after the next offset flush the topic still holds only LINES.
    with open(path, "a", encoding="utf-8") as f:
        f.write("no newline yet")
    ends = end_positions(LINES)
    wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json()["offsets"][0]["offset"]["position"] in ends,
             TIMEOUT, f"the source offset flushed (position in {ends})")
    assert kcat_values(connect.bootstrap, topic) == [envelope(l) for l in LINES]


def test_filestream_source_string_converter(connect, workdir):
    rest = Rest(connect.rest_port)
    name, topic, path = "src-str", unique("src-str"), workdir / "in.txt"
    append_lines(path, LINES)
    rest.create(name, source_config(name, path, topic, **{"value.converter": STRING_CONVERTER}))
    rest.wait_running(name)
    recs = console_consume(connect.bootstrap, topic, len(LINES))
    assert [r["value"] for r in recs] == LINES, recs


def _stored_codecs(data_dir, topic):
    """The compression codec (attributes & 7) of every batch in partition 0's segment files."""
    codecs = []
    for seg in sorted((data_dir / f"{topic}-0").glob("*.log")):
        b, at = seg.read_bytes(), 0
        while at + 61 <= len(b):
            length = int.from_bytes(b[at + 8:at + 12], "big")
            if length == 0:
                break
            codecs.append(int.from_bytes(b[at + 21:at + 23], "big") & 7)
            at += 12 + length
    return codecs


def test_producer_overrides_compress_and_are_validated(connect, workdir):
    """producer.override.compression.type reaches the log (zstd batches the Java consumer reads); a bad override
    value is a per-field validation error; max.request.size fails the task with Kafka's RecordTooLargeException."""
    rest = Rest(connect.rest_port)
    name, topic, path = "src-zstd", unique("src-zstd"), workdir / "in.txt"
    append_lines(path, LINES)
    rest.create(name, source_config(name, path, topic, **{"value.converter": STRING_CONVERTER,
                                                          "producer.override.compression.type": "zstd",
                                                          "producer.override.linger.ms": "10"}))
    rest.wait_running(name)
    recs = console_consume(connect.bootstrap, topic, len(LINES))
    assert [r["value"] for r in recs] == LINES, recs
    codecs = _stored_codecs(connect.data_dir, topic)
    assert codecs and set(codecs) == {4}, codecs          # 4 = zstd

    bad = source_config("src-bad", path, unique("bad"), **{"producer.override.compression.type": "brotli"})
    bad["name"] = "src-bad"
    r = rest.put("/connector-plugins/FileStreamSourceConnector/config/validate", bad)
    assert r.status == 200, r
    body = r.json()
    assert body["error_count"] == 1, [c["value"] for c in body["configs"] if c["value"]["errors"]]
    [info] = [c for c in body["configs"] if c["value"]["name"] == "producer.override.compression.type"]
    assert info["value"]["errors"] == [
        "Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"]
    r = rest.post("/connectors", {"name": "src-bad", "config": bad})
    assert r.status == 400 and "compression.type" in r.json()["message"], r

    big = "src-big"
    append_lines(workdir / "big.txt", ["x" * 5000])
    rest.create(big, source_config(big, workdir / "big.txt", unique("big"),
                                   **{"producer.override.max.request.size": "2000"}))
    body = rest.wait_status(big, "RUNNING", ["FAILED"], timeout=TIMEOUT)
    trace = body["tasks"][0]["trace"]
    assert "RecordTooLargeException: The message is" in trace and "max.request.size" in trace, trace


def test_sink_tasks_are_members_of_their_group(connect, workdir):
    """As in Kafka Connect, each sink task is a consumer in group connect-<name>: kafka-consumer-groups (the Java
    AdminClient) lists one member per task, client id connector-consumer-<name>-<task>, with the range assignor's
    partitions; the members leave when the connector is deleted."""
    rest, admin = Rest(connect.rest_port), Admin(connect.bootstrap)
    name, topic, out = "grp-sink", unique("grp-sink"), workdir / "out.txt"
    admin.create_topic(topic, partitions=3)
    console_produce(connect.bootstrap, topic, [f"line {i}" for i in range(30)])
    rest.create(name, sink_config(name, out, topic, **{"tasks.max": "2", "value.converter": STRING_CONVERTER}))
    rest.wait_running(name, tasks=2)
    wait_for(lambda: len(read_lines(out)) == 30, TIMEOUT, "30 lines written")
    group = f"connect-{name}"

    def two_members():
        d = admin.describe_group(group)
        return d if d["group"]["state"] == "Stable" and len(d["members"]) == 2 else None
    d = wait_for(two_members, TIMEOUT, "two members in the sink's group")
    members = sorted(d["members"], key=lambda m: m["client"])
    assert [m["client"] for m in members] == [f"connector-consumer-{name}-0", f"connector-consumer-{name}-1"], members
    parts = sorted(p for m in members for p in m["assignment"].split(",") if p)
    assert parts == [f"{topic}-0", f"{topic}-1", f"{topic}-2"], members
    assert sorted(len(m["assignment"].split(",")) for m in members) == [1, 2], members
    wait_for(lambda: all(o["lag"] == "0" for o in admin.describe_group(group)["offsets"]), TIMEOUT, "lag 0")

    assert rest.delete(f"/connectors/{name}").status == 204
    wait_for(lambda: admin.describe_group(group)["members"] == [], TIMEOUT, "the tasks to leave the group")


def test_topic_creation_groups(connect, workdir):
    """KIP-158: a source connector with topic.creation.* creates its missing topics with the first matching group's
    partitions and topic configs (retention.ms here) (else the default group's); a replication factor the cluster cannot give fails the
    task with a message naming the group; validation requires the default group's two keys."""
    rest, admin = Rest(connect.rest_port), Admin(connect.bootstrap)
    path = workdir / "in.txt"
    append_lines(path, ["a", "b"])
    plain, hourly = unique("tc-plain"), unique("tc-hourly")
    settings = {"value.converter": STRING_CONVERTER,
                "topic.creation.groups": "hourly",
                "topic.creation.default.replication.factor": "1",
                "topic.creation.default.partitions": "3",
                "topic.creation.hourly.include": "tc-hourly.*",
                "topic.creation.hourly.partitions": "2",
                "topic.creation.hourly.retention.ms": "3600000"}
    for name, topic in (("tc-1", plain), ("tc-2", hourly)):
        rest.create(name, source_config(name, path, topic, **settings))
        rest.wait_running(name)
        console_consume(connect.bootstrap, topic, 2)
    d = admin.describe_topic(plain)
    assert len(d["partitions"]) == 3 and d["configs"]["retention.ms"]["value"] == "604800000", d
    d = admin.describe_topic(hourly)
    assert len(d["partitions"]) == 2, d
    assert d["configs"]["retention.ms"]["value"] == "3600000", d["configs"]["retention.ms"]

    rf3 = dict(settings, **{"topic.creation.default.replication.factor": "3"})
    rest.create("tc-3", source_config("tc-3", path, unique("tc-rf3"), **rf3))
    body = rest.wait_status("tc-3", "RUNNING", ["FAILED"], timeout=TIMEOUT)
    trace = body["tasks"][0]["trace"]
    assert "Task failed to create new topic" in trace and "topic creation group 'default'" in trace, trace
    assert "replication factor of 3 cannot be reached" in trace, trace

    missing = source_config("tc-4", path, unique("tc"), **{"topic.creation.default.partitions": "1"})
    missing["name"] = "tc-4"
    r = rest.put("/connector-plugins/FileStreamSourceConnector/config/validate", missing)
    assert r.status == 200 and r.json()["error_count"] == 1, r
    [info] = [c for c in r.json()["configs"] if c["value"]["errors"]]
    assert info["value"]["name"] == "topic.creation.default.replication.factor", info


def test_filestream_sink_from_console_producer(connect, workdir):
    rest = Rest(connect.rest_port)
    name, topic, out = "sink-str", unique("sink"), workdir / "out.txt"
    console_produce(connect.bootstrap, topic, LINES[:3])
    rest.create(name, sink_config(name, out, topic, **{"key.converter": STRING_CONVERTER,
                                                        "value.converter": STRING_CONVERTER}))
    rest.wait_running(name)
    console_produce(connect.bootstrap, topic, LINES[3:])
    wait_for(lambda: len(read_lines(out)) >= len(LINES), TIMEOUT, f"{len(LINES)} lines in {out}")
    assert read_lines(out) == LINES


def test_filestream_source_to_sink_default_converters(connect, workdir):
    """The Kafka quickstart: source -> topic (JsonConverter envelope) -> sink writes the payload strings."""
    rest = Rest(connect.rest_port)
    topic, src, out = unique("quick"), workdir / "in.txt", workdir / "out.txt"
    append_lines(src, LINES)
    rest.create("q-src", source_config("q-src", src, topic))
    rest.create("q-sink", sink_config("q-sink", out, topic))
    rest.wait_running("q-src")
    rest.wait_running("q-sink")
    wait_for(lambda: len(read_lines(out)) >= len(LINES), TIMEOUT, f"{len(LINES)} lines in {out}")
    assert read_lines(out) == LINES


# ---------------------------------------------------------------------------------------------------------------
# 3. Internal topics


def test_internal_topic_record_formats(connect, workdir):
    rest = Rest(connect.rest_port)
    wid = connect.worker_id
    name, topic, path = "fmt", unique("fmt"), workdir / "in.txt"
    lines = ["alpha", "beta", "gamma"]
    append_lines(path, lines)
    cfg = source_config(name, path, topic)
    rest.create(name, cfg)
    rest.wait_running(name)
    wait_topic_values(connect.bootstrap, topic, len(lines))

    configs = kcat_formatted(connect.bootstrap, "connect-configs")
    latest = latest_by_key(configs)
    assert f"connector-{name}" in latest, configs
    assert json.loads(latest[f"connector-{name}"]) == {"properties": {**cfg, "name": name}}, configs
    assert f"task-{name}-0" in latest, configs
    task = json.loads(latest[f"task-{name}-0"])
    assert list(task) == ["properties"], task
    assert (task["properties"].get("file"), task["properties"].get("topic")) == (str(path), topic), task
    assert json.loads(latest[f"commit-{name}"]) == {"tasks": 1}, configs
    keys = [k for k, _ in configs]
    assert keys.index(f"task-{name}-0") < keys.index(f"commit-{name}"), f"task configs precede the commit: {keys}"

    def status_ok(key):
        st = latest_by_key(kcat_formatted(connect.bootstrap, "connect-status"))
        if key not in st:
            return None
        v = json.loads(st[key])
        assert set(v) == {"state", "trace", "worker_id", "generation"}, v
        return v if v["state"] == "RUNNING" else None

    for key in (f"status-connector-{name}", f"status-task-{name}-0"):
        v = wait_for(lambda: status_ok(key), TIMEOUT, f"{key} RUNNING in connect-status")
        assert v["trace"] is None and v["worker_id"] == wid and isinstance(v["generation"], int), v

    position = len("".join(l + "\n" for l in lines))

    def offset_record():
        recs = [(json.loads(k), json.loads(v) if v else None) for k, v in
                kcat_formatted(connect.bootstrap, "connect-offsets")]
        mine = [(k, v) for k, v in recs if isinstance(k, list) and k and k[0] == name]
        return mine if mine and mine[-1][1] == {"position": position} else None

    mine = wait_for(offset_record, TIMEOUT, f"connect-offsets record with position {position}")
    assert mine[-1] == ([name, {"filename": str(path)}], {"position": position}), mine
    for _, v in mine:
        assert set(v) == {"position"} and isinstance(v["position"], int), mine

    # pause -> target-state record; stop -> state.v2 STOPPED; resume -> STARTED
    def target_state():
        v = latest_by_key(kcat_formatted(connect.bootstrap, "connect-configs")).get(f"target-state-{name}")
        return json.loads(v) if v else None

    for action, code, want in (("pause", 202, {"state": "PAUSED", "state.v2": "PAUSED"}),
                               ("stop", 204, {"state": "PAUSED", "state.v2": "STOPPED"}),
                               ("resume", 202, {"state": "STARTED", "state.v2": "STARTED"})):
        r = rest.put(f"/connectors/{name}/{action}")
        assert r.status == code, r
        got = wait_for(lambda: target_state() == want or None, TIMEOUT, f"target-state after {action}")
        assert got


def test_internal_topics_compacted(connect):
    admin = Admin(connect.bootstrap)
    expected_partitions = {"connect-configs": 1, "connect-offsets": 25, "connect-status": 5}
    problems = []
    for t, parts in expected_partitions.items():
        d = admin.describe_topic(t)
        policy = d["configs"].get("cleanup.policy", {}).get("value")
        assert policy == "compact", f"{t}: cleanup.policy={policy!r}; {d['configs'].get('cleanup.policy')}"
        if len(d["partitions"]) != parts:
            problems.append(f"{t} has {len(d['partitions'])} partitions, Kafka's default is {parts}")
    # connect-configs must have exactly one partition (Kafka refuses to start otherwise).
    assert len(admin.describe_topic("connect-configs")["partitions"]) == 1
    assert not problems, problems


# ---------------------------------------------------------------------------------------------------------------
# 4. Restart on the same data directory


def test_restart_resumes_source_and_sink(connect, workdir):
    rest = Rest(connect.rest_port)
    topic, src, out = unique("restart"), workdir / "in.txt", workdir / "out.txt"
    # Korean lines too: a resume that counted characters but skipped bytes (Kafka's FileStreamSourceTask) would
    # re-emit or cut lines after the restart.
    first = [f"line-{i:03d}" if i % 5 else f"줄-{i:03d} 한국어" for i in range(40)]
    second = [f"line-{i:03d}" if i % 5 else f"줄-{i:03d} 한국어" for i in range(40, 75)]
    append_lines(src, first)
    rest.create("r-src", source_config("r-src", src, topic))
    rest.create("r-sink", sink_config("r-sink", out, topic))
    rest.wait_running("r-src")
    rest.wait_running("r-sink")
    wait_for(lambda: len(read_lines(out)) >= len(first), TIMEOUT, f"{len(first)} lines in the sink file")

    # Fair start: both offsets committed before the stop, so a duplicate can only come from the restart itself.
    pos1 = end_positions(first)
    wait_for(lambda: rest.get("/connectors/r-src/offsets").json() in
             [{"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": p}}]} for p in pos1],
             TIMEOUT, f"the source offset committed (position in {pos1})")
    sink_offsets = {"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0},
                                 "offset": {"kafka_offset": len(first)}}]}
    wait_for(lambda: rest.get("/connectors/r-sink/offsets").json() == sink_offsets, TIMEOUT,
             "the sink offset committed")

    rc = connect.stop()
    assert rc == 0, f"sluice did not exit cleanly on SIGTERM (status {rc}):\n{connect.log_tail()}"
    append_lines(src, second)
    connect.start()

    r = rest.get("/connectors")
    assert r.status == 200 and sorted(r.json()) == ["r-sink", "r-src"], r
    rest.wait_running("r-src")
    rest.wait_running("r-sink")
    r = rest.get("/connectors/r-src")
    assert r.status == 200 and r.json()["tasks"] == [{"connector": "r-src", "task": 0}], r

    everything = first + second
    pos2 = end_positions(everything)
    wait_for(lambda: rest.get("/connectors/r-src/offsets").json()["offsets"][0]["offset"]["position"] in pos2,
             TIMEOUT, f"the source offset at the end of the file after restart (position in {pos2})")
    values = kcat_values(connect.bootstrap, topic)
    payloads = [json.loads(v)["payload"] for v in values]
    assert payloads == everything, (f"topic holds {len(payloads)} records for {len(everything)} lines; "
                                    f"duplicated: {sorted({p for p in payloads if payloads.count(p) > 1})[:10]}; "
                                    f"missing: {[l for l in everything if l not in payloads][:10]}")

    wait_for(lambda: len(read_lines(out)) >= len(everything), TIMEOUT, f"{len(everything)} lines in the sink file")
    sink_offsets["offsets"][0]["offset"]["kafka_offset"] = len(everything)
    wait_for(lambda: rest.get("/connectors/r-sink/offsets").json() == sink_offsets, TIMEOUT,
             "the sink offset at the end of the topic after restart")
    got = read_lines(out)
    assert got == everything, (f"sink file has {len(got)} lines for {len(everything)}; "
                               f"duplicated: {sorted({l for l in got if got.count(l) > 1})[:10]}")


# ---------------------------------------------------------------------------------------------------------------
# 5. Config providers


@pytest.mark.connect_env({"SLUICE_TEST_INPUT": "/tmp/sluice-connect-env-input.txt"})
def test_env_config_provider(connect):
    rest = Rest(connect.rest_port)
    path = pathlib.Path(connect.env["SLUICE_TEST_INPUT"])
    path.unlink(missing_ok=True)
    try:
        lines = ["from env provider", "두 번째"]
        append_lines(path, lines)
        name, topic = "envsrc", unique("envsrc")
        cfg = source_config(name, "${env:SLUICE_TEST_INPUT}", topic, **{"value.converter": STRING_CONVERTER})
        rest.create(name, cfg)
        rest.wait_running(name)
        recs = console_consume(connect.bootstrap, topic, len(lines))
        assert [r["value"] for r in recs] == lines, recs

        r = rest.get(f"/connectors/{name}/config")
        assert r.status == 200 and r.json()["file"] == "${env:SLUICE_TEST_INPUT}", r
        assert r.json() == {**cfg, "name": name}, r
        r = rest.get(f"/connectors/{name}")
        assert r.json()["config"]["file"] == "${env:SLUICE_TEST_INPUT}", r
        r = rest.get(f"/connectors/{name}/tasks")
        assert r.status == 200 and r.json()[0]["config"]["file"] == "${env:SLUICE_TEST_INPUT}", \
            f"task configs are reverse-transformed to the raw ${{...}} text: {r}"
        stored = latest_by_key(kcat_formatted(connect.bootstrap, "connect-configs"))
        assert json.loads(stored[f"connector-{name}"])["properties"]["file"] == "${env:SLUICE_TEST_INPUT}", stored
        # The task read the substituted file name: the source partition names the real path.
        wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json().get("offsets"), TIMEOUT, "source offsets")
        r = rest.get(f"/connectors/{name}/offsets")
        assert r.json()["offsets"][0]["partition"] == {"filename": str(path)}, r
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------------------------
# 6. Offsets API


EMPTY_OFFSETS_MSG = "Partitions / offsets need to be provided for an alter offsets request"


def test_offsets_api(connect, workdir):
    rest = Rest(connect.rest_port)
    name, topic, path = "offs", unique("offs"), workdir / "in.txt"
    lines = ["first", "second", "third"]
    append_lines(path, lines)
    rest.create(name, source_config(name, path, topic, **{"value.converter": STRING_CONVERTER}))
    rest.wait_running(name)
    assert wait_topic_values(connect.bootstrap, topic, 3) == lines

    end = len("".join(l + "\n" for l in lines))
    want = {"offsets": [{"partition": {"filename": str(path)}, "offset": {"position": end}}]}
    wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json() == want, TIMEOUT, f"offsets {want}")
    r = rest.get(f"/connectors/{name}/offsets")
    assert r.status == 200 and list(r.json()["offsets"][0]) == ["partition", "offset"], r

    stopped_msg = ("Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
                   f"for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint")
    patch = {"offsets": [{"partition": {"filename": str(path)}, "offset": {"position": 0}}]}
    assert_error(rest.patch(f"/connectors/{name}/offsets", patch), 400, stopped_msg)
    assert_error(rest.delete(f"/connectors/{name}/offsets"), 400, stopped_msg)

    r = rest.put(f"/connectors/{name}/stop")
    assert r.status == 204, r
    rest.wait_status(name, "STOPPED", [])
    assert_error(rest.patch(f"/connectors/{name}/offsets", {"offsets": []}), 400, EMPTY_OFFSETS_MSG)
    assert_error(rest.patch(f"/connectors/{name}/offsets", {}), 400, EMPTY_OFFSETS_MSG)
    r = rest.get(f"/connectors/{name}/offsets")
    assert r.status == 200 and r.json() == want, r
    r = rest.delete(f"/connectors/{name}/offsets")
    assert r.status == 200, r
    assert r.json() == {"message": "The offsets for this connector have been reset successfully"}, r
    r = rest.get(f"/connectors/{name}/offsets")
    assert r.status == 200 and r.json() == {"offsets": []}, r

    r = rest.put(f"/connectors/{name}/resume")
    assert r.status == 202, r
    rest.wait_running(name)
    values = wait_topic_values(connect.bootstrap, topic, 6)
    assert values == lines + lines, values
    wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json() == want, TIMEOUT, "offsets back at the end")

    # Alter: position after the first line -> the other two lines are read again.
    r = rest.put(f"/connectors/{name}/stop")
    assert r.status == 204, r
    rest.wait_status(name, "STOPPED", [])
    after_first = len(lines[0]) + 1
    r = rest.patch(f"/connectors/{name}/offsets",
                   {"offsets": [{"partition": {"filename": str(path)}, "offset": {"position": after_first}}]})
    assert r.status == 200, r
    assert r.json() == {"message": "The offsets for this connector have been altered successfully"}, r
    r = rest.get(f"/connectors/{name}/offsets")
    assert r.json() == {"offsets": [{"partition": {"filename": str(path)},
                                     "offset": {"position": after_first}}]}, r
    r = rest.put(f"/connectors/{name}/resume")
    assert r.status == 202, r
    values = wait_topic_values(connect.bootstrap, topic, 8)
    assert values == lines + lines + lines[1:], values

    # ConnectorsResource checks for an empty body before the herder checks the state: the same 400 while RUNNING.
    rest.wait_running(name)
    assert_error(rest.patch(f"/connectors/{name}/offsets", {"offsets": []}), 400, EMPTY_OFFSETS_MSG)


# ---------------------------------------------------------------------------------------------------------------
# 7. connect-standalone


def test_connect_standalone(connect_standalone):
    work = connect_standalone.workdir
    src, offsets_file, topic, name = work / "in.txt", work / "connect.offsets", unique("standalone"), "sa-src"
    first = [f"sa-{i}" for i in range(10)]
    second = [f"sa-{i}" for i in range(10, 18)]
    append_lines(src, first)
    worker = {
        "bootstrap.servers": "127.0.0.1:{kafka_port}",
        "key.converter": STRING_CONVERTER,
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "false",
        "offset.storage.file.filename": str(offsets_file),
        "offset.flush.interval.ms": "1000",
        "listeners": "http://127.0.0.1:{rest_port}",
    }
    conn = {"name": name, "connector.class": "FileStreamSource", "tasks.max": "1", "file": str(src),
            "topic": topic}
    s = connect_standalone(worker, [conn])
    rest = Rest(s.rest_port)
    r = rest.get("/connectors")
    assert r.status == 200 and r.json() == [name], r
    rest.wait_running(name)
    values = wait_topic_values(s.bootstrap, topic, len(first))
    assert values == [json.dumps(l) for l in first], values   # schemas.enable=false: the bare JSON string

    end1 = len("".join(l + "\n" for l in first))
    want = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": end1}}]}
    wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json() == want, TIMEOUT, "standalone offsets flushed")
    wait_for(lambda: offsets_file.exists() and offsets_file.stat().st_size > 0, TIMEOUT,
             f"{offsets_file} written")

    rc = s.stop()
    assert rc == 0, f"connect-standalone did not exit cleanly on SIGTERM (status {rc}):\n{s.log_tail()}"
    append_lines(src, second)
    s.start()
    rest.wait_running(name)
    everything = first + second
    end2 = len("".join(l + "\n" for l in everything))
    want = {"offsets": [{"partition": {"filename": str(src)}, "offset": {"position": end2}}]}
    wait_for(lambda: rest.get(f"/connectors/{name}/offsets").json() == want, TIMEOUT,
             "standalone offsets at the end of the file after restart")
    values = kcat_values(s.bootstrap, topic)
    assert values == [json.dumps(l) for l in everything], values
