//! Connect values. `Value::Null` is Java's null. Structs carry their schema and one value per
//! field in schema order. Maps keep insertion order (Kafka uses HashMap for schemaless maps, so
//! consumers must not depend on order; we keep the producer's order, which is deterministic).
//! Logical values: Decimal is a BigDecimal; Date, Time and Timestamp use their physical encoding
//! (days since epoch as Int32, millis of day as Int32, millis since epoch as Int64).

use bigdecimal::BigDecimal;

use super::schema::{SchemaRef, Type};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Boolean(bool),
    String(String),
    Bytes(Vec<u8>),
    Decimal(BigDecimal),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    pub schema: SchemaRef,
    pub values: Vec<Value>,
}

impl Value {
    /// Roughly the bytes this value holds (for memory accounting, not exact).
    pub fn approx_size(&self) -> usize {
        std::mem::size_of::<Value>()
            + match self {
                Value::String(s) => s.len(),
                Value::Bytes(b) => b.len(),
                Value::Decimal(_) => 24,
                Value::Array(a) => a.iter().map(Value::approx_size).sum(),
                Value::Map(m) => m
                    .iter()
                    .map(|(k, v)| k.approx_size() + v.approx_size())
                    .sum(),
                Value::Struct(s) => s.values.iter().map(Value::approx_size).sum(),
                _ => 0,
            }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    /// Kafka's DataException; the message follows Kafka's wording where one exists.
    #[error("{0}")]
    Data(String),
}

impl Struct {
    /// A struct with every field null (fill with `put`).
    pub fn new(schema: SchemaRef) -> Struct {
        let n = schema.fields.len();
        Struct {
            schema,
            values: vec![Value::Null; n],
        }
    }

    pub fn put(&mut self, field: &str, value: Value) -> Result<&mut Self, DataError> {
        let Some(f) = self.schema.field_named(field) else {
            return Err(DataError::Data(format!(
                "{field} is not a valid field name"
            )));
        };
        let i = f.index;
        match self.values.get_mut(i) {
            Some(slot) => *slot = value,
            None => {
                return Err(DataError::Data(format!(
                    "{field} is not a valid field name"
                )))
            }
        }
        Ok(self)
    }

    pub fn with(mut self, field: &str, value: Value) -> Struct {
        let _ = self.put(field, value);
        self
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.schema
            .field_named(field)
            .and_then(|f| self.values.get(f.index))
    }

    /// Struct.validate(): required fields must be non-null (defaults count).
    pub fn validate(&self) -> Result<(), DataError> {
        for f in &self.schema.fields {
            let v = &self.values[f.index];
            if matches!(v, Value::Null) && !f.schema.optional && f.schema.default.is_none() {
                return Err(DataError::Data(format!(
                    "Invalid value: null used for required field: \"{}\", schema type: {}",
                    f.name,
                    f.schema.kind.java_name()
                )));
            }
        }
        Ok(())
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The Connect type a schemaless value would be inferred as (ConnectSchema.schemaType).
    pub fn inferred_type(&self) -> Option<Type> {
        Some(match self {
            Value::Null => return None,
            Value::Int8(_) => Type::Int8,
            Value::Int16(_) => Type::Int16,
            Value::Int32(_) => Type::Int32,
            Value::Int64(_) => Type::Int64,
            Value::Float32(_) => Type::Float32,
            Value::Float64(_) => Type::Float64,
            Value::Boolean(_) => Type::Boolean,
            Value::String(_) => Type::String,
            Value::Bytes(_) | Value::Decimal(_) => Type::Bytes,
            Value::Array(_) => Type::Array,
            Value::Map(_) => Type::Map,
            Value::Struct(_) => Type::Struct,
        })
    }

    /// The Java class name Kafka puts in "found: <class>" messages.
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int8(_) => "java.lang.Byte",
            Value::Int16(_) => "java.lang.Short",
            Value::Int32(_) => "java.lang.Integer",
            Value::Int64(_) => "java.lang.Long",
            Value::Float32(_) => "java.lang.Float",
            Value::Float64(_) => "java.lang.Double",
            Value::Boolean(_) => "java.lang.Boolean",
            Value::String(_) => "java.lang.String",
            Value::Bytes(_) => "[B",
            Value::Decimal(_) => "java.math.BigDecimal",
            Value::Array(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
            Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
        }
    }

    /// Looks up a key in a map value (string keys compared as strings).
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}
