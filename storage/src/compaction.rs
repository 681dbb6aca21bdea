//! Log compaction (cleanup.policy=compact): keeps the latest record per key in sealed segments.
//! Memory is bounded: one batch at a time plus a map of 128-bit key hashes to offsets capped at
//! `max_map_entries`; when the map fills, only the part of the log it covers is cleaned this pass.
//! Work happens without the partition lock on immutable sealed segments; the swap is done under
//! the lock and skipped for any segment that changed meanwhile (e.g. deleted by retention).

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::batch::{BatchHeader, HEADER_LEN};
use crate::error::{IoContext, Result};
use crate::records;

/// What the cleaner needs from one sealed segment.
#[derive(Clone)]
pub struct SegmentView {
    pub base_offset: i64,
    pub file: Arc<File>,
    pub size: u64,
    pub log_path: PathBuf,
}

/// A snapshot taken under the partition lock; run without it.
pub struct Plan {
    pub segments: Vec<SegmentView>,
    pub now_ms: i64,
    pub delete_retention_ms: i64,
    pub max_map_entries: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub segments: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub records_before: u64,
    pub records_after: u64,
}

/// The outcome of [`run`]: cleaned files to install and the first offset the map did not cover.
pub struct Cleaned {
    pub files: Vec<(i64, u64, PathBuf)>,
    pub map_end: i64,
    pub stats: Stats,
}

fn key_hash(key: &[u8]) -> u128 {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    0x5a5a_u16.hash(&mut a);
    key.hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0xa5a5_u16.hash(&mut b);
    key.hash(&mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

/// Calls `f` for every batch of a segment, reading one batch at a time.
fn for_each_batch(
    seg: &SegmentView,
    mut f: impl FnMut(&[u8], &BatchHeader) -> Result<bool>,
) -> Result<()> {
    let mut pos = 0u64;
    let mut head = [0u8; HEADER_LEN];
    let mut buf = Vec::new();
    while pos + HEADER_LEN as u64 <= seg.size {
        seg.file.read_exact_at(&mut head, pos).ctx(&seg.log_path)?;
        let h = BatchHeader::parse(&head)?;
        if pos + h.size as u64 > seg.size {
            break;
        }
        buf.resize(h.size, 0);
        seg.file.read_exact_at(&mut buf, pos).ctx(&seg.log_path)?;
        if !f(&buf, &h)? {
            break;
        }
        pos += h.size as u64;
    }
    Ok(())
}

/// Builds the key map, then writes a cleaned copy of every segment the map covers.
pub fn run(plan: &Plan) -> Result<Cleaned> {
    let mut map: HashMap<u128, i64> = HashMap::new();
    // The last batch of each idempotent producer is kept whole, as Kafka's cleaner does, so the
    // producer's sequence state can always be rebuilt from the log.
    let mut last_of_producer: HashMap<i64, i64> = HashMap::new();
    let mut map_end = plan.segments.first().map(|s| s.base_offset).unwrap_or(0);
    let mut full = false;
    'outer: for seg in &plan.segments {
        let mut seg_done = true;
        for_each_batch(seg, |b, h| {
            if h.has_producer_id() {
                last_of_producer.insert(h.producer_id, h.base_offset);
            }
            if h.is_control() {
                map_end = h.next_offset();
                return Ok(true);
            }
            let section = records::records_section(b, h)?;
            let recs = records::walk(&section, h.records_count)?;
            let new_keys = recs
                .iter()
                .filter(|r| {
                    r.key
                        .map(|k| !map.contains_key(&key_hash(k)))
                        .unwrap_or(false)
                })
                .count();
            if map.len() + new_keys > plan.max_map_entries {
                full = true;
                seg_done = false;
                return Ok(false);
            }
            for r in &recs {
                if let Some(k) = r.key {
                    map.insert(key_hash(k), h.base_offset + r.offset_delta);
                }
            }
            map_end = h.next_offset();
            Ok(true)
        })?;
        if !seg_done || full {
            break 'outer;
        }
    }
    let horizon = plan.now_ms.saturating_sub(plan.delete_retention_ms);
    let mut stats = Stats::default();
    let mut files = Vec::new();
    for seg in &plan.segments {
        if seg.base_offset >= map_end {
            break;
        }
        let out_path = seg.log_path.with_extension("log.cleaned");
        let mut out = std::io::BufWriter::new(File::create(&out_path).ctx(&out_path)?);
        let mut written = 0u64;
        for_each_batch(seg, |b, h| {
            stats.records_before += h.records_count.max(0) as u64;
            let producers_last =
                h.has_producer_id() && last_of_producer.get(&h.producer_id) == Some(&h.base_offset);
            if h.is_control() || h.base_offset >= map_end {
                out.write_all(b).ctx(&out_path)?;
                written += b.len() as u64;
                stats.records_after += h.records_count.max(0) as u64;
                return Ok(true);
            }
            let section = records::records_section(b, h)?;
            let recs = records::walk(&section, h.records_count)?;
            let kept: Vec<_> = recs
                .iter()
                .copied()
                .filter(|r| {
                    let off = h.base_offset + r.offset_delta;
                    let Some(k) = r.key else { return true };
                    let latest =
                        off >= map_end || map.get(&key_hash(k)).map(|o| *o == off).unwrap_or(true);
                    let expired_tombstone = r.value_is_null && h.max_timestamp < horizon;
                    latest && !expired_tombstone
                })
                .collect();
            stats.records_after += kept.len() as u64;
            if kept.len() == recs.len() {
                out.write_all(b).ctx(&out_path)?;
                written += b.len() as u64;
            } else if !kept.is_empty() || producers_last {
                // An emptied last batch of a producer stays as a header with no records.
                let nb = records::rebuild(b, &kept)?;
                out.write_all(&nb).ctx(&out_path)?;
                written += nb.len() as u64;
            }
            Ok(true)
        })?;
        let f = out
            .into_inner()
            .map_err(|e| crate::error::StorageError::Io {
                path: out_path.clone(),
                source: e.into_error(),
            })?;
        f.sync_all().ctx(&out_path)?;
        stats.segments += 1;
        stats.bytes_before += seg.size;
        stats.bytes_after += written;
        files.push((seg.base_offset, seg.size, out_path));
    }
    Ok(Cleaned {
        files,
        map_end,
        stats,
    })
}
