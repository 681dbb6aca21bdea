//! Golden tests: schemas and payloads as the repo's JsonConverter writes them, compared with
//! the Debezium reference (§1.3, §2) and Debezium's own test expectations.

use mysql_common::binlog::jsonb;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::io::ParseBuf;
use mysql_common::Value as My;

use super::*;
use crate::converters::{Converter, JsonConfig, JsonConverter};
use crate::data::{Schema, Struct, Value};

/// A nullable column (implicit `DEFAULT NULL`) with the JDBC type Debezium's parser assigns.
fn col(name: &str, type_name: &str) -> Column {
    let base = type_name.split_whitespace().next().unwrap_or(type_name);
    let jdbc_type = match base {
        "BOOLEAN" | "BOOL" => 16,
        "BIT" => -7,
        "TINYINT" | "SMALLINT" => 5,
        "MEDIUMINT" | "INT" | "INTEGER" | "YEAR" => 4,
        "BIGINT" | "SERIAL" => -5,
        "REAL" => 7,
        "FLOAT" => 6,
        "DOUBLE" => 8,
        "DECIMAL" => 3,
        "NUMERIC" => 2,
        "CHAR" | "ENUM" | "SET" => 1,
        "VARCHAR" | "TEXT" => 12,
        "BINARY" => -2,
        "VARBINARY" => -3,
        "BLOB" => 2004,
        "DATE" => 91,
        "TIME" => 92,
        "DATETIME" => 93,
        "TIMESTAMP" => 2014,
        _ => 1111,
    };
    Column {
        name: name.to_string(),
        position: 1,
        jdbc_type,
        type_name: type_name.to_string(),
        type_expression: type_name.to_string(),
        optional: true,
        has_default: true,
        ..Column::default()
    }
}

fn not_null(c: Column) -> Column {
    Column {
        optional: false,
        has_default: c.default_expression.is_some(),
        ..c
    }
}

fn with_default(c: Column, expression: &str) -> Column {
    Column {
        has_default: true,
        default_expression: Some(expression.to_string()),
        ..c
    }
}

fn sized(c: Column, length: i32) -> Column {
    Column {
        length: Some(length),
        ..c
    }
}

fn modes() -> TypeModes {
    TypeModes::default()
}

fn schema(c: &Column) -> SchemaRef {
    column_schema(c, &modes()).expect("mapped type")
}

fn schema_json(schema: &Schema) -> String {
    let bytes = JsonConverter::default()
        .schema_to_json(schema)
        .expect("schema converts");
    String::from_utf8(bytes).expect("utf-8")
}

/// The value as JsonConverter writes it with schemas.enable=false.
fn payload(schema: &SchemaRef, value: &Value) -> String {
    let c = JsonConverter::new(JsonConfig {
        schemas_enable: false,
        ..JsonConfig::default()
    });
    let bytes = c
        .from_connect("t", Some(schema), value)
        .expect("value converts")
        .expect("not a tombstone");
    String::from_utf8(bytes).expect("utf-8")
}

/// Snapshot value with the default modes, as JSON.
fn text_json(c: &Column, raw: &[u8]) -> String {
    text_json_with(c, raw, &modes())
}

fn text_json_with(c: &Column, raw: &[u8], modes: &TypeModes) -> String {
    let s = column_schema(c, modes).expect("mapped type");
    let v = convert_text(c, &s, Some(raw), modes).expect("converts");
    payload(&s, &v)
}

/// Binlog value with the default modes, as JSON.
fn binlog_json(c: &Column, value: My) -> String {
    binlog_json_with(c, value, &modes())
}

fn binlog_json_with(c: &Column, value: My, modes: &TypeModes) -> String {
    let s = column_schema(c, modes).expect("mapped type");
    let v = convert_binlog(c, &s, &BinlogValue::Value(value), modes).expect("converts");
    payload(&s, &v)
}

fn bytes(b: &[u8]) -> My {
    My::Bytes(b.to_vec())
}

fn customers() -> Vec<Column> {
    vec![
        Column {
            auto_incremented: true,
            ..not_null(col("id", "INT"))
        },
        Column {
            charset: Some("utf8mb4".to_string()),
            ..not_null(sized(col("first_name", "VARCHAR"), 255))
        },
        Column {
            scale: Some(2),
            ..with_default(sized(col("balance", "DECIMAL"), 10), "0.00")
        },
        Column {
            enum_values: vec!["S".into(), "M".into(), "L".into()],
            ..col("size", "ENUM")
        },
        not_null(with_default(
            col("updated_at", "TIMESTAMP"),
            "CURRENT_TIMESTAMP",
        )),
    ]
}

fn customers_value_schema() -> SchemaRef {
    customers()
        .iter()
        .fold(Schema::struct_(), |s, c| s.field(&c.name, schema(c)))
        .optional()
        .named("dbserver1.inventory.customers.Value")
        .build()
}

#[test]
fn golden_customers_after_schema() {
    let expected = concat!(
        r#"{"type":"struct","fields":["#,
        r#"{"type":"int32","optional":false,"field":"id"},"#,
        r#"{"type":"string","optional":false,"field":"first_name"},"#,
        r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"#,
        r#""parameters":{"scale":"2","connect.decimal.precision":"10"},"default":"AA==","field":"balance"},"#,
        r#"{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"#,
        r#""parameters":{"allowed":"S,M,L"},"field":"size"},"#,
        r#"{"type":"string","optional":false,"name":"io.debezium.time.ZonedTimestamp","version":1,"#,
        r#""default":"1970-01-01T00:00:00Z","field":"updated_at"}],"#,
        r#""optional":true,"name":"dbserver1.inventory.customers.Value"}"#
    );
    assert_eq!(schema_json(&customers_value_schema()), expected);
}

#[test]
fn golden_customers_after_payload_from_snapshot_and_binlog() {
    let expected = r#"{"id":1004,"first_name":"Anne","balance":"BOI=","size":"M","updated_at":"2024-01-15T10:30:00Z"}"#;
    let schema = customers_value_schema();
    let cols = customers();
    let text: [&[u8]; 5] = [b"1004", b"Anne", b"12.50", b"M", b"2024-01-15 10:30:00"];
    let binlog = [
        My::Int(1004),
        bytes(b"Anne"),
        bytes(b"12.50"),
        My::Int(2),
        bytes(b"1705314600"),
    ];
    let mut from_text = Struct::new(schema.clone());
    let mut from_binlog = Struct::new(schema.clone());
    for ((c, raw), value) in cols.iter().zip(text).zip(binlog) {
        let field = schema.field_named(&c.name).expect("field").schema.clone();
        let v = convert_text(c, &field, Some(raw), &modes()).expect("text converts");
        from_text.put(&c.name, v).expect("field");
        let v = convert_binlog(c, &field, &BinlogValue::Value(value), &modes()).expect("converts");
        from_binlog.put(&c.name, v).expect("field");
    }
    assert_eq!(payload(&schema, &Value::Struct(from_text)), expected);
    assert_eq!(payload(&schema, &Value::Struct(from_binlog)), expected);
}

#[test]
fn null_balance_is_written_as_its_default() {
    let schema = customers_value_schema();
    let c = &customers()[2];
    let field = schema.field_named("balance").expect("field").schema.clone();
    let v = convert_text(c, &field, None, &modes()).expect("converts");
    assert_eq!(v, Value::Null);
    assert_eq!(payload(&field, &v), r#""AA==""#);
}

#[test]
fn mode_names_parse_like_debezium() {
    assert_eq!(DecimalMode::parse("precise"), Some(DecimalMode::Precise));
    assert_eq!(DecimalMode::parse("DOUBLE"), Some(DecimalMode::Double));
    assert_eq!(DecimalMode::parse(" string "), Some(DecimalMode::String));
    assert_eq!(DecimalMode::parse("exact"), None);
    assert_eq!(
        TimePrecisionMode::parse("adaptive_time_microseconds"),
        Some(TimePrecisionMode::AdaptiveTimeMicroseconds)
    );
    assert_eq!(
        TimePrecisionMode::parse("connect"),
        Some(TimePrecisionMode::Connect)
    );
    assert_eq!(TimePrecisionMode::parse("adaptive"), None);
    assert_eq!(
        BigintUnsignedMode::parse("long"),
        Some(BigintUnsignedMode::Long)
    );
    assert_eq!(
        BigintUnsignedMode::parse("precise"),
        Some(BigintUnsignedMode::Precise)
    );
    assert_eq!(BinaryMode::parse("bytes"), Some(BinaryMode::Bytes));
    assert_eq!(BinaryMode::parse("base64"), Some(BinaryMode::Base64));
    assert_eq!(
        BinaryMode::parse("base64-url-safe"),
        Some(BinaryMode::Base64UrlSafe)
    );
    assert_eq!(BinaryMode::parse("hex"), Some(BinaryMode::Hex));
    assert_eq!(BinaryMode::parse("base64_url_safe"), None);
    assert_eq!(
        TypeModes::default().bigint_unsigned,
        BigintUnsignedMode::Long
    );
}

#[test]
fn boolean_only_for_boolean_type_names() {
    let b = not_null(col("b", "BOOLEAN"));
    assert_eq!(
        schema_json(&schema(&b)),
        r#"{"type":"boolean","optional":false}"#
    );
    assert_eq!(text_json(&b, b"1"), "true");
    assert_eq!(text_json(&b, b"0"), "false");
    assert_eq!(binlog_json(&b, My::Int(1)), "true");
    let t = sized(col("t", "TINYINT"), 1);
    assert_eq!(
        schema_json(&schema(&t)),
        r#"{"type":"int16","optional":true}"#
    );
    assert_eq!(text_json(&t, b"1"), "1");
    assert_eq!(binlog_json(&t, My::Int(-5)), "-5");
}

#[test]
fn bit_one_is_boolean_and_bit_n_little_endian() {
    let b1 = sized(col("b1", "BIT"), 1);
    assert_eq!(
        schema_json(&schema(&b1)),
        r#"{"type":"boolean","optional":true}"#
    );
    assert_eq!(text_json(&b1, &[1]), "true");
    assert_eq!(binlog_json(&b1, bytes(&[0])), "false");
    assert_eq!(binlog_json(&b1, bytes(&[1])), "true");

    let b10 = sized(col("b10", "BIT"), 10);
    assert_eq!(
        schema_json(&schema(&b10)),
        r#"{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,"parameters":{"length":"10"}}"#
    );
    // 0x0201 big-endian on the wire, little-endian in the event.
    assert_eq!(text_json(&b10, &[0x02, 0x01]), r#""AQI=""#);
    assert_eq!(binlog_json(&b10, bytes(&[0x02, 0x01])), r#""AQI=""#);
    // Short values are padded to ⌈n/8⌉ bytes.
    assert_eq!(binlog_json(&b10, bytes(&[0x05])), r#""BQA=""#);
}

#[test]
fn integer_widths_and_unsigned_reinterpretation() {
    let cases = [
        ("TINYINT UNSIGNED", "int16", "255"),
        ("SMALLINT", "int16", "-1"),
        ("SMALLINT UNSIGNED", "int32", "65535"),
        ("MEDIUMINT", "int32", "-1"),
        ("MEDIUMINT UNSIGNED", "int32", "16777215"),
        ("INT", "int32", "-1"),
        ("INT UNSIGNED", "int64", "4294967295"),
        ("BIGINT", "int64", "-1"),
        ("BIGINT UNSIGNED", "int64", "-1"),
        ("SERIAL", "int64", "-1"),
    ];
    for (type_name, json_type, from_minus_one) in cases {
        let c = not_null(col("n", type_name));
        assert_eq!(
            schema_json(&schema(&c)),
            format!(r#"{{"type":"{json_type}","optional":false}}"#),
            "{type_name}"
        );
        // A table map without signedness metadata: mysql_common reads every integer signed.
        assert_eq!(binlog_json(&c, My::Int(-1)), from_minus_one, "{type_name}");
    }
    let big = col("n", "BIGINT UNSIGNED");
    assert_eq!(binlog_json(&big, My::UInt(u64::MAX)), "-1");
    assert_eq!(text_json(&big, b"18446744073709551615"), "-1");
    assert_eq!(
        text_json(&col("n", "INT UNSIGNED"), b"4294967295"),
        "4294967295"
    );
    assert_eq!(
        text_json(&col("z", "INT UNSIGNED ZEROFILL"), b"0000000042"),
        "42"
    );
}

#[test]
fn bigint_unsigned_precise_is_decimal_20_0() {
    let m = TypeModes {
        bigint_unsigned: BigintUnsignedMode::Precise,
        ..modes()
    };
    let c = col("n", "BIGINT UNSIGNED");
    let s = column_schema(&c, &m).expect("mapped");
    assert_eq!(
        schema_json(&s),
        r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"0","connect.decimal.precision":"20"}}"#
    );
    assert_eq!(binlog_json_with(&c, My::Int(-1), &m), r#""AP//////////""#);
    assert_eq!(
        binlog_json_with(&c, My::UInt(u64::MAX), &m),
        r#""AP//////////""#
    );
    assert_eq!(
        text_json_with(&c, b"18446744073709551615", &m),
        r#""AP//////////""#
    );
    assert_eq!(binlog_json_with(&c, My::Int(1), &m), r#""AQ==""#);
}

#[test]
fn floating_point_types() {
    let cases = [
        (col("f", "FLOAT"), "float"),
        (sized(col("f", "FLOAT"), 24), "float"),
        (sized(col("f", "FLOAT"), 30), "double"),
        (
            Column {
                scale: Some(2),
                ..sized(col("f", "FLOAT"), 10)
            },
            "double",
        ),
        (col("r", "REAL"), "float"),
        (col("d", "DOUBLE"), "double"),
        (col("d", "DOUBLE PRECISION"), "double"),
    ];
    for (c, json_type) in &cases {
        assert_eq!(
            schema_json(&schema(c)),
            format!(r#"{{"type":"{json_type}","optional":true}}"#),
            "{}",
            c.type_name
        );
    }
    let float = col("f", "FLOAT");
    assert_eq!(text_json(&float, b"1.1"), "1.1");
    assert_eq!(binlog_json(&float, My::Float(1.1)), "1.1");
    // FLOAT(M,D) is stored single precision and widened, as Float.doubleValue() does.
    let fmd = Column {
        scale: Some(4),
        ..sized(col("f", "FLOAT"), 7)
    };
    assert_eq!(text_json(&fmd, b"1.1000"), "1.100000023841858");
    assert_eq!(binlog_json(&fmd, My::Float(1.1)), "1.100000023841858");
    assert_eq!(text_json(&col("d", "DOUBLE"), b"1e20"), "1.0E20");
    assert_eq!(binlog_json(&col("r", "REAL"), My::Double(0.5)), "0.5");
}

#[test]
fn decimal_in_every_mode() {
    let c = Column {
        scale: Some(2),
        ..sized(col("d", "DECIMAL"), 10)
    };
    assert_eq!(text_json(&c, b"12.50"), r#""BOI=""#);
    assert_eq!(binlog_json(&c, bytes(b"12.50")), r#""BOI=""#);
    assert_eq!(binlog_json(&c, bytes(b"-12.50")), r#""+x4=""#);
    let double = TypeModes {
        decimal: DecimalMode::Double,
        ..modes()
    };
    assert_eq!(
        schema_json(&column_schema(&c, &double).expect("mapped")),
        r#"{"type":"double","optional":true}"#
    );
    assert_eq!(text_json_with(&c, b"12.50", &double), "12.5");
    let string = TypeModes {
        decimal: DecimalMode::String,
        ..modes()
    };
    assert_eq!(text_json_with(&c, b"12.50", &string), r#""12.50""#);
    assert_eq!(binlog_json_with(&c, bytes(b"0.05"), &string), r#""0.05""#);
    // DECIMAL without precision is DECIMAL(10,0).
    assert_eq!(
        schema_json(&schema(&col("n", "NUMERIC"))),
        r#"{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"0","connect.decimal.precision":"10"}}"#
    );
}

#[test]
fn strings_decode_with_the_column_charset() {
    let korean = "안녕하세요";
    let utf8 = Column {
        charset: Some("utf8mb4".into()),
        ..col("s", "VARCHAR")
    };
    assert_eq!(
        text_json(&utf8, korean.as_bytes()),
        format!(r#""{korean}""#)
    );
    assert_eq!(
        binlog_json(&utf8, bytes(korean.as_bytes())),
        format!(r#""{korean}""#)
    );
    let euckr = Column {
        charset: Some("euckr".into()),
        ..col("s", "VARCHAR")
    };
    assert_eq!(
        binlog_json(&euckr, bytes(&[0xBE, 0xC8, 0xB3, 0xE7])),
        r#""안녕""#
    );
    assert_eq!(text_json(&euckr, &[0xBE, 0xC8, 0xB3, 0xE7]), r#""안녕""#);

    assert_eq!(decode_charset(Some("latin1"), &[0xE9, 0x80]), "é€");
    // Java's Cp1252 has no mapping for 0x81.
    assert_eq!(decode_charset(Some("latin1"), &[0x41, 0x81]), "A\u{FFFD}");
    assert_eq!(decode_charset(Some("ascii"), &[0x41, 0xE9]), "A\u{FFFD}");
    assert_eq!(
        decode_charset(Some("sjis"), &[0x93, 0xFA, 0x96, 0x7B]),
        "日本"
    );
    assert_eq!(
        decode_charset(Some("gbk"), &[0xD6, 0xD0, 0xCE, 0xC4]),
        "中文"
    );
    assert_eq!(
        decode_charset(Some("big5"), &[0xA4, 0xA4, 0xA4, 0xE5]),
        "中文"
    );
    assert_eq!(
        decode_charset(Some("utf16"), &[0x00, 0x61, 0x00, 0x62]),
        "ab"
    );
    assert_eq!(decode_charset(Some("utf32"), &[0, 0, 0, 0x61]), "a");
    assert_eq!(decode_charset(Some("binary"), &[0xE9]), "é");
    assert_eq!(decode_charset(Some("UTF8MB4"), &[0xFF]), "\u{FFFD}");
    assert_eq!(decode_charset(None, "x".as_bytes()), "x");
    assert_eq!(decode_charset(Some("no-such-charset"), "é".as_bytes()), "é");
}

#[test]
fn binary_types_in_every_mode() {
    let fixed = sized(col("b", "BINARY"), 4);
    assert_eq!(text_json(&fixed, &[1, 2]), r#""AQIAAA==""#);
    assert_eq!(binlog_json(&fixed, bytes(&[1, 2])), r#""AQIAAA==""#);
    let var = col("v", "VARBINARY");
    let blob = col("b", "BLOB");
    assert_eq!(binlog_json(&var, bytes(&[0xFB, 0xFF])), r#""+/8=""#);
    assert_eq!(text_json(&blob, &[0xFB, 0xFF]), r#""+/8=""#);
    let cases = [
        (BinaryMode::Base64, r#""+/8=""#),
        (BinaryMode::Base64UrlSafe, r#""-_8=""#),
        (BinaryMode::Hex, r#""fbff""#),
    ];
    for (mode, expected) in cases {
        let m = TypeModes {
            binary: mode,
            ..modes()
        };
        assert_eq!(
            schema_json(&column_schema(&var, &m).expect("mapped")),
            r#"{"type":"string","optional":true}"#
        );
        assert_eq!(
            binlog_json_with(&var, bytes(&[0xFB, 0xFF]), &m),
            expected,
            "{mode:?}"
        );
    }
    let hex = TypeModes {
        binary: BinaryMode::Hex,
        ..modes()
    };
    assert_eq!(
        binlog_json_with(&fixed, bytes(&[0xAB]), &hex),
        r#""ab000000""#
    );
}

/// `{"a":1,"b":[1,2]}` in MySQL's binary JSON format.
const SMALL_OBJECT: [u8; 31] = [
    0x00, // small object
    2, 0, 30, 0, // 2 members, 30 bytes
    18, 0, 1, 0, 19, 0, 1, 0, // keys at 18 and 19, one byte each
    0x05, 1, 0, // "a": inline int16 1
    0x02, 20, 0, // "b": small array at 20
    b'a', b'b', // keys
    2, 0, 10, 0, 0x05, 1, 0, 0x05, 2, 0, // [1,2]
];

fn parse_jsonb(bytes: &[u8]) -> jsonb::Value<'_> {
    ParseBuf(bytes).parse(()).expect("valid binary JSON")
}

#[test]
fn json_snapshot_text_is_kept_and_binlog_is_compact() {
    let c = col("j", "JSON");
    assert_eq!(
        schema_json(&schema(&c)),
        r#"{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1}"#
    );
    assert_eq!(
        text_json(&c, br#"{"a": 1, "b": [1, 2]}"#),
        r#""{\"a\": 1, \"b\": [1, 2]}""#
    );
    let value = parse_jsonb(&SMALL_OBJECT);
    assert_eq!(render_jsonb(&value), r#"{"a":1,"b":[1,2]}"#);
    let s = schema(&c);
    let v = convert_binlog(&c, &s, &BinlogValue::Jsonb(value), &modes()).expect("converts");
    assert_eq!(v, Value::String(r#"{"a":1,"b":[1,2]}"#.to_string()));
    // Raw JSON bytes (not pre-parsed) take the same path; empty JSON is null or {}.
    assert_eq!(
        binlog_json(&c, bytes(&SMALL_OBJECT)),
        r#""{\"a\":1,\"b\":[1,2]}""#
    );
    assert_eq!(binlog_json(&c, bytes(&[])), "null");
    assert_eq!(
        binlog_json(&not_null(col("j", "JSON")), bytes(&[])),
        r#""{}""#
    );
}

#[test]
fn jsonb_scalars_render_like_json_string_formatter() {
    let mut string = vec![0x00, 1, 0, 20, 0, 11, 0, 1, 0, 0x0C, 12, 0, b's', 7];
    string.extend_from_slice(b"a\"b\n\x01");
    string.extend_from_slice("é".as_bytes());
    assert_eq!(
        render_jsonb(&parse_jsonb(&string)),
        "{\"s\":\"a\\\"b\\n\\u0001é\"}"
    );

    let double = |x: f64| {
        let mut b = vec![0x0B];
        b.extend_from_slice(&x.to_le_bytes());
        render_jsonb(&parse_jsonb(&b))
    };
    assert_eq!(double(0.5), "0.5");
    assert_eq!(double(1.0), "1.0");
    assert_eq!(double(1e20), "100000000000000000000");
    assert_eq!(
        double(1e-5),
        "0.000010000000000000000818030539140313095458623138256371021270751953125"
    );
    assert_eq!(render_jsonb(&parse_jsonb(&[0x04, 0x01])), "true");
    assert_eq!(render_jsonb(&parse_jsonb(&[0x04, 0x00])), "null");
    let mut u64max = vec![0x0A];
    u64max.extend_from_slice(&[0xFF; 8]);
    assert_eq!(render_jsonb(&parse_jsonb(&u64max)), "18446744073709551615");

    // Opaque DECIMAL(4,2) 12.50: plain decimal text.
    let decimal = [0x0F, 246, 4, 4, 2, 0x8C, 0x32];
    assert_eq!(render_jsonb(&parse_jsonb(&decimal)), "12.50");
    // Opaque DATETIME: fraction trimmed of trailing zeros.
    let ymd: i64 = ((2018 * 13 + 6) << 5) | 20;
    let hms: i64 = (6 << 12) | (37 << 6) | 3;
    let packed = (((ymd << 17) | hms) << 24) + 500_000;
    let mut datetime = vec![0x0F, 12, 8];
    datetime.extend_from_slice(&packed.to_le_bytes());
    assert_eq!(
        render_jsonb(&parse_jsonb(&datetime)),
        r#""2018-06-20 06:37:03.5""#
    );
    // Other opaque values are base64.
    assert_eq!(
        render_jsonb(&parse_jsonb(&[0x0F, 252, 2, 0xFB, 0xFF])),
        r#""+/8=""#
    );
}

#[test]
fn malformed_jsonb_is_an_error_not_a_panic() {
    let c = col("j", "JSON");
    let s = schema(&c);
    // Object claiming a value offset beyond its size.
    let bad = [0x00, 1, 0, 11, 0, 11, 0, 1, 0, 0x0C, 200, 0];
    if let Ok(value) = ParseBuf(&bad).parse::<jsonb::Value<'_>>(()) {
        assert!(try_render_jsonb(&value).is_err());
        assert_eq!(render_jsonb(&value), "{null}");
        assert!(convert_binlog(&c, &s, &BinlogValue::Jsonb(value), &modes()).is_err());
    }
    assert!(convert_binlog(&c, &s, &BinlogValue::Value(bytes(&[0x00, 9, 9])), &modes()).is_err());
    assert!(convert_binlog(&c, &s, &BinlogValue::JsonDiff(Vec::new()), &modes()).is_err());
}

#[test]
fn enum_and_set() {
    let e = Column {
        enum_values: vec!["S".into(), "M".into(), "L".into()],
        ..col("size", "ENUM")
    };
    assert_eq!(text_json(&e, b"L"), r#""L""#);
    assert_eq!(binlog_json(&e, My::Int(2)), r#""M""#);
    assert_eq!(binlog_json(&e, My::Int(0)), r#""""#);
    let s = schema(&e);
    assert!(convert_binlog(&e, &s, &BinlogValue::Value(My::Int(4)), &modes()).is_err());

    let set = Column {
        enum_values: vec!["a".into(), "b".into(), "c".into()],
        ..col("tags", "SET")
    };
    assert_eq!(
        schema_json(&schema(&set)),
        r#"{"type":"string","optional":true,"name":"io.debezium.data.EnumSet","version":1,"parameters":{"allowed":"a,b,c"}}"#
    );
    assert_eq!(binlog_json(&set, bytes(&[0b101])), r#""a,c""#);
    assert_eq!(binlog_json(&set, bytes(&[0])), r#""""#);
    assert_eq!(text_json(&set, b"a,c"), r#""a,c""#);
}

#[test]
fn year_date_and_zero_dates() {
    let y = col("y", "YEAR");
    assert_eq!(
        schema_json(&schema(&y)),
        r#"{"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1}"#
    );
    assert_eq!(text_json(&y, b"2024"), "2024");
    assert_eq!(binlog_json(&y, bytes(b"2024")), "2024");

    let d = col("d", "DATE");
    assert_eq!(
        schema_json(&schema(&d)),
        r#"{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1}"#
    );
    assert_eq!(text_json(&d, b"2018-06-20"), "17702");
    assert_eq!(binlog_json(&d, My::Date(2018, 6, 20, 0, 0, 0, 0)), "17702");
    assert_eq!(text_json(&d, b"1969-12-31"), "-1");
    // Two-digit years are adjusted (enable.time.adjuster=true).
    assert_eq!(text_json(&d, b"0070-01-01"), "0");
    // Zero dates: null when nullable, else the default, else the epoch.
    assert_eq!(text_json(&d, b"0000-00-00"), "null");
    assert_eq!(binlog_json(&d, My::Date(0, 0, 0, 0, 0, 0, 0)), "null");
    let nn = not_null(col("d", "DATE"));
    assert_eq!(text_json(&nn, b"0000-00-00"), "0");
    assert_eq!(binlog_json(&nn, My::Date(2020, 0, 1, 0, 0, 0, 0)), "0");
    let with = not_null(with_default(col("d", "DATE"), "2018-06-20"));
    assert_eq!(text_json(&with, b"0000-00-00"), "17702");

    let connect = TypeModes {
        time: TimePrecisionMode::Connect,
        ..modes()
    };
    assert_eq!(
        schema_json(&column_schema(&d, &connect).expect("mapped")),
        r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1}"#
    );
    assert_eq!(text_json_with(&d, b"2018-06-20", &connect), "17702");
}

#[test]
fn time_keeps_negative_and_long_durations() {
    let t = col("t", "TIME");
    assert_eq!(
        schema_json(&schema(&t)),
        r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1}"#
    );
    assert_eq!(text_json(&t, b"-838:59:59.000000"), "-3020399000000");
    assert_eq!(text_json(&t, b"25:00:00"), "90000000000");
    assert_eq!(text_json(&t, b"-00:00:01.5"), "-1500000");
    assert_eq!(
        binlog_json(&t, My::Time(true, 34, 22, 59, 59, 0)),
        "-3020399000000"
    );
    assert_eq!(
        binlog_json(&t, My::Time(false, 0, 10, 0, 0, 250)),
        "36000000250"
    );

    let connect = TypeModes {
        time: TimePrecisionMode::Connect,
        ..modes()
    };
    assert_eq!(
        schema_json(&column_schema(&t, &connect).expect("mapped")),
        r#"{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1}"#
    );
    assert_eq!(text_json_with(&t, b"12:00:00.5", &connect), "43200500");
    let s = column_schema(&t, &connect).expect("mapped");
    assert!(convert_text(&t, &s, Some(b"-01:00:00"), &connect).is_err());
    assert!(convert_text(&t, &s, Some(b"25:00:00"), &connect).is_err());
}

#[test]
fn datetime_precision_picks_millis_or_micros() {
    let dt = col("dt", "DATETIME");
    assert_eq!(
        schema_json(&schema(&dt)),
        r#"{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1}"#
    );
    assert_eq!(text_json(&dt, b"2018-06-20 06:37:03"), "1529476623000");
    assert_eq!(
        binlog_json(&dt, My::Date(2018, 6, 20, 6, 37, 3, 0)),
        "1529476623000"
    );
    let dt3 = sized(col("dt", "DATETIME"), 3);
    assert_eq!(text_json(&dt3, b"2018-06-20 06:37:03.123"), "1529476623123");
    let dt6 = sized(col("dt", "DATETIME"), 6);
    assert_eq!(
        schema_json(&schema(&dt6)),
        r#"{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1}"#
    );
    assert_eq!(
        text_json(&dt6, b"2018-06-20 06:37:03.123456"),
        "1529476623123456"
    );
    assert_eq!(
        binlog_json(&dt6, My::Date(2018, 6, 20, 6, 37, 3, 123_456)),
        "1529476623123456"
    );
    assert_eq!(text_json(&dt6, b"1969-12-31 23:59:59.5"), "-500000");
    assert_eq!(text_json(&dt, b"0000-00-00 00:00:00"), "null");
    assert_eq!(
        binlog_json(&not_null(dt.clone()), My::Date(0, 0, 0, 0, 0, 0, 0)),
        "0"
    );

    let connect = TypeModes {
        time: TimePrecisionMode::Connect,
        ..modes()
    };
    assert_eq!(
        schema_json(&column_schema(&dt6, &connect).expect("mapped")),
        r#"{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1}"#
    );
    assert_eq!(
        text_json_with(&dt6, b"2018-06-20 06:37:03.123456", &connect),
        "1529476623123"
    );
}

#[test]
fn timestamp_is_zoned_iso_in_utc() {
    let ts = col("ts", "TIMESTAMP");
    assert_eq!(
        schema_json(&schema(&ts)),
        r#"{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1}"#
    );
    assert_eq!(
        binlog_json(&ts, bytes(b"1529501823")),
        r#""2018-06-20T13:37:03Z""#
    );
    assert_eq!(
        text_json(&ts, b"2018-06-20 13:37:03"),
        r#""2018-06-20T13:37:03Z""#
    );
    // Binlog values carry the column precision (ZonedDateTime with a fixed-width fraction).
    let ts3 = sized(col("ts", "TIMESTAMP"), 3);
    assert_eq!(
        binlog_json(&ts3, bytes(b"1529501823.120000")),
        r#""2018-06-20T13:37:03.120Z""#
    );
    let ts6 = sized(col("ts", "TIMESTAMP"), 6);
    assert_eq!(
        binlog_json(&ts6, bytes(b"1529501823")),
        r#""2018-06-20T13:37:03.000000Z""#
    );
    // A zero TIMESTAMP is epoch second 0 in the binlog.
    let ts2 = sized(col("ts", "TIMESTAMP"), 2);
    assert_eq!(
        binlog_json(&ts2, bytes(b"0")),
        r#""1970-01-01T00:00:00.00Z""#
    );
    // The snapshot reads a java.sql.Timestamp: ISO_OFFSET_DATE_TIME, trailing zeros dropped.
    assert_eq!(
        text_json(&ts3, b"2018-06-20 13:37:03.120"),
        r#""2018-06-20T13:37:03.12Z""#
    );
    assert_eq!(text_json(&ts, b"0000-00-00 00:00:00"), "null");
    assert_eq!(
        text_json(&not_null(ts.clone()), b"0000-00-00 00:00:00"),
        r#""1970-01-01T00:00:00Z""#
    );
    let connect = TypeModes {
        time: TimePrecisionMode::Connect,
        ..modes()
    };
    assert_eq!(
        binlog_json_with(&ts, bytes(b"1529501823"), &connect),
        r#""2018-06-20T13:37:03Z""#
    );
}

fn default_json(c: &Column) -> Option<String> {
    let s = schema(c);
    s.default.as_ref().map(|d| {
        payload(
            &Schema {
                default: None,
                ..(*s).clone()
            }
            .build(),
            d,
        )
    })
}

#[test]
fn defaults_follow_debezium() {
    let ts = not_null(with_default(col("ts", "TIMESTAMP"), "CURRENT_TIMESTAMP"));
    for now in [
        "CURRENT_TIMESTAMP",
        "current_timestamp()",
        "NOW()",
        "CURRENT_TIMESTAMP(3)",
    ] {
        let c = Column {
            default_expression: Some(now.into()),
            ..ts.clone()
        };
        assert_eq!(
            default_json(&c).as_deref(),
            Some(r#""1970-01-01T00:00:00Z""#),
            "{now}"
        );
    }
    // A nullable TIMESTAMP DEFAULT CURRENT_TIMESTAMP has no default, a DATETIME one has 0.
    assert_eq!(
        default_json(&with_default(col("ts", "TIMESTAMP"), "CURRENT_TIMESTAMP")),
        None
    );
    let dt = with_default(col("dt", "DATETIME"), "CURRENT_TIMESTAMP");
    assert_eq!(default_json(&dt).as_deref(), Some("0"));
    let ts3 = sized(
        with_default(col("ts", "TIMESTAMP"), "2020-01-01 10:00:00"),
        3,
    );
    assert_eq!(
        default_json(&ts3).as_deref(),
        Some(r#""2020-01-01T10:00:00.000Z""#)
    );

    assert_eq!(default_json(&with_default(col("n", "INT"), "NULL")), None);
    assert_eq!(default_json(&not_null(col("n", "INT"))), None);
    assert_eq!(default_json(&col("n", "INT")), None);
    assert_eq!(
        default_json(&with_default(col("n", "INT"), "42")).as_deref(),
        Some("42")
    );
    assert_eq!(
        default_json(&with_default(col("n", "INT"), " 0 ")).as_deref(),
        Some("0")
    );
    assert_eq!(
        default_json(&with_default(col("n", "INT"), "1.5")).as_deref(),
        Some("2")
    );
    assert_eq!(default_json(&with_default(col("n", "INT"), "abc")), None);
    assert_eq!(
        default_json(&with_default(col("n", "TINYINT"), "TRUE")).as_deref(),
        Some("1")
    );
    assert_eq!(
        default_json(&with_default(col("n", "BIGINT"), "-7")).as_deref(),
        Some("-7")
    );
    assert_eq!(
        default_json(&with_default(col("s", "VARCHAR"), " abc ")).as_deref(),
        Some(r#"" abc ""#)
    );
    assert_eq!(
        default_json(&with_default(col("s", "VARCHAR"), "_utf8mb4'x'")).as_deref(),
        Some(r#""x""#)
    );
    let e = Column {
        enum_values: vec!["S".into(), "M".into()],
        ..col("e", "ENUM")
    };
    assert_eq!(
        default_json(&with_default(e, "M")).as_deref(),
        Some(r#""M""#)
    );
    let b = sized(with_default(col("b", "BIT"), "b'101'"), 10);
    assert_eq!(default_json(&b).as_deref(), Some(r#""BQA=""#));
    let b = sized(with_default(col("b", "BIT"), "101"), 10);
    assert_eq!(default_json(&b).as_deref(), Some(r#""BQA=""#));
    let b1 = sized(with_default(col("b", "BIT"), "b'1'"), 1);
    assert_eq!(default_json(&b1).as_deref(), Some("true"));
    assert_eq!(
        default_json(&with_default(col("b", "BOOLEAN"), "TRUE")).as_deref(),
        Some("true")
    );
    assert_eq!(
        default_json(&with_default(col("b", "BOOLEAN"), "0")).as_deref(),
        Some("false")
    );
    let d = Column {
        scale: Some(2),
        ..sized(with_default(col("d", "DECIMAL"), "0"), 10)
    };
    assert_eq!(default_json(&d).as_deref(), Some(r#""AA==""#));
    let d = Column {
        default_expression: Some("1.005".into()),
        ..d
    };
    assert_eq!(default_json(&d).as_deref(), Some(r#""ZQ==""#));
    let double = TypeModes {
        decimal: DecimalMode::Double,
        ..modes()
    };
    let s = column_schema(&d, &double).expect("mapped");
    assert_eq!(s.default, Some(Value::Float64(1.01)));
    assert_eq!(
        default_json(&with_default(col("f", "DOUBLE"), "1.5")).as_deref(),
        Some("1.5")
    );
    assert_eq!(
        default_json(&with_default(col("y", "YEAR"), "2024")).as_deref(),
        Some("2024")
    );
    assert_eq!(
        default_json(&with_default(col("d", "DATE"), "2018-06-20")).as_deref(),
        Some("17702")
    );
    assert_eq!(
        default_json(&with_default(col("d", "DATE"), "0000-00-00")),
        None
    );
    assert_eq!(
        default_json(&not_null(with_default(col("d", "DATE"), "0000-00-00"))).as_deref(),
        Some("0")
    );
    assert_eq!(
        default_json(&with_default(col("t", "TIME"), "01:00:00")).as_deref(),
        Some("3600000000")
    );
    // Geometry defaults cannot be converted; no default, no error.
    assert_eq!(default_json(&with_default(col("g", "GEOMETRY"), "x")), None);
}

#[test]
fn geometry_and_point_structs() {
    let mut point = vec![0, 0, 0, 0, 0x01, 1, 0, 0, 0];
    point.extend_from_slice(&1.0f64.to_le_bytes());
    point.extend_from_slice(&2.0f64.to_le_bytes());

    let p = col("p", "POINT");
    assert_eq!(
        schema_json(&schema(&p)),
        concat!(
            r#"{"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},"#,
            r#"{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},"#,
            r#"{"type":"int32","optional":true,"field":"srid"}],"optional":true,"#,
            r#""name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)"}"#
        )
    );
    let expected = r#"{"x":1.0,"y":2.0,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":null}"#;
    assert_eq!(text_json(&p, &point), expected);
    assert_eq!(binlog_json(&p, My::Bytes(point.clone())), expected);

    let g = not_null(col("g", "GEOMETRY"));
    assert_eq!(
        schema_json(&schema(&g)),
        concat!(
            r#"{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},"#,
            r#"{"type":"int32","optional":true,"field":"srid"}],"optional":true,"#,
            r#""name":"io.debezium.data.geometry.Geometry","version":1,"doc":"Geometry"}"#
        )
    );
    point[..4].copy_from_slice(&4326i32.to_le_bytes());
    assert_eq!(
        binlog_json(&g, My::Bytes(point.clone())),
        r#"{"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":4326}"#
    );
    let s = schema(&p);
    assert!(convert_binlog(
        &p,
        &s,
        &BinlogValue::Value(bytes(&[0, 0, 0, 0, 1])),
        &modes()
    )
    .is_err());
}

#[test]
fn vector_and_uuid() {
    let v = col("v", "VECTOR");
    assert_eq!(
        schema_json(&schema(&v)),
        r#"{"type":"array","items":{"type":"float","optional":false},"optional":true,"name":"io.debezium.data.FloatVector","version":1}"#
    );
    let mut raw = Vec::new();
    raw.extend_from_slice(&1.5f32.to_le_bytes());
    raw.extend_from_slice(&(-2.0f32).to_le_bytes());
    assert_eq!(binlog_json(&v, My::Bytes(raw)), "[1.5,-2.0]");
    // `ENUM(...) BINARY` is not matched by name in Debezium: a plain CHAR string.
    let eb = Column {
        jdbc_type: 1,
        ..col("e", "ENUM BINARY")
    };
    assert_eq!(
        schema_json(&schema(&eb)),
        r#"{"type":"string","optional":true}"#
    );
    let u = col("u", "UUID");
    let raw: Vec<u8> = (0u8..16).collect();
    assert_eq!(
        binlog_json(&u, My::Bytes(raw)),
        r#""00010203-0405-0607-0809-0a0b0c0d0e0f""#
    );
}

#[test]
fn unsupported_types_are_reported() {
    let c = Column {
        jdbc_type: 1111,
        ..col("x", "INET6")
    };
    match column_schema(&c, &modes()) {
        Err(TypeError::UnsupportedType { column, type_name }) => {
            assert_eq!((column.as_str(), type_name.as_str()), ("x", "INET6"));
        }
        other => panic!("expected UnsupportedType, got {other:?}"),
    }
}

/// Every type with hostile input: errors are fine, panics are not.
#[test]
fn no_panics_on_any_input() {
    let types = [
        "BOOLEAN",
        "BIT",
        "TINYINT",
        "SMALLINT UNSIGNED",
        "MEDIUMINT",
        "INT UNSIGNED",
        "BIGINT UNSIGNED",
        "REAL",
        "FLOAT",
        "DOUBLE",
        "DECIMAL",
        "VARCHAR",
        "BINARY",
        "VARBINARY",
        "JSON",
        "ENUM",
        "SET",
        "YEAR",
        "DATE",
        "TIME",
        "DATETIME",
        "TIMESTAMP",
        "GEOMETRY",
        "POINT",
        "VECTOR",
        "UUID",
    ];
    let texts: [&[u8]; 12] = [
        b"",
        b"-",
        b"\xFF\xFE",
        b"99999999999999999999999999",
        b"-99999999999999999999999",
        b"1e400",
        b"9999-99-99 99:99:99.9999999999",
        b"::",
        b"0000-00-00",
        b"-838:59:59.999999999999999",
        b"12:00:",
        b"NaN",
    ];
    let values = [
        My::NULL,
        My::Bytes(vec![]),
        My::Bytes(vec![0xFF; 40]),
        My::Bytes(b"abc".to_vec()),
        My::Int(i64::MIN),
        My::Int(i64::MAX),
        My::UInt(u64::MAX),
        My::Float(f32::NAN),
        My::Double(f64::INFINITY),
        My::Date(65535, 255, 255, 255, 255, 255, u32::MAX),
        My::Date(2023, 2, 30, 0, 0, 0, 0),
        My::Time(true, u32::MAX, 255, 255, 255, u32::MAX),
    ];
    let all_modes = [
        modes(),
        TypeModes {
            decimal: DecimalMode::String,
            time: TimePrecisionMode::Connect,
            bigint_unsigned: BigintUnsignedMode::Precise,
            binary: BinaryMode::Hex,
        },
    ];
    let defaults = [
        "\u{1F600}\u{0}'",
        "1e-2000000000",
        "99999999999999999999e99",
        "_x'",
        "b'",
        "-",
        "",
    ];
    let sizes = [None, Some(i32::MAX), Some(i32::MIN), Some(0)];
    for type_name in types {
        for m in &all_modes {
            for (default, size) in defaults.iter().zip(sizes.iter().cycle()) {
                let c = Column {
                    length: *size,
                    scale: size.map(|s| s.wrapping_neg()),
                    enum_values: vec!["a".into()],
                    ..not_null(with_default(col("c", type_name), default))
                };
                let s = column_schema(&c, m).expect("mapped");
                for raw in texts {
                    let _ = convert_text(&c, &s, Some(raw), m);
                }
                let _ = convert_text(&c, &s, None, m);
                for v in &values {
                    let _ = convert_binlog(&c, &s, &BinlogValue::Value(v.clone()), m);
                }
            }
        }
    }
}

/// Random binary JSON must parse-or-fail and render without panicking.
#[test]
fn no_panics_on_random_binary_json() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let len = (next() % 48) as usize;
        let mut buf: Vec<u8> = (0..len).map(|_| (next() % 256) as u8).collect();
        if let Some(first) = buf.first_mut() {
            *first %= 16;
        }
        if let Ok(value) = ParseBuf(&buf).parse::<jsonb::Value<'_>>(()) {
            let _ = render_jsonb(&value);
            let _ = try_render_jsonb(&value);
        }
    }
}

/// mysql_common hands over a signed MEDIUMINT without its sign (bytes `00 00 80` → 8388608).
#[test]
fn signed_mediumint_from_the_binlog_keeps_its_sign() {
    let c = col("m", "MEDIUMINT");
    assert_eq!(binlog_json(&c, My::Int(8_388_608)), "-8388608");
    assert_eq!(binlog_json(&c, My::Int(0xFF_FFFF)), "-1");
    assert_eq!(binlog_json(&c, My::Int(8_388_607)), "8388607");
    let u = col("m", "MEDIUMINT UNSIGNED");
    assert_eq!(binlog_json(&u, My::Int(0xFF_FFFF)), "16777215");
}
