//! Sluice's durable state. Partition logs are append-only segment files of record batches stored
//! as received; sled holds the small metadata and transactional state (see DEVELOPERS.md).

pub mod batch;
pub mod compaction;
pub mod config;
pub mod error;
pub mod log;
pub mod metadata;
pub mod page_cache;
pub mod producer_state;
pub mod records;
pub mod segment;
pub mod verify;

pub use config::{LogConfig, TimestampType};
pub use error::{Result, StorageError};
pub use log::{AppendError, AppendOutcome, PartitionLog};
pub use metadata::{CommittedOffset, MetaStore, TopicRecord};
pub use producer_state::{ProducerStates, SequenceError};
pub use segment::FileSlice;
