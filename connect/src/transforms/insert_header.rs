//! org.apache.kafka.connect.transforms.InsertHeader: adds header `header` with `value.literal`
//! parsed by `Values.parseString` (so `42` is an int8 header, `true` a boolean), duplicates allowed.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Header, SchemaRef, Value};
use crate::transforms::support::config::Props;
use crate::transforms::support::java_values::parse_string;
use crate::transforms::support::record::not_configured;
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.InsertHeader";

#[derive(Debug, Default)]
pub struct InsertHeader {
    header: Option<(String, Option<SchemaRef>, Value)>,
}

impl InsertHeader {
    pub fn new() -> InsertHeader {
        InsertHeader::default()
    }
}

impl Transformation for InsertHeader {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let name = p.required_string("header")?;
        let literal = p.required_string("value.literal")?;
        let (schema, value) = parse_string(&literal);
        self.header = Some((name, schema, value));
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let (key, schema, value) = self
            .header
            .as_ref()
            .ok_or_else(|| not_configured("InsertHeader"))?;
        record.headers.push(Header {
            key: key.clone(),
            schema: schema.clone(),
            value: value.clone(),
        });
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Type;

    fn xform(name: &str, literal: &str) -> InsertHeader {
        let mut t = InsertHeader::new();
        t.configure(&HashMap::from([
            ("header".to_string(), name.to_string()),
            ("value.literal".to_string(), literal.to_string()),
        ]))
        .unwrap();
        t
    }

    fn add(t: &InsertHeader) -> Vec<Header> {
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        t.apply(rec).unwrap().unwrap().headers
    }

    #[test]
    fn literal_is_parsed() {
        let h = add(&xform("k", "42"));
        assert_eq!(h[0].value, Value::Int8(42));
        assert_eq!(h[0].schema.as_ref().map(|s| s.kind), Some(Type::Int8));
        let h = add(&xform("k", "true"));
        assert_eq!(h[0].value, Value::Boolean(true));
        let h = add(&xform("k", "a value"));
        assert_eq!(h[0].value, Value::String("a value".into()));
        assert_eq!(h[0].schema.as_ref().map(|s| s.kind), Some(Type::String));
    }

    #[test]
    fn duplicates_are_kept_and_config_required() {
        let t = xform("k", "v");
        let mut rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        rec.headers = add(&t);
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(out.headers.len(), 2);
        let mut t = InsertHeader::new();
        let e = t
            .configure(&HashMap::from([("header".to_string(), "k".to_string())]))
            .unwrap_err();
        assert_eq!(e, TransformError::Missing("value.literal".into()));
    }
}
