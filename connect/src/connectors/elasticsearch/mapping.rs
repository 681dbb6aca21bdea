//! Confluent's Mapping: an index mapping built from the record value's Connect schema, sent
//! with `PUT /<index>/_mapping` when the index has no mapping yet and schemas are not ignored.

use serde_json::{json, Map, Value as Json};

use crate::data::schema::{DATE, DECIMAL, TIME, TIMESTAMP};
use crate::data::{Schema, Type, Value};

/// The mapping body for a value schema. Errors are DataException messages.
pub fn build_mapping(schema: Option<&Schema>) -> Result<Json, String> {
    let Some(schema) = schema else {
        return Err("Cannot infer mapping without schema.".into());
    };
    infer(schema)
}

fn infer(schema: &Schema) -> Result<Json, String> {
    match schema.name.as_deref() {
        Some(DECIMAL) => return Ok(with_null_value(json!({"type": "double"}), schema)),
        Some(DATE | TIME | TIMESTAMP) => {
            return Ok(with_null_value(json!({"type": "date"}), schema))
        }
        _ => {}
    }
    match schema.kind {
        Type::Struct => {
            let mut props = Map::new();
            for f in &schema.fields {
                props.insert(f.name.clone(), infer(&f.schema)?);
            }
            Ok(json!({ "properties": props }))
        }
        Type::Array => match &schema.items {
            Some(items) => infer(items),
            None => Err("Array schema without an element schema.".into()),
        },
        Type::Map => {
            let k = match &schema.keys {
                Some(k) => infer(k)?,
                None => return Err("Map schema without a key schema.".into()),
            };
            let v = match &schema.values {
                Some(v) => infer(v)?,
                None => return Err("Map schema without a value schema.".into()),
            };
            Ok(json!({"properties": {"key": k, "value": v}}))
        }
        Type::String => Ok(json!({
            "type": "text",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}
        })),
        t => {
            let es = match t {
                Type::Int8 => "byte",
                Type::Int16 => "short",
                Type::Int32 => "integer",
                Type::Int64 => "long",
                Type::Float32 => "float",
                Type::Float64 => "double",
                Type::Boolean => "boolean",
                _ => "binary",
            };
            Ok(with_null_value(json!({ "type": es }), schema))
        }
    }
}

/// Schema defaults become `null_value` (numbers, booleans, dates).
fn with_null_value(mut m: Json, schema: &Schema) -> Json {
    let v = match &schema.default {
        Some(Value::Int8(n)) => json!(n),
        Some(Value::Int16(n)) => json!(n),
        Some(Value::Int32(n)) => json!(n),
        Some(Value::Int64(n)) => json!(n),
        Some(Value::Float32(n)) => json!(n),
        Some(Value::Float64(n)) => json!(n),
        Some(Value::Boolean(b)) => json!(b),
        Some(Value::Decimal(d)) => json!(d.to_string().parse::<f64>().unwrap_or(0.0)),
        _ => return m,
    };
    if let Json::Object(o) = &mut m {
        o.insert("null_value".into(), v);
    }
    m
}

/// Whether a `GET /<index>/_mapping` answer shows a mapping with properties.
pub fn has_mapping(index: &str, body: &Json) -> bool {
    let m = body
        .get(index)
        .or_else(|| body.as_object().and_then(|o| o.values().next()))
        .and_then(|i| i.get("mappings"));
    match m {
        Some(Json::Object(o)) => o
            .get("properties")
            .and_then(|p| p.as_object())
            .is_some_and(|p| !p.is_empty()),
        _ => false,
    }
}
