//! Converters between Connect data and Kafka bytes (org.apache.kafka.connect.storage.Converter
//! and HeaderConverter), looked up by their Java class names.

use std::collections::HashMap;

use crate::data::{SchemaRef, Value};

pub mod bytearray;
pub mod config;
pub mod header;
pub mod java;
pub mod json;
pub mod primitives;
pub mod string;
pub mod values;

pub use bytearray::ByteArrayConverter;
pub use header::SimpleHeaderConverter;
pub use json::{DecimalFormat, JsonConfig, JsonConverter};
pub use primitives::{Primitive, PrimitiveConverter};
pub use string::StringConverter;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConverterError {
    /// A bad converter setting; names the key.
    #[error("Invalid value {value} for configuration {key}: {message}")]
    Config {
        key: String,
        value: String,
        message: String,
    },
    /// Kafka's DataException (conversion failed for one record).
    #[error("{0}")]
    Data(String),
}

/// org.apache.kafka.connect.storage.Converter.
#[allow(clippy::wrong_self_convention)]
pub trait Converter: Send + Sync {
    /// `configs` holds the converter's own settings with the `key.converter.`/`value.converter.`
    /// prefix already stripped; `is_key` tells which side it converts.
    fn configure(
        &mut self,
        configs: &HashMap<String, String>,
        is_key: bool,
    ) -> Result<(), ConverterError>;
    /// fromConnectData: None is a null (tombstone) payload.
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError>;
    /// toConnectData.
    fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError>;
}

/// org.apache.kafka.connect.storage.HeaderConverter.
#[allow(clippy::wrong_self_convention)]
pub trait HeaderConverter: Send + Sync {
    fn configure(&mut self, configs: &HashMap<String, String>) -> Result<(), ConverterError>;
    fn from_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError>;
    fn to_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError>;
}

pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
pub const BYTE_ARRAY_CONVERTER: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
pub const BOOLEAN_CONVERTER: &str = "org.apache.kafka.connect.converters.BooleanConverter";
pub const DOUBLE_CONVERTER: &str = "org.apache.kafka.connect.converters.DoubleConverter";
pub const FLOAT_CONVERTER: &str = "org.apache.kafka.connect.converters.FloatConverter";
pub const INTEGER_CONVERTER: &str = "org.apache.kafka.connect.converters.IntegerConverter";
pub const LONG_CONVERTER: &str = "org.apache.kafka.connect.converters.LongConverter";
pub const SHORT_CONVERTER: &str = "org.apache.kafka.connect.converters.ShortConverter";
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Classes usable as `key.converter` / `value.converter`, sorted by class name.
pub const CONVERTER_CLASSES: &[&str] = &[
    BOOLEAN_CONVERTER,
    BYTE_ARRAY_CONVERTER,
    DOUBLE_CONVERTER,
    FLOAT_CONVERTER,
    INTEGER_CONVERTER,
    LONG_CONVERTER,
    SHORT_CONVERTER,
    JSON_CONVERTER,
    STRING_CONVERTER,
];

/// Classes usable as `header.converter` (every converter above also implements
/// HeaderConverter in Kafka), sorted by class name.
pub const HEADER_CONVERTER_CLASSES: &[&str] = &[
    BOOLEAN_CONVERTER,
    BYTE_ARRAY_CONVERTER,
    DOUBLE_CONVERTER,
    FLOAT_CONVERTER,
    INTEGER_CONVERTER,
    LONG_CONVERTER,
    SHORT_CONVERTER,
    JSON_CONVERTER,
    SIMPLE_HEADER_CONVERTER,
    STRING_CONVERTER,
];

/// Resolves a class name as Kafka's plugin aliases do: the fully qualified name, the simple
/// class name (`JsonConverter`), or the simple name without its `Converter` /
/// `HeaderConverter` suffix (`Json`, `Simple`).
pub fn resolve_class(class: &str) -> Option<&'static str> {
    let class = class.trim();
    HEADER_CONVERTER_CLASSES.iter().copied().find(|fqcn| {
        let simple = fqcn.rsplit('.').next().unwrap_or(fqcn);
        let pruned = simple
            .strip_suffix("HeaderConverter")
            .or_else(|| simple.strip_suffix("Converter"))
            .unwrap_or(simple);
        class == *fqcn || class == simple || class == pruned
    })
}

fn primitive_for(fqcn: &str) -> Option<Primitive> {
    Some(match fqcn {
        BOOLEAN_CONVERTER => Primitive::Boolean,
        DOUBLE_CONVERTER => Primitive::Double,
        FLOAT_CONVERTER => Primitive::Float,
        INTEGER_CONVERTER => Primitive::Integer,
        LONG_CONVERTER => Primitive::Long,
        SHORT_CONVERTER => Primitive::Short,
        _ => return None,
    })
}

/// A new, unconfigured converter for a `key.converter` / `value.converter` class name; None
/// for an unknown class (or SimpleHeaderConverter, which is header-only).
pub fn create_converter(class: &str) -> Option<Box<dyn Converter>> {
    let fqcn = resolve_class(class)?;
    if let Some(kind) = primitive_for(fqcn) {
        return Some(Box::new(PrimitiveConverter::new(kind)));
    }
    Some(match fqcn {
        JSON_CONVERTER => Box::new(JsonConverter::default()),
        STRING_CONVERTER => Box::new(StringConverter::default()),
        BYTE_ARRAY_CONVERTER => Box::new(ByteArrayConverter),
        _ => return None,
    })
}

/// A new, unconfigured header converter for a `header.converter` class name.
pub fn create_header_converter(class: &str) -> Option<Box<dyn HeaderConverter>> {
    let fqcn = resolve_class(class)?;
    if fqcn == SIMPLE_HEADER_CONVERTER {
        return Some(Box::new(SimpleHeaderConverter));
    }
    create_converter(fqcn).map(|c| Box::new(AsHeaderConverter(c)) as Box<dyn HeaderConverter>)
}

/// Kafka's converters double as header converters: a header value is converted on its own, as
/// a value would be.
pub struct AsHeaderConverter<C>(pub C);

impl<C: std::ops::DerefMut<Target = dyn Converter> + Send + Sync> HeaderConverter
    for AsHeaderConverter<C>
{
    fn configure(&mut self, configs: &HashMap<String, String>) -> Result<(), ConverterError> {
        self.0.configure(configs, false)
    }

    fn from_connect_header(
        &self,
        topic: &str,
        _header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError> {
        self.0.from_connect(topic, schema, value)
    }

    fn to_connect_header(
        &self,
        topic: &str,
        _header_key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        self.0.to_connect(topic, bytes)
    }
}

#[cfg(test)]
mod tests;
