//! How the Connect runtime reaches Kafka: one trait, two implementations (the embedded broker,
//! in-process; an external cluster, over the network). Nothing in the runtime may assume the
//! broker is in-process.

pub mod embedded;
pub mod external;
pub mod group;

use std::time::Duration;

use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// Worth retrying (broker busy, leader moving, timeouts).
    #[error("retriable Kafka error: {0}")]
    Retriable(String),
    #[error("unknown topic {0}")]
    UnknownTopic(String),
    #[error("Kafka error: {0}")]
    Fatal(String),
}

pub type Result<T> = std::result::Result<T, KafkaError>;

#[derive(Debug, Clone, PartialEq)]
pub struct ProduceRecord {
    /// None: the default partitioner picks (murmur2 of the key, as the Java client does).
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub partition: i32,
    /// Log start offset.
    pub earliest: i64,
    /// High watermark.
    pub latest: i64,
}

/// Resolves when records a `produce_appended` call wrote are acknowledged as acks=all (on an
/// embedded broker with `sluice.log.sync.on.ack=true`: once synced).
pub type Durable = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

#[async_trait::async_trait]
pub trait KafkaAccess: Send + Sync + 'static {
    fn cluster_id(&self) -> String;
    /// Creates the topic if it does not exist (configs apply only at creation); returns its
    /// partition count either way. `partitions` -1 = broker default.
    async fn ensure_topic(
        &self,
        topic: &str,
        partitions: i32,
        configs: &[(String, String)],
    ) -> Result<i32>;
    /// Creates a topic for a source connector's topic.creation group, with its replication
    /// factor (-1: the broker's default); returns the partition count (also when it existed).
    async fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &[(String, String)],
    ) -> Result<i32> {
        let _ = replication_factor;
        self.ensure_topic(topic, partitions, configs).await
    }
    async fn partition_count(&self, topic: &str) -> Result<Option<i32>>;
    async fn list_topics(&self) -> Result<Vec<String>>;
    /// The effective value of a topic config (e.g. cleanup.policy).
    async fn topic_config(&self, topic: &str, key: &str) -> Result<Option<String>>;
    /// Produces durably (acks=all); returns (partition, offset) per record, in order.
    async fn produce(&self, topic: &str, records: Vec<ProduceRecord>) -> Result<Vec<(i32, i64)>>;
    /// Produces with a source connector's producer settings (`producer.override.*`):
    /// compression in-process; an external cluster's client gets every override it knows.
    async fn produce_with(
        &self,
        topic: &str,
        records: Vec<ProduceRecord>,
        settings: &crate::config::client_overrides::ProducerSettings,
    ) -> Result<Vec<(i32, i64)>> {
        let _ = settings;
        self.produce(topic, records).await
    }
    /// Like `produce_with`, but returns once the records are in the log, with their positions
    /// and a future that resolves when they are durable: a caller can append its next batch
    /// while this one syncs. Calls append in call order. By default: `produce_with`, durable
    /// when it returns.
    async fn produce_appended(
        &self,
        topic: &str,
        records: Vec<ProduceRecord>,
        settings: &crate::config::client_overrides::ProducerSettings,
    ) -> Result<(Vec<(i32, i64)>, Durable)> {
        let acks = self.produce_with(topic, records, settings).await?;
        Ok((acks, Box::pin(async { Ok(()) })))
    }
    /// Records of one partition from `offset`, waiting up to `max_wait` when none are there.
    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        max_wait: Duration,
    ) -> Result<Vec<ConsumedRecord>>;
    async fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>>;
    /// Commits consumer-group offsets (next offset to read), as a consumer in `group` would.
    async fn commit_offsets(&self, group: &str, offsets: &[(String, i32, i64)]) -> Result<()>;
    async fn committed_offsets(&self, group: &str) -> Result<Vec<(String, i32, i64)>>;
    async fn delete_committed_offsets(&self, group: &str) -> Result<()>;
    /// A member of a consumer group for a sink task; None where the implementation does not
    /// take part in groups (the task's partitions are then dealt out by the worker).
    fn group_member(
        &self,
        cfg: group::MemberConfig,
    ) -> Option<std::sync::Arc<dyn group::GroupMember>> {
        let _ = cfg;
        None
    }
}

/// The Java client's default partitioner for keyed records: murmur2(key) & 0x7fffffff % n.
pub fn default_partition(key: &[u8], partitions: i32) -> i32 {
    ((murmur2(key) & 0x7fff_ffff) % partitions.max(1) as u32) as i32
}

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2).
pub fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let chunks = len / 4;
    for i in 0..chunks {
        let b = &data[i * 4..i * 4 + 4];
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = &data[chunks * 4..];
    if rest.len() >= 3 {
        h ^= (rest[2] as u32) << 16;
    }
    if rest.len() >= 2 {
        h ^= (rest[1] as u32) << 8;
    }
    if !rest.is_empty() {
        h ^= rest[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Values from Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21") as i32, -973932308);
        assert_eq!(murmur2(b"foobar") as i32, -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string") as i32, -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string") as i32, -1486304829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") as i32,
            -58897971
        );
        assert_eq!(murmur2(b"abc") as i32, 479470107);
    }
}
