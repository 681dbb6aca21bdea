//! ExtractNewRecordState on MySQL-shaped Debezium envelopes: create/update/delete/truncate and
//! tombstones under every delete handling mode (current and legacy), add.fields/add.headers,
//! route.by.field, drop.fields.header.name and config errors.

use super::*;
use crate::data::schemas;

fn row_schema() -> SchemaRef {
    Schema::struct_()
        .optional()
        .named("dbserver1.inventory.customers.Value")
        .field("id", schemas::int32())
        .field("first_name", schemas::string())
        .field(
            "email",
            Schema::new(Type::String)
                .optional()
                .default_value(Value::String("none@example.com".into()))
                .build(),
        )
        .build()
}

fn source_schema() -> SchemaRef {
    Schema::struct_()
        .named("io.debezium.connector.mysql.Source")
        .field("version", schemas::string())
        .field("connector", schemas::string())
        .field("name", schemas::string())
        .field("ts_ms", schemas::int64())
        .field("db", schemas::string())
        .field("table", schemas::optional_string())
        .build()
}

fn tx_schema() -> SchemaRef {
    Schema::struct_()
        .optional()
        .named("event.block")
        .version(1)
        .field("id", schemas::string())
        .field("total_order", schemas::int64())
        .field("data_collection_order", schemas::int64())
        .build()
}

fn envelope_schema() -> SchemaRef {
    Schema::struct_()
        .named("dbserver1.inventory.customers.Envelope")
        .version(2)
        .field("before", row_schema())
        .field("after", row_schema())
        .field("source", source_schema())
        .field("transaction", tx_schema())
        .field("op", schemas::string())
        .field("ts_ms", schemas::of(Type::Int64, true))
        .build()
}

fn row(id: i32, name: &str, email: Option<&str>) -> Value {
    Value::Struct(
        Struct::new(row_schema())
            .with("id", Value::Int32(id))
            .with("first_name", Value::String(name.into()))
            .with(
                "email",
                email.map_or(Value::Null, |e| Value::String(e.into())),
            ),
    )
}

fn event(op: &str, before: Value, after: Value) -> ConnectRecord {
    let source = Struct::new(source_schema())
        .with("version", Value::String("3.1.0.Final".into()))
        .with("connector", Value::String("mysql".into()))
        .with("name", Value::String("dbserver1".into()))
        .with("ts_ms", Value::Int64(1_705_314_600_123))
        .with("db", Value::String("inventory".into()))
        .with("table", Value::String("customers".into()));
    let tx = Struct::new(tx_schema())
        .with("id", Value::String("gtid:7".into()))
        .with("total_order", Value::Int64(3))
        .with("data_collection_order", Value::Int64(1));
    let env = Struct::new(envelope_schema())
        .with("before", before)
        .with("after", after)
        .with("source", Value::Struct(source))
        .with("transaction", Value::Struct(tx))
        .with("op", Value::String(op.into()))
        .with("ts_ms", Value::Int64(1_705_314_600_456));
    let key_schema = Schema::struct_()
        .named("dbserver1.inventory.customers.Key")
        .field("id", schemas::int32())
        .build();
    let key = Struct::new(key_schema.clone()).with("id", Value::Int32(1004));
    ConnectRecord::new(
        "dbserver1.inventory.customers",
        Some(key_schema),
        Value::Struct(key),
        Some(envelope_schema()),
        Value::Struct(env),
    )
}

fn create() -> ConnectRecord {
    event(
        "c",
        Value::Null,
        row(1004, "Anne", Some("annek@noanswer.org")),
    )
}
fn update() -> ConnectRecord {
    event("u", row(1004, "Anne", None), row(1004, "Anne Marie", None))
}
fn delete() -> ConnectRecord {
    event("d", row(1004, "Anne Marie", None), Value::Null)
}
fn tombstone() -> ConnectRecord {
    let mut r = delete();
    r.value = Value::Null;
    r.value_schema = None;
    r
}

fn xform(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
    let mut t = ExtractNewRecordState::new();
    t.configure(&props(pairs)).unwrap();
    t
}

fn names(s: &Option<SchemaRef>) -> Vec<String> {
    s.as_ref()
        .map(|s| s.fields.iter().map(|f| f.name.clone()).collect())
        .unwrap_or_default()
}

fn get<'a>(r: &'a ConnectRecord, f: &str) -> Option<&'a Value> {
    r.value.as_struct().and_then(|s| s.get(f))
}

#[test]
fn create_and_update_unwrap_to_after() {
    let t = xform(&[]);
    let out = t.apply(create()).unwrap().unwrap();
    let s = out.value_schema.clone().unwrap();
    assert_eq!(
        s.name.as_deref(),
        Some("dbserver1.inventory.customers.Value")
    );
    // addFields rebuilds with copySchemaBasics, which does not keep optionality.
    assert!(!s.optional);
    assert_eq!(names(&out.value_schema), ["id", "first_name", "email"]);
    assert_eq!(get(&out, "first_name"), Some(&Value::String("Anne".into())));
    assert_eq!(out.key, create().key);
    assert_eq!(out.topic, "dbserver1.inventory.customers");

    let out = t.apply(update()).unwrap().unwrap();
    assert_eq!(
        get(&out, "first_name"),
        Some(&Value::String("Anne Marie".into()))
    );
    // Raw values are kept: a null with a default stays null after unwrapping.
    assert_eq!(get(&out, "email"), Some(&Value::Null));
}

#[test]
fn reference_example_rewrite_with_metadata() {
    let t = xform(&[
        ("add.fields", "op,table,source.ts_ms"),
        ("delete.tombstone.handling.mode", "rewrite"),
    ]);
    let out = t.apply(create()).unwrap().unwrap();
    assert_eq!(
        names(&out.value_schema),
        [
            "id",
            "first_name",
            "email",
            "__deleted",
            "__op",
            "__table",
            "__source_ts_ms"
        ]
    );
    let s = out.value_schema.clone().unwrap();
    for f in &s.fields[3..] {
        assert!(f.schema.optional, "{}", f.name);
    }
    assert_eq!(s.fields[6].schema.kind, Type::Int64);
    assert_eq!(get(&out, "__deleted"), Some(&Value::String("false".into())));
    assert_eq!(get(&out, "__op"), Some(&Value::String("c".into())));
    assert_eq!(
        get(&out, "__table"),
        Some(&Value::String("customers".into()))
    );
    assert_eq!(
        get(&out, "__source_ts_ms"),
        Some(&Value::Int64(1_705_314_600_123))
    );

    let out = t.apply(delete()).unwrap().unwrap();
    assert_eq!(
        get(&out, "first_name"),
        Some(&Value::String("Anne Marie".into()))
    );
    assert_eq!(get(&out, "__deleted"), Some(&Value::String("true".into())));
    assert_eq!(get(&out, "__op"), Some(&Value::String("d".into())));
    assert_eq!(t.apply(tombstone()).unwrap(), None);
}

#[test]
fn delete_and_tombstone_per_mode() {
    // mode, delete kept?, tombstone kept?
    let cases = [
        ("drop", false, false),
        ("tombstone", true, false),
        ("rewrite", true, false),
        ("rewrite-with-tombstone", true, true),
        ("delete-to-tombstone", true, false),
    ];
    for (mode, keeps_delete, keeps_tombstone) in cases {
        let t = xform(&[("delete.tombstone.handling.mode", mode)]);
        let out = t.apply(delete()).unwrap();
        assert_eq!(out.is_some(), keeps_delete, "{mode}");
        assert_eq!(
            t.apply(tombstone()).unwrap().is_some(),
            keeps_tombstone,
            "{mode}"
        );
        let Some(out) = out else { continue };
        match mode {
            "tombstone" => {
                assert_eq!(out.value, Value::Null);
                let s = out.value_schema.unwrap();
                assert_eq!(
                    s.name.as_deref(),
                    Some("dbserver1.inventory.customers.Value")
                );
                assert!(s.optional);
            }
            "delete-to-tombstone" => {
                assert_eq!(out.value, Value::Null);
                assert_eq!(out.value_schema, None);
                assert_eq!(out.key, delete().key);
            }
            _ => assert_eq!(get(&out, "__deleted"), Some(&Value::String("true".into()))),
        }
    }
    // The 3.2+ default is `tombstone`.
    let t = xform(&[]);
    assert_eq!(t.apply(delete()).unwrap().unwrap().value, Value::Null);
    assert_eq!(t.apply(tombstone()).unwrap(), None);
}

#[test]
fn legacy_options() {
    let t = xform(&[("delete.handling.mode", "drop")]);
    assert_eq!(t.apply(delete()).unwrap(), None);
    assert_eq!(t.apply(tombstone()).unwrap(), None);
    let t = xform(&[("drop.tombstones", "false")]);
    assert_eq!(t.apply(delete()).unwrap(), None);
    assert_eq!(t.apply(tombstone()).unwrap(), Some(tombstone()));
    let t = xform(&[("delete.handling.mode", "none")]);
    let out = t.apply(delete()).unwrap().unwrap();
    assert_eq!(out.value, Value::Null);
    assert!(out.value_schema.is_some());
    let t = xform(&[
        ("delete.handling.mode", "REWRITE"),
        ("drop.tombstones", "false"),
    ]);
    let out = t.apply(delete()).unwrap().unwrap();
    assert_eq!(get(&out, "__deleted"), Some(&Value::String("true".into())));
    let out = t.apply(create()).unwrap().unwrap();
    assert_eq!(get(&out, "__deleted"), Some(&Value::String("false".into())));
    // The new option wins over the legacy ones.
    let t = xform(&[
        ("delete.handling.mode", "rewrite"),
        ("delete.tombstone.handling.mode", "drop"),
    ]);
    assert_eq!(t.apply(delete()).unwrap(), None);
}

#[test]
fn headers_from_envelope_and_tombstones() {
    let t = xform(&[
        ("add.headers", "op,source.db:database,id"),
        ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
    ]);
    let out = t.apply(create()).unwrap().unwrap();
    let h: Vec<_> = out
        .headers
        .iter()
        .map(|h| (h.key.as_str(), h.value.clone()))
        .collect();
    assert_eq!(
        h,
        [
            ("__op", Value::String("c".into())),
            ("__database", Value::String("inventory".into())),
            ("__id", Value::String("gtid:7".into())),
        ]
    );
    assert!(out.headers[0].schema.as_ref().is_some_and(|s| s.optional));
    let out = t.apply(tombstone()).unwrap().unwrap();
    assert_eq!(out.headers.len(), 1);
    assert_eq!(out.headers[0].key, "__op");
    assert_eq!(out.headers[0].value, Value::String("d".into()));
}

#[test]
fn add_fields_naming_and_missing_fields() {
    let t = xform(&[
        (
            "add.fields",
            "op:operation,source.name,total_order,nosuch,ts_ms",
        ),
        ("add.fields.prefix", "_"),
    ]);
    let out = t.apply(update()).unwrap().unwrap();
    assert_eq!(
        names(&out.value_schema),
        [
            "id",
            "first_name",
            "email",
            "_operation",
            "_source_name",
            "_total_order",
            "_ts_ms"
        ]
    );
    assert_eq!(
        get(&out, "_source_name"),
        Some(&Value::String("dbserver1".into()))
    );
    assert_eq!(get(&out, "_total_order"), Some(&Value::Int64(3)));
    assert_eq!(get(&out, "_ts_ms"), Some(&Value::Int64(1_705_314_600_456)));
}

#[test]
fn route_by_field() {
    let t = xform(&[
        ("route.by.field", "first_name"),
        ("delete.tombstone.handling.mode", "rewrite"),
    ]);
    assert_eq!(t.apply(create()).unwrap().unwrap().topic, "Anne");
    assert_eq!(t.apply(delete()).unwrap().unwrap().topic, "Anne Marie");
    let t = xform(&[("route.by.field", "nope")]);
    assert_eq!(
        t.apply(create()).unwrap_err().to_string(),
        "nope is not a valid field name"
    );
}

#[test]
fn truncate_non_envelope_and_drop_fields_header() {
    let t = xform(&[]);
    assert_eq!(t.apply(event("t", Value::Null, Value::Null)).unwrap(), None);
    let hb = ConnectRecord::new(
        "__debezium-heartbeat.dbserver1",
        None,
        Value::Null,
        Some(
            Schema::struct_()
                .named("io.debezium.connector.common.Heartbeat")
                .field("ts_ms", schemas::int64())
                .build(),
        ),
        Value::Null,
    );
    let mut hb2 = hb.clone();
    hb2.value =
        Value::Struct(Struct::new(hb.value_schema.clone().unwrap()).with("ts_ms", Value::Int64(1)));
    assert_eq!(t.apply(hb2.clone()).unwrap(), Some(hb2));

    let t = xform(&[("drop.fields.header.name", "changed")]);
    let mut rec = update();
    rec.headers.push(Header {
        key: "changed".into(),
        schema: None,
        value: Value::Array(vec![
            Value::String("email".into()),
            Value::String("id".into()),
        ]),
    });
    let out = t.apply(rec.clone()).unwrap().unwrap();
    // `id` is required, so schema-compatible dropping keeps it.
    assert_eq!(names(&out.value_schema), ["id", "first_name"]);
    let t = xform(&[
        ("drop.fields.header.name", "changed"),
        ("drop.fields.keep.schema.compatible", "false"),
    ]);
    let out = t.apply(rec).unwrap().unwrap();
    assert_eq!(names(&out.value_schema), ["first_name"]);
}

#[test]
fn config_errors() {
    let mut t = ExtractNewRecordState::new();
    let e = t
        .configure(&props(&[("delete.tombstone.handling.mode", "keep")]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid value keep for configuration delete.tombstone.handling.mode: Value must be one of drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone"
    );
    let e = t
        .configure(&props(&[("delete.handling.mode", "x")]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid value x for configuration delete.handling.mode: Value must be one of drop, rewrite, none"
    );
    let e = t.configure(&props(&[("add.fields", "a:b:c")])).unwrap_err();
    assert_eq!(e.to_string(), "Unexpected field name: a:b:c");
    assert!(ExtractNewRecordState::new().apply(create()).is_err());
}
