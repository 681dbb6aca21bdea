//! Single message transforms and predicates (org.apache.kafka.connect.transforms and Debezium's),
//! looked up by their Java class names.

use std::collections::HashMap;

use crate::data::ConnectRecord;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TransformError {
    /// A bad setting; names the key (Kafka's ConfigException wording).
    #[error("Invalid value {value} for configuration {key}: {message}")]
    Config {
        key: String,
        value: String,
        message: String,
    },
    /// A required setting is missing.
    #[error("Missing required configuration \"{0}\" which has no default value.")]
    Missing(String),
    /// Kafka's DataException for one record.
    #[error("{0}")]
    Data(String),
}

/// org.apache.kafka.connect.transforms.Transformation.
pub trait Transformation: Send + Sync {
    /// `props` are the transform's own settings (the `transforms.<alias>.` prefix stripped,
    /// `type` removed).
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError>;
    /// Ok(None) drops the record.
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError>;
}

/// org.apache.kafka.connect.transforms.predicates.Predicate.
pub trait Predicate: Send + Sync {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError>;
    fn test(&self, record: &ConnectRecord) -> bool;
}
