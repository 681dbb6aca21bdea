//! Tests for TimestampConverter, after Kafka's TimestampConverterTest: every source/target pair,
//! SimpleDateFormat patterns, unix precisions, fields inside structs and maps, and errors.

use super::*;
use crate::data::schemas;

// 2017-01-02T04:12:34.567Z in Kafka's test is built from a calendar; we use the same instant.
const TS: i64 = 1_483_330_354_567;
const DATE_DAYS: i32 = 17_168; // 2017-01-02
const TIME_MS: i32 = 4 * 3_600_000 + 12 * 60_000 + 34_567;
const FORMAT: &str = "yyyy MM dd HH mm ss SSS z";
const STRING_TS: &str = "2017 01 02 04 12 34 567 UTC";

fn xform(side: Side, props: &[(&str, &str)]) -> TimestampConverter {
    let mut t = TimestampConverter::new(side);
    let map = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    t.configure(&map).unwrap();
    t
}

fn run(
    t: &TimestampConverter,
    schema: Option<SchemaRef>,
    v: Value,
) -> Result<(Option<SchemaRef>, Value), TransformError> {
    let out = t
        .apply(ConnectRecord::new("t", None, Value::Null, schema, v))?
        .expect("never drops");
    Ok((out.value_schema, out.value))
}

#[test]
fn config_validation() {
    let mut t = TimestampConverter::value();
    assert_eq!(
        t.configure(&HashMap::new()).unwrap_err(),
        TransformError::Missing("target.type".into())
    );
    let err = |props: &[(&str, &str)]| {
        let mut t = TimestampConverter::value();
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap_err().to_string()
    };
    assert_eq!(
        err(&[("target.type", "date")]),
        "Invalid value date for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"
    );
    assert_eq!(
        err(&[("target.type", "string")]),
        "TimestampConverter requires format option to be specified when using string timestamps"
    );
    assert_eq!(
        err(&[("target.type", "string"), ("format", "bad-pattern")]),
        "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: bad-pattern"
    );
    assert_eq!(
        err(&[("target.type", "unix"), ("unix.precision", "minutes")]),
        "Invalid value minutes for configuration unix.precision: String must be one of: nanoseconds, microseconds, milliseconds, seconds"
    );
}

#[test]
fn schemaless_conversions() {
    let t = xform(
        Side::Value,
        &[("target.type", "string"), ("format", FORMAT)],
    );
    assert_eq!(
        run(&t, None, Value::Int64(TS)).unwrap().1,
        Value::String(STRING_TS.into())
    );
    let t = xform(Side::Value, &[("target.type", "unix"), ("format", FORMAT)]);
    assert_eq!(
        run(&t, None, Value::String(STRING_TS.into())).unwrap().1,
        Value::Int64(TS)
    );
    let t = xform(Side::Value, &[("target.type", "Timestamp")]);
    assert_eq!(run(&t, None, Value::Int64(TS)).unwrap().1, Value::Int64(TS));
    let t = xform(Side::Value, &[("target.type", "Date")]);
    assert_eq!(
        run(&t, None, Value::Int64(TS)).unwrap().1,
        Value::Int64(i64::from(DATE_DAYS) * 86_400_000)
    );
    let t = xform(Side::Value, &[("target.type", "Time")]);
    assert_eq!(
        run(&t, None, Value::Int64(TS)).unwrap().1,
        Value::Int64(i64::from(TIME_MS))
    );
    let e = run(&t, None, Value::Int32(1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TimestampConverter does not support class java.lang.Integer objects as timestamps"
    );
    assert_eq!(run(&t, None, Value::Null).unwrap(), (None, Value::Null));
}

#[test]
fn with_schema_every_target() {
    let cases: Vec<(&str, SchemaRef, Value)> = vec![
        ("Timestamp", Schema::timestamp().build(), Value::Int64(TS)),
        ("Date", Schema::date().build(), Value::Int32(DATE_DAYS)),
        ("Time", Schema::time().build(), Value::Int32(TIME_MS)),
        ("unix", schemas::int64(), Value::Int64(TS)),
        ("string", schemas::string(), Value::String(STRING_TS.into())),
    ];
    let t = xform(Side::Value, &[("target.type", "Date"), ("format", FORMAT)]);
    let (s, v) = run(&t, Some(Schema::timestamp().build()), Value::Int64(TS)).unwrap();
    assert!(s.unwrap().is_logical(DATE));
    assert_eq!(v, Value::Int32(DATE_DAYS));
    for (target, schema, expected) in &cases {
        let t = xform(Side::Value, &[("target.type", target), ("format", FORMAT)]);
        let (s, v) = run(&t, Some(Schema::timestamp().build()), Value::Int64(TS)).unwrap();
        assert_eq!(s.unwrap().name, schema.name, "target {target}");
        assert_eq!(&v, expected, "target {target}");
    }
    // Date input keeps only the day; Time input sits on 1970-01-01.
    let t = xform(Side::Value, &[("target.type", "unix")]);
    let (_, v) = run(&t, Some(Schema::date().build()), Value::Int32(DATE_DAYS)).unwrap();
    assert_eq!(v, Value::Int64(i64::from(DATE_DAYS) * 86_400_000));
    let (_, v) = run(&t, Some(Schema::time().build()), Value::Int32(TIME_MS)).unwrap();
    assert_eq!(v, Value::Int64(i64::from(TIME_MS)));
}

#[test]
fn unix_precisions() {
    let micros = xform(
        Side::Value,
        &[("target.type", "unix"), ("unix.precision", "microseconds")],
    );
    let (_, v) = run(&micros, Some(Schema::timestamp().build()), Value::Int64(TS)).unwrap();
    assert_eq!(v, Value::Int64(TS * 1000));
    let secs = xform(
        Side::Value,
        &[("target.type", "Timestamp"), ("unix.precision", "seconds")],
    );
    let (_, v) = run(&secs, Some(schemas::int64()), Value::Int64(1_483_330_354)).unwrap();
    assert_eq!(v, Value::Int64(1_483_330_354_000));
    let nanos = xform(
        Side::Value,
        &[
            ("target.type", "Timestamp"),
            ("unix.precision", "nanoseconds"),
        ],
    );
    let (_, v) = run(
        &nanos,
        Some(schemas::int64()),
        Value::Int64(TS * 1_000_000 + 999),
    )
    .unwrap();
    assert_eq!(v, Value::Int64(TS));
}

#[test]
fn simple_date_format_patterns() {
    let t = xform(
        Side::Value,
        &[("target.type", "string"), ("format", "yyyy-MM-dd")],
    );
    let (s, v) = run(
        &t,
        Some(Schema::timestamp().optional().build()),
        Value::Int64(TS),
    )
    .unwrap();
    assert_eq!(v, Value::String("2017-01-02".into()));
    assert!(s.unwrap().optional);
    let t = xform(
        Side::Value,
        &[
            ("target.type", "Timestamp"),
            ("format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
        ],
    );
    let (_, v) = run(
        &t,
        Some(schemas::string()),
        Value::String("2017-01-02T05:12:34.567+01:00".into()),
    )
    .unwrap();
    assert_eq!(v, Value::Int64(TS));
    let t = xform(
        Side::Value,
        &[("target.type", "Timestamp"), ("format", "yyyy-MM-dd")],
    );
    let e = run(
        &t,
        Some(schemas::string()),
        Value::String("02/01/2017".into()),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not parse timestamp: value (02/01/2017) does not match pattern (yyyy-MM-dd)"
    );
}

#[test]
fn field_inside_struct_and_map() {
    let schema = Schema::struct_()
        .named("rec")
        .field("ts", Schema::timestamp().build())
        .field("other", schemas::string())
        .build();
    let v = Struct::new(schema.clone())
        .with("ts", Value::Int64(TS))
        .with("other", Value::String("x".into()));
    let t = xform(
        Side::Value,
        &[
            ("field", "ts"),
            ("target.type", "string"),
            ("format", FORMAT),
        ],
    );
    let (s, out) = run(&t, Some(schema.clone()), Value::Struct(v)).unwrap();
    let s = s.unwrap();
    assert_eq!(s.name.as_deref(), Some("rec"));
    assert_eq!(s.fields[0].schema.kind, Type::String);
    assert_eq!(s.fields[1].schema, schemas::string());
    let st = out.as_struct().unwrap();
    assert_eq!(st.get("ts"), Some(&Value::String(STRING_TS.into())));
    assert_eq!(st.get("other"), Some(&Value::String("x".into())));
    let (_, out) = run(&t, Some(schema), Value::Null).unwrap();
    assert_eq!(out, Value::Null);

    // unix.precision applies to unix input as well as unix output.
    let t = xform(
        Side::Key,
        &[
            ("field", "ts"),
            ("target.type", "string"),
            ("format", "yyyy-MM-dd HH:mm:ss.SSS"),
            ("unix.precision", "seconds"),
        ],
    );
    let key = Value::Map(vec![(Value::String("ts".into()), Value::Int64(TS / 1000))]);
    let out = t
        .apply(ConnectRecord::new("t", None, key, None, Value::Null))
        .unwrap()
        .unwrap();
    assert_eq!(
        out.key.map_get("ts"),
        Some(&Value::String("2017-01-02 04:12:34.000".into()))
    );
}

#[test]
fn mismatched_types() {
    let t = xform(Side::Value, &[("target.type", "unix")]);
    let e = run(&t, Some(schemas::int32()), Value::Int32(1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Schema Schema{INT32} does not correspond to a known timestamp type format"
    );
    let e = run(
        &t,
        Some(Schema::timestamp().build()),
        Value::String("x".into()),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Expected Timestamp to be a java.util.Date, but found class java.lang.String"
    );
    let e = run(&t, Some(schemas::string()), Value::String("x".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "TimestampConverter requires format option to be specified when using string timestamps"
    );
}
