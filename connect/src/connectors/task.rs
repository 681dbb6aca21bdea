//! The task side of the interface: SourceTask (poll records, read committed offsets, hear about
//! commits) and SinkTask (put records, flush, say which offsets are safe to commit). Tasks are
//! driven by one loop each in the runtime; they never talk to Kafka directly.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Map as JsonMap;

use super::connector::ConnectorError;
use crate::config::ConfigMap;
use crate::data::ConnectRecord;

/// A record from a source task: topic, key/value with schemas, optional partition and
/// timestamp, headers, and the source partition and offset it came from.
pub type SourceRecord = ConnectRecord;

/// A record for a sink task: `kafka_partition` and `kafka_offset` are always set.
pub type SinkRecord = ConnectRecord;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// OffsetStorageReader: the last committed offset of a source partition.
pub trait OffsetReader: Send + Sync {
    fn offset(
        &self,
        partition: &JsonMap<String, serde_json::Value>,
    ) -> Option<JsonMap<String, serde_json::Value>>;
}

#[derive(Clone)]
pub struct SourceTaskContext {
    pub connector: String,
    pub task: u32,
    pub offsets: Arc<dyn OffsetReader>,
    /// The worker's Kafka connection, for connectors that keep their own topics (e.g. a
    /// database schema history). None in unit tests.
    pub kafka: Option<Arc<dyn crate::kafka::KafkaAccess>>,
}

#[async_trait::async_trait]
pub trait SourceTask: Send {
    /// `config` is the task config (providers applied).
    async fn start(
        &mut self,
        config: &ConfigMap,
        context: SourceTaskContext,
    ) -> Result<(), ConnectorError>;

    /// The next records. Return within about a second with an empty Vec when there is nothing,
    /// so the runtime can pause, commit and stop the task; the runtime never cancels a poll.
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectorError>;

    /// Offsets of everything polled so far and acknowledged have been committed.
    async fn commit(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// One record was written (Some((partition, offset))) or dropped by a transform / error
    /// tolerance (None). Called for every record, so it is not async (as in Kafka).
    fn commit_record(
        &mut self,
        _record: &SourceRecord,
        _written: Option<(i32, i64)>,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// ErrantRecordReporter (KIP-610): how a sink task hands over a record it could not write.
/// The runtime logs it (`errors.log.enable`), sends the record as consumed to the dead letter
/// queue with the `__connect.errors.*` headers (`errors.deadletterqueue.topic.name`), and
/// applies `errors.tolerance`: Err(trace) means the tolerance is exceeded and the task must fail.
#[async_trait::async_trait]
pub trait ErrantRecordReporter: Send + Sync {
    /// `origin` is the record's consumed position (`SinkRecord::origin`); `error_class` the
    /// Java exception class the error stands for.
    async fn report(
        &self,
        origin: &crate::data::KafkaOrigin,
        error_class: &'static str,
        message: &str,
    ) -> Result<(), String>;
}

#[derive(Clone)]
pub struct SinkTaskContext {
    pub connector: String,
    pub task: u32,
    /// `SinkTaskContext.errantRecordReporter()`: present when the connector has a dead letter
    /// queue topic or `errors.log.enable=true`, as in Kafka.
    pub reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

#[async_trait::async_trait]
pub trait SinkTask: Send {
    async fn start(
        &mut self,
        config: &ConfigMap,
        context: SinkTaskContext,
    ) -> Result<(), ConnectorError>;

    /// New partitions were assigned to the task.
    async fn open(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Records to write. A Retriable error makes the runtime redeliver the same batch later;
    /// any other error fails the task.
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectorError>;

    /// Makes everything put so far durable (`offsets` = next offset per partition).
    async fn flush(
        &mut self,
        _offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Which offsets may be committed; by default flushes and commits everything put.
    async fn pre_commit(
        &mut self,
        offsets: BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, ConnectorError> {
        self.flush(&offsets).await?;
        Ok(offsets)
    }

    /// Partitions were taken away (after a final commit).
    async fn close(&mut self, _partitions: &[TopicPartition]) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }
}
