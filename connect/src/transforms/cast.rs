//! org.apache.kafka.connect.transforms.Cast$Key / $Value: casts listed fields (`field:type`) or
//! the whole key/value (a single `type`) to int8..int64, float32/64, boolean or string with
//! Java's narrowing, parsing and `toString` rules. Optionality and defaults are carried over.

use std::collections::HashMap;

use base64::Engine as _;

use crate::data::schema::{DATE, TIME, TIMESTAMP};
use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Type, Value};
use crate::transforms::support::config::{invalid, java_list, Props};
use crate::transforms::support::java_values::{
    big_decimal_to_f64, big_decimal_to_i64, big_decimal_to_string, double_to_string,
    float_to_string, format_java_date,
};
use crate::transforms::support::record::{
    copy_schema_basics, field_value, java_class_display, map_get, map_put, not_configured,
    require_map, require_struct, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Value";
const PURPOSE: &str = "cast types";
const INPUT_TYPES: [Type; 9] = [
    Type::Int8,
    Type::Int16,
    Type::Int32,
    Type::Int64,
    Type::Float32,
    Type::Float64,
    Type::Boolean,
    Type::String,
    Type::Bytes,
];
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";
const INPUT_TYPES_TEXT: &str =
    "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";

#[derive(Debug, Clone)]
enum Spec {
    Whole(Type),
    Fields(Vec<(String, Type)>),
}

pub struct Cast {
    side: Side,
    spec: Option<Spec>,
    cache: SchemaCache<SchemaKey>,
}

impl Cast {
    pub fn new(side: Side) -> Cast {
        Cast {
            side,
            spec: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> Cast {
        Cast::new(Side::Key)
    }
    pub fn value() -> Cast {
        Cast::new(Side::Value)
    }
}

fn type_from_java_name(name: &str) -> Option<Type> {
    Some(match name.to_ascii_uppercase().as_str() {
        "INT8" => Type::Int8,
        "INT16" => Type::Int16,
        "INT32" => Type::Int32,
        "INT64" => Type::Int64,
        "FLOAT32" => Type::Float32,
        "FLOAT64" => Type::Float64,
        "BOOLEAN" => Type::Boolean,
        "STRING" => Type::String,
        "BYTES" => Type::Bytes,
        "ARRAY" => Type::Array,
        "MAP" => Type::Map,
        "STRUCT" => Type::Struct,
        _ => return None,
    })
}

fn valid_output(t: Type) -> Result<Type, TransformError> {
    if matches!(t, Type::Bytes | Type::Array | Type::Map | Type::Struct) {
        return Err(invalid(
            "spec",
            format!(
                "Cast transformation does not support casting to {}; supported types are {OUTPUT_TYPES}",
                t.java_name()
            ),
        ));
    }
    Ok(t)
}

/// Cast.parseFieldTypes.
fn parse_spec(mappings: &[String]) -> Result<Spec, TransformError> {
    if mappings.is_empty() {
        return Err(invalid("spec", "Must specify at least one field to cast."));
    }
    let mut fields: Vec<(String, Type)> = Vec::new();
    let mut whole = None;
    for mapping in mappings {
        let mut parts: Vec<&str> = mapping.split(':').collect();
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        match parts.as_slice() {
            [single] => {
                let name = single.trim();
                let t = type_from_java_name(name).ok_or_else(|| {
                    invalid(
                        "spec",
                        format!(
                            "No enum constant org.apache.kafka.connect.data.Schema.Type.{}",
                            name.to_ascii_uppercase()
                        ),
                    )
                })?;
                whole = Some(valid_output(t)?);
            }
            [field, kind] => {
                let t = type_from_java_name(kind.trim()).ok_or_else(|| {
                    invalid(
                        "spec",
                        format!("Invalid type found in casting spec: {}", kind.trim()),
                    )
                })?;
                let t = valid_output(t)?;
                let field = field.trim().to_string();
                fields.retain(|(f, _)| *f != field);
                fields.push((field, t));
            }
            _ => {
                // Kafka reports this against `renames` (copied from ReplaceField); we name `spec`.
                return Err(TransformError::Config {
                    key: "spec".to_string(),
                    value: java_list(mappings),
                    message: format!("Invalid rename mapping: {mapping}"),
                });
            }
        }
    }
    match whole {
        Some(_) if mappings.len() > 1 => Err(invalid(
            "spec",
            "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec",
        )),
        Some(t) => Ok(Spec::Whole(t)),
        None => Ok(Spec::Fields(fields)),
    }
}

impl Transformation for Cast {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let mappings = p
            .list("spec")
            .ok_or_else(|| TransformError::Missing("spec".to_string()))?;
        self.spec = Some(parse_spec(&mappings)?);
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let spec = self.spec.as_ref().ok_or_else(|| not_configured("Cast"))?;
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let (schema, value) = self.side.take(&mut record);
        let Some(schema) = schema else {
            let updated = match spec {
                Spec::Whole(t) => cast_value(None, &value, *t)?,
                Spec::Fields(casts) => {
                    let entries = require_map(&value, PURPOSE)?;
                    let mut out = entries.clone();
                    for (field, t) in casts {
                        map_put(
                            &mut out,
                            field,
                            cast_value(None, &map_get(entries, field), *t)?,
                        );
                    }
                    Value::Map(out)
                }
            };
            return Ok(Some(self.side.put(record, None, updated)));
        };
        let updated_schema = self
            .cache
            .get_or_try_insert(&SchemaKey(schema.clone()), || build_schema(spec, &schema))?;
        let updated = match spec {
            Spec::Whole(t) => cast_value(Some(&schema), &value, *t)?,
            Spec::Fields(casts) => {
                let s = require_struct(&value, PURPOSE)?;
                let mut values = Vec::with_capacity(s.values.len());
                for f in &s.schema.fields {
                    let orig = field_value(s, f, true);
                    values.push(match casts.iter().find(|(n, _)| *n == f.name) {
                        Some((_, t)) => cast_value(Some(&f.schema), &orig, *t)?,
                        None => orig,
                    });
                }
                Value::Struct(Struct {
                    schema: updated_schema.clone(),
                    values,
                })
            }
        };
        Ok(Some(self.side.put(record, Some(updated_schema), updated)))
    }
}

fn build_schema(spec: &Spec, schema: &Schema) -> Result<SchemaRef, TransformError> {
    let mut builder = match spec {
        Spec::Whole(t) => copy_schema_basics(schema, Schema::new(*t)),
        Spec::Fields(casts) => {
            let mut b = copy_schema_basics(schema, Schema::struct_());
            for f in &schema.fields {
                match casts.iter().find(|(n, _)| *n == f.name) {
                    Some((_, t)) => {
                        let mut fb = Schema::new(*t);
                        fb.optional = f.schema.optional;
                        if let Some(d) = &f.schema.default {
                            fb.default = Some(cast_value(Some(&f.schema), d, *t)?);
                        }
                        b = b.field(&f.name, fb.build());
                    }
                    None => b = b.field(&f.name, f.schema.clone()),
                }
            }
            b
        }
    };
    builder.optional = schema.optional;
    if let Some(d) = &schema.default {
        builder.default = Some(cast_value(Some(schema), d, builder.kind)?);
    }
    Ok(builder.build())
}

/// Cast.castValueToType.
fn cast_value(
    schema: Option<&Schema>,
    value: &Value,
    target: Type,
) -> Result<Value, TransformError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.kind,
        None => match value {
            Value::Decimal(_) => {
                return Err(TransformError::Data(format!(
                    "Cast transformation was passed a value of type {} which is not supported by Connect's data API",
                    java_class_display(value)
                )))
            }
            v => v.inferred_type().unwrap_or(Type::Struct),
        },
    };
    if !INPUT_TYPES.contains(&inferred) {
        return Err(TransformError::Data(format!(
            "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES_TEXT}",
            inferred.java_name()
        )));
    }
    let out_of_range = || {
        TransformError::Data(format!(
            "Value ({}) was out of range for requested data type",
            display(value)
        ))
    };
    let unexpected = || {
        TransformError::Data(format!(
            "Unexpected type in Cast transformation: {}",
            java_class_display(value)
        ))
    };
    let as_long = || -> Option<i64> {
        Some(match value {
            Value::Int8(v) => i64::from(*v),
            Value::Int16(v) => i64::from(*v),
            Value::Int32(v) => i64::from(*v),
            Value::Int64(v) => *v,
            Value::Float32(v) => *v as i64,
            Value::Float64(v) => *v as i64,
            Value::Decimal(d) => big_decimal_to_i64(d),
            Value::Boolean(b) => i64::from(*b),
            _ => return None,
        })
    };
    let as_int = || -> Option<i32> {
        match value {
            // Float.intValue() is (int) f, which saturates at the int range.
            Value::Float32(v) => Some(*v as i32),
            Value::Float64(v) => Some(*v as i32),
            _ => as_long().map(|l| l as i32),
        }
    };
    let as_double = || -> Option<f64> {
        Some(match value {
            Value::Float32(v) => f64::from(*v),
            Value::Float64(v) => *v,
            Value::Decimal(d) => big_decimal_to_f64(d),
            Value::String(_) | Value::Bytes(_) => return None,
            _ => as_long()? as f64,
        })
    };
    Ok(match target {
        Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64 => {
            let n: i64 = match value {
                Value::String(s) => {
                    let parsed = crate::transforms::support::config::parse_java_long(s)
                        .ok_or_else(out_of_range)?;
                    let fits = match target {
                        Type::Int8 => i8::try_from(parsed).is_ok(),
                        Type::Int16 => i16::try_from(parsed).is_ok(),
                        Type::Int32 => i32::try_from(parsed).is_ok(),
                        _ => true,
                    };
                    if !fits {
                        return Err(out_of_range());
                    }
                    parsed
                }
                _ if target == Type::Int64 => as_long().ok_or_else(unexpected)?,
                _ => i64::from(as_int().ok_or_else(unexpected)?),
            };
            match target {
                Type::Int8 => Value::Int8(n as i8),
                Type::Int16 => Value::Int16(n as i16),
                Type::Int32 => Value::Int32(n as i32),
                _ => Value::Int64(n),
            }
        }
        Type::Float32 => Value::Float32(match value {
            Value::String(s) => parse_java_float(s)
                .map(|lit| lit.to_f32())
                .ok_or_else(out_of_range)?,
            Value::Decimal(d) => big_decimal_to_string(d).parse::<f32>().unwrap_or(0.0),
            _ => as_double().ok_or_else(unexpected)? as f32,
        }),
        Type::Float64 => Value::Float64(match value {
            Value::String(s) => parse_java_float(s)
                .map(|lit| lit.to_f64())
                .ok_or_else(out_of_range)?,
            _ => as_double().ok_or_else(unexpected)?,
        }),
        Type::Boolean => Value::Boolean(match value {
            Value::Boolean(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => as_long().ok_or_else(unexpected)? != 0,
        }),
        Type::String => Value::String(cast_to_string(schema, value)),
        other => {
            return Err(TransformError::Data(format!(
                "{} is not supported in the Cast transformation.",
                other.java_name()
            )))
        }
    })
}

/// Cast.castToString: logical dates via Values.dateFormatFor, bytes as base64, else toString.
fn cast_to_string(schema: Option<&Schema>, value: &Value) -> String {
    let logical = schema.and_then(|s| s.name.as_deref());
    match (logical, value) {
        (Some(DATE), Value::Int32(days)) => format_java_date(i64::from(*days) * 86_400_000),
        (Some(TIME), Value::Int32(ms)) => format_java_date(i64::from(*ms)),
        (Some(TIMESTAMP), Value::Int64(ms)) => format_java_date(*ms),
        _ => display(value),
    }
}

/// Java's `String.valueOf(value)` for the primitive values Cast handles.
fn display(value: &Value) -> String {
    match value {
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => float_to_string(*v),
        Value::Float64(v) => double_to_string(*v),
        Value::Boolean(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Decimal(d) => big_decimal_to_string(d),
        Value::Null => "null".to_string(),
        other => format!("{other:?}"),
    }
}

/// A floating-point literal accepted by Double.parseDouble / Float.parseFloat.
enum FloatLiteral {
    NaN,
    Infinite(bool),
    Finite(String),
}

impl FloatLiteral {
    fn to_f64(&self) -> f64 {
        match self {
            FloatLiteral::NaN => f64::NAN,
            FloatLiteral::Infinite(neg) => {
                if *neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            FloatLiteral::Finite(s) => s.parse().unwrap_or(0.0),
        }
    }
    fn to_f32(&self) -> f32 {
        match self {
            FloatLiteral::NaN => f32::NAN,
            FloatLiteral::Infinite(neg) => {
                if *neg {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                }
            }
            FloatLiteral::Finite(s) => s.parse().unwrap_or(0.0),
        }
    }
}

/// Java's float grammar: trimmed, optional sign, `NaN`/`Infinity` spelled out, decimal digits
/// with an optional exponent and an optional f/F/d/D suffix (hex floats are not accepted).
fn parse_java_float(s: &str) -> Option<FloatLiteral> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match body {
        "NaN" => return Some(FloatLiteral::NaN),
        "Infinity" => return Some(FloatLiteral::Infinite(negative)),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    let sign = if negative { "-" } else { "" };
    Some(FloatLiteral::Finite(format!("{sign}{body}")))
}

#[cfg(test)]
#[path = "cast_tests.rs"]
mod tests;
