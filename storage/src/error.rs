//! Storage errors. Callers map these to Kafka error codes at the protocol edge, so each variant
//! names a situation a client can be told about, kept apart from I/O failures.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("corrupt record batch: {0}")]
    CorruptBatch(String),
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    BatchTooLarge { size: usize, max: usize },
    #[error("unsupported record batch magic {0} (only magic 2 is accepted)")]
    UnsupportedMagic(i8),
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("offset {offset} is out of range [{start}, {end}]")]
    OffsetOutOfRange { offset: i64, start: i64, end: i64 },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metadata store error: {0}")]
    Meta(#[from] sled::Error),
    #[error("metadata record could not be decoded: {0}")]
    MetaDecode(String),
    #[error("damaged data in {path} at byte {position}: {reason}")]
    Damaged {
        path: PathBuf,
        position: u64,
        reason: String,
    },
}

pub type Result<T> = std::result::Result<T, StorageError>;

pub(crate) trait IoContext<T> {
    fn ctx(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| StorageError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
