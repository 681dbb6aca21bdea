//! org.apache.kafka.connect.transforms.MaskField$Key / $Value: replaces the listed fields with the
//! type's "zero" (false, 0, "", empty list/map, epoch) or with `replacement` converted to the
//! field's type. Nulls stay null; a tombstone is an error, as in Kafka.

use std::collections::HashMap;

use bigdecimal::BigDecimal;

use crate::data::{ConnectRecord, Struct, Value};
use crate::transforms::support::config::{config_error, Props};
use crate::transforms::support::java_values::{
    big_decimal_to_f64, big_decimal_to_i64, parse_big_decimal,
};
use crate::transforms::support::record::{
    field_value, java_class_display, map_get, map_put, not_configured, require_map, require_struct,
    Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.MaskField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.MaskField$Value";
const PURPOSE: &str = "mask fields";

#[derive(Debug, Clone)]
struct Config {
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

pub struct MaskField {
    side: Side,
    config: Option<Config>,
}

impl MaskField {
    pub fn new(side: Side) -> MaskField {
        MaskField { side, config: None }
    }
    pub fn key() -> MaskField {
        MaskField::new(Side::Key)
    }
    pub fn value() -> MaskField {
        MaskField::new(Side::Value)
    }
}

impl Transformation for MaskField {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let mut fields = p.non_empty_list("fields")?;
        let mut seen = std::collections::HashSet::new();
        fields.retain(|f| seen.insert(f.clone()));
        let replacement = p.string("replacement");
        if replacement.as_deref() == Some("") {
            return Err(config_error("replacement", "", "String must be non-empty"));
        }
        self.config = Some(Config {
            fields,
            replacement,
            replace_null_with_default: p.boolean("replace.null.with.default", true)?,
        });
        Ok(())
    }

    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("MaskField"))?;
        let value = self.side.value(&record);
        let schema = self.side.schema(&record).cloned();
        let updated = if schema.is_none() {
            let entries = require_map(value, PURPOSE)?;
            let mut out = entries.clone();
            for f in &config.fields {
                let masked = masked(config, &map_get(entries, f))?;
                map_put(&mut out, f, masked);
            }
            Value::Map(out)
        } else {
            let s = require_struct(value, PURPOSE)?;
            let mut values = Vec::with_capacity(s.values.len());
            for f in &s.schema.fields {
                let v = field_value(s, f, config.replace_null_with_default);
                values.push(if config.fields.contains(&f.name) {
                    masked(config, &v)?
                } else {
                    v
                });
            }
            Value::Struct(Struct {
                schema: s.schema.clone(),
                values,
            })
        };
        Ok(Some(self.side.put(record, schema, updated)))
    }
}

fn masked(config: &Config, value: &Value) -> Result<Value, TransformError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match &config.replacement {
        None => mask_with_zero(value),
        Some(r) => mask_with_replacement(value, r),
    }
}

fn mask_with_zero(value: &Value) -> Result<Value, TransformError> {
    Ok(match value {
        Value::Boolean(_) => Value::Boolean(false),
        Value::Int8(_) => Value::Int8(0),
        Value::Int16(_) => Value::Int16(0),
        Value::Int32(_) => Value::Int32(0),
        Value::Int64(_) => Value::Int64(0),
        Value::Float32(_) => Value::Float32(0.0),
        Value::Float64(_) => Value::Float64(0.0),
        Value::Decimal(_) => Value::Decimal(BigDecimal::from(0)),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Map(_) => Value::Map(Vec::new()),
        other => {
            return Err(TransformError::Data(format!(
                "Cannot mask value of type: {}",
                java_class_display(other)
            )))
        }
    })
}

/// `Values.asLong(String)`: `new BigDecimal(s).longValue()`.
fn as_long(replacement: &str) -> Result<i64, TransformError> {
    parse_big_decimal(replacement)
        .map(|d| big_decimal_to_i64(&d))
        .ok_or_else(|| {
            TransformError::Data(format!(
                "Unable to convert {replacement} (class java.lang.String) to a number"
            ))
        })
}

fn as_double(replacement: &str) -> Result<f64, TransformError> {
    match parse_big_decimal(replacement) {
        Some(d) => Ok(big_decimal_to_f64(&d)),
        None => as_long(replacement).map(|l| l as f64),
    }
}

fn mask_with_replacement(value: &Value, replacement: &str) -> Result<Value, TransformError> {
    Ok(match value {
        Value::Int8(_) => Value::Int8(as_long(replacement)? as i8),
        Value::Int16(_) => Value::Int16(as_long(replacement)? as i16),
        Value::Int32(_) => Value::Int32(as_long(replacement)? as i32),
        Value::Int64(_) => Value::Int64(as_long(replacement)?),
        Value::Float32(_) => Value::Float32(as_double(replacement)? as f32),
        Value::Float64(_) => Value::Float64(as_double(replacement)?),
        Value::String(_) => Value::String(replacement.to_string()),
        Value::Decimal(_) => Value::Decimal(parse_big_decimal(replacement).ok_or_else(|| {
            TransformError::Data(format!(
                "Unable to convert {replacement} (class java.lang.String) to number"
            ))
        })?),
        other => {
            return Err(TransformError::Data(format!(
                "Cannot mask value of type {} with custom replacement.",
                java_class_display(other)
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, Type};
    use std::str::FromStr;

    fn xform(props: &[(&str, &str)]) -> MaskField {
        let mut t = MaskField::value();
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap();
        t
    }

    fn sample() -> Vec<(&'static str, Value)> {
        vec![
            ("magic", Value::Int32(42)),
            ("bool", Value::Boolean(true)),
            ("byte", Value::Int8(42)),
            ("short", Value::Int16(42)),
            ("long", Value::Int64(42)),
            ("float", Value::Float32(42.0)),
            ("double", Value::Float64(42.0)),
            ("string", Value::String("55.121.20.20".into())),
            (
                "decimal",
                Value::Decimal(BigDecimal::from_str("42.5").unwrap()),
            ),
            ("array", Value::Array(vec![Value::Int32(1)])),
            (
                "map",
                Value::Map(vec![(Value::String("k".into()), Value::Int32(1))]),
            ),
            ("withDefault", Value::Null),
        ]
    }

    fn schema() -> crate::data::SchemaRef {
        let mut b = Schema::struct_();
        for (name, kind) in [
            ("magic", Type::Int32),
            ("bool", Type::Boolean),
            ("byte", Type::Int8),
            ("short", Type::Int16),
            ("long", Type::Int64),
            ("float", Type::Float32),
            ("double", Type::Float64),
            ("string", Type::String),
        ] {
            b = b.field(name, Schema::new(kind).build());
        }
        b.field("decimal", Schema::decimal(1).build())
            .field(
                "array",
                Schema::array(Schema::new(Type::Int32).build()).build(),
            )
            .field(
                "map",
                Schema::map(
                    Schema::new(Type::String).build(),
                    Schema::new(Type::Int32).build(),
                )
                .build(),
            )
            .field(
                "withDefault",
                Schema::new(Type::String)
                    .optional()
                    .default_value(Value::String("default".into()))
                    .build(),
            )
            .build()
    }

    const ALL: &str =
        "bool,byte,short,magic,long,float,double,string,decimal,array,map,withDefault";

    #[test]
    fn schemaless_zero_masks() {
        let t = xform(&[("fields", ALL)]);
        let map = Value::Map(
            sample()
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v))
                .collect(),
        );
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, map))
            .unwrap()
            .unwrap();
        let v = &out.value;
        assert_eq!(v.map_get("magic"), Some(&Value::Int32(0)));
        assert_eq!(v.map_get("bool"), Some(&Value::Boolean(false)));
        assert_eq!(v.map_get("float"), Some(&Value::Float32(0.0)));
        assert_eq!(v.map_get("string"), Some(&Value::String(String::new())));
        assert_eq!(
            v.map_get("decimal"),
            Some(&Value::Decimal(BigDecimal::from(0)))
        );
        assert_eq!(v.map_get("array"), Some(&Value::Array(vec![])));
        assert_eq!(v.map_get("map"), Some(&Value::Map(vec![])));
        assert_eq!(v.map_get("withDefault"), Some(&Value::Null));
    }

    #[test]
    fn schemaful_masks_use_defaults_first() {
        let t = xform(&[("fields", ALL)]);
        let mut s = Struct::new(schema());
        for (k, v) in sample() {
            s.put(k, v).unwrap();
        }
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema()),
                Value::Struct(s),
            ))
            .unwrap()
            .unwrap();
        let st = out.value.as_struct().unwrap();
        assert_eq!(st.get("long"), Some(&Value::Int64(0)));
        assert_eq!(st.get("double"), Some(&Value::Float64(0.0)));
        // The default is read first, then masked.
        assert_eq!(st.get("withDefault"), Some(&Value::String(String::new())));
    }

    #[test]
    fn replacement_converted_per_type() {
        let t = xform(&[
            ("fields", "byte,long,double,string,decimal"),
            ("replacement", "123"),
        ]);
        let map = Value::Map(
            sample()
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v))
                .collect(),
        );
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, map))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.map_get("byte"), Some(&Value::Int8(123)));
        assert_eq!(out.value.map_get("long"), Some(&Value::Int64(123)));
        assert_eq!(out.value.map_get("double"), Some(&Value::Float64(123.0)));
        assert_eq!(
            out.value.map_get("string"),
            Some(&Value::String("123".into()))
        );
        assert_eq!(
            out.value.map_get("decimal"),
            Some(&Value::Decimal(BigDecimal::from(123)))
        );
    }

    #[test]
    fn replacement_errors() {
        let rec = |v: Value| {
            ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                Value::Map(vec![(Value::String("f".into()), v)]),
            )
        };
        let t = xform(&[("fields", "f"), ("replacement", "abc")]);
        assert_eq!(
            t.apply(rec(Value::Int32(1))).unwrap_err().to_string(),
            "Unable to convert abc (class java.lang.String) to a number"
        );
        assert_eq!(
            t.apply(rec(Value::Boolean(true))).unwrap_err().to_string(),
            "Cannot mask value of type class java.lang.Boolean with custom replacement."
        );
        let t = xform(&[("fields", "f")]);
        assert_eq!(
            t.apply(rec(Value::Bytes(vec![1]))).unwrap_err().to_string(),
            "Cannot mask value of type: class [B"
        );
        let mut m = MaskField::value();
        let props = HashMap::from([
            ("fields".to_string(), "a".to_string()),
            ("replacement".to_string(), "".to_string()),
        ]);
        assert!(m.configure(&props).is_err());
    }

    #[test]
    fn tombstones_are_rejected() {
        let t = xform(&[("fields", "a")]);
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        assert_eq!(
            t.apply(rec).unwrap_err().to_string(),
            "Only Map objects supported in absence of schema for [mask fields], found: null"
        );
    }
}
