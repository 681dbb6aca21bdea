//! org.apache.kafka.connect.transforms.HeaderFrom$Key / $Value: copies or moves the listed
//! fields into headers (`fields[i]` becomes header `headers[i]`), the header carrying the field
//! schema (none when schemaless). Moving also removes the fields; a tombstone is an error.

use std::collections::HashMap;

use crate::data::{ConnectRecord, Header, Schema, SchemaRef, Struct, Value};
use crate::transforms::support::config::{invalid, Props};
use crate::transforms::support::record::{
    copy_schema_basics, field_value, map_get, map_remove, not_configured, require_map,
    require_struct, SchemaCache, SchemaKey, Side,
};
use crate::transforms::{TransformError, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.HeaderFrom$Value";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Move => "move",
            Operation::Copy => "copy",
        }
    }
}

#[derive(Debug, Clone)]
struct Config {
    fields: Vec<String>,
    headers: Vec<String>,
    operation: Operation,
    replace_null_with_default: bool,
}

pub struct HeaderFrom {
    side: Side,
    config: Option<Config>,
    cache: SchemaCache<SchemaKey>,
}

impl HeaderFrom {
    pub fn new(side: Side) -> HeaderFrom {
        HeaderFrom {
            side,
            config: None,
            cache: SchemaCache::default(),
        }
    }
    pub fn key() -> HeaderFrom {
        HeaderFrom::new(Side::Key)
    }
    pub fn value() -> HeaderFrom {
        HeaderFrom::new(Side::Value)
    }
}

impl Transformation for HeaderFrom {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let fields = p.non_empty_list("fields")?;
        let headers = p.non_empty_list("headers")?;
        let operation = match p.one_of("operation", None, &["move", "copy"])?.as_str() {
            "move" => Operation::Move,
            _ => Operation::Copy,
        };
        let replace_null_with_default = p.boolean("replace.null.with.default", true)?;
        if headers.len() != fields.len() {
            return Err(invalid(
                "headers",
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        self.config = Some(Config {
            fields,
            headers,
            operation,
            replace_null_with_default,
        });
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let c = self
            .config
            .as_ref()
            .ok_or_else(|| not_configured("HeaderFrom"))?;
        let purpose = format!("header {}", c.operation.name());
        let (schema, value) = self.side.take(&mut record);
        let mut new_headers = Vec::with_capacity(c.fields.len());
        let Some(schema) = schema else {
            let entries = require_map(&value, &purpose)?;
            let mut updated = entries.clone();
            for (field, header) in c.fields.iter().zip(&c.headers) {
                let v = map_get(entries, field);
                if c.operation == Operation::Move {
                    map_remove(&mut updated, field);
                }
                new_headers.push(Header {
                    key: header.clone(),
                    schema: None,
                    value: v,
                });
            }
            record.headers.extend(new_headers);
            return Ok(Some(self.side.put(record, None, Value::Map(updated))));
        };
        let s = require_struct(&value, &purpose)?;
        for (field, header) in c.fields.iter().zip(&c.headers) {
            let Some(f) = schema.field_named(field) else {
                // Kafka fails here with a NullPointerException from `schema.field(name).schema()`.
                return Err(TransformError::Data(format!(
                    "Field {field} does not exist in the {} schema",
                    if self.side == Side::Key {
                        "key"
                    } else {
                        "value"
                    }
                )));
            };
            let v = s
                .schema
                .field_named(field)
                .map(|sf| field_value(s, sf, c.replace_null_with_default))
                .unwrap_or(Value::Null);
            new_headers.push(Header {
                key: header.clone(),
                schema: Some(f.schema.clone()),
                value: v,
            });
        }
        let (updated_schema, updated_value) = match c.operation {
            Operation::Copy => (schema.clone(), value.clone()),
            Operation::Move => {
                let moved = self
                    .cache
                    .get_or_try_insert(&SchemaKey(schema.clone()), || {
                        Ok::<_, TransformError>(move_schema(&c.fields, &schema))
                    })?;
                let values = moved
                    .fields
                    .iter()
                    .map(|f| field_value_by_name(s, &f.name, c.replace_null_with_default))
                    .collect();
                let st = Struct {
                    schema: moved.clone(),
                    values,
                };
                (moved, Value::Struct(st))
            }
        };
        record.headers.extend(new_headers);
        Ok(Some(self.side.put(
            record,
            Some(updated_schema),
            updated_value,
        )))
    }
}

fn field_value_by_name(s: &Struct, name: &str, with_default: bool) -> Value {
    s.schema
        .field_named(name)
        .map(|f| field_value(s, f, with_default))
        .unwrap_or(Value::Null)
}

fn move_schema(fields: &[String], schema: &Schema) -> SchemaRef {
    let mut builder = copy_schema_basics(schema, Schema::struct_());
    for f in &schema.fields {
        if !fields.contains(&f.name) {
            builder = builder.field(&f.name, f.schema.clone());
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, Type};

    fn xform(side: Side, op: &str) -> HeaderFrom {
        let mut t = HeaderFrom::new(side);
        t.configure(&HashMap::from([
            ("fields".to_string(), "field1,field2".to_string()),
            ("headers".to_string(), "inserted1,inserted2".to_string()),
            ("operation".to_string(), op.to_string()),
        ]))
        .unwrap();
        t
    }

    fn schema() -> SchemaRef {
        Schema::struct_()
            .named("rec")
            .field("field1", schemas::string())
            .field("field2", schemas::of(Type::Int32, true))
            .field("other", schemas::string())
            .build()
    }

    fn value() -> Struct {
        Struct::new(schema())
            .with("field1", Value::String("a".into()))
            .with("field2", Value::Int32(2))
            .with("other", Value::String("o".into()))
    }

    #[test]
    fn copy_with_schema() {
        let t = xform(Side::Value, "copy");
        let mut rec = ConnectRecord::new(
            "t",
            None,
            Value::Null,
            Some(schema()),
            Value::Struct(value()),
        );
        rec.headers.push(Header {
            key: "existing".into(),
            schema: None,
            value: Value::Null,
        });
        let out = t.apply(rec.clone()).unwrap().unwrap();
        assert_eq!(out.value, rec.value);
        let keys: Vec<_> = out.headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(keys, ["existing", "inserted1", "inserted2"]);
        assert_eq!(out.headers[1].value, Value::String("a".into()));
        assert_eq!(out.headers[1].schema, Some(schemas::string()));
        assert_eq!(out.headers[2].schema, Some(schemas::of(Type::Int32, true)));
    }

    #[test]
    fn move_with_schema() {
        let t = xform(Side::Key, "move");
        let rec = ConnectRecord::new(
            "t",
            Some(schema()),
            Value::Struct(value()),
            None,
            Value::Null,
        );
        let out = t.apply(rec).unwrap().unwrap();
        let ks = out.key_schema.unwrap();
        assert_eq!(ks.name.as_deref(), Some("rec"));
        let names: Vec<_> = ks.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["other"]);
        assert_eq!(
            out.key.as_struct().unwrap().values,
            vec![Value::String("o".into())]
        );
        assert_eq!(out.headers[1].value, Value::Int32(2));
    }

    #[test]
    fn schemaless_move_and_copy() {
        let map = Value::Map(vec![
            (Value::String("field1".into()), Value::String("a".into())),
            (Value::String("other".into()), Value::Int32(1)),
        ]);
        let t = xform(Side::Value, "move");
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                map.clone(),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![(Value::String("other".into()), Value::Int32(1))])
        );
        assert_eq!(out.headers[0].value, Value::String("a".into()));
        assert_eq!(out.headers[0].schema, None);
        assert_eq!(out.headers[1].value, Value::Null);
        let t = xform(Side::Value, "copy");
        let out = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                map.clone(),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(out.value, map);
    }

    #[test]
    fn config_and_record_errors() {
        let mut t = HeaderFrom::value();
        let e = t
            .configure(&HashMap::from([
                ("fields".to_string(), "a,b".to_string()),
                ("headers".to_string(), "h".to_string()),
                ("operation".to_string(), "copy".to_string()),
            ]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "'fields' config must have the same number of elements as 'headers' config."
        );
        let e = t
            .configure(&HashMap::from([
                ("fields".to_string(), "a".to_string()),
                ("headers".to_string(), "h".to_string()),
                ("operation".to_string(), "steal".to_string()),
            ]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value steal for configuration operation: String must be one of: move, copy"
        );
        let t = xform(Side::Value, "copy");
        let e = t
            .apply(ConnectRecord::new(
                "t",
                None,
                Value::Null,
                None,
                Value::Null,
            ))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Only Map objects supported in absence of schema for [header copy], found: null"
        );
    }
}
