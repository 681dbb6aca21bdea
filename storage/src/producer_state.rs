//! Idempotent-producer state for one partition: the epoch and the last five batches' sequence
//! ranges of every producer id, checked before append as Kafka's ProducerStateManager does.
//! The state is rebuilt from batch headers on recovery and snapshotted at segment rolls.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::batch::BatchHeader;

const CACHED_BATCHES: usize = 5;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct BatchMeta {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    pub timestamp: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMeta>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProducerStates {
    pub producers: HashMap<i64, ProducerEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceError {
    /// The batch's epoch is older than the producer's current one.
    InvalidProducerEpoch { current: i16, got: i16 },
    /// The batch's first sequence does not follow the last one written.
    OutOfOrder { expected: i32, got: i32 },
}

impl std::fmt::Display for SequenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SequenceError::InvalidProducerEpoch { current, got } => {
                write!(
                    f,
                    "producer epoch {got} is older than the current epoch {current}"
                )
            }
            SequenceError::OutOfOrder { expected, got } => {
                write!(
                    f,
                    "out of order sequence number: expected {expected}, got {got}"
                )
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Append,
    /// Already written: answer with the original offsets and write nothing.
    Duplicate(BatchMeta),
}

fn in_sequence(last: i32, next: i32) -> bool {
    next as i64 == last as i64 + 1 || (next == 0 && last == i32::MAX)
}

impl ProducerStates {
    pub fn check(&self, h: &BatchHeader) -> Result<SequenceCheck, SequenceError> {
        if !h.has_producer_id() || h.base_sequence < 0 {
            return Ok(SequenceCheck::Append);
        }
        let Some(entry) = self.producers.get(&h.producer_id) else {
            // Unknown producer (new, or its state was removed by retention): accept any sequence.
            return Ok(SequenceCheck::Append);
        };
        if h.producer_epoch < entry.epoch {
            return Err(SequenceError::InvalidProducerEpoch {
                current: entry.epoch,
                got: h.producer_epoch,
            });
        }
        if h.producer_epoch > entry.epoch {
            if h.base_sequence != 0 {
                return Err(SequenceError::OutOfOrder {
                    expected: 0,
                    got: h.base_sequence,
                });
            }
            return Ok(SequenceCheck::Append);
        }
        if let Some(dup) = entry
            .batches
            .iter()
            .find(|b| b.first_seq == h.base_sequence && b.last_seq == h.last_sequence())
        {
            return Ok(SequenceCheck::Duplicate(*dup));
        }
        let last = entry.batches.back().map(|b| b.last_seq).unwrap_or(-1);
        if entry.batches.is_empty() || in_sequence(last, h.base_sequence) {
            Ok(SequenceCheck::Append)
        } else {
            Err(SequenceError::OutOfOrder {
                expected: last.wrapping_add(1),
                got: h.base_sequence,
            })
        }
    }

    /// Records a batch that was appended (offsets assigned).
    pub fn update(&mut self, h: &BatchHeader) {
        if !h.has_producer_id() {
            return;
        }
        let entry = self.producers.entry(h.producer_id).or_default();
        if h.producer_epoch != entry.epoch {
            entry.epoch = h.producer_epoch;
            entry.batches.clear();
        }
        if h.base_sequence < 0 {
            return;
        }
        entry.batches.push_back(BatchMeta {
            first_seq: h.base_sequence,
            last_seq: h.last_sequence(),
            first_offset: h.base_offset,
            last_offset: h.last_offset(),
            timestamp: h.max_timestamp,
        });
        while entry.batches.len() > CACHED_BATCHES {
            entry.batches.pop_front();
        }
    }

    /// A copy holding only the given producer ids' entries.
    pub fn subset(&self, ids: impl Iterator<Item = i64>) -> ProducerStates {
        let mut out = ProducerStates::default();
        for id in ids {
            if let Some(e) = self.producers.get(&id) {
                out.producers.entry(id).or_insert_with(|| e.clone());
            }
        }
        out
    }

    /// The epoch a producer id last wrote with, if any.
    pub fn epoch_of(&self, pid: i64) -> Option<i16> {
        self.producers.get(&pid).map(|e| e.epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::make_batch_pid;
    use crate::batch::validate;

    fn hdr(pid: i64, epoch: i16, seq: i32, n: i32, base: i64) -> BatchHeader {
        let mut h = validate(&make_batch_pid(n, 1, 0, pid, epoch, seq)).unwrap();
        h.base_offset = base;
        h
    }

    #[test]
    fn sequences_duplicates_and_epochs() {
        let mut s = ProducerStates::default();
        let a = hdr(7, 0, 0, 3, 0);
        assert_eq!(s.check(&a), Ok(SequenceCheck::Append));
        s.update(&a);
        // resend of the same batch is a duplicate with the original offsets
        match s.check(&hdr(7, 0, 0, 3, 99)) {
            Ok(SequenceCheck::Duplicate(m)) => assert_eq!((m.first_offset, m.last_offset), (0, 2)),
            other => panic!("{other:?}"),
        }
        // gap
        assert_eq!(
            s.check(&hdr(7, 0, 5, 1, 3)),
            Err(SequenceError::OutOfOrder {
                expected: 3,
                got: 5
            })
        );
        // next in order
        let b = hdr(7, 0, 3, 1, 3);
        assert_eq!(s.check(&b), Ok(SequenceCheck::Append));
        s.update(&b);
        // new epoch must start at 0
        assert!(s.check(&hdr(7, 1, 4, 1, 4)).is_err());
        let c = hdr(7, 1, 0, 1, 4);
        assert_eq!(s.check(&c), Ok(SequenceCheck::Append));
        s.update(&c);
        // older epoch is fenced
        assert_eq!(
            s.check(&hdr(7, 0, 4, 1, 5)),
            Err(SequenceError::InvalidProducerEpoch { current: 1, got: 0 })
        );
    }
}
