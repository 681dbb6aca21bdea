"""The seeds' MySQL -> Kafka -> Elasticsearch pipeline through the binary as a user runs it (issue 7): built by
docker/build.sh, configured only by environment variables and a connectors directory whose JSON reads
${env:...} placeholders (no curl script), with a small memory budget (SLUICE_MEMORY_BUDGET_MB=16: an 8 MB Connect
pool, smaller than the snapshot, so the source queue and the sink's buffers wait for room instead of growing), and
SIGTERM in the middle of a write load. After the restart the index equals the table, and the change topic holds
every insert and update that was made (at least once)."""
import json
import random
import re
import signal
import threading
import time

from conftest import _http_get_status, free_port
from connecthelpers import kcat_records, wait_for
from helpers import unique
from test_appliance import rootfs, start  # noqa: F401  (the `rootfs` fixture)
from test_es_sink import es  # noqa: F401  (the `es` fixture)

BIO = 1500  # bytes of text per row: the snapshot alone is larger than the Connect pool
PRELOAD = 6000


def metrics(rport):
    """The /metrics text ("" while the REST port is not up yet)."""
    status, body = _http_get_status(rport, "/metrics", timeout=10)
    return body.decode() if status == 200 else ""


def gauge(text, name):
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class Writer(threading.Thread):
    """Inserts and updates rows until stopped, remembering every value it wrote."""

    def __init__(self, mariadb, db):
        super().__init__(daemon=True)
        self.mariadb, self.db = mariadb, db
        self.stop_flag = threading.Event()
        self.names, self.emails = [], []
        self.error = None

    def run(self):
        n = 0
        try:
            while not self.stop_flag.is_set():
                rows = []
                for _ in range(20):
                    n += 1
                    self.names.append(f"w{n}")
                    rows.append(f"('w{n}', 'w{n}@example.com', REPEAT('w', {BIO}))")
                ups = []
                for _ in range(5):
                    n += 1
                    email = f"u{n}@example.com"
                    self.emails.append(email)
                    ups.append(f"UPDATE member SET email='{email}' WHERE id={random.randint(1, PRELOAD)};")
                self.mariadb.sql("INSERT INTO member (name, email, bio) VALUES " + ",".join(rows) + ";"
                                 + "".join(ups), self.db)
                time.sleep(0.02)
        except Exception as e:  # reported by the test
            self.error = e


def test_pipeline_through_the_binary_survives_sigterm_under_load(rootfs, tmp_path, mariadb, es):  # noqa: F811
    db = unique("appl").replace("-", "_")
    mariadb.sql(f"""CREATE DATABASE {db} CHARACTER SET utf8mb4; USE {db};
        CREATE TABLE member (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
                             email VARCHAR(255) NOT NULL, bio TEXT) AUTO_INCREMENT=1;""")
    for start_at in range(0, PRELOAD, 500):
        values = ",".join(f"('p{i}', 'p{i}@example.com', REPEAT('p', {BIO}))"
                          for i in range(start_at + 1, start_at + 501))
        mariadb.sql(f"INSERT INTO member (name, email, bio) VALUES {values};", db)
    topic = f"mysql_cdc.{db}.member"
    index = topic  # the sink indexes under the topic name

    conns = tmp_path / "connectors"
    conns.mkdir()
    (conns / "mysql-source.json").write_text(json.dumps({"name": "mysql-source", "config": {
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": "${env:MYSQL_HOST}", "database.port": "${env:MYSQL_PORT}",
        "database.user": "${env:MYSQL_USER}", "database.password": "${env:MYSQL_PASSWORD}",
        "database.server.id": "7401", "topic.prefix": "mysql_cdc",
        "database.include.list": db, "table.include.list": f"{db}.member",
        "schema.history.internal.kafka.bootstrap.servers": "localhost:9092",
        "schema.history.internal.kafka.topic": "schema-changes.mysql_cdc",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    }}))
    (conns / "es-sink.json").write_text(json.dumps({"name": "es-sink", "config": {
        "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "tasks.max": "1", "topics": topic, "connection.url": "${env:ES_URL}",
        "key.ignore": "false", "schema.ignore": "true", "behavior.on.null.values": "delete",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "transforms": "unwrap,key",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.key.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
        "transforms.key.field": "id",
    }}))
    kport, rport = free_port(), free_port()
    env = {
        "KAFKA_CFG_LISTENERS": f"PLAINTEXT://127.0.0.1:{kport}",
        "KAFKA_CFG_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{kport}",
        "KAFKA_CFG_LOG_DIRS": str(tmp_path / "data"),
        "CONNECT_LISTENERS": f"http://127.0.0.1:{rport}",
        "CONNECT_OFFSET_FLUSH_INTERVAL_MS": "1000",
        "SLUICE_CONNECTORS_DIR": str(conns),
        "SLUICE_MEMORY_BUDGET_MB": "16",
        "MYSQL_HOST": mariadb.host, "MYSQL_PORT": str(mariadb.port),
        "MYSQL_USER": mariadb.user, "MYSQL_PASSWORD": mariadb.password,
        "ES_URL": es.url,
    }
    bootstrap = f"127.0.0.1:{kport}"
    logs = []

    def run_sluice():
        p = start(rootfs, env, tmp_path)
        out = []
        threading.Thread(target=lambda: out.extend(p.stdout), daemon=True).start()
        logs.append(out)
        return p

    def stop(p):
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
        assert rc == 0, "".join(logs[-1])[-3000:]

    writer = Writer(mariadb, db)
    peak = {"used": 0}
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            used = gauge(metrics(rport), "sluice_connect_memory_pool_used_bytes")
            peak["used"] = max(peak["used"], used or 0)
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()
    p = run_sluice()
    try:
        def streaming():
            return 'sluice_connect_mysql_connected{connector="mysql-source"} 1' in metrics(rport)
        try:
            wait_for(streaming, 120, "the source to finish its snapshot and stream")
        except AssertionError as e:
            raise AssertionError(f"{e}\nSluice's log (tail):\n{''.join(logs[-1])[-6000:]}") from None
        text = metrics(rport)
        assert gauge(text, "sluice_connect_memory_pool_bytes") == 8 << 20, text[:3000]
        assert any("memory budget 16 MB" in line and "Connect task buffers 8 MB" in line for line in logs[-1]), \
            "".join(logs[-1])[-3000:]

        writer.start()
        wait_for(lambda: len(writer.names) >= 400, 60, "the writer to get going")
        stop(p)  # SIGTERM while rows are being written and indexed
        assert any("stopped" in line for line in logs[-1])
        time.sleep(1)  # writes continue while Sluice is down
        p = run_sluice()
        wait_for(lambda: len(writer.names) >= 1500, 120, "more writes after the restart")
        writer.stop_flag.set()
        writer.join(60)
        assert writer.error is None, writer.error

        def table():
            return {r[0]: (r[1], r[2]) for r in mariadb.query("SELECT id, name, email FROM member", db)}

        def index_rows():
            return {i: (d.get("name"), d.get("email")) for i, (d, _) in es.docs(index).items()}

        expected = table()
        assert len(expected) == PRELOAD + len(writer.names)

        def index_equals_table():
            got = index_rows()
            if got == expected:
                return True
            wrong = sorted((k for k in expected if got.get(k) != expected[k]), key=int)
            extra = sorted(set(got) - set(expected))
            raise AssertionError(f"{len(got)} documents; {len(wrong)} differ, e.g. "
                                 f"{[(k, got.get(k), expected[k]) for k in wrong[:3]]}; extra {extra[:5]}")
        wait_for(index_equals_table, 240, "the index to equal the table", interval=2)

        # Nothing lost in the topic either: every name inserted and every email set appears in some event.
        recs = kcat_records(bootstrap, topic, timeout=120)
        afters = [json.loads(v)["payload"]["after"] for _, v in recs if v is not None]
        names = {a["name"] for a in afters if a}
        emails = {a["email"] for a in afters if a}
        missing_names = set(writer.names) - names
        missing_emails = set(writer.emails) - emails
        assert not missing_names and not missing_emails, (sorted(missing_names)[:10], sorted(missing_emails)[:10])
        stop(p)
        # The pool was really used (the snapshot does not fit in it) and never exceeded.
        assert (1 << 20) < peak["used"] <= (8 << 20), peak
    finally:
        sampling.set()
        writer.stop_flag.set()
        if p.poll() is None:
            p.kill()
