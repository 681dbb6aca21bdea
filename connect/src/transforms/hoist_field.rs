//! org.apache.kafka.connect.transforms.HoistField$Key / $Value: wraps the key or value in a
//! single-field Map (schemaless) or Struct `{field: <original schema>}`; nulls are wrapped too.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, Value};
use crate::transforms::support::config::Props;
use crate::transforms::support::record::{
    build_struct, not_configured, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.HoistField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.HoistField$Value";

pub struct HoistField {
    side: Side,
    field: Option<String>,
    cache: SchemaCache<SchemaKey>,
}

impl HoistField {
    pub fn new(side: Side) -> HoistField {
        HoistField {
            side,
            field: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> HoistField {
        HoistField::new(Side::Key)
    }
    pub fn value() -> HoistField {
        HoistField::new(Side::Value)
    }
}

impl Transformation for HoistField {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        self.field = Some(Props::new(props).required_string("field")?);
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let field = self
            .field
            .as_ref()
            .ok_or_else(|| not_configured("HoistField"))?;
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let wrapped = Value::Map(vec![(Value::String(field.clone()), value)]);
                Ok(Some(self.side.put(record, None, wrapped)))
            }
            Some(schema) => {
                let updated = self
                    .cache
                    .get_or_try_insert(&SchemaKey(schema.clone()), || {
                        Ok::<_, TransformError>(
                            Schema::struct_().field(field, schema.clone()).build(),
                        )
                    })?;
                let s = build_struct(updated.clone(), vec![value])?;
                Ok(Some(self.side.put(record, Some(updated), Value::Struct(s))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Type};

    fn xform(side: Side) -> HoistField {
        let mut t = HoistField::new(side);
        t.configure(&HashMap::from([("field".to_string(), "magic".to_string())]))
            .unwrap();
        t
    }

    #[test]
    fn schemaless() {
        let t = xform(Side::Key);
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Int32(42),
                None,
                Value::Null,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key,
            Value::Map(vec![(Value::String("magic".into()), Value::Int32(42))])
        );
    }

    #[test]
    fn with_schema() {
        let t = xform(Side::Value);
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schemas::int32()),
                Value::Int32(42),
            ))
            .unwrap()
            .unwrap();
        let s = out.value_schema.unwrap();
        assert_eq!(s.kind, Type::Struct);
        assert_eq!(s.fields[0].name, "magic");
        assert_eq!(s.fields[0].schema, schemas::int32());
        assert_eq!(
            out.value.as_struct().unwrap().get("magic"),
            Some(&Value::Int32(42))
        );
    }

    #[test]
    fn null_with_required_schema_fails_like_struct_put() {
        let t = xform(Side::Value);
        let e = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schemas::int32()),
                Value::Null,
            ))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value: null used for required field: \"magic\", schema type: INT32"
        );
        let opt = Schema::new(Type::Int32).optional().build();
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(opt),
                Value::Null,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.as_struct().unwrap().values, vec![Value::Null]);
    }
}
