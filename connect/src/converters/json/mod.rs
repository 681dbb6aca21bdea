//! org.apache.kafka.connect.json.JsonConverter: Connect data to JSON bytes byte-identical to
//! Kafka 3.9 (envelope, schema key order, Java number formatting), and back with Kafka's
//! envelope rules, schemaless inference and error messages.

pub mod deserialize;
pub mod node;
pub mod parse;
pub mod serialize;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use self::node::Node;
use super::config::{bool_setting, choice_setting, int_setting};
use super::{Converter, ConverterError};
use crate::data::{Schema, SchemaRef, Value};

pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

const ENVELOPE_MESSAGE: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// `decimal.format`: how Decimal values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the big-endian two's-complement unscaled value (Kafka's default).
    #[default]
    Base64,
    /// A JSON number in `BigDecimal.toString()` form.
    Numeric,
}

/// JsonConverterConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConfig {
    /// `schemas.enable` (default true): wrap in `{"schema":…,"payload":…}`.
    pub schemas_enable: bool,
    /// `schemas.cache.size` (default 1000); accepted for compatibility, Sluice keeps no cache.
    pub schemas_cache_size: i32,
    /// `decimal.format` (default BASE64).
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default` (default true): null fields take their schema default.
    pub replace_null_with_default: bool,
}

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConfig {
    /// Parses the converter's settings (prefix already stripped); unknown keys are ignored.
    pub fn from_map(configs: &HashMap<String, String>) -> Result<JsonConfig, ConverterError> {
        let format = choice_setting(
            configs,
            DECIMAL_FORMAT_CONFIG,
            "BASE64",
            &["BASE64", "NUMERIC"],
        )?;
        Ok(JsonConfig {
            schemas_enable: bool_setting(configs, SCHEMAS_ENABLE_CONFIG, true)?,
            schemas_cache_size: int_setting(configs, SCHEMAS_CACHE_SIZE_CONFIG, 1000)?,
            decimal_format: if format == "NUMERIC" {
                DecimalFormat::Numeric
            } else {
                DecimalFormat::Base64
            },
            replace_null_with_default: bool_setting(
                configs,
                REPLACE_NULL_WITH_DEFAULT_CONFIG,
                true,
            )?,
        })
    }
}

/// org.apache.kafka.connect.json.JsonConverter (also usable as a header converter).
#[derive(Debug, Default)]
pub struct JsonConverter {
    config: JsonConfig,
    schema_cache: SchemaCache,
    /// The last payload's size (+25%, at most 64 KiB): the next output buffer's capacity.
    payload_hint: std::sync::atomic::AtomicUsize,
}

impl Clone for JsonConverter {
    fn clone(&self) -> Self {
        JsonConverter::new(self.config.clone())
    }
}

impl JsonConverter {
    pub fn new(config: JsonConfig) -> JsonConverter {
        JsonConverter {
            config,
            schema_cache: SchemaCache::default(),
            payload_hint: Default::default(),
        }
    }

    pub fn config(&self) -> &JsonConfig {
        &self.config
    }

    fn set_config(&mut self, config: JsonConfig) {
        self.config = config;
        self.schema_cache = SchemaCache::default();
    }

    /// JsonConverter.asJsonSchema, serialized: the schema object as it appears in an envelope.
    pub fn schema_to_json(&self, schema: &Schema) -> Result<Vec<u8>, ConverterError> {
        Ok(serialize::schema_to_node(schema, &self.config)?.to_bytes())
    }

    /// JsonConverter.asConnectSchema from JSON text; `Ok(None)` for `null`.
    pub fn schema_from_json(&self, bytes: &[u8]) -> Result<Option<SchemaRef>, ConverterError> {
        let node = parse_bytes(bytes)?.unwrap_or(Node::Null);
        deserialize::node_to_schema(&node, &self.config)
    }

    /// The envelope (or bare payload) bytes. The schema is converted first, as Kafka does, and
    /// its JSON is cached per schema instance (Kafka keeps an LRU of `schemas.cache.size`).
    fn to_bytes(
        &self,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Vec<u8>, ConverterError> {
        // Sized for the schema plus the last payload, so a record is written without regrowing.
        let hint = self.payload_hint.load(std::sync::atomic::Ordering::Relaxed);
        if !self.config.schemas_enable {
            let mut out = Vec::with_capacity(hint.max(64));
            serialize::write_value(schema.map(|s| &**s), value, &self.config, &mut out)?;
            self.remember_payload(out.len());
            return Ok(out);
        }
        let schema_json = match schema {
            Some(s) => Some(self.cached_schema_json(s)?),
            None => None,
        };
        let schema_len = schema_json.as_ref().map_or(4, |j| j.len());
        let mut out = Vec::with_capacity(schema_len + hint.max(64) + 24);
        out.extend_from_slice(b"{\"schema\":");
        match &schema_json {
            Some(json) => out.extend_from_slice(json),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"payload\":");
        let start = out.len();
        serialize::write_value(schema.map(|s| &**s), value, &self.config, &mut out)?;
        self.remember_payload(out.len() - start);
        out.push(b'}');
        Ok(out)
    }

    /// The next output buffer's payload room: this payload's size + 25%, at most 64 KiB.
    fn remember_payload(&self, len: usize) {
        self.payload_hint.store(
            (len + len / 4).min(64 << 10),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn cached_schema_json(&self, schema: &SchemaRef) -> Result<Arc<[u8]>, ConverterError> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some(hit) = self.schema_cache.get(key) {
            return Ok(hit);
        }
        let json: Arc<[u8]> = serialize::schema_to_node(schema, &self.config)?
            .to_bytes()
            .into();
        let capacity = usize::try_from(self.config.schemas_cache_size).unwrap_or(0);
        self.schema_cache.put(key, schema, json.clone(), capacity);
        Ok(json)
    }
}

/// Schema JSON keyed by the schema's address. Each entry holds a clone of its SchemaRef, so the
/// address cannot be reused by another schema while cached. Cleared when full.
#[derive(Debug, Default)]
struct SchemaCache {
    entries: Mutex<HashMap<usize, CachedSchema>>,
}

/// The schema (kept alive so its address stays unique) and its JSON bytes.
type CachedSchema = (SchemaRef, Arc<[u8]>);

impl SchemaCache {
    fn get(&self, key: usize) -> Option<Arc<[u8]>> {
        let entries = self.entries.lock().ok()?;
        entries.get(&key).map(|(_, json)| json.clone())
    }

    fn put(&self, key: usize, schema: &SchemaRef, json: Arc<[u8]>, capacity: usize) {
        if capacity == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= capacity {
                entries.clear();
            }
            entries.insert(key, (schema.clone(), json));
        }
    }
}

fn parse_bytes(bytes: &[u8]) -> Result<Option<Node>, ConverterError> {
    parse::parse(bytes).map_err(|e| {
        ConverterError::Data(format!(
            "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
        ))
    })
}

impl Converter for JsonConverter {
    fn configure(
        &mut self,
        configs: &HashMap<String, String>,
        _is_key: bool,
    ) -> Result<(), ConverterError> {
        self.set_config(JsonConfig::from_map(configs)?);
        Ok(())
    }

    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        Ok(Some(self.to_bytes(schema, value)?))
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let node = parse_bytes(bytes)?;
        let (schema_node, payload) = if self.config.schemas_enable {
            match &node {
                Some(Node::Object(map))
                    if map.len() == 2
                        && map.contains_key("schema")
                        && map.contains_key("payload") =>
                {
                    (map.get("schema"), map.get("payload"))
                }
                _ => return Err(ConverterError::Data(ENVELOPE_MESSAGE.to_string())),
            }
        } else {
            (None, node.as_ref())
        };
        let schema = match schema_node {
            Some(n) => deserialize::node_to_schema(n, &self.config)?,
            None => None,
        };
        let value = deserialize::node_to_value(schema.as_ref(), payload, &self.config)?;
        Ok((schema, value))
    }
}

#[cfg(test)]
mod tests;
