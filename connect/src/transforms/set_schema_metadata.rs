//! org.apache.kafka.connect.transforms.SetSchemaMetadata$Key / $Value: overrides the schema's
//! name and/or version, everything else kept; a Struct value is rebuilt on the new schema.
//! As in Kafka 3.9, only struct schemas are accepted (`schema.fields()` throws otherwise).

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, Struct, Type, Value};
use crate::transforms::support::config::{invalid, Props};
use crate::transforms::support::record::{field_value, not_configured, require_schema, Side};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value";

#[derive(Debug, Clone)]
struct Config {
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
}

pub struct SetSchemaMetadata {
    side: Side,
    config: Option<Config>,
}

impl SetSchemaMetadata {
    pub fn new(side: Side) -> SetSchemaMetadata {
        SetSchemaMetadata { side, config: None }
    }
    pub fn key() -> SetSchemaMetadata {
        SetSchemaMetadata::new(Side::Key)
    }
    pub fn value() -> SetSchemaMetadata {
        SetSchemaMetadata::new(Side::Value)
    }
}

impl Transformation for SetSchemaMetadata {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let config = Config {
            name: p.string("schema.name"),
            version: p.int_opt("schema.version")?,
            replace_null_with_default: p.boolean("replace.null.with.default", true)?,
        };
        if config.name.is_none() && config.version.is_none() {
            return Err(invalid(
                "schema.name",
                "Neither schema name nor version configured",
            ));
        }
        self.config = Some(config);
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("SetSchemaMetadata"))?;
        if self.side.value(&record).is_null() && self.side.schema(&record).is_none() {
            return Ok(Some(record));
        }
        let schema = require_schema(self.side.schema(&record), "updating schema metadata")?;
        if schema.kind != Type::Struct {
            return Err(TransformError::Data(
                "Cannot list fields on non-struct type".to_string(),
            ));
        }
        let mut updated: Schema = (**schema).clone();
        if let Some(name) = &config.name {
            updated.name = Some(name.clone());
        }
        if let Some(version) = config.version {
            updated.version = Some(version);
        }
        let updated = updated.build();
        let (_, value) = self.side.take(&mut record);
        let value = match value {
            Value::Struct(s) => {
                // Both schemas have the same fields; read each through the old struct.
                let values = updated
                    .fields
                    .iter()
                    .map(|f| field_value(&s, f, config.replace_null_with_default))
                    .collect();
                Value::Struct(Struct {
                    schema: updated.clone(),
                    values,
                })
            }
            other => other,
        };
        Ok(Some(self.side.put(record, Some(updated), value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schemas;

    fn xform(side: Side, props: &[(&str, &str)]) -> SetSchemaMetadata {
        let mut t = SetSchemaMetadata::new(side);
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap();
        t
    }

    #[test]
    fn name_and_version_with_struct() {
        let schema = Schema::struct_()
            .named("old")
            .version(1)
            .doc("d")
            .field("f1", schemas::string())
            .field(
                "f2",
                Schema::new(Type::Int32)
                    .optional()
                    .default_value(Value::Int32(3))
                    .build(),
            )
            .build();
        let v = Struct::new(schema.clone()).with("f1", Value::String("x".into()));
        let t = xform(
            Side::Value,
            &[("schema.name", "foo"), ("schema.version", "42")],
        );
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema.clone()),
                Value::Struct(v.clone()),
            ))
            .unwrap()
            .unwrap();
        let s = out.value_schema.clone().unwrap();
        assert_eq!(s.name.as_deref(), Some("foo"));
        assert_eq!(s.version, Some(42));
        assert_eq!(s.doc.as_deref(), Some("d"));
        let st = out.value.as_struct().unwrap();
        assert!(std::sync::Arc::ptr_eq(&st.schema, &s));
        assert_eq!(st.get("f2"), Some(&Value::Int32(3)));

        let t = xform(
            Side::Key,
            &[
                ("schema.version", "7"),
                ("replace.null.with.default", "false"),
            ],
        );
        let out = t
            .apply(ConnectRecord::new(
                "t",
                Some(schema),
                Value::Struct(v),
                None,
                Value::Null,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.key_schema.unwrap().name.as_deref(), Some("old"));
        assert_eq!(out.key.as_struct().unwrap().get("f2"), Some(&Value::Null));
    }

    #[test]
    fn requirements() {
        let t = xform(Side::Value, &[("schema.name", "foo")]);
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Int32(42));
        assert_eq!(
            t.apply(rec).unwrap_err().to_string(),
            "Schema required for [updating schema metadata]"
        );
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
        let rec = ConnectRecord::new(
            "t",
            None,
            Value::Null,
            Some(schemas::int32()),
            Value::Int32(1),
        );
        assert_eq!(
            t.apply(rec).unwrap_err().to_string(),
            "Cannot list fields on non-struct type"
        );
        let mut t = SetSchemaMetadata::value();
        assert_eq!(
            t.configure(&HashMap::new()).unwrap_err().to_string(),
            "Neither schema name nor version configured"
        );
        let bad = HashMap::from([("schema.version".to_string(), "x".to_string())]);
        assert_eq!(
            t.configure(&bad).unwrap_err().to_string(),
            "Invalid value x for configuration schema.version: Not a number of type INT"
        );
    }
}
