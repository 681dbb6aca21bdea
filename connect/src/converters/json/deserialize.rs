//! JSON tree to Connect schema and value, as JsonConverter.asConnectSchema / convertToConnect
//! do, including Jackson's lenient coercions (`intValue()` of a string is 0, `textValue()` of a
//! number is null) and the Struct.put validation that follows them.

use std::collections::HashMap;
use std::sync::Arc;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use bigdecimal::{BigDecimal, Zero};
use indexmap::IndexMap;
use num_bigint::{BigInt, Sign};

use super::node::{Node, Number};
use super::serialize::decimal_scale;
use super::JsonConfig;
use crate::converters::{java, ConverterError};
use crate::data::schema::{DATE, DECIMAL, TIME, TIMESTAMP};
use crate::data::{Schema, SchemaRef, Struct, Type, Value};

fn data_err(msg: impl Into<String>) -> ConverterError {
    ConverterError::Data(msg.into())
}

/// Jackson's default base64 variant on read: standard alphabet, padding required, whitespace
/// ignored, trailing bits not checked.
const BASE64_READ: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn binary_value(node: &Node) -> Result<Option<Vec<u8>>, ()> {
    match node {
        Node::Binary(b) => Ok(Some(b.clone())),
        Node::Text(s) => {
            let compact: String = s.chars().filter(|c| *c > ' ').collect();
            BASE64_READ.decode(compact).map(Some).map_err(|_| ())
        }
        _ => Ok(None),
    }
}

/// JsonNode.longValue(): Java narrowing for every number kind, 0 for non-numbers.
fn long_value(node: &Node) -> i64 {
    match node {
        Node::Number(Number::Int(v)) => i64::from(*v),
        Node::Number(Number::Long(v)) => *v,
        Node::Number(Number::BigInt(v)) => low_64_bits(v),
        Node::Number(Number::Float(f)) => *f as i64,
        Node::Number(Number::Double(d)) => *d as i64,
        Node::Number(Number::Decimal(d)) => decimal_long_value(d),
        _ => 0,
    }
}

/// JsonNode.intValue(): as longValue, then Java's `(int)` narrowing (except for doubles,
/// which saturate at the int range as Java's `(int) double` does).
fn int_value(node: &Node) -> i32 {
    match node {
        Node::Number(Number::Float(f)) => *f as i32,
        Node::Number(Number::Double(d)) => *d as i32,
        other => long_value(other) as i32,
    }
}

fn low_64_bits(v: &BigInt) -> i64 {
    let low = v.iter_u64_digits().next().unwrap_or(0);
    match v.sign() {
        Sign::Minus => low.wrapping_neg() as i64,
        _ => low as i64,
    }
}

/// BigDecimal.longValue(): truncate toward zero, keep the low 64 bits. Computed without ever
/// materialising huge powers of ten (inputs are bounded to 1000 digits by the parser).
fn decimal_long_value(d: &BigDecimal) -> i64 {
    let (unscaled, scale) = d.as_bigint_and_scale();
    if unscaled.is_zero() || scale <= -64 {
        return 0;
    }
    let digits = unscaled.magnitude().to_string().len() as i64;
    if scale >= digits {
        return 0;
    }
    let integer = if scale > 0 {
        &*unscaled / BigInt::from(10u8).pow(scale as u32)
    } else {
        &*unscaled * BigInt::from(10u8).pow((-scale) as u32)
    };
    low_64_bits(&integer)
}

fn double_value(node: &Node) -> f64 {
    match node {
        Node::Number(Number::Int(v)) => f64::from(*v),
        Node::Number(Number::Long(v)) => *v as f64,
        Node::Number(Number::BigInt(v)) => v.to_string().parse().unwrap_or(f64::NAN),
        Node::Number(Number::Float(f)) => f64::from(*f),
        Node::Number(Number::Double(d)) => *d,
        // BigDecimal has no negative zero; adding 0.0 turns -0.0 into 0.0.
        Node::Number(Number::Decimal(d)) => {
            java::decimal_float_text(d)
                .parse::<f64>()
                .unwrap_or(f64::NAN)
                + 0.0
        }
        _ => 0.0,
    }
}

fn float_value(node: &Node) -> f32 {
    match node {
        Node::Number(Number::Int(v)) => *v as f32,
        Node::Number(Number::Long(v)) => *v as f32,
        Node::Number(Number::BigInt(v)) => v.to_string().parse().unwrap_or(f32::NAN),
        Node::Number(Number::Float(f)) => *f,
        Node::Number(Number::Double(d)) => *d as f32,
        Node::Number(Number::Decimal(d)) => {
            java::decimal_float_text(d)
                .parse::<f32>()
                .unwrap_or(f32::NAN)
                + 0.0
        }
        _ => 0.0,
    }
}

fn decimal_value(n: &Number) -> BigDecimal {
    match n {
        Number::Int(v) => BigDecimal::from(*v),
        Number::Long(v) => BigDecimal::from(*v),
        Number::BigInt(v) => BigDecimal::new(v.clone(), 0),
        Number::Decimal(d) => d.clone(),
        Number::Float(f) => java::parse_big_decimal(&java::float_to_string(*f)).unwrap_or_default(),
        Number::Double(d) => {
            java::parse_big_decimal(&java::double_to_string(*d)).unwrap_or_default()
        }
    }
}

/// JsonConverter.asConnectSchema. `Ok(None)` for a JSON null schema. The recursive frame is
/// kept small (work done in helpers) so deeply nested schemas fit the stack.
pub fn node_to_schema(node: &Node, cfg: &JsonConfig) -> Result<Option<SchemaRef>, ConverterError> {
    if matches!(node, Node::Null) {
        return Ok(None);
    }
    let mut schema = Schema::new(schema_kind(node)?);
    match schema.kind {
        Type::Array => set_items(&mut schema, node, cfg)?,
        Type::Map => set_keys_and_values(&mut schema, node, cfg)?,
        Type::Struct => set_fields(&mut schema, node, cfg)?,
        _ => {}
    }
    set_metadata(&mut schema, node)?;
    if let Some(default_node) = node.get("default") {
        set_default(&mut schema, default_node, cfg)?;
    }
    Ok(Some(Arc::new(schema)))
}

fn schema_kind(node: &Node) -> Result<Type, ConverterError> {
    let Some(Node::Text(type_name)) = node.get("type") else {
        return Err(data_err("Schema must contain 'type' field"));
    };
    Type::from_json_name(type_name)
        .ok_or_else(|| data_err(format!("Unknown schema type: {type_name}")))
}

fn set_items(schema: &mut Schema, node: &Node, cfg: &JsonConfig) -> Result<(), ConverterError> {
    let items = match node.get("items") {
        None | Some(Node::Null) => None,
        Some(items) => node_to_schema(items, cfg)?,
    };
    schema.items =
        Some(items.ok_or_else(|| data_err("Array schema did not specify the element type"))?);
    Ok(())
}

fn set_keys_and_values(
    schema: &mut Schema,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<(), ConverterError> {
    let keys = node
        .get("keys")
        .ok_or_else(|| data_err("Map schema did not specify the key type"))?;
    let values = node
        .get("values")
        .ok_or_else(|| data_err("Map schema did not specify the value type"))?;
    let keys = node_to_schema(keys, cfg)?;
    let values = node_to_schema(values, cfg)?;
    schema.keys = Some(keys.ok_or_else(|| data_err("keySchema cannot be null."))?);
    schema.values = Some(values.ok_or_else(|| data_err("valueSchema cannot be null."))?);
    Ok(())
}

fn set_fields(schema: &mut Schema, node: &Node, cfg: &JsonConfig) -> Result<(), ConverterError> {
    let Some(Node::Array(fields)) = node.get("fields") else {
        return Err(data_err(
            "Struct schema's \"fields\" argument is not an array.",
        ));
    };
    let mut names = std::collections::HashSet::with_capacity(fields.len());
    for field in fields {
        let Some(Node::Text(name)) = field.get("field") else {
            return Err(data_err(
                "Struct schema's field name not specified properly",
            ));
        };
        let field_schema = node_to_schema(field, cfg)?
            .ok_or_else(|| data_err(format!("fieldSchema for field {name} cannot be null.")))?;
        if name.is_empty() {
            return Err(data_err("fieldName cannot be null."));
        }
        if !names.insert(name.as_str()) {
            return Err(data_err(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        let index = schema.fields.len();
        schema.fields.push(crate::data::Field {
            name: name.clone(),
            index,
            schema: field_schema,
        });
    }
    Ok(())
}

/// `optional` (only a JSON `true` counts), `name`, `version` (integral), `doc`, `parameters`.
fn set_metadata(schema: &mut Schema, node: &Node) -> Result<(), ConverterError> {
    schema.optional = matches!(node.get("optional"), Some(Node::Bool(true)));
    if let Some(Node::Text(name)) = node.get("name") {
        schema.name = Some(name.clone());
    }
    if let Some(v @ Node::Number(Number::Int(_) | Number::Long(_) | Number::BigInt(_))) =
        node.get("version")
    {
        schema.version = Some(int_value(v));
    }
    if let Some(Node::Text(doc)) = node.get("doc") {
        schema.doc = Some(doc.clone());
    }
    if let Some(Node::Object(params)) = node.get("parameters") {
        let mut out = IndexMap::with_capacity(params.len());
        for (k, v) in params {
            let Node::Text(v) = v else {
                return Err(data_err("Schema parameters must have string values."));
            };
            out.insert(k.clone(), v.clone());
        }
        schema.parameters = Some(out);
    }
    Ok(())
}

fn set_default(schema: &mut Schema, node: &Node, cfg: &JsonConfig) -> Result<(), ConverterError> {
    let without_default: SchemaRef = Arc::new(schema.clone());
    let default = node_to_value(Some(&without_default), Some(node), cfg)?;
    // SchemaBuilder.defaultValue validates against the builder itself; a Struct's schema never
    // equals a SchemaBuilder, so struct defaults always fail in Kafka.
    if matches!(default, Value::Struct(_)) || validate(&without_default, &default, "value").is_err()
    {
        return Err(data_err("Invalid default value"));
    }
    if !default.is_null() {
        schema.default = Some(default);
    }
    Ok(())
}

/// ConnectSchema.validateValue, limited to what JSON conversion can get wrong: nulls in
/// required positions (types always match because the conversion coerces).
fn validate(schema: &Schema, value: &Value, location: &str) -> Result<(), ConverterError> {
    match value {
        Value::Null if !schema.optional => Err(data_err(format!(
            "Invalid value: null used for required {location}, schema type: {}",
            schema.kind.java_name()
        ))),
        Value::Array(items) => {
            let loc = format!("element of array {location}");
            let Some(item_schema) = schema.items.as_deref() else {
                return Err(data_err(format!("No schema defined for {loc}")));
            };
            items
                .iter()
                .try_for_each(|v| validate(item_schema, v, &loc))
        }
        Value::Map(entries) => {
            let (kl, vl) = (
                format!("key of map {location}"),
                format!("value of map {location}"),
            );
            let ks = schema
                .keys
                .as_deref()
                .ok_or_else(|| data_err(format!("No schema defined for {kl}")))?;
            let vs = schema
                .values
                .as_deref()
                .ok_or_else(|| data_err(format!("No schema defined for {vl}")))?;
            entries
                .iter()
                .try_for_each(|(k, v)| validate(ks, k, &kl).and_then(|_| validate(vs, v, &vl)))
        }
        _ => Ok(()),
    }
}

fn logical_to_value(
    schema: &Schema,
    name: &str,
    node: &Node,
) -> Option<Result<Value, ConverterError>> {
    let result = match name {
        DECIMAL => match node {
            Node::Number(n) => Ok(Value::Decimal(decimal_value(n))),
            Node::Text(_) | Node::Binary(_) => {
                let bytes = binary_value(node).ok().flatten().filter(|b| !b.is_empty());
                match (bytes, decimal_scale(schema)) {
                    (Some(b), Ok(scale)) => Ok(Value::Decimal(BigDecimal::new(
                        BigInt::from_signed_bytes_be(&b),
                        i64::from(scale),
                    ))),
                    _ => Err(data_err("Invalid bytes for Decimal field")),
                }
            }
            other => Err(data_err(format!(
                "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                other.node_type()
            ))),
        },
        DATE | TIME => match node {
            Node::Number(Number::Int(v)) => {
                if name == TIME && (*v < 0 || i64::from(*v) > java::MILLIS_PER_DAY) {
                    Err(data_err("Time values must use number of milliseconds greater than 0 and less than 86400000"))
                } else {
                    Ok(Value::Int32(*v))
                }
            }
            other => Err(data_err(format!(
                "Invalid type for {}, underlying representation should be integer but was {}",
                if name == DATE { "Date" } else { "Time" },
                other.node_type()
            ))),
        },
        TIMESTAMP => match node {
            Node::Number(Number::Int(_) | Number::Long(_) | Number::BigInt(_)) => {
                Ok(Value::Int64(long_value(node)))
            }
            other => Err(data_err(format!(
                "Invalid type for Timestamp, underlying representation should be integral but was {}",
                other.node_type()
            ))),
        },
        _ => return None,
    };
    Some(result)
}

/// JsonConverter.convertToConnect. `node` None is a missing field (Java null).
///
/// The recursion (arrays, maps, structs) is kept to plain loops in small frames so that the
/// parser's 1000-level nesting limit fits in a 2 MiB thread stack even in debug builds.
pub fn node_to_value(
    schema: Option<&SchemaRef>,
    node: Option<&Node>,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let kind = match schema {
        Some(schema) => {
            let Some(node) = node.filter(|n| !matches!(n, Node::Null)) else {
                return null_value(schema, cfg);
            };
            if let Some(name) = schema.name.as_deref() {
                if let Some(result) = logical_to_value(schema, name, node) {
                    return result;
                }
            }
            schema.kind
        }
        None => match node {
            None | Some(Node::Null) => return Ok(Value::Null),
            Some(n) => inferred_kind(n)?,
        },
    };
    let node = node.unwrap_or(&Node::Null);
    match kind {
        Type::Array => node_to_array(schema, node, cfg),
        Type::Map => node_to_map(schema, node, cfg),
        Type::Struct => node_to_struct(schema, node, cfg),
        primitive => primitive_value(primitive, node),
    }
}

/// A null or missing node: the default (replace.null.with.default), null, or Kafka's error.
fn null_value(schema: &Schema, cfg: &JsonConfig) -> Result<Value, ConverterError> {
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        if cfg.replace_null_with_default {
            return Ok(default.clone());
        }
    }
    if schema.optional {
        return Ok(Value::Null);
    }
    Err(data_err(format!(
        "Invalid null value for required {} field",
        schema.kind.java_name()
    )))
}

/// Schemaless inference: integral numbers are INT64, other numbers FLOAT64, objects MAP.
fn inferred_kind(node: &Node) -> Result<Type, ConverterError> {
    Ok(match node {
        Node::Bool(_) => Type::Boolean,
        Node::Number(Number::Int(_) | Number::Long(_) | Number::BigInt(_)) => Type::Int64,
        Node::Number(_) => Type::Float64,
        Node::Array(_) => Type::Array,
        Node::Object(_) => Type::Map,
        Node::Text(_) | Node::Null => Type::String,
        Node::Binary(_) => return Err(data_err("Unknown schema type: null")),
    })
}

fn primitive_value(kind: Type, node: &Node) -> Result<Value, ConverterError> {
    Ok(match kind {
        Type::Boolean => Value::Boolean(matches!(node, Node::Bool(true))),
        Type::Int8 => Value::Int8(int_value(node) as i8),
        Type::Int16 => Value::Int16(int_value(node) as i16),
        Type::Int32 => Value::Int32(int_value(node)),
        Type::Int64 => Value::Int64(long_value(node)),
        Type::Float32 => Value::Float32(float_value(node)),
        Type::Float64 => Value::Float64(double_value(node)),
        Type::Bytes => match binary_value(node) {
            Ok(Some(b)) => Value::Bytes(b),
            Ok(None) => Value::Null,
            Err(()) => return Err(data_err("Invalid bytes field")),
        },
        Type::String => match node {
            Node::Text(s) => Value::String(s.clone()),
            _ => Value::Null,
        },
        Type::Array | Type::Map | Type::Struct => Value::Null,
    })
}

/// Jackson iterates an object's values and nothing for scalars.
fn node_to_array(
    schema: Option<&SchemaRef>,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let item_schema = schema.and_then(|s| s.items.as_ref());
    let mut values = Vec::new();
    match node {
        Node::Array(items) => {
            values.reserve(items.len());
            for item in items {
                values.push(node_to_value(item_schema, Some(item), cfg)?);
            }
        }
        Node::Object(map) => {
            for item in map.values() {
                values.push(node_to_value(item_schema, Some(item), cfg)?);
            }
        }
        _ => {}
    }
    Ok(Value::Array(values))
}

fn node_to_struct(
    schema: Option<&SchemaRef>,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let Some(schema) = schema else {
        return Err(data_err("Unknown schema type: STRUCT"));
    };
    let Node::Object(_) = node else {
        return Err(data_err(format!(
            "Structs should be encoded as JSON objects, but found {}",
            node.node_type()
        )));
    };
    let mut result = Struct::new(schema.clone());
    for field in &schema.fields {
        let v = node_to_value(Some(&field.schema), node.get(&field.name), cfg)?;
        if matches!(v, Value::Null | Value::Array(_) | Value::Map(_)) {
            validate(&field.schema, &v, &format!("field: \"{}\"", field.name))?;
        }
        if let Some(slot) = result.values.get_mut(field.index) {
            *slot = v;
        }
    }
    Ok(Value::Struct(result))
}

fn node_to_map(
    schema: Option<&SchemaRef>,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let key_schema = schema.and_then(|s| s.keys.as_ref());
    let value_schema = schema.and_then(|s| s.values.as_ref());
    if key_schema.is_none_or(|k| k.kind == Type::String) {
        object_to_map(value_schema, node, cfg)
    } else {
        pairs_to_map(key_schema, value_schema, node, cfg)
    }
}

fn object_to_map(
    value_schema: Option<&SchemaRef>,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let Node::Object(map) = node else {
        return Err(data_err(format!(
            "Maps with string fields should be encoded as JSON objects, but found {}",
            node.node_type()
        )));
    };
    let mut entries = Vec::with_capacity(map.len());
    for (k, v) in map {
        let value = node_to_value(value_schema, Some(v), cfg)?;
        entries.push((Value::String(k.clone()), value));
    }
    Ok(Value::Map(entries))
}

/// Kafka collects into a HashMap: a repeated key keeps its first position, last value wins.
fn pairs_to_map(
    key_schema: Option<&SchemaRef>,
    value_schema: Option<&SchemaRef>,
    node: &Node,
    cfg: &JsonConfig,
) -> Result<Value, ConverterError> {
    let Node::Array(pairs) = node else {
        return Err(data_err(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            node.node_type()
        )));
    };
    let mut entries: Vec<(Value, Value)> = Vec::with_capacity(pairs.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for pair in pairs {
        let (key, value) = pair_entry(key_schema, value_schema, pair, cfg)?;
        let slot = *seen.entry(format!("{key:?}")).or_insert(entries.len());
        match entries.get_mut(slot) {
            Some(existing) => existing.1 = value,
            None => entries.push((key, value)),
        }
    }
    Ok(Value::Map(entries))
}

fn pair_entry(
    key_schema: Option<&SchemaRef>,
    value_schema: Option<&SchemaRef>,
    pair: &Node,
    cfg: &JsonConfig,
) -> Result<(Value, Value), ConverterError> {
    let Node::Array(kv) = pair else {
        return Err(data_err(format!(
            "Found invalid map entry instead of array tuple: {}",
            pair.node_type()
        )));
    };
    let [k, v] = kv.as_slice() else {
        return Err(data_err(format!(
            "Found invalid map entry, expected length 2 but found :{}",
            kv.len()
        )));
    };
    let key = node_to_value(key_schema, Some(k), cfg)?;
    let value = node_to_value(value_schema, Some(v), cfg)?;
    Ok((key, value))
}
