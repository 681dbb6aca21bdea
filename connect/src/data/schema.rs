//! Connect schemas, as org.apache.kafka.connect.data.Schema: a type, optionality, an optional
//! default, name, version, doc and parameters, plus fields (struct), items (array) or keys and
//! values (map). Logical types (Decimal, Date, Time, Timestamp) are named schemas over physical
//! types, exactly as in Kafka.

use std::sync::Arc;

use indexmap::IndexMap;

use super::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl Type {
    /// The lower-case name JsonConverter uses (`int8`, `float`, `double`, `struct`, ...).
    pub fn json_name(self) -> &'static str {
        match self {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float",
            Type::Float64 => "double",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array => "array",
            Type::Map => "map",
            Type::Struct => "struct",
        }
    }

    /// The Java enum name (`INT8`, `FLOAT32`, `STRUCT`, ...), used in error messages.
    pub fn java_name(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }

    pub fn from_json_name(s: &str) -> Option<Type> {
        Some(match s {
            "int8" => Type::Int8,
            "int16" => Type::Int16,
            "int32" => Type::Int32,
            "int64" => Type::Int64,
            "float" => Type::Float32,
            "double" => Type::Float64,
            "boolean" => Type::Boolean,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "array" => Type::Array,
            "map" => Type::Map,
            "struct" => Type::Struct,
            _ => return None,
        })
    }

    pub fn is_primitive(self) -> bool {
        !matches!(self, Type::Array | Type::Map | Type::Struct)
    }
}

pub type SchemaRef = Arc<Schema>;

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub kind: Type,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    /// Insertion-ordered, as Java's LinkedHashMap in SchemaBuilder.
    pub parameters: Option<IndexMap<String, String>>,
    pub fields: Vec<Field>,
    pub items: Option<SchemaRef>,
    pub keys: Option<SchemaRef>,
    pub values: Option<SchemaRef>,
}

pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE: &str = "org.apache.kafka.connect.data.Date";
pub const TIME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
pub const DECIMAL_SCALE: &str = "scale";

impl Schema {
    pub fn new(kind: Type) -> Schema {
        Schema {
            kind,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: None,
            fields: Vec::new(),
            items: None,
            keys: None,
            values: None,
        }
    }

    pub fn optional(mut self) -> Schema {
        self.optional = true;
        self
    }
    pub fn named(mut self, name: &str) -> Schema {
        self.name = Some(name.to_string());
        self
    }
    pub fn version(mut self, v: i32) -> Schema {
        self.version = Some(v);
        self
    }
    pub fn doc(mut self, d: &str) -> Schema {
        self.doc = Some(d.to_string());
        self
    }
    pub fn default_value(mut self, v: Value) -> Schema {
        self.default = Some(v);
        self
    }
    pub fn parameter(mut self, k: &str, v: &str) -> Schema {
        self.parameters
            .get_or_insert_with(IndexMap::new)
            .insert(k.to_string(), v.to_string());
        self
    }
    /// Adds a struct field (index assigned in order).
    pub fn field(mut self, name: &str, schema: SchemaRef) -> Schema {
        let index = self.fields.len();
        self.fields.push(Field {
            name: name.to_string(),
            index,
            schema,
        });
        self
    }
    pub fn build(self) -> SchemaRef {
        Arc::new(self)
    }

    pub fn array(items: SchemaRef) -> Schema {
        let mut s = Schema::new(Type::Array);
        s.items = Some(items);
        s
    }
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Schema {
        let mut s = Schema::new(Type::Map);
        s.keys = Some(keys);
        s.values = Some(values);
        s
    }
    pub fn struct_() -> Schema {
        Schema::new(Type::Struct)
    }

    /// org.apache.kafka.connect.data.Decimal with the given scale.
    pub fn decimal(scale: i32) -> Schema {
        Schema::new(Type::Bytes)
            .named(DECIMAL)
            .version(1)
            .parameter(DECIMAL_SCALE, &scale.to_string())
    }
    pub fn date() -> Schema {
        Schema::new(Type::Int32).named(DATE).version(1)
    }
    pub fn time() -> Schema {
        Schema::new(Type::Int32).named(TIME).version(1)
    }
    pub fn timestamp() -> Schema {
        Schema::new(Type::Int64).named(TIMESTAMP).version(1)
    }

    pub fn field_named(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn is_logical(&self, logical: &str) -> bool {
        self.name.as_deref() == Some(logical)
    }

    /// The scale of a Decimal schema.
    pub fn decimal_scale(&self) -> Option<i32> {
        self.parameters.as_ref()?.get(DECIMAL_SCALE)?.parse().ok()
    }
}

/// Common primitive schemas (Schema.INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA, ...).
pub mod schemas {
    use super::*;
    pub fn of(kind: Type, optional: bool) -> SchemaRef {
        let s = Schema::new(kind);
        if optional {
            s.optional().build()
        } else {
            s.build()
        }
    }
    pub fn string() -> SchemaRef {
        of(Type::String, false)
    }
    pub fn optional_string() -> SchemaRef {
        of(Type::String, true)
    }
    pub fn optional_bytes() -> SchemaRef {
        of(Type::Bytes, true)
    }
    pub fn int32() -> SchemaRef {
        of(Type::Int32, false)
    }
    pub fn int64() -> SchemaRef {
        of(Type::Int64, false)
    }
}
