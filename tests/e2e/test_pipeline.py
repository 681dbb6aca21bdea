"""The seeds' pipeline end to end through one Sluice process: a MariaDB table (the `mariadb` fixture), the Debezium
MySQL connector with a RegexRouter to member-index, and the Elasticsearch sink into noida-db's Elasticsearch API
(the `es` fixture of test_es_sink.py; ELASTICSEARCH_URL for a real cluster)."""
import json

from connecthelpers import JSON_CONVERTER, Rest, console_consume, wait_for
from helpers import unique
from test_es_sink import ES_SINK, REGEX_ROUTER, es  # noqa: F401  (the `es` fixture)
from test_mysql_cdc import MYSQL, cdc_config

import pytest


def member_table(mariadb):
    db = unique("seed").replace("-", "_")
    mariadb.sql(f"""
        CREATE DATABASE {db} CHARACTER SET utf8mb4;
        USE {db};
        CREATE TABLE member (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          name VARCHAR(100) NOT NULL,
          email VARCHAR(255) NOT NULL,
          created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
        ) AUTO_INCREMENT=1;
        INSERT INTO member (name, email) VALUES ('홍길동', 'gildong@example.kr'), ('Sally', 'sally@example.com');
    """)
    return db


def test_seed_pipeline_mysql_to_member_index(connect, mariadb, es):
    """key.ignore=true and schema.ignore=true: one document per change; the Java console consumer reads the same
    topic."""
    db = member_table(mariadb)
    index = unique("member-index")
    rest = Rest(connect.rest_port)
    rest.create("mysql-source", cdc_config(mariadb, db, "mysql_cdc", **{
        "connector.class": MYSQL,
        "value.converter.schemas.enable": "false",
        "table.include.list": f"{db}.member",
        "transforms": "route",
        "transforms.route.type": REGEX_ROUTER,
        "transforms.route.regex": f"mysql_cdc\\.{db}\\.member",
        "transforms.route.replacement": index,
    }))
    rest.create("es-sink", {
        "connector.class": ES_SINK, "tasks.max": "1", "topics": index, "connection.url": es.url,
        "key.ignore": "true", "schema.ignore": "true",
        "value.converter": JSON_CONVERTER, "value.converter.schemas.enable": "false",
    })
    rest.wait_streaming("mysql-source")
    rest.wait_running("es-sink")
    mariadb.sql("INSERT INTO member (name, email) VALUES ('Ann', 'ann@example.com');"
                "UPDATE member SET email='sally@new.example.com' WHERE name='Sally';", db)
    # 2 snapshot reads + 1 insert + 1 update = 4 changes -> 4 documents (ids topic+partition+offset).
    wait_for(lambda: es.count(index) == 4, 90, f"4 documents in {index}")
    status, cat_text = es.request("GET", "/_cat/indices?v")
    assert status == 200 and index in cat_text, cat_text
    docs = es.docs(index)
    ops = sorted(d["payload"]["op"] if "payload" in d else d["op"] for d, _ in docs.values())
    assert ops == ["c", "r", "r", "u"], ops
    names = {(d.get("payload") or d)["after"]["name"] for d, _ in docs.values()}
    assert "홍길동" in names and "Ann" in names, names
    recs = console_consume(connect.bootstrap, index, 4)
    assert len(recs) == 4


def test_unwrapped_keyed_pipeline_keeps_the_index_equal_to_the_table(connect, mariadb, es):
    """Keys not ignored, ExtractNewRecordState + ExtractField$Key, tombstones as deletes: after inserts, updates and
    deletes the index holds exactly the table's rows."""
    db = member_table(mariadb)
    index = unique("members")
    rest = Rest(connect.rest_port)
    rest.create("src", cdc_config(mariadb, db, "seed", **{
        "database.server.id": "7402",
        "table.include.list": f"{db}.member",
        "transforms": "route",
        "transforms.route.type": REGEX_ROUTER,
        "transforms.route.regex": f"seed\\.{db}\\.member",
        "transforms.route.replacement": index,
    }))
    rest.create("sink", {
        "connector.class": ES_SINK, "tasks.max": "1", "topics": index, "connection.url": es.url,
        "key.ignore": "false", "schema.ignore": "true", "behavior.on.null.values": "delete",
        "key.converter": JSON_CONVERTER, "value.converter": JSON_CONVERTER,
        "transforms": "unwrap,key",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "transforms.key.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
        "transforms.key.field": "id",
    })
    rest.wait_streaming("src")
    rest.wait_running("sink")
    mariadb.sql("INSERT INTO member (name, email) VALUES ('Ann', 'ann@example.com'), ('Bob', 'bob@example.com');"
                "UPDATE member SET name='Sally S.' WHERE name='Sally';"
                "DELETE FROM member WHERE name='Bob';"
                "UPDATE member SET email='ann@new.example.com' WHERE name='Ann';", db)

    def table():
        return {r[0]: {"name": r[1], "email": r[2]} for r in mariadb.query("SELECT id, name, email FROM member", db)}

    def index_rows():
        return {i: {"name": d["name"], "email": d["email"]} for i, (d, _) in es.docs(index).items()}

    wait_for(lambda: index_rows() == table(), 90, "the index equal to the table")
    assert len(table()) == 3
