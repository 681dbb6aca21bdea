//! org.apache.kafka.connect.transforms.predicates.RecordIsTombstone: true when the value is null
//! (whatever the value schema says).

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::{Predicate, TransformError};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";

#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl RecordIsTombstone {
    pub fn new() -> RecordIsTombstone {
        RecordIsTombstone
    }
}

impl Predicate for RecordIsTombstone {
    fn configure(&mut self, _props: &HashMap<String, String>) -> Result<(), TransformError> {
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        record.value.is_null()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Value};

    #[test]
    fn null_value_is_a_tombstone() {
        let p = RecordIsTombstone::new();
        assert!(p.test(&ConnectRecord::new(
            "t",
            None,
            Value::Null,
            None,
            Value::Null
        )));
        assert!(p.test(&ConnectRecord::new(
            "t",
            None,
            Value::Null,
            Some(schemas::string()),
            Value::Null
        )));
        assert!(!p.test(&ConnectRecord::new(
            "t",
            None,
            Value::Null,
            None,
            Value::Int32(0)
        )));
    }
}
