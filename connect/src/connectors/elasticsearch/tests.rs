//! Unit tests: configuration and validation, ids and versions, conversion (golden JSON),
//! mappings, NDJSON bytes, item classification, and the task against an in-process fake
//! Elasticsearch (413 splitting, retries, ordering, offsets, failure after max.retries).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bigdecimal::BigDecimal;
use parking_lot::Mutex;
use serde_json::{json, Value as Json};

use super::bulk::{self, Item};
use super::config::{self, EsConfig};
use super::convert::{self, Action, Converted, OpKind};
use super::mapping;
use super::task::ElasticsearchSinkTask;
use crate::config::ConfigMap;
use crate::connectors::{Connector, SinkTask, SinkTaskContext, TopicPartition};
use crate::data::{schemas, ConnectRecord, Header, Schema, SchemaRef, Struct, Type, Value};

fn props(pairs: &[(&str, &str)]) -> ConfigMap {
    let mut m = ConfigMap::new();
    m.insert("connection.url".into(), "http://localhost:9200".into());
    for (k, v) in pairs {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

fn cfg(pairs: &[(&str, &str)]) -> EsConfig {
    EsConfig::parse(&props(pairs)).expect("valid config")
}

fn rec(topic: &str, offset: i64, key: Value, value: Value) -> ConnectRecord {
    let mut r = ConnectRecord::new(topic, None, key, None, value);
    r.kafka_partition = Some(0);
    r.kafka_offset = Some(offset);
    r
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
            .collect(),
    )
}

fn action(c: Converted) -> Action {
    match c {
        Converted::Action(a) => a,
        Converted::Skip(w) => panic!("skipped: {w}"),
    }
}

fn body(a: &Action) -> String {
    String::from_utf8(a.source.clone().unwrap()).unwrap()
}

// ---------------------------------------------------------------- config and validation

#[test]
fn defaults_match_the_reference() {
    let c = cfg(&[]);
    assert_eq!(c.batch_size, 2000);
    assert_eq!(c.bulk_size_bytes, Some(5_242_880));
    assert_eq!(c.max_in_flight, 5);
    assert_eq!(c.max_buffered_records, 20000);
    assert_eq!(c.linger_ms, 1);
    assert_eq!(c.flush_timeout_ms, 180_000);
    assert_eq!(c.max_retries, 5);
    assert_eq!(c.retry_backoff_ms, 100);
    assert_eq!(c.connection_timeout_ms, 1000);
    assert_eq!(c.read_timeout_ms, 3000);
    assert_eq!(c.null_values, config::NullValues::Fail);
    assert_eq!(c.malformed, config::Malformed::Fail);
    assert_eq!(c.write_method, config::WriteMethod::Insert);
    assert!(c.compact_map_entries && !c.key_ignore && !c.schema_ignore && !c.ssl);
    assert_eq!(cfg(&[("bulk.size.bytes", "-1")]).bulk_size_bytes, None);
    // Case-insensitive enums.
    assert_eq!(
        cfg(&[("behavior.on.null.values", "delete")]).null_values,
        config::NullValues::Delete
    );
}

fn errors_of(values: &[crate::config::ConfigValue], key: &str) -> Vec<String> {
    values
        .iter()
        .find(|v| v.name == key)
        .map(|v| v.errors.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn single_key_validation() {
    let c = super::ElasticsearchSinkConnector::default();
    let mut p = props(&[("batch.size", "0"), ("write.method", "merge")]);
    p.shift_remove("connection.url");
    let v = c.validate(&p).await;
    assert_eq!(
        errors_of(&v, "connection.url"),
        vec!["Missing required configuration \"connection.url\" which has no default value."]
    );
    assert_eq!(
        errors_of(&v, "batch.size"),
        vec!["Invalid value 0 for configuration batch.size: Value must be no less than 1"]
    );
    assert_eq!(
        errors_of(&v, "write.method"),
        vec!["Invalid value merge for configuration write.method: String must be one of (case insensitive): INSERT, UPSERT"]
    );
    let v = c.validate(&props(&[("connection.url", "ftp://x")])).await;
    assert!(errors_of(&v, "connection.url")[0].contains("not a valid url"));
}

#[tokio::test]
async fn topic_index_map_points_to_regex_router() {
    let c = super::ElasticsearchSinkConnector::default();
    let v = c
        .validate(&props(&[(
            "topic.index.map",
            "mysql.db.members:member-index",
        )]))
        .await;
    let e = errors_of(&v, "topic.index.map");
    assert_eq!(e.len(), 1, "{v:?}");
    assert!(e[0].contains("RegexRouter"), "{}", e[0]);
    assert!(
        e[0].contains("\"transforms.route.regex\":\"mysql\\.db\\.members\""),
        "{}",
        e[0]
    );
    assert!(
        e[0].contains("\"transforms.route.replacement\":\"member-index\""),
        "{}",
        e[0]
    );
}

#[test]
fn cross_key_rules() {
    let check = |pairs: &[(&str, &str)]| {
        let p = props(pairs);
        config::cross_checks(&EsConfig::parse(&p).unwrap(), &p)
    };
    let e = check(&[("connection.username", "u")]);
    assert_eq!(e.len(), 2);
    assert_eq!(
        e[0].1,
        "Both 'connection.username' and 'connection.password' must be set."
    );
    let e = check(&[("key.ignore", "true"), ("topic.key.ignore", "a")]);
    assert_eq!(
        e[0].1,
        "'topic.key.ignore' can not be set if 'key.ignore' is true."
    );
    let e = check(&[("linger.ms", "200000")]);
    assert!(e[0].1.contains("can not be larger than 'flush.timeout.ms'"));
    let e = check(&[("max.buffered.records", "100")]);
    assert_eq!(
        e[0].1,
        "'max.buffered.records' (100) must be larger than or equal to 'batch.size' (2000) multiplied by 'max.in.flight.requests' (5)."
    );
    let e = check(&[("data.stream.type", "logs")]);
    assert_eq!(e[0].0, "data.stream.type");
    let e = check(&[
        ("data.stream.type", "logs"),
        ("data.stream.dataset", "app"),
        ("write.method", "upsert"),
    ]);
    assert_eq!(e[0].0, "write.method");
    let e = check(&[("data.stream.timestamp.field", "ts")]);
    assert_eq!(e[0].0, "data.stream.timestamp.field");
    let e = check(&[
        ("use.autogenerated.ids", "true"),
        ("write.method", "upsert"),
    ]);
    assert_eq!(e[0].0, "use.autogenerated.ids");
    let e = check(&[("external.resource.usage", "INDEX")]);
    assert_eq!(e[0].0, "external.resource.usage");
    let e = check(&[
        ("external.resource.usage", "INDEX"),
        ("topic.to.external.resource.mapping", "a:idx-a"),
        ("topics", "a,b"),
    ]);
    assert!(e[0].1.contains("Topic 'b' is not mapped"), "{e:?}");
    let e = check(&[("kerberos.user.principal", "me")]);
    assert_eq!(e[0].0, "kerberos.user.principal");
    let e = check(&[("proxy.host", "proxy")]);
    assert_eq!(e[0].0, "proxy.host");
    let e = check(&[("elastic.https.ssl.truststore.location", "/x.pem")]);
    assert_eq!(e[0].0, "elastic.security.protocol");
    let e = check(&[
        ("elastic.security.protocol", "SSL"),
        ("connection.url", "https://es:9200"),
        ("elastic.https.ssl.truststore.location", "/nonexistent.pem"),
    ]);
    assert_eq!(e[0].0, "elastic.https.ssl.truststore.location", "{e:?}");
    assert!(check(&[]).is_empty());
}

#[tokio::test]
async fn validation_pings_elasticsearch() {
    let c = super::ElasticsearchSinkConnector::default();
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let v = c.validate(&props(&[("connection.url", &url)])).await;
    let e = errors_of(&v, "connection.url");
    assert!(
        e[0].starts_with("Could not connect to Elasticsearch. Error message:"),
        "{e:?}"
    );

    let es = FakeEs::start().await;
    let v = c.validate(&props(&[("connection.url", &es.url)])).await;
    assert!(v.iter().all(|v| v.errors.is_empty()), "{v:?}");
    es.state.lock().version = "6.8.0".into();
    let v = c.validate(&props(&[("connection.url", &es.url)])).await;
    assert!(errors_of(&v, "connection.url")[0].contains("7.0.0 or later"));
    es.state.lock().version = "8.15.0".into();
    es.state.lock().require_auth = Some("Basic dTpw".into());
    let v = c.validate(&props(&[("connection.url", &es.url)])).await;
    assert!(errors_of(&v, "connection.username")[0].contains("Could not authenticate"));
    let v = c
        .validate(&props(&[
            ("connection.url", &es.url),
            ("connection.username", "u"),
            ("connection.password", "p"),
        ]))
        .await;
    assert!(v.iter().all(|v| v.errors.is_empty()), "{v:?}");
}

// ---------------------------------------------------------------- ids, versions, naming

#[test]
fn index_names() {
    assert_eq!(
        convert::index_for_topic("MySQL.Inventory"),
        "mysql.inventory"
    );
    assert_eq!(convert::index_for_topic("_private"), "private");
    assert_eq!(convert::index_for_topic("."), "dot");
    assert_eq!(convert::index_for_topic(".."), "dotdot");
    assert_eq!(convert::index_for_topic(&"a".repeat(300)).len(), 255);
    let c = cfg(&[("data.stream.type", "LOGS"), ("data.stream.dataset", "app")]);
    assert_eq!(
        convert::resource_name(&c, "Orders").unwrap(),
        "logs-app-orders"
    );
    let c = cfg(&[
        ("external.resource.usage", "ALIAS_INDEX"),
        ("topic.to.external.resource.mapping", "orders:orders-alias"),
    ]);
    assert_eq!(
        convert::resource_name(&c, "orders").unwrap(),
        "orders-alias"
    );
    assert!(convert::resource_name(&c, "other").is_err());
}

#[test]
fn ids_and_versions() {
    let c = cfg(&[("key.ignore", "true")]);
    let a = action(convert::convert(&c, &rec("Members", 7, Value::Null, map(&[]))).unwrap());
    assert_eq!(a.id.as_deref(), Some("Members+0+7"));
    assert_eq!(a.version, None);
    assert_eq!(a.index, "members");
    assert_eq!(a.kind, OpKind::Index);

    let c = cfg(&[]);
    let a = action(convert::convert(&c, &rec("t", 42, Value::Int64(5), map(&[]))).unwrap());
    assert_eq!((a.id.as_deref(), a.version), (Some("5"), Some(42)));
    let a =
        action(convert::convert(&c, &rec("t", 1, Value::String("k-1".into()), map(&[]))).unwrap());
    assert_eq!(a.id.as_deref(), Some("k-1"));
    let e = convert::convert(&c, &rec("t", 1, Value::Null, map(&[]))).unwrap_err();
    assert_eq!(e, "Key is used as document id and can not be null.");
    let e =
        convert::convert(&c, &rec("t", 1, map(&[("id", Value::Int64(1))]), map(&[]))).unwrap_err();
    assert_eq!(e, "MAP is not supported as the document id.");
    let mut r = rec("t", 1, Value::Null, map(&[]));
    r.key_schema = Some(Schema::struct_().field("id", schemas::int32()).build());
    r.key = Value::Struct(Struct::new(r.key_schema.clone().unwrap()).with("id", Value::Int32(1)));
    assert_eq!(
        convert::convert(&c, &r).unwrap_err(),
        "STRUCT is not supported as the document id."
    );

    // topic.key.ignore and autogenerated ids.
    let c = cfg(&[("topic.key.ignore", "t")]);
    let a = action(convert::convert(&c, &rec("t", 3, Value::Null, map(&[]))).unwrap());
    assert_eq!((a.id.as_deref(), a.version), (Some("t+0+3"), None));
    let c = cfg(&[("use.autogenerated.ids", "true")]);
    let a = action(convert::convert(&c, &rec("t", 3, Value::Null, map(&[]))).unwrap());
    assert_eq!((a.id.as_deref(), a.version), (None, None));

    // External version from a header.
    let c = cfg(&[("external.version.header", "v")]);
    let mut r = rec("t", 3, Value::Int64(1), map(&[]));
    r.headers.push(Header {
        key: "v".into(),
        schema: None,
        value: Value::String("1700".into()),
    });
    assert_eq!(
        action(convert::convert(&c, &r).unwrap()).version,
        Some(1700)
    );
    r.headers[0].value = Value::String("x".into());
    assert!(convert::convert(&c, &r)
        .unwrap_err()
        .contains("is not a number"));
}

#[test]
fn null_values_and_upserts() {
    let tomb = rec("t", 9, Value::Int64(4), Value::Null);
    let e = convert::convert(&cfg(&[]), &tomb).unwrap_err();
    assert_eq!(e, "record from topic=t partition=0 offset=9 has a null value (to ignore future records like this change the configuration property 'behavior.on.null.values' from 'FAIL' to 'IGNORE')");
    assert!(matches!(
        convert::convert(&cfg(&[("behavior.on.null.values", "ignore")]), &tomb).unwrap(),
        Converted::Skip(_)
    ));
    let c = cfg(&[("behavior.on.null.values", "delete")]);
    let a = action(convert::convert(&c, &tomb).unwrap());
    assert_eq!(
        (a.kind, a.id.as_deref(), a.version, a.source.is_none()),
        (OpKind::Delete, Some("4"), Some(9), true)
    );
    assert!(matches!(
        convert::convert(&c, &rec("t", 1, Value::Null, Value::Null)).unwrap(),
        Converted::Skip(_)
    ));
    let c = cfg(&[("write.method", "upsert"), ("schema.ignore", "true")]);
    let a = action(
        convert::convert(
            &c,
            &rec("t", 1, Value::Int64(4), map(&[("a", Value::Int64(1))])),
        )
        .unwrap(),
    );
    assert_eq!(a.kind, OpKind::Update);
    assert_eq!(a.retry_on_conflict, Some(5));
    assert_eq!(a.version, None);
    assert_eq!(body(&a), r#"{"doc":{"a":1},"upsert":{"a":1}}"#);
}

// ---------------------------------------------------------------- conversion (golden JSON)

fn debezium_record() -> ConnectRecord {
    let row = Schema::struct_()
        .field("id", schemas::int32())
        .field("name", schemas::optional_string())
        .field("balance", Schema::decimal(2).optional().build())
        .field("joined", Schema::date().optional().build())
        .named("mysql.db.members.Value")
        .optional()
        .build();
    let source = Schema::struct_()
        .field("connector", schemas::string())
        .field("db", schemas::string())
        .field("table", schemas::optional_string())
        .named("io.debezium.connector.mysql.Source")
        .build();
    let envelope = Schema::struct_()
        .field("before", row.clone())
        .field("after", row.clone())
        .field("source", source.clone())
        .field("op", schemas::string())
        .field("ts_ms", Schema::new(Type::Int64).optional().build())
        .named("mysql.db.members.Envelope")
        .version(2)
        .build();
    let after = Struct::new(row)
        .with("id", Value::Int32(1))
        .with("name", Value::String("Ann".into()))
        .with(
            "balance",
            Value::Decimal(BigDecimal::from_str("12.34").unwrap()),
        )
        .with("joined", Value::Int32(19700));
    let src = Struct::new(source)
        .with("connector", Value::String("mysql".into()))
        .with("db", Value::String("db".into()))
        .with("table", Value::String("members".into()));
    let v = Struct::new(envelope.clone())
        .with("after", Value::Struct(after))
        .with("source", Value::Struct(src))
        .with("op", Value::String("c".into()))
        .with("ts_ms", Value::Int64(1_700_000_000_000));
    let mut r = rec("mysql.db.members", 3, Value::Null, Value::Struct(v));
    r.value_schema = Some(envelope);
    r
}

#[test]
fn debezium_envelope_golden() {
    let r = debezium_record();
    let a = action(convert::convert(&cfg(&[("key.ignore", "true")]), &r).unwrap());
    assert_eq!(
        body(&a),
        r#"{"before":null,"after":{"id":1,"name":"Ann","balance":12.34,"joined":19700},"source":{"connector":"mysql","db":"db","table":"members"},"op":"c","ts_ms":1700000000000}"#
    );
    // schema.ignore: the JsonConverter rendering as is (Decimal as base64).
    let a = action(
        convert::convert(
            &cfg(&[("key.ignore", "true"), ("schema.ignore", "true")]),
            &r,
        )
        .unwrap(),
    );
    assert_eq!(
        body(&a),
        r#"{"before":null,"after":{"id":1,"name":"Ann","balance":"BNI=","joined":19700},"source":{"connector":"mysql","db":"db","table":"members"},"op":"c","ts_ms":1700000000000}"#
    );
}

#[test]
fn struct_with_logical_types_golden() {
    let schema = Schema::struct_()
        .field("price", Schema::decimal(3).build())
        .field("day", Schema::date().build())
        .field("at", Schema::timestamp().build())
        .field("t", Schema::time().build())
        .field("ratio", Schema::new(Type::Float64).build())
        .field(
            "qty",
            Schema::new(Type::Int32)
                .optional()
                .default_value(Value::Int32(1))
                .build(),
        )
        .field(
            "tags",
            Schema::map(schemas::string(), schemas::int32()).build(),
        )
        .field(
            "scores",
            Schema::map(schemas::int32(), schemas::string()).build(),
        )
        .field("raw", Schema::new(Type::Bytes).build())
        .build();
    let v = Struct::new(schema.clone())
        .with(
            "price",
            Value::Decimal(BigDecimal::from_str("-1.250").unwrap()),
        )
        .with("day", Value::Int32(19723))
        .with("at", Value::Int64(1_704_067_200_123))
        .with("t", Value::Int32(3_600_000))
        .with("ratio", Value::Float64(1e7))
        .with(
            "tags",
            Value::Map(vec![(Value::String("a".into()), Value::Int32(1))]),
        )
        .with(
            "scores",
            Value::Map(vec![(Value::Int32(7), Value::String("x".into()))]),
        )
        .with("raw", Value::Bytes(vec![1, 2, 3]));
    let mut r = rec("t", 0, Value::Int32(1), Value::Struct(v));
    r.value_schema = Some(schema);
    let a = action(convert::convert(&cfg(&[]), &r).unwrap());
    assert_eq!(
        body(&a),
        r#"{"price":-1.25,"day":19723,"at":1704067200123,"t":3600000,"ratio":1.0E7,"qty":1,"tags":{"a":1},"scores":[{"key":7,"value":"x"}],"raw":"AQID"}"#
    );
    let a = action(convert::convert(&cfg(&[("compact.map.entries", "false")]), &r).unwrap());
    assert!(
        body(&a).contains(r#""tags":[{"key":"a","value":1}]"#),
        "{}",
        body(&a)
    );
    // A required field without value or default is a DataException.
    let s = Schema::struct_().field("id", schemas::int32()).build();
    let mut r = rec(
        "t",
        0,
        Value::Int32(1),
        Value::Struct(Struct::new(s.clone())),
    );
    r.value_schema = Some(s);
    assert!(convert::convert(&cfg(&[]), &r)
        .unwrap_err()
        .contains("null value for field that is required"));
}

#[test]
fn schemaless_map_golden() {
    let v = map(&[
        ("id", Value::Int64(1)),
        ("name", Value::String("Bob \"B\"".into())),
        ("score", Value::Float64(0.5)),
        ("tags", Value::Array(vec![Value::String("x".into())])),
        (
            "nested",
            map(&[("ok", Value::Boolean(true)), ("n", Value::Null)]),
        ),
    ]);
    let a = action(
        convert::convert(
            &cfg(&[("schema.ignore", "true")]),
            &rec("t", 0, Value::Int64(1), v),
        )
        .unwrap(),
    );
    assert_eq!(
        body(&a),
        r#"{"id":1,"name":"Bob \"B\"","score":0.5,"tags":["x"],"nested":{"ok":true,"n":null}}"#
    );
}

#[test]
fn data_stream_documents_get_a_timestamp() {
    let c = cfg(&[("data.stream.type", "logs"), ("data.stream.dataset", "app")]);
    let mut r = rec("Orders", 5, Value::Int64(1), map(&[("a", Value::Int64(1))]));
    r.timestamp = Some(1234);
    let a = action(convert::convert(&c, &r).unwrap());
    assert_eq!(a.kind, OpKind::Create);
    assert_eq!(a.index, "logs-app-orders");
    assert_eq!(a.version, None);
    assert_eq!(body(&a), r#"{"a":1,"@timestamp":1234}"#);
    let c = cfg(&[
        ("data.stream.type", "logs"),
        ("data.stream.dataset", "app"),
        ("data.stream.timestamp.field", "created,a"),
    ]);
    let a = action(convert::convert(&c, &r).unwrap());
    assert_eq!(body(&a), r#"{"a":1,"@timestamp":"1"}"#);
}

// ---------------------------------------------------------------- mapping

#[test]
fn mapping_from_schema() {
    let schema = Schema::struct_()
        .field("id", schemas::int32())
        .field("name", schemas::optional_string())
        .field("price", Schema::decimal(2).build())
        .field("day", Schema::date().build())
        .field("b", Schema::new(Type::Int8).build())
        .field("s", Schema::new(Type::Int16).build())
        .field(
            "l",
            Schema::new(Type::Int64)
                .default_value(Value::Int64(0))
                .build(),
        )
        .field("f", Schema::new(Type::Float32).build())
        .field("ok", Schema::new(Type::Boolean).build())
        .field("raw", Schema::new(Type::Bytes).build())
        .field("list", Schema::array(schemas::int32()).build())
        .field(
            "m",
            Schema::map(schemas::string(), schemas::int64()).build(),
        )
        .build();
    let m = mapping::build_mapping(Some(&schema)).unwrap();
    assert_eq!(
        m,
        json!({"properties": {
            "id": {"type": "integer"},
            "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
            "price": {"type": "double"},
            "day": {"type": "date"},
            "b": {"type": "byte"},
            "s": {"type": "short"},
            "l": {"type": "long", "null_value": 0},
            "f": {"type": "float"},
            "ok": {"type": "boolean"},
            "raw": {"type": "binary"},
            "list": {"type": "integer"},
            "m": {"properties": {"key": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}, "value": {"type": "long"}}}
        }})
    );
    assert_eq!(
        mapping::build_mapping(None).unwrap_err(),
        "Cannot infer mapping without schema."
    );
    assert!(mapping::has_mapping(
        "i",
        &json!({"i": {"mappings": {"properties": {"a": {}}}}})
    ));
    assert!(!mapping::has_mapping("i", &json!({"i": {"mappings": {}}})));
}

// ---------------------------------------------------------------- bulk bytes and results

#[test]
fn ndjson_bytes() {
    let acts = vec![
        Action {
            kind: OpKind::Index,
            index: "orders".into(),
            id: Some("42".into()),
            version: Some(17),
            retry_on_conflict: None,
            source: Some(br#"{"id":42,"name":"Ann"}"#.to_vec()),
        },
        Action {
            kind: OpKind::Update,
            index: "orders".into(),
            id: Some("42".into()),
            version: None,
            retry_on_conflict: Some(5),
            source: Some(br#"{"doc":{"id":42},"upsert":{"id":42}}"#.to_vec()),
        },
        Action {
            kind: OpKind::Delete,
            index: "orders".into(),
            id: Some("4\"2".into()),
            version: Some(18),
            retry_on_conflict: None,
            source: None,
        },
        Action {
            kind: OpKind::Create,
            index: "logs-a-b".into(),
            id: None,
            version: None,
            retry_on_conflict: None,
            source: Some(b"{}".to_vec()),
        },
    ];
    assert_eq!(
        String::from_utf8(bulk::encode(&acts)).unwrap(),
        concat!(
            "{\"index\":{\"_index\":\"orders\",\"_id\":\"42\",\"version\":17,\"version_type\":\"external\"}}\n",
            "{\"id\":42,\"name\":\"Ann\"}\n",
            "{\"update\":{\"_index\":\"orders\",\"_id\":\"42\",\"retry_on_conflict\":5}}\n",
            "{\"doc\":{\"id\":42},\"upsert\":{\"id\":42}}\n",
            "{\"delete\":{\"_index\":\"orders\",\"_id\":\"4\\\"2\",\"version\":18,\"version_type\":\"external\"}}\n",
            "{\"create\":{\"_index\":\"logs-a-b\"}}\n",
            "{}\n"
        )
    );
}

fn act(id: &str, version: Option<i64>) -> Action {
    Action {
        kind: OpKind::Index,
        index: "i".into(),
        id: Some(id.into()),
        version,
        retry_on_conflict: None,
        source: Some(b"{}".to_vec()),
    }
}

#[test]
fn item_classification() {
    let versioned = act("1", Some(3));
    let plain = act("1", None);
    let item = |status: u64, err: Option<Json>| {
        let mut r = json!({"_index": "i", "_id": "1", "status": status});
        if let Some(e) = err {
            r["error"] = e;
        }
        json!({ "index": r })
    };
    assert_eq!(bulk::classify_item(&item(201, None), &plain), Item::Done);
    assert_eq!(
        bulk::classify_item(
            &json!({"delete": {"status": 404, "result": "not_found"}}),
            &plain
        ),
        Item::Done
    );
    let conflict = json!({"type": "version_conflict_engine_exception", "reason": "older"});
    assert_eq!(
        bulk::classify_item(&item(409, Some(conflict.clone())), &versioned),
        Item::Superseded
    );
    assert!(matches!(
        bulk::classify_item(&item(409, Some(conflict)), &plain),
        Item::Retry(_)
    ));
    let parse = json!({"type": "document_parsing_exception", "reason": "bad", "caused_by": {"type": "illegal_argument_exception", "reason": "x"}});
    assert!(
        matches!(bulk::classify_item(&item(400, Some(parse)), &plain), Item::Malformed(m) if m.contains("caused by illegal_argument_exception"))
    );
    let mapper = json!({"type": "mapper_parsing_exception", "reason": "conflict"});
    assert!(matches!(
        bulk::classify_item(&item(400, Some(mapper)), &plain),
        Item::Malformed(_)
    ));
    let busy = json!({"type": "es_rejected_execution_exception", "reason": "queue full"});
    assert!(matches!(
        bulk::classify_item(&item(429, Some(busy)), &plain),
        Item::Retry(_)
    ));
    let shard = json!({"type": "unavailable_shards_exception", "reason": "primary"});
    assert!(matches!(
        bulk::classify_item(&item(503, Some(shard)), &plain),
        Item::Retry(_)
    ));
    let sec = json!({"type": "security_exception", "reason": "no"});
    assert!(matches!(
        bulk::classify_item(&item(403, Some(sec)), &plain),
        Item::Fatal(_)
    ));
    // errors=false at the top level does not hide a failed item.
    let body =
        json!({"errors": false, "items": [item(201, None), item(500, Some(json!({"type": "x"})))]});
    let a1 = act("a", None);
    let a2 = act("b", None);
    let items = bulk::classify(body.to_string().as_bytes(), &[&a1, &a2]).unwrap();
    assert!(matches!(items[1], Item::Retry(_)));
    assert!(bulk::classify(b"{\"errors\":false,\"items\":[]}", &[&a1]).is_err());
    assert!(bulk::classify(b"<html>", &[&a1]).is_err());
}

#[test]
fn retry_set_keeps_key_order() {
    let acts = [
        act("a", None),
        act("b", None),
        act("a", None),
        act("c", None),
    ];
    let refs: Vec<&Action> = acts.iter().collect();
    let items = vec![
        Item::Retry("busy".into()),
        Item::Done,
        Item::Done,
        Item::Retry("busy".into()),
    ];
    assert_eq!(bulk::retry_set(&items, &refs), vec![0, 2, 3]);
}

#[test]
fn backoff_is_bounded() {
    for attempt in 0..5 {
        let d = super::task::backoff(attempt, 100);
        assert!(d <= Duration::from_millis(100 << attempt));
    }
    assert_eq!(super::task::backoff(60, 0), Duration::ZERO);
    assert!(super::task::backoff(60, 1_000_000) <= Duration::from_secs(86_400));
}

// ---------------------------------------------------------------- fake Elasticsearch

/// Scripted answers for `POST /_bulk`.
enum Reply {
    /// Whole-request status and body.
    Status(u16, String),
    /// Per-item statuses/errors by position (None = success).
    Items(Vec<Option<(u16, &'static str)>>),
    /// Close the connection without answering.
    Drop,
}

struct FakeState {
    version: String,
    require_auth: Option<String>,
    script: VecDeque<Reply>,
    max_body: Option<usize>,
    docs: HashMap<(String, String), (i64, Json)>,
    bulks: Vec<usize>,
    requests: Vec<String>,
    up: bool,
}

struct FakeEs {
    url: String,
    state: Arc<Mutex<FakeState>>,
}

impl FakeEs {
    async fn start() -> FakeEs {
        let state = Arc::new(Mutex::new(FakeState {
            version: "8.15.3".into(),
            require_auth: None,
            script: VecDeque::new(),
            max_body: None,
            docs: HashMap::new(),
            bulks: Vec::new(),
            requests: Vec::new(),
            up: true,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let st = state.clone();
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method,
                  uri: axum::http::Uri,
                  headers: axum::http::HeaderMap,
                  body: axum::body::Bytes| {
                let st = st.clone();
                async move { fake_handle(&st, method, uri, headers, body) }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeEs { url, state }
    }

    fn doc(&self, index: &str, id: &str) -> Option<Json> {
        self.state
            .lock()
            .docs
            .get(&(index.to_string(), id.to_string()))
            .map(|d| d.1.clone())
    }
}

fn fake_handle(
    st: &Mutex<FakeState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let reply = |status: u16, body: String| {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response()
    };
    let mut s = st.lock();
    s.requests.push(format!("{method} {}", uri.path()));
    if !s.up {
        return reply(503, r#"{"error":"down"}"#.into());
    }
    if let Some(want) = &s.require_auth {
        if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some(want) {
            return reply(401, r#"{"error":"unauthorized"}"#.into());
        }
    }
    let path = uri.path().to_string();
    if path == "/" {
        return reply(200, json!({"version": {"number": s.version}}).to_string());
    }
    if path.ends_with("/_mapping") {
        let index = path.trim_start_matches('/').trim_end_matches("/_mapping");
        return reply(200, json!({index: {"mappings": {}}}).to_string());
    }
    if path != "/_bulk" {
        return reply(200, r#"{"acknowledged":true}"#.into());
    }
    if s.max_body.is_some_and(|m| body.len() > m) {
        let n = String::from_utf8_lossy(&body).matches("\"_index\"").count();
        s.bulks.push(n);
        return reply(413, String::new());
    }
    let text = String::from_utf8_lossy(&body).to_string();
    let mut lines = text.lines();
    type Op = (String, String, String, Option<i64>, Option<Json>);
    let mut ops: Vec<Op> = Vec::new();
    while let Some(meta) = lines.next() {
        let meta: Json = serde_json::from_str(meta).unwrap();
        let (op, m) = meta.as_object().unwrap().iter().next().unwrap();
        let src = if op == "delete" {
            None
        } else {
            Some(serde_json::from_str::<Json>(lines.next().unwrap()).unwrap())
        };
        ops.push((
            op.clone(),
            m["_index"].as_str().unwrap().to_string(),
            m["_id"].as_str().unwrap_or("auto").to_string(),
            m.get("version").and_then(|v| v.as_i64()),
            src,
        ));
    }
    s.bulks.push(ops.len());
    let scripted = s.script.pop_front();
    let per_item = match scripted {
        Some(Reply::Status(code, b)) => return reply(code, b),
        Some(Reply::Drop) => {
            return reply(500, String::new());
        }
        Some(Reply::Items(v)) => v,
        None => Vec::new(),
    };
    let mut items = Vec::new();
    for (i, (op, index, id, version, src)) in ops.into_iter().enumerate() {
        if let Some(Some((status, kind))) = per_item.get(i) {
            items.push(json!({op: {"_index": index, "_id": id, "status": status, "error": {"type": kind, "reason": "scripted"}}}));
            continue;
        }
        let key = (index.clone(), id.clone());
        let current = s.docs.get(&key).map(|d| d.0);
        if let (Some(v), Some(c)) = (version, current) {
            if v <= c {
                items.push(json!({op: {"_index": index, "_id": id, "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "conflict"}}}));
                continue;
            }
        }
        let v = version.unwrap_or(current.unwrap_or(0) + 1);
        match op.as_str() {
            "delete" => {
                s.docs.remove(&key);
            }
            "update" => {
                let src = src.unwrap();
                let doc = match s.docs.get(&key) {
                    Some((_, Json::Object(old))) => {
                        let mut old = old.clone();
                        for (k, val) in src["doc"].as_object().unwrap() {
                            old.insert(k.clone(), val.clone());
                        }
                        Json::Object(old)
                    }
                    _ => src["upsert"].clone(),
                };
                s.docs.insert(key, (v, doc));
            }
            _ => {
                s.docs.insert(key, (v, src.unwrap()));
            }
        }
        items.push(json!({op: {"_index": index, "_id": id, "status": 200, "result": "updated"}}));
    }
    reply(200, json!({"errors": false, "items": items}).to_string())
}

async fn start_task(es: &FakeEs, pairs: &[(&str, &str)]) -> ElasticsearchSinkTask {
    start_task_reporting(es, pairs, None).await
}

async fn start_task_reporting(
    es: &FakeEs,
    pairs: &[(&str, &str)],
    reporter: Option<Arc<dyn crate::connectors::ErrantRecordReporter>>,
) -> ElasticsearchSinkTask {
    let mut p = props(&[("connection.url", &es.url)]);
    for (k, v) in pairs {
        p.insert(k.to_string(), v.to_string());
    }
    let mut t = ElasticsearchSinkTask::default();
    t.start(
        &p,
        SinkTaskContext {
            connector: "es".into(),
            task: 0,
            reporter,
        },
    )
    .await
    .unwrap();
    t
}

fn offsets(topic: &str, next: i64) -> BTreeMap<TopicPartition, i64> {
    BTreeMap::from([(TopicPartition::new(topic, 0), next)])
}

fn doc_rec(offset: i64, key: i64, value: i64) -> ConnectRecord {
    rec(
        "t",
        offset,
        Value::Int64(key),
        map(&[("k", Value::Int64(key)), ("v", Value::Int64(value))]),
    )
}

#[tokio::test]
async fn writes_and_commits_acknowledged_offsets() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("batch.size", "3"),
            ("max.buffered.records", "15"),
            ("linger.ms", "5"),
        ],
    )
    .await;
    t.put(&(0..10).map(|i| doc_rec(i, i % 4, i)).collect::<Vec<_>>())
        .await
        .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(
        t.pre_commit(offsets("t", 10)).await.unwrap(),
        offsets("t", 10)
    );
    assert_eq!(es.doc("t", "1"), Some(json!({"k": 1, "v": 9})));
    assert_eq!(es.doc("t", "3"), Some(json!({"k": 3, "v": 7})));
    assert!(es.state.lock().bulks.iter().all(|n| *n <= 3));
    assert_eq!(t.counters().1, 10);
    t.stop().await.unwrap();
}

#[tokio::test]
async fn too_large_bulks_are_split() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("key.ignore", "true"),
            ("linger.ms", "1"),
        ],
    )
    .await;
    // Each action is ~60 bytes; the fake takes at most ~130 bytes.
    es.state.lock().max_body = Some(130);
    t.put(&(0..8).map(|i| doc_rec(i, i, i)).collect::<Vec<_>>())
        .await
        .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    {
        let st = es.state.lock();
        assert_eq!(st.docs.len(), 8);
        assert!(
            st.bulks.contains(&8) && st.bulks.contains(&4) && st.bulks.contains(&2),
            "{:?}",
            st.bulks
        );
    }
    // A single document over the limit is malformed: with warn it is skipped.
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("key.ignore", "true"),
            ("behavior.on.malformed.documents", "warn"),
        ],
    )
    .await;
    let big = rec(
        "t",
        50,
        Value::Null,
        map(&[("s", Value::String("x".repeat(500)))]),
    );
    t.put(&[big, doc_rec(51, 1, 1)]).await.unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(es.state.lock().docs.len(), 9);
}

#[tokio::test]
async fn transient_failures_are_retried_in_key_order() {
    let es = FakeEs::start().await;
    {
        let mut s = es.state.lock();
        s.script.push_back(Reply::Status(503, "{}".into()));
        s.script.push_back(Reply::Drop);
        // First item (key 1) rejected; the later write of key 1 (position 2) succeeds in
        // this bulk but must be resent after it.
        s.script.push_back(Reply::Items(vec![Some((
            429,
            "es_rejected_execution_exception",
        ))]));
    }
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("write.method", "upsert"),
            ("retry.backoff.ms", "1"),
        ],
    )
    .await;
    t.put(&[doc_rec(0, 1, 100), doc_rec(1, 2, 200), doc_rec(2, 1, 101)])
        .await
        .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(es.doc("t", "1"), Some(json!({"k": 1, "v": 101})));
    assert_eq!(es.doc("t", "2"), Some(json!({"k": 2, "v": 200})));
    // 3 failed attempts, then the retry of positions 0 and 2.
    assert_eq!(es.state.lock().bulks, vec![3, 3, 3, 2]);
}

#[tokio::test]
async fn offsets_wait_for_acknowledgement_and_failure_is_reported() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("max.retries", "2"),
            ("retry.backoff.ms", "1"),
        ],
    )
    .await;
    t.put(&[doc_rec(4, 1, 0)]).await.unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    es.state.lock().up = false;
    t.put(&[doc_rec(5, 1, 1), doc_rec(6, 2, 2)]).await.unwrap();
    // Not acknowledged: the committable offset stays at the first record put.
    assert_eq!(
        t.pre_commit(offsets("t", 7)).await.unwrap(),
        offsets("t", 5)
    );
    let mut err = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Err(e) = t.put(&[]).await {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("task fails once max.retries is spent");
    let msg = err.to_string();
    assert!(!err.is_retriable());
    assert!(
        msg.contains("failed after 3 attempt(s) (max.retries=2)"),
        "{msg}"
    );
    assert!(msg.contains("t-0 offset 5"), "{msg}");
    assert!(t.pre_commit(offsets("t", 7)).await.is_err());
    assert_eq!(es.state.lock().docs.len(), 1);
}

#[tokio::test]
async fn malformed_documents_warn_or_fail() {
    let es = FakeEs::start().await;
    es.state.lock().script.push_back(Reply::Items(vec![
        None,
        Some((400, "mapper_parsing_exception")),
    ]));
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("behavior.on.malformed.documents", "warn"),
        ],
    )
    .await;
    t.put(&[doc_rec(0, 1, 1), doc_rec(1, 2, 2), doc_rec(2, 3, 3)])
        .await
        .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(
        t.pre_commit(offsets("t", 3)).await.unwrap(),
        offsets("t", 3)
    );
    assert!(es.doc("t", "2").is_none() && es.doc("t", "3").is_some());

    es.state.lock().script.push_back(Reply::Items(vec![Some((
        400,
        "document_parsing_exception",
    ))]));
    let mut t = start_task(&es, &[("schema.ignore", "true")]).await;
    t.put(&[doc_rec(10, 1, 1)]).await.unwrap();
    let e = t.flush(&BTreeMap::new()).await.unwrap_err().to_string();
    assert!(
        e.contains("malformed") && e.contains("behavior.on.malformed.documents"),
        "{e}"
    );
}

#[tokio::test]
async fn versions_and_deletes_keep_the_latest_document() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("behavior.on.null.values", "delete"),
        ],
    )
    .await;
    t.put(&[
        doc_rec(0, 1, 1),
        doc_rec(1, 2, 2),
        rec("t", 2, Value::Int64(1), Value::Null),
        doc_rec(3, 2, 3),
    ])
    .await
    .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(es.doc("t", "1"), None);
    assert_eq!(es.doc("t", "2"), Some(json!({"k": 2, "v": 3})));
    // Redelivery after a restart: older versions are ignored (not failures).
    t.put(&[doc_rec(1, 2, 2)]).await.unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(es.doc("t", "2"), Some(json!({"k": 2, "v": 3})));
}

#[tokio::test]
async fn schemaless_values_need_schema_ignore() {
    let es = FakeEs::start().await;
    let mut t = start_task(&es, &[]).await;
    let e = t.put(&[doc_rec(0, 1, 1)]).await.unwrap_err().to_string();
    assert!(e.contains("Cannot infer mapping without schema."), "{e}");
}

#[tokio::test]
async fn renamed_topics_flush_synchronously() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("key.ignore", "true"),
            ("linger.ms", "60000"),
            ("flush.timeout.ms", "60000"),
        ],
    )
    .await;
    let mut r = doc_rec(0, 1, 1);
    r.topic = "member-index".into();
    t.put(&[r]).await.unwrap();
    // The runtime tracks the original topic; the task flushes before answering.
    let got = t.pre_commit(offsets("orig", 1)).await.unwrap();
    assert_eq!(got, offsets("orig", 1));
    assert!(es.doc("member-index", "member-index+0+0").is_some());
}

#[tokio::test]
async fn basic_auth_and_api_key_headers() {
    let es = FakeEs::start().await;
    es.state.lock().require_auth = Some("ApiKey abc==".into());
    let mut t = start_task(
        &es,
        &[("schema.ignore", "true"), ("connection.api.key", "abc==")],
    )
    .await;
    t.put(&[doc_rec(0, 1, 1)]).await.unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    assert!(es.doc("t", "1").is_some());
}

#[tokio::test]
async fn failover_to_the_next_url() {
    let es = FakeEs::start().await;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let urls = format!("{dead},{}", es.url);
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("connection.url", &urls),
            ("max.retries", "0"),
        ],
    )
    .await;
    for i in 0..4 {
        t.put(&[doc_rec(i, i, i)]).await.unwrap();
        t.flush(&BTreeMap::new()).await.unwrap();
    }
    assert_eq!(es.state.lock().docs.len(), 4);
}

#[test]
fn schema_ref_is_send() {
    fn is_send<T: Send + Sync>() {}
    is_send::<SchemaRef>();
}

// ---------------------------------------------------------------- TLS

/// A test CA and a server certificate it signed for DNS name `localhost` (no IP SAN), made
/// with the openssl CLI: (ca.pem, cert.pem, key.pem); None when openssl is missing.
fn test_certs(dir: &std::path::Path) -> Option<(String, String, String)> {
    let p = |f: &str| dir.join(f).display().to_string();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .ok()?;
    let steps: Vec<Vec<String>> = vec![
        [
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=test-ca"],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .chain(["-keyout".into(), p("ca.key"), "-out".into(), p("ca.pem")])
        .collect(),
        [&["req"][..], &ec, &["-subj", "/CN=localhost"]]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .chain(["-keyout".into(), p("key.pem"), "-out".into(), p("leaf.csr")])
            .collect(),
        ["x509", "-req", "-days", "2", "-CAcreateserial"]
            .iter()
            .map(|s| s.to_string())
            .chain([
                "-in".into(),
                p("leaf.csr"),
                "-CA".into(),
                p("ca.pem"),
                "-CAkey".into(),
                p("ca.key"),
                "-extfile".into(),
                p("ext.cnf"),
                "-out".into(),
                p("cert.pem"),
            ])
            .collect(),
    ];
    for args in steps {
        let out = std::process::Command::new("openssl")
            .args(&args)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            return None;
        }
    }
    Some((p("ca.pem"), p("cert.pem"), p("key.pem")))
}

/// An HTTPS server answering `GET /` like Elasticsearch 8.
async fn tls_es(cert: &str, key: &str) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(
                            br#"{"version":{"number":"8.15.3"}}"#,
                        )),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_with_a_pem_truststore() {
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = test_certs(dir.path()) else {
        eprintln!("openssl not available; skipping");
        return;
    };
    let port = tls_es(&cert, &key).await;
    let check = |url: String, extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("connection.url", url.as_str()),
            ("elastic.security.protocol", "SSL"),
        ];
        pairs.extend_from_slice(extra);
        let p = props(&pairs);
        async move {
            let c = EsConfig::parse(&p).unwrap();
            let mut errs = config::cross_checks(&c, &p);
            errs.extend(super::check_connection(&c).await);
            errs
        }
    };
    let trust = [("elastic.https.ssl.truststore.location", ca.as_str())];
    // Trusted certificate, matching name.
    let e = check(format!("https://localhost:{port}"), &trust).await;
    assert!(e.is_empty(), "{e:?}");
    // The certificate is not for 127.0.0.1: refused, unless hostname verification is off.
    let e = check(format!("https://127.0.0.1:{port}"), &trust).await;
    assert!(
        e[0].1.contains("Could not connect to Elasticsearch"),
        "{e:?}"
    );
    let mut no_verify = trust.to_vec();
    no_verify.push(("elastic.https.ssl.endpoint.identification.algorithm", ""));
    let e = check(format!("https://127.0.0.1:{port}"), &no_verify).await;
    assert!(e.is_empty(), "{e:?}");
    // Not in the system CA bundle.
    let e = check(format!("https://localhost:{port}"), &[]).await;
    assert!(
        e[0].1.contains("Could not connect to Elasticsearch"),
        "{e:?}"
    );
    // A client keystore in PEM (certificate + key in one file) is accepted.
    let ks = dir.path().join("keystore.pem");
    std::fs::write(
        &ks,
        std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap(),
    )
    .unwrap();
    let mut with_ks = trust.to_vec();
    let ks = ks.display().to_string();
    with_ks.push(("elastic.https.ssl.keystore.location", ks.as_str()));
    let e = check(format!("https://localhost:{port}"), &with_ks).await;
    assert!(e.is_empty(), "{e:?}");
}

/// Records what the task reports; `tolerate` false answers as errors.tolerance=none does.
/// (topic, partition, offset, exception class, message)
type Reported = (String, i32, i64, &'static str, String);

#[derive(Default)]
struct FakeReporter {
    reported: Mutex<Vec<Reported>>,
    refuse: bool,
}

#[async_trait::async_trait]
impl crate::connectors::ErrantRecordReporter for FakeReporter {
    async fn report(
        &self,
        origin: &crate::data::KafkaOrigin,
        error_class: &'static str,
        message: &str,
    ) -> Result<(), String> {
        self.reported.lock().push((
            origin.topic.to_string(),
            origin.partition,
            origin.offset,
            error_class,
            message.to_string(),
        ));
        if self.refuse {
            Err("Tolerance exceeded in error handler".into())
        } else {
            Ok(())
        }
    }
}

/// A record renamed by a transform from `orig` (consumed there at `offset`).
fn renamed_rec(offset: i64, key: i64) -> ConnectRecord {
    let mut r = doc_rec(offset, key, key);
    r.topic = "renamed".into();
    r.origin = Some(crate::data::KafkaOrigin {
        topic: Arc::from("orig"),
        partition: 0,
        offset,
    });
    r
}

#[tokio::test]
async fn rejected_documents_go_to_the_errant_record_reporter() {
    let es = FakeEs::start().await;
    es.state.lock().script.push_back(Reply::Items(vec![
        None,
        Some((400, "mapper_parsing_exception")),
    ]));
    let reporter = Arc::new(FakeReporter::default());
    let mut t = start_task_reporting(
        &es,
        &[
            ("schema.ignore", "true"),
            ("behavior.on.malformed.documents", "ignore"),
        ],
        Some(reporter.clone()),
    )
    .await;
    t.put(&[renamed_rec(4, 1), renamed_rec(5, 2), renamed_rec(6, 3)])
        .await
        .unwrap();
    t.flush(&BTreeMap::new()).await.unwrap();
    // Reported by the consumed position, with Confluent's exception and message.
    assert_eq!(
        *reporter.reported.lock(),
        vec![(
            "orig".to_string(),
            0,
            5,
            "io.confluent.connect.elasticsearch.ElasticsearchClient$ReportingException",
            "Indexing failed: mapper_parsing_exception: scripted".to_string()
        )]
    );
    assert!(es.doc("renamed", "2").is_none() && es.doc("renamed", "3").is_some());
    assert_eq!(
        t.pre_commit(offsets("orig", 7)).await.unwrap(),
        offsets("orig", 7)
    );

    // A document that fails the task is reported too.
    es.state
        .lock()
        .script
        .push_back(Reply::Items(vec![Some((403, "security_exception"))]));
    t.put(&[renamed_rec(7, 4)]).await.unwrap();
    assert!(t.flush(&BTreeMap::new()).await.is_err());
    assert_eq!(reporter.reported.lock().len(), 2);
    assert_eq!(reporter.reported.lock()[1].2, 7);

    // errors.tolerance=none: reporting is fatal, and the trace says what to change.
    es.state
        .lock()
        .script
        .push_back(Reply::Items(vec![Some((400, "mapper_parsing_exception"))]));
    let refusing = Arc::new(FakeReporter {
        refuse: true,
        ..Default::default()
    });
    let mut t = start_task_reporting(
        &es,
        &[
            ("schema.ignore", "true"),
            ("behavior.on.malformed.documents", "warn"),
        ],
        Some(refusing.clone()),
    )
    .await;
    t.put(&[renamed_rec(8, 5)]).await.unwrap();
    let e = t.flush(&BTreeMap::new()).await.unwrap_err().to_string();
    assert!(
        e.contains("errors.tolerance=all") && e.contains("orig-0 offset 8"),
        "{e}"
    );
    assert_eq!(refusing.reported.lock().len(), 1);
}

#[tokio::test]
async fn renamed_topics_commit_by_the_consumed_position() {
    let es = FakeEs::start().await;
    let mut t = start_task(
        &es,
        &[
            ("schema.ignore", "true"),
            ("linger.ms", "60000"),
            ("flush.timeout.ms", "60000"),
        ],
    )
    .await;
    t.put(&[renamed_rec(3, 1)]).await.unwrap();
    // Nothing acknowledged yet: the consumed partition stays at the record, without a flush.
    assert_eq!(
        t.pre_commit(offsets("orig", 4)).await.unwrap(),
        offsets("orig", 3)
    );
    t.flush(&BTreeMap::new()).await.unwrap();
    assert_eq!(
        t.pre_commit(offsets("orig", 4)).await.unwrap(),
        offsets("orig", 4)
    );
}
