//! Reading the records inside a v2 batch without re-encoding them: decompression of the records
//! section, a zero-copy walk over records (key, value nullness, offset delta), and rebuilding a
//! batch from a subset of its records with the original header fields and codec.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::compression::{Compressor, Decompressor, Gzip, Lz4, Snappy, Zstd};

use crate::batch::{self, BatchHeader, HEADER_LEN, LOG_OVERHEAD};
use crate::error::{Result, StorageError};

fn corrupt(m: impl Into<String>) -> StorageError {
    StorageError::CorruptBatch(m.into())
}

/// The records section of a batch, decompressed.
pub fn records_section(b: &[u8], h: &BatchHeader) -> Result<Vec<u8>> {
    let body = &b[HEADER_LEN..h.size];
    let mut src = Bytes::copy_from_slice(body);
    let collect = |buf: &mut Bytes| -> anyhow::Result<Vec<u8>> { Ok(buf.to_vec()) };
    let out = match h.compression() {
        0 => return Ok(body.to_vec()),
        1 => Gzip::decompress(&mut src, collect),
        2 => Snappy::decompress(&mut src, collect),
        3 => Lz4::decompress(&mut src, collect),
        4 => Zstd::decompress(&mut src, collect),
        c => return Err(corrupt(format!("unknown compression codec {c}"))),
    };
    out.map_err(|e| corrupt(format!("cannot decompress batch: {e:#}")))
}

fn compress(codec: i16, raw: &[u8]) -> Result<Vec<u8>> {
    let mut out = BytesMut::new();
    let put = |b: &mut BytesMut| -> anyhow::Result<()> {
        b.put_slice(raw);
        Ok(())
    };
    let res = match codec {
        0 => {
            out.put_slice(raw);
            Ok(())
        }
        1 => Gzip::compress(&mut out, put),
        2 => Snappy::compress(&mut out, put),
        3 => Lz4::compress(&mut out, put),
        4 => Zstd::compress(&mut out, put),
        c => return Err(corrupt(format!("unknown compression codec {c}"))),
    };
    res.map_err(|e| corrupt(format!("cannot compress batch: {e:#}")))?;
    Ok(out.to_vec())
}

fn varint(b: &[u8], pos: &mut usize) -> Result<i64> {
    let mut raw: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or_else(|| corrupt("record runs past the end of its batch"))?;
        *pos += 1;
        raw |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    Err(corrupt("varint longer than 10 bytes"))
}

/// One record, borrowed from a records section.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// The full record bytes including its length prefix.
    pub bytes: &'a [u8],
    pub offset_delta: i64,
    pub timestamp_delta: i64,
    pub key: Option<&'a [u8]>,
    pub value_is_null: bool,
}

/// Walks `count` records in a decompressed records section.
pub fn walk(section: &[u8], count: i32) -> Result<Vec<RecordRef<'_>>> {
    let mut out = Vec::with_capacity(count.clamp(0, 4096) as usize);
    let mut pos = 0usize;
    for _ in 0..count.max(0) {
        let start = pos;
        let len = varint(section, &mut pos)?;
        if len < 0 || pos + len as usize > section.len() {
            return Err(corrupt(format!(
                "record length {len} runs past the end of the batch"
            )));
        }
        let end = pos + len as usize;
        let rec = &section[..end];
        pos += 1; // attributes
        let timestamp_delta = varint(rec, &mut pos)?;
        let offset_delta = varint(rec, &mut pos)?;
        let klen = varint(rec, &mut pos)?;
        let key = if klen < 0 {
            None
        } else {
            let k = rec
                .get(pos..pos + klen as usize)
                .ok_or_else(|| corrupt("record key runs past the record"))?;
            pos += klen as usize;
            Some(k)
        };
        let vlen = varint(rec, &mut pos)?;
        out.push(RecordRef {
            bytes: &section[start..end],
            offset_delta,
            timestamp_delta,
            key,
            value_is_null: vlen < 0,
        });
        pos = end;
    }
    Ok(out)
}

/// Rebuilds a batch keeping only `kept` records (which came from `orig`), with the original
/// base offset, timestamps, producer fields and codec, so record deltas stay valid.
pub fn rebuild(orig: &[u8], kept: &[RecordRef<'_>]) -> Result<Vec<u8>> {
    let h = BatchHeader::parse(orig)?;
    let mut raw = Vec::new();
    for r in kept {
        raw.extend_from_slice(r.bytes);
    }
    let body = compress(h.compression(), &raw)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&orig[..HEADER_LEN]);
    out.extend_from_slice(&body);
    let len = (out.len() - LOG_OVERHEAD) as i32;
    out[8..12].copy_from_slice(&len.to_be_bytes());
    out[57..61].copy_from_slice(&(kept.len() as i32).to_be_bytes());
    let crc = batch::compute_crc(&out);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// True if every record of the batch has a key (required on compacted topics).
pub fn all_keyed(b: &[u8], h: &BatchHeader) -> Result<bool> {
    if h.is_control() {
        return Ok(true);
    }
    let section = records_section(b, h)?;
    Ok(walk(&section, h.records_count)?
        .iter()
        .all(|r| r.key.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::make_batch;

    #[test]
    fn walk_and_rebuild_keep_records_valid() {
        let b = make_batch(4, 3, 10);
        let h = batch::validate(&b).unwrap();
        let section = records_section(&b, &h).unwrap();
        let recs = walk(&section, h.records_count).unwrap();
        assert_eq!(recs.len(), 4);
        assert!(recs.iter().all(|r| r.key.is_none() && !r.value_is_null));
        let kept = [recs[1], recs[3]];
        let nb = rebuild(&b, &kept).unwrap();
        let nh = batch::validate(&nb).unwrap();
        assert_eq!(nh.records_count, 2);
        assert_eq!(nh.last_offset_delta, h.last_offset_delta);
        let s2 = records_section(&nb, &nh).unwrap();
        let r2 = walk(&s2, 2).unwrap();
        assert_eq!(r2[0].offset_delta, 1);
        assert_eq!(r2[1].offset_delta, 3);
    }

    #[test]
    fn truncated_records_are_errors_not_panics() {
        let b = make_batch(2, 3, 10);
        let h = batch::validate(&b).unwrap();
        let section = records_section(&b, &h).unwrap();
        for cut in 0..section.len() {
            let _ = walk(&section[..cut], 2);
        }
        assert!(walk(&section[..section.len() - 1], 2).is_err());
    }
}
