//! org.apache.kafka.connect.transforms.ValueToKey: the new key is a Struct (or Map) of the listed
//! value fields, schemas copied from the value schema. The value is untouched; a tombstone is
//! an error, as in Kafka.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Value};
use crate::transforms::support::config::Props;
use crate::transforms::support::record::{
    field_value, map_get, not_configured, require_map, require_struct, SchemaCache, SchemaKey,
};
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.ValueToKey";
const PURPOSE: &str = "copying fields from value to key";

#[derive(Default)]
pub struct ValueToKey {
    fields: Option<Vec<String>>,
    replace_null_with_default: bool,
    cache: SchemaCache<SchemaKey>,
}

impl ValueToKey {
    pub fn new() -> ValueToKey {
        ValueToKey::default()
    }
}

impl Transformation for ValueToKey {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        self.fields = Some(p.non_empty_list("fields")?);
        self.replace_null_with_default = p.boolean("replace.null.with.default", true)?;
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let fields = self
            .fields
            .as_ref()
            .ok_or_else(|| not_configured("ValueToKey"))?;
        if record.value_schema.is_none() {
            let entries = require_map(&record.value, PURPOSE)?;
            let key = fields
                .iter()
                .map(|f| (Value::String(f.clone()), map_get(entries, f)))
                .collect();
            record.key_schema = None;
            record.key = Value::Map(key);
            return Ok(Some(record));
        }
        let value = require_struct(&record.value, PURPOSE)?;
        let key_schema = self
            .cache
            .get_or_try_insert(&SchemaKey(value.schema.clone()), || {
                key_schema(fields, &value.schema)
            })?;
        let values = fields
            .iter()
            .map(|f| {
                value
                    .schema
                    .field_named(f)
                    .map(|vf| field_value(value, vf, self.replace_null_with_default))
                    .unwrap_or(Value::Null)
            })
            .collect();
        record.key = Value::Struct(Struct {
            schema: key_schema.clone(),
            values,
        });
        record.key_schema = Some(key_schema);
        Ok(Some(record))
    }
}

fn key_schema(fields: &[String], value_schema: &Schema) -> Result<SchemaRef, TransformError> {
    let mut builder = Schema::struct_();
    for f in fields {
        let Some(vf) = value_schema.field_named(f) else {
            return Err(TransformError::Data(format!("Field does not exist: {f}")));
        };
        builder = builder.field(f, vf.schema.clone());
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schemas;

    fn xform(fields: &str) -> ValueToKey {
        let mut t = ValueToKey::new();
        t.configure(&HashMap::from([("fields".to_string(), fields.to_string())]))
            .unwrap();
        t
    }

    #[test]
    fn schemaless() {
        let t = xform("a,b,missing");
        let value = Value::Map(vec![
            (Value::String("a".into()), Value::Int32(1)),
            (Value::String("b".into()), Value::Int32(2)),
            (Value::String("c".into()), Value::Int32(3)),
        ]);
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                value.clone(),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key,
            Value::Map(vec![
                (Value::String("a".into()), Value::Int32(1)),
                (Value::String("b".into()), Value::Int32(2)),
                (Value::String("missing".into()), Value::Null),
            ])
        );
        assert_eq!(out.key_schema, None);
        assert_eq!(out.value, value);
    }

    #[test]
    fn with_schema() {
        let t = xform("b,a");
        let schema = Schema::struct_()
            .field("a", schemas::int32())
            .field("b", schemas::int64())
            .field("c", schemas::string())
            .build();
        let v = Struct::new(schema.clone())
            .with("a", Value::Int32(1))
            .with("b", Value::Int64(2))
            .with("c", Value::String("x".into()));
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Struct(v),
            ))
            .unwrap()
            .unwrap();
        let ks = out.key_schema.unwrap();
        let names: Vec<_> = ks.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(ks.fields[0].schema, schemas::int64());
        assert_eq!(
            out.key.as_struct().unwrap().values,
            vec![Value::Int64(2), Value::Int32(1)]
        );
    }

    #[test]
    fn errors() {
        let t = xform("nope");
        let schema = Schema::struct_().field("a", schemas::int32()).build();
        let v = Struct::new(schema.clone()).with("a", Value::Int32(1));
        let e = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Struct(v),
            ))
            .unwrap_err();
        assert_eq!(e.to_string(), "Field does not exist: nope");
        let e = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                Value::Null,
            ))
            .unwrap_err();
        assert!(e
            .to_string()
            .contains("[copying fields from value to key], found: null"));
    }
}
