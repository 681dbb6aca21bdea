//! org.apache.kafka.connect.transforms.InsertField$Key / $Value: appends topic, partition,
//! offset (sink records only), timestamp and a static string to a Map or Struct. Field names
//! ending in `!` are required, `?` or nothing optional; the new struct schema is cached.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Schema, SchemaRef, Struct, Type, Value};
use crate::transforms::support::config::{config_error, invalid, Props};
use crate::transforms::support::record::{
    add_field, copy_schema_basics, field_value, map_put, not_configured, require_map,
    require_struct, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.InsertField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.InsertField$Value";
const PURPOSE: &str = "field insertion";

#[derive(Debug, Clone, PartialEq)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: Option<String>) -> Option<Spec> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            Spec {
                name: name.to_string(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            Spec {
                name: name.to_string(),
                optional: false,
            }
        } else {
            Spec {
                name: spec,
                optional: true,
            }
        })
    }
}

#[derive(Debug, Clone)]
struct Config {
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
}

pub struct InsertField {
    side: Side,
    config: Option<Config>,
    cache: SchemaCache<SchemaKey>,
}

impl InsertField {
    pub fn new(side: Side) -> InsertField {
        InsertField {
            side,
            config: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> InsertField {
        InsertField::new(Side::Key)
    }
    pub fn value() -> InsertField {
        InsertField::new(Side::Value)
    }
}

impl Transformation for InsertField {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let config = Config {
            topic: Spec::parse(p.string("topic.field")),
            partition: Spec::parse(p.string("partition.field")),
            offset: Spec::parse(p.string("offset.field")),
            timestamp: Spec::parse(p.string("timestamp.field")),
            static_field: Spec::parse(p.string("static.field")),
            static_value: p.string("static.value"),
            replace_null_with_default: p.boolean("replace.null.with.default", true)?,
        };
        if config.topic.is_none()
            && config.partition.is_none()
            && config.offset.is_none()
            && config.timestamp.is_none()
            && config.static_field.is_none()
        {
            return Err(invalid("topic.field", "No field insertion configured"));
        }
        if let (Some(field), None) = (&config.static_field, &config.static_value) {
            return Err(config_error(
                "static.value",
                "null",
                &format!("No value specified for static field: {}", field.name),
            ));
        }
        self.config = Some(config);
        Ok(())
    }

    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("InsertField"))?;
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        let offset = match &config.offset {
            Some(_) => Some(record.kafka_offset.ok_or_else(|| {
                TransformError::Data(format!(
                    "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
                ))
            })?),
            None => None,
        };
        let inserts = || -> Vec<(String, Value)> {
            let mut out = Vec::new();
            if let Some(f) = &config.topic {
                out.push((f.name.clone(), Value::String(record.topic.clone())));
            }
            if let (Some(f), Some(p)) = (&config.partition, record.kafka_partition) {
                out.push((f.name.clone(), Value::Int32(p)));
            }
            if let (Some(f), Some(o)) = (&config.offset, offset) {
                out.push((f.name.clone(), Value::Int64(o)));
            }
            if let (Some(f), Some(ts)) = (&config.timestamp, record.timestamp) {
                // Schemaless: a Long; with schema: a Timestamp (epoch millis in our model).
                out.push((f.name.clone(), Value::Int64(ts)));
            }
            if let (Some(f), Some(v)) = (&config.static_field, &config.static_value) {
                out.push((f.name.clone(), Value::String(v.clone())));
            }
            out
        };
        match self.side.schema(&record).cloned() {
            None => {
                let mut entries = require_map(self.side.value(&record), PURPOSE)?.clone();
                for (k, v) in inserts() {
                    map_put(&mut entries, &k, v);
                }
                Ok(Some(self.side.put(record, None, Value::Map(entries))))
            }
            Some(_) => {
                let value = require_struct(self.side.value(&record), PURPOSE)?;
                let schema = self
                    .cache
                    .get_or_try_insert(&SchemaKey(value.schema.clone()), || {
                        updated_schema(config, &value.schema)
                    })?;
                let mut values: Vec<Value> = value
                    .schema
                    .fields
                    .iter()
                    .map(|f| field_value(value, f, config.replace_null_with_default))
                    .collect();
                values.resize(schema.fields.len(), Value::Null);
                let mut updated = Struct {
                    schema: schema.clone(),
                    values,
                };
                for (k, v) in inserts() {
                    updated
                        .put(&k, v)
                        .map_err(|e| TransformError::Data(e.to_string()))?;
                }
                Ok(Some(self.side.put(
                    record,
                    Some(schema),
                    Value::Struct(updated),
                )))
            }
        }
    }
}

fn updated_schema(config: &Config, schema: &Schema) -> Result<SchemaRef, TransformError> {
    let mut builder = copy_schema_basics(schema, Schema::struct_());
    for f in &schema.fields {
        builder = builder.field(&f.name, f.schema.clone());
    }
    let add = |b: Schema, spec: &Option<Spec>, kind: Schema| match spec {
        Some(s) => add_field(
            b,
            &s.name,
            if s.optional {
                kind.optional().build()
            } else {
                kind.build()
            },
        ),
        None => Ok(b),
    };
    builder = add(builder, &config.topic, Schema::new(Type::String))?;
    builder = add(builder, &config.partition, Schema::new(Type::Int32))?;
    builder = add(builder, &config.offset, Schema::new(Type::Int64))?;
    builder = add(builder, &config.timestamp, Schema::timestamp())?;
    builder = add(builder, &config.static_field, Schema::new(Type::String))?;
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schemas;

    fn xform(side: Side, props: &[(&str, &str)]) -> InsertField {
        let mut t = InsertField::new(side);
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.configure(&map).unwrap();
        t
    }

    fn all_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.field", "topic_field!"),
            ("partition.field", "partition_field"),
            ("offset.field", "offset_field?"),
            ("timestamp.field", "timestamp_field"),
            ("static.field", "instance_id"),
            ("static.value", "my-instance-id"),
        ]
    }

    fn sink_record(schema: Option<SchemaRef>, value: Value) -> ConnectRecord {
        let mut r = ConnectRecord::new("test", None, Value::Null, schema, value);
        r.kafka_partition = Some(0);
        r.kafka_offset = Some(42);
        r.timestamp = Some(1_483_425_001_864);
        r
    }

    #[test]
    fn schemaful_insert_appends_fields_in_order() {
        let t = xform(Side::Value, &all_fields());
        let schema = Schema::struct_()
            .named("name")
            .version(1)
            .doc("doc")
            .field("magic", schemas::int64())
            .build();
        let value = Struct::new(schema.clone()).with("magic", Value::Int64(42));
        let out = t
            .apply(sink_record(Some(schema), Value::Struct(value)))
            .unwrap()
            .unwrap();
        let s = out.value_schema.clone().unwrap();
        assert_eq!(s.name.as_deref(), Some("name"));
        assert_eq!(s.version, Some(1));
        assert_eq!(s.doc.as_deref(), Some("doc"));
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "magic",
                "topic_field",
                "partition_field",
                "offset_field",
                "timestamp_field",
                "instance_id"
            ]
        );
        assert!(!s.fields[1].schema.optional);
        assert!(s.fields[2].schema.optional);
        assert!(s.fields[4]
            .schema
            .is_logical(crate::data::schema::TIMESTAMP));
        let v = out.value.as_struct().unwrap();
        assert_eq!(v.get("topic_field"), Some(&Value::String("test".into())));
        assert_eq!(v.get("partition_field"), Some(&Value::Int32(0)));
        assert_eq!(v.get("offset_field"), Some(&Value::Int64(42)));
        assert_eq!(
            v.get("timestamp_field"),
            Some(&Value::Int64(1_483_425_001_864))
        );
        assert_eq!(
            v.get("instance_id"),
            Some(&Value::String("my-instance-id".into()))
        );
        // An equal input schema gets the very same output schema back.
        let schema2 = Schema::struct_()
            .named("name")
            .version(1)
            .doc("doc")
            .field("magic", schemas::int64())
            .build();
        let value2 = Struct::new(schema2.clone()).with("magic", Value::Int64(1));
        let out2 = t
            .apply(sink_record(Some(schema2), Value::Struct(value2)))
            .unwrap()
            .unwrap();
        assert!(std::sync::Arc::ptr_eq(
            &s,
            out2.value_schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn schemaless_insert_and_skips() {
        let t = xform(Side::Value, &all_fields());
        let map = Value::Map(vec![(Value::String("magic".into()), Value::Int64(42))]);
        let mut rec = sink_record(None, map);
        rec.kafka_partition = None;
        rec.timestamp = None;
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(out.value.map_get("magic"), Some(&Value::Int64(42)));
        assert_eq!(
            out.value.map_get("topic_field"),
            Some(&Value::String("test".into()))
        );
        assert_eq!(out.value.map_get("partition_field"), None);
        assert_eq!(out.value.map_get("timestamp_field"), None);
        assert_eq!(out.value.map_get("offset_field"), Some(&Value::Int64(42)));
    }

    #[test]
    fn key_side_and_tombstones() {
        let t = xform(Side::Key, &[("topic.field", "t")]);
        let rec = ConnectRecord::new("topic", None, Value::Map(vec![]), None, Value::Null);
        let out = t.apply(rec).unwrap().unwrap();
        assert_eq!(out.key.map_get("t"), Some(&Value::String("topic".into())));
        let rec = ConnectRecord::new("topic", None, Value::Null, None, Value::Null);
        assert_eq!(t.apply(rec.clone()).unwrap(), Some(rec));
    }

    #[test]
    fn offset_needs_a_sink_record() {
        let t = xform(Side::Value, &[("offset.field", "o")]);
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Map(vec![]));
        let e = t.apply(rec).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
        );
    }

    #[test]
    fn config_validation() {
        let mut t = InsertField::value();
        assert_eq!(
            t.configure(&HashMap::new()).unwrap_err().to_string(),
            "No field insertion configured"
        );
        let map = HashMap::from([("static.field".to_string(), "s".to_string())]);
        assert_eq!(
            t.configure(&map).unwrap_err().to_string(),
            "Invalid value null for configuration static.value: No value specified for static field: s"
        );
        let t = xform(Side::Value, &[("topic.field", "t")]);
        let rec = ConnectRecord::new("t", None, Value::Null, None, Value::Int32(1));
        assert!(t.apply(rec).is_err());
    }
}
