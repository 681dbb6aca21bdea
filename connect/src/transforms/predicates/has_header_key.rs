//! org.apache.kafka.connect.transforms.predicates.HasHeaderKey: true when at least one header
//! has the key `name` (required, non-empty).

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::support::config::Props;
use crate::transforms::{Predicate, TransformError};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";

#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: Option<String>,
}

impl HasHeaderKey {
    pub fn new() -> HasHeaderKey {
        HasHeaderKey::default()
    }
}

impl Predicate for HasHeaderKey {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        self.name = Some(Props::new(props).required_non_empty_string("name")?);
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        self.name
            .as_ref()
            .is_some_and(|n| record.headers.iter().any(|h| &h.key == n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Header, Value};

    #[test]
    fn finds_any_header_with_the_key() {
        let mut p = HasHeaderKey::new();
        p.configure(&HashMap::from([("name".to_string(), "h".to_string())]))
            .unwrap();
        let mut rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        assert!(!p.test(&rec));
        rec.headers.push(Header {
            key: "h".into(),
            schema: None,
            value: Value::Null,
        });
        assert!(p.test(&rec));
        let e = p
            .configure(&HashMap::from([("name".to_string(), "".to_string())]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value  for configuration name: String must be non-empty"
        );
    }
}
