//! org.apache.kafka.connect.transforms.Filter: drops every record it is applied to. Used with a
//! predicate (`transforms.<a>.predicate`, optionally `negate`) to drop only some records.

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.Filter";

#[derive(Debug, Default)]
pub struct Filter;

impl Filter {
    pub fn new() -> Filter {
        Filter
    }
}

impl Transformation for Filter {
    fn configure(&mut self, _props: &HashMap<String, String>) -> Result<(), TransformError> {
        Ok(())
    }

    fn apply(&self, _record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    #[test]
    fn drops_everything() {
        let mut f = Filter::new();
        f.configure(&HashMap::from([("ignored".to_string(), "x".to_string())]))
            .unwrap();
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Int32(1));
        assert_eq!(f.apply(rec), Ok(None));
    }
}
