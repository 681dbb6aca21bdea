//! "Nothing panics on any input": every registered transform and predicate, under several
//! configurations, is fed odd records (wrong value kinds, schema/value mismatches, malformed
//! structs, unicode topics); each call must return, never panic.

use std::collections::HashMap;

use bigdecimal::BigDecimal;

use crate::data::{schemas, ConnectRecord, Header, Schema, Struct, Type, Value};
use crate::transforms::{
    create_predicate, create_transformation, PREDICATE_CLASSES, TRANSFORMATION_CLASSES,
};

fn configs() -> Vec<HashMap<String, String>> {
    let base: Vec<(&str, &str)> = vec![
        ("regex", "(.*)\\.(.*)"),
        ("replacement", "$2"),
        ("field", "a"),
        ("fields", "a,b"),
        ("headers", "h1,h2"),
        ("operation", "move"),
        ("spec", "a:int8,b:string"),
        ("target.type", "string"),
        ("format", "yyyy-MM-dd"),
        ("topic.field", "t"),
        ("static.field", "s"),
        ("static.value", "v"),
        ("schema.name", "n"),
        ("header", "h"),
        ("value.literal", "42"),
        ("topic.regex", "(.*)"),
        ("topic.replacement", "x$1"),
        ("add.fields", "op,source.ts_ms,a.b.c"),
        ("add.headers", "op,ts_ms"),
        ("route.by.field", "a"),
        ("drop.fields.header.name", "h"),
        ("pattern", ".*"),
        ("name", "h"),
    ];
    let mut v2 = base.clone();
    v2.extend([
        ("spec", "int64"),
        ("field", "a.b"),
        ("field.syntax.version", "V2"),
        ("target.type", "Date"),
        ("operation", "copy"),
        ("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
        ("replace.null.with.default", "false"),
        ("replacement", "$9"),
    ]);
    let mut v3 = base.clone();
    v3.extend([
        ("spec", "string"),
        ("target.type", "unix"),
        ("unix.precision", "nanoseconds"),
    ]);
    v3.extend([("delete.handling.mode", "rewrite"), ("replacement", "123")]);
    [base, v2, v3]
        .into_iter()
        .map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn records() -> Vec<ConnectRecord> {
    let inner = Schema::struct_()
        .optional()
        .field("c", schemas::int32())
        .build();
    let schema = Schema::struct_()
        .named("x.Envelope")
        .field("a", inner.clone())
        .field("b", Schema::timestamp().build())
        .field("op", schemas::string())
        .build();
    let good = Struct::new(schema.clone())
        .with(
            "a",
            Value::Struct(Struct::new(inner.clone()).with("c", Value::Int32(1))),
        )
        .with("b", Value::Int64(-1))
        .with("op", Value::String("u".into()));
    // Fewer values than fields, and values of the wrong kinds.
    let malformed = Struct {
        schema: schema.clone(),
        values: vec![Value::String("not a struct".into())],
    };
    let values = vec![
        Value::Null,
        Value::Int32(7),
        Value::Int64(i64::MIN),
        Value::Float64(f64::NAN),
        Value::String("2024-01-15".into()),
        Value::Bytes(vec![0xff]),
        Value::Decimal(BigDecimal::from(-3)),
        Value::Array(vec![Value::Null]),
        Value::Map(vec![
            (Value::Int32(1), Value::Null),
            (
                Value::String("a".into()),
                Value::Map(vec![(Value::String("b".into()), Value::Int8(1))]),
            ),
        ]),
        Value::Struct(good),
        Value::Struct(malformed),
    ];
    let schema_options = vec![
        None,
        Some(schema),
        Some(schemas::int32()),
        Some(Schema::new(Type::String).optional().build()),
        Some(Schema::date().build()),
        Some(Schema::map(schemas::string(), schemas::string()).build()),
    ];
    let mut out = Vec::new();
    for s in &schema_options {
        for v in &values {
            for topic in ["a.b", "ünï.cödé", ""] {
                let mut r = ConnectRecord::new(topic, s.clone(), v.clone(), s.clone(), v.clone());
                r.timestamp = Some(i64::MAX);
                r.headers.push(Header {
                    key: "h".into(),
                    schema: None,
                    value: Value::Array(vec![Value::String("a".into()), Value::Int8(1)]),
                });
                out.push(r);
            }
        }
    }
    out
}

#[test]
fn no_transform_or_predicate_panics() {
    let records = records();
    for config in configs() {
        for class in TRANSFORMATION_CLASSES {
            let Some(mut t) = create_transformation(class) else {
                panic!("{class} not creatable");
            };
            // Unconfigured instances must not panic either.
            for r in records.iter().take(5) {
                let _ = t.apply(r.clone());
            }
            if t.configure(&config).is_err() {
                continue;
            }
            for r in &records {
                let _ = t.apply(r.clone());
            }
        }
        for class in PREDICATE_CLASSES {
            let Some(mut p) = create_predicate(class) else {
                panic!("{class} not creatable");
            };
            let _ = p.configure(&config);
            for r in &records {
                let _ = p.test(r);
            }
        }
    }
}
