//! Errors of the runtime: HerderError maps one to one onto the REST error responses of
//! Kafka Connect (NotFoundException 404, AlreadyExistsException 409, BadRequestException 400,
//! ConnectException 500, ...), RuntimeError is what start-up can fail with.

use crate::config::WorkerConfigError;
use crate::kafka::KafkaError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HerderError {
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409 (AlreadyExistsException).
    #[error("{0}")]
    AlreadyExists(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 409 (rebalance-style conflicts).
    #[error("{0}")]
    Conflict(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 500 (ConnectException and everything else).
    #[error("{0}")]
    Internal(String),
}

impl HerderError {
    pub fn status(&self) -> u16 {
        match self {
            HerderError::NotFound(_) => 404,
            HerderError::AlreadyExists(_) | HerderError::Conflict(_) => 409,
            HerderError::BadRequest(_) => 400,
            HerderError::Forbidden(_) => 403,
            HerderError::Internal(_) => 500,
        }
    }
}

impl From<KafkaError> for HerderError {
    fn from(e: KafkaError) -> HerderError {
        HerderError::Internal(e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Config(#[from] WorkerConfigError),
    #[error("invalid worker config: {0}")]
    InvalidConfig(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Topic(#[from] super::topics::TopicError),
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Offsets(#[from] super::offset_store::OffsetStoreError),
    /// A standalone connector file could not be read or created.
    #[error("failed to create connector from {file}: {message}")]
    Connector { file: String, message: String },
}
