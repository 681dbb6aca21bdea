//! Converters between Connect data and Kafka bytes (org.apache.kafka.connect.storage.Converter
//! and HeaderConverter), looked up by their Java class names.

use std::collections::HashMap;

use crate::data::{SchemaRef, Value};

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
