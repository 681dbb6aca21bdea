//! org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double,Boolean}Converter:
//! fixed-width big-endian encodings of Kafka's serializers, read back with an optional
//! primitive schema; Kafka's size checks and messages.

use std::collections::HashMap;

use super::{java, Converter, ConverterError};
use crate::data::{schemas, SchemaRef, Type, Value};

/// Which of Kafka's primitive converters this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    Short,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
}

impl Primitive {
    /// The type name in Kafka's "Failed to (de)serialize <name>" messages.
    fn type_name(self) -> &'static str {
        match self {
            Primitive::Short => "short",
            Primitive::Integer => "integer",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Boolean => "boolean",
        }
    }

    fn schema_type(self) -> Type {
        match self {
            Primitive::Short => Type::Int16,
            Primitive::Integer => Type::Int32,
            Primitive::Long => Type::Int64,
            Primitive::Float => Type::Float32,
            Primitive::Double => Type::Float64,
            Primitive::Boolean => Type::Boolean,
        }
    }

    fn java_class(self) -> &'static str {
        match self {
            Primitive::Short => "java.lang.Short",
            Primitive::Integer => "java.lang.Integer",
            Primitive::Long => "java.lang.Long",
            Primitive::Float => "java.lang.Float",
            Primitive::Double => "java.lang.Double",
            Primitive::Boolean => "java.lang.Boolean",
        }
    }

    /// The deserializer's size-check message (Kafka's Float/Double ones say just "Deserializer").
    fn size_message(self) -> &'static str {
        match self {
            Primitive::Short => "Size of data received by ShortDeserializer is not 2",
            Primitive::Integer => "Size of data received by IntegerDeserializer is not 4",
            Primitive::Long => "Size of data received by LongDeserializer is not 8",
            Primitive::Float => "Size of data received by Deserializer is not 4",
            Primitive::Double => "Size of data received by Deserializer is not 8",
            Primitive::Boolean => "Size of data received by BooleanDeserializer is not 1",
        }
    }
}

/// One of Kafka's primitive converters (IntegerConverter, LongConverter, ...).
#[derive(Debug, Clone)]
pub struct PrimitiveConverter {
    kind: Primitive,
}

impl PrimitiveConverter {
    pub fn new(kind: Primitive) -> PrimitiveConverter {
        PrimitiveConverter { kind }
    }

    pub fn kind(&self) -> Primitive {
        self.kind
    }

    fn encode(&self, value: &Value) -> Option<Vec<u8>> {
        Some(match (self.kind, value) {
            (Primitive::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (Primitive::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            // FloatSerializer uses floatToRawIntBits; DoubleSerializer doubleToLongBits, which
            // folds every NaN into the canonical one.
            (Primitive::Float, Value::Float32(v)) => v.to_bits().to_be_bytes().to_vec(),
            (Primitive::Double, Value::Float64(v)) => {
                let bits = if v.is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    v.to_bits()
                };
                bits.to_be_bytes().to_vec()
            }
            (Primitive::Boolean, Value::Boolean(v)) => vec![u8::from(*v)],
            _ => return None,
        })
    }

    fn decode(&self, b: &[u8]) -> Result<Value, String> {
        let size = self.kind.size_message();
        Ok(match self.kind {
            Primitive::Short => Value::Int16(i16::from_be_bytes(b.try_into().map_err(|_| size)?)),
            Primitive::Integer => Value::Int32(i32::from_be_bytes(b.try_into().map_err(|_| size)?)),
            Primitive::Long => Value::Int64(i64::from_be_bytes(b.try_into().map_err(|_| size)?)),
            Primitive::Float => Value::Float32(f32::from_be_bytes(b.try_into().map_err(|_| size)?)),
            Primitive::Double => {
                Value::Float64(f64::from_be_bytes(b.try_into().map_err(|_| size)?))
            }
            Primitive::Boolean => match b {
                [0] => Value::Boolean(false),
                [1] => Value::Boolean(true),
                [other] => {
                    return Err(format!(
                        "Unexpected byte received by BooleanDeserializer: {}",
                        *other as i8
                    ))
                }
                _ => return Err(size.to_string()),
            },
        })
    }
}

impl Converter for PrimitiveConverter {
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
        // Only BooleanConverter checks the schema; the number converters just cast the value.
        if self.kind == Primitive::Boolean {
            if let Some(s) = schema.filter(|s| s.kind != Type::Boolean) {
                return Err(ConverterError::Data(format!(
                    "Invalid schema type for BooleanConverter: {}",
                    s.kind.java_name()
                )));
            }
        }
        if value.is_null() {
            return Ok(None);
        }
        match self.encode(value) {
            Some(bytes) => Ok(Some(bytes)),
            None if self.kind == Primitive::Boolean => Err(ConverterError::Data(format!(
                "BooleanConverter is not compatible with objects of type {}",
                java::class_of(value)
            ))),
            None => Err(ConverterError::Data(format!(
                "Failed to serialize to {} (was {}): {} cannot be cast to class {}",
                self.kind.type_name(),
                java::class_of(value),
                java::class_of(value),
                self.kind.java_class()
            ))),
        }
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        let schema = schemas::of(self.kind.schema_type(), true);
        let Some(bytes) = bytes else {
            return Ok((Some(schema), Value::Null));
        };
        let value = self.decode(bytes).map_err(|cause| {
            ConverterError::Data(format!(
                "Failed to deserialize {}: {cause}",
                self.kind.type_name()
            ))
        })?;
        Ok((Some(schema), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(kind: Primitive) -> PrimitiveConverter {
        PrimitiveConverter::new(kind)
    }

    #[test]
    fn big_endian_fixed_width() {
        let cases: Vec<(Primitive, Value, Vec<u8>)> = vec![
            (Primitive::Short, Value::Int16(-2), vec![0xFF, 0xFE]),
            (
                Primitive::Integer,
                Value::Int32(0x0102_0304),
                vec![1, 2, 3, 4],
            ),
            (Primitive::Long, Value::Int64(-1), vec![0xFF; 8]),
            (
                Primitive::Float,
                Value::Float32(1.0),
                vec![0x3F, 0x80, 0, 0],
            ),
            (
                Primitive::Double,
                Value::Float64(-2.5),
                vec![0xC0, 0x04, 0, 0, 0, 0, 0, 0],
            ),
            (Primitive::Boolean, Value::Boolean(true), vec![1]),
            (Primitive::Boolean, Value::Boolean(false), vec![0]),
        ];
        for (kind, value, bytes) in cases {
            let c = conv(kind);
            assert_eq!(
                c.from_connect("t", None, &value).unwrap(),
                Some(bytes.clone())
            );
            let (schema, back) = c.to_connect("t", Some(&bytes)).unwrap();
            assert_eq!(back, value);
            let schema = schema.unwrap();
            assert!(schema.optional);
            assert_eq!(schema.kind, kind.schema_type());
            assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
            assert_eq!(c.to_connect("t", None).unwrap().1, Value::Null);
        }
        let nan = f64::from_bits(0x7ff0_0000_0000_0001);
        assert_eq!(
            conv(Primitive::Double)
                .from_connect("t", None, &Value::Float64(nan))
                .unwrap(),
            Some(vec![0x7F, 0xF8, 0, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn kafka_messages() {
        let err = conv(Primitive::Integer)
            .to_connect("t", Some(&[1, 2]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4"
        );
        let err = conv(Primitive::Double)
            .to_connect("t", Some(&[1]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to deserialize double: Size of data received by Deserializer is not 8"
        );
        let err = conv(Primitive::Boolean)
            .to_connect("t", Some(&[0xFF]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to deserialize boolean: Unexpected byte received by BooleanDeserializer: -1"
        );
        let err = conv(Primitive::Long)
            .from_connect("t", None, &Value::Int32(1))
            .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("Failed to serialize to long (was class java.lang.Integer): "));
        let err = conv(Primitive::Boolean)
            .from_connect("t", Some(&schemas::string()), &Value::Boolean(true))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid schema type for BooleanConverter: STRING"
        );
        let err = conv(Primitive::Boolean)
            .from_connect("t", None, &Value::Int8(1))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "BooleanConverter is not compatible with objects of type class java.lang.Byte"
        );
        // Number converters ignore the schema, as Kafka's do.
        assert_eq!(
            conv(Primitive::Integer)
                .from_connect("t", Some(&schemas::string()), &Value::Int32(7))
                .unwrap(),
            Some(vec![0, 0, 0, 7])
        );
    }
}
