//! org.apache.kafka.connect.transforms.ExtractField$Key / $Value: replaces the key or value with
//! one of its fields (schema too). `field.syntax.version=V2` (KIP-821) allows dotted paths with
//! backtick quoting; V1 takes the name literally. Nulls pass through.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Field, Schema, Struct, Value};
use crate::transforms::support::config::{config_error, invalid, Props};
use crate::transforms::support::record::{
    field_value, map_get, not_configured, require_map, require_struct_or_null, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.ExtractField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.ExtractField$Value";
const PURPOSE: &str = "field extraction";
const NESTED: &str = "nested field access";

/// A field path (`SingleFieldPath`): V1 is one step, V2 splits on unquoted dots.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    steps: Vec<String>,
}

impl FieldPath {
    pub fn v1(path: &str) -> FieldPath {
        FieldPath {
            steps: vec![path.to_string()],
        }
    }

    /// KIP-821 syntax; the error is Kafka's ConfigException message.
    pub fn v2(path: &str) -> Result<FieldPath, String> {
        let b = path.as_bytes();
        let len = b.len();
        let fail = |at: usize| {
            format!(
                "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} to escape it"
            )
        };
        let mut steps = Vec::new();
        let mut idx = 0usize;
        while idx < len {
            if b[idx] != b'`' {
                let start = idx;
                match path[idx..].find('.') {
                    Some(off) => {
                        steps.push(path[start..idx + off].to_string());
                        idx += off + 1;
                    }
                    None => {
                        steps.push(path[start..].to_string());
                        break;
                    }
                }
            } else {
                let backtick_at = idx;
                idx += 1;
                let mut start = idx;
                let mut field = String::new();
                loop {
                    let Some(off) = path[idx..].find('`') else {
                        return Err(fail(backtick_at));
                    };
                    idx += off;
                    let escaped = b[idx - 1] == b'\\';
                    if idx + 1 >= len {
                        if escaped {
                            return Err(fail(backtick_at));
                        }
                        field.push_str(&path[start..idx]);
                        steps.push(std::mem::take(&mut field));
                        idx += 1;
                        break;
                    }
                    if b[idx + 1] != b'.' {
                        idx += 1;
                        continue;
                    }
                    if escaped {
                        field.push_str(&path[start..idx - 1]);
                        field.push('`');
                        idx += 1;
                        start = idx;
                        continue;
                    }
                    field.push_str(&path[start..idx]);
                    steps.push(std::mem::take(&mut field));
                    idx += 2;
                    break;
                }
            }
        }
        if path.ends_with('.') {
            steps.push(String::new());
        }
        Ok(FieldPath { steps })
    }

    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    fn split(&self) -> Option<(&[String], &str)> {
        self.steps
            .split_last()
            .map(|(last, init)| (init, last.as_str()))
    }

    /// SingleFieldPath.fieldFrom.
    pub fn field_from<'s>(&self, schema: &'s Schema) -> Option<&'s Field> {
        let (init, last) = self.split()?;
        let mut current = schema;
        for step in init {
            current = &current.field_named(step)?.schema;
        }
        current.field_named(last)
    }

    /// SingleFieldPath.valueFrom(Struct, withDefault).
    pub fn value_from_struct(
        &self,
        s: &Struct,
        with_default: bool,
    ) -> Result<Value, TransformError> {
        let Some((init, last)) = self.split() else {
            return Ok(Value::Null);
        };
        let mut current = s.clone();
        for step in init {
            let Some(f) = current.schema.field_named(step) else {
                return Ok(Value::Null);
            };
            let sub = field_value(&current, f, true);
            match require_struct_or_null(&sub, NESTED)? {
                Some(next) => current = next.clone(),
                None => return Ok(Value::Null),
            }
        }
        Ok(current
            .schema
            .field_named(last)
            .map(|f| field_value(&current, f, with_default))
            .unwrap_or(Value::Null))
    }

    /// SingleFieldPath.valueFrom(Map).
    pub fn value_from_map(&self, entries: &[(Value, Value)]) -> Result<Value, TransformError> {
        let Some((init, last)) = self.split() else {
            return Ok(Value::Null);
        };
        let mut current = entries.to_vec();
        for step in init {
            match map_get(&current, step) {
                Value::Null => return Ok(Value::Null),
                other => current = require_map(&other, NESTED)?.clone(),
            }
        }
        Ok(map_get(&current, last))
    }
}

/// Reads `field.syntax.version` (case-insensitive V1/V2, default V1) and builds the path.
pub(crate) fn field_path_from(p: &Props<'_>, key: &str) -> Result<FieldPath, TransformError> {
    let path = p.required_string(key)?;
    let version = p.string_or("field.syntax.version", "V1");
    match version.to_ascii_uppercase().as_str() {
        "V1" => Ok(FieldPath::v1(&path)),
        "V2" => FieldPath::v2(&path).map_err(|e| invalid(key, e)),
        _ => Err(config_error(
            "field.syntax.version",
            &version,
            "String must be one of (case insensitive): V1, V2",
        )),
    }
}

pub struct ExtractField {
    side: Side,
    path: Option<(FieldPath, String)>,
    replace_null_with_default: bool,
}

impl ExtractField {
    pub fn new(side: Side) -> ExtractField {
        ExtractField {
            side,
            path: None,
            replace_null_with_default: true,
        }
    }
    pub fn key() -> ExtractField {
        ExtractField::new(Side::Key)
    }
    pub fn value() -> ExtractField {
        ExtractField::new(Side::Value)
    }
}

impl Transformation for ExtractField {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let path = field_path_from(&p, "field")?;
        self.replace_null_with_default = p.boolean("replace.null.with.default", true)?;
        self.path = Some((path, p.required_string("field")?));
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let (path, original) = self
            .path
            .as_ref()
            .ok_or_else(|| not_configured("ExtractField"))?;
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let extracted = match &value {
                    Value::Null => Value::Null,
                    v => path.value_from_map(require_map(v, PURPOSE)?)?,
                };
                Ok(Some(self.side.put(record, None, extracted)))
            }
            Some(schema) => {
                let s = require_struct_or_null(&value, PURPOSE)?;
                let Some(field) = path.field_from(&schema) else {
                    return Err(TransformError::Data(format!("Unknown field: {original}")));
                };
                let extracted = match s {
                    None => Value::Null,
                    Some(s) => path.value_from_struct(s, self.replace_null_with_default)?,
                };
                let field_schema = field.schema.clone();
                Ok(Some(self.side.put(record, Some(field_schema), extracted)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Type};

    fn xform(side: Side, props: &[(&str, &str)]) -> ExtractField {
        let mut t = ExtractField::new(side);
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap();
        t
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn schemaless_key() {
        let t = xform(Side::Key, &[("field", "magic")]);
        let key = Value::Map(vec![(s("magic"), Value::Int32(42))]);
        let out = t
            .apply(ConnectRecord::new("t", None, key, None, Value::Null))
            .unwrap()
            .unwrap();
        assert_eq!(out.key, Value::Int32(42));
        assert_eq!(out.key_schema, None);
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                Value::Null,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.key, Value::Null);
    }

    #[test]
    fn schemaful_value_and_null_with_schema() {
        let t = xform(Side::Value, &[("field", "magic")]);
        let schema = Schema::struct_().field("magic", schemas::int32()).build();
        let v = Struct::new(schema.clone()).with("magic", Value::Int32(42));
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema.clone()),
                Value::Struct(v),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.value, Value::Int32(42));
        assert_eq!(out.value_schema, Some(schemas::int32()));
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Null,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.value, Value::Null);
        assert_eq!(out.value_schema, Some(schemas::int32()));
    }

    #[test]
    fn unknown_field() {
        let t = xform(Side::Value, &[("field", "nope")]);
        let schema = Schema::struct_().field("magic", schemas::int32()).build();
        let v = Struct::new(schema.clone()).with("magic", Value::Int32(42));
        let e = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Struct(v),
            ))
            .unwrap_err();
        assert_eq!(e.to_string(), "Unknown field: nope");
    }

    #[test]
    fn v2_nested_paths() {
        let inner = Schema::struct_()
            .optional()
            .field("id", Schema::new(Type::Int64).build())
            .build();
        let schema = Schema::struct_()
            .field("after", inner.clone())
            .field("a.b", schemas::string())
            .build();
        let v = Struct::new(schema.clone())
            .with(
                "after",
                Value::Struct(Struct::new(inner).with("id", Value::Int64(7))),
            )
            .with("a.b", s("dotted"));
        let rec = ConnectRecord::new("t", None, Value::Null, Some(schema), Value::Struct(v));
        let t = xform(
            Side::Value,
            &[("field", "after.id"), ("field.syntax.version", "v2")],
        );
        let out = t.apply(rec.clone()).unwrap().unwrap();
        assert_eq!(out.value, Value::Int64(7));
        let t = xform(
            Side::Value,
            &[("field", "`a.b`"), ("field.syntax.version", "V2")],
        );
        assert_eq!(t.apply(rec.clone()).unwrap().unwrap().value, s("dotted"));
        // V1 takes dots literally.
        let t = xform(Side::Value, &[("field", "a.b")]);
        assert_eq!(t.apply(rec).unwrap().unwrap().value, s("dotted"));

        let t = xform(
            Side::Value,
            &[("field", "x.y"), ("field.syntax.version", "V2")],
        );
        let m = Value::Map(vec![(s("x"), Value::Map(vec![(s("y"), Value::Int8(1))]))]);
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, m))
            .unwrap()
            .unwrap();
        assert_eq!(out.value, Value::Int8(1));
    }

    #[test]
    fn v2_path_parsing() {
        let p = |s: &str| FieldPath::v2(s).map(|p| p.steps().to_vec());
        assert_eq!(p("foo.bar").unwrap(), ["foo", "bar"]);
        assert_eq!(p("`foo.bar`.baz").unwrap(), ["foo.bar", "baz"]);
        assert_eq!(p("foo.").unwrap(), ["foo", ""]);
        assert_eq!(p("`a\\`.b`.c").unwrap(), ["a`.b", "c"]);
        assert_eq!(p("`x`y`").unwrap(), ["x`y"]);
        assert_eq!(
            p("`foo.bar").unwrap_err(),
            "Incomplete backtick pair in path: [`foo.bar], consider adding a backslash before backtick at position 0 to escape it"
        );
        assert!(p("").unwrap().is_empty());
        let mut t = ExtractField::value();
        let props = HashMap::from([
            ("field".to_string(), "a".to_string()),
            ("field.syntax.version".to_string(), "V3".to_string()),
        ]);
        assert!(t.configure(&props).is_err());
    }
}
