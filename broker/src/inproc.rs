//! The in-process API the embedded Connect runtime uses to reach the log without TCP: append
//! record batches (with acks=all durability) and read whole batches with long polling. It keeps
//! the same rules as the Produce and Fetch handlers.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sluice_storage::{AppendError, AppendOutcome, StorageError};

use crate::state::{now_ms, Broker, Partition};

#[derive(Debug, thiserror::Error)]
pub enum InprocError {
    #[error("unknown topic or partition {0}-{1}")]
    UnknownPartition(String, i32),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Waits until an append is durable (acks=all): an fdatasync of its partition, shared with
/// concurrent appends (group commit).
pub struct Durability {
    partition: Arc<Partition>,
    upto: i64,
}

impl Durability {
    pub async fn wait(self) -> Result<(), InprocError> {
        Ok(self.partition.sync_to(self.upto).await?)
    }
}

impl Broker {
    /// Appends one or more record batches to a partition and waits until they are durable.
    pub async fn append_batches(
        &self,
        topic: &str,
        partition: i32,
        batches: BytesMut,
    ) -> Result<AppendOutcome, InprocError> {
        let (out, durability) = self.append_batches_deferred(topic, partition, batches)?;
        if let Some(d) = durability {
            d.wait().await?;
        }
        Ok(out)
    }

    /// Appends one or more record batches to a partition; returns once they are in the log
    /// (readable) with what waits for their durability (None when the partition is synced on
    /// an interval: flush.ms / flush.messages). A caller can append its next batches while
    /// these sync.
    pub fn append_batches_deferred(
        &self,
        topic: &str,
        partition: i32,
        mut batches: BytesMut,
    ) -> Result<(AppendOutcome, Option<Durability>), InprocError> {
        let t = self.topic(topic);
        let p = t
            .as_ref()
            .and_then(|t| t.partition(partition))
            .ok_or_else(|| InprocError::UnknownPartition(topic.to_string(), partition))?;
        let size = batches.len();
        let (out, interval) = {
            let mut log = p.log.lock();
            let out = log.append(&mut batches, now_ms())?;
            if let (false, Some(t)) = (out.duplicate, &t) {
                t.metrics.produced(size, out.records);
            }
            self.after_append(&p, &mut log);
            (out, log.config().interval_flush())
        };
        self.notify_append();
        let durability = (!interval).then(|| Durability {
            upto: out.last_offset + 1,
            partition: p,
        });
        Ok((out, durability))
    }

    /// Whole batches from the one containing `offset`, up to `max_bytes` (at least one batch);
    /// waits up to `max_wait` for data. Returns the bytes and the high watermark.
    pub async fn read_batches(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        max_wait: Duration,
    ) -> Result<(Bytes, i64), InprocError> {
        let t = self.topic(topic);
        let p = t
            .as_ref()
            .and_then(|t| t.partition(partition))
            .ok_or_else(|| InprocError::UnknownPartition(topic.to_string(), partition))?;
        let mut rx = self.subscribe_appends();
        let deadline = tokio::time::Instant::now() + max_wait;
        loop {
            rx.borrow_and_update();
            let (slice, hw) = {
                let log = p.log.lock();
                (log.read(offset, max_bytes as u64)?, log.next_offset())
            };
            if let Some(s) = slice {
                let mut bytes = s.read().map_err(|e| StorageError::Io {
                    path: format!("{topic}-{partition}").into(),
                    source: e,
                })?;
                sluice_storage::segment::trim_to_batches(&mut bytes);
                if let Some(t) = &t {
                    t.metrics.fetched(&bytes);
                }
                return Ok((Bytes::from(bytes), hw));
            }
            tokio::select! {
                r = rx.changed() => if r.is_err() { return Ok((Bytes::new(), hw)); },
                _ = tokio::time::sleep_until(deadline) => return Ok((Bytes::new(), hw)),
            }
        }
    }
}
