//! org.apache.kafka.connect.converters.ByteArrayConverter: passes bytes through unchanged;
//! the schema must be null or BYTES and the value bytes, with Kafka's DataException wording.

use std::collections::HashMap;

use super::{java, Converter, ConverterError};
use crate::data::{schemas, SchemaRef, Type, Value};

/// org.apache.kafka.connect.converters.ByteArrayConverter (no settings).
#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn configure(
        &mut self,
        _configs: &HashMap<String, String>,
        _is_key: bool,
    ) -> Result<(), ConverterError> {
        Ok(())
    }

    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError> {
        if let Some(s) = schema.filter(|s| s.kind != Type::Bytes) {
            return Err(ConverterError::Data(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                s.kind.java_name()
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConverterError::Data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                java::class_of(other)
            ))),
        }
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok((Some(schemas::optional_bytes()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Schema;

    #[test]
    fn passes_bytes_through() {
        let c = ByteArrayConverter;
        let bytes = schemas::optional_bytes();
        assert_eq!(
            c.from_connect("t", Some(&bytes), &Value::Bytes(vec![0, 255]))
                .unwrap(),
            Some(vec![0, 255])
        );
        assert_eq!(
            c.from_connect("t", None, &Value::Bytes(vec![])).unwrap(),
            Some(vec![])
        );
        assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
        assert_eq!(
            c.to_connect("t", Some(&[1, 2])).unwrap(),
            (Some(schemas::optional_bytes()), Value::Bytes(vec![1, 2]))
        );
        assert_eq!(
            c.to_connect("t", None).unwrap(),
            (Some(schemas::optional_bytes()), Value::Null)
        );
    }

    #[test]
    fn rejects_other_schemas_and_values() {
        let c = ByteArrayConverter;
        let err = c
            .from_connect("t", Some(&schemas::string()), &Value::String("x".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid schema type for ByteArrayConverter: STRING"
        );
        let err = c
            .from_connect("t", None, &Value::String("x".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ByteArrayConverter is not compatible with objects of type class java.lang.String"
        );
        let decimal = Schema::decimal(2).build();
        let err = c
            .from_connect("t", Some(&decimal), &Value::Decimal(1.into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ByteArrayConverter is not compatible with objects of type class java.math.BigDecimal"
        );
    }
}
