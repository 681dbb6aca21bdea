//! Golden tests for JsonConverter serialization: exact bytes as Kafka 3.9 writes them, for
//! every type and logical type, both decimal formats, envelopes and Java float formatting.

use std::collections::HashMap;
use std::str::FromStr;

use bigdecimal::BigDecimal;

use super::*;
use crate::data::{schemas, Schema, SchemaRef, Struct, Type, Value};

fn converter(settings: &[(&str, &str)]) -> JsonConverter {
    let map: HashMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut c = JsonConverter::default();
    Converter::configure(&mut c, &map, false).expect("valid settings");
    c
}

fn write_with(c: &JsonConverter, schema: Option<SchemaRef>, value: Value) -> String {
    let bytes = c
        .from_connect("topic", schema.as_ref(), &value)
        .expect("converts")
        .expect("not a tombstone");
    String::from_utf8(bytes).expect("utf-8")
}

/// schemas.enable=true (the default).
fn write(schema: Option<SchemaRef>, value: Value) -> String {
    write_with(&converter(&[]), schema, value)
}

/// schemas.enable=false.
fn write_plain(schema: Option<SchemaRef>, value: Value) -> String {
    write_with(&converter(&[("schemas.enable", "false")]), schema, value)
}

fn err(c: &JsonConverter, schema: Option<SchemaRef>, value: Value) -> String {
    c.from_connect("topic", schema.as_ref(), &value)
        .expect_err("should fail")
        .to_string()
}

fn dec(s: &str) -> Value {
    Value::Decimal(BigDecimal::from_str(s).expect("decimal literal"))
}

fn req(kind: Type) -> SchemaRef {
    schemas::of(kind, false)
}

fn opt(kind: Type) -> SchemaRef {
    schemas::of(kind, true)
}

#[test]
fn primitive_types_with_envelope() {
    let cases: Vec<(SchemaRef, Value, &str)> = vec![
        (
            req(Type::Int8),
            Value::Int8(-12),
            r#"{"schema":{"type":"int8","optional":false},"payload":-12}"#,
        ),
        (
            req(Type::Int16),
            Value::Int16(1234),
            r#"{"schema":{"type":"int16","optional":false},"payload":1234}"#,
        ),
        (
            req(Type::Int32),
            Value::Int32(i32::MIN),
            r#"{"schema":{"type":"int32","optional":false},"payload":-2147483648}"#,
        ),
        (
            req(Type::Int64),
            Value::Int64(i64::MAX),
            r#"{"schema":{"type":"int64","optional":false},"payload":9223372036854775807}"#,
        ),
        (
            req(Type::Float32),
            Value::Float32(0.1),
            r#"{"schema":{"type":"float","optional":false},"payload":0.1}"#,
        ),
        (
            req(Type::Float64),
            Value::Float64(12.34),
            r#"{"schema":{"type":"double","optional":false},"payload":12.34}"#,
        ),
        (
            req(Type::Boolean),
            Value::Boolean(true),
            r#"{"schema":{"type":"boolean","optional":false},"payload":true}"#,
        ),
        (
            req(Type::String),
            Value::String("foo-bar".into()),
            r#"{"schema":{"type":"string","optional":false},"payload":"foo-bar"}"#,
        ),
        (
            req(Type::Bytes),
            Value::Bytes(b"test-string".to_vec()),
            r#"{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}"#,
        ),
        (
            req(Type::Bytes),
            Value::Bytes(vec![0, 1, 2, 255]),
            r#"{"schema":{"type":"bytes","optional":false},"payload":"AAEC/w=="}"#,
        ),
        (
            opt(Type::Boolean),
            Value::Boolean(false),
            r#"{"schema":{"type":"boolean","optional":true},"payload":false}"#,
        ),
    ];
    for (schema, value, want) in cases {
        assert_eq!(write(Some(schema), value), want);
    }
}

#[test]
fn primitive_types_without_envelope() {
    assert_eq!(write_plain(Some(req(Type::Int64)), Value::Int64(42)), "42");
    assert_eq!(
        write_plain(Some(req(Type::Float64)), Value::Float64(5.0)),
        "5.0"
    );
    assert_eq!(
        write_plain(Some(req(Type::String)), Value::String("x".into())),
        r#""x""#
    );
    assert_eq!(write_plain(None, Value::Boolean(true)), "true");
    assert_eq!(write_plain(None, Value::Bytes(vec![0xFF])), r#""/w==""#);
}

#[test]
fn string_escaping_matches_jackson() {
    let s = "q\"b\\s/t\tn\nr\rb\u{8}f\u{c}c\u{1}\u{1f}\u{7f}é😀";
    assert_eq!(
        write_plain(None, Value::String(s.into())),
        "\"q\\\"b\\\\s/t\\tn\\nr\\rb\\bf\\fc\\u0001\\u001F\u{7f}é😀\""
    );
}

#[test]
fn float_formatting_edge_cases() {
    let doubles: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0e7, "1.0E7"),
        (9_999_999.0, "9999999.0"),
        (1.0e-4, "1.0E-4"),
        (0.001, "0.001"),
        (1.23456789012e8, "1.23456789012E8"),
        (5.0, "5.0"),
        (-123.5, "-123.5"),
        (f64::MAX, "1.7976931348623157E308"),
        (5e-324, "4.9E-324"),
        (f64::NAN, r#""NaN""#),
        (f64::INFINITY, r#""Infinity""#),
        (f64::NEG_INFINITY, r#""-Infinity""#),
    ];
    for (x, want) in doubles {
        assert_eq!(
            write_plain(Some(req(Type::Float64)), Value::Float64(*x)),
            *want,
            "{x:e}"
        );
    }
    let floats: &[(f32, &str)] = &[
        (0.1, "0.1"),
        (1.0e7, "1.0E7"),
        (1.0e-4, "1.0E-4"),
        (3.4028235e38, "3.4028235E38"),
        (0.33333334, "0.33333334"),
        (-0.0, "-0.0"),
        (f32::NAN, r#""NaN""#),
    ];
    for (x, want) in floats {
        assert_eq!(
            write_plain(Some(req(Type::Float32)), Value::Float32(*x)),
            *want,
            "{x:e}"
        );
    }
    // Schemaless doubles too (ints stay ints).
    let arr = Value::Array(vec![
        Value::Float64(1.0e7),
        Value::Int32(3),
        Value::Float32(2.5),
    ]);
    assert_eq!(write_plain(None, arr), "[1.0E7,3,2.5]");
}

#[test]
fn schema_metadata_key_order() {
    let schema = Schema::new(Type::String)
        .optional()
        .named("com.example.Name")
        .version(3)
        .doc("the documentation")
        .parameter("foo", "bar")
        .parameter("a", "1")
        .default_value(Value::String("dflt".into()))
        .build();
    assert_eq!(
        write(Some(schema), Value::String("x".into())),
        r#"{"schema":{"type":"string","optional":true,"name":"com.example.Name","version":3,"doc":"the documentation","parameters":{"foo":"bar","a":"1"},"default":"dflt"},"payload":"x"}"#
    );
}

#[test]
fn null_values_defaults_and_tombstones() {
    let c = converter(&[]);
    // The only tombstone: no schema and no value.
    assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
    assert_eq!(
        converter(&[("schemas.enable", "false")])
            .from_connect("t", None, &Value::Null)
            .unwrap(),
        None
    );
    // Null with an optional schema is JSON null, not a tombstone.
    assert_eq!(
        write(Some(opt(Type::String)), Value::Null),
        r#"{"schema":{"type":"string","optional":true},"payload":null}"#
    );
    assert_eq!(write_plain(Some(opt(Type::String)), Value::Null), "null");
    // Defaults replace nulls (replace.null.with.default=true).
    let with_default = Schema::new(Type::Int32)
        .default_value(Value::Int32(42))
        .build();
    assert_eq!(
        write(Some(with_default.clone()), Value::Null),
        r#"{"schema":{"type":"int32","optional":false,"default":42},"payload":42}"#
    );
    let keep_null = converter(&[("replace.null.with.default", "false")]);
    let optional_default = Schema::new(Type::Int32)
        .optional()
        .default_value(Value::Int32(42))
        .build();
    assert_eq!(
        write_with(&keep_null, Some(optional_default), Value::Null),
        r#"{"schema":{"type":"int32","optional":true,"default":42},"payload":null}"#
    );
    let required_msg =
        "Conversion error: null value for field that is required and has no default value";
    assert_eq!(
        err(&keep_null, Some(with_default), Value::Null),
        required_msg
    );
    assert_eq!(err(&c, Some(req(Type::String)), Value::Null), required_msg);
}

#[test]
fn decimal_base64_and_numeric() {
    let schema = Schema::decimal(2).build();
    let decimal_schema = r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}"#;
    assert_eq!(
        write(Some(schema.clone()), dec("12.34")),
        format!(r#"{{"schema":{decimal_schema},"payload":"BNI="}}"#)
    );
    assert_eq!(write_plain(Some(schema.clone()), dec("1.56")), r#""AJw=""#);
    assert_eq!(
        write_plain(Some(schema.clone()), dec("-12.34")),
        r#""+y4=""#
    );
    assert_eq!(write_plain(Some(schema.clone()), dec("0.00")), r#""AA==""#);
    assert_eq!(write_plain(Some(schema.clone()), dec("1.28")), r#""AIA=""#);
    let numeric = converter(&[("decimal.format", "numeric"), ("schemas.enable", "false")]);
    assert_eq!(
        write_with(&numeric, Some(schema.clone()), dec("12.34")),
        "12.34"
    );
    assert_eq!(
        write_with(&numeric, Some(schema.clone()), dec("-0.10")),
        "-0.10"
    );
    // NUMERIC writes BigDecimal.toString(): scientific for negative scales / tiny values.
    let scale_minus_3 = Schema::decimal(-3).build();
    assert_eq!(
        write_with(&numeric, Some(scale_minus_3.clone()), dec("1E+3")),
        "1E+3"
    );
    assert_eq!(
        write_with(&numeric, Some(schema.clone()), dec("0.000000012")),
        "1.2E-8"
    );
    // BASE64 insists on the schema's scale; NUMERIC does not.
    assert_eq!(
        err(&converter(&[]), Some(schema.clone()), dec("1.5")),
        "Decimal value has mismatching scale for given Decimal schema. Schema has scale 2, value has scale 1."
    );
    assert_eq!(
        write_with(&numeric, Some(schema.clone()), dec("1.5")),
        "1.5"
    );
    assert_eq!(
        err(&converter(&[]), Some(schema), Value::Int32(1)),
        "Invalid type for Decimal, expected BigDecimal but was class java.lang.Integer"
    );
    // A Decimal default is written in the configured format.
    let with_default = Schema::decimal(2)
        .optional()
        .default_value(dec("1.56"))
        .build();
    assert_eq!(
        write(Some(with_default), Value::Null),
        r#"{"schema":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"AJw="},"payload":"AJw="}"#
    );
}

#[test]
fn date_time_timestamp() {
    assert_eq!(
        write(Some(Schema::date().build()), Value::Int32(10_000)),
        r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}"#
    );
    assert_eq!(
        write(Some(Schema::time().build()), Value::Int32(14_400_000)),
        r#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#
    );
    assert_eq!(
        write(
            Some(Schema::timestamp().optional().build()),
            Value::Int64(4_000_000_000)
        ),
        r#"{"schema":{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#
    );
    let c = converter(&[]);
    assert_eq!(
        err(&c, Some(Schema::time().build()), Value::Int32(-1)),
        "Kafka Connect Time type should not have any date fields set to non-zero values."
    );
    assert_eq!(
        err(&c, Some(Schema::timestamp().build()), Value::Int32(1)),
        "Invalid type for Timestamp, expected Date but was class java.lang.Integer"
    );
}

#[test]
fn arrays_and_maps() {
    let array = Schema::array(req(Type::Int32)).build();
    assert_eq!(
        write(
            Some(array),
            Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])
        ),
        r#"{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]}"#
    );
    let string_keys = Schema::map(req(Type::String), req(Type::Int32)).build();
    let entries = vec![
        (Value::String("key1".into()), Value::Int32(12)),
        (Value::String("key2".into()), Value::Int32(15)),
    ];
    assert_eq!(
        write(Some(string_keys), Value::Map(entries)),
        r#"{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}"#
    );
    let int_keys = Schema::map(req(Type::Int32), opt(Type::String)).build();
    let entries = vec![
        (Value::Int32(1), Value::String("a".into())),
        (Value::Int32(2), Value::Null),
    ];
    assert_eq!(
        write(Some(int_keys), Value::Map(entries)),
        r#"{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":true},"optional":false},"payload":[[1,"a"],[2,null]]}"#
    );
    // Schemaless: all-string keys → object, otherwise pairs.
    let mixed = Value::Map(vec![
        (Value::String("a".into()), Value::Int64(1)),
        (Value::Int32(2), Value::Boolean(true)),
    ]);
    assert_eq!(
        write(None, mixed),
        r#"{"schema":null,"payload":[["a",1],[2,true]]}"#
    );
    let obj = Value::Map(vec![(
        Value::String("a".into()),
        Value::Array(vec![Value::Null]),
    )]);
    assert_eq!(
        write(None, obj),
        r#"{"schema":null,"payload":{"a":[null]}}"#
    );
    assert_eq!(
        write(None, Value::Map(vec![])),
        r#"{"schema":null,"payload":{}}"#
    );
}

fn customers_schema() -> SchemaRef {
    Schema::struct_()
        .named("customers")
        .field("id", req(Type::Int32))
        .field("name", opt(Type::String))
        .field(
            "price",
            Schema::decimal(2)
                .optional()
                .parameter("connect.decimal.precision", "10")
                .build(),
        )
        .field("updated_at", Schema::timestamp().build())
        .build()
}

/// The JDBC row worked example from the compatibility reference (§4.1).
#[test]
fn reference_jdbc_row_example() {
    let schema = customers_schema();
    let row = Struct::new(schema.clone())
        .with("id", Value::Int32(1))
        .with("name", Value::String("Ann".into()))
        .with("price", dec("12.34"))
        .with("updated_at", Value::Int64(1_700_000_000_000));
    let expected = concat!(
        r#"{"schema":{"type":"struct","fields":["#,
        r#"{"type":"int32","optional":false,"field":"id"},"#,
        r#"{"type":"string","optional":true,"field":"name"},"#,
        r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"price"},"#,
        r#"{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"updated_at"}],"#,
        r#""optional":false,"name":"customers"},"#,
        r#""payload":{"id":1,"name":"Ann","price":"BNI=","updated_at":1700000000000}}"#
    );
    assert_eq!(
        write(Some(schema.clone()), Value::Struct(row.clone())),
        expected
    );
    assert_eq!(
        write_plain(Some(schema), Value::Struct(row)),
        r#"{"id":1,"name":"Ann","price":"BNI=","updated_at":1700000000000}"#
    );
}

#[test]
fn nested_structs() {
    let address = Schema::struct_()
        .optional()
        .named("Address")
        .field("city", req(Type::String))
        .build();
    let tag = Schema::struct_().field("k", req(Type::String)).build();
    let schema = Schema::struct_()
        .named("Outer")
        .doc("outer doc")
        .field("home", address.clone())
        .field("work", address.clone())
        .field("tags", Schema::array(tag.clone()).optional().build())
        .field(
            "attrs",
            Schema::map(req(Type::String), opt(Type::Float64)).build(),
        )
        .field(
            "flag",
            Schema::new(Type::Boolean)
                .default_value(Value::Boolean(true))
                .build(),
        )
        .build();
    let value = Struct::new(schema.clone())
        .with(
            "home",
            Value::Struct(Struct::new(address).with("city", Value::String("Oslo".into()))),
        )
        .with(
            "tags",
            Value::Array(vec![Value::Struct(
                Struct::new(tag).with("k", Value::String("v".into())),
            )]),
        )
        .with(
            "attrs",
            Value::Map(vec![(Value::String("w".into()), Value::Float64(1.0e-4))]),
        );
    let expected = concat!(
        r#"{"schema":{"type":"struct","fields":["#,
        r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"city"}],"optional":true,"name":"Address","field":"home"},"#,
        r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"city"}],"optional":true,"name":"Address","field":"work"},"#,
        r#"{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"k"}],"optional":false},"optional":true,"field":"tags"},"#,
        r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"double","optional":true},"optional":false,"field":"attrs"},"#,
        r#"{"type":"boolean","optional":false,"default":true,"field":"flag"}],"#,
        r#""optional":false,"name":"Outer","doc":"outer doc"},"#,
        r#""payload":{"home":{"city":"Oslo"},"work":null,"tags":[{"k":"v"}],"attrs":{"w":1.0E-4},"flag":true}}"#
    );
    assert_eq!(write(Some(schema), Value::Struct(value)), expected);
}

#[test]
fn type_errors_use_kafka_messages() {
    let c = converter(&[]);
    assert_eq!(
        err(&c, Some(req(Type::Int32)), Value::String("1".into())),
        "Invalid type for INT32: class java.lang.String"
    );
    assert_eq!(
        err(&c, Some(req(Type::Int64)), Value::Int32(1)),
        "Invalid type for INT64: class java.lang.Integer"
    );
    assert_eq!(
        err(&c, Some(req(Type::Bytes)), Value::String("x".into())),
        "Invalid type for bytes type: class java.lang.String"
    );
    let a = Schema::struct_().field("x", req(Type::Int32)).build();
    let b = Schema::struct_().field("y", req(Type::Int32)).build();
    assert_eq!(
        err(&c, Some(b), Value::Struct(Struct::new(a.clone()))),
        "Mismatching schema."
    );
    assert_eq!(
        err(&c, None, Value::Struct(Struct::new(a.clone()))),
        "Mismatching schema."
    );
    assert_eq!(
        err(&c, Some(a.clone()), Value::Struct(Struct::new(a))),
        "Conversion error: null value for field that is required and has no default value"
    );
    assert_eq!(
        err(&c, None, dec("1.5")),
        "Java class class java.math.BigDecimal does not have corresponding schema type."
    );
}

#[test]
fn config_validation() {
    let mut c = JsonConverter::default();
    let bad = HashMap::from([("decimal.format".to_string(), "hex".to_string())]);
    assert_eq!(
        Converter::configure(&mut c, &bad, false).unwrap_err().to_string(),
        "Invalid value hex for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC"
    );
    let bad = HashMap::from([("schemas.enable".to_string(), "yes".to_string())]);
    assert_eq!(
        Converter::configure(&mut c, &bad, false).unwrap_err().to_string(),
        "Invalid value yes for configuration schemas.enable: Expected value to be either true or false"
    );
    let ok = HashMap::from([("schemas.enable".to_string(), " FALSE ".to_string())]);
    Converter::configure(&mut c, &ok, true).unwrap();
    assert!(!c.config().schemas_enable);
    assert_eq!(c.config().decimal_format, DecimalFormat::Base64);
}

#[test]
fn schema_to_json_standalone() {
    let c = JsonConverter::default();
    let bytes = c
        .schema_to_json(&Schema::array(opt(Type::Float32)).build())
        .unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        r#"{"type":"array","items":{"type":"float","optional":true},"optional":false}"#
    );
}

#[path = "deser_tests.rs"]
mod deser_tests;

#[test]
fn schema_json_cache_is_per_instance_and_reset_by_configure() {
    let mut c = converter(&[]);
    let schema = Schema::decimal(2)
        .optional()
        .default_value(dec("1.56"))
        .build();
    let first = write_with(&c, Some(schema.clone()), Value::Null);
    assert_eq!(
        write_with(&c, Some(schema.clone()), dec("0.01")),
        first.replace(r#""payload":"AJw=""#, r#""payload":"AQ==""#)
    );
    // An equal schema in another Arc converts the same.
    let twin = Schema::decimal(2)
        .optional()
        .default_value(dec("1.56"))
        .build();
    assert_eq!(write_with(&c, Some(twin), Value::Null), first);
    // Reconfiguring (the default is written in the new format) drops the cached JSON.
    let numeric = HashMap::from([("decimal.format".to_string(), "NUMERIC".to_string())]);
    Converter::configure(&mut c, &numeric, false).unwrap();
    assert_eq!(
        write_with(&c, Some(schema), Value::Null),
        r#"{"schema":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":1.56},"payload":1.56}"#
    );
}

/// The direct writer (the record path) and the tree (transforms, the Elasticsearch sink) agree.
#[test]
fn direct_writer_matches_the_tree() {
    let tags = Schema::array(req(Type::String)).optional().build();
    let attrs = Schema::map(req(Type::String), opt(Type::Int64))
        .optional()
        .build();
    let schema = Schema::struct_()
        .field("id", req(Type::Int32))
        .field("name", opt(Type::String))
        .field("score", opt(Type::Float64))
        .field("ratio", opt(Type::Float32))
        .field("raw", opt(Type::Bytes))
        .field("tags", tags)
        .field("attrs", attrs)
        .field(
            "flag",
            Schema::new(Type::Boolean)
                .optional()
                .default_value(Value::Boolean(true))
                .build(),
        )
        .field("price", Schema::decimal(2).optional().build())
        .build();
    let rows = [
        Struct::new(schema.clone())
            .with("id", Value::Int32(-7))
            .with("name", Value::String("a \"q\" \\ \n é 한".into()))
            .with("score", Value::Float64(1e21))
            .with("ratio", Value::Float32(f32::NAN))
            .with("raw", Value::Bytes(vec![0, 255, 7]))
            .with(
                "tags",
                Value::Array(vec![Value::String("x".into()), Value::String("y".into())]),
            )
            .with(
                "attrs",
                Value::Map(vec![
                    (Value::String("k".into()), Value::Int64(i64::MIN)),
                    (Value::String("n".into()), Value::Null),
                ]),
            )
            .with("price", dec("-1.05")),
        Struct::new(schema.clone()).with("id", Value::Int32(0)),
    ];
    for numeric in [false, true] {
        for replace in [false, true] {
            let cfg = JsonConfig {
                decimal_format: if numeric {
                    DecimalFormat::Numeric
                } else {
                    DecimalFormat::Base64
                },
                replace_null_with_default: replace,
                ..JsonConfig::default()
            };
            for row in &rows {
                let v = Value::Struct(row.clone());
                let mut direct = Vec::new();
                serialize::write_value(Some(&schema), &v, &cfg, &mut direct).unwrap();
                let tree = serialize::value_to_node(Some(&schema), &v, &cfg)
                    .unwrap()
                    .to_bytes();
                assert_eq!(
                    String::from_utf8(direct).unwrap(),
                    String::from_utf8(tree).unwrap()
                );
            }
        }
    }
    // Schemaless values and errors take the same paths.
    let cfg = JsonConfig::default();
    let loose = Value::Array(vec![
        Value::Int64(1),
        Value::String("s".into()),
        Value::Boolean(false),
    ]);
    let mut direct = Vec::new();
    serialize::write_value(None, &loose, &cfg, &mut direct).unwrap();
    assert_eq!(
        direct,
        serialize::value_to_node(None, &loose, &cfg)
            .unwrap()
            .to_bytes()
    );
    let wrong = Value::String("not an int".into());
    let e1 =
        serialize::write_value(Some(&req(Type::Int32)), &wrong, &cfg, &mut Vec::new()).unwrap_err();
    let e2 = serialize::value_to_node(Some(&req(Type::Int32)), &wrong, &cfg).unwrap_err();
    assert_eq!(e1.to_string(), e2.to_string());
}
