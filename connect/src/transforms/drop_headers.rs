//! org.apache.kafka.connect.transforms.DropHeaders: removes every header whose key is listed in
//! `headers` (non-empty list); other headers keep their order.

use std::collections::{HashMap, HashSet};

use crate::data::ConnectRecord;
use crate::transforms::support::config::Props;
use crate::transforms::support::record::not_configured;
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.DropHeaders";

#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: Option<HashSet<String>>,
}

impl DropHeaders {
    pub fn new() -> DropHeaders {
        DropHeaders::default()
    }
}

impl Transformation for DropHeaders {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let list = Props::new(props).non_empty_list("headers")?;
        self.headers = Some(list.into_iter().collect());
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let drop = self
            .headers
            .as_ref()
            .ok_or_else(|| not_configured("DropHeaders"))?;
        record.headers.retain(|h| !drop.contains(&h.key));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Header, Value};

    fn header(k: &str, v: i32) -> Header {
        Header {
            key: k.to_string(),
            schema: None,
            value: Value::Int32(v),
        }
    }

    #[test]
    fn drops_all_with_listed_names() {
        let mut t = DropHeaders::new();
        t.configure(&HashMap::from([(
            "headers".to_string(),
            "a, c".to_string(),
        )]))
        .unwrap();
        let mut rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        rec.headers = vec![
            header("a", 1),
            header("b", 2),
            header("a", 3),
            header("c", 4),
        ];
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(out.headers, vec![header("b", 2)]);
    }

    #[test]
    fn needs_a_non_empty_list() {
        let mut t = DropHeaders::new();
        assert_eq!(
            t.configure(&HashMap::new()).unwrap_err(),
            TransformError::Missing("headers".into())
        );
        let e = t
            .configure(&HashMap::from([("headers".to_string(), "".to_string())]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value [] for configuration headers: Empty list"
        );
    }
}
