//! io.debezium.transforms.ExtractNewRecordState: unwraps a Debezium change-event envelope to its
//! `after` row (or `before` for rewritten deletes), handling deletes/tombstones per
//! `delete.tombstone.handling.mode` (3.2+) or the legacy `delete.handling.mode` + `drop.tombstones`.
//! Adds `__`-prefixed metadata fields/headers, routes by a column, drops fields named in a header.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Header, Schema, SchemaRef, Struct, Type, Value};
use crate::transforms::debezium::is_envelope;
use crate::transforms::support::config::{config_error, invalid, parse_list, Props};
use crate::transforms::support::record::{
    add_field, copy_schema_basics, copy_schema_basics_same_type, field_value, not_configured,
    require_struct, SchemaCache, SchemaKey,
};
use crate::transforms::{InsertField, ReplaceField, TransformError, Transformation};

pub const CLASS: &str = "io.debezium.transforms.ExtractNewRecordState";
const PURPOSE: &str = "source field insertion";
const DELETED_FIELD: &str = "__deleted";

/// `delete.tombstone.handling.mode` (Debezium 3.2+ and 2.5+ opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    Drop,
    Tombstone,
    Rewrite,
    RewriteWithTombstone,
    DeleteToTombstone,
}

/// The pre-3.2 `delete.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegacyDeletes {
    Drop,
    Rewrite,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Current(Handling),
    Legacy {
        deletes: LegacyDeletes,
        drop_tombstones: bool,
    },
}

impl Strategy {
    fn is_rewrite(self) -> bool {
        matches!(
            self,
            Strategy::Current(Handling::Rewrite | Handling::RewriteWithTombstone)
                | Strategy::Legacy {
                    deletes: LegacyDeletes::Rewrite,
                    ..
                }
        )
    }
}

/// One `add.fields` / `add.headers` entry: `[struct.]field[:newName]`.
#[derive(Debug, Clone, PartialEq)]
struct FieldRef {
    parent: Option<String>,
    field: String,
    new_field: String,
}

impl FieldRef {
    fn parse(prefix: &str, spec: &str) -> Result<FieldRef, String> {
        let mut parts: Vec<&str> = spec.split(':').collect();
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        let mut splits: Vec<&str> = parts[0].split('.').collect();
        while splits.len() > 1 && splits.last() == Some(&"") {
            splits.pop();
        }
        let field = if splits.len() == 1 {
            splits[0]
        } else {
            splits[1]
        }
        .to_string();
        let parent = if splits.len() == 1 {
            match field.as_str() {
                "id" | "total_order" | "data_collection_order" => Some("transaction".to_string()),
                "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
                "updateDescription" => Some("updateDescription".to_string()),
                _ => Some("source".to_string()),
            }
        } else {
            Some(splits[0].to_string())
        };
        let new_field = match parts.len() {
            1 if splits.len() == 1 => format!("{prefix}{field}"),
            1 => format!("{prefix}{}_{field}", splits[0]),
            2 => format!("{prefix}{}", parts[1]),
            _ => return Err(format!("Unexpected field name: {spec}")),
        };
        Ok(FieldRef {
            parent,
            field,
            new_field,
        })
    }

    fn parse_list(prefix: &str, raw: &str) -> Result<Vec<FieldRef>, String> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        raw.split(',')
            .map(|s| FieldRef::parse(prefix, s.trim()))
            .collect()
    }

    /// The field's schema, made optional; None when the envelope has no such field.
    fn schema(&self, envelope: &Schema) -> Option<SchemaRef> {
        let parent = match &self.parent {
            Some(p) => &envelope.field_named(p)?.schema,
            None => envelope,
        };
        let f = parent
            .field_named(&self.field)
            .or_else(|| envelope.field_named(&self.field))?;
        Some(copy_schema_basics_same_type(&f.schema).optional().build())
    }

    fn value(&self, envelope: &Struct) -> Value {
        let parent = match &self.parent {
            Some(p) => match envelope
                .schema
                .field_named(p)
                .map(|f| field_value(envelope, f, false))
            {
                Some(Value::Struct(s)) => s,
                _ => return Value::Null,
            },
            None => envelope.clone(),
        };
        let source = if parent.schema.field_named(&self.field).is_some() {
            &parent
        } else {
            envelope
        };
        source
            .schema
            .field_named(&self.field)
            .map(|f| field_value(source, f, false))
            .unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone)]
struct Config {
    strategy: Strategy,
    route_by_field: Option<String>,
    add_fields: Vec<FieldRef>,
    add_headers: Vec<FieldRef>,
    drop_fields_header: Option<String>,
    drop_fields_from_key: bool,
    drop_fields_keep_schema_compatible: bool,
}

pub struct ExtractNewRecordState {
    config: Option<Config>,
    removed: InsertField,
    updated: InsertField,
    cache: SchemaCache<(SchemaKey, Option<String>)>,
}

impl Default for ExtractNewRecordState {
    fn default() -> Self {
        ExtractNewRecordState {
            config: None,
            removed: InsertField::value(),
            updated: InsertField::value(),
            cache: SchemaCache::new(64),
        }
    }
}

impl ExtractNewRecordState {
    pub fn new() -> ExtractNewRecordState {
        ExtractNewRecordState::default()
    }
}

fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse_strategy(p: &Props<'_>) -> Result<Strategy, TransformError> {
    if let Some(mode) = p
        .string("delete.tombstone.handling.mode")
        .filter(|m| !m.is_empty())
    {
        let handling = match mode.to_ascii_lowercase().as_str() {
            "drop" => Handling::Drop,
            "tombstone" => Handling::Tombstone,
            "rewrite" => Handling::Rewrite,
            "rewrite-with-tombstone" => Handling::RewriteWithTombstone,
            "delete-to-tombstone" => Handling::DeleteToTombstone,
            _ => {
                return Err(config_error(
                    "delete.tombstone.handling.mode",
                    &mode,
                    "Value must be one of drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone",
                ))
            }
        };
        return Ok(Strategy::Current(handling));
    }
    if !p.contains("delete.handling.mode") && !p.contains("drop.tombstones") {
        // Debezium 3.2+ default; 2.7–3.1 defaulted to the legacy drop/drop pair.
        return Ok(Strategy::Current(Handling::Tombstone));
    }
    let mode = p.string_or("delete.handling.mode", "drop");
    let deletes = match mode.to_ascii_lowercase().as_str() {
        "drop" => LegacyDeletes::Drop,
        "rewrite" => LegacyDeletes::Rewrite,
        "none" => LegacyDeletes::None,
        _ => {
            return Err(config_error(
                "delete.handling.mode",
                &mode,
                "Value must be one of drop, rewrite, none",
            ))
        }
    };
    Ok(Strategy::Legacy {
        deletes,
        drop_tombstones: p.boolean("drop.tombstones", true)?,
    })
}

impl Transformation for ExtractNewRecordState {
    fn configure(&mut self, raw: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(raw);
        let strategy = parse_strategy(&p)?;
        let fields_prefix = raw
            .get("add.fields.prefix")
            .cloned()
            .unwrap_or_else(|| "__".into());
        let headers_prefix = raw
            .get("add.headers.prefix")
            .cloned()
            .unwrap_or_else(|| "__".into());
        // Debezium splits the raw string on commas and trims each entry.
        let list = |key: &str| parse_list(raw.get(key).map_or("", String::as_str)).join(",");
        let add_fields = FieldRef::parse_list(&fields_prefix, &list("add.fields"))
            .map_err(|e| invalid("add.fields", e))?;
        let add_headers = FieldRef::parse_list(&headers_prefix, &list("add.headers"))
            .map_err(|e| invalid("add.headers", e))?;
        let replace_null = p.boolean("replace.null.with.default", true)?;
        let flag = if replace_null { "true" } else { "false" };
        self.removed.configure(&props(&[
            ("static.field", DELETED_FIELD),
            ("static.value", "true"),
            ("replace.null.with.default", flag),
        ]))?;
        self.updated.configure(&props(&[
            ("static.field", DELETED_FIELD),
            ("static.value", "false"),
            ("replace.null.with.default", flag),
        ]))?;
        self.config = Some(Config {
            strategy,
            route_by_field: p.string("route.by.field").filter(|f| !f.is_empty()),
            add_fields,
            add_headers,
            drop_fields_header: p
                .string("drop.fields.header.name")
                .filter(|h| !h.is_empty()),
            drop_fields_from_key: p.boolean("drop.fields.from.key", false)?,
            drop_fields_keep_schema_compatible: p
                .boolean("drop.fields.keep.schema.compatible", true)?,
        });
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let c = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("ExtractNewRecordState"))?;
        let tombstone = record.value.is_null();
        let valid = is_envelope(&record);
        if (valid || tombstone) && !c.add_headers.is_empty() {
            let headers = make_headers(&c.add_headers, record.value.as_struct());
            record.headers.extend(headers);
        }
        if tombstone {
            let keep = match c.strategy {
                Strategy::Current(h) => h == Handling::RewriteWithTombstone,
                Strategy::Legacy {
                    drop_tombstones, ..
                } => !drop_tombstones,
            };
            return Ok(keep.then_some(record));
        }
        if !valid {
            return Ok(Some(record));
        }
        // ExtractField$Value("after"/"before") on the envelope, without copying it whole.
        let Some(envelope_schema) = record.value_schema.clone() else {
            return Ok(Some(record));
        };
        let envelope = match std::mem::replace(&mut record.value, Value::Null) {
            Value::Struct(s) => s,
            other => {
                return Err(TransformError::Data(format!(
                    "Only Struct objects supported for [field extraction], found: {}",
                    other.java_class()
                )))
            }
        };
        let after = image(&record, &envelope_schema, &envelope, "after")?;
        if after.value.is_null() {
            let before = image(&record, &envelope_schema, &envelope, "before")?;
            if before.value.is_null() {
                return Ok(None); // truncate (or an envelope with neither image)
            }
            let Some(mut out) = self.handle_delete(c.strategy, record, after, before)? else {
                return Ok(None);
            };
            if let Some(field) = &c.route_by_field {
                if let Some(Value::Struct(before)) = envelope.get("before") {
                    out = set_topic(out, route_value(before, field)?);
                }
            }
            if c.drop_fields_header.is_some() {
                out = self.drop_fields(c, out)?;
            }
            if !out.value.is_null() {
                out = self.add_fields(c, &envelope, out)?;
            }
            return Ok(Some(out));
        }
        let mut out = if c.strategy.is_rewrite() && after.value.as_struct().is_some() {
            self.apply_delegate(&self.updated, after)?
        } else {
            after
        };
        if let Some(field) = &c.route_by_field {
            let value = require_struct(
                &out.value,
                "Read record to set topic routing for CREATE / UPDATE",
            )?;
            let topic = route_value(value, field)?;
            out = set_topic(out, topic);
        }
        out = self.add_fields(c, &envelope, out)?;
        if c.drop_fields_header.is_some() {
            out = self.drop_fields(c, out)?;
        }
        Ok(Some(out))
    }
}

/// The record with its value replaced by one image of the envelope (schema: the field's).
fn image(
    record: &ConnectRecord,
    envelope_schema: &Schema,
    envelope: &Struct,
    field: &str,
) -> Result<ConnectRecord, TransformError> {
    let Some(f) = envelope_schema.field_named(field) else {
        return Err(TransformError::Data(format!("Unknown field: {field}")));
    };
    let value = envelope
        .schema
        .field_named(field)
        .map(|vf| field_value(envelope, vf, true))
        .unwrap_or(Value::Null);
    let mut out = record.clone();
    out.value_schema = Some(f.schema.clone());
    out.value = value;
    Ok(out)
}

impl ExtractNewRecordState {
    fn apply_delegate(
        &self,
        delegate: &dyn Transformation,
        record: ConnectRecord,
    ) -> Result<ConnectRecord, TransformError> {
        delegate
            .apply(record)?
            .ok_or_else(|| TransformError::Data("delegate transform dropped the record".into()))
    }

    /// `record` has had its value taken out; `after`/`before` are its two images.
    fn handle_delete(
        &self,
        strategy: Strategy,
        record: ConnectRecord,
        after: ConnectRecord,
        before: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, TransformError> {
        match strategy {
            Strategy::Current(Handling::Drop)
            | Strategy::Legacy {
                deletes: LegacyDeletes::Drop,
                ..
            } => Ok(None),
            Strategy::Current(Handling::Tombstone)
            | Strategy::Legacy {
                deletes: LegacyDeletes::None,
                ..
            } => Ok(Some(after)),
            Strategy::Current(Handling::DeleteToTombstone) => {
                let mut out = record;
                out.value_schema = None;
                out.value = Value::Null;
                Ok(Some(out))
            }
            Strategy::Current(Handling::Rewrite | Handling::RewriteWithTombstone)
            | Strategy::Legacy {
                deletes: LegacyDeletes::Rewrite,
                ..
            } => {
                if before.value.as_struct().is_some() {
                    Ok(Some(self.apply_delegate(&self.removed, before)?))
                } else {
                    Ok(Some(before))
                }
            }
        }
    }

    /// addFields: copies the unwrapped row (raw values) and appends the requested metadata.
    fn add_fields(
        &self,
        c: &Config,
        envelope: &Struct,
        unwrapped: ConnectRecord,
    ) -> Result<ConnectRecord, TransformError> {
        let value = require_struct(&unwrapped.value, PURPOSE)?;
        let op = envelope
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_string);
        let schema = self.cache.get_or_try_insert(
            &(SchemaKey(value.schema.clone()), op),
            || -> Result<SchemaRef, TransformError> {
                let mut b = copy_schema_basics(&value.schema, Schema::struct_());
                for f in &value.schema.fields {
                    b = b.field(&f.name, f.schema.clone());
                }
                for r in &c.add_fields {
                    if let Some(s) = r.schema(&envelope.schema) {
                        b = add_field(b, &r.new_field, s)?;
                    }
                }
                Ok(b.build())
            },
        )?;
        let mut values: Vec<Value> = value
            .schema
            .fields
            .iter()
            .map(|f| field_value(value, f, false))
            .collect();
        for r in &c.add_fields {
            if r.schema(&envelope.schema).is_some() {
                values.push(r.value(envelope));
            }
        }
        values.resize(schema.fields.len(), Value::Null);
        let mut out = unwrapped;
        out.value = Value::Struct(Struct {
            schema: schema.clone(),
            values,
        });
        out.value_schema = Some(schema);
        Ok(out)
    }

    /// Removes the fields listed in the `drop.fields.header.name` header (optional ones only
    /// when `drop.fields.keep.schema.compatible`), from the value and optionally the key.
    fn drop_fields(
        &self,
        c: &Config,
        record: ConnectRecord,
    ) -> Result<ConnectRecord, TransformError> {
        let Some(name) = &c.drop_fields_header else {
            return Ok(record);
        };
        let names: Vec<String> = match record.headers.iter().find(|h| &h.key == name) {
            Some(Header {
                value: Value::Array(items),
                ..
            }) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => return Ok(record),
        };
        if names.is_empty() {
            return Ok(record);
        }
        let to_drop = |schema: Option<&SchemaRef>| -> Vec<String> {
            match schema {
                Some(s) if c.drop_fields_keep_schema_compatible => s
                    .fields
                    .iter()
                    .filter(|f| f.schema.optional && names.contains(&f.name))
                    .map(|f| f.name.clone())
                    .collect(),
                Some(_) => names.clone(),
                None => Vec::new(),
            }
        };
        let mut record = record;
        if c.drop_fields_from_key && !record.key.is_null() {
            let fields = to_drop(record.key_schema.as_ref());
            if !fields.is_empty() {
                let mut rf = ReplaceField::key();
                rf.configure(&props(&[("exclude", &fields.join(","))]))?;
                record = self.apply_delegate(&rf, record)?;
            }
        }
        let fields = to_drop(record.value_schema.as_ref());
        if !fields.is_empty() {
            let mut rf = ReplaceField::value();
            rf.configure(&props(&[("exclude", &fields.join(","))]))?;
            record = self.apply_delegate(&rf, record)?;
        }
        Ok(record)
    }
}

/// makeHeaders: typed headers from the envelope; a tombstone only gets `op` = "d".
fn make_headers(refs: &[FieldRef], envelope: Option<&Struct>) -> Vec<Header> {
    let mut out = Vec::new();
    for r in refs {
        match envelope {
            None => {
                if r.field == "op" {
                    out.push(Header {
                        key: r.new_field.clone(),
                        schema: Some(Schema::new(Type::String).build()),
                        value: Value::String("d".to_string()),
                    });
                }
            }
            Some(env) => {
                if let Some(schema) = r.schema(&env.schema) {
                    out.push(Header {
                        key: r.new_field.clone(),
                        schema: Some(schema),
                        value: r.value(env),
                    });
                }
            }
        }
    }
    out
}

/// `Struct.getString(field)` for `route.by.field`.
fn route_value(s: &Struct, field: &str) -> Result<Option<String>, TransformError> {
    let Some(f) = s.schema.field_named(field) else {
        return Err(TransformError::Data(format!(
            "{field} is not a valid field name"
        )));
    };
    if f.schema.kind != Type::String {
        return Err(TransformError::Data(format!(
            "Field '{field}' is not of type STRING"
        )));
    }
    Ok(field_value(s, f, true).as_str().map(str::to_string))
}

/// setTopic: a null or blank value leaves the topic alone.
fn set_topic(mut record: ConnectRecord, topic: Option<String>) -> ConnectRecord {
    if let Some(t) = topic.filter(|t| !t.trim().is_empty()) {
        record.topic = t;
    }
    record
}

#[cfg(test)]
#[path = "extract_new_record_state_tests.rs"]
mod tests;
