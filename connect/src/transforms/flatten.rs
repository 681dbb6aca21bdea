//! org.apache.kafka.connect.transforms.Flatten$Key / $Value: nested Maps (schemaless) or
//! Structs become one level with `parent<delimiter>child` names. Arrays are kept as they are;
//! MAP fields in schema-ful records are rejected; optionality and parent defaults push down.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, Struct, Type, Value};
use crate::transforms::support::config::Props;
use crate::transforms::support::record::{
    add_field, copy_schema_basics, copy_schema_basics_same_type, field_value, java_class_display,
    map_put, not_configured, require_map, require_struct_or_null, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Value";
const PURPOSE: &str = "flattening";

pub struct Flatten {
    side: Side,
    delimiter: Option<String>,
    cache: SchemaCache<SchemaKey>,
}

impl Flatten {
    pub fn new(side: Side) -> Flatten {
        Flatten {
            side,
            delimiter: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> Flatten {
        Flatten::new(Side::Key)
    }
    pub fn value() -> Flatten {
        Flatten::new(Side::Value)
    }
}

impl Transformation for Flatten {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        self.delimiter = Some(Props::new(props).string_or("delimiter", "."));
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let delimiter = self
            .delimiter
            .as_deref()
            .ok_or_else(|| not_configured("Flatten"))?;
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let entries = require_map(&value, PURPOSE)?;
            let mut out = Vec::new();
            flatten_map(entries, "", delimiter, &mut out)?;
            return Ok(Some(self.side.put(record, None, Value::Map(out))));
        };
        let s = require_struct_or_null(&value, PURPOSE)?;
        let updated = self
            .cache
            .get_or_try_insert(&SchemaKey(schema.clone()), || {
                let mut builder = copy_schema_basics(&schema, Schema::struct_());
                let default = schema.default.as_ref().and_then(Value::as_struct);
                flatten_schema(
                    &schema,
                    "",
                    delimiter,
                    schema.optional,
                    default,
                    &mut builder,
                )?;
                Ok::<_, TransformError>(builder.build())
            })?;
        let Some(s) = s else {
            return Ok(Some(self.side.put(record, Some(updated), Value::Null)));
        };
        let mut values = Vec::with_capacity(updated.fields.len());
        flatten_struct(Some(s), "", delimiter, &mut values)?;
        let mut out = Struct::new(updated.clone());
        for (name, v) in values {
            out.put(&name, v)
                .map_err(|e| TransformError::Data(e.to_string()))?;
        }
        Ok(Some(self.side.put(
            record,
            Some(updated),
            Value::Struct(out),
        )))
    }
}

fn joined(prefix: &str, delimiter: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}{delimiter}{name}")
    }
}

fn flatten_map(
    entries: &[(Value, Value)],
    prefix: &str,
    delimiter: &str,
    out: &mut Vec<(Value, Value)>,
) -> Result<(), TransformError> {
    for (k, v) in entries {
        let key = match k {
            Value::String(s) => s.clone(),
            other => format!("{other:?}"),
        };
        let name = joined(prefix, delimiter, &key);
        match v {
            Value::Map(nested) => flatten_map(nested, &name, delimiter, out)?,
            Value::Struct(_) => {
                return Err(TransformError::Data(format!(
                    "Flatten transformation does not support {} for record without schemas (for field {name}).",
                    java_class_display(v)
                )))
            }
            Value::Decimal(_) => {
                return Err(TransformError::Data(format!(
                    "Flatten transformation was passed a value of type {} which is not supported by Connect's data API",
                    java_class_display(v)
                )))
            }
            other => map_put(out, &name, other.clone()),
        }
    }
    Ok(())
}

fn flatten_schema(
    schema: &Schema,
    prefix: &str,
    delimiter: &str,
    optional: bool,
    parent_default: Option<&Struct>,
    builder: &mut Schema,
) -> Result<(), TransformError> {
    for f in &schema.fields {
        let name = joined(prefix, delimiter, &f.name);
        let field_optional = optional || f.schema.optional;
        let default = match (&f.schema.default, parent_default) {
            (Some(d), _) => Some(d.clone()),
            (None, Some(p)) => Some(field_value(p, f, true)).filter(|v| !v.is_null()),
            (None, None) => None,
        };
        match f.schema.kind {
            Type::Struct => flatten_schema(
                &f.schema,
                &name,
                delimiter,
                field_optional,
                default.as_ref().and_then(Value::as_struct),
                builder,
            )?,
            Type::Map => {
                return Err(TransformError::Data(format!(
                    "Flatten transformation does not support MAP for record with schemas (for field {name})."
                )))
            }
            _ => {
                let mut fs = copy_schema_basics_same_type(&f.schema);
                fs.fields.clear();
                if field_optional {
                    fs.optional = true;
                }
                if default.is_some() {
                    fs.default = default;
                }
                let taken = std::mem::replace(builder, Schema::struct_());
                *builder = add_field(taken, &name, fs.build())?;
            }
        }
    }
    Ok(())
}

fn flatten_struct(
    s: Option<&Struct>,
    prefix: &str,
    delimiter: &str,
    out: &mut Vec<(String, Value)>,
) -> Result<(), TransformError> {
    let Some(s) = s else {
        return Ok(());
    };
    for f in &s.schema.fields {
        let name = joined(prefix, delimiter, &f.name);
        match f.schema.kind {
            Type::Struct => {
                let nested = field_value(s, f, true);
                flatten_struct(nested.as_struct(), &name, delimiter, out)?;
            }
            Type::Map => {
                return Err(TransformError::Data(format!(
                    "Flatten transformation does not support MAP for record with schemas (for field {name})."
                )))
            }
            _ => out.push((name, field_value(s, f, true))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schemas;

    fn xform(side: Side, delimiter: Option<&str>) -> Flatten {
        let mut t = Flatten::new(side);
        let mut props = HashMap::new();
        if let Some(d) = delimiter {
            props.insert("delimiter".to_string(), d.to_string());
        }
        t.configure(&props).unwrap();
        t
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn nested_structs_with_delimiter() {
        let leaf = Schema::struct_()
            .field("int8", schemas::of(Type::Int8, false))
            .field("string", schemas::string())
            .field("array", Schema::array(schemas::int32()).build())
            .build();
        let mid = Schema::struct_()
            .optional()
            .field("B", leaf.clone())
            .build();
        let top = Schema::struct_()
            .named("top")
            .field("A", mid.clone())
            .field("x", schemas::int64())
            .build();
        let leaf_v = Struct::new(leaf)
            .with("int8", Value::Int8(8))
            .with("string", s("str"))
            .with("array", Value::Array(vec![Value::Int32(1)]));
        let mid_v = Struct::new(mid).with("B", Value::Struct(leaf_v));
        let top_v = Struct::new(top.clone())
            .with("A", Value::Struct(mid_v))
            .with("x", Value::Int64(1));
        let t = xform(Side::Value, Some("#"));
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(top),
                Value::Struct(top_v),
            ))
            .unwrap()
            .unwrap();
        let schema = out.value_schema.clone().unwrap();
        assert_eq!(schema.name.as_deref(), Some("top"));
        let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["A#B#int8", "A#B#string", "A#B#array", "x"]);
        // Optional parent makes every child optional.
        assert!(schema.fields[0].schema.optional);
        assert!(!schema.fields[3].schema.optional);
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("A#B#string"), Some(&s("str")));
        assert_eq!(
            v.get("A#B#array"),
            Some(&Value::Array(vec![Value::Int32(1)]))
        );
    }

    #[test]
    fn schemaless_nested_maps() {
        let t = xform(Side::Key, None);
        let key = Value::Map(vec![
            (
                s("a"),
                Value::Map(vec![
                    (s("b"), Value::Int32(1)),
                    (s("c"), Value::Map(vec![(s("d"), s("x"))])),
                ]),
            ),
            (s("n"), Value::Null),
            (s("arr"), Value::Array(vec![Value::Map(vec![])])),
        ]);
        let out = t
            .apply(ConnectRecord::new("t", None, key, None, Value::Null))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key,
            Value::Map(vec![
                (s("a.b"), Value::Int32(1)),
                (s("a.c.d"), s("x")),
                (s("n"), Value::Null),
                (s("arr"), Value::Array(vec![Value::Map(vec![])])),
            ])
        );
    }

    #[test]
    fn map_fields_with_schema_are_rejected() {
        let schema = Schema::struct_()
            .field(
                "m",
                Schema::map(schemas::string(), schemas::string()).build(),
            )
            .build();
        let v = Struct::new(schema.clone()).with("m", Value::Map(vec![]));
        let e = xform(Side::Value, None)
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Struct(v),
            ))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
    }

    #[test]
    fn null_values_and_null_nested_structs() {
        let inner = Schema::struct_()
            .optional()
            .field("a", schemas::of(Type::Int32, true))
            .build();
        let schema = Schema::struct_().optional().field("in", inner).build();
        let t = xform(Side::Value, None);
        let rec = ConnectRecord::new("t", None, Value::Null, Some(schema.clone()), Value::Null);
        assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
        let v = Struct::new(schema.clone());
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
        let st = out.value.as_struct().unwrap();
        assert_eq!(st.get("in.a"), Some(&Value::Null));
        // copySchemaBasics does not carry optionality to the flattened top-level schema.
        assert!(!out.value_schema.unwrap().optional);
    }

    #[test]
    fn optional_and_default_values_nested() {
        // Kafka's FlattenTest.testOptionalAndDefaultValuesNested.
        let shape = Schema::struct_()
            .optional()
            .field("req_field", schemas::string())
            .field(
                "opt_field",
                Schema::new(Type::String)
                    .optional()
                    .default_value(s("child_default"))
                    .build(),
            );
        let default = Struct::new(shape.clone().build()).with("req_field", s("req_default"));
        let schema = shape.default_value(Value::Struct(default)).build();
        let out = xform(Side::Value, None)
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema.clone()),
                Value::Struct(Struct::new(schema)),
            ))
            .unwrap()
            .unwrap();
        let flat = out.value_schema.unwrap();
        assert_eq!(flat.fields.len(), 2);
        assert_eq!(
            flat.fields[0].schema,
            Schema::new(Type::String)
                .optional()
                .default_value(s("req_default"))
                .build()
        );
        assert_eq!(
            flat.fields[1].schema,
            Schema::new(Type::String)
                .optional()
                .default_value(s("child_default"))
                .build()
        );
    }
}
