//! Kafka plumbing shared by the stores and tasks: the compacted internal topics (created with
//! cleanup.policy=compact and checked, written key by key, read back in full at start) and
//! Java-regex topic matching for `topics.regex`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::kafka::{ConsumedRecord, KafkaAccess, KafkaError, ProduceRecord};

/// `Pattern.compile(p).matcher(t).matches()`: a whole-string match.
pub fn java_full_match_regex(pattern: &str) -> Result<fancy_regex::Regex, String> {
    fancy_regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error("Topic '{topic}' supplied via the '{property}' property is required to have 'cleanup.policy=compact' to guarantee consistency and durability of {what}, but found the topic currently has 'cleanup.policy={found}'. Continuing would likely result in eventually losing {what} and problems restarting this Connect cluster in the future. Change the '{property}' property in the Connect worker configurations to use a topic with 'cleanup.policy=compact'.")]
    NotCompacted {
        topic: String,
        property: String,
        what: String,
        found: String,
    },
}

/// One compacted internal topic (connect-configs, connect-offsets or connect-status).
#[derive(Clone)]
pub struct InternalTopic {
    pub kafka: Arc<dyn KafkaAccess>,
    pub name: String,
}

impl InternalTopic {
    /// Creates the topic (compacted) if missing and checks its cleanup policy.
    pub async fn ensure(
        kafka: Arc<dyn KafkaAccess>,
        name: &str,
        partitions: i32,
        property: &str,
        what: &str,
    ) -> Result<InternalTopic, TopicError> {
        kafka
            .ensure_topic(
                name,
                partitions,
                &[("cleanup.policy".to_string(), "compact".to_string())],
            )
            .await?;
        if let Some(policy) = kafka.topic_config(name, "cleanup.policy").await? {
            if policy.trim() != "compact" {
                return Err(TopicError::NotCompacted {
                    topic: name.to_string(),
                    property: property.to_string(),
                    what: what.to_string(),
                    found: policy,
                });
            }
        }
        Ok(InternalTopic {
            kafka,
            name: name.to_string(),
        })
    }

    /// Writes one keyed record (None value = tombstone), retrying retriable errors briefly.
    pub async fn write(&self, key: &[u8], value: Option<Vec<u8>>) -> Result<(), KafkaError> {
        self.write_all(vec![(key.to_vec(), value)]).await
    }

    pub async fn write_all(
        &self,
        records: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), KafkaError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch: Vec<ProduceRecord> = records
            .into_iter()
            .map(|(k, v)| ProduceRecord {
                partition: None,
                key: Some(Bytes::from(k)),
                value: v.map(Bytes::from),
                headers: Vec::new(),
                timestamp: None,
            })
            .collect();
        let mut delay = Duration::from_millis(100);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.kafka.produce(&self.name, batch.clone()).await {
                Ok(_) => return Ok(()),
                Err(KafkaError::Retriable(m)) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(topic = %self.name, "retrying write to internal topic: {m}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Every record now in the topic, partition by partition, in offset order.
    pub async fn read_all(&self) -> Result<Vec<ConsumedRecord>, KafkaError> {
        read_to_end(self.kafka.as_ref(), &self.name).await
    }
}

/// Reads each partition of a topic from its log start to its high watermark.
pub async fn read_to_end(
    kafka: &dyn KafkaAccess,
    topic: &str,
) -> Result<Vec<ConsumedRecord>, KafkaError> {
    let mut out = Vec::new();
    for p in kafka.offsets(topic).await? {
        let mut next = p.earliest;
        while next < p.latest {
            let batch = kafka
                .fetch(
                    topic,
                    p.partition,
                    next,
                    1 << 20,
                    Duration::from_millis(100),
                )
                .await?;
            let Some(last) = batch.last() else { break };
            next = last.offset + 1;
            out.extend(batch.into_iter().filter(|r| r.offset < p.latest));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_regex_is_a_full_match() {
        let re = java_full_match_regex("orders.*").unwrap();
        assert!(re.is_match("orders-eu").unwrap());
        assert!(!re.is_match("old-orders").unwrap());
        let re = java_full_match_regex("a|b").unwrap();
        assert!(!re.is_match("ab").unwrap());
        assert!(java_full_match_regex("(").is_err());
    }
}
