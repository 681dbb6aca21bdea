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
    /// Appends one or more record batches to a partition and waits until they are as durable
    /// as an acks=all produce would be (see `syncs_on_ack`).
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
    /// (readable) with what waits for their durability (None when acks are not synced:
    /// `sluice.log.sync.on.ack` false, or the topic's flush.ms / flush.messages). A caller can
    /// append its next batches while these sync.
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
        let (out, sync) = {
            let mut log = p.log.lock();
            let out = log.append(&mut batches, now_ms())?;
            if let (false, Some(t)) = (out.duplicate, &t) {
                t.metrics.produced(size, out.records);
            }
            self.after_append(&p, &mut log);
            let cfg = log.config();
            let sync = self.syncs_on_ack(cfg) || p.note_appended(out.records, cfg.flush_messages);
            (out, sync)
        };
        self.notify_append();
        let durability = sync.then(|| Durability {
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
                s.drop_if_behind(p.drop_behind);
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bytes::{Bytes, BytesMut};
    use kafka_protocol::records::RecordBatchDecoder;

    use super::*;
    use crate::BrokerConfig;

    fn batch(value: Bytes) -> BytesMut {
        crate::test_support::batch_of([value])
    }

    /// Pages of `path`'s first `len` bytes in the page cache (None where that cannot be told:
    /// tmpfs keeps every page).
    fn resident_pages(path: &std::path::Path, len: usize) -> Option<usize> {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(path).unwrap();
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: valid C string and out-pointer.
        if unsafe { libc::statfs(c.as_ptr(), &mut fs) } != 0 || fs.f_type as i64 == 0x0102_1994 {
            return None;
        }
        // SAFETY: a read-only shared mapping of an open file, unmapped below.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        assert_ne!(addr, libc::MAP_FAILED);
        let pages = len.div_ceil(4096);
        let mut vec = vec![0u8; pages];
        // SAFETY: `vec` has one byte per page of the mapping.
        let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
        unsafe { libc::munmap(addr, len) };
        assert_eq!(rc, 0);
        Some(vec.iter().filter(|b| *b & 1 == 1).count())
    }

    /// Pages cached (behind the window) after writing, and after reading everything back.
    async fn write_and_check(keep: u64) -> Option<(usize, usize)> {
        let keep = keep.to_string();
        let (dir, b) = broker_with(&[
            ("sluice.log.drop.behind.bytes", &keep),
            // Every append synced, so each one moves the window.
            ("sluice.log.sync.on.ack", "true"),
        ]);
        topic(&b, "d", &[]).await;
        let value = |i: usize| Bytes::from(vec![b'a' + (i % 26) as u8; 16 << 10]);
        for i in 0..40 {
            b.append_batches("d", 0, batch(value(i))).await.unwrap();
        }
        let log = std::fs::read_dir(dir.path().join("d-0"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "log"))
            .unwrap();
        let size = std::fs::metadata(&log).unwrap().len();
        assert!(size > 600 << 10, "{size}");
        // The part more than 64 KiB + a page behind the end.
        let resident = resident_pages(&log, (size - (68 << 10)) as usize);
        // Every record reads back, whatever left the page cache.
        let mut offset = 0;
        while offset < 40 {
            let (mut bytes, hw) = b
                .read_batches("d", 0, offset, 20_000, Duration::ZERO)
                .await
                .unwrap();
            assert_eq!(hw, 40);
            let set = RecordBatchDecoder::decode(&mut bytes).unwrap();
            for r in set.records {
                assert_eq!(r.offset, offset);
                assert_eq!(r.value, Some(value(offset as usize)));
                offset += 1;
            }
        }
        // A reader far behind drops what it read, too.
        let after_read = resident_pages(&log, (size - (68 << 10)) as usize);
        resident.zip(after_read)
    }

    #[tokio::test]
    async fn synced_data_behind_the_window_leaves_the_page_cache() {
        let Some((kept, kept_read)) = write_and_check(0).await else {
            eprintln!("the log directory's file system keeps every page: nothing to check");
            return;
        };
        assert!(kept > 100, "without drop-behind the pages stay: {kept}");
        assert!(kept_read >= kept, "{kept_read} < {kept}");
        let (written, read) = write_and_check(64 << 10).await.unwrap();
        assert!(written < kept / 2, "{written} of {kept} pages still cached");
        assert!(
            read < kept / 2,
            "{read} of {kept} pages cached after reading back"
        );
    }

    fn broker_with(settings: &[(&str, &str)]) -> (tempfile::TempDir, Arc<Broker>) {
        let dir = tempfile::tempdir().unwrap();
        let mut m = BTreeMap::new();
        m.insert("log.dirs".to_string(), dir.path().display().to_string());
        for (k, v) in settings {
            m.insert(k.to_string(), v.to_string());
        }
        let b = Broker::open(BrokerConfig::from_map(m).unwrap().0).unwrap();
        (dir, b)
    }

    async fn topic(b: &Broker, name: &str, configs: &[(&str, &str)]) {
        let configs = configs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        b.create_topic(name, 1, -1, configs, false).await.unwrap();
    }

    /// (appended, waits for a sync, still unsynced afterwards) for one append of one record.
    async fn append_one(b: &Broker, topic: &str) -> (i64, bool, bool) {
        let (out, durability) = b
            .append_batches_deferred(topic, 0, batch(Bytes::from_static(b"v")))
            .unwrap();
        let waits = durability.is_some();
        if let Some(d) = durability {
            d.wait().await.unwrap();
        }
        let p = b.topic(topic).unwrap().partition(0).unwrap();
        let end = out.last_offset + 1;
        (end, waits, p.unsynced_for(end).is_some())
    }

    #[tokio::test]
    async fn acks_wait_for_the_page_cache_by_default_and_the_background_sync_follows() {
        let (_dir, b) = broker_with(&[("sluice.log.sync.interval.ms", "5")]);
        topic(&b, "k", &[]).await;
        let (end, waits, unsynced) = append_one(&b, "k").await;
        assert!(!waits, "as Kafka: an append is acknowledged without a sync");
        assert!(unsynced);
        tokio::time::sleep(Duration::from_millis(10)).await;
        b.flush_due().await;
        let p = b.topic("k").unwrap().partition(0).unwrap();
        assert!(p.unsynced_for(end).is_none(), "the background sync ran");
    }

    #[tokio::test]
    async fn sync_on_ack_waits_for_fdatasync_unless_the_topic_flushes_on_an_interval() {
        let (_dir, b) = broker_with(&[("sluice.log.sync.on.ack", "true")]);
        topic(&b, "s", &[]).await;
        topic(&b, "i", &[("flush.messages", "2")]).await;
        assert_eq!(append_one(&b, "s").await, (1, true, false));
        // flush.messages=2: the second append is the one that syncs (and waits).
        assert_eq!(append_one(&b, "i").await, (1, false, true));
        assert_eq!(append_one(&b, "i").await, (2, true, false));
    }

    #[tokio::test]
    async fn no_background_sync_before_the_interval_or_when_it_is_zero() {
        for interval in ["0", "60000"] {
            let (_dir, b) = broker_with(&[("sluice.log.sync.interval.ms", interval)]);
            topic(&b, "n", &[]).await;
            let (end, _, _) = append_one(&b, "n").await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            b.flush_due().await;
            let p = b.topic("n").unwrap().partition(0).unwrap();
            assert!(p.unsynced_for(end).is_some(), "interval {interval}: synced");
        }
    }

    #[test]
    fn a_negative_sync_interval_is_refused_by_name() {
        let mut m = BTreeMap::new();
        m.insert("sluice.log.sync.interval.ms".to_string(), "-1".to_string());
        let err = BrokerConfig::from_map(m).err().unwrap().to_string();
        assert!(err.contains("sluice.log.sync.interval.ms"), "{err}");
    }
}
