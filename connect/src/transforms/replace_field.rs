//! org.apache.kafka.connect.transforms.ReplaceField$Key / $Value: drops (`exclude`, formerly
//! `blacklist`), keeps (`include`, formerly `whitelist`) and renames (`renames=old:new`) fields
//! of a Map or Struct. Exclusion wins; renames apply after filtering; struct order is kept.

use std::collections::{HashMap, HashSet};

use crate::data::{ConnectRecord, Schema, SchemaRef, Value};
use crate::transforms::support::config::{config_error, java_list, Props};
use crate::transforms::support::record::{
    build_struct, copy_schema_basics, field_value, not_configured, require_map, require_struct,
    SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.ReplaceField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";
const PURPOSE: &str = "field replacement";

#[derive(Debug, Clone, Default)]
struct Config {
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, String>,
    reverse: HashMap<String, String>,
    replace_null_with_default: bool,
}

impl Config {
    fn keep(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }
    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }
    fn original<'a>(&'a self, name: &'a str) -> &'a str {
        self.reverse.get(name).map_or(name, String::as_str)
    }
}

pub struct ReplaceField {
    side: Side,
    config: Option<Config>,
    cache: SchemaCache<SchemaKey>,
}

impl ReplaceField {
    pub fn new(side: Side) -> ReplaceField {
        ReplaceField {
            side,
            config: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> ReplaceField {
        ReplaceField::new(Side::Key)
    }
    pub fn value() -> ReplaceField {
        ReplaceField::new(Side::Value)
    }
}

/// ReplaceField.parseRenameMappings: each entry must split on `:` into exactly two parts
/// (Java's `split` drops trailing empty strings, so `a:` is one part).
pub(crate) fn parse_renames(
    key: &str,
    mappings: &[String],
) -> Result<HashMap<String, String>, TransformError> {
    let mut out = HashMap::new();
    for mapping in mappings {
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() != 2 {
            return Err(config_error(
                key,
                &java_list(mappings),
                &format!("Invalid rename mapping: {mapping}"),
            ));
        }
        out.insert(parts[0].to_string(), parts[1].to_string());
    }
    Ok(out)
}

impl Transformation for ReplaceField {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        // ConfigUtils.translateDeprecatedConfigs: the new name wins when both are given.
        let exclude = p
            .list("exclude")
            .or_else(|| p.list("blacklist"))
            .unwrap_or_default();
        let include = p
            .list("include")
            .or_else(|| p.list("whitelist"))
            .unwrap_or_default();
        let renames = parse_renames("renames", &p.list_or_empty("renames"))?;
        let reverse = renames
            .iter()
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect();
        self.config = Some(Config {
            exclude: exclude.into_iter().collect(),
            include: include.into_iter().collect(),
            renames,
            reverse,
            replace_null_with_default: p.boolean("replace.null.with.default", true)?,
        });
        Ok(())
    }

    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("ReplaceField"))?;
        let value = self.side.value(&record);
        if value.is_null() {
            return Ok(Some(record));
        }
        if self.side.schema(&record).is_none() {
            let entries = require_map(value, PURPOSE)?;
            let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                match k.as_str() {
                    Some(name) if config.keep(name) => {
                        let new_key = Value::String(config.renamed(name).to_string());
                        // A rename onto an existing key overwrites it, as HashMap.put does.
                        out.retain(|(existing, _)| *existing != new_key);
                        out.push((new_key, v.clone()));
                    }
                    Some(_) => {}
                    None => out.push((k.clone(), v.clone())),
                }
            }
            return Ok(Some(self.side.put(record, None, Value::Map(out))));
        }
        let value = require_struct(value, PURPOSE)?;
        let schema = self
            .cache
            .get_or_try_insert(&SchemaKey(value.schema.clone()), || {
                Ok::<_, TransformError>(updated_schema(config, &value.schema))
            })?;
        let values = schema
            .fields
            .iter()
            .map(|f| {
                let original = config.original(&f.name);
                value
                    .schema
                    .field_named(original)
                    .map(|of| field_value(value, of, config.replace_null_with_default))
                    .unwrap_or(Value::Null)
            })
            .collect();
        let updated = build_struct(schema.clone(), values)?;
        Ok(Some(self.side.put(
            record,
            Some(schema),
            Value::Struct(updated),
        )))
    }
}

fn updated_schema(config: &Config, schema: &Schema) -> SchemaRef {
    let mut builder = copy_schema_basics(schema, Schema::struct_());
    for f in &schema.fields {
        if config.keep(&f.name) {
            builder = builder.field(config.renamed(&f.name), f.schema.clone());
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Struct, Type};

    fn xform(props: &[(&str, &str)]) -> ReplaceField {
        let mut t = ReplaceField::value();
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap();
        t
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.to_string()), v.clone()))
                .collect(),
        )
    }

    fn keys(v: &Value) -> Vec<String> {
        match v {
            Value::Map(e) => e
                .iter()
                .filter_map(|(k, _)| k.as_str().map(String::from))
                .collect(),
            _ => vec![],
        }
    }

    #[test]
    fn schemaless_exclude_include_rename() {
        let t = xform(&[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")]);
        let v = map(&[
            ("dont", Value::String("whatever".into())),
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true)),
            ("etc", Value::String("etc".into())),
        ]);
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, v))
            .unwrap()
            .unwrap();
        assert_eq!(keys(&out.value), ["xyz", "bar", "etc"]);
        assert_eq!(out.value.map_get("xyz"), Some(&Value::Int32(42)));

        let t = xform(&[("include", "abc,foo"), ("exclude", "foo")]);
        let v = map(&[
            ("abc", Value::Int32(1)),
            ("foo", Value::Int32(2)),
            ("x", Value::Int32(3)),
        ]);
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, v))
            .unwrap()
            .unwrap();
        assert_eq!(keys(&out.value), ["abc"]);
    }

    #[test]
    fn legacy_blacklist_whitelist_names() {
        let t = xform(&[("blacklist", "a"), ("whitelist", "a,b")]);
        let v = map(&[
            ("a", Value::Int32(1)),
            ("b", Value::Int32(2)),
            ("c", Value::Int32(3)),
        ]);
        let out = t
            .apply(ConnectRecord::new("t", None, Value::Null, None, v))
            .unwrap()
            .unwrap();
        assert_eq!(keys(&out.value), ["b"]);
    }

    #[test]
    fn schemaful_keeps_order_and_metadata() {
        let t = xform(&[
            ("include", "abc,foo,etc,opt"),
            ("renames", "abc:xyz,foo:bar"),
        ]);
        let schema = Schema::struct_()
            .named("rec")
            .version(3)
            .field("dont", schemas::string())
            .field("abc", schemas::int32())
            .field("foo", Schema::new(Type::Boolean).build())
            .field("etc", schemas::string())
            .field(
                "opt",
                Schema::new(Type::Int32)
                    .optional()
                    .default_value(Value::Int32(9))
                    .build(),
            )
            .build();
        let v = Struct::new(schema.clone())
            .with("dont", Value::String("x".into()))
            .with("abc", Value::Int32(42))
            .with("foo", Value::Boolean(true))
            .with("etc", Value::String("etc".into()));
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schema),
                Value::Struct(v.clone()),
            ))
            .unwrap()
            .unwrap();
        let s = out.value_schema.clone().unwrap();
        assert_eq!(s.name.as_deref(), Some("rec"));
        assert_eq!(s.version, Some(3));
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["xyz", "bar", "etc", "opt"]);
        let st = out.value.as_struct().unwrap();
        assert_eq!(st.get("xyz"), Some(&Value::Int32(42)));
        assert_eq!(st.get("opt"), Some(&Value::Int32(9)));

        let t = xform(&[("replace.null.with.default", "false")]);
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(v.schema.clone()),
                Value::Struct(v),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.value.as_struct().unwrap().get("opt"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn rename_mapping_errors() {
        let mut t = ReplaceField::value();
        let map = HashMap::from([("renames".to_string(), "a:b,c:d:e".to_string())]);
        assert_eq!(
            t.configure(&map).unwrap_err().to_string(),
            "Invalid value [a:b, c:d:e] for configuration renames: Invalid rename mapping: c:d:e"
        );
        let map = HashMap::from([("renames".to_string(), "a".to_string())]);
        assert!(t.configure(&map).is_err());
    }

    #[test]
    fn tombstones_pass_and_wrong_types_fail() {
        let t = xform(&[("exclude", "a")]);
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Null);
        assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Int32(1));
        assert!(t.apply(rec).is_err());
    }
}
