//! org.apache.kafka.connect.storage.SimpleHeaderConverter, the default header converter: header
//! values are written as UTF-8 text (`Values.convertToString`) and read back with
//! `Values.parseString`'s type inference (see [`super::values`] for the supported subset).

use std::collections::HashMap;

use super::values::{convert_to_string, parse_string};
use super::{ConverterError, HeaderConverter};
use crate::data::{Schema, SchemaRef, Type, Value};

/// org.apache.kafka.connect.storage.SimpleHeaderConverter (no settings).
#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    fn configure(&mut self, _configs: &HashMap<String, String>) -> Result<(), ConverterError> {
        Ok(())
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError> {
        Ok(convert_to_string(schema.map(|s| &**s), value).map(String::into_bytes))
    }

    fn to_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let text = String::from_utf8_lossy(bytes);
        match parse_string(&text) {
            Ok(Some((schema, value))) => Ok((Some(schema), value)),
            Ok(None) => Ok((None, Value::Null)),
            Err(cause) => {
                tracing::warn!(
                    topic,
                    header = header_key,
                    %cause,
                    "Failed to deserialize value for header '{header_key}' on topic '{topic}', so using byte array"
                );
                Ok((
                    Some(Schema::new(Type::Bytes).build()),
                    Value::Bytes(bytes.to_vec()),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Struct};

    fn write(schema: Option<SchemaRef>, value: Value) -> Option<String> {
        SimpleHeaderConverter
            .from_connect_header("t", "h", schema.as_ref(), &value)
            .unwrap()
            .map(|b| String::from_utf8(b).unwrap())
    }

    fn read(text: &str) -> (Option<SchemaRef>, Value) {
        SimpleHeaderConverter
            .to_connect_header("t", "h", Some(text.as_bytes()))
            .unwrap()
    }

    #[test]
    fn writes_values_as_strings() {
        assert_eq!(write(None, Value::Null), None);
        assert_eq!(write(None, Value::String("a\"b".into())).unwrap(), "a\"b");
        assert_eq!(write(None, Value::Float64(1.0e7)).unwrap(), "1.0E7");
        assert_eq!(write(None, Value::Float32(0.1)).unwrap(), "0.1");
        assert_eq!(write(None, Value::Int8(-3)).unwrap(), "-3");
        assert_eq!(write(None, Value::Bytes(vec![1, 2, 3])).unwrap(), "AQID");
        let list = Value::Array(vec![
            Value::String("x\"y".into()),
            Value::Int32(1),
            Value::Null,
            Value::Bytes(vec![0xFF]),
        ]);
        assert_eq!(write(None, list).unwrap(), r#"["x\"y",1,null,"/w=="]"#);
        let map = Value::Map(vec![(Value::String("a".into()), Value::Boolean(true))]);
        assert_eq!(write(None, map).unwrap(), r#"{"a":true}"#);
        let schema = Schema::struct_()
            .field("id", schemas::int32())
            .field(
                "n",
                Schema::new(Type::String)
                    .optional()
                    .default_value(Value::String("d".into()))
                    .build(),
            )
            .build();
        let s = Struct::new(schema.clone()).with("id", Value::Int32(7));
        assert_eq!(
            write(Some(schema), Value::Struct(s)).unwrap(),
            r#"{"id":7,"n":"d"}"#
        );
        assert_eq!(
            write(
                Some(Schema::timestamp().build()),
                Value::Int64(1_700_000_000_000)
            )
            .unwrap(),
            "2023-11-14T22:13:20.000Z"
        );
        assert_eq!(
            write(Some(Schema::date().build()), Value::Int32(19_675)).unwrap(),
            "2023-11-14"
        );
        assert_eq!(
            write(Some(Schema::time().build()), Value::Int32(45_000_000)).unwrap(),
            "12:30:00.000Z"
        );
    }

    #[test]
    fn reads_with_type_inference() {
        assert_eq!(
            SimpleHeaderConverter
                .to_connect_header("t", "h", None)
                .unwrap(),
            (None, Value::Null)
        );
        let (schema, value) = read("42");
        assert_eq!(schema.unwrap().kind, Type::Int8);
        assert_eq!(value, Value::Int8(42));
        assert_eq!(read("true").1, Value::Boolean(true));
        assert_eq!(read("hello").1, Value::String("hello".into()));
        assert_eq!(read("null"), (None, Value::Null));
        let (schema, value) = read("2023-11-14T22:13:20.000Z");
        assert_eq!(
            schema.unwrap().name.as_deref(),
            Some(crate::data::schema::TIMESTAMP)
        );
        assert_eq!(value, Value::Int64(1_700_000_000_000));
    }

    #[test]
    fn round_trips_through_text() {
        let cases = vec![
            (None, Value::Int64(1 << 40)),
            (None, Value::Boolean(false)),
            (None, Value::String("plain text".into())),
            (
                Some(Schema::timestamp().build()),
                Value::Int64(1_700_000_000_123),
            ),
            (Some(Schema::date().build()), Value::Int32(19_675)),
            (Some(Schema::time().build()), Value::Int32(45_000_123)),
        ];
        for (schema, value) in cases {
            let text = write(schema, value.clone()).unwrap();
            assert_eq!(read(&text).1, value, "{text}");
        }
    }
}
