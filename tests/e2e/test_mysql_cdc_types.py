"""Golden values for every column type of the kit's `all_types` table (plus BIT(1), BIT(12), BINARY(4), DATETIME
without fsp, TIMESTAMP(0) NOT NULL DEFAULT CURRENT_TIMESTAMP, TIMESTAMP(6), Korean text in utf8mb4 and in euckr,
POINT, GEOMETRY), read once by the snapshot (`r`, rows 1-3 inserted before the connector starts) and once from the
binlog (`c`, the same values inserted afterwards as rows 11-13), under the default handling modes and each of
decimal.handling.mode=string/double, time.precision.mode=connect, binary.handling.mode=hex and
bigint.unsigned.handling.mode=precise. Then the event-content options: provide.transaction.metadata,
heartbeat.interval.ms, tombstones.on.delete=false, skipped.operations=none with TRUNCATE, message.key.columns and
column.exclude.list.

Every expected value below is derived from debezium.md §2 (type table), §1.6/§1.7 (payloads, transaction block),
§4.3/§4.4 (heartbeat and transaction topics) and §0.2 (JsonConverter encodings), computed here from the inserted
SQL values rather than copied from the connector's output. The server is MariaDB: its JSON type is LONGTEXT, so the
JSON column is the text as inserted on both paths (the §10.6 spacing difference concerns MySQL's binary JSON)."""
import base64
import datetime
import json
import struct
import time

import pytest

from connecthelpers import Rest, wait_for
from helpers import unique
from test_mysql_cdc_faults import cdc_config, end_offset, read_topic, wait_records


TABLE = """
CREATE TABLE all_types (
  id            INT NOT NULL PRIMARY KEY,
  c_tinyint     TINYINT,
  c_smallint    SMALLINT,
  c_mediumint   MEDIUMINT,
  c_int         INT,
  c_int_u       INT UNSIGNED,
  c_bigint      BIGINT,
  c_bigint_u    BIGINT UNSIGNED,
  c_decimal     DECIMAL(10,2),
  c_float       FLOAT,
  c_double      DOUBLE,
  c_varchar     VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  c_char        CHAR(10),
  c_text        TEXT,
  c_blob        BLOB,
  c_varbinary   VARBINARY(16),
  c_date        DATE,
  c_time        TIME(6),
  c_datetime    DATETIME(6),
  c_timestamp   TIMESTAMP(3) NULL DEFAULT NULL,
  c_year        YEAR,
  c_enum        ENUM('small','medium','large'),
  c_set         SET('a','b','c','d'),
  c_bit         BIT(5),
  c_json        JSON,
  c_bool        BOOL,
  c_bit1        BIT(1),
  c_bit12       BIT(12),
  c_binary      BINARY(4),
  c_datetime0   DATETIME,
  c_ts0         TIMESTAMP(0) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  c_ts6         TIMESTAMP(6) NULL DEFAULT NULL,
  c_ko_utf8     VARCHAR(50) CHARACTER SET utf8mb4,
  c_ko_euckr    VARCHAR(50) CHARACTER SET euckr,
  c_point       POINT,
  c_geom        GEOMETRY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
"""

KO = "홍길동 안녕하세요"
JSON_TEXT = '{"k":"값","n":[1,2,3],"nested":{"b":true},"f":1.5}'

# The kit's three rows (init.sql) with values for the added columns; {id} is filled in.
ROWS = [
    "({id}, 127, 32767, 8388607, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, "
    "12345678.90, 3.14, 2.718281828459045, '안녕하세요 세계 😀', 'fixed', 'long text 텍스트', X'DEADBEEF00FF', "
    "X'00010203', '2024-02-29', '12:34:56.789012', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05.678', 2024, "
    f"'medium', 'a,c', b'10101', '{JSON_TEXT}', TRUE, b'1', b'000100000011', X'0102', '2018-06-20 06:37:03', "
    f"'2018-06-20 13:37:03', '2024-01-02 03:04:05.120000', '{KO}', '{KO}', ST_PointFromText('POINT(1.5 2.5)'), "
    "ST_GeomFromText('LINESTRING(0 0,1 1)'))",
    "({id}, -128, -32768, -8388608, -2147483648, 0, -9223372036854775808, 0, "
    "-0.01, -1.5e-10, -1.7976931348623157e308, '', '', '', X'', X'', "
    "'1000-01-01', '-838:59:59.000000', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000', 1901, "
    "'small', '', b'00000', '[]', FALSE, b'0', b'000000000000', X'', '1970-01-01 00:00:00', "
    "'1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '', '', ST_PointFromText('POINT(0 0)'), "
    "ST_GeomFromText('POINT(-1 -2)'))",
    "({id}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "'2000-01-01 00:00:00', NULL, NULL, NULL, NULL, NULL)",
]

EPOCH = datetime.datetime(1970, 1, 1)
COLUMNS = [line.split()[0] for line in TABLE.splitlines()[2:] if line.strip().startswith(("id ", "c_"))]
TIMESTAMP_COLUMNS = ("c_timestamp", "c_ts0", "c_ts6")


def iso_minimal(text):
    """ISO_OFFSET_DATE_TIME rendering of a padded `...ss.fffZ`: the fraction without trailing zeros."""
    if "." not in text:
        return text
    head, frac = text[:-1].split(".")
    frac = frac.rstrip("0")
    return f"{head}.{frac}Z" if frac else f"{head}Z"


def b64(b):
    return base64.b64encode(b).decode()


def days(y, m, d):
    return (datetime.date(y, m, d) - datetime.date(1970, 1, 1)).days


def epoch_us(*a):
    d = datetime.datetime(*a) - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def decimal_bytes(unscaled):
    """Big-endian two's complement, minimal length (Java BigInteger.toByteArray)."""
    n = 1
    while not -(1 << (8 * n - 1)) <= unscaled < (1 << (8 * n - 1)):
        n += 1
    return unscaled.to_bytes(n, "big", signed=True)


def wkb_point(x, y):
    return struct.pack("<BIdd", 1, 1, x, y)


def wkb_linestring(pts):
    return struct.pack("<BII", 1, 2, len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)


def expected_default(id_):
    """§2.1 defaults (decimal=precise, time=adaptive_time_microseconds, bigint.unsigned=long, binary=bytes)."""
    r1 = {
        "c_tinyint": 127, "c_smallint": 32767, "c_mediumint": 8388607, "c_int": 2147483647,
        "c_int_u": 4294967295, "c_bigint": 9223372036854775807,
        "c_bigint_u": -1,                                    # long mode: 2^64-1 wraps
        "c_decimal": b64(decimal_bytes(1234567890)),         # scale 2
        "c_float": 3.14, "c_double": 2.718281828459045,
        "c_varchar": "안녕하세요 세계 😀", "c_char": "fixed", "c_text": "long text 텍스트",
        "c_blob": b64(bytes.fromhex("DEADBEEF00FF")), "c_varbinary": b64(bytes.fromhex("00010203")),
        "c_date": days(2024, 2, 29),
        "c_time": ((12 * 60 + 34) * 60 + 56) * 1_000_000 + 789012,
        "c_datetime": epoch_us(2024, 1, 2, 3, 4, 5, 678901),
        "c_timestamp": "2024-01-02T03:04:05.678Z",
        "c_year": 2024, "c_enum": "medium", "c_set": "a,c",
        "c_bit": b64(bytes([0b10101])),
        "c_json": JSON_TEXT,
        "c_bool": 1,                                         # tinyint(1) -> int16
        "c_bit1": True,
        "c_bit12": b64(bytes([0x03, 0x01])),                 # 0x103, little-endian
        "c_binary": b64(bytes([1, 2, 0, 0])),                # zero-padded to 4
        "c_datetime0": 1529476623000,                        # the reference's own example
        "c_ts0": "2018-06-20T13:37:03Z",
        "c_ts6": "2024-01-02T03:04:05.120000Z",              # fraction padded to fsp 6
        "c_ko_utf8": KO, "c_ko_euckr": KO,
        "c_point": {"x": 1.5, "y": 2.5, "wkb": b64(wkb_point(1.5, 2.5)), "srid": None},
        "c_geom": {"wkb": b64(wkb_linestring([(0, 0), (1, 1)])), "srid": None},
    }
    r2 = {
        "c_tinyint": -128, "c_smallint": -32768, "c_mediumint": -8388608, "c_int": -2147483648,
        "c_int_u": 0, "c_bigint": -9223372036854775808, "c_bigint_u": 0,
        "c_decimal": b64(decimal_bytes(-1)),
        "c_float": -1.5e-10, "c_double": -1.7976931348623157e308,
        "c_varchar": "", "c_char": "", "c_text": "", "c_blob": "", "c_varbinary": "",
        "c_date": days(1000, 1, 1),
        "c_time": -((838 * 60 + 59) * 60 + 59) * 1_000_000,
        "c_datetime": epoch_us(1000, 1, 1),
        "c_timestamp": "1970-01-01T00:00:01.000Z",
        "c_year": 1901, "c_enum": "small", "c_set": "",
        "c_bit": b64(b"\x00"), "c_json": "[]", "c_bool": 0, "c_bit1": False,
        "c_bit12": b64(b"\x00\x00"), "c_binary": b64(b"\x00" * 4), "c_datetime0": 0,
        "c_ts0": "1970-01-01T00:00:01Z", "c_ts6": "2038-01-19T03:14:07.999999Z",
        "c_ko_utf8": "", "c_ko_euckr": "",
        "c_point": {"x": 0.0, "y": 0.0, "wkb": b64(wkb_point(0, 0)), "srid": None},
        "c_geom": {"wkb": b64(wkb_point(-1, -2)), "srid": None},
    }
    r3 = {k: None for k in r1}
    r3["c_ts0"] = "2000-01-01T00:00:00Z"
    base = [r1, r2, r3][(id_ - 1) % 10]
    return {"id": id_, **base}


def field(name, type_, optional=True, **extra):
    d = {"type": type_, "optional": optional}
    d.update(extra)
    d["field"] = name
    return d


def named(name, type_, sname, params=None, optional=True, **extra):
    d = {"type": type_, "optional": optional, "name": sname, "version": 1}
    if params is not None:
        d["parameters"] = params
    d.update(extra)
    d["field"] = name
    return d


DECIMAL = "org.apache.kafka.connect.data.Decimal"
EXPECTED_SCHEMA = {
    "id": field("id", "int32", False),
    "c_tinyint": field("c_tinyint", "int16"),
    "c_smallint": field("c_smallint", "int16"),
    "c_mediumint": field("c_mediumint", "int32"),
    "c_int": field("c_int", "int32"),
    "c_int_u": field("c_int_u", "int64"),
    "c_bigint": field("c_bigint", "int64"),
    "c_bigint_u": field("c_bigint_u", "int64"),
    "c_decimal": named("c_decimal", "bytes", DECIMAL, {"scale": "2", "connect.decimal.precision": "10"}),
    "c_float": field("c_float", "float"),
    "c_double": field("c_double", "double"),
    "c_varchar": field("c_varchar", "string"),
    "c_char": field("c_char", "string"),
    "c_text": field("c_text", "string"),
    "c_blob": field("c_blob", "bytes"),
    "c_varbinary": field("c_varbinary", "bytes"),
    "c_date": named("c_date", "int32", "io.debezium.time.Date"),
    "c_time": named("c_time", "int64", "io.debezium.time.MicroTime"),
    "c_datetime": named("c_datetime", "int64", "io.debezium.time.MicroTimestamp"),
    "c_timestamp": named("c_timestamp", "string", "io.debezium.time.ZonedTimestamp"),
    "c_year": named("c_year", "int32", "io.debezium.time.Year"),
    "c_enum": named("c_enum", "string", "io.debezium.data.Enum", {"allowed": "small,medium,large"}),
    "c_set": named("c_set", "string", "io.debezium.data.EnumSet", {"allowed": "a,b,c,d"}),
    "c_bit": named("c_bit", "bytes", "io.debezium.data.Bits", {"length": "5"}),
    "c_bool": field("c_bool", "int16"),
    "c_bit1": field("c_bit1", "boolean"),
    "c_bit12": named("c_bit12", "bytes", "io.debezium.data.Bits", {"length": "12"}),
    "c_binary": field("c_binary", "bytes"),
    "c_datetime0": named("c_datetime0", "int64", "io.debezium.time.Timestamp"),
    "c_ts0": named("c_ts0", "string", "io.debezium.time.ZonedTimestamp", optional=False,
                   default="1970-01-01T00:00:00Z"),
    "c_ts6": named("c_ts6", "string", "io.debezium.time.ZonedTimestamp"),
    "c_ko_utf8": field("c_ko_utf8", "string"),
    "c_ko_euckr": field("c_ko_euckr", "string"),
    "c_point": {"type": "struct", "fields": [field("x", "double", False), field("y", "double", False),
                                             field("wkb", "bytes"), field("srid", "int32")],
                "optional": True, "name": "io.debezium.data.geometry.Point", "version": 1,
                "doc": "Geometry (POINT)", "field": "c_point"},
    "c_geom": {"type": "struct", "fields": [field("wkb", "bytes", False), field("srid", "int32")],
               "optional": True, "name": "io.debezium.data.geometry.Geometry", "version": 1, "doc": "Geometry",
               "field": "c_geom"},
}


@pytest.fixture
def types_db(mariadb):
    db = unique("types").replace("-", "_")
    mariadb.sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; USE {db}; {TABLE}")
    mariadb.sql("".join("INSERT INTO all_types VALUES " + r.replace("{id}", str(i + 1)) + ";\n" for i, r in enumerate(ROWS)), db)
    got = mariadb.query("SELECT HEX(c_ko_euckr), HEX(c_ko_utf8) FROM all_types WHERE id = 1", db)
    assert got == [[KO.encode("euc-kr").hex().upper(), KO.encode("utf-8").hex().upper()]], \
        "the server stored the Korean text in each column's charset"
    return db


MODES = {
    "default": {},
    "decimal_string": {"decimal.handling.mode": "string"},
    "decimal_double": {"decimal.handling.mode": "double"},
    "time_connect": {"time.precision.mode": "connect"},
    "binary_hex": {"binary.handling.mode": "hex"},
    "bigint_precise": {"bigint.unsigned.handling.mode": "precise"},
}


def adjust(mode, row, schema):
    """Expected payload and schema fields under `mode` (debezium.md §2.2-§2.4), from the defaults."""
    row, schema = dict(row), dict(schema)
    if mode == "decimal_string":
        row["c_decimal"] = {1: "12345678.90", 2: "-0.01"}.get(row["id"] % 10)
        schema["c_decimal"] = field("c_decimal", "string")
    elif mode == "decimal_double":
        row["c_decimal"] = {1: 12345678.9, 2: -0.01}.get(row["id"] % 10)
        schema["c_decimal"] = field("c_decimal", "double")
    elif mode == "time_connect":
        n = row["id"] % 10
        row["c_time"] = {1: ((12 * 60 + 34) * 60 + 56) * 1000 + 789}.get(n)  # int32 ms of day
        row["c_datetime"] = {1: epoch_us(2024, 1, 2, 3, 4, 5, 678901) // 1000,
                             2: epoch_us(1000, 1, 1) // 1000}.get(n)           # epoch ms, truncated
        schema["c_date"] = named("c_date", "int32", "org.apache.kafka.connect.data.Date")
        schema["c_time"] = named("c_time", "int32", "org.apache.kafka.connect.data.Time")
        schema["c_datetime"] = named("c_datetime", "int64", "org.apache.kafka.connect.data.Timestamp")
        schema["c_datetime0"] = named("c_datetime0", "int64", "org.apache.kafka.connect.data.Timestamp")
    elif mode == "binary_hex":
        for c in ("c_blob", "c_varbinary", "c_binary"):
            if row[c] is not None:
                row[c] = base64.b64decode(row[c]).hex()
            schema[c] = field(c, "string")
    elif mode == "bigint_precise":
        row["c_bigint_u"] = {1: b64(decimal_bytes(2 ** 64 - 1)), 2: b64(decimal_bytes(0))}.get(row["id"] % 10)
        schema["c_bigint_u"] = named("c_bigint_u", "bytes", DECIMAL, {"scale": "0", "connect.decimal.precision": "20"})
    return row, schema


def compare_row(after, expected, where, hex_mode=False):
    problems = []
    for k, v in expected.items():
        got = after.get(k, "<missing>")
        if hex_mode and isinstance(v, str) and isinstance(got, str) and k in ("c_blob", "c_varbinary", "c_binary"):
            got = got.lower()   # the reference says "hex (base16)" without a case
        if isinstance(v, dict) and isinstance(got, dict) and v.get("srid", 1) is None and got.get("srid") == 0:
            got = dict(got, srid=None)   # an SRID of 0 read as "no SRID" either way (not pinned by the reference)
        if got != v or type(got) is not type(v):
            problems.append(f"{k}: expected {v!r}, got {got!r}")
    extra = set(after) - set(expected)
    if extra:
        problems.append(f"unexpected fields {sorted(extra)}")
    return [f"{where}: {p}" for p in problems]


@pytest.mark.parametrize("mode", list(MODES))
def test_all_types_snapshot_and_streaming(connect, mariadb, types_db, mode):
    db = types_db
    prefix = unique(f"ty-{mode.replace('_', '-')}")
    rest = Rest(connect.rest_port)
    rest.create("types", cdc_config(mariadb, db, prefix, **MODES[mode]))
    rest.wait_running("types")
    topic = f"{prefix}.{db}.all_types"
    wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 3, what="the snapshot")
    mariadb.sql("".join("INSERT INTO all_types VALUES " + r.replace("{id}", str(i + 11)) + ";\n" for i, r in enumerate(ROWS)), db)
    recs = wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 6, what="the streamed rows")
    assert len(recs) == 6
    assert [(r.value["payload"]["op"], r.key["payload"]["id"]) for r in recs] == \
        [("r", 1), ("r", 2), ("r", 3), ("c", 11), ("c", 12), ("c", 13)]

    problems = []
    for r in recs:
        p = r.value["payload"]
        exp_row, exp_schema = adjust(mode, expected_default(p["after"]["id"]), EXPECTED_SCHEMA)
        if p["op"] == "r":
            # The snapshot reads TIMESTAMP as java.sql.Timestamp: ZonedTimestamp.toIsoString(java.util.Date) uses
            # ISO_OFFSET_DATE_TIME (fraction without trailing zeros); only the binlog path's ZonedDateTime is
            # padded to the column's fsp (§2.1). This is the padding difference between the two paths.
            for c in TIMESTAMP_COLUMNS:
                if exp_row.get(c):
                    exp_row[c] = iso_minimal(exp_row[c])
        if mode == "time_connect" and p["after"]["id"] % 10 == 2:
            # -838:59:59 has no Connect Time (ms of one day) value: not pinned here.
            exp_row.pop("c_time")
            p["after"].pop("c_time", None)
        where = f"{p['op']} id={p['after']['id']}"
        problems += compare_row(p["after"], exp_row, where, hex_mode=(mode == "binary_hex"))
        fields = r.value["schema"]["fields"][1]["fields"]
        got_schema = {f["field"]: f for f in fields}
        want = COLUMNS
        if [f["field"] for f in fields] != want:
            problems.append(f"{where}: column order {[f['field'] for f in fields]}")
        for name, s in exp_schema.items():
            if name == "c_json":
                continue
            if got_schema.get(name) != s:
                problems.append(f"{where}: schema of {name}: expected {s}, got {got_schema.get(name)}")
            elif list(got_schema[name]) != list(s):
                problems.append(f"{where}: key order of {name}'s schema: {list(got_schema[name])}")
        assert got_schema["c_json"]["type"] == "string"
    # Snapshot and binlog agree (MariaDB: no JSON spacing difference, TIMESTAMP fractions padded on both paths).
    for a, b in ((0, 3), (1, 4), (2, 5)):
        ra = dict(recs[a].value["payload"]["after"], id=None)
        rb = dict(recs[b].value["payload"]["after"], id=None)
        for c in TIMESTAMP_COLUMNS:   # same instant, fraction written differently (see above)
            if rb.get(c):
                rb[c] = iso_minimal(rb[c])
        diff = {k: (ra[k], rb.get(k)) for k in ra if ra[k] != rb.get(k)}
        if diff:
            problems.append(f"snapshot row {a + 1} and streamed row {b + 8} differ: {diff}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------------
# Event content options on a small table.

def small_db(mariadb, extra=""):
    db = unique("opts").replace("-", "_")
    mariadb.sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4; USE {db};"
                "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20), secret VARCHAR(20));"
                "CREATE TABLE other (id INT NOT NULL PRIMARY KEY);"
                "INSERT INTO t VALUES (1, 'one', 's1');" + extra)
    return db


def test_transaction_metadata(connect, mariadb):
    db = small_db(mariadb)
    prefix = unique("txm")
    rest = Rest(connect.rest_port)
    rest.create("txm", cdc_config(mariadb, db, prefix, **{"provide.transaction.metadata": "true"}))
    rest.wait_running("txm")
    topic = f"{prefix}.{db}.t"
    wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 1)
    mariadb.sql("BEGIN; INSERT INTO t VALUES (2, 'two', 's2'); INSERT INTO other VALUES (1); "
                "UPDATE t SET v = 'uno' WHERE id = 1; COMMIT;", db)
    gtid = mariadb.query("SELECT @@gtid_binlog_pos")[0][0]
    t_recs = wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 3)
    o_recs = wait_records(connect.bootstrap, f"{prefix}.{db}.other", lambda rs: len(rs) >= 1)
    assert t_recs[0].value["payload"]["transaction"] is None, "snapshot events carry no transaction block"
    blocks = [r.value["payload"]["transaction"] for r in (t_recs[1], o_recs[0], t_recs[2])]
    assert blocks == [{"id": gtid, "total_order": 1, "data_collection_order": 1},
                      {"id": gtid, "total_order": 2, "data_collection_order": 1},
                      {"id": gtid, "total_order": 3, "data_collection_order": 2}], blocks
    block_schema = t_recs[1].value["schema"]["fields"][3]
    assert block_schema == {"type": "struct", "fields": [field("id", "string", False),
                                                         field("total_order", "int64", False),
                                                         field("data_collection_order", "int64", False)],
                            "optional": True, "name": "event.block", "version": 1, "field": "transaction"}
    txt = wait_records(connect.bootstrap, f"{prefix}.transaction",
                       lambda rs: any(r.value["payload"]["id"] == gtid and r.value["payload"]["status"] == "END"
                                      for r in rs))
    mine = [r for r in txt if r.value["payload"]["id"] == gtid]
    assert [r.value["payload"]["status"] for r in mine] == ["BEGIN", "END"]
    begin, end = mine[0].value, mine[1].value
    assert mine[0].key == {"schema": {"type": "struct", "fields": [field("id", "string", False)], "optional": False,
                                      "name": "io.debezium.connector.common.TransactionMetadataKey", "version": 1},
                           "payload": {"id": gtid}}
    assert begin["schema"] == {"type": "struct", "fields": [
        field("status", "string", False), field("id", "string", False), field("event_count", "int64"),
        {"type": "array", "items": {"type": "struct", "fields": [field("data_collection", "string", False),
                                                                 field("event_count", "int64", False)],
                                    "optional": True, "name": "event.collection", "version": 1},
         "optional": True, "field": "data_collections"},
        field("ts_ms", "int64", False)], "optional": False,
        "name": "io.debezium.connector.common.TransactionMetadataValue", "version": 1}
    assert {k: v for k, v in begin["payload"].items() if k != "ts_ms"} == \
        {"status": "BEGIN", "id": gtid, "event_count": None, "data_collections": None}
    assert end["payload"]["event_count"] == 3
    assert sorted(end["payload"]["data_collections"], key=lambda d: d["data_collection"]) == \
        sorted([{"data_collection": f"{db}.t", "event_count": 2}, {"data_collection": f"{db}.other", "event_count": 1}],
               key=lambda d: d["data_collection"])
    assert end["payload"]["ts_ms"] % 1000 == 0 and abs(end["payload"]["ts_ms"] / 1000 - time.time()) < 120, \
        "ts_ms = the DB event time (binlog header seconds)"
    assert set(list(begin["payload"])) == {"status", "id", "event_count", "data_collections", "ts_ms"}


def test_heartbeats(connect, mariadb):
    """Heartbeat records on __debezium-heartbeat.<prefix> (partition 0, §4.3), and they move the committed offset
    while only a table that is not captured changes."""
    db = small_db(mariadb)
    other_db = unique("hbother").replace("-", "_")
    mariadb.sql(f"CREATE DATABASE {other_db}; CREATE TABLE {other_db}.x (id INT PRIMARY KEY);")
    prefix = unique("hb")
    rest = Rest(connect.rest_port)
    rest.create("hb", cdc_config(mariadb, db, prefix, **{"heartbeat.interval.ms": "300"}))
    rest.wait_running("hb")
    wait_records(connect.bootstrap, f"{prefix}.{db}.t", lambda rs: len(rs) >= 1)
    time.sleep(2)
    mariadb.sql(f"INSERT INTO {other_db}.x VALUES (1)")
    target = mariadb.query("SELECT @@gtid_binlog_pos")[0][0]
    hb_topic = f"__debezium-heartbeat.{prefix}"
    recs = wait_records(connect.bootstrap, hb_topic, lambda rs: len(rs) >= 3, what="heartbeats")
    assert {r.partition for r in recs} == {0}
    for r in recs:
        assert r.key == {"schema": {"type": "struct", "fields": [field("serverName", "string", False)],
                                    "optional": False, "name": "io.debezium.connector.common.ServerNameKey",
                                    "version": 1}, "payload": {"serverName": prefix}}
        assert r.value["schema"] == {"type": "struct", "fields": [field("ts_ms", "int64", False)], "optional": False,
                                     "name": "io.debezium.connector.common.Heartbeat", "version": 1}
        assert list(r.value["payload"]) == ["ts_ms"] and abs(r.value["payload"]["ts_ms"] / 1000 - time.time()) < 120

    def offset_reached():
        offs = rest.get("/connectors/hb/offsets").json()["offsets"]
        return offs and offs[0]["offset"].get("gtids") == target
    wait_for(offset_reached, 30, f"the committed offset to reach {target} through heartbeats")
    assert end_offset(connect.bootstrap, f"{prefix}.{other_db}.x") == 0, "the other database is not captured"


def test_tombstones_on_delete_false(connect, mariadb):
    db = small_db(mariadb)
    prefix = unique("notomb")
    rest = Rest(connect.rest_port)
    rest.create("notomb", cdc_config(mariadb, db, prefix, **{"tombstones.on.delete": "false"}))
    rest.wait_running("notomb")
    topic = f"{prefix}.{db}.t"
    wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 1)
    mariadb.sql("DELETE FROM t WHERE id = 1; INSERT INTO t VALUES (9, 'sentinel', NULL);", db)
    recs = wait_records(connect.bootstrap, topic,
                        lambda rs: any(r.value and r.value["payload"]["op"] == "c" for r in rs))
    assert [(r.value["payload"]["op"] if r.value else None) for r in recs] == ["r", "d", "c"]
    assert recs[1].key["payload"] == {"id": 1} and recs[1].value["payload"]["before"]["id"] == 1


def test_truncate_events(connect, mariadb):
    """skipped.operations=none: TRUNCATE gives an op `t` record with a null key, before/after null (§1.6); the
    default (skipped.operations=t) gives none."""
    db = small_db(mariadb)
    rest = Rest(connect.rest_port)
    p_none, p_default = unique("trunc"), unique("truncdef")
    rest.create("trunc", cdc_config(mariadb, db, p_none, **{"skipped.operations": "none"}))
    rest.create("truncdef", cdc_config(mariadb, db, p_default))
    rest.wait_running("trunc")
    rest.wait_running("truncdef")
    for p in (p_none, p_default):
        wait_records(connect.bootstrap, f"{p}.{db}.t", lambda rs: len(rs) >= 1)
    mariadb.sql("TRUNCATE TABLE t; INSERT INTO t VALUES (9, 'sentinel', NULL);", db)
    sentinel = lambda rs: any(r.value and r.value["payload"]["op"] == "c" for r in rs)  # noqa: E731
    recs = wait_records(connect.bootstrap, f"{p_none}.{db}.t", sentinel)
    assert [r.value["payload"]["op"] for r in recs] == ["r", "t", "c"]
    t = recs[1]
    assert t.key is None, "truncate records have a null key"
    p = t.value["payload"]
    assert p["before"] is None and p["after"] is None and p["transaction"] is None
    assert p["source"]["table"] == "t" and p["source"]["db"] == db and p["source"]["snapshot"] == "false"
    assert t.value["schema"]["name"] == f"{p_none}.{db}.t.Envelope"
    recs = wait_records(connect.bootstrap, f"{p_default}.{db}.t", sentinel)
    assert [r.value["payload"]["op"] for r in recs] == ["r", "c"]


def test_message_key_columns_and_column_exclude_list(connect, mariadb):
    db = small_db(mariadb, "CREATE TABLE nokey (a INT NOT NULL, b VARCHAR(10)); INSERT INTO nokey VALUES (1, 'x');")
    prefix = unique("mkc")
    rest = Rest(connect.rest_port)
    rest.create("mkc", cdc_config(mariadb, db, prefix, **{
        "message.key.columns": f"{db}.t:v,id;{db}.nokey:b",
        "column.exclude.list": f"{db}.t.secret",
    }))
    rest.wait_streaming("mkc")
    mariadb.sql("INSERT INTO t VALUES (2, 'two', 's2'); INSERT INTO nokey VALUES (2, 'y');", db)
    topic = f"{prefix}.{db}.t"
    recs = wait_records(connect.bootstrap, topic, lambda rs: len(rs) >= 2)
    # Key columns in the listed order: Debezium's Key.CustomKeyMapper (2.x/3.x) adds, per listed column pattern,
    # the table's matching columns.
    key_schema = {"type": "struct", "fields": [field("v", "string"), field("id", "int32", False)],
                  "optional": False, "name": f"{topic}.Key"}
    assert [r.key for r in recs] == [{"schema": key_schema, "payload": {"v": "one", "id": 1}},
                                     {"schema": key_schema, "payload": {"v": "two", "id": 2}}]
    assert [list(r.key["payload"]) for r in recs] == [["v", "id"]] * 2
    assert [r.value["payload"]["after"] for r in recs] == [{"id": 1, "v": "one"}, {"id": 2, "v": "two"}]
    assert [f["field"] for f in recs[0].value["schema"]["fields"][1]["fields"]] == ["id", "v"]
    ntopic = f"{prefix}.{db}.nokey"
    nk = wait_records(connect.bootstrap, ntopic, lambda rs: len(rs) >= 2)
    assert [r.key for r in nk] == [{"schema": {"type": "struct", "fields": [field("b", "string")], "optional": False,
                                               "name": f"{ntopic}.Key"}, "payload": {"b": b}} for b in ("x", "y")]
