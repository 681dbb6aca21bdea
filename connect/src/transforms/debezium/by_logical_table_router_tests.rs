//! ByLogicalTableRouter tests after Debezium's ByLogicalTableRouterTest: sharded tables routed to
//! one topic, key uniqueness field, key.field.regex, envelopes, tombstones and keyless records.

use super::*;
use crate::data::schemas;

fn xform(pairs: &[(&str, &str)]) -> ByLogicalTableRouter {
    let mut t = ByLogicalTableRouter::new();
    let map = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    t.configure(&map).unwrap();
    t
}

fn key_schema(table: &str) -> SchemaRef {
    Schema::struct_()
        .named(&format!("mysql-server-1.inventory.{table}.Key"))
        .field("id", schemas::int64())
        .build()
}

fn row_schema(table: &str) -> SchemaRef {
    Schema::struct_()
        .optional()
        .named(&format!("mysql-server-1.inventory.{table}.Value"))
        .field("id", schemas::int64())
        .field("name", schemas::optional_string())
        .build()
}

fn envelope(table: &str, id: i64) -> ConnectRecord {
    let row = row_schema(table);
    let env_schema = Schema::struct_()
        .named(&format!("mysql-server-1.inventory.{table}.Envelope"))
        .version(2)
        .field("before", row.clone())
        .field("after", row.clone())
        .field("op", schemas::string())
        .build();
    let after = Struct::new(row)
        .with("id", Value::Int64(id))
        .with("name", Value::String("n".into()));
    let env = Struct::new(env_schema.clone())
        .with("after", Value::Struct(after))
        .with("op", Value::String("c".into()));
    let ks = key_schema(table);
    let key = Struct::new(ks.clone()).with("id", Value::Int64(id));
    let mut r = ConnectRecord::new(
        format!("mysql-server-1.inventory.{table}"),
        Some(ks),
        Value::Struct(key),
        Some(env_schema),
        Value::Struct(env),
    );
    r.kafka_partition = Some(0);
    r
}

const SHARDS: [(&str, &str); 2] = [
    ("topic.regex", r"(.*)customers_shard(.*)"),
    ("topic.replacement", "$1customers_all_shards"),
];

#[test]
fn routes_shards_and_rewrites_key_and_envelope() {
    let t = xform(&SHARDS);
    let out = t.apply(envelope("customers_shard_1", 7)).unwrap().unwrap();
    assert_eq!(out.topic, "mysql-server-1.inventory.customers_all_shards");
    let ks = out.key_schema.clone().unwrap();
    assert_eq!(
        ks.name.as_deref(),
        Some("mysql-server-1.inventory.customers_all_shards.Key")
    );
    let key_fields: Vec<_> = ks.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(key_fields, ["id", "__dbz__physicalTableIdentifier"]);
    let key = out.key.as_struct().unwrap();
    assert_eq!(
        key.get("__dbz__physicalTableIdentifier"),
        Some(&Value::String(
            "mysql-server-1.inventory.customers_shard_1".into()
        ))
    );
    let vs = out.value_schema.clone().unwrap();
    assert_eq!(
        vs.name.as_deref(),
        Some("mysql-server-1.inventory.customers_all_shards.Envelope")
    );
    assert_eq!(vs.version, Some(2));
    assert_eq!(
        vs.fields[0].schema.name.as_deref(),
        Some("mysql-server-1.inventory.customers_all_shards.Value")
    );
    assert!(vs.fields[0].schema.optional);
    let env = out.value.as_struct().unwrap();
    let after = env.get("after").and_then(Value::as_struct).unwrap();
    assert!(std::sync::Arc::ptr_eq(&after.schema, &vs.fields[1].schema));
    assert_eq!(after.get("id"), Some(&Value::Int64(7)));
    assert_eq!(env.get("before"), Some(&Value::Null));
    assert_eq!(out.kafka_partition, Some(0));

    // Two shards share the logical schemas.
    let out2 = t.apply(envelope("customers_shard_2", 8)).unwrap().unwrap();
    assert_eq!(out2.value_schema, out.value_schema);
    assert_eq!(
        out2.key
            .as_struct()
            .unwrap()
            .get("__dbz__physicalTableIdentifier"),
        Some(&Value::String(
            "mysql-server-1.inventory.customers_shard_2".into()
        ))
    );
}

#[test]
fn non_matching_topics_are_untouched() {
    let t = xform(&SHARDS);
    let rec = envelope("orders", 1);
    assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
}

#[test]
fn key_field_regex_and_uniqueness_off() {
    let t = xform(&[
        SHARDS[0],
        SHARDS[1],
        ("key.field.name", "shard_id"),
        ("key.field.regex", r"(.*)customers_shard_(.*)"),
        ("key.field.replacement", "$2"),
    ]);
    let out = t.apply(envelope("customers_shard_1", 7)).unwrap().unwrap();
    assert_eq!(
        out.key.as_struct().unwrap().get("shard_id"),
        Some(&Value::String("1".into()))
    );
    let t = xform(&[SHARDS[0], SHARDS[1], ("key.enforce.uniqueness", "false")]);
    let out = t.apply(envelope("customers_shard_1", 7)).unwrap().unwrap();
    assert_eq!(out.key_schema.unwrap().fields.len(), 1);
}

#[test]
fn tombstones_and_keyless_records() {
    let t = xform(&SHARDS);
    let mut tomb = envelope("customers_shard_1", 7);
    tomb.value = Value::Null;
    tomb.value_schema = None;
    let out = t.apply(tomb).unwrap().unwrap();
    assert_eq!(out.topic, "mysql-server-1.inventory.customers_all_shards");
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.key.as_struct().unwrap().values.len(), 2);

    let mut keyless = envelope("customers_shard_1", 7);
    keyless.key = Value::Null;
    let out = t.apply(keyless).unwrap().unwrap();
    assert_eq!(out.key, Value::Null);
    assert_eq!(out.key_schema, None);
}

#[test]
fn empty_replacement_and_avro_names() {
    let t = xform(&[("topic.regex", "(.*)"), ("topic.replacement", "")]);
    let rec = envelope("customers_shard_1", 7);
    assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
    let t = xform(&[
        ("topic.regex", r"(.*)customers_shard(.*)"),
        ("topic.replacement", "all-shards"),
        ("schema.name.adjustment.mode", "avro"),
    ]);
    let out = t.apply(envelope("customers_shard_1", 7)).unwrap().unwrap();
    assert_eq!(out.topic, "all-shards");
    assert_eq!(
        out.key_schema.unwrap().name.as_deref(),
        Some("all_shards.Key")
    );
}

#[test]
fn config_errors() {
    let mut t = ByLogicalTableRouter::new();
    assert_eq!(
        t.configure(&HashMap::new()).unwrap_err(),
        TransformError::Missing("topic.regex".into())
    );
    let map = HashMap::from([
        ("topic.regex".to_string(), "a".to_string()),
        ("topic.replacement".to_string(), "b".to_string()),
        ("key.field.regex".to_string(), "x".to_string()),
    ]);
    assert_eq!(
        t.configure(&map).unwrap_err().to_string(),
        "Invalid value null for configuration key.field.replacement: key.field.replacement must be non-empty if key.field.regex is set."
    );
    let rec = envelope("a", 1);
    assert!(ByLogicalTableRouter::new().apply(rec).is_err());
}
