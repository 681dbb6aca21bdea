//! Tests for Cast, modelled on Kafka's CastTest: every target type, schemaless and schema-ful,
//! whole-value casts, logical types and Java's error messages.

use std::str::FromStr;

use bigdecimal::BigDecimal;

use super::*;
use crate::data::schemas;

fn xform(side: Side, spec: &str) -> Cast {
    let mut t = Cast::new(side);
    t.configure(&HashMap::from([("spec".to_string(), spec.to_string())]))
        .unwrap();
    t
}

fn whole(
    spec: &str,
    schema: Option<SchemaRef>,
    v: Value,
) -> Result<(Option<SchemaRef>, Value), TransformError> {
    let t = xform(Side::Value, spec);
    let out = t.apply(ConnectRecord::new("t", None, Value::Null, schema, v))?;
    let out = out.expect("cast never drops");
    Ok((out.value_schema, out.value))
}

fn cast(spec: &str, v: Value) -> Value {
    whole(spec, None, v).unwrap().1
}

#[test]
fn config_errors() {
    let mut t = Cast::value();
    let err = |t: &mut Cast, spec: &str| {
        t.configure(&HashMap::from([("spec".to_string(), spec.to_string())]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        t.configure(&HashMap::new()).unwrap_err(),
        TransformError::Missing("spec".into())
    );
    assert_eq!(err(&mut t, ""), "Must specify at least one field to cast.");
    assert_eq!(
        err(&mut t, "foo:faketype"),
        "Invalid type found in casting spec: faketype"
    );
    assert_eq!(
        err(&mut t, "a:int8:extra"),
        "Invalid value [a:int8:extra] for configuration spec: Invalid rename mapping: a:int8:extra"
    );
    assert_eq!(
        err(&mut t, "int8,int32"),
        "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec"
    );
    assert_eq!(
        err(&mut t, "a:bytes"),
        "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
    );
    assert_eq!(
        err(&mut t, "array"),
        "Cast transformation does not support casting to ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
    );
    assert_eq!(
        err(&mut t, "float"),
        "No enum constant org.apache.kafka.connect.data.Schema.Type.FLOAT"
    );
}

#[test]
fn whole_value_schemaless_to_every_type() {
    assert_eq!(cast("int8", Value::Int32(42)), Value::Int8(42));
    assert_eq!(cast("int8", Value::Int32(300)), Value::Int8(44));
    assert_eq!(cast("int16", Value::Int64(70_000)), Value::Int16(4464));
    assert_eq!(cast("int32", Value::Float64(42.9)), Value::Int32(42));
    assert_eq!(cast("int32", Value::Float64(1e20)), Value::Int32(i32::MAX));
    assert_eq!(cast("int64", Value::Boolean(true)), Value::Int64(1));
    assert_eq!(cast("float32", Value::Int32(42)), Value::Float32(42.0));
    assert_eq!(cast("float64", Value::Float32(1.5)), Value::Float64(1.5));
    assert_eq!(cast("boolean", Value::Int32(0)), Value::Boolean(false));
    assert_eq!(cast("boolean", Value::Float64(0.5)), Value::Boolean(false));
    assert_eq!(cast("boolean", Value::Int8(-1)), Value::Boolean(true));
    assert_eq!(cast("string", Value::Int32(42)), Value::String("42".into()));
    assert_eq!(
        cast("string", Value::Float64(1.0)),
        Value::String("1.0".into())
    );
    assert_eq!(
        cast("string", Value::Float32(1e10)),
        Value::String("1.0E10".into())
    );
    assert_eq!(
        cast("string", Value::Boolean(true)),
        Value::String("true".into())
    );
    assert_eq!(
        cast("string", Value::Bytes(b"hi!".to_vec())),
        Value::String("aGkh".into())
    );
}

#[test]
fn strings_parse_like_java() {
    assert_eq!(cast("int8", Value::String("42".into())), Value::Int8(42));
    assert_eq!(cast("int32", Value::String("+7".into())), Value::Int32(7));
    assert_eq!(
        cast("float64", Value::String(" 1.5e3 ".into())),
        Value::Float64(1500.0)
    );
    assert_eq!(
        cast("float32", Value::String("2.5f".into())),
        Value::Float32(2.5)
    );
    assert_eq!(
        cast("boolean", Value::String("TRUE".into())),
        Value::Boolean(true)
    );
    assert_eq!(
        cast("boolean", Value::String("yes".into())),
        Value::Boolean(false)
    );
    let e = whole("int8", None, Value::String("300".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Value (300) was out of range for requested data type"
    );
    let e = whole("float64", None, Value::String("inf".into())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Value (inf) was out of range for requested data type"
    );
    match cast("float64", Value::String("NaN".into())) {
        Value::Float64(v) => assert!(v.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsupported_inputs() {
    let e = whole("int32", None, Value::Bytes(vec![1])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unexpected type in Cast transformation: class [B"
    );
    let e = whole("int32", None, Value::Array(vec![])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
    );
    let e = whole("string", None, Value::Decimal(BigDecimal::from(1))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cast transformation was passed a value of type class java.math.BigDecimal which is not supported by Connect's data API"
    );
}

#[test]
fn whole_value_with_schema_keeps_metadata() {
    let schema = Schema::new(Type::Int32)
        .optional()
        .named("my.int")
        .version(2)
        .build();
    let (s, v) = whole("int64", Some(schema), Value::Int32(42)).unwrap();
    let s = s.unwrap();
    assert_eq!(s.kind, Type::Int64);
    assert!(s.optional);
    assert_eq!(s.name.as_deref(), Some("my.int"));
    assert_eq!(s.version, Some(2));
    assert_eq!(v, Value::Int64(42));
}

#[test]
fn whole_struct_cast_is_rejected() {
    let schema = Schema::struct_().field("a", schemas::int32()).build();
    let v = Struct::new(schema.clone()).with("a", Value::Int32(1));
    let e = whole("string", Some(schema), Value::Struct(v)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cast transformation does not support casting from STRUCT; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
    );
}

#[test]
fn struct_fields_to_every_type() {
    let schema = Schema::struct_()
        .named("rec")
        .field("int8", schemas::of(Type::Int8, false))
        .field("int16", schemas::of(Type::Int16, true))
        .field("int32", schemas::int32())
        .field("int64", schemas::int64())
        .field("float32", schemas::of(Type::Float32, false))
        .field("float64", schemas::of(Type::Float64, false))
        .field("boolean", schemas::of(Type::Boolean, false))
        .field("string", schemas::string())
        .field("bigdecimal", Schema::decimal(2).build())
        .field("date", Schema::date().build())
        .field("timestamp", Schema::timestamp().build())
        .field(
            "withdefault",
            Schema::new(Type::Int32)
                .default_value(Value::Int32(5))
                .build(),
        )
        .field("notcast", schemas::string())
        .build();
    let v = Struct::new(schema.clone())
        .with("int8", Value::Int8(8))
        .with("int16", Value::Int16(16))
        .with("int32", Value::Int32(32))
        .with("int64", Value::Int64(64))
        .with("float32", Value::Float32(32.0))
        .with("float64", Value::Float64(64.0))
        .with("boolean", Value::Boolean(true))
        .with("string", Value::String("42".into()))
        .with(
            "bigdecimal",
            Value::Decimal(BigDecimal::from_str("42.75").unwrap()),
        )
        .with("date", Value::Int32(19_737))
        .with("timestamp", Value::Int64(1_705_314_645_123))
        .with("notcast", Value::String("x".into()));
    let t = xform(
        Side::Value,
        "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32,bigdecimal:string,date:string,timestamp:int64,withdefault:string",
    );
    let out = t
        .apply(ConnectRecord::new(
            "t",
            None,
            Value::Null,
            Some(schema),
            Value::Struct(v),
        ))
        .unwrap()
        .unwrap();
    let s = out.value_schema.clone().unwrap();
    assert_eq!(s.name.as_deref(), Some("rec"));
    let kinds: Vec<_> = s.fields.iter().map(|f| f.schema.kind).collect();
    assert_eq!(
        kinds,
        [
            Type::Int16,
            Type::Int32,
            Type::Int64,
            Type::Boolean,
            Type::Float64,
            Type::Boolean,
            Type::Int8,
            Type::Int32,
            Type::String,
            Type::String,
            Type::Int64,
            Type::String,
            Type::String
        ]
    );
    assert!(s.fields[1].schema.optional);
    // Cast field schemas lose their logical names; defaults are cast too.
    assert_eq!(s.fields[10].schema.name, None);
    assert_eq!(s.fields[11].schema.default, Some(Value::String("5".into())));
    let st = out.value.as_struct().unwrap();
    assert_eq!(st.get("int8"), Some(&Value::Int16(8)));
    assert_eq!(st.get("int64"), Some(&Value::Boolean(true)));
    assert_eq!(st.get("boolean"), Some(&Value::Int8(1)));
    assert_eq!(st.get("string"), Some(&Value::Int32(42)));
    assert_eq!(st.get("bigdecimal"), Some(&Value::String("42.75".into())));
    assert_eq!(st.get("date"), Some(&Value::String("2024-01-15".into())));
    assert_eq!(st.get("timestamp"), Some(&Value::Int64(1_705_314_645_123)));
    assert_eq!(st.get("withdefault"), Some(&Value::String("5".into())));
    assert_eq!(st.get("notcast"), Some(&Value::String("x".into())));
}

#[test]
fn logical_to_string_and_numbers() {
    let ts = Schema::timestamp().build();
    let (_, v) = whole("string", Some(ts.clone()), Value::Int64(1_705_314_645_123)).unwrap();
    assert_eq!(v, Value::String("2024-01-15T10:30:45.123Z".into()));
    let time = Schema::time().build();
    let (_, v) = whole("string", Some(time), Value::Int32(3_600_000)).unwrap();
    assert_eq!(v, Value::String("01:00:00.000Z".into()));
    let dec = Schema::decimal(0).build();
    let (_, v) = whole(
        "int32",
        Some(dec.clone()),
        Value::Decimal(BigDecimal::from_str("12.9").unwrap()),
    )
    .unwrap();
    assert_eq!(v, Value::Int32(12));
    let (_, v) = whole(
        "float64",
        Some(dec.clone()),
        Value::Decimal(BigDecimal::from_str("0.25").unwrap()),
    )
    .unwrap();
    assert_eq!(v, Value::Float64(0.25));
    let (_, v) = whole(
        "string",
        Some(dec),
        Value::Decimal(BigDecimal::from_str("1E+3").unwrap()),
    )
    .unwrap();
    assert_eq!(v, Value::String("1E+3".into()));
}

#[test]
fn schemaless_fields_and_nulls() {
    let t = xform(Side::Key, "a:int64,missing:string");
    let key = Value::Map(vec![
        (Value::String("a".into()), Value::Int32(1)),
        (Value::String("b".into()), Value::Int32(2)),
    ]);
    let out = t
        .apply(ConnectRecord::new("t", None, key, None, Value::Null))
        .unwrap()
        .unwrap();
    assert_eq!(out.key.map_get("a"), Some(&Value::Int64(1)));
    assert_eq!(out.key.map_get("b"), Some(&Value::Int32(2)));
    assert_eq!(out.key.map_get("missing"), Some(&Value::Null));
    let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
    assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
    let opt = Schema::struct_()
        .field("a", schemas::of(Type::Int32, true))
        .build();
    let v = Struct::new(opt.clone());
    let t = xform(Side::Value, "a:string");
    let out = t
        .apply(ConnectRecord::new(
            "t",
            None,
            Value::Null,
            Some(opt),
            Value::Struct(v),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(out.value.as_struct().unwrap().get("a"), Some(&Value::Null));
}
