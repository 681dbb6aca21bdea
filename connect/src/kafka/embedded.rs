//! KafkaAccess over the in-process broker: records are encoded into v2 batches and appended
//! straight to the partition logs (acknowledged as an acks=all produce would be: in the log, and
//! synced first with `sluice.log.sync.on.ack=true`); fetches read whole
//! batches and decode them. No TCP, no copies beyond the batch encoding.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use sluice_broker::inproc::{Durability, InprocError};
use sluice_broker::state::TopicError;
use sluice_broker::Broker;
use sluice_storage::CommittedOffset;

use super::{
    default_partition, ConsumedRecord, Durable, KafkaAccess, KafkaError, PartitionOffsets,
    ProduceRecord, Result,
};
use crate::config::client_overrides::{record_size, ProducerSettings};

pub struct EmbeddedKafka {
    broker: Arc<Broker>,
    round_robin: AtomicU32,
}

impl EmbeddedKafka {
    pub fn new(broker: Arc<Broker>) -> EmbeddedKafka {
        EmbeddedKafka {
            broker,
            round_robin: AtomicU32::new(0),
        }
    }

    /// Appends `records` (grouped by partition); returns their positions and what waits for
    /// their durability.
    async fn append_records(
        &self,
        topic: &str,
        records: Vec<ProduceRecord>,
        settings: &ProducerSettings,
    ) -> Result<(Vec<(i32, i64)>, Vec<Durability>)> {
        let n = match self.broker.topic(topic) {
            Some(t) => t.partitions.len() as i32,
            None => match self.broker.auto_create(topic).await {
                Some(t) => t.partitions.len() as i32,
                None => return Err(KafkaError::UnknownTopic(topic.into())),
            },
        };
        // Group by partition, remembering each record's place.
        let mut by_partition: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
        let sticky = (self.round_robin.fetch_add(1, Ordering::Relaxed) % n.max(1) as u32) as i32;
        for (i, r) in records.iter().enumerate() {
            let p = match (r.partition, &r.key) {
                (Some(p), _) => p,
                (None, Some(k)) => default_partition(k, n),
                (None, None) => sticky,
            };
            by_partition.entry(p).or_default().push(i);
        }
        let mut out = vec![(0, -1); records.len()];
        let mut durable = Vec::new();
        for (p, idxs) in by_partition {
            // Batches of at most batch.size bytes (a larger record alone), as the Java
            // producer fills them, so no batch outgrows the topic's max.message.bytes; all of
            // them appended at once (one durable write for the call).
            // Sized once for the batches of the call (a record's share is an upper bound; a
            // shortfall only grows the buffer).
            let shares: usize = idxs.iter().map(|i| batch_share(&records[*i])).sum();
            let batches = (2 * shares / settings.batch_size.max(1) + 1).min(idxs.len());
            let mut buf = BytesMut::with_capacity(shares + 61 * batches);
            let mut start = 0;
            while start < idxs.len() {
                let mut end = start + 1;
                let mut bytes = batch_share(&records[idxs[start]]);
                while end < idxs.len() {
                    let more = batch_share(&records[idxs[end]]);
                    if bytes + more > settings.batch_size {
                        break;
                    }
                    bytes += more;
                    end += 1;
                }
                let chunk = &idxs[start..end];
                let recs: Vec<&ProduceRecord> = chunk.iter().map(|i| &records[*i]).collect();
                encode_batch(&mut buf, &recs, settings.compression)?;
                start = end;
            }
            let (res, d) = self
                .broker
                .append_batches_deferred(topic, p, buf)
                .map_err(inproc)?;
            durable.extend(d);
            for (j, i) in idxs.iter().enumerate() {
                out[*i] = (p, res.base_offset + j as i64);
            }
        }
        Ok((out, durable))
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn inproc(e: InprocError) -> KafkaError {
    match e {
        InprocError::UnknownPartition(t, _) => KafkaError::UnknownTopic(t),
        other => KafkaError::Fatal(other.to_string()),
    }
}

/// A record's size in a batch, at most (what batch.size is filled against).
fn batch_share(r: &ProduceRecord) -> usize {
    record_size(r.key.as_deref(), r.value.as_deref(), &r.headers)
}

/// Appends one v2 batch of `records` to `buf`.
fn encode_batch(
    buf: &mut BytesMut,
    records: &[&ProduceRecord],
    compression: Compression,
) -> Result<()> {
    let now = now_ms();
    if compression == Compression::None {
        encode_plain(buf, records, now);
        return Ok(());
    }
    let recs = kp_records(records, now);
    let opts = RecordEncodeOptions {
        version: 2,
        compression,
    };
    RecordBatchEncoder::encode(buf, recs.iter(), &opts)
        .map_err(|e| KafkaError::Fatal(format!("cannot encode records: {e:#}")))
}

/// The records as kafka-protocol's encoder takes them (compressed batches go through it).
fn kp_records(records: &[&ProduceRecord], now: i64) -> Vec<Record> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut headers = IndexMap::new();
            for (k, v) in &r.headers {
                headers.insert(StrBytes::from_string(k.clone()), v.clone());
            }
            Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                // kafka-protocol's encoder starts a new batch whenever offset - sequence
                // changes; offset - 1 keeps every record in one batch and the batch's base
                // sequence at -1 (no producer id), as the Java client writes it.
                sequence: i as i32 - 1,
                timestamp: r.timestamp.unwrap_or(now),
                key: r.key.clone(),
                value: r.value.clone(),
                headers,
            }
        })
        .collect()
}

/// An uncompressed v2 batch written straight into `buf`, sized once: the bytes
/// kafka-protocol's encoder writes for the same records (base timestamp the smallest, no
/// producer id, sequence -1), without building its per-record header maps.
fn encode_plain(buf: &mut BytesMut, records: &[&ProduceRecord], now: i64) {
    let ts = |r: &ProduceRecord| r.timestamp.unwrap_or(now);
    let min_ts = records.iter().map(|r| ts(r)).min().unwrap_or(now);
    let max_ts = records.iter().map(|r| ts(r)).max().unwrap_or(now);
    let len = |b: &Option<Bytes>| b.as_ref().map_or(-1, |b| b.len() as i64);
    let body = |i: usize, r: &ProduceRecord| -> i64 {
        let mut n = 1 + varlong_size(ts(r) - min_ts) + varlong_size(i as i64);
        for l in [len(&r.key), len(&r.value)] {
            n += varlong_size(l) + l.max(0);
        }
        n += varlong_size(r.headers.len() as i64);
        for (k, v) in &r.headers {
            n += varlong_size(k.len() as i64) + k.len() as i64;
            n += varlong_size(len(v)) + len(v).max(0);
        }
        n
    };
    let sizes: i64 = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let b = body(i, r);
            varlong_size(b) + b
        })
        .sum();
    // baseOffset .. recordsCount is 61 bytes; batchLength counts from partitionLeaderEpoch.
    buf.reserve(61 + sizes as usize);
    let start = buf.len();
    buf.put_i64(0);
    buf.put_i32((61 - 12 + sizes) as i32);
    buf.put_i32(-1); // partitionLeaderEpoch
    buf.put_i8(2); // magic
    let crc_at = buf.len();
    buf.put_u32(0);
    buf.put_i16(0); // attributes: no compression, CreateTime
    buf.put_i32(records.len() as i32 - 1);
    buf.put_i64(min_ts);
    buf.put_i64(max_ts);
    buf.put_i64(-1); // producerId
    buf.put_i16(-1); // producerEpoch
    buf.put_i32(-1); // baseSequence
    buf.put_i32(records.len() as i32);
    let put_bytes = |buf: &mut BytesMut, b: &Option<Bytes>| {
        put_varlong(buf, len(b));
        if let Some(b) = b {
            buf.extend_from_slice(b);
        }
    };
    for (i, r) in records.iter().enumerate() {
        put_varlong(buf, body(i, r));
        buf.put_i8(0);
        put_varlong(buf, ts(r) - min_ts);
        put_varlong(buf, i as i64);
        put_bytes(buf, &r.key);
        put_bytes(buf, &r.value);
        put_varlong(buf, r.headers.len() as i64);
        for (k, v) in &r.headers {
            put_varlong(buf, k.len() as i64);
            buf.extend_from_slice(k.as_bytes());
            put_bytes(buf, v);
        }
    }
    let crc = crc32c::crc32c(&buf[crc_at + 4..]);
    buf[crc_at..crc_at + 4].copy_from_slice(&crc.to_be_bytes());
    debug_assert_eq!(buf.len() - start, 61 + sizes as usize);
}

/// Zigzag varint (Kafka's varint / varlong encoding).
fn put_varlong(buf: &mut BytesMut, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        buf.put_u8((z as u8) | 0x80);
        z >>= 7;
    }
    buf.put_u8(z as u8);
}

fn varlong_size(v: i64) -> i64 {
    let z = ((v << 1) ^ (v >> 63)) as u64;
    (64 - (z | 1).leading_zeros() as i64 + 6) / 7
}

#[async_trait::async_trait]
impl KafkaAccess for EmbeddedKafka {
    fn cluster_id(&self) -> String {
        self.broker.cluster_id.clone()
    }

    async fn ensure_topic(
        &self,
        topic: &str,
        partitions: i32,
        configs: &[(String, String)],
    ) -> Result<i32> {
        if let Some(t) = self.broker.topic(topic) {
            return Ok(t.partitions.len() as i32);
        }
        self.create_topic(topic, partitions, -1, configs)
            .await
            .map_err(|e| match e {
                KafkaError::Fatal(m) => {
                    KafkaError::Fatal(format!("cannot create topic {topic}: {m}"))
                }
                other => other,
            })
    }

    async fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &[(String, String)],
    ) -> Result<i32> {
        let cfg: BTreeMap<String, String> = configs.iter().cloned().collect();
        match self
            .broker
            .create_topic(topic, partitions, replication_factor, cfg, false)
            .await
        {
            Ok(t) => Ok(t.partitions.len() as i32),
            Err(TopicError::Exists(_)) => self
                .broker
                .topic(topic)
                .map(|t| t.partitions.len() as i32)
                .ok_or_else(|| KafkaError::UnknownTopic(topic.into())),
            Err(e) => Err(KafkaError::Fatal(e.to_string())),
        }
    }

    async fn partition_count(&self, topic: &str) -> Result<Option<i32>> {
        Ok(self.broker.topic(topic).map(|t| t.partitions.len() as i32))
    }

    async fn list_topics(&self) -> Result<Vec<String>> {
        Ok(self
            .broker
            .topics()
            .iter()
            .map(|t| t.name.clone())
            .collect())
    }

    async fn topic_config(&self, topic: &str, key: &str) -> Result<Option<String>> {
        let t = self
            .broker
            .topic(topic)
            .ok_or_else(|| KafkaError::UnknownTopic(topic.into()))?;
        Ok(self
            .broker
            .effective_topic_configs(&t.configs)
            .get(key)
            .cloned())
    }

    async fn produce(&self, topic: &str, records: Vec<ProduceRecord>) -> Result<Vec<(i32, i64)>> {
        self.produce_with(topic, records, &ProducerSettings::default())
            .await
    }

    async fn produce_with(
        &self,
        topic: &str,
        records: Vec<ProduceRecord>,
        settings: &ProducerSettings,
    ) -> Result<Vec<(i32, i64)>> {
        // Appended, then durable: the same path as produce_appended, waited for here.
        let (acks, durable) = self.produce_appended(topic, records, settings).await?;
        durable.await?;
        Ok(acks)
    }

    async fn produce_appended(
        &self,
        topic: &str,
        records: Vec<ProduceRecord>,
        settings: &ProducerSettings,
    ) -> Result<(Vec<(i32, i64)>, Durable)> {
        let (acks, durable) = self.append_records(topic, records, settings).await?;
        Ok((
            acks,
            Box::pin(async move {
                for d in durable {
                    d.wait().await.map_err(inproc)?;
                }
                Ok(())
            }),
        ))
    }

    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        max_wait: Duration,
    ) -> Result<Vec<ConsumedRecord>> {
        let (bytes, _hw) = self
            .broker
            .read_batches(topic, partition, offset, max_bytes, max_wait)
            .await
            .map_err(inproc)?;
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        let mut buf: Bytes = bytes;
        let sets = RecordBatchDecoder::decode_all(&mut buf).map_err(|e| {
            KafkaError::Fatal(format!(
                "cannot decode stored batches of {topic}-{partition}: {e:#}"
            ))
        })?;
        let mut out = Vec::new();
        for set in sets {
            for r in set.records {
                if r.control || r.offset < offset {
                    continue;
                }
                out.push(ConsumedRecord {
                    topic: topic.to_string(),
                    partition,
                    offset: r.offset,
                    timestamp: r.timestamp,
                    key: r.key,
                    value: r.value,
                    headers: r
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k.as_str().to_string(), v))
                        .collect(),
                });
            }
        }
        Ok(out)
    }

    async fn offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>> {
        let t = self
            .broker
            .topic(topic)
            .ok_or_else(|| KafkaError::UnknownTopic(topic.into()))?;
        Ok(t.partitions
            .iter()
            .map(|p| {
                let log = p.log.lock();
                PartitionOffsets {
                    partition: p.index,
                    earliest: log.log_start_offset(),
                    latest: log.next_offset(),
                }
            })
            .collect())
    }

    async fn commit_offsets(&self, group: &str, offsets: &[(String, i32, i64)]) -> Result<()> {
        let now = now_ms();
        let entries: Vec<(String, i32, CommittedOffset)> = offsets
            .iter()
            .map(|(t, p, o)| {
                (
                    t.clone(),
                    *p,
                    CommittedOffset {
                        offset: *o,
                        leader_epoch: -1,
                        metadata: Some(String::new()),
                        commit_timestamp: now,
                    },
                )
            })
            .collect();
        self.broker
            .meta
            .commit_offsets(group, &entries)
            .map_err(|e| KafkaError::Fatal(e.to_string()))?;
        self.broker
            .meta
            .flush_async()
            .await
            .map_err(|e| KafkaError::Fatal(e.to_string()))
    }

    async fn committed_offsets(&self, group: &str) -> Result<Vec<(String, i32, i64)>> {
        let v = self
            .broker
            .meta
            .group_offsets(group)
            .map_err(|e| KafkaError::Fatal(e.to_string()))?;
        Ok(v.into_iter().map(|(t, p, o)| (t, p, o.offset)).collect())
    }

    fn group_member(
        &self,
        cfg: super::group::MemberConfig,
    ) -> Option<Arc<dyn super::group::GroupMember>> {
        Some(Arc::new(super::group::EmbeddedMember::new(
            self.broker.clone(),
            cfg,
        )))
    }

    async fn delete_committed_offsets(&self, group: &str) -> Result<()> {
        self.broker
            .meta
            .delete_group_offsets(group)
            .map_err(|e| KafkaError::Fatal(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn broker(dir: &std::path::Path) -> Arc<Broker> {
        let mut m = BTreeMap::new();
        m.insert("log.dirs".to_string(), dir.display().to_string());
        let (cfg, _) = sluice_broker::BrokerConfig::from_map(m).unwrap();
        Broker::open(cfg).unwrap()
    }

    #[test]
    fn plain_batches_are_the_bytes_kafka_protocol_encodes() {
        let h = |k: &str, v: Option<&str>| (k.to_string(), v.map(|v| Bytes::from(v.to_string())));
        let recs: Vec<ProduceRecord> = vec![
            ProduceRecord {
                partition: Some(0),
                key: Some(Bytes::from_static(b"k1")),
                value: Some(Bytes::from("v".repeat(300))),
                headers: vec![h("__debezium.context.taskId", Some("0")), h("n", None)],
                timestamp: Some(1_700_000_000_123),
            },
            ProduceRecord {
                partition: Some(0),
                key: None,
                value: None,
                headers: vec![],
                // Earlier than the first: a negative delta from the first, not from the base.
                timestamp: Some(1_700_000_000_000),
            },
            ProduceRecord {
                partition: Some(0),
                key: Some(Bytes::new()),
                value: Some(Bytes::from("x".repeat(20_000))),
                headers: vec![h("é", Some(""))],
                timestamp: None,
            },
        ];
        for n in 1..=recs.len() {
            let refs: Vec<&ProduceRecord> = recs[..n].iter().collect();
            // The same "now" for the record without a timestamp in both encoders.
            let now = 1_700_000_000_500;
            let mut ours = BytesMut::new();
            encode_plain(&mut ours, &refs, now);
            let mut reference = BytesMut::new();
            let kp = kp_records(&refs, now);
            RecordBatchEncoder::encode(
                &mut reference,
                kp.iter(),
                &RecordEncodeOptions {
                    version: 2,
                    compression: Compression::None,
                },
            )
            .unwrap();
            assert_eq!(ours, reference, "{n} records");
            // And the storage layer accepts it (CRC-32C, lengths).
            sluice_storage::batch::split_batches(&ours).unwrap();
        }
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            300,
            -300,
            i32::MAX as i64,
            i64::MIN,
            i64::MAX,
        ] {
            let mut b = BytesMut::new();
            put_varlong(&mut b, v);
            assert_eq!(b.len() as i64, varlong_size(v), "{v}");
        }
    }

    #[tokio::test]
    async fn producer_compression_is_kept_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let b = broker(dir.path()).await;
        let k = EmbeddedKafka::new(b.clone());
        k.ensure_topic("z", 1, &[]).await.unwrap();
        let settings = ProducerSettings {
            compression: Compression::Gzip,
            ..Default::default()
        };
        let recs: Vec<ProduceRecord> = (0..50)
            .map(|i| ProduceRecord {
                partition: Some(0),
                key: None,
                value: Some(Bytes::from(format!("value {i} {}", "a".repeat(100)))),
                headers: vec![],
                timestamp: None,
            })
            .collect();
        k.produce_with("z", recs, &settings).await.unwrap();
        let (raw, _) = b
            .read_batches("z", 0, 0, 1 << 20, Duration::ZERO)
            .await
            .unwrap();
        // v2 batch header: attributes at byte 21; the low 3 bits are the codec (1 = gzip).
        assert_eq!(raw[21 + 1] & 7, 1, "stored as gzip");
        let batch_len = i32::from_be_bytes([raw[8], raw[9], raw[10], raw[11]]);
        assert!(
            batch_len < 50 * 100,
            "compressed: {batch_len} bytes of {}",
            raw.len()
        );
        assert_eq!(
            raw.len(),
            12 + batch_len as usize,
            "one batch for the 50 records"
        );
        // Record count at byte 57; base sequence (-1: no producer) at byte 53.
        assert_eq!(&raw[57..61], &50i32.to_be_bytes());
        assert_eq!(&raw[53..57], &(-1i32).to_be_bytes());
        let back = k.fetch("z", 0, 0, 1 << 20, Duration::ZERO).await.unwrap();
        assert_eq!(back.len(), 50);
        // Records past batch.size go into further batches: 40 records of 1 KiB, 16 KiB batches.
        let big: Vec<ProduceRecord> = (0..40)
            .map(|_| ProduceRecord {
                partition: Some(0),
                key: None,
                value: Some(Bytes::from(vec![b'x'; 1000])),
                headers: vec![],
                timestamp: None,
            })
            .collect();
        let acks = k.produce("z", big).await.unwrap();
        assert_eq!(
            acks.iter().map(|a| a.1).collect::<Vec<_>>(),
            (50..90).collect::<Vec<i64>>()
        );
        let (raw, _) = b
            .read_batches("z", 0, 50, 1 << 20, Duration::ZERO)
            .await
            .unwrap();
        let mut at = 0;
        let mut counts = Vec::new();
        while at + 61 <= raw.len() {
            let len =
                i32::from_be_bytes([raw[at + 8], raw[at + 9], raw[at + 10], raw[at + 11]]) as usize;
            counts.push(i32::from_be_bytes([
                raw[at + 57],
                raw[at + 58],
                raw[at + 59],
                raw[at + 60],
            ]));
            assert!(len <= 16_384 + 61, "batch of {len} bytes");
            at += 12 + len;
        }
        assert_eq!(counts.iter().sum::<i32>(), 40);
        assert!(counts.len() >= 3 && counts[0] > 1, "{counts:?}");
        assert!(back[49].value.as_deref().unwrap().starts_with(b"value 49 "));
    }

    #[tokio::test]
    async fn produce_then_fetch_round_trips_keys_values_headers() {
        let dir = tempfile::tempdir().unwrap();
        let k = EmbeddedKafka::new(broker(dir.path()).await);
        assert_eq!(
            k.ensure_topic("t", 3, &[("cleanup.policy".into(), "compact".into())])
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            k.topic_config("t", "cleanup.policy")
                .await
                .unwrap()
                .as_deref(),
            Some("compact")
        );
        let recs: Vec<ProduceRecord> = (0..10)
            .map(|i| ProduceRecord {
                partition: None,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("v{i}"))),
                headers: vec![("h".into(), Some(Bytes::from_static(b"x")))],
                timestamp: Some(1000 + i),
            })
            .collect();
        let placed = k.produce("t", recs).await.unwrap();
        assert_eq!(placed.len(), 10);
        for (i, (p, _)) in placed.iter().enumerate() {
            assert_eq!(*p, default_partition(format!("k{i}").as_bytes(), 3));
        }
        let mut seen = 0;
        for p in 0..3 {
            let got = k
                .fetch("t", p, 0, 1 << 20, Duration::from_millis(10))
                .await
                .unwrap();
            for r in &got {
                let i: usize = std::str::from_utf8(&r.key.clone().unwrap()[1..])
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(placed[i], (p, r.offset));
                assert_eq!(r.value.as_deref(), Some(format!("v{i}").as_bytes()));
                assert_eq!(
                    r.headers,
                    vec![("h".to_string(), Some(Bytes::from_static(b"x")))]
                );
                assert_eq!(r.timestamp, 1000 + i as i64);
            }
            seen += got.len();
        }
        assert_eq!(seen, 10);
        k.commit_offsets("connect-x", &[("t".into(), 0, 5)])
            .await
            .unwrap();
        assert_eq!(
            k.committed_offsets("connect-x").await.unwrap(),
            vec![("t".to_string(), 0, 5)]
        );
    }
}
