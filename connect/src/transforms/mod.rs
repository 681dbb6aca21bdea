//! Single message transforms and predicates (org.apache.kafka.connect.transforms and Debezium's),
//! looked up by their Java class names. One file per transform; `chain` strings them together
//! from a connector config exactly as Kafka Connect's `TransformationChain` does.

use std::collections::HashMap;

use crate::data::ConnectRecord;

pub mod cast;
pub mod chain;
pub mod debezium;
pub mod drop_headers;
pub mod extract_field;
pub mod filter;
pub mod flatten;
pub mod header_from;
pub mod hoist_field;
pub mod insert_field;
pub mod insert_header;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod registry;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod support;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod value_to_key;

#[cfg(test)]
mod robustness_tests;

pub use cast::Cast;
pub use chain::TransformChain;
pub use debezium::{ByLogicalTableRouter, ExtractNewRecordState};
pub use drop_headers::DropHeaders;
pub use extract_field::ExtractField;
pub use filter::Filter;
pub use flatten::Flatten;
pub use header_from::HeaderFrom;
pub use hoist_field::HoistField;
pub use insert_field::InsertField;
pub use insert_header::InsertHeader;
pub use mask_field::MaskField;
pub use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
pub use regex_router::RegexRouter;
pub use registry::{
    create_predicate, create_transformation, predicate_class, transformation_class,
    PREDICATE_CLASSES, TRANSFORMATION_CLASSES,
};
pub use replace_field::ReplaceField;
pub use set_schema_metadata::SetSchemaMetadata;
pub use support::Side;
pub use timestamp_converter::TimestampConverter;
pub use timestamp_router::TimestampRouter;
pub use value_to_key::ValueToKey;

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
    /// A ConfigException Kafka raises with a bare message (e.g. `No field insertion
    /// configured`); `key` is the setting it is about, kept for REST error reporting.
    #[error("{message}")]
    Invalid { key: String, message: String },
}

impl TransformError {
    /// The configuration key the error is about, if it is a configuration error.
    pub fn key(&self) -> Option<&str> {
        match self {
            TransformError::Config { key, .. } | TransformError::Invalid { key, .. } => Some(key),
            TransformError::Missing(key) => Some(key),
            TransformError::Data(_) => None,
        }
    }

    /// The same error with its key prefixed (`regex` becomes `transforms.route.regex`).
    pub fn with_key_prefix(self, prefix: &str) -> TransformError {
        match self {
            TransformError::Config {
                key,
                value,
                message,
            } => TransformError::Config {
                key: format!("{prefix}{key}"),
                value,
                message,
            },
            TransformError::Missing(key) => TransformError::Missing(format!("{prefix}{key}")),
            TransformError::Invalid { key, message } => TransformError::Invalid {
                key: format!("{prefix}{key}"),
                message,
            },
            data @ TransformError::Data(_) => data,
        }
    }
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
