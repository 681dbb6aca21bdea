//! Confluent's DataConverter: a sink record becomes a bulk action (index / create / update /
//! delete) with the target index, the document id, the external version and the document
//! body. The body is the JsonConverter (schemas disabled) rendering of the value, after the
//! schema-driven pre-processing Confluent applies when schemas are not ignored (Decimal →
//! double, maps per `compact.map.entries`, defaults for nulls).

use std::sync::Arc;

use crate::connectors::SinkRecord;
use crate::converters::json::serialize::write_value;
use crate::converters::json::{DecimalFormat, JsonConfig};
use crate::data::schema::{DATE, DECIMAL, TIME, TIMESTAMP};
use crate::data::{Schema, SchemaRef, Struct, Type, Value};

use super::config::{EsConfig, NullValues, ResourceUsage, WriteMethod};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Index,
    Create,
    Update,
    Delete,
}

impl OpKind {
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Index => "index",
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
        }
    }
}

/// One bulk action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: OpKind,
    pub index: String,
    pub id: Option<String>,
    /// `version` with `version_type=external`.
    pub version: Option<i64>,
    pub retry_on_conflict: Option<u32>,
    /// The document (for update: `{"doc":…,"upsert":…}`); None for delete.
    pub source: Option<Vec<u8>>,
}

impl Action {
    /// The action's NDJSON lines (metadata line, then the source line when there is one).
    pub fn encode(&self, out: &mut Vec<u8>) {
        use crate::converters::json::node::write_string;
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.extend_from_slice(b"\":{\"_index\":");
        write_string(&self.index, out);
        if let Some(id) = &self.id {
            out.extend_from_slice(b",\"_id\":");
            write_string(id, out);
        }
        if let Some(v) = self.version {
            out.extend_from_slice(
                format!(",\"version\":{v},\"version_type\":\"external\"").as_bytes(),
            );
        }
        if let Some(r) = self.retry_on_conflict {
            out.extend_from_slice(format!(",\"retry_on_conflict\":{r}").as_bytes());
        }
        out.extend_from_slice(b"}}\n");
        if let Some(src) = &self.source {
            out.extend_from_slice(src);
            out.push(b'\n');
        }
    }

    /// The key that orders actions: same index and id must reach Elasticsearch in order.
    pub fn doc_key(&self) -> Option<(String, String)> {
        self.id.as_ref().map(|id| (self.index.clone(), id.clone()))
    }
}

/// What a record turns into.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    Action(Action),
    /// Nothing to write (null value ignored, or delete without a key).
    Skip(&'static str),
}

/// The index for a topic when resources are derived from topic names: lower case, at most 255
/// characters, one leading `-`/`_` dropped, `.` and `..` spelled out.
pub fn index_for_topic(topic: &str) -> String {
    let mut index: String = topic.to_lowercase();
    if index.len() > 255 {
        let mut cut = 255;
        while !index.is_char_boundary(cut) {
            cut -= 1;
        }
        index.truncate(cut);
    }
    if index.starts_with('-') || index.starts_with('_') {
        index.remove(0);
    }
    match index.as_str() {
        "." => "dot".into(),
        ".." => "dotdot".into(),
        _ => index,
    }
}

/// The index, alias or data stream a record of `topic` goes to.
pub fn resource_name(cfg: &EsConfig, topic: &str) -> Result<String, String> {
    if cfg.resource_usage != ResourceUsage::Disabled {
        return cfg.resource_mapping.get(topic).cloned().ok_or_else(|| {
            format!("Topic '{topic}' is not mapped to any resource. All configured topics must be mapped to a resource.")
        });
    }
    if cfg.is_data_stream() {
        let ns = if cfg.data_stream_namespace == "${topic}" {
            let mut t = topic.to_lowercase();
            t.truncate(
                (0..=100.min(t.len()))
                    .rev()
                    .find(|i| t.is_char_boundary(*i))
                    .unwrap_or(0),
            );
            t
        } else {
            cfg.data_stream_namespace.clone()
        };
        return Ok(format!(
            "{}-{}-{}",
            cfg.data_stream_type, cfg.data_stream_dataset, ns
        ));
    }
    Ok(index_for_topic(topic))
}

fn is_data_stream_target(cfg: &EsConfig) -> bool {
    cfg.is_data_stream()
        || matches!(
            cfg.resource_usage,
            ResourceUsage::Datastream | ResourceUsage::AliasDatastream
        )
}

/// The document id from the record key (key not ignored).
pub fn key_to_id(schema: Option<&Schema>, key: &Value) -> Result<String, String> {
    if key.is_null() {
        return Err("Key is used as document id and can not be null.".into());
    }
    let kind = match schema {
        Some(s) => Some(s.kind),
        None => key.inferred_type(),
    };
    match (kind, key) {
        (Some(Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 | Type::String), v) => match v {
            Value::Int8(n) => Ok(n.to_string()),
            Value::Int16(n) => Ok(n.to_string()),
            Value::Int32(n) => Ok(n.to_string()),
            Value::Int64(n) => Ok(n.to_string()),
            Value::String(s) => Ok(s.clone()),
            other => Err(format!(
                "{} is not supported as the document id.",
                other.inferred_type().map_or("NULL", |t| t.java_name())
            )),
        },
        (Some(t), _) => Err(format!(
            "{} is not supported as the document id.",
            t.java_name()
        )),
        (None, _) => Err("Key is used as document id and can not be null.".into()),
    }
}

fn version_of(cfg: &EsConfig, record: &SinkRecord) -> Result<i64, String> {
    let offset = record.kafka_offset.unwrap_or(0);
    let Some(h) = &cfg.version_header else {
        return Ok(offset);
    };
    let Some(header) = record.headers.iter().rev().find(|x| &x.key == h) else {
        return Ok(offset);
    };
    let v = match &header.value {
        Value::Int8(n) => Some(*n as i64),
        Value::Int16(n) => Some(*n as i64),
        Value::Int32(n) => Some(*n as i64),
        Value::Int64(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bytes(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse().ok()),
        _ => None,
    };
    v.ok_or_else(|| {
        format!(
            "The external version header '{h}' of record from topic={} partition={} offset={} is not a number.",
            record.topic,
            record.kafka_partition.unwrap_or(-1),
            offset
        )
    })
}

fn json_config() -> JsonConfig {
    JsonConfig {
        schemas_enable: false,
        decimal_format: DecimalFormat::Base64,
        ..JsonConfig::default()
    }
}

/// Converts one record. Errors are DataException messages (the caller fails the task or, with
/// `drop.invalid.message`, drops the record).
pub fn convert(cfg: &EsConfig, record: &SinkRecord) -> Result<Converted, String> {
    let topic = &record.topic;
    let partition = record.kafka_partition.unwrap_or(0);
    let offset = record.kafka_offset.unwrap_or(0);
    let index = resource_name(cfg, topic)?;
    let ignore_key = cfg.ignore_key(topic);
    let data_stream = is_data_stream_target(cfg);
    let autogenerated = cfg.autogenerated_ids && cfg.write_method == WriteMethod::Insert;

    if record.value.is_null() {
        match cfg.null_values {
            NullValues::Ignore => return Ok(Converted::Skip("null value ignored")),
            NullValues::Fail => {
                return Err(format!(
                    "record from topic={topic} partition={partition} offset={offset} has a null value (to ignore future records like this change the configuration property 'behavior.on.null.values' from 'FAIL' to 'IGNORE')"
                ))
            }
            NullValues::Delete => {
                if record.key.is_null() {
                    return Ok(Converted::Skip("null key and null value"));
                }
            }
        }
    }

    let id = if ignore_key {
        format!("{topic}+{partition}+{offset}")
    } else {
        key_to_id(record.key_schema.as_deref(), &record.key)?
    };
    let version = if !ignore_key && !data_stream {
        Some(version_of(cfg, record)?)
    } else {
        None
    };

    if record.value.is_null() {
        return Ok(Converted::Action(Action {
            kind: OpKind::Delete,
            index,
            id: Some(id),
            version,
            retry_on_conflict: None,
            source: None,
        }));
    }

    let mut body = document(cfg, record)?;
    if data_stream {
        body = add_timestamp(cfg, record, body);
    }
    let action = match cfg.write_method {
        WriteMethod::Upsert if !data_stream => {
            let mut src = Vec::with_capacity(body.len() * 2 + 24);
            src.extend_from_slice(b"{\"doc\":");
            src.extend_from_slice(&body);
            src.extend_from_slice(b",\"upsert\":");
            src.extend_from_slice(&body);
            src.push(b'}');
            Action {
                kind: OpKind::Update,
                index,
                id: Some(id),
                version: None,
                retry_on_conflict: Some(cfg.max_in_flight.min(5) as u32),
                source: Some(src),
            }
        }
        _ => Action {
            kind: if data_stream {
                OpKind::Create
            } else {
                OpKind::Index
            },
            index,
            id: if autogenerated { None } else { Some(id) },
            version: if autogenerated { None } else { version },
            retry_on_conflict: None,
            source: Some(body),
        },
    };
    Ok(Converted::Action(action))
}

/// The document JSON for a non-null value.
pub fn document(cfg: &EsConfig, record: &SinkRecord) -> Result<Vec<u8>, String> {
    let json = json_config();
    let mut out = Vec::new();
    let written = match (&record.value_schema, cfg.ignore_schema(&record.topic)) {
        (Some(s), false) => {
            let (ps, pv) = preprocess(s, &record.value, cfg.compact_map_entries)?;
            write_value(Some(&ps), &pv, &json, &mut out)
        }
        (schema, _) => write_value(schema.as_deref(), &record.value, &json, &mut out),
    };
    written.map(|()| out).map_err(|e| e.to_string())
}

/// Confluent's preProcessSchema: the schema the document is rendered with.
pub fn preprocess_schema(schema: &SchemaRef, compact: bool) -> SchemaRef {
    match schema.name.as_deref() {
        Some(DECIMAL) => {
            let mut s = Schema::new(Type::Float64);
            s.optional = schema.optional;
            s.default = schema.default.as_ref().map(decimal_to_double);
            return Arc::new(s);
        }
        Some(DATE | TIME | TIMESTAMP) => return schema.clone(),
        _ => {}
    }
    match schema.kind {
        Type::Array => {
            let items = schema.items.as_ref().map(|i| preprocess_schema(i, compact));
            let mut s = (**schema).clone();
            s.items = items;
            s.default = None;
            Arc::new(s)
        }
        Type::Map => {
            let keys = schema.keys.clone();
            let values = schema
                .values
                .as_ref()
                .map(|v| preprocess_schema(v, compact));
            let string_keys = keys.as_ref().is_some_and(|k| k.kind == Type::String);
            if compact && string_keys {
                let mut s = (**schema).clone();
                s.values = values;
                s.default = None;
                Arc::new(s)
            } else {
                let key_schema = keys
                    .map(|k| preprocess_schema(&k, compact))
                    .unwrap_or_else(|| Arc::new(Schema::new(Type::String).optional()));
                let value_schema =
                    values.unwrap_or_else(|| Arc::new(Schema::new(Type::String).optional()));
                let entry = Schema::struct_()
                    .field("key", key_schema)
                    .field("value", value_schema)
                    .build();
                let mut s = Schema::array(entry);
                s.optional = schema.optional;
                Arc::new(s)
            }
        }
        Type::Struct => {
            let mut b = Schema::struct_();
            for f in &schema.fields {
                b = b.field(&f.name, preprocess_schema(&f.schema, compact));
            }
            let mut s = b;
            s.optional = schema.optional;
            s.name = schema.name.clone();
            s.version = schema.version;
            s.doc = schema.doc.clone();
            s.parameters = schema.parameters.clone();
            Arc::new(s)
        }
        _ => schema.clone(),
    }
}

fn decimal_to_double(v: &Value) -> Value {
    match v {
        Value::Decimal(d) => Value::Float64(d.to_string().parse().unwrap_or(f64::NAN)),
        other => other.clone(),
    }
}

/// Pre-processes a value against its schema; returns the new schema and value.
pub fn preprocess(
    schema: &SchemaRef,
    value: &Value,
    compact: bool,
) -> Result<(SchemaRef, Value), String> {
    let new_schema = preprocess_schema(schema, compact);
    let v = preprocess_value(schema, &new_schema, value)?;
    Ok((new_schema, v))
}

fn preprocess_value(
    schema: &Schema,
    new_schema: &SchemaRef,
    value: &Value,
) -> Result<Value, String> {
    if value.is_null() {
        if let Some(d) = schema.default.as_ref().filter(|d| !d.is_null()) {
            return preprocess_value(schema, new_schema, &d.clone());
        }
        if schema.optional {
            return Ok(Value::Null);
        }
        return Err("null value for field that is required and has no default value".into());
    }
    match schema.name.as_deref() {
        Some(DECIMAL) => return Ok(decimal_to_double(value)),
        Some(DATE | TIME | TIMESTAMP) => return Ok(value.clone()),
        _ => {}
    }
    match (schema.kind, value) {
        (Type::Array, Value::Array(items)) => {
            let (Some(is), Some(nis)) = (&schema.items, &new_schema.items) else {
                return Ok(value.clone());
            };
            let out = items
                .iter()
                .map(|v| preprocess_value(is, nis, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(out))
        }
        (Type::Map, Value::Map(entries)) => {
            let ks = schema.keys.clone();
            let vs = schema.values.clone();
            if new_schema.kind == Type::Map {
                let (Some(vs), Some(nvs)) = (vs, new_schema.values.clone()) else {
                    return Ok(value.clone());
                };
                let out = entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), preprocess_value(&vs, &nvs, v)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                return Ok(Value::Map(out));
            }
            // Array of {key, value} structs.
            let Some(entry_schema) = new_schema.items.clone() else {
                return Ok(value.clone());
            };
            let nks = entry_schema.field_named("key").map(|f| f.schema.clone());
            let nvs = entry_schema.field_named("value").map(|f| f.schema.clone());
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let k = match (&ks, &nks) {
                    (Some(a), Some(b)) => preprocess_value(a, b, k)?,
                    _ => k.clone(),
                };
                let v = match (&vs, &nvs) {
                    (Some(a), Some(b)) => preprocess_value(a, b, v)?,
                    _ => v.clone(),
                };
                let mut s = Struct::new(entry_schema.clone());
                s.values = vec![k, v];
                out.push(Value::Struct(s));
            }
            Ok(Value::Array(out))
        }
        (Type::Struct, Value::Struct(st)) => {
            let mut out = Struct::new(new_schema.clone());
            for (i, f) in schema.fields.iter().enumerate() {
                let Some(nf) = new_schema.fields.get(i) else {
                    continue;
                };
                let v = st.values.get(f.index).unwrap_or(&Value::Null);
                let v = preprocess_value(&f.schema, &nf.schema, v)
                    .map_err(|e| format!("{e} (field '{}')", f.name))?;
                if let Some(slot) = out.values.get_mut(nf.index) {
                    *slot = v;
                }
            }
            Ok(Value::Struct(out))
        }
        _ => Ok(value.clone()),
    }
}

/// Data streams: `@timestamp` from the first configured field the document has, else the
/// record timestamp (kept when the document already has one).
fn add_timestamp(cfg: &EsConfig, record: &SinkRecord, body: Vec<u8>) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice::<serde_json::Value>(&body)
    else {
        return body;
    };
    let from_field = cfg
        .data_stream_timestamp_fields
        .iter()
        .find_map(|f| map.get(f).cloned());
    match from_field {
        Some(v) => {
            let v = match v {
                serde_json::Value::String(s) => serde_json::Value::String(s),
                other => serde_json::Value::String(other.to_string()),
            };
            map.insert("@timestamp".into(), v);
        }
        None if !map.contains_key("@timestamp") => {
            let ts = record
                .timestamp
                .unwrap_or_else(crate::runtime::worker::now_ms);
            map.insert("@timestamp".into(), serde_json::Value::from(ts));
        }
        None => {}
    }
    serde_json::to_vec(&serde_json::Value::Object(map)).unwrap_or(body)
}
