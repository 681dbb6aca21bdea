//! org.apache.kafka.connect.storage.StringConverter: writes `value.toString()` in the configured
//! charset (Java renderings: `Struct{a=1,b=x}`, `{a=1, b=2}`, `[1, 2]`, `1.0E7`) and reads any
//! bytes back as an optional string.

use std::collections::HashMap;

use super::config::string_setting;
use super::{java, Converter, ConverterError};
use crate::data::{schemas, Schema, SchemaRef, Value};

pub const ENCODING_CONFIG: &str = "converter.encoding";

/// The Java charsets StringConverter supports here (by canonical name or common alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    UsAscii,
    Latin1,
    Utf16Be,
    Utf16Le,
    /// Java's "UTF-16": big-endian with a byte-order mark on write; BOM-detected on read.
    Utf16,
}

impl Encoding {
    /// `Charset.forName` for the supported charsets (case-insensitive).
    pub fn from_java_name(name: &str) -> Option<Encoding> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "utf-8" | "utf8" | "unicode-1-1-utf-8" => Encoding::Utf8,
            "us-ascii" | "ascii" | "us" | "iso646-us" | "646" | "cp367" | "default" => {
                Encoding::UsAscii
            }
            "iso-8859-1" | "iso8859-1" | "iso8859_1" | "iso_8859_1" | "iso_8859-1" | "latin1"
            | "l1" | "8859_1" | "cp819" | "ibm819" => Encoding::Latin1,
            "utf-16be" | "utf_16be" | "x-utf-16be" | "unicodebigunmarked" => Encoding::Utf16Be,
            "utf-16le" | "utf_16le" | "x-utf-16le" | "unicodelittleunmarked" => Encoding::Utf16Le,
            "utf-16" | "utf_16" | "utf16" | "unicode" => Encoding::Utf16,
            _ => return None,
        })
    }

    /// `String.getBytes(charset)`: unmappable characters become `?`.
    pub fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => s.as_bytes().to_vec(),
            Encoding::UsAscii => s
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Encoding::Latin1 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Encoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Encoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Encoding::Utf16 => [0xFE, 0xFF]
                .into_iter()
                .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        }
    }

    /// `new String(bytes, charset)`: malformed input becomes U+FFFD.
    pub fn decode(self, b: &[u8]) -> String {
        fn utf16(b: &[u8], big_endian: bool) -> String {
            let units = b.chunks(2).map(|c| match (c, big_endian) {
                ([hi, lo], true) => u16::from_be_bytes([*hi, *lo]),
                ([lo, hi], false) => u16::from_be_bytes([*hi, *lo]),
                _ => 0xFFFD,
            });
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect()
        }
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(b).into_owned(),
            Encoding::UsAscii => b
                .iter()
                .map(|&x| {
                    if x.is_ascii() {
                        char::from(x)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
            Encoding::Latin1 => b.iter().map(|&x| char::from(x)).collect(),
            Encoding::Utf16Be => utf16(b, true),
            Encoding::Utf16Le => utf16(b, false),
            Encoding::Utf16 => match b {
                [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
                [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
                _ => utf16(b, true),
            },
        }
    }
}

/// Java's `toString()` of a Connect value (what StringConverter writes). Date/Time/Timestamp
/// values (Sluice's Int32/Int64 encodings) render as `java.util.Date.toString()` in UTC when the
/// schema says so; nested byte arrays as `[B@<hash>` like Java's identity rendering.
pub fn java_to_string(schema: Option<&Schema>, value: &Value) -> String {
    let mut out = String::new();
    append(&mut out, schema, value);
    out
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value) {
    if let Some(ms) = java::logical_millis(schema, value) {
        out.push_str(&java::java_date_to_string(ms));
        return;
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => out.push_str(&v.to_string()),
        Value::Int16(v) => out.push_str(&v.to_string()),
        Value::Int32(v) => out.push_str(&v.to_string()),
        Value::Int64(v) => out.push_str(&v.to_string()),
        Value::Float32(v) => out.push_str(&java::float_to_string(*v)),
        Value::Float64(v) => out.push_str(&java::double_to_string(*v)),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&java::byte_array_identity(b)),
        Value::Decimal(d) => out.push_str(&java::big_decimal_to_string(d)),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.items.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, item_schema, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.keys.as_deref());
            let value_schema = schema.and_then(|s| s.values.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, key_schema, k);
                out.push('=');
                append(out, value_schema, v);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            // Struct.toString skips null fields and separates with a bare comma.
            out.push_str("Struct{");
            let mut first = true;
            for field in &s.schema.fields {
                let v = s.values.get(field.index).unwrap_or(&Value::Null);
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                append(out, Some(&field.schema), v);
            }
            out.push('}');
        }
    }
}

/// org.apache.kafka.connect.storage.StringConverter.
#[derive(Debug, Clone, Default)]
pub struct StringConverter {
    encoding: Encoding,
}

impl StringConverter {
    pub fn new(encoding: Encoding) -> StringConverter {
        StringConverter { encoding }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn configure_map(&mut self, configs: &HashMap<String, String>) -> Result<(), ConverterError> {
        let name = string_setting(configs, ENCODING_CONFIG, "UTF-8");
        self.encoding = Encoding::from_java_name(name).ok_or_else(|| ConverterError::Config {
            key: ENCODING_CONFIG.to_string(),
            value: name.to_string(),
            message: format!("Unsupported encoding {name}"),
        })?;
        Ok(())
    }
}

impl Converter for StringConverter {
    fn configure(
        &mut self,
        configs: &HashMap<String, String>,
        _is_key: bool,
    ) -> Result<(), ConverterError> {
        self.configure_map(configs)
    }

    /// Bytes values are passed through unchanged rather than rendered as Java's
    /// non-deterministic `[B@1b6d3586`.
    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>, ConverterError> {
        Ok(match value {
            Value::Null => None,
            Value::Bytes(b) => Some(b.clone()),
            Value::String(s) => Some(self.encoding.encode(s)),
            other => Some(
                self.encoding
                    .encode(&java_to_string(schema.map(|s| &**s), other)),
            ),
        })
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> Result<(Option<SchemaRef>, Value), ConverterError> {
        let value = match bytes {
            Some(b) => Value::String(self.encoding.decode(b)),
            None => Value::Null,
        };
        Ok((Some(schemas::optional_string()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, Struct, Type};
    use bigdecimal::BigDecimal;
    use std::str::FromStr;

    fn render(schema: Option<SchemaRef>, value: Value) -> Option<Vec<u8>> {
        StringConverter::default()
            .from_connect("t", schema.as_ref(), &value)
            .unwrap()
    }

    fn text(schema: Option<SchemaRef>, value: Value) -> String {
        String::from_utf8(render(schema, value).unwrap()).unwrap()
    }

    #[test]
    fn primitives_render_like_java() {
        assert_eq!(render(None, Value::Null), None);
        assert_eq!(text(None, Value::String("héllo".into())), "héllo");
        assert_eq!(text(None, Value::Int32(-42)), "-42");
        assert_eq!(text(None, Value::Int64(1 << 40)), "1099511627776");
        assert_eq!(text(None, Value::Float64(1.0e7)), "1.0E7");
        assert_eq!(text(None, Value::Float64(5.0)), "5.0");
        assert_eq!(text(None, Value::Float32(0.1)), "0.1");
        assert_eq!(text(None, Value::Boolean(true)), "true");
        let d = BigDecimal::from_str("1E+3").unwrap();
        assert_eq!(text(None, Value::Decimal(d)), "1E+3");
        assert_eq!(render(None, Value::Bytes(vec![1, 2])), Some(vec![1, 2]));
    }

    #[test]
    fn containers_render_like_java_to_string() {
        let schema = Schema::struct_()
            .field("id", schemas::int32())
            .field("name", schemas::optional_string())
            .field("note", schemas::optional_string())
            .build();
        let s = Struct::new(schema.clone())
            .with("id", Value::Int32(1))
            .with("name", Value::String("x".into()));
        assert_eq!(text(Some(schema), Value::Struct(s)), "Struct{id=1,name=x}");
        let map = Value::Map(vec![
            (Value::String("a".into()), Value::Int64(1)),
            (Value::String("b".into()), Value::Null),
        ]);
        assert_eq!(text(None, map), "{a=1, b=null}");
        let list = Value::Array(vec![Value::Int32(1), Value::Int32(2)]);
        assert_eq!(text(None, list), "[1, 2]");
        let nested = Value::Array(vec![Value::Bytes(vec![1]), Value::Float64(0.5)]);
        assert!(text(None, nested).starts_with("[[B@"));
    }

    #[test]
    fn logical_types_render_as_java_dates() {
        let ts = Schema::timestamp().build();
        assert_eq!(
            text(Some(ts), Value::Int64(1_700_000_000_000)),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        let date = Schema::date().build();
        assert_eq!(
            text(Some(date), Value::Int32(1)),
            "Fri Jan 02 00:00:00 UTC 1970"
        );
        // Plain int32 stays a number.
        assert_eq!(
            text(Some(Schema::new(Type::Int32).build()), Value::Int32(1)),
            "1"
        );
    }

    #[test]
    fn to_connect_is_optional_string() {
        let c = StringConverter::default();
        let (schema, value) = c.to_connect("t", Some(b"abc")).unwrap();
        assert_eq!(schema, Some(schemas::optional_string()));
        assert_eq!(value, Value::String("abc".into()));
        let (schema, value) = c.to_connect("t", None).unwrap();
        assert_eq!(schema, Some(schemas::optional_string()));
        assert_eq!(value, Value::Null);
        let (_, lossy) = c.to_connect("t", Some(b"a\xffb")).unwrap();
        assert_eq!(lossy, Value::String("a\u{FFFD}b".into()));
    }

    #[test]
    fn encodings() {
        let mut c = StringConverter::default();
        let cfg = |v: &str| HashMap::from([(ENCODING_CONFIG.to_string(), v.to_string())]);
        Converter::configure(&mut c, &cfg(" utf-16be "), false).unwrap();
        let bytes = c
            .from_connect("t", None, &Value::String("hé".into()))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, [0, b'h', 0, 0xE9]);
        assert_eq!(
            c.to_connect("t", Some(&bytes)).unwrap().1,
            Value::String("hé".into())
        );
        Converter::configure(&mut c, &cfg("ISO-8859-1"), false).unwrap();
        let bytes = c
            .from_connect("t", None, &Value::String("hé€".into()))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, [b'h', 0xE9, b'?']);
        Converter::configure(&mut c, &cfg("UTF-16"), false).unwrap();
        let bytes = c
            .from_connect("t", None, &Value::String("a".into()))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, [0xFE, 0xFF, 0, b'a']);
        assert_eq!(
            c.to_connect("t", Some(&[0xFF, 0xFE, b'a', 0])).unwrap().1,
            Value::String("a".into())
        );
        let err = Converter::configure(&mut c, &cfg("EBCDIC-42"), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value EBCDIC-42 for configuration converter.encoding: Unsupported encoding EBCDIC-42"
        );
    }
}
