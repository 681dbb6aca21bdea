//! The KRaft-lite metadata store in sled: an append-only metadata log of records (topic
//! created / changed / deleted) with its materialized view, the cluster id, producer-id
//! allocation, committed group offsets, log start offsets and producer-state snapshots.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::error::{Result, StorageError};
use crate::producer_state::ProducerStates;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopicRecord {
    pub name: String,
    pub id: uuid::Uuid,
    pub partitions: u32,
    pub configs: BTreeMap<String, String>,
}

/// One entry of the metadata log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum MetaRecord {
    Topic { topic: TopicRecord },
    RemoveTopic { name: String, id: uuid::Uuid },
    BrokerConfig { name: String, value: Option<String> },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
    pub commit_timestamp: i64,
}

pub struct MetaStore {
    db: sled::Db,
    meta: sled::Tree,
    metalog: sled::Tree,
    topics: sled::Tree,
    offsets: sled::Tree,
    partitions: sled::Tree,
    producers: sled::Tree,
}

fn decode<T: for<'de> Deserialize<'de>>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| StorageError::MetaDecode(e.to_string()))
}
fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing plain data structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

fn offset_key(group: &str, topic: &str, partition: i32) -> Vec<u8> {
    let mut k = group_prefix(group);
    k.extend((topic.len() as u32).to_be_bytes());
    k.extend(topic.as_bytes());
    k.extend(partition.to_be_bytes());
    k
}
fn group_prefix(group: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(group.len() + 4);
    k.extend((group.len() as u32).to_be_bytes());
    k.extend(group.as_bytes());
    k
}
fn parse_offset_key(k: &[u8]) -> Option<(String, String, i32)> {
    let gl = u32::from_be_bytes(k.get(0..4)?.try_into().ok()?) as usize;
    let g = std::str::from_utf8(k.get(4..4 + gl)?).ok()?;
    let rest = &k[4 + gl..];
    let tl = u32::from_be_bytes(rest.get(0..4)?.try_into().ok()?) as usize;
    let t = std::str::from_utf8(rest.get(4..4 + tl)?).ok()?;
    let p = i32::from_be_bytes(rest.get(4 + tl..8 + tl)?.try_into().ok()?);
    Some((g.to_string(), t.to_string(), p))
}
fn partition_key(topic_id: &uuid::Uuid, partition: i32) -> Vec<u8> {
    let mut k = topic_id.as_bytes().to_vec();
    k.extend(partition.to_be_bytes());
    k
}

impl MetaStore {
    /// Opens the store with an explicit cache size (sled's default is 1 GiB).
    pub fn open(path: &Path, cache_bytes: u64) -> Result<MetaStore> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(1000))
            .open()?;
        Ok(MetaStore {
            meta: db.open_tree("meta")?,
            metalog: db.open_tree("metalog")?,
            topics: db.open_tree("topics")?,
            offsets: db.open_tree("offsets")?,
            partitions: db.open_tree("partitions")?,
            producers: db.open_tree("producers")?,
            db,
        })
    }

    /// The persisted cluster id; the first start stores `wanted` (or a new random id).
    pub fn cluster_id(&self, wanted: Option<&str>) -> Result<String> {
        if let Some(v) = self.meta.get("cluster.id")? {
            return Ok(String::from_utf8_lossy(&v).into_owned());
        }
        let id = match wanted {
            Some(w) => w.to_string(),
            None => {
                use std::fmt::Write;
                // Kafka cluster ids are 22-character URL-safe base64 of a UUID.
                let u = uuid::Uuid::new_v4();
                let mut s = String::new();
                const ALPHA: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let bits = u128::from_be_bytes(*u.as_bytes());
                for i in 0..22 {
                    let shift = 128i32 - 6 * (i + 1);
                    let idx = if shift >= 0 {
                        (bits >> shift) & 63
                    } else {
                        (bits << (-shift)) & 63
                    };
                    let _ = write!(s, "{}", ALPHA[idx as usize] as char);
                }
                s
            }
        };
        self.meta.insert("cluster.id", id.as_bytes())?;
        self.db.flush()?;
        Ok(id)
    }

    pub fn topics(&self) -> Result<Vec<TopicRecord>> {
        self.topics.iter().values().map(|v| decode(&v?)).collect()
    }

    fn append_log(
        &self,
        rec: &MetaRecord,
        apply: impl Fn(
            &sled::transaction::TransactionalTree,
        ) -> std::result::Result<(), ConflictableTransactionError<()>>,
    ) -> Result<u64> {
        let bytes = encode(rec);
        let res: std::result::Result<u64, TransactionError<()>> = (&self.metalog, &self.topics)
            .transaction(|(log, topics)| {
                let next = match log.get(b"__next")? {
                    Some(v) => u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])),
                    None => 0,
                };
                log.insert(&next.to_be_bytes(), bytes.as_slice())?;
                log.insert(b"__next", &(next + 1).to_be_bytes())?;
                apply(topics)?;
                Ok(next)
            });
        let off = res.map_err(|e| match e {
            TransactionError::Storage(s) => StorageError::Meta(s),
            TransactionError::Abort(()) => {
                StorageError::MetaDecode("metadata transaction aborted".into())
            }
        })?;
        self.db.flush()?;
        Ok(off)
    }

    /// Creates or replaces a topic record; returns the metadata-log offset.
    pub fn put_topic(&self, topic: &TopicRecord) -> Result<u64> {
        let value = encode(topic);
        let name = topic.name.clone();
        self.append_log(
            &MetaRecord::Topic {
                topic: topic.clone(),
            },
            |t| {
                t.insert(name.as_bytes(), value.as_slice())?;
                Ok(())
            },
        )
    }

    pub fn delete_topic(&self, name: &str, id: uuid::Uuid) -> Result<u64> {
        let off = self.append_log(
            &MetaRecord::RemoveTopic {
                name: name.to_string(),
                id,
            },
            |t| {
                t.remove(name.as_bytes())?;
                Ok(())
            },
        )?;
        let prefix = id.as_bytes().to_vec();
        for k in self.partitions.scan_prefix(&prefix).keys() {
            self.partitions.remove(k?)?;
        }
        for k in self.producers.scan_prefix(&prefix).keys() {
            self.producers.remove(k?)?;
        }
        Ok(off)
    }

    pub fn put_broker_config(&self, name: &str, value: Option<&str>) -> Result<u64> {
        let rec = MetaRecord::BrokerConfig {
            name: name.to_string(),
            value: value.map(str::to_string),
        };
        let off = self.append_log(&rec, |_| Ok(()))?;
        match value {
            Some(v) => self
                .meta
                .insert(format!("broker.config.{name}"), v.as_bytes())?,
            None => self.meta.remove(format!("broker.config.{name}"))?,
        };
        Ok(off)
    }

    pub fn broker_configs(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for kv in self.meta.scan_prefix("broker.config.") {
            let (k, v) = kv?;
            let k = String::from_utf8_lossy(&k["broker.config.".len()..]).into_owned();
            out.insert(k, String::from_utf8_lossy(&v).into_owned());
        }
        Ok(out)
    }

    /// (number of records in the metadata log, time of the last write in ms)
    pub fn metalog_end(&self) -> Result<u64> {
        Ok(match self.metalog.get(b"__next")? {
            Some(v) => u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])),
            None => 0,
        })
    }

    pub fn metalog_records(&self) -> Result<Vec<(u64, MetaRecord)>> {
        let mut out = Vec::new();
        for kv in self.metalog.iter() {
            let (k, v) = kv?;
            if k.len() != 8 {
                continue;
            }
            let off = u64::from_be_bytes(k.as_ref().try_into().unwrap_or([0; 8]));
            out.push((off, decode(&v)?));
        }
        Ok(out)
    }

    /// A new producer id, unique across restarts.
    pub fn next_producer_id(&self) -> Result<i64> {
        let v = self.meta.update_and_fetch("producer.id.next", |old| {
            let n = old
                .map(|o| u64::from_be_bytes(o.try_into().unwrap_or([0; 8])))
                .unwrap_or(0);
            Some((n + 1).to_be_bytes().to_vec())
        })?;
        self.db.flush()?;
        let n = v
            .map(|o| u64::from_be_bytes(o.as_ref().try_into().unwrap_or([0; 8])))
            .unwrap_or(1);
        Ok(n as i64 - 1 + 1000)
    }

    pub fn commit_offsets(
        &self,
        group: &str,
        entries: &[(String, i32, CommittedOffset)],
    ) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (t, p, o) in entries {
            batch.insert(offset_key(group, t, *p), encode(o));
        }
        self.offsets.apply_batch(batch)?;
        Ok(())
    }

    pub fn group_offsets(&self, group: &str) -> Result<Vec<(String, i32, CommittedOffset)>> {
        let mut out = Vec::new();
        for kv in self.offsets.scan_prefix(group_prefix(group)) {
            let (k, v) = kv?;
            if let Some((g, t, p)) = parse_offset_key(&k) {
                if g == group {
                    out.push((t, p, decode(&v)?));
                }
            }
        }
        Ok(out)
    }

    /// Every group that has committed offsets.
    pub fn offset_groups(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for k in self.offsets.iter().keys() {
            if let Some((g, _, _)) = parse_offset_key(&k?) {
                if out.last() != Some(&g) {
                    out.push(g);
                }
            }
        }
        out.dedup();
        Ok(out)
    }

    pub fn delete_group_offsets(&self, group: &str) -> Result<usize> {
        let mut n = 0;
        for k in self.offsets.scan_prefix(group_prefix(group)).keys() {
            let k = k?;
            if parse_offset_key(&k)
                .map(|(g, _, _)| g == group)
                .unwrap_or(false)
            {
                self.offsets.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    pub fn delete_offset(&self, group: &str, topic: &str, partition: i32) -> Result<()> {
        self.offsets.remove(offset_key(group, topic, partition))?;
        Ok(())
    }

    /// Removes the committed offsets of a deleted topic from every group.
    pub fn delete_topic_offsets(&self, topic: &str) -> Result<()> {
        for k in self.offsets.iter().keys() {
            let k = k?;
            if parse_offset_key(&k)
                .map(|(_, t, _)| t == topic)
                .unwrap_or(false)
            {
                self.offsets.remove(k)?;
            }
        }
        Ok(())
    }

    pub fn log_start_offset(&self, topic_id: &uuid::Uuid, partition: i32) -> Result<i64> {
        Ok(
            match self.partitions.get(partition_key(topic_id, partition))? {
                Some(v) => i64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])),
                None => 0,
            },
        )
    }

    pub fn set_log_start_offset(
        &self,
        topic_id: &uuid::Uuid,
        partition: i32,
        offset: i64,
    ) -> Result<()> {
        self.partitions
            .insert(partition_key(topic_id, partition), &offset.to_be_bytes())?;
        Ok(())
    }

    pub fn producer_snapshot(
        &self,
        topic_id: &uuid::Uuid,
        partition: i32,
    ) -> Result<Option<(i64, ProducerStates)>> {
        match self.producers.get(partition_key(topic_id, partition))? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn put_producer_snapshot(
        &self,
        topic_id: &uuid::Uuid,
        partition: i32,
        upto: i64,
        states: &ProducerStates,
    ) -> Result<()> {
        self.producers
            .insert(partition_key(topic_id, partition), encode(&(upto, states)))?;
        Ok(())
    }

    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    pub async fn flush_async(&self) -> Result<()> {
        self.db.flush_async().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_offsets_and_ids_persist() {
        let dir = tempfile::tempdir().unwrap();
        let id = uuid::Uuid::new_v4();
        {
            let m = MetaStore::open(dir.path(), 1 << 20).unwrap();
            let cid = m.cluster_id(None).unwrap();
            assert_eq!(cid.len(), 22);
            let t = TopicRecord {
                name: "a".into(),
                id,
                partitions: 3,
                configs: BTreeMap::new(),
            };
            assert_eq!(m.put_topic(&t).unwrap(), 0);
            let o = CommittedOffset {
                offset: 5,
                leader_epoch: -1,
                metadata: Some("m".into()),
                commit_timestamp: 1,
            };
            m.commit_offsets("g", &[("a".into(), 1, o)]).unwrap();
            m.commit_offsets(
                "g2",
                &[(
                    "a".into(),
                    0,
                    CommittedOffset {
                        offset: 1,
                        leader_epoch: -1,
                        metadata: None,
                        commit_timestamp: 1,
                    },
                )],
            )
            .unwrap();
            assert!(m.next_producer_id().unwrap() < m.next_producer_id().unwrap());
            m.flush().unwrap();
        }
        let m = MetaStore::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(m.topics().unwrap()[0].id, id);
        assert_eq!(m.group_offsets("g").unwrap()[0].2.offset, 5);
        assert_eq!(
            m.offset_groups().unwrap(),
            vec!["g".to_string(), "g2".to_string()]
        );
        assert_eq!(m.metalog_end().unwrap(), 1);
        m.delete_topic("a", id).unwrap();
        assert!(m.topics().unwrap().is_empty());
        assert_eq!(m.metalog_end().unwrap(), 2);
    }
}
