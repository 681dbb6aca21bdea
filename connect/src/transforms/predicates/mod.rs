//! Predicates (org.apache.kafka.connect.transforms.predicates): conditions a transform's
//! `predicate` setting refers to, tested per record; `negate` is applied by the chain.

pub mod has_header_key;
pub mod record_is_tombstone;
pub mod topic_name_matches;

pub use has_header_key::HasHeaderKey;
pub use record_is_tombstone::RecordIsTombstone;
pub use topic_name_matches::TopicNameMatches;
