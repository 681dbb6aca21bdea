//! Tests for the Values.parseString / convertToString subset used by SimpleHeaderConverter,
//! including Kafka's tokenizer quirks and the string fallback on malformed arrays and maps.

use std::str::FromStr;

use bigdecimal::BigDecimal;

use super::*;
use crate::data::schema::{DATE, DECIMAL, TIME, TIMESTAMP};

fn parsed(text: &str) -> (SchemaRef, Value) {
    parse_string(text).expect("parses").expect("not null")
}

fn kind(text: &str) -> Type {
    parsed(text).0.kind
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

#[test]
fn literals_and_strings() {
    assert_eq!(parsed(""), (required(Type::String), s("")));
    assert_eq!(parsed("   "), (required(Type::String), s("   ")));
    assert_eq!(parse_string("null").unwrap(), None);
    assert_eq!(parse_string(" null ").unwrap(), None);
    assert_eq!(
        parsed("true"),
        (required(Type::Boolean), Value::Boolean(true))
    );
    assert_eq!(
        parsed(" false"),
        (required(Type::Boolean), Value::Boolean(false))
    );
    assert_eq!(parsed("TRUE").1, s("TRUE"));
    assert_eq!(parsed("true}").1, s("true}"));
    assert_eq!(parsed("hello, world").1, s("hello, world"));
    assert_eq!(parsed("12abc").1, s("12abc"));
    assert_eq!(parsed("a:b").1, s("a:b"));
}

#[test]
fn integers_take_the_smallest_type() {
    assert_eq!(parsed("42"), (required(Type::Int8), Value::Int8(42)));
    assert_eq!(parsed("-128").1, Value::Int8(-128));
    assert_eq!(parsed("-129"), (required(Type::Int16), Value::Int16(-129)));
    assert_eq!(
        parsed("40000"),
        (required(Type::Int32), Value::Int32(40_000))
    );
    assert_eq!(
        parsed("3000000000"),
        (required(Type::Int64), Value::Int64(3_000_000_000))
    );
    assert_eq!(parsed("+5").1, Value::Int8(5));
    assert_eq!(parsed(" 7 ").1, Value::Int8(7));
    // Integral decimals are integers too.
    assert_eq!(parsed("1.0").1, Value::Int8(1));
    assert_eq!(parsed("1e3").1, Value::Int16(1000));
    assert_eq!(parsed("-0.000").1, Value::Int8(0));
    // Kafka parses only the first token of an unquoted top-level value.
    assert_eq!(parsed("123,456").1, Value::Int8(123));
}

#[test]
fn other_numbers() {
    assert_eq!(
        parsed("0.1"),
        (required(Type::Float32), Value::Float32(0.1))
    );
    assert_eq!(
        parsed("3.141592653589793").1,
        Value::Float32(std::f32::consts::PI)
    );
    assert_eq!(
        parsed("1e30"),
        (required(Type::Float32), Value::Float32(1e30))
    );
    assert_eq!(
        parsed("1e40"),
        (required(Type::Float64), Value::Float64(1e40))
    );
    let (schema, value) = parsed("12345678901234567890");
    assert_eq!(schema.name.as_deref(), Some(DECIMAL));
    assert_eq!(schema.decimal_scale(), Some(0));
    assert_eq!(
        value,
        Value::Decimal(BigDecimal::from_str("12345678901234567890").unwrap())
    );
    let (schema, _) = parsed("1e400");
    assert_eq!(schema.decimal_scale(), Some(-400));
    assert_eq!(kind("1e999999999999"), Type::String);
}

#[test]
fn temporal_values() {
    let (schema, value) = parsed("2023-11-14");
    assert_eq!(schema.name.as_deref(), Some(DATE));
    assert_eq!(value, Value::Int32(19_675));
    let (schema, value) = parsed("12:30:00.000Z");
    assert_eq!(schema.name.as_deref(), Some(TIME));
    assert_eq!(value, Value::Int32(45_000_000));
    let (schema, value) = parsed("2023-11-14T22:13:20.000Z");
    assert_eq!(schema.name.as_deref(), Some(TIMESTAMP));
    assert_eq!(value, Value::Int64(1_700_000_000_000));
    // SimpleDateFormat is lenient: month 13 rolls into the next year.
    assert_eq!(parsed("2023-13-01").1, Value::Int32(19_723));
    assert_eq!(parsed("2023-11-1x").0.kind, Type::Int32);
    assert_eq!(parsed("2023/11/14").1, s("2023/11/14"));
}

#[test]
fn arrays() {
    let (schema, value) = parsed("[1,2,3]");
    assert_eq!(schema.items.as_ref().map(|i| i.kind), Some(Type::Int8));
    assert_eq!(
        value,
        Value::Array(vec![Value::Int8(1), Value::Int8(2), Value::Int8(3)])
    );
    let (schema, value) = parsed("[1, 300, 2.5]");
    assert_eq!(schema.items.as_ref().map(|i| i.kind), Some(Type::Float32));
    assert_eq!(
        value,
        Value::Array(vec![
            Value::Float32(1.0),
            Value::Float32(300.0),
            Value::Float32(2.5)
        ])
    );
    let (schema, value) = parsed(r#"[1,"a b"]"#);
    assert_eq!(schema.items, None);
    assert_eq!(value, Value::Array(vec![Value::Int8(1), s("a b")]));
    assert_eq!(
        parsed("[]"),
        (Schema::new(Type::Array).build(), Value::Array(vec![]))
    );
    assert_eq!(parsed("[null]").1, Value::Array(vec![Value::Null]));
    let (schema, value) = parsed(r#"["2023-11-14", "2023-11-15"]"#);
    assert_eq!(
        schema.items.as_ref().and_then(|i| i.name.as_deref()),
        Some(DATE)
    );
    assert_eq!(
        value,
        Value::Array(vec![Value::Int32(19_675), Value::Int32(19_676)])
    );
    // Failures fall back to the whole text as a string.
    // Kafka's parser tolerates a trailing comma before ']'.
    assert_eq!(parsed("[1,]").1, Value::Array(vec![Value::Int8(1)]));
    for text in ["[1,null]", "[1,,2]", "[1", "[1,", "[1 2]"] {
        assert_eq!(parsed(text), (required(Type::String), s(text)), "{text}");
    }
}

#[test]
fn maps() {
    let (schema, value) = parsed(r#"{"a":1,"b":2,"a":3}"#);
    assert_eq!(schema.keys.as_ref().map(|k| k.kind), Some(Type::String));
    assert_eq!(schema.values.as_ref().map(|v| v.kind), Some(Type::Int8));
    assert_eq!(
        value,
        Value::Map(vec![(s("a"), Value::Int8(3)), (s("b"), Value::Int8(2))])
    );
    let (schema, value) = parsed(r#"{1:"x", 1000:"y"}"#);
    assert_eq!(schema.keys.as_ref().map(|k| k.kind), Some(Type::Int16));
    assert_eq!(
        value,
        Value::Map(vec![
            (Value::Int16(1), s("x")),
            (Value::Int16(1000), s("y"))
        ])
    );
    let (schema, _) = parsed(r#"{"a":1,"b":"x"}"#);
    assert_eq!(schema.keys.as_ref().map(|k| k.kind), Some(Type::String));
    assert_eq!(schema.values, None);
    assert_eq!(
        parsed("{}"),
        (Schema::new(Type::Map).build(), Value::Map(vec![]))
    );
    for text in [r#"{"a"}"#, r#"{null:1}"#, r#"{"a":1"#, "{,}"] {
        assert_eq!(parsed(text), (required(Type::String), s(text)), "{text}");
    }
}

#[test]
fn convert_to_string_then_parse() {
    let list = Value::Array(vec![s("x,y"), s("q\"t"), s("")]);
    let text = convert_to_string(None, &list).unwrap();
    assert_eq!(text, r#"["x,y","q\"t",""]"#);
    // Kafka does not unescape quoted content; the backslash stays.
    assert_eq!(
        parsed(&text).1,
        Value::Array(vec![s("x,y"), s("q\\\"t"), s("")])
    );
    let map = Value::Map(vec![(s("k"), Value::Array(vec![Value::Int64(1 << 40)]))]);
    let text = convert_to_string(None, &map).unwrap();
    assert_eq!(text, r#"{"k":[1099511627776]}"#);
    assert_eq!(parsed(&text).1, map);
    assert_eq!(convert_to_string(None, &Value::Null), None);
    let d = Value::Decimal(BigDecimal::from_str("0.00000001").unwrap());
    assert_eq!(convert_to_string(None, &d).unwrap(), "1E-8");
}

#[test]
fn deep_nesting_escapes_the_parser() {
    let ok = "[".repeat(100) + &"]".repeat(100);
    assert_eq!(parsed(&ok).0.kind, Type::Array);
    let deep = "[".repeat(100_000);
    assert!(parse_string(&deep).is_err());
}
