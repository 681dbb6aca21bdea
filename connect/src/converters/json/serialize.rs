//! Connect schema and value to a JSON tree, as JsonConverter.asJsonSchema / convertToJson do:
//! schema keys in Kafka's order, logical types first, null handling with defaults, and
//! Kafka's DataException messages for type mismatches.

use indexmap::IndexMap;

use super::node::{write_string, Node, Number};
use super::{DecimalFormat, JsonConfig};
use crate::converters::java;
use crate::converters::ConverterError;
use crate::data::schema::{DATE, DECIMAL, DECIMAL_SCALE, TIME, TIMESTAMP};
use crate::data::{Schema, Struct, Type, Value};

fn data_err(msg: impl Into<String>) -> ConverterError {
    ConverterError::Data(msg.into())
}

/// JsonConverter.asJsonSchema: `type`, then `items` | `keys`,`values` | `fields`, then
/// `optional`, `name`, `version`, `doc`, `parameters`, `default`.
pub fn schema_to_node(schema: &Schema, cfg: &JsonConfig) -> Result<Node, ConverterError> {
    let mut obj = IndexMap::new();
    obj.insert(
        "type".to_string(),
        Node::Text(schema.kind.json_name().to_string()),
    );
    match schema.kind {
        Type::Array => {
            let items = child_schema(schema.items.as_deref(), cfg)?;
            obj.insert("items".to_string(), items);
        }
        Type::Map => {
            let keys = child_schema(schema.keys.as_deref(), cfg)?;
            obj.insert("keys".to_string(), keys);
            let values = child_schema(schema.values.as_deref(), cfg)?;
            obj.insert("values".to_string(), values);
        }
        Type::Struct => {
            let fields = fields_to_node(schema, cfg)?;
            obj.insert("fields".to_string(), fields);
        }
        _ => {}
    }
    metadata_to_node(schema, &mut obj, cfg)?;
    Ok(Node::Object(obj))
}

/// A missing child schema is written as JSON null, as Jackson does for a Java null.
fn child_schema(schema: Option<&Schema>, cfg: &JsonConfig) -> Result<Node, ConverterError> {
    match schema {
        Some(s) => schema_to_node(s, cfg),
        None => Ok(Node::Null),
    }
}

/// Each field's schema object gets `"field":"<name>"` appended last.
fn fields_to_node(schema: &Schema, cfg: &JsonConfig) -> Result<Node, ConverterError> {
    let mut fields = Vec::with_capacity(schema.fields.len());
    for field in &schema.fields {
        let mut node = schema_to_node(&field.schema, cfg)?;
        if let Node::Object(map) = &mut node {
            map.insert("field".to_string(), Node::Text(field.name.clone()));
        }
        fields.push(node);
    }
    Ok(Node::Array(fields))
}

fn metadata_to_node(
    schema: &Schema,
    obj: &mut IndexMap<String, Node>,
    cfg: &JsonConfig,
) -> Result<(), ConverterError> {
    obj.insert("optional".to_string(), Node::Bool(schema.optional));
    if let Some(name) = &schema.name {
        obj.insert("name".to_string(), Node::Text(name.clone()));
    }
    if let Some(version) = schema.version {
        obj.insert("version".to_string(), Node::Number(Number::Int(version)));
    }
    if let Some(doc) = &schema.doc {
        obj.insert("doc".to_string(), Node::Text(doc.clone()));
    }
    if let Some(params) = &schema.parameters {
        let params = params
            .iter()
            .map(|(k, v)| (k.clone(), Node::Text(v.clone())))
            .collect();
        obj.insert("parameters".to_string(), Node::Object(params));
    }
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        let default = value_to_node(Some(schema), default, cfg)?;
        obj.insert("default".to_string(), default);
    }
    Ok(())
}

fn invalid_type(schema: Option<&Schema>, value: &Value) -> ConverterError {
    let kind = schema.map_or("unknown schema", |s| s.kind.java_name());
    data_err(format!(
        "Invalid type for {kind}: {}",
        java::class_of(value)
    ))
}

/// The scale parameter of a Decimal schema, with Kafka's messages when it is missing or bad.
pub fn decimal_scale(schema: &Schema) -> Result<i32, ConverterError> {
    let scale = schema
        .parameters
        .as_ref()
        .and_then(|p| p.get(DECIMAL_SCALE))
        .ok_or_else(|| data_err("Invalid Decimal schema: scale parameter not found."))?;
    scale
        .parse()
        .map_err(|_| data_err("Invalid scale parameter found in Decimal schema: "))
}

/// Logical conversions, keyed by schema name (Kafka looks them up before the physical type).
/// Sluice carries Date/Time as Int32 and Timestamp as Int64, so those are the accepted values.
fn logical_to_node(
    schema: &Schema,
    name: &str,
    value: &Value,
    cfg: &JsonConfig,
) -> Option<Result<Node, ConverterError>> {
    let result = match name {
        DECIMAL => match value {
            Value::Decimal(d) => match cfg.decimal_format {
                DecimalFormat::Numeric => Ok(Node::Number(Number::Decimal(d.clone()))),
                DecimalFormat::Base64 => decimal_scale(schema).and_then(|scale| {
                    let (unscaled, value_scale) = d.as_bigint_and_scale();
                    if value_scale != i64::from(scale) {
                        return Err(data_err(format!(
                            "Decimal value has mismatching scale for given Decimal schema. \
                             Schema has scale {scale}, value has scale {value_scale}."
                        )));
                    }
                    Ok(Node::Binary(unscaled.to_signed_bytes_be()))
                }),
            },
            other => Err(data_err(format!(
                "Invalid type for Decimal, expected BigDecimal but was {}",
                java::class_of(other)
            ))),
        },
        DATE => match value {
            Value::Int32(days) => Ok(Node::Number(Number::Int(*days))),
            other => Err(data_err(format!(
                "Invalid type for Date, expected Date but was {}",
                java::class_of(other)
            ))),
        },
        TIME => match value {
            Value::Int32(ms) if *ms < 0 || i64::from(*ms) > java::MILLIS_PER_DAY => Err(data_err(
                "Kafka Connect Time type should not have any date fields set to non-zero values.",
            )),
            Value::Int32(ms) => Ok(Node::Number(Number::Int(*ms))),
            other => Err(data_err(format!(
                "Invalid type for Time, expected Date but was {}",
                java::class_of(other)
            ))),
        },
        TIMESTAMP => match value {
            Value::Int64(ms) => Ok(Node::Number(Number::Long(*ms))),
            other => Err(data_err(format!(
                "Invalid type for Timestamp, expected Date but was {}",
                java::class_of(other)
            ))),
        },
        _ => return None,
    };
    Some(result)
}

/// JsonConverter.convertToJson. A null value with no schema is JSON null here (Kafka returns
/// Java null, which every caller turns into a NullNode). Recursion goes through small frames
/// (plain loops, errors built in helpers) so deep values fit a 2 MiB stack in debug builds.
pub fn value_to_node(
    schema: Option<&Schema>,
    value: &Value,
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    if value.is_null() {
        return null_to_node(schema, cfg);
    }
    if let Some(schema) = schema {
        if let Some(name) = schema.name.as_deref() {
            if let Some(result) = logical_to_node(schema, name, value, cfg) {
                return result;
            }
        }
    }
    let kind = match schema {
        Some(s) => s.kind,
        None => schemaless_kind(value)?,
    };
    match (kind, value) {
        (Type::Array, Value::Array(items)) => array_to_node(schema, items, cfg),
        (Type::Map, Value::Map(entries)) => map_to_node(schema, entries, cfg),
        (Type::Struct, Value::Struct(s)) => struct_to_node(schema, s, cfg),
        _ => primitive_to_node(kind, schema, value),
    }
}

fn null_to_node(schema: Option<&Schema>, cfg: &JsonConfig) -> Result<Node, ConverterError> {
    let Some(schema) = schema else {
        return Ok(Node::Null);
    };
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        if cfg.replace_null_with_default {
            return value_to_node(Some(schema), default, cfg);
        }
    }
    if schema.optional {
        return Ok(Node::Null);
    }
    Err(data_err(
        "Conversion error: null value for field that is required and has no default value",
    ))
}

/// ConnectSchema.schemaType(value.getClass()); BigDecimal has no schemaless type in Kafka.
fn schemaless_kind(value: &Value) -> Result<Type, ConverterError> {
    match value {
        Value::Decimal(_) => Err(data_err(format!(
            "Java class {} does not have corresponding schema type.",
            java::class_of(value)
        ))),
        other => Ok(other.inferred_type().unwrap_or(Type::String)),
    }
}

fn primitive_to_node(
    kind: Type,
    schema: Option<&Schema>,
    value: &Value,
) -> Result<Node, ConverterError> {
    Ok(match (kind, value) {
        (Type::Int8, Value::Int8(v)) => Node::Number(Number::Int(i32::from(*v))),
        (Type::Int16, Value::Int16(v)) => Node::Number(Number::Int(i32::from(*v))),
        (Type::Int32, Value::Int32(v)) => Node::Number(Number::Int(*v)),
        (Type::Int64, Value::Int64(v)) => Node::Number(Number::Long(*v)),
        (Type::Float32, Value::Float32(v)) => Node::Number(Number::Float(*v)),
        (Type::Float64, Value::Float64(v)) => Node::Number(Number::Double(*v)),
        (Type::Boolean, Value::Boolean(v)) => Node::Bool(*v),
        (Type::String, Value::String(s)) => Node::Text(s.clone()),
        (Type::Bytes, Value::Bytes(b)) => Node::Binary(b.clone()),
        (Type::Bytes, other) => {
            return Err(data_err(format!(
                "Invalid type for bytes type: {}",
                java::class_of(other)
            )))
        }
        _ => return Err(invalid_type(schema, value)),
    })
}

fn array_to_node(
    schema: Option<&Schema>,
    items: &[Value],
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    let item_schema = schema.and_then(|s| s.items.as_deref());
    let mut nodes = Vec::with_capacity(items.len());
    for item in items {
        nodes.push(value_to_node(item_schema, item, cfg)?);
    }
    Ok(Node::Array(nodes))
}

/// Kafka requires the struct's own schema to equal the schema it is written with.
fn struct_to_node(
    schema: Option<&Schema>,
    value: &Struct,
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    let same = |sc: &&Schema| std::ptr::eq(&*value.schema, *sc) || *value.schema == **sc;
    let Some(schema) = schema.filter(same) else {
        return Err(data_err("Mismatching schema."));
    };
    let mut obj = IndexMap::with_capacity(schema.fields.len());
    for field in &schema.fields {
        let v = value.values.get(field.index).unwrap_or(&Value::Null);
        let node = value_to_node(Some(&field.schema), v, cfg)?;
        obj.insert(field.name.clone(), node);
    }
    Ok(Node::Object(obj))
}

/// String-keyed maps (by key schema, or schemaless with all-string keys) become objects; any
/// other map becomes an array of `[key, value]` pairs.
fn map_to_node(
    schema: Option<&Schema>,
    entries: &[(Value, Value)],
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    let key_schema = schema.and_then(|s| s.keys.as_deref());
    let value_schema = schema.and_then(|s| s.values.as_deref());
    let object_mode = match schema {
        None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
        Some(_) => key_schema.is_some_and(|k| k.kind == Type::String),
    };
    if object_mode {
        map_to_object(key_schema, value_schema, entries, cfg)
    } else {
        map_to_pairs(key_schema, value_schema, entries, cfg)
    }
}

/// Object mode: the key's JSON text (`asText()`), so a null key under an optional string
/// key schema becomes `"null"` as in Kafka.
fn map_to_object(
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    entries: &[(Value, Value)],
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    let mut obj = IndexMap::with_capacity(entries.len());
    for (k, v) in entries {
        let key = match value_to_node(key_schema, k, cfg)? {
            Node::Text(s) => s,
            Node::Null if key_schema.is_some() => "null".to_string(),
            Node::Null => return Err(data_err("Map keys may not be null")),
            other => String::from_utf8_lossy(&other.to_bytes()).into_owned(),
        };
        let value = value_to_node(value_schema, v, cfg)?;
        obj.insert(key, value);
    }
    Ok(Node::Object(obj))
}

fn map_to_pairs(
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    entries: &[(Value, Value)],
    cfg: &JsonConfig,
) -> Result<Node, ConverterError> {
    let mut pairs = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let key = value_to_node(key_schema, k, cfg)?;
        let value = value_to_node(value_schema, v, cfg)?;
        pairs.push(Node::Array(vec![key, value]));
    }
    Ok(Node::Array(pairs))
}

/// `value_to_node(schema, value, cfg)?.write(out)` without building the tree: structs, arrays
/// and scalars are written straight into `out` (the record path converts every field of every
/// record, and the tree's allocations dominated it). Maps, whose object mode may merge duplicate
/// keys as Jackson's ObjectNode does, and logical types go through the tree. On an error `out`
/// holds a partial document, which callers discard.
pub fn write_value(
    schema: Option<&Schema>,
    value: &Value,
    cfg: &JsonConfig,
    out: &mut Vec<u8>,
) -> Result<(), ConverterError> {
    if value.is_null() {
        null_to_node(schema, cfg)?.write(out);
        return Ok(());
    }
    if let Some(schema) = schema {
        if let Some(name) = schema.name.as_deref() {
            if let Some(result) = logical_to_node(schema, name, value, cfg) {
                result?.write(out);
                return Ok(());
            }
        }
    }
    let kind = match schema {
        Some(s) => s.kind,
        None => schemaless_kind(value)?,
    };
    match (kind, value) {
        (Type::Array, Value::Array(items)) => {
            let item_schema = schema.and_then(|s| s.items.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item_schema, item, cfg, out)?;
            }
            out.push(b']');
        }
        (Type::Map, Value::Map(entries)) => map_to_node(schema, entries, cfg)?.write(out),
        (Type::Struct, Value::Struct(st)) => write_struct(schema, st, cfg, out)?,
        _ => write_primitive(kind, schema, value, out)?,
    }
    Ok(())
}

fn write_struct(
    schema: Option<&Schema>,
    value: &Struct,
    cfg: &JsonConfig,
    out: &mut Vec<u8>,
) -> Result<(), ConverterError> {
    let same = |sc: &&Schema| std::ptr::eq(&*value.schema, *sc) || *value.schema == **sc;
    let Some(schema) = schema.filter(same) else {
        return Err(data_err("Mismatching schema."));
    };
    if has_duplicate_field_names(schema) {
        // The tree keeps Jackson's replace-in-place semantics for repeated names.
        struct_to_node(Some(schema), value, cfg)?.write(out);
        return Ok(());
    }
    out.push(b'{');
    for (i, field) in schema.fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(&field.name, out);
        out.push(b':');
        let v = value.values.get(field.index).unwrap_or(&Value::Null);
        write_value(Some(&field.schema), v, cfg, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// Field names are unique in any schema built through the schema builder; checked for the
/// (small) structs where it is cheap, so hand-made schemas keep the tree's semantics.
fn has_duplicate_field_names(schema: &Schema) -> bool {
    let f = &schema.fields;
    f.len() <= 32
        && f.iter()
            .enumerate()
            .any(|(i, a)| f[..i].iter().any(|b| b.name == a.name))
}

fn write_primitive(
    kind: Type,
    schema: Option<&Schema>,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ConverterError> {
    // Strings are written from the value; every other primitive's node owns no heap data.
    match (kind, value) {
        (Type::String, Value::String(s)) => write_string(s, out),
        _ => primitive_to_node(kind, schema, value)?.write(out),
    }
    Ok(())
}
