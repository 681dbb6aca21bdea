//! Records flowing through the runtime: source records (from a source task, with source
//! partition/offset), sink records (from Kafka, with topic/partition/offset), both with headers.

use std::sync::Arc;

use serde_json::Map as JsonMap;

use super::{SchemaRef, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

/// Where a sink record was consumed (SinkRecord's originalTopic / originalKafkaPartition /
/// originalKafkaOffset, KIP-793): kept when a transform renames the topic or moves the
/// partition, so a sink can commit and report by the consumed position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KafkaOrigin {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
}

/// ConnectRecord: what converters and transforms see. Source-only and sink-only fields are
/// optional.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    pub topic: String,
    pub kafka_partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
    /// Source records: the connector's source partition and offset (JSON objects).
    pub source_partition: Option<JsonMap<String, serde_json::Value>>,
    pub source_offset: Option<JsonMap<String, serde_json::Value>>,
    /// Sink records: the Kafka offset.
    pub kafka_offset: Option<i64>,
    /// Sink records: the consumed topic, partition and offset, whatever transforms did.
    pub origin: Option<KafkaOrigin>,
}

impl ConnectRecord {
    /// Roughly the bytes this record holds in memory (key, value, topic, headers, source offset),
    /// for memory-budget accounting; not exact.
    pub fn approx_size(&self) -> usize {
        let offset = self.source_offset.as_ref().map_or(0, |o| 48 * o.len());
        std::mem::size_of::<ConnectRecord>()
            + self.topic.len()
            + self.key.approx_size()
            + self.value.approx_size()
            + self
                .headers
                .iter()
                .map(|h| h.key.len() + h.value.approx_size())
                .sum::<usize>()
            + offset
    }

    pub fn new(
        topic: impl Into<String>,
        key_schema: Option<SchemaRef>,
        key: Value,
        value_schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord {
        ConnectRecord {
            topic: topic.into(),
            kafka_partition: None,
            key_schema,
            key,
            value_schema,
            value,
            timestamp: None,
            headers: Vec::new(),
            source_partition: None,
            source_offset: None,
            kafka_offset: None,
            origin: None,
        }
    }

    /// ConnectRecord.newRecord: same record with a new topic/key/value, other fields kept.
    #[allow(clippy::too_many_arguments)]
    pub fn new_record(
        &self,
        topic: String,
        kafka_partition: Option<i32>,
        key_schema: Option<SchemaRef>,
        key: Value,
        value_schema: Option<SchemaRef>,
        value: Value,
        timestamp: Option<i64>,
    ) -> ConnectRecord {
        ConnectRecord {
            topic,
            kafka_partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            ..self.clone()
        }
    }
}
