//! An in-memory KafkaAccess double for unit tests: topics as vectors of records per partition,
//! committed group offsets in a map, long-poll fetches woken by appends. Not a broker: no
//! compaction, no retention, no batches.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::kafka::{
    default_partition, ConsumedRecord, KafkaAccess, KafkaError, PartitionOffsets, ProduceRecord,
    Result,
};

type GroupOffsets = BTreeMap<(String, i32), i64>;

#[derive(Default)]
struct Topic {
    partitions: Vec<Vec<ConsumedRecord>>,
    configs: HashMap<String, String>,
}

#[derive(Default)]
pub struct MemoryKafka {
    topics: Mutex<BTreeMap<String, Topic>>,
    groups: Mutex<HashMap<String, GroupOffsets>>,
    appended: tokio::sync::Notify,
    round_robin: AtomicUsize,
    /// Produce to these topics fails with a fatal error (for failure tests).
    pub poisoned: Mutex<Vec<String>>,
}

impl MemoryKafka {
    pub fn new() -> MemoryKafka {
        MemoryKafka::default()
    }

    /// Every record of a topic (all partitions, partition by partition).
    pub fn records(&self, topic: &str) -> Vec<ConsumedRecord> {
        self.topics
            .lock()
            .get(topic)
            .map(|t| t.partitions.iter().flatten().cloned().collect())
            .unwrap_or_default()
    }

    /// Values of a topic as UTF-8 text (None for tombstones).
    pub fn values(&self, topic: &str) -> Vec<Option<String>> {
        self.records(topic)
            .into_iter()
            .map(|r| r.value.map(|v| String::from_utf8_lossy(&v).into_owned()))
            .collect()
    }

    /// The latest value per key (what a compacted read sees), keys as text.
    pub fn latest_by_key(&self, topic: &str) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        for r in self.records(topic) {
            if let Some(k) = r.key {
                out.insert(
                    String::from_utf8_lossy(&k).into_owned(),
                    r.value.map(|v| String::from_utf8_lossy(&v).into_owned()),
                );
            }
        }
        out
    }

    pub fn create(&self, topic: &str, partitions: i32) {
        let mut topics = self.topics.lock();
        topics.entry(topic.to_string()).or_insert_with(|| Topic {
            partitions: vec![Vec::new(); partitions.max(1) as usize],
            configs: HashMap::new(),
        });
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait::async_trait]
impl KafkaAccess for MemoryKafka {
    fn cluster_id(&self) -> String {
        "test-cluster-id".to_string()
    }

    async fn ensure_topic(
        &self,
        topic: &str,
        partitions: i32,
        configs: &[(String, String)],
    ) -> Result<i32> {
        let mut topics = self.topics.lock();
        let t = topics.entry(topic.to_string()).or_insert_with(|| Topic {
            partitions: vec![
                Vec::new();
                if partitions < 1 {
                    1
                } else {
                    partitions as usize
                }
            ],
            configs: configs.iter().cloned().collect(),
        });
        Ok(t.partitions.len() as i32)
    }

    async fn partition_count(&self, topic: &str) -> Result<Option<i32>> {
        Ok(self
            .topics
            .lock()
            .get(topic)
            .map(|t| t.partitions.len() as i32))
    }

    async fn list_topics(&self) -> Result<Vec<String>> {
        Ok(self.topics.lock().keys().cloned().collect())
    }

    async fn topic_config(&self, topic: &str, key: &str) -> Result<Option<String>> {
        let topics = self.topics.lock();
        let t = topics
            .get(topic)
            .ok_or_else(|| KafkaError::UnknownTopic(topic.into()))?;
        Ok(Some(t.configs.get(key).cloned().unwrap_or_else(|| {
            if key == "cleanup.policy" {
                "delete".into()
            } else {
                String::new()
            }
        })))
    }

    async fn produce(&self, topic: &str, records: Vec<ProduceRecord>) -> Result<Vec<(i32, i64)>> {
        if self.poisoned.lock().iter().any(|t| t == topic) {
            return Err(KafkaError::Fatal(format!("poisoned topic {topic}")));
        }
        let mut acks = Vec::new();
        {
            let mut topics = self.topics.lock();
            let t = topics.entry(topic.to_string()).or_insert_with(|| Topic {
                partitions: vec![Vec::new()],
                configs: HashMap::new(),
            });
            let n = t.partitions.len() as i32;
            for r in records {
                let p = match (r.partition, &r.key) {
                    (Some(p), _) => p,
                    (None, Some(k)) => default_partition(k, n),
                    (None, None) => {
                        (self.round_robin.fetch_add(1, Ordering::Relaxed) % n as usize) as i32
                    }
                };
                let log = t
                    .partitions
                    .get_mut(p as usize)
                    .ok_or_else(|| KafkaError::Fatal(format!("no partition {p}")))?;
                let offset = log.len() as i64;
                log.push(ConsumedRecord {
                    topic: topic.to_string(),
                    partition: p,
                    offset,
                    timestamp: r.timestamp.unwrap_or_else(now_ms),
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                });
                acks.push((p, offset));
            }
        }
        self.appended.notify_waiters();
        Ok(acks)
    }

    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        _max_bytes: usize,
        max_wait: Duration,
    ) -> Result<Vec<ConsumedRecord>> {
        let read = || -> Result<Vec<ConsumedRecord>> {
            let topics = self.topics.lock();
            let t = topics
                .get(topic)
                .ok_or_else(|| KafkaError::UnknownTopic(topic.into()))?;
            let log = t
                .partitions
                .get(partition as usize)
                .ok_or_else(|| KafkaError::Fatal(format!("no partition {partition}")))?;
            if offset < 0 || offset > log.len() as i64 {
                return Err(KafkaError::Fatal(format!("offset {offset} out of range")));
            }
            Ok(log[offset as usize..].iter().take(500).cloned().collect())
        };
        let notified = self.appended.notified();
        let first = read()?;
        if !first.is_empty() || max_wait.is_zero() {
            return Ok(first);
        }
        let _ = tokio::time::timeout(max_wait, notified).await;
        read()
    }

    async fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>> {
        let topics = self.topics.lock();
        let t = topics
            .get(topic)
            .ok_or_else(|| KafkaError::UnknownTopic(topic.into()))?;
        Ok(t.partitions
            .iter()
            .enumerate()
            .map(|(i, p)| PartitionOffsets {
                partition: i as i32,
                earliest: 0,
                latest: p.len() as i64,
            })
            .collect())
    }

    async fn commit_offsets(&self, group: &str, offsets: &[(String, i32, i64)]) -> Result<()> {
        let mut groups = self.groups.lock();
        let g = groups.entry(group.to_string()).or_default();
        for (t, p, o) in offsets {
            g.insert((t.clone(), *p), *o);
        }
        Ok(())
    }

    async fn committed_offsets(&self, group: &str) -> Result<Vec<(String, i32, i64)>> {
        Ok(self
            .groups
            .lock()
            .get(group)
            .map(|g| g.iter().map(|((t, p), o)| (t.clone(), *p, *o)).collect())
            .unwrap_or_default())
    }

    async fn delete_committed_offsets(&self, group: &str) -> Result<()> {
        self.groups.lock().remove(group);
        Ok(())
    }
}
