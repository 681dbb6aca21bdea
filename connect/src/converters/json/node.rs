//! A JSON tree shaped like Jackson's `JsonNode` as JsonConverter uses it (int/long/big-integer
//! and exact-decimal numbers, float vs double, binary), with a compact writer that emits the
//! bytes Jackson's `ObjectMapper.writeValueAsBytes` would.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bigdecimal::BigDecimal;
use indexmap::IndexMap;
use num_bigint::BigInt;

use crate::converters::java;

/// A JSON number as Jackson's tree model keeps it (USE_BIG_DECIMAL_FOR_FLOATS on reading).
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// IntNode: an integer literal that fits in a Java int.
    Int(i32),
    /// LongNode.
    Long(i64),
    /// BigIntegerNode: an integer literal beyond the long range.
    BigInt(BigInt),
    /// FloatNode (written from FLOAT32 values only).
    Float(f32),
    /// DoubleNode (written from FLOAT64 values only).
    Double(f64),
    /// DecimalNode: any literal with a fraction or exponent, kept exactly.
    Decimal(BigDecimal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(Number),
    Text(String),
    /// BinaryNode: written as a base64 string.
    Binary(Vec<u8>),
    Array(Vec<Node>),
    /// ObjectNode: insertion ordered; setting an existing key replaces it in place, as
    /// Jackson's LinkedHashMap-backed ObjectNode does.
    Object(IndexMap<String, Node>),
}

impl Node {
    /// Jackson's `getNodeType()` name, used in Kafka's error messages.
    pub fn node_type(&self) -> &'static str {
        match self {
            Node::Null => "NULL",
            Node::Bool(_) => "BOOLEAN",
            Node::Number(_) => "NUMBER",
            Node::Text(_) => "STRING",
            Node::Binary(_) => "BINARY",
            Node::Array(_) => "ARRAY",
            Node::Object(_) => "OBJECT",
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(map) => map.get(key),
            _ => None,
        }
    }

    /// Serializes compactly (no whitespace), exactly as Jackson's default generator does.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Number(n) => write_number(n, out),
            Node::Text(s) => write_string(s, out),
            Node::Binary(b) => {
                out.push(b'"');
                out.extend_from_slice(STANDARD.encode(b).as_bytes());
                out.push(b'"');
            }
            Node::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Node::Object(map) => {
                out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(k, out);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Jackson writes non-finite floats as quoted strings (QUOTE_NON_NUMERIC_NUMBERS is on by
/// default) and finite ones with Java's toString.
fn write_number(n: &Number, out: &mut Vec<u8>) {
    use std::io::Write as _;
    let text = match n {
        // Written in place: no String per number.
        Number::Int(v) => {
            let _ = write!(out, "{v}");
            return;
        }
        Number::Long(v) => {
            let _ = write!(out, "{v}");
            return;
        }
        Number::BigInt(v) => v.to_string(),
        Number::Decimal(d) => java::big_decimal_to_string(d),
        Number::Float(f) => {
            let s = java::float_to_string(*f);
            if !f.is_finite() {
                return write_string(&s, out);
            }
            s
        }
        Number::Double(d) => {
            let s = java::double_to_string(*d);
            if !d.is_finite() {
                return write_string(&s, out);
            }
            s
        }
    };
    out.extend_from_slice(text.as_bytes());
}

/// Jackson's escaping: `"` and `\`, the short escapes for \b \t \n \f \r, other control
/// characters as `\u00XX` with upper-case hex; everything else raw UTF-8 (including `/`).
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            b'\t' => Some(b"\\t"),
            b'\n' => Some(b"\\n"),
            0x0C => Some(b"\\f"),
            b'\r' => Some(b"\\r"),
            0x00..=0x1F => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}
