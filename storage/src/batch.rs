//! Record batch (magic v2) headers: parsing, validation and the few in-place edits the broker
//! makes (base offset, LogAppendTime). Batches are otherwise stored exactly as received.

use crate::error::{Result, StorageError};

pub const HEADER_LEN: usize = 61;
/// Bytes before the length field's payload: baseOffset (8) + batchLength (4).
pub const LOG_OVERHEAD: usize = 12;
const CRC_START: usize = 21;
const ATTR_TIMESTAMP_TYPE: i16 = 0x08;
const ATTR_TRANSACTIONAL: i16 = 0x10;
const ATTR_CONTROL: i16 = 0x20;

/// The parsed fixed-size header of one record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    /// Total bytes of the batch including the 12-byte log overhead.
    pub size: usize,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_be_bytes(a)
}
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

impl BatchHeader {
    /// Parses a header from at least [`HEADER_LEN`] bytes. Does not check the CRC.
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() < LOG_OVERHEAD + 5 {
            return Err(StorageError::CorruptBatch(format!(
                "{} bytes is too short for a record batch header",
                b.len()
            )));
        }
        let length = be_i32(b, 8);
        let magic = b[16] as i8;
        if magic != 2 {
            return Err(StorageError::UnsupportedMagic(magic));
        }
        if b.len() < HEADER_LEN {
            return Err(StorageError::CorruptBatch(format!(
                "{} bytes is too short for a v2 record batch header",
                b.len()
            )));
        }
        if length < (HEADER_LEN - LOG_OVERHEAD) as i32 {
            return Err(StorageError::CorruptBatch(format!(
                "batch length {length} is smaller than the header"
            )));
        }
        Ok(BatchHeader {
            base_offset: be_i64(b, 0),
            size: length as usize + LOG_OVERHEAD,
            partition_leader_epoch: be_i32(b, 12),
            magic,
            crc: u32::from_be_bytes([b[17], b[18], b[19], b[20]]),
            attributes: be_i16(b, 21),
            last_offset_delta: be_i32(b, 23),
            base_timestamp: be_i64(b, 27),
            max_timestamp: be_i64(b, 35),
            producer_id: be_i64(b, 43),
            producer_epoch: be_i16(b, 51),
            base_sequence: be_i32(b, 53),
            records_count: be_i32(b, 57),
        })
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset + self.last_offset_delta as i64
    }
    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence < 0 {
            return -1;
        }
        // Sequences wrap at i32::MAX as in Kafka.
        let last = self.base_sequence as i64 + self.last_offset_delta as i64;
        (last % (i32::MAX as i64 + 1)) as i32
    }
    pub fn compression(&self) -> i16 {
        self.attributes & 0x07
    }
    pub fn is_log_append_time(&self) -> bool {
        self.attributes & ATTR_TIMESTAMP_TYPE != 0
    }
    pub fn is_transactional(&self) -> bool {
        self.attributes & ATTR_TRANSACTIONAL != 0
    }
    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
}

/// CRC-32C over attributes..end, as stored in the header.
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(&batch[CRC_START..])
}

/// Checks one complete batch: header sanity and CRC.
pub fn validate(batch: &[u8]) -> Result<BatchHeader> {
    let h = BatchHeader::parse(batch)?;
    if h.size != batch.len() {
        return Err(StorageError::CorruptBatch(format!(
            "batch length field says {} bytes but {} were given",
            h.size,
            batch.len()
        )));
    }
    let crc = compute_crc(batch);
    if crc != h.crc {
        return Err(StorageError::CorruptBatch(format!(
            "CRC mismatch: header {:#010x}, computed {:#010x}",
            h.crc, crc
        )));
    }
    if h.records_count < 0 || h.last_offset_delta < 0 {
        return Err(StorageError::CorruptBatch(format!(
            "negative record count {} or last offset delta {}",
            h.records_count, h.last_offset_delta
        )));
    }
    // Stored batches may be empty: the cleaner keeps an emptied last batch of each producer.
    // Produce refuses empty batches separately (PartitionLog::append).
    Ok(h)
}

/// Splits a buffer of concatenated batches into (start, header) pairs, validating each one.
pub fn split_batches(buf: &[u8]) -> Result<Vec<(usize, BatchHeader)>> {
    // Producers' batches are mostly up to 16 KiB (batch.size): room for that many.
    let mut out = Vec::with_capacity(buf.len() / 16384 + 1);
    let mut pos = 0;
    while pos < buf.len() {
        let rest = &buf[pos..];
        if rest.len() < LOG_OVERHEAD {
            return Err(StorageError::CorruptBatch(format!(
                "{} trailing bytes do not form a record batch",
                rest.len()
            )));
        }
        let length = be_i32(rest, 8);
        if length < 0 || (length as usize) + LOG_OVERHEAD > rest.len() {
            return Err(StorageError::CorruptBatch(format!(
                "batch length {length} runs past the end of the request ({} bytes left)",
                rest.len()
            )));
        }
        let size = length as usize + LOG_OVERHEAD;
        let h = validate(&rest[..size])?;
        out.push((pos, h));
        pos += size;
    }
    Ok(out)
}

/// Sets the base offset (not covered by the CRC).
pub fn set_base_offset(batch: &mut [u8], offset: i64) {
    batch[0..8].copy_from_slice(&offset.to_be_bytes());
}

/// Sets partitionLeaderEpoch (not covered by the CRC).
pub fn set_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[12..16].copy_from_slice(&epoch.to_be_bytes());
}

/// Marks the batch LogAppendTime with the given time and recomputes the CRC.
pub fn set_log_append_time(batch: &mut [u8], now_ms: i64) {
    let attrs = be_i16(batch, 21) | ATTR_TIMESTAMP_TYPE;
    batch[21..23].copy_from_slice(&attrs.to_be_bytes());
    batch[35..43].copy_from_slice(&now_ms.to_be_bytes());
    let crc = compute_crc(batch);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a minimal valid uncompressed batch with `n` records of the given value size.
    pub fn make_batch(n: i32, value_len: usize, ts: i64) -> Vec<u8> {
        make_batch_pid(n, value_len, ts, -1, -1, -1)
    }

    fn zigzag(v: i64, out: &mut Vec<u8>) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let byte = (z & 0x7f) as u8;
            z >>= 7;
            if z == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }

    pub fn make_batch_pid(
        n: i32,
        value_len: usize,
        ts: i64,
        pid: i64,
        epoch: i16,
        seq: i32,
    ) -> Vec<u8> {
        let mut records = Vec::new();
        for i in 0..n {
            let mut body = Vec::new();
            body.push(0u8); // attributes
            zigzag(0, &mut body); // timestamp delta
            zigzag(i as i64, &mut body); // offset delta
            zigzag(-1, &mut body); // null key
            zigzag(value_len as i64, &mut body);
            body.extend(std::iter::repeat_n(b'x', value_len));
            zigzag(0, &mut body); // headers
            zigzag(body.len() as i64, &mut records);
            records.extend(body);
        }
        let mut b = Vec::new();
        b.extend(0i64.to_be_bytes());
        b.extend(((HEADER_LEN - LOG_OVERHEAD + records.len()) as i32).to_be_bytes());
        b.extend(0i32.to_be_bytes());
        b.push(2);
        b.extend(0u32.to_be_bytes());
        b.extend(0i16.to_be_bytes());
        b.extend((n - 1).to_be_bytes());
        b.extend(ts.to_be_bytes());
        b.extend(ts.to_be_bytes());
        b.extend(pid.to_be_bytes());
        b.extend(epoch.to_be_bytes());
        b.extend(seq.to_be_bytes());
        b.extend(n.to_be_bytes());
        b.extend(records);
        let crc = compute_crc(&b);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn parses_and_validates() {
        let b = make_batch(3, 10, 1000);
        let h = validate(&b).unwrap();
        assert_eq!(h.records_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        assert_eq!(h.size, b.len());
    }

    #[test]
    fn bad_crc_is_rejected() {
        let mut b = make_batch(1, 10, 1000);
        let last = b.len() - 2;
        b[last] ^= 0xff;
        assert!(matches!(validate(&b), Err(StorageError::CorruptBatch(_))));
    }

    #[test]
    fn truncated_and_garbage_buffers_are_errors() {
        let b = make_batch(2, 10, 1000);
        assert!(split_batches(&b[..b.len() - 1]).is_err());
        assert!(split_batches(&[0u8; 5]).is_err());
        let mut g = b.clone();
        g[8..12].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(split_batches(&g).is_err());
    }

    #[test]
    fn log_append_time_keeps_crc_valid() {
        let mut b = make_batch(2, 4, 5);
        set_log_append_time(&mut b, 99);
        let h = validate(&b).unwrap();
        assert!(h.is_log_append_time());
        assert_eq!(h.max_timestamp, 99);
    }
}
