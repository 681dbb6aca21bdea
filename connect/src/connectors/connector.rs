//! The connector side of the interface (org.apache.kafka.connect.connector.Connector): config
//! definition, validation, start/stop and splitting work into task configs. The runtime calls
//! these from the herder; a connector never touches Kafka itself.

use std::sync::Arc;

use serde_json::Map as JsonMap;

use super::task::TopicPartition;
use crate::config::{ConfigDef, ConfigMap, ConfigValue};

/// A connector or task failure, named after the Java exception it stands for (the class
/// appears in status traces).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// ConfigException: a bad setting, naming the key.
    #[error("{message}")]
    Config { key: String, message: String },
    /// RetriableException: worth trying again (the runtime retries with backoff).
    #[error("{0}")]
    Retriable(String),
    /// DataException: one record could not be handled.
    #[error("{0}")]
    Data(String),
    /// ConnectException: anything else.
    #[error("{0}")]
    Fatal(String),
}

impl ConnectorError {
    pub fn fatal(m: impl Into<String>) -> ConnectorError {
        ConnectorError::Fatal(m.into())
    }

    pub fn config(key: &str, message: impl Into<String>) -> ConnectorError {
        ConnectorError::Config {
            key: key.to_string(),
            message: message.into(),
        }
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectorError::Retriable(_))
    }

    /// The Java exception class the error stands for.
    pub fn java_class(&self) -> &'static str {
        match self {
            ConnectorError::Config { .. } => "org.apache.kafka.common.config.ConfigException",
            ConnectorError::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
            ConnectorError::Data(_) => "org.apache.kafka.connect.errors.DataException",
            ConnectorError::Fatal(_) => "org.apache.kafka.connect.errors.ConnectException",
        }
    }
}

impl From<crate::config::ConfigError> for ConnectorError {
    fn from(e: crate::config::ConfigError) -> ConnectorError {
        ConnectorError::Config {
            key: e.key().to_string(),
            message: e.to_string(),
        }
    }
}

/// What a running connector may ask of the runtime (ConnectorContext).
pub trait ConnectorContext: Send + Sync {
    /// The connector's inputs changed (e.g. new tables): ask for new task configs.
    fn request_task_reconfiguration(&self);
    /// An unrecoverable error in a connector's background work: marks the connector FAILED.
    fn raise_error(&self, error: ConnectorError);
}

/// Common to source and sink connectors. `start` gets the connector config with config
/// providers already applied; `task_configs` is called only after a successful `start`.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// The connector's own settings (framework keys such as `tasks.max` are added by the
    /// runtime).
    fn config_def(&self) -> ConfigDef;

    /// Validates a full connector config; returns one ConfigValue per key of `config_def`
    /// (Connector.validate). Override to add checks that need I/O (e.g. a test connection).
    async fn validate(&self, config: &ConfigMap) -> Vec<ConfigValue> {
        self.config_def().validate(config)
    }

    async fn start(
        &mut self,
        config: &ConfigMap,
        context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectorError>;

    /// At most `max_tasks` task configs (the runtime adds `task.class` and, for sinks,
    /// `topics`/`topics.regex`).
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectorError>;

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

#[async_trait::async_trait]
pub trait SourceConnector: Connector {
    /// SourceConnector.alterOffsets: called on a fresh, unstarted instance when offsets are
    /// altered or reset over REST (None = reset that partition). Ok(true) means the connector
    /// accepts the new offsets; Ok(false) that it may keep offsets elsewhere too.
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        _offsets: &[(
            JsonMap<String, serde_json::Value>,
            Option<JsonMap<String, serde_json::Value>>,
        )],
    ) -> Result<bool, ConnectorError> {
        Ok(false)
    }
}

#[async_trait::async_trait]
pub trait SinkConnector: Connector {
    /// SinkConnector.alterOffsets (None = reset that partition).
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectorError> {
        Ok(false)
    }
}
