//! org.apache.kafka.connect.transforms.TimestampConverter$Key / $Value: converts a field (or the
//! whole key/value) between SimpleDateFormat strings (UTC), unix numbers at a chosen precision
//! and the Date/Time/Timestamp logical types. Schemaless Date/Time/Timestamp come out as epoch ms.

use std::collections::HashMap;

use crate::data::schema::{DATE, TIME, TIMESTAMP};
use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Type, Value};
use crate::transforms::support::config::{invalid, Props};
use crate::transforms::support::date_format::SimpleDateFormat;
use crate::transforms::support::record::{
    copy_schema_basics, field_value, java_class_display, map_get, map_put, not_configured,
    require_map, require_struct_or_null, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";
const PURPOSE: &str = "converting timestamp formats";
const MS_PER_DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

#[derive(Debug, Clone)]
struct Config {
    field: String,
    target: Kind,
    format: Option<SimpleDateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
}

pub struct TimestampConverter {
    side: Side,
    config: Option<Config>,
    cache: SchemaCache<SchemaKey>,
}

impl TimestampConverter {
    pub fn new(side: Side) -> TimestampConverter {
        TimestampConverter {
            side,
            config: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> TimestampConverter {
        TimestampConverter::new(Side::Key)
    }
    pub fn value() -> TimestampConverter {
        TimestampConverter::new(Side::Value)
    }
}

impl Transformation for TimestampConverter {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let field = p.string_or("field", "");
        let target = match p
            .one_of(
                "target.type",
                None,
                &["string", "unix", "Date", "Time", "Timestamp"],
            )?
            .as_str()
        {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            _ => Kind::Timestamp,
        };
        let pattern = p.string_or("format", "");
        let precision = match p
            .one_of(
                "unix.precision",
                Some("milliseconds"),
                &["nanoseconds", "microseconds", "milliseconds", "seconds"],
            )?
            .as_str()
        {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Micros,
            "nanoseconds" => Precision::Nanos,
            _ => Precision::Millis,
        };
        let replace_null_with_default = p.boolean("replace.null.with.default", true)?;
        if target == Kind::String && pattern.trim().is_empty() {
            return Err(invalid(
                "format",
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        let format = if pattern.trim().is_empty() {
            None
        } else {
            Some(SimpleDateFormat::new(&pattern).map_err(|_| {
                invalid(
                    "format",
                    format!("TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"),
                )
            })?)
        };
        self.config = Some(Config {
            field,
            target,
            format,
            precision,
            replace_null_with_default,
        });
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let c = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("TimestampConverter"))?;
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let updated = if value.is_null() || c.field.is_empty() {
                convert(c, &value, None)?
            } else {
                let entries = require_map(&value, PURPOSE)?;
                let mut out = entries.clone();
                let converted = convert(c, &map_get(entries, &c.field), None)?;
                map_put(&mut out, &c.field, converted);
                Value::Map(out)
            };
            return Ok(Some(self.side.put(record, None, updated)));
        };
        if c.field.is_empty() {
            let kind = kind_from_schema(&schema)?;
            let updated = convert(c, &value, Some(kind))?;
            let target = target_schema(c.target, schema.optional);
            return Ok(Some(self.side.put(record, Some(target), updated)));
        }
        let s = require_struct_or_null(&value, PURPOSE)?;
        let updated_schema = self
            .cache
            .get_or_try_insert(&SchemaKey(schema.clone()), || build_schema(c, &schema))?;
        let updated = match s {
            None => Value::Null,
            Some(s) => Value::Struct(convert_struct(c, s, &updated_schema)?),
        };
        Ok(Some(self.side.put(record, Some(updated_schema), updated)))
    }
}

fn build_schema(c: &Config, schema: &Schema) -> Result<SchemaRef, TransformError> {
    let mut builder = copy_schema_basics(schema, Schema::struct_());
    for f in &schema.fields {
        let fs = if f.name == c.field {
            target_schema(c.target, f.schema.optional)
        } else {
            f.schema.clone()
        };
        builder = builder.field(&f.name, fs);
    }
    builder.optional = schema.optional;
    if let Some(Value::Struct(d)) = &schema.default {
        let shape = builder.clone().build();
        builder.default = Some(Value::Struct(convert_struct(c, d, &shape)?));
    }
    Ok(builder.build())
}

fn convert_struct(c: &Config, s: &Struct, updated: &SchemaRef) -> Result<Struct, TransformError> {
    let mut out = Struct::new(updated.clone());
    for f in &s.schema.fields {
        let v = field_value(s, f, c.replace_null_with_default);
        let v = if f.name == c.field {
            let kind = kind_from_schema(&f.schema)?;
            convert(c, &v, Some(kind))?
        } else {
            v
        };
        out.put(&f.name, v)
            .map_err(|e| TransformError::Data(e.to_string()))?;
    }
    Ok(out)
}

fn target_schema(kind: Kind, optional: bool) -> SchemaRef {
    let s = match kind {
        Kind::String => Schema::new(Type::String),
        Kind::Unix => Schema::new(Type::Int64),
        Kind::Date => Schema::date(),
        Kind::Time => Schema::time(),
        Kind::Timestamp => Schema::timestamp(),
    };
    if optional {
        s.optional().build()
    } else {
        s.build()
    }
}

/// timestampTypeFromSchema.
fn kind_from_schema(schema: &Schema) -> Result<Kind, TransformError> {
    match schema.name.as_deref() {
        Some(TIMESTAMP) => return Ok(Kind::Timestamp),
        Some(DATE) => return Ok(Kind::Date),
        Some(TIME) => return Ok(Kind::Time),
        _ => {}
    }
    match schema.kind {
        Type::String => Ok(Kind::String),
        Type::Int64 => Ok(Kind::Unix),
        t => Err(TransformError::Data(format!(
            "Schema {} does not correspond to a known timestamp type format",
            match &schema.name {
                Some(n) => format!("Schema{{{n}:{}}}", t.java_name()),
                None => format!("Schema{{{}}}", t.java_name()),
            }
        ))),
    }
}

/// convertTimestamp: to epoch milliseconds (java.util.Date), then to the target.
fn convert(c: &Config, value: &Value, kind: Option<Kind>) -> Result<Value, TransformError> {
    let schemaless = kind.is_none();
    if value.is_null() {
        return Ok(Value::Null);
    }
    let kind = match kind {
        Some(k) => k,
        // inferTimestampType: schemaless values can only be Long or String.
        None => match value {
            Value::Int64(_) => Kind::Unix,
            Value::String(_) => Kind::String,
            other => {
                return Err(TransformError::Data(format!(
                    "TimestampConverter does not support {} objects as timestamps",
                    java_class_display(other)
                )))
            }
        },
    };
    let found = |what: &str| {
        TransformError::Data(format!("{what}, but found {}", java_class_display(value)))
    };
    let raw: i64 = match (kind, value) {
        (Kind::String, Value::String(s)) => {
            let format = c.format.as_ref().ok_or_else(|| {
                TransformError::Data(
                    "TimestampConverter requires format option to be specified when using string timestamps"
                        .to_string(),
                )
            })?;
            format.parse(s).ok_or_else(|| {
                TransformError::Data(format!(
                    "Could not parse timestamp: value ({s}) does not match pattern ({})",
                    format.pattern()
                ))
            })?
        }
        (Kind::String, _) => return Err(found("Expected string timestamp to be a String")),
        (Kind::Unix, Value::Int64(v)) => match c.precision {
            Precision::Seconds => v.saturating_mul(1000),
            Precision::Millis => *v,
            Precision::Micros => v / 1000,
            Precision::Nanos => v / 1_000_000,
        },
        (Kind::Unix, _) => return Err(found("Expected Unix timestamp to be a Long")),
        (Kind::Date, Value::Int32(days)) => i64::from(*days) * MS_PER_DAY,
        (Kind::Date, _) => return Err(found("Expected Date to be a java.util.Date")),
        (Kind::Time, Value::Int32(ms)) => i64::from(*ms),
        (Kind::Time, _) => return Err(found("Expected Time to be a java.util.Date")),
        (Kind::Timestamp, Value::Int64(ms)) => *ms,
        (Kind::Timestamp, _) => return Err(found("Expected Timestamp to be a java.util.Date")),
    };
    Ok(match c.target {
        Kind::String => match &c.format {
            Some(f) => Value::String(f.format(raw)),
            None => return Err(TransformError::Data("TimestampConverter requires format option to be specified when using string timestamps".to_string())),
        },
        Kind::Unix => Value::Int64(match c.precision {
            Precision::Seconds => raw / 1000,
            Precision::Millis => raw,
            Precision::Micros => raw.saturating_mul(1000),
            Precision::Nanos => raw.saturating_mul(1_000_000),
        }),
        // Schemaless results are java.util.Date in Kafka; we carry their epoch milliseconds.
        Kind::Date if schemaless => Value::Int64(raw - raw.rem_euclid(MS_PER_DAY)),
        Kind::Date => date_value(raw.div_euclid(MS_PER_DAY)),
        Kind::Time if schemaless => Value::Int64(raw.rem_euclid(MS_PER_DAY)),
        Kind::Time => Value::Int32(raw.rem_euclid(MS_PER_DAY) as i32),
        Kind::Timestamp => Value::Int64(raw),
    })
}

fn date_value(days: i64) -> Value {
    Value::Int32(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }))
}

#[cfg(test)]
#[path = "timestamp_converter_tests.rs"]
mod tests;
