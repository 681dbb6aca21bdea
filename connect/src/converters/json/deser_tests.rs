//! JsonConverter deserialization and round-trip tests (envelope rules, schema parsing,
//! schemaless inference, Jackson coercions, Kafka's messages).

use super::*;

fn read_with(c: &JsonConverter, json: &str) -> (Option<SchemaRef>, Value) {
    c.to_connect("topic", Some(json.as_bytes()))
        .expect("converts")
}

fn read(json: &str) -> (Option<SchemaRef>, Value) {
    read_with(&converter(&[]), json)
}

fn read_plain(json: &str) -> Value {
    let (schema, value) = read_with(&converter(&[("schemas.enable", "false")]), json);
    assert_eq!(schema, None);
    value
}

fn read_err_with(c: &JsonConverter, json: &str) -> String {
    c.to_connect("topic", Some(json.as_bytes()))
        .expect_err("should fail")
        .to_string()
}

fn read_err(json: &str) -> String {
    read_err_with(&converter(&[]), json)
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

#[test]
fn envelope_rules() {
    let c = converter(&[]);
    assert_eq!(c.to_connect("t", None).unwrap(), (None, Value::Null));
    let msg = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
    for bad in [
        r#"{"a":1}"#,
        r#"{"schema":null}"#,
        r#"{"schema":null,"payload":1,"x":2}"#,
        r#"[1,2]"#,
        "12",
        "",
    ] {
        assert_eq!(read_err(bad), msg, "{bad}");
    }
    assert_eq!(
        read(r#"{ "schema": null, "payload": null }"#),
        (None, Value::Null)
    );
    assert_eq!(
        read(r#"{"payload": 12, "schema": null}"#),
        (None, Value::Int64(12))
    );
    let err = read_err("{not json");
    assert!(
        err.starts_with(
            "Converting byte[] to Kafka Connect data failed due to serialization error: "
        ),
        "{err}"
    );
}

#[test]
fn schemaless_inference() {
    assert_eq!(read_plain(""), Value::Null);
    assert_eq!(read_plain("null"), Value::Null);
    assert_eq!(read_plain("true"), Value::Boolean(true));
    assert_eq!(read_plain("12"), Value::Int64(12));
    assert_eq!(
        read_plain("99999999999999999999"),
        Value::Int64(7_766_279_631_452_241_919)
    );
    assert_eq!(read_plain("12.24"), Value::Float64(12.24));
    assert_eq!(read_plain("1e2"), Value::Float64(100.0));
    assert_eq!(read_plain(r#""a string""#), s("a string"));
    assert_eq!(
        read_plain(r#"[1, "2", 3]"#),
        Value::Array(vec![Value::Int64(1), s("2"), Value::Int64(3)])
    );
    assert_eq!(
        read_plain(r#"{ "field1": 1, "field2": {"x": null} }"#),
        Value::Map(vec![
            (s("field1"), Value::Int64(1)),
            (s("field2"), Value::Map(vec![(s("x"), Value::Null)])),
        ])
    );
}

#[test]
fn primitive_schemas_and_metadata() {
    let (schema, value) = read(
        r#"{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }"#,
    );
    let want = Schema::new(Type::Boolean)
        .named("bool")
        .version(2)
        .doc("the documentation")
        .parameter("foo", "bar")
        .build();
    assert_eq!(schema, Some(want));
    assert_eq!(value, Value::Boolean(true));
    assert_eq!(
        read(r#"{"schema":{"type":"int8"},"payload":0012}"#).1,
        Value::Int8(12)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"int16"},"payload":000123}"#).1,
        Value::Int16(123)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"int64"},"payload":4398046511104}"#).1,
        Value::Int64(4_398_046_511_104)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"float"},"payload":12.34}"#).1,
        Value::Float32(12.34)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"double"},"payload":12.34}"#).1,
        Value::Float64(12.34)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"bytes"},"payload":"dGVzdC1zdHJpbmc="}"#).1,
        Value::Bytes(b"test-string".to_vec())
    );
    assert_eq!(
        read(r#"{"schema":{"type":"string"},"payload":"foo-bar-baz"}"#).1,
        s("foo-bar-baz")
    );
    let (schema, value) = read(r#"{"schema":{"type":"boolean","optional":true},"payload":null}"#);
    assert_eq!(schema, Some(opt(Type::Boolean)));
    assert_eq!(value, Value::Null);
    let (schema, value) = read(r#"{"schema":{"type":"boolean","default":true},"payload":null}"#);
    assert_eq!(
        schema,
        Some(
            Schema::new(Type::Boolean)
                .default_value(Value::Boolean(true))
                .build()
        )
    );
    assert_eq!(value, Value::Boolean(true));
}

#[test]
fn jackson_coercions() {
    // Java narrowing and Jackson's lenient accessors, exactly as Kafka applies them.
    assert_eq!(
        read(r#"{"schema":{"type":"int8"},"payload":300}"#).1,
        Value::Int8(44)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"int32"},"payload":3.99}"#).1,
        Value::Int32(3)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"int32"},"payload":"7"}"#).1,
        Value::Int32(0)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"boolean"},"payload":1}"#).1,
        Value::Boolean(false)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"double"},"payload":-0.0}"#).1,
        Value::Float64(0.0)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"double"},"payload":"NaN"}"#).1,
        Value::Float64(0.0)
    );
    assert_eq!(
        read(r#"{"schema":{"type":"string"},"payload":5}"#).1,
        Value::Null
    );
    assert_eq!(
        read(r#"{"schema":{"type":"array","items":{"type":"int32"}},"payload":{"a":1}}"#).1,
        Value::Array(vec![Value::Int32(1)])
    );
    assert_eq!(
        read(r#"{"schema":{"type":"array","items":{"type":"int32"}},"payload":5}"#).1,
        Value::Array(vec![])
    );
    assert_eq!(
        read_err(r#"{"schema":{"type":"bytes"},"payload":"%%"}"#),
        "Invalid bytes field"
    );
    assert_eq!(
        read(r#"{"schema":{"type":"bytes"},"payload":" AQ ID "}"#).1,
        Value::Bytes(vec![1, 2, 3])
    );
}

#[test]
fn struct_payloads() {
    let (schema, value) = read(
        r#"{ "schema": { "type": "struct", "fields": [{ "field": "field1", "type": "boolean" }, { "field": "field2", "type": "string" }] }, "payload": { "field1": true, "field2": "string" } }"#,
    );
    let want = Schema::struct_()
        .field("field1", req(Type::Boolean))
        .field("field2", req(Type::String))
        .build();
    assert_eq!(schema, Some(want.clone()));
    let expected = Struct::new(want)
        .with("field1", Value::Boolean(true))
        .with("field2", s("string"));
    assert_eq!(value, Value::Struct(expected));
    // A missing optional field is null; a missing required one fails.
    let (_, value) = read(
        r#"{"schema":{"type":"struct","fields":[{"field":"optional","type":"string","optional":true},{"field":"required","type":"string"}]},"payload":{"required":"required"}}"#,
    );
    let Value::Struct(st) = value else {
        panic!("struct")
    };
    assert_eq!(st.get("optional"), Some(&Value::Null));
    assert_eq!(st.get("required"), Some(&s("required")));
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{}}"#
        ),
        "Invalid null value for required INT32 field"
    );
    // textValue() of a number is null, which Struct.put rejects for a required field.
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"string"}]},"payload":{"a":1}}"#
        ),
        "Invalid value: null used for required field: \"a\", schema type: STRING"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"struct","fields":[{"field":"a","type":"array","items":{"type":"string"}}]},"payload":{"a":[1]}}"#
        ),
        "Invalid value: null used for required element of array field: \"a\", schema type: STRING"
    );
    assert_eq!(
        read_err(r#"{"schema":{"type":"struct","fields":[]},"payload":[]}"#),
        "Structs should be encoded as JSON objects, but found ARRAY"
    );
}

#[test]
fn maps_and_arrays() {
    let (schema, value) = read(
        r#"{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [ [1, 12], [2, 15], [1, 16] ] }"#,
    );
    assert_eq!(
        schema,
        Some(Schema::map(req(Type::Int32), req(Type::Int32)).build())
    );
    assert_eq!(
        value,
        Value::Map(vec![
            (Value::Int32(1), Value::Int32(16)),
            (Value::Int32(2), Value::Int32(15))
        ])
    );
    let (_, value) = read(
        r#"{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": { "key1": 12, "key2": 15} }"#,
    );
    assert_eq!(
        value,
        Value::Map(vec![
            (s("key1"), Value::Int32(12)),
            (s("key2"), Value::Int32(15))
        ])
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":[]}"#
        ),
        "Maps with string fields should be encoded as JSON objects, but found ARRAY"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int32"}},"payload":{}}"#
        ),
        "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int32"}},"payload":[[1]]}"#
        ),
        "Found invalid map entry, expected length 2 but found :1"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int32"}},"payload":[1]}"#
        ),
        "Found invalid map entry instead of array tuple: NUMBER"
    );
    let (_, value) = read(
        r#"{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }"#,
    );
    assert_eq!(
        value,
        Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])
    );
    assert_eq!(
        read_err(r#"{"schema":{"type":"array","items":{"type":"int32"}},"payload":[1,null]}"#),
        "Invalid null value for required INT32 field"
    );
}

#[test]
fn logical_types() {
    let decimal_schema = Schema::decimal(2).build();
    for payload in [r#""AJw=""#, "1.56"] {
        let (schema, value) = read(&format!(
            r#"{{ "schema": {{ "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": {{ "scale": "2" }} }}, "payload": {payload} }}"#
        ));
        assert_eq!(schema, Some(decimal_schema.clone()));
        assert_eq!(value, dec("1.56"));
    }
    let (_, value) = read(
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"17"}},"payload":1.23456789123456789}"#,
    );
    assert_eq!(value, dec("1.23456789123456789"));
    let (schema, value) = read(
        r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"default":"AJw=","parameters":{"scale":"2"}},"payload":null}"#,
    );
    assert_eq!(schema.and_then(|s| s.default.clone()), Some(dec("1.56")));
    assert_eq!(value, dec("1.56"));
    assert_eq!(
        read_err(r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":true}"#),
        "Invalid type for Decimal, underlying representation should be numeric or bytes but was BOOLEAN"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal"},"payload":"AJw="}"#
        ),
        "Invalid bytes for Decimal field"
    );
    let (schema, value) = read(
        r#"{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": 10000 }"#,
    );
    assert_eq!(schema, Some(Schema::date().build()));
    assert_eq!(value, Value::Int32(10_000));
    assert_eq!(read(r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}"#).1, Value::Int32(14_400_000));
    assert_eq!(read(r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}"#).1, Value::Int64(4_000_000_000));
    assert_eq!(read(r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"default":42},"payload":null}"#).1, Value::Int64(42));
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":1.5}"#
        ),
        "Invalid type for Date, underlying representation should be integer but was NUMBER"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Time"},"payload":-1}"#
        ),
        "Time values must use number of milliseconds greater than 0 and less than 86400000"
    );
    assert_eq!(
        read_err(
            r#"{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":"x"}"#
        ),
        "Invalid type for Timestamp, underlying representation should be integral but was STRING"
    );
}

#[test]
fn schema_parse_errors() {
    let cases = [
        (
            r#"{"schema":{},"payload":1}"#,
            "Schema must contain 'type' field",
        ),
        (
            r#"{"schema":{"type":"int128"},"payload":1}"#,
            "Unknown schema type: int128",
        ),
        (
            r#"{"schema":{"type":"array"},"payload":[]}"#,
            "Array schema did not specify the element type",
        ),
        (
            r#"{"schema":{"type":"map","values":{"type":"int8"}},"payload":{}}"#,
            "Map schema did not specify the key type",
        ),
        (
            r#"{"schema":{"type":"map","keys":{"type":"int8"}},"payload":{}}"#,
            "Map schema did not specify the value type",
        ),
        (
            r#"{"schema":{"type":"struct"},"payload":{}}"#,
            "Struct schema's \"fields\" argument is not an array.",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}"#,
            "Struct schema's field name not specified properly",
        ),
        (
            r#"{"schema":{"type":"struct","fields":[{"type":"int8","field":"a"},{"type":"int8","field":"a"}]},"payload":{}}"#,
            "Cannot create field because of field name duplication a",
        ),
        (
            r#"{"schema":{"type":"int8","parameters":{"a":1}},"payload":1}"#,
            "Schema parameters must have string values.",
        ),
        (
            r#"{"schema":{"type":"string","default":5},"payload":null}"#,
            "Invalid default value",
        ),
        (
            r#"{"schema":{"type":"string","default":null},"payload":null}"#,
            "Invalid null value for required STRING field",
        ),
    ];
    for (json, msg) in cases {
        assert_eq!(read_err(json), msg, "{json}");
    }
}

fn round_trip_with(c: &JsonConverter, schema: SchemaRef, value: Value) {
    let bytes = c.from_connect("t", Some(&schema), &value).unwrap().unwrap();
    let (back_schema, back) = c.to_connect("t", Some(&bytes)).unwrap();
    assert_eq!(
        back_schema.as_ref(),
        Some(&schema),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(back, value, "{}", String::from_utf8_lossy(&bytes));
}

#[test]
fn round_trips() {
    let cases: Vec<(SchemaRef, Value)> = vec![
        (req(Type::Int8), Value::Int8(i8::MIN)),
        (req(Type::Int16), Value::Int16(i16::MAX)),
        (req(Type::Int32), Value::Int32(-7)),
        (req(Type::Int64), Value::Int64(i64::MIN)),
        (req(Type::Float32), Value::Float32(0.1)),
        (req(Type::Float32), Value::Float32(3.4028235e38)),
        (req(Type::Float64), Value::Float64(1.23456789012e8)),
        (req(Type::Float64), Value::Float64(5e-324)),
        (req(Type::Float64), Value::Float64(-1.0e-4)),
        (req(Type::Boolean), Value::Boolean(false)),
        (req(Type::String), s("ünïcödé \"quoted\" \u{1}")),
        (req(Type::Bytes), Value::Bytes((0..=255).collect())),
        (opt(Type::String), Value::Null),
        (Schema::decimal(2).build(), dec("-12.34")),
        (
            Schema::decimal(0).build(),
            dec("123456789012345678901234567890"),
        ),
        (Schema::date().build(), Value::Int32(-1)),
        (Schema::time().build(), Value::Int32(86_399_999)),
        (Schema::timestamp().build(), Value::Int64(-1)),
        (
            Schema::new(Type::Int32)
                .optional()
                .named("n")
                .version(7)
                .doc("d")
                .parameter("p", "v")
                .default_value(Value::Int32(3))
                .build(),
            Value::Int32(4),
        ),
        (
            Schema::array(opt(Type::Int64)).build(),
            Value::Array(vec![Value::Int64(1), Value::Null]),
        ),
        (
            Schema::map(req(Type::String), req(Type::Float64)).build(),
            Value::Map(vec![(s("a"), Value::Float64(1.0e7))]),
        ),
        (
            Schema::map(req(Type::Int64), opt(Type::Boolean)).build(),
            Value::Map(vec![
                (Value::Int64(5), Value::Boolean(true)),
                (Value::Int64(6), Value::Null),
            ]),
        ),
    ];
    for c in [converter(&[]), converter(&[("decimal.format", "NUMERIC")])] {
        for (schema, value) in &cases {
            round_trip_with(&c, schema.clone(), value.clone());
        }
    }
    let schema = customers_schema();
    let row = Struct::new(schema.clone())
        .with("id", Value::Int32(9))
        .with("price", dec("0.01"))
        .with("updated_at", Value::Int64(0));
    round_trip_with(&converter(&[]), schema.clone(), Value::Struct(row.clone()));
    let outer = Schema::struct_()
        .field("rows", Schema::array(schema.clone()).build())
        .field(
            "by_id",
            Schema::map(req(Type::Int32), schema).optional().build(),
        )
        .build();
    let value = Struct::new(outer.clone())
        .with("rows", Value::Array(vec![Value::Struct(row.clone())]))
        .with(
            "by_id",
            Value::Map(vec![(Value::Int32(9), Value::Struct(row))]),
        );
    round_trip_with(&converter(&[]), outer, Value::Struct(value));
}

#[test]
fn schemaless_round_trip_widens_numbers() {
    let c = converter(&[]);
    let value = Value::Map(vec![
        (s("n"), Value::Int32(1)),
        (s("f"), Value::Float32(0.5)),
    ]);
    let bytes = c.from_connect("t", None, &value).unwrap().unwrap();
    assert_eq!(bytes, br#"{"schema":null,"payload":{"n":1,"f":0.5}}"#);
    let (schema, back) = c.to_connect("t", Some(&bytes)).unwrap();
    assert_eq!(schema, None);
    assert_eq!(
        back,
        Value::Map(vec![
            (s("n"), Value::Int64(1)),
            (s("f"), Value::Float64(0.5))
        ])
    );
}

#[test]
fn header_converter_delegates() {
    let mut c = crate::converters::create_header_converter("JsonConverter").unwrap();
    let settings = HashMap::from([("schemas.enable".to_string(), "false".to_string())]);
    c.configure(&settings).unwrap();
    let bytes = c
        .from_connect_header("t", "h", None, &Value::Int64(5))
        .unwrap();
    assert_eq!(bytes.as_deref(), Some(&b"5"[..]));
    assert_eq!(
        c.to_connect_header("t", "h", Some(b"5")).unwrap(),
        (None, Value::Int64(5))
    );
}
