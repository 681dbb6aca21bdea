//! Debezium's single message transforms (io.debezium.transforms): unwrapping change-event
//! envelopes and routing several physical tables into one logical topic.

pub mod by_logical_table_router;
pub mod extract_new_record_state;

pub use by_logical_table_router::ByLogicalTableRouter;
pub use extract_new_record_state::ExtractNewRecordState;

/// Envelope.isEnvelopeSchema: a value schema named `*.Envelope`.
pub(crate) fn is_envelope(record: &crate::data::ConnectRecord) -> bool {
    record
        .value_schema
        .as_ref()
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(".Envelope"))
}
