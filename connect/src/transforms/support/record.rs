//! What every transform shares: the key/value side it operates on (Kafka's `$Key`/`$Value`
//! nested classes), `Requirements.require*`, `SchemaUtil.copySchemaBasics`, Struct access with
//! `replace.null.with.default`, schemaless map edits, and a small schema cache.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::data::{ConnectRecord, Field, Schema, SchemaRef, Struct, Value};
use crate::transforms::TransformError;

/// Which half of the record a `$Key` / `$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    pub fn schema(self, record: &ConnectRecord) -> Option<&SchemaRef> {
        match self {
            Side::Key => record.key_schema.as_ref(),
            Side::Value => record.value_schema.as_ref(),
        }
    }

    pub fn value(self, record: &ConnectRecord) -> &Value {
        match self {
            Side::Key => &record.key,
            Side::Value => &record.value,
        }
    }

    /// Takes the operating schema and value out of the record (leaving nulls).
    pub fn take(self, record: &mut ConnectRecord) -> (Option<SchemaRef>, Value) {
        match self {
            Side::Key => (
                record.key_schema.take(),
                std::mem::replace(&mut record.key, Value::Null),
            ),
            Side::Value => (
                record.value_schema.take(),
                std::mem::replace(&mut record.value, Value::Null),
            ),
        }
    }

    /// `newRecord(record, updatedSchema, updatedValue)`: everything else is kept.
    pub fn put(
        self,
        mut record: ConnectRecord,
        schema: Option<SchemaRef>,
        value: Value,
    ) -> ConnectRecord {
        match self {
            Side::Key => {
                record.key_schema = schema;
                record.key = value;
            }
            Side::Value => {
                record.value_schema = schema;
                record.value = value;
            }
        }
        record
    }

    /// The Java nested-class suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Side::Key => "$Key",
            Side::Value => "$Value",
        }
    }
}

/// `nullSafeClassName`, as printed in Requirements messages.
fn class_name(value: &Value) -> &'static str {
    value.java_class()
}

/// `value.getClass()` as printed by Java string concatenation: `class java.lang.String`.
pub fn java_class_display(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        v => format!("class {}", v.java_class()),
    }
}

/// Requirements.requireMap.
pub fn require_map<'v>(
    value: &'v Value,
    purpose: &str,
) -> Result<&'v Vec<(Value, Value)>, TransformError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(TransformError::Data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// Requirements.requireStruct.
pub fn require_struct<'v>(value: &'v Value, purpose: &str) -> Result<&'v Struct, TransformError> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(TransformError::Data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            class_name(other)
        ))),
    }
}

/// Requirements.requireStructOrNull.
pub fn require_struct_or_null<'v>(
    value: &'v Value,
    purpose: &str,
) -> Result<Option<&'v Struct>, TransformError> {
    match value {
        Value::Null => Ok(None),
        v => require_struct(v, purpose).map(Some),
    }
}

/// Requirements.requireSchema.
pub fn require_schema<'s>(
    schema: Option<&'s SchemaRef>,
    purpose: &str,
) -> Result<&'s SchemaRef, TransformError> {
    schema.ok_or_else(|| TransformError::Data(format!("Schema required for [{purpose}]")))
}

/// SchemaUtil.copySchemaBasics: name, version, doc and parameters (not optionality, not the
/// default) onto `builder`.
pub fn copy_schema_basics(source: &Schema, mut builder: Schema) -> Schema {
    builder.name = source.name.clone();
    builder.version = source.version;
    builder.doc = source.doc.clone();
    if source.parameters.is_some() {
        builder.parameters = source.parameters.clone();
    }
    builder
}

/// SchemaUtil.copySchemaBasics(source): same type, array items kept (map keys/values too, where
/// Kafka would lose them); struct fields are not copied, as in Kafka.
pub fn copy_schema_basics_same_type(source: &Schema) -> Schema {
    let mut builder = Schema::new(source.kind);
    builder.items = source.items.clone();
    builder.keys = source.keys.clone();
    builder.values = source.values.clone();
    copy_schema_basics(source, builder)
}

/// `SchemaBuilder.field`, which refuses a second field of the same name.
pub fn add_field(builder: Schema, name: &str, schema: SchemaRef) -> Result<Schema, TransformError> {
    if builder.field_named(name).is_some() {
        return Err(TransformError::Data(format!(
            "Cannot create field because of field name duplication {name}"
        )));
    }
    Ok(builder.field(name, schema))
}

/// `Struct.get(field)` (null replaced by the field default) or `getWithoutDefault`.
pub fn field_value(s: &Struct, field: &Field, with_default: bool) -> Value {
    let v = s.values.get(field.index).cloned().unwrap_or(Value::Null);
    if with_default && v.is_null() {
        if let Some(d) = &field.schema.default {
            return d.clone();
        }
    }
    v
}

/// `Struct.get(name)` by field name; None when the schema has no such field.
pub fn field_value_by_name(s: &Struct, name: &str, with_default: bool) -> Option<Value> {
    s.schema
        .field_named(name)
        .map(|f| field_value(s, f, with_default))
}

/// Builds a Struct of `schema` from values in field order, checking what Kafka's
/// `Struct.put` checks that matters here: a null needs an optional field or a default.
pub fn build_struct(schema: SchemaRef, values: Vec<Value>) -> Result<Struct, TransformError> {
    for (f, v) in schema.fields.iter().zip(values.iter()) {
        check_null(&f.name, &f.schema, v)?;
    }
    let mut values = values;
    values.resize(schema.fields.len(), Value::Null);
    Ok(Struct { schema, values })
}

/// ConnectSchema.validateValue for nulls.
pub fn check_null(name: &str, schema: &Schema, v: &Value) -> Result<(), TransformError> {
    if v.is_null() && !schema.optional && schema.default.is_none() {
        return Err(TransformError::Data(format!(
            "Invalid value: null used for required field: \"{name}\", schema type: {}",
            schema.kind.java_name()
        )));
    }
    Ok(())
}

/// `map.put(key, value)` on a schemaless map: replaces in place or appends.
pub fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        slot.1 = value;
    } else {
        entries.push((Value::String(key.to_string()), value));
    }
}

/// `map.get(key)` on a schemaless map, Java null when absent.
pub fn map_get(entries: &[(Value, Value)], key: &str) -> Value {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v.clone())
        .unwrap_or(Value::Null)
}

/// `map.remove(key)`.
pub fn map_remove(entries: &mut Vec<(Value, Value)>, key: &str) {
    entries.retain(|(k, _)| k.as_str() != Some(key));
}

/// A map key as Java's `String` view of it (keys of schemaless maps are strings in practice).
pub fn map_key_string(key: &Value) -> Option<&str> {
    key.as_str()
}

/// Kafka's `SynchronizedCache<>(new LRUCache<>(16))` from an input schema to the schema built
/// from it. Returning the same `Arc` for the same input lets downstream converters cache too.
pub struct SchemaCache<K = SchemaRef> {
    entries: Mutex<Vec<(K, SchemaRef)>>,
    capacity: usize,
}

impl<K: PartialEq + Clone> SchemaCache<K> {
    pub fn new(capacity: usize) -> SchemaCache<K> {
        SchemaCache {
            entries: Mutex::new(Vec::new()),
            capacity: capacity.max(1),
        }
    }

    pub fn get_or_try_insert<E>(
        &self,
        key: &K,
        build: impl FnOnce() -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E> {
        {
            let mut entries = self.entries.lock();
            if let Some(i) = entries.iter().position(|(k, _)| k == key) {
                let entry = entries.remove(i);
                let schema = entry.1.clone();
                entries.push(entry);
                return Ok(schema);
            }
        }
        let built = build()?;
        let mut entries = self.entries.lock();
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push((key.clone(), built.clone()));
        Ok(built)
    }
}

impl<K: PartialEq + Clone> Default for SchemaCache<K> {
    fn default() -> Self {
        SchemaCache::new(16)
    }
}

/// A schema key compared by pointer first (cheap hit), then structurally.
#[derive(Clone, Debug)]
pub struct SchemaKey(pub SchemaRef);

impl PartialEq for SchemaKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

pub fn not_configured(what: &str) -> TransformError {
    TransformError::Data(format!("{what} has not been configured"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Type};

    #[test]
    fn requirements_name_the_java_class() {
        let e = require_map(&Value::Int32(1), "flattening").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only Map objects supported in absence of schema for [flattening], found: java.lang.Integer"
        );
        let e = require_struct(&Value::Null, "cast types").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only Struct objects supported for [cast types], found: null"
        );
    }

    #[test]
    fn defaults_and_null_checks() {
        let schema = Schema::struct_()
            .field(
                "a",
                Schema::new(Type::Int32)
                    .default_value(Value::Int32(7))
                    .build(),
            )
            .field("b", schemas::int32())
            .build();
        let s = Struct::new(schema.clone());
        assert_eq!(field_value(&s, &schema.fields[0], true), Value::Int32(7));
        assert_eq!(field_value(&s, &schema.fields[0], false), Value::Null);
        let e = build_struct(schema, vec![Value::Null, Value::Null]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value: null used for required field: \"b\", schema type: INT32"
        );
    }

    #[test]
    fn cache_returns_the_same_arc() {
        let cache: SchemaCache<SchemaKey> = SchemaCache::new(2);
        let input = schemas::string();
        let a = cache
            .get_or_try_insert::<()>(&SchemaKey(input.clone()), || Ok(schemas::int32()))
            .unwrap();
        let b = cache
            .get_or_try_insert::<()>(&SchemaKey(schemas::string()), || Ok(schemas::int64()))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
