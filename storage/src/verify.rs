//! `sluice storage verify DIR`: a read-only check of a data directory. Every batch's framing and
//! CRC-32C, offset order across segments, both indexes against the data, and the metadata store.
//! Problems are reported with the file and byte position; nothing is modified.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::batch::{self, BatchHeader, HEADER_LEN};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub position: u64,
    pub what: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub partitions: usize,
    pub segments: usize,
    pub batches: u64,
    pub records: u64,
    pub bytes: u64,
    pub topics_in_metadata: usize,
    pub problems: Vec<Problem>,
}

impl Report {
    fn problem(&mut self, file: &Path, position: u64, what: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_path_buf(),
            position,
            what: what.into(),
        });
    }
}

fn verify_segment(report: &mut Report, dir: &Path, base: i64, prev_next: &mut Option<i64>) {
    let log_path = crate::segment::file_name(dir, base, "log");
    let file = match File::open(&log_path) {
        Ok(f) => f,
        Err(e) => return report.problem(&log_path, 0, format!("cannot open: {e}")),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    report.segments += 1;
    report.bytes += size;
    let mut pos = 0u64;
    let mut starts = std::collections::HashMap::new();
    let mut buf = Vec::new();
    let mut expected = prev_next.unwrap_or(base).max(base);
    while pos < size {
        let mut head = [0u8; HEADER_LEN];
        if pos + HEADER_LEN as u64 > size || file.read_exact_at(&mut head, pos).is_err() {
            report.problem(&log_path, pos, format!("{} trailing bytes do not hold a batch header (torn write; recovery truncates them)", size - pos));
            break;
        }
        let h = match BatchHeader::parse(&head) {
            Ok(h) => h,
            Err(e) => {
                report.problem(&log_path, pos, format!("bad batch header: {e}"));
                break;
            }
        };
        if pos + h.size as u64 > size {
            report.problem(&log_path, pos, format!("batch of {} bytes runs past the end of the file (torn write; recovery truncates it)", h.size));
            break;
        }
        buf.resize(h.size, 0);
        if let Err(e) = file.read_exact_at(&mut buf, pos) {
            report.problem(&log_path, pos, format!("read failed: {e}"));
            break;
        }
        if let Err(e) = batch::validate(&buf) {
            report.problem(
                &log_path,
                pos,
                format!("batch at offset {}: {e}", h.base_offset),
            );
        }
        if h.base_offset < expected {
            report.problem(
                &log_path,
                pos,
                format!(
                    "offset {} goes backwards (expected at least {expected})",
                    h.base_offset
                ),
            );
        }
        expected = h.next_offset();
        starts.insert(pos, h.base_offset);
        report.batches += 1;
        report.records += h.records_count.max(0) as u64;
        pos += h.size as u64;
    }
    *prev_next = Some(expected);
    let index_path = crate::segment::file_name(dir, base, "index");
    match std::fs::read(&index_path) {
        Err(_) => report.problem(
            &index_path,
            0,
            "offset index is missing (it is rebuilt at start-up)",
        ),
        Ok(idx) => {
            if idx.len() % 8 != 0 {
                report.problem(
                    &index_path,
                    idx.len() as u64,
                    "offset index length is not a multiple of 8 (rebuilt at start-up)",
                );
            }
            for (i, e) in idx.chunks_exact(8).enumerate() {
                let rel = u32::from_be_bytes([e[0], e[1], e[2], e[3]]) as i64;
                let p = u32::from_be_bytes([e[4], e[5], e[6], e[7]]) as u64;
                if starts.get(&p) != Some(&(base + rel)) {
                    report.problem(
                        &index_path,
                        i as u64 * 8,
                        format!(
                            "entry {i} maps offset {} to byte {p}, where no such batch starts",
                            base + rel
                        ),
                    );
                    break;
                }
            }
        }
    }
}

/// Verifies every partition directory under `dir` and the metadata store in `dir/__metadata`.
pub fn verify_dir(dir: &Path) -> Report {
    let mut report = Report::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            report.problem(dir, 0, format!("cannot read the data directory: {e}"));
            return report;
        }
    };
    let mut parts: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("__metadata"))
        .collect();
    parts.sort();
    for part in parts {
        report.partitions += 1;
        let mut bases: Vec<i64> = std::fs::read_dir(&part)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".log")
                    .and_then(|s| s.parse().ok())
            })
            .collect();
        bases.sort_unstable();
        let mut prev = None;
        for b in bases {
            verify_segment(&mut report, &part, b, &mut prev);
        }
    }
    let meta = dir.join("__metadata");
    if meta.exists() {
        match crate::metadata::MetaStore::open(&meta, 4 << 20) {
            Ok(m) => match m.topics() {
                Ok(t) => {
                    report.topics_in_metadata = t.len();
                    for rec in t {
                        for p in 0..rec.partitions {
                            let pd = dir.join(format!("{}-{p}", rec.name));
                            if !pd.is_dir() {
                                report.problem(&pd, 0, format!("topic {} partition {p} is in the metadata but has no directory", rec.name));
                            }
                        }
                    }
                }
                Err(e) => report.problem(&meta, 0, format!("metadata cannot be read: {e}")),
            },
            Err(e) => report.problem(
                &meta,
                0,
                format!(
                    "metadata store cannot be opened (is a broker running on this directory?): {e}"
                ),
            ),
        }
    } else {
        report.problem(
            &meta,
            0,
            "no metadata store: not a Sluice data directory, or never started",
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::make_batch;
    use crate::{LogConfig, PartitionLog};

    #[test]
    fn finds_a_flipped_byte_with_file_and_position() {
        let dir = tempfile::tempdir().unwrap();
        let pdir = dir.path().join("t-0");
        let mut log = PartitionLog::open(&pdir, LogConfig::default(), 0, None, 0).unwrap();
        for _ in 0..3 {
            log.append(&mut make_batch(2, 10, 1), 0).unwrap();
        }
        drop(log);
        let clean = verify_dir(dir.path());
        assert_eq!(clean.batches, 3);
        assert_eq!(clean.problems.len(), 1, "{:?}", clean.problems); // only: no metadata store
        let seg = crate::segment::file_name(&pdir, 0, "log");
        let mut bytes = std::fs::read(&seg).unwrap();
        let second = BatchHeader::parse(&bytes).unwrap().size;
        bytes[second + 70] ^= 0xff;
        std::fs::write(&seg, &bytes).unwrap();
        let bad = verify_dir(dir.path());
        let p = bad
            .problems
            .iter()
            .find(|p| p.what.contains("CRC"))
            .expect("CRC problem reported");
        assert_eq!(p.file, seg);
        assert_eq!(p.position, second as u64);
    }
}
