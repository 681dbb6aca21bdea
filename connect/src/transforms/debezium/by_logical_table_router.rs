//! io.debezium.transforms.ByLogicalTableRouter: routes several physical tables' topics into one
//! logical topic (`topic.regex` whole-match, `topic.replacement`), renaming the key/envelope/row
//! schemas after the new topic and adding a key field that names the physical table.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Type, Value};
use crate::transforms::debezium::is_envelope;
use crate::transforms::regex_router::compile_config_regex;
use crate::transforms::support::config::{config_error, Props};
use crate::transforms::support::java_regex::JavaRegex;
use crate::transforms::support::record::{
    add_field, field_value, not_configured, require_struct, SchemaCache, SchemaKey,
};
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "io.debezium.transforms.ByLogicalTableRouter";
const PURPOSE: &str = "Updating schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameAdjustment {
    None,
    Avro,
    AvroUnicode,
}

impl NameAdjustment {
    /// SchemaNameAdjuster: Avro full names allow letters, digits, `_` and `.`, and must not
    /// start with a digit.
    fn adjust(self, name: &str) -> String {
        if self == NameAdjustment::None {
            return name.to_string();
        }
        let mut out = String::with_capacity(name.len());
        for (i, c) in name.chars().enumerate() {
            let valid =
                c.is_ascii_alphabetic() || c == '_' || (i > 0 && (c.is_ascii_digit() || c == '.'));
            if valid {
                out.push(c);
            } else if self == NameAdjustment::Avro {
                out.push('_');
            } else {
                out.push_str(&format!("_u{:04x}", c as u32));
            }
        }
        out
    }
}

struct Config {
    topic_regex: JavaRegex,
    topic_replacement: String,
    key_enforce_uniqueness: bool,
    key_field_name: String,
    key_field: Option<(JavaRegex, String)>,
    adjust: NameAdjustment,
}

pub struct ByLogicalTableRouter {
    config: Option<Config>,
    key_cache: SchemaCache<(SchemaKey, String)>,
    envelope_cache: SchemaCache<(SchemaKey, String)>,
}

impl Default for ByLogicalTableRouter {
    fn default() -> Self {
        ByLogicalTableRouter {
            config: None,
            key_cache: SchemaCache::new(16),
            envelope_cache: SchemaCache::new(16),
        }
    }
}

impl ByLogicalTableRouter {
    pub fn new() -> ByLogicalTableRouter {
        ByLogicalTableRouter::default()
    }
}

impl Transformation for ByLogicalTableRouter {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let regex = p.required_string("topic.regex")?;
        let topic_regex = compile_config_regex("topic.regex", &regex)?;
        let topic_replacement = p.required_string("topic.replacement")?;
        let key_field = match p.string("key.field.regex").filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => {
                let compiled = compile_config_regex("key.field.regex", &r)?;
                let replacement = p
                    .string("key.field.replacement")
                    .filter(|r| !r.is_empty())
                    .ok_or_else(|| {
                        config_error(
                            "key.field.replacement",
                            "null",
                            "key.field.replacement must be non-empty if key.field.regex is set.",
                        )
                    })?;
                Some((compiled, replacement))
            }
        };
        let mode = p.string_or("schema.name.adjustment.mode", "none");
        let adjust = match mode.to_ascii_lowercase().as_str() {
            "none" => NameAdjustment::None,
            "avro" => NameAdjustment::Avro,
            "avro_unicode" => NameAdjustment::AvroUnicode,
            _ => {
                return Err(config_error(
                    "schema.name.adjustment.mode",
                    &mode,
                    "Value must be one of none, avro, avro_unicode",
                ))
            }
        };
        let cache_size = p.int_or("logical.table.cache.size", 16)?;
        if cache_size < 1 {
            return Err(config_error(
                "logical.table.cache.size",
                &cache_size.to_string(),
                "Value must be at least 1",
            ));
        }
        self.key_cache = SchemaCache::new(cache_size as usize);
        self.envelope_cache = SchemaCache::new(cache_size as usize);
        self.config = Some(Config {
            topic_regex,
            topic_replacement,
            key_enforce_uniqueness: p.boolean("key.enforce.uniqueness", true)?,
            key_field_name: p.string_or("key.field.name", "__dbz__physicalTableIdentifier"),
            key_field,
            adjust,
        });
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let c = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("ByLogicalTableRouter"))?;
        let old_topic = record.topic.clone();
        let new_topic = match c
            .topic_regex
            .replace_if_matches(&old_topic, &c.topic_replacement)
        {
            None => return Ok(Some(record)),
            Some(result) => result.map_err(TransformError::Data)?,
        };
        if new_topic.is_empty() {
            tracing::warn!(topic = %old_topic, "routing regex returned an empty topic name, propagating original record");
            return Ok(Some(record));
        }
        let (key_schema, key) = match &record.key {
            Value::Null => (None, Value::Null),
            k => {
                let old = require_struct(k, PURPOSE)?;
                let schema = self.key_cache.get_or_try_insert(
                    &(SchemaKey(old.schema.clone()), new_topic.clone()),
                    || self.key_schema(c, &old.schema, &new_topic),
                )?;
                let key = self.key(c, &schema, old, &old_topic);
                (Some(schema), Value::Struct(key))
            }
        };
        record.topic = new_topic.clone();
        record.key_schema = key_schema;
        record.key = key;
        if record.value.is_null() || !is_envelope(&record) {
            return Ok(Some(record));
        }
        let envelope = require_struct(&record.value, PURPOSE)?;
        let schema = self.envelope_cache.get_or_try_insert(
            &(SchemaKey(envelope.schema.clone()), new_topic.clone()),
            || envelope_schema(c, &envelope.schema, &new_topic),
        )?;
        let updated = update_envelope(&schema, envelope)?;
        record.value_schema = Some(schema);
        record.value = Value::Struct(updated);
        Ok(Some(record))
    }
}

impl ByLogicalTableRouter {
    fn key_schema(
        &self,
        c: &Config,
        old: &Schema,
        topic: &str,
    ) -> Result<SchemaRef, TransformError> {
        let mut b = copy_excluding_name(old, true);
        b.name = Some(c.adjust.adjust(&format!("{topic}.Key")));
        if c.key_enforce_uniqueness {
            b = add_field(b, &c.key_field_name, Schema::new(Type::String).build())?;
        }
        Ok(b.build())
    }

    fn key(&self, c: &Config, schema: &SchemaRef, old: &Struct, old_topic: &str) -> Struct {
        let mut values: Vec<Value> = old
            .schema
            .fields
            .iter()
            .map(|f| field_value(old, f, true))
            .collect();
        if c.key_enforce_uniqueness {
            let identifier = match &c.key_field {
                Some((re, replacement)) => match re.replace_if_matches(old_topic, replacement) {
                    Some(Ok(id)) => id,
                    _ => old_topic.to_string(),
                },
                None => old_topic.to_string(),
            };
            values.push(Value::String(identifier));
        }
        values.resize(schema.fields.len(), Value::Null);
        Struct {
            schema: schema.clone(),
            values,
        }
    }
}

/// copySchemaExcludingName: version, doc, parameters, optionality and (optionally) fields.
fn copy_excluding_name(source: &Schema, copy_fields: bool) -> Schema {
    let mut b = Schema::struct_();
    b.version = source.version;
    b.doc = source.doc.clone();
    b.parameters = source.parameters.clone();
    b.optional = source.optional;
    if copy_fields {
        for f in &source.fields {
            b = b.field(&f.name, f.schema.clone());
        }
    }
    b
}

fn envelope_schema(c: &Config, old: &Schema, topic: &str) -> Result<SchemaRef, TransformError> {
    let Some(before) = old.field_named("before") else {
        return Err(TransformError::Data(format!(
            "Envelope schema {} has no 'before' field",
            old.name.as_deref().unwrap_or("")
        )));
    };
    let mut row = copy_excluding_name(&before.schema, true);
    row.name = Some(c.adjust.adjust(&format!("{topic}.Value")));
    let row = row.build();
    let mut b = copy_excluding_name(old, false);
    for f in &old.fields {
        let fs = if f.name == "before" || f.name == "after" {
            row.clone()
        } else {
            f.schema.clone()
        };
        b = b.field(&f.name, fs);
    }
    b.name = Some(c.adjust.adjust(&format!("{topic}.Envelope")));
    Ok(b.build())
}

fn update_envelope(schema: &SchemaRef, old: &Struct) -> Result<Struct, TransformError> {
    let row_schema = schema
        .field_named("before")
        .map(|f| f.schema.clone())
        .ok_or_else(|| TransformError::Data("Envelope schema has no 'before' field".into()))?;
    let mut values = Vec::with_capacity(old.schema.fields.len());
    for f in &old.schema.fields {
        let v = field_value(old, f, true);
        let v = match (&v, f.name.as_str()) {
            (Value::Null, _) => v,
            (_, "before" | "after") => {
                let row = require_struct(&v, PURPOSE)?;
                let row_values = row
                    .schema
                    .fields
                    .iter()
                    .map(|rf| field_value(row, rf, true))
                    .collect();
                Value::Struct(Struct {
                    schema: row_schema.clone(),
                    values: row_values,
                })
            }
            _ => v,
        };
        values.push(v);
    }
    Ok(Struct {
        schema: schema.clone(),
        values,
    })
}

#[cfg(test)]
#[path = "by_logical_table_router_tests.rs"]
mod tests;
