//! One segment of a partition log: `<base>.log` holding record batches exactly as stored, a sparse
//! offset index `<base>.index` (relative offset u32, position u32) and a time index
//! `<base>.timeindex` (max timestamp i64, relative offset u32), the same layout Kafka uses.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::batch::{BatchHeader, HEADER_LEN, LOG_OVERHEAD};
use crate::error::{IoContext, Result, StorageError};

const INDEX_ENTRY: u64 = 8;
const TIME_ENTRY: u64 = 12;

pub fn file_name(dir: &Path, base: i64, ext: &str) -> PathBuf {
    dir.join(format!("{base:020}.{ext}"))
}

pub struct Segment {
    pub base_offset: i64,
    pub dir: PathBuf,
    file: Arc<File>,
    /// Bytes of complete, validated batches.
    size: u64,
    /// Offset after the last batch in this segment.
    pub next_offset: i64,
    pub max_timestamp: i64,
    /// Wall-clock time the segment was created or, after a restart, last modified.
    pub created_ms: i64,
    index: File,
    index_entries: u64,
    time_index: File,
    last_index_pos: u64,
    last_time_indexed: i64,
}

/// A stable view of bytes to read: the file stays valid even if retention unlinks it.
#[derive(Clone)]
pub struct FileSlice {
    pub file: Arc<File>,
    pub position: u64,
    pub len: u64,
    /// Bytes of the log after this slice when it was taken (0 where not known).
    pub behind: u64,
}

impl FileSlice {
    /// After a read: a slice lying at least `window` bytes behind the end of its log leaves
    /// the page cache again (drop-behind for readers far behind; `window` 0: never). Errors
    /// are ignored: the data was read.
    pub fn drop_if_behind(&self, window: u64) {
        if window > 0 && self.behind >= window {
            let _ = crate::page_cache::drop_range(&self.file, self.position, self.len);
        }
    }

    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; self.len as usize];
        self.file.read_exact_at(&mut buf, self.position)?;
        Ok(buf)
    }
}

fn open_rw(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .ctx(path)
}

impl Segment {
    pub fn create(dir: &Path, base: i64, now_ms: i64) -> Result<Segment> {
        let log_path = file_name(dir, base, "log");
        let file = open_rw(&log_path)?;
        file.set_len(0).ctx(&log_path)?;
        let index = open_rw(&file_name(dir, base, "index"))?;
        index.set_len(0).ctx(&log_path)?;
        let time_index = open_rw(&file_name(dir, base, "timeindex"))?;
        time_index.set_len(0).ctx(&log_path)?;
        Ok(Segment {
            base_offset: base,
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            size: 0,
            next_offset: base,
            max_timestamp: -1,
            created_ms: now_ms,
            index,
            index_entries: 0,
            time_index,
            last_index_pos: 0,
            last_time_indexed: -1,
        })
    }

    /// Opens an existing segment. `full_scan` validates every batch (CRC included), truncates a
    /// torn or corrupt tail and rebuilds both indexes; it is used for the active segment and for
    /// any segment whose index is missing or inconsistent.
    pub fn open(dir: &Path, base: i64, full_scan: bool, index_interval: u64) -> Result<Segment> {
        let log_path = file_name(dir, base, "log");
        let file = open_rw(&log_path)?;
        let meta = file.metadata().ctx(&log_path)?;
        let size = meta.len();
        let created_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let index_path = file_name(dir, base, "index");
        let index = open_rw(&index_path)?;
        let time_index = open_rw(&file_name(dir, base, "timeindex"))?;
        let index_len = index.metadata().ctx(&index_path)?.len();
        let mut seg = Segment {
            base_offset: base,
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            size,
            next_offset: base,
            max_timestamp: -1,
            created_ms,
            index,
            index_entries: index_len / INDEX_ENTRY,
            time_index,
            last_index_pos: 0,
            last_time_indexed: -1,
        };
        let index_ok = index_len % INDEX_ENTRY == 0 && (size == 0 || index_len > 0);
        if full_scan || !index_ok {
            seg.recover(index_interval)?;
        } else {
            seg.load_tail_state()?;
        }
        Ok(seg)
    }

    /// Scans every batch, truncating at the first incomplete or corrupt one, and rebuilds indexes.
    fn recover(&mut self, index_interval: u64) -> Result<u64> {
        let path = self.log_path();
        self.index.set_len(0).ctx(&path)?;
        self.time_index.set_len(0).ctx(&path)?;
        self.index_entries = 0;
        self.last_index_pos = 0;
        self.last_time_indexed = -1;
        self.max_timestamp = -1;
        self.next_offset = self.base_offset;
        let total = self.size;
        let mut pos = 0u64;
        let mut scratch = Vec::new();
        let mut first = true;
        while pos < total {
            let Some(h) = self.read_header(pos)? else {
                break;
            };
            if pos + h.size as u64 > total {
                break;
            }
            scratch.resize(h.size, 0);
            self.file.read_exact_at(&mut scratch, pos).ctx(&path)?;
            if crate::batch::validate(&scratch).is_err() || h.base_offset < self.next_offset {
                break;
            }
            self.note_batch(&h, pos, first, index_interval)?;
            first = false;
            pos += h.size as u64;
        }
        if pos < total {
            tracing::warn!(
                segment = %path.display(),
                valid_bytes = pos,
                dropped_bytes = total - pos,
                "truncating a torn or corrupt tail found during recovery"
            );
            self.file.set_len(pos).ctx(&path)?;
        }
        self.size = pos;
        Ok(total - pos)
    }

    /// For a sealed segment with a good index: find next offset and max timestamp by scanning
    /// from the last index entry only.
    fn load_tail_state(&mut self) -> Result<()> {
        let mut pos = 0u64;
        if self.index_entries > 0 {
            let (_, p) = self.index_entry(self.index_entries - 1)?;
            pos = p as u64;
            if pos > self.size {
                return self.recover(4096).map(|_| ());
            }
        }
        self.last_index_pos = pos;
        self.next_offset = self.base_offset;
        while pos < self.size {
            let Some(h) = self.read_header(pos)? else {
                break;
            };
            if pos + h.size as u64 > self.size {
                break;
            }
            self.next_offset = h.next_offset();
            self.max_timestamp = self.max_timestamp.max(h.max_timestamp);
            pos += h.size as u64;
        }
        if pos != self.size {
            // An index that disagrees with the data: rebuild it from scratch.
            return self.recover(4096).map(|_| ());
        }
        let ti_len = self.time_index.metadata().ctx(&self.log_path())?.len();
        if ti_len >= TIME_ENTRY {
            let mut e = [0u8; 12];
            if self
                .time_index
                .read_exact_at(&mut e, (ti_len / TIME_ENTRY - 1) * TIME_ENTRY)
                .is_ok()
            {
                let ts = i64::from_be_bytes(e[0..8].try_into().unwrap_or([0; 8]));
                self.max_timestamp = self.max_timestamp.max(ts);
                self.last_time_indexed = ts;
            }
        }
        Ok(())
    }

    pub fn log_path(&self) -> PathBuf {
        file_name(&self.dir, self.base_offset, "log")
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    pub fn file(&self) -> &Arc<File> {
        &self.file
    }

    fn read_header(&self, pos: u64) -> Result<Option<BatchHeader>> {
        if pos + HEADER_LEN as u64 > self.size {
            return Ok(None);
        }
        let mut h = [0u8; HEADER_LEN];
        self.file.read_exact_at(&mut h, pos).ctx(&self.log_path())?;
        Ok(BatchHeader::parse(&h).ok())
    }

    fn index_entry(&self, i: u64) -> Result<(u32, u32)> {
        let mut e = [0u8; 8];
        self.index
            .read_exact_at(&mut e, i * INDEX_ENTRY)
            .ctx(&file_name(&self.dir, self.base_offset, "index"))?;
        Ok((
            u32::from_be_bytes([e[0], e[1], e[2], e[3]]),
            u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
        ))
    }

    fn note_batch(
        &mut self,
        h: &BatchHeader,
        pos: u64,
        first: bool,
        index_interval: u64,
    ) -> Result<()> {
        let rel = (h.base_offset - self.base_offset) as u32;
        if first || pos - self.last_index_pos >= index_interval {
            let mut e = [0u8; 8];
            e[0..4].copy_from_slice(&rel.to_be_bytes());
            e[4..8].copy_from_slice(&(pos as u32).to_be_bytes());
            self.index
                .write_all_at(&e, self.index_entries * INDEX_ENTRY)
                .ctx(&self.log_path())?;
            self.index_entries += 1;
            self.last_index_pos = pos;
            if h.max_timestamp > self.last_time_indexed {
                let ti_len = self.time_index.metadata().ctx(&self.log_path())?.len();
                let mut t = [0u8; 12];
                t[0..8].copy_from_slice(&h.max_timestamp.to_be_bytes());
                t[8..12]
                    .copy_from_slice(&((h.last_offset() - self.base_offset) as u32).to_be_bytes());
                self.time_index
                    .write_all_at(&t, ti_len - ti_len % TIME_ENTRY)
                    .ctx(&self.log_path())?;
                self.last_time_indexed = h.max_timestamp;
            }
        }
        self.next_offset = h.next_offset();
        self.max_timestamp = self.max_timestamp.max(h.max_timestamp);
        Ok(())
    }

    /// Appends already-validated batches whose offsets have been assigned. On failure (e.g. a
    /// full disk) the log and both indexes are cut back to where they were, so bytes of a write
    /// that was answered with an error can never resurface later.
    pub fn append(
        &mut self,
        buf: &[u8],
        headers: &[(usize, BatchHeader)],
        index_interval: u64,
    ) -> Result<()> {
        let saved = (
            self.size,
            self.next_offset,
            self.max_timestamp,
            self.index_entries,
            self.last_index_pos,
            self.last_time_indexed,
        );
        let ti_len = self.time_index.metadata().map(|m| m.len()).unwrap_or(0);
        let res = self.append_inner(buf, headers, index_interval);
        if res.is_err() {
            let (size, next, max_ts, entries, last_pos, last_ti) = saved;
            let _ = self.file.set_len(size);
            let _ = self.index.set_len(entries * INDEX_ENTRY);
            let _ = self.time_index.set_len(ti_len);
            self.size = size;
            self.next_offset = next;
            self.max_timestamp = max_ts;
            self.index_entries = entries;
            self.last_index_pos = last_pos;
            self.last_time_indexed = last_ti;
        }
        res
    }

    fn append_inner(
        &mut self,
        buf: &[u8],
        headers: &[(usize, BatchHeader)],
        index_interval: u64,
    ) -> Result<()> {
        let path = self.log_path();
        let start = self.size;
        self.file.write_all_at(buf, start).ctx(&path)?;
        for (i, (at, h)) in headers.iter().enumerate() {
            self.note_batch(h, start + *at as u64, start == 0 && i == 0, index_interval)?;
        }
        self.size += buf.len() as u64;
        Ok(())
    }

    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().ctx(&self.log_path())
    }

    pub fn flush_indexes(&mut self) -> Result<()> {
        self.index.flush().ctx(&self.log_path())?;
        self.time_index.flush().ctx(&self.log_path())
    }

    /// Position of the batch containing `offset` (or the first batch after it), scanning forward
    /// from the nearest index entry. Returns None when no batch ends at or after `offset`.
    pub fn find_position(&self, offset: i64) -> Result<Option<(u64, BatchHeader)>> {
        let rel = (offset - self.base_offset).max(0) as u32;
        // Binary search the sparse index for the last entry with relative offset <= rel.
        let (mut lo, mut hi) = (0u64, self.index_entries);
        let mut pos = 0u64;
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (r, p) = self.index_entry(mid)?;
            if r <= rel {
                pos = p as u64;
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        while pos < self.size {
            let Some(h) = self.read_header(pos)? else {
                return Ok(None);
            };
            if h.last_offset() >= offset {
                return Ok(Some((pos, h)));
            }
            pos += h.size as u64;
        }
        Ok(None)
    }

    /// First batch whose max timestamp is at or after `ts`.
    pub fn find_by_timestamp(&self, ts: i64) -> Result<Option<(u64, BatchHeader)>> {
        let path = self.log_path();
        let ti_len = self.time_index.metadata().ctx(&path)?.len();
        let mut start_offset = self.base_offset;
        let n = ti_len / TIME_ENTRY;
        let mut e = [0u8; 12];
        for i in 0..n {
            self.time_index
                .read_exact_at(&mut e, i * TIME_ENTRY)
                .ctx(&path)?;
            let t = i64::from_be_bytes(e[0..8].try_into().unwrap_or([0; 8]));
            if t >= ts {
                break;
            }
            start_offset = self.base_offset + u32::from_be_bytes([e[8], e[9], e[10], e[11]]) as i64;
        }
        let Some((mut pos, _)) = self.find_position(start_offset)? else {
            return Ok(None);
        };
        while pos < self.size {
            let Some(h) = self.read_header(pos)? else {
                return Ok(None);
            };
            if h.max_timestamp >= ts {
                return Ok(Some((pos, h)));
            }
            pos += h.size as u64;
        }
        Ok(None)
    }

    /// Reads up to `max_bytes` starting at `pos`, trimmed to whole batches but always including
    /// the first batch in full so a consumer can make progress.
    pub fn slice(&self, pos: u64, first_size: usize, max_bytes: u64) -> FileSlice {
        let avail = self.size.saturating_sub(pos);
        let len = avail.min(max_bytes.max(first_size as u64));
        FileSlice {
            file: self.file.clone(),
            position: pos,
            len,
            behind: self.size.saturating_sub(pos + len),
        }
    }

    /// Iterates batch headers from `pos` to the end: (position, header).
    pub fn headers_from(&self, mut pos: u64) -> Result<Vec<(u64, BatchHeader)>> {
        let mut out = Vec::new();
        while pos < self.size {
            let Some(h) = self.read_header(pos)? else {
                break;
            };
            out.push((pos, h));
            pos += h.size as u64;
        }
        Ok(out)
    }

    pub fn delete_files(&self) -> Result<()> {
        for ext in ["log", "index", "timeindex"] {
            let p = file_name(&self.dir, self.base_offset, ext);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::Io { path: p, source: e }),
            }
        }
        Ok(())
    }
}

/// Trims a buffer read from a segment to whole batches (keeping at least the first one whole).
pub fn trim_to_batches(buf: &mut Vec<u8>) {
    let mut pos = 0usize;
    while pos + LOG_OVERHEAD <= buf.len() {
        let len = i32::from_be_bytes([buf[pos + 8], buf[pos + 9], buf[pos + 10], buf[pos + 11]]);
        if len < 0 {
            break;
        }
        let end = pos + LOG_OVERHEAD + len as usize;
        if end > buf.len() {
            break;
        }
        pos = end;
    }
    buf.truncate(pos);
}
