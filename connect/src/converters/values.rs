//! The parts of org.apache.kafka.connect.data.Values that SimpleHeaderConverter uses:
//! `convertToString` (Java renderings, quoted/escaped when embedded) and `parseString`, which
//! re-infers a schema from text with Kafka's tokenizer and its top-level quirks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bigdecimal::Zero;
use num_bigint::BigInt;

use super::java;
use crate::data::{Schema, SchemaRef, Type, Value};

/// A parsed value with its inferred schema (Kafka's SchemaAndValue; Java null is `None`).
pub type SchemaAndValue = (SchemaRef, Value);

/// Nesting beyond this is treated like the StackOverflowError Java would hit: the error
/// escapes parseString (SimpleHeaderConverter then keeps the raw bytes).
const MAX_DEPTH: usize = 256;

enum ParseError {
    /// A DataException: array/map parsing catches it and falls back to a string.
    Data(String),
    /// Too deeply nested; escapes the whole parse.
    TooDeep,
}

impl From<String> for ParseError {
    fn from(msg: String) -> Self {
        ParseError::Data(msg)
    }
}

/// `Values.convertToString(schema, value)`; None for a null value.
pub fn convert_to_string(schema: Option<&Schema>, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, schema, value, false);
    Some(out)
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value, embedded: bool) {
    if let Some(ms) = java::logical_millis(schema, value) {
        out.push_str(&java::iso_date_format(ms));
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
        Value::Decimal(d) => out.push_str(&java::big_decimal_to_string(d)),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::String(s) if embedded => {
            out.push('"');
            out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
        }
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) if embedded => {
            out.push('"');
            out.push_str(&STANDARD.encode(b));
            out.push('"');
        }
        Value::Bytes(b) => out.push_str(&STANDARD.encode(b)),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.items.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, item_schema, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.keys.as_deref());
            let value_schema = schema.and_then(|s| s.values.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, key_schema, k, true);
                out.push(':');
                append(out, value_schema, v, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, field) in s.schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, None, &Value::String(field.name.clone()), true);
                out.push(':');
                // Struct.get(field) falls back to the field's default.
                let mut v = s.values.get(field.index).unwrap_or(&Value::Null);
                if v.is_null() {
                    v = field.schema.default.as_ref().unwrap_or(v);
                }
                append(out, Some(&field.schema), v, true);
            }
            out.push('}');
        }
    }
}

/// `Values.parseString(value)`. `Ok(None)` is Kafka's null result (the literal `null`); `Err`
/// is an exception escaping the parser (SimpleHeaderConverter then keeps the raw bytes).
///
/// Supported subset: null/true/false literals; integers as the smallest of INT8/16/32/64;
/// other numbers as FLOAT32, FLOAT64 or Decimal by Kafka's rules; ISO-8601 Date/Time/Timestamp
/// (UTC, numeric fields overflow leniently as SimpleDateFormat's do); arrays and maps with
/// numeric schema widening; everything else a string, including Kafka's quirk that only the
/// first token of an unquoted top-level value is parsed (`123,456` is INT8 123). Not covered:
/// a mix of temporal and plain integer elements in one array/map (Kafka coerces them; here the
/// text stays a string), non-ASCII digits, signed numeric date fields, nesting beyond 256.
pub fn parse_string(value: &str) -> Result<Option<SchemaAndValue>, String> {
    if value.is_empty() {
        return Ok(Some((required(Type::String), Value::String(String::new()))));
    }
    let mut p = ValueParser {
        t: Tokenizer::new(value),
        depth: 0,
    };
    p.parse(false).map_err(|e| match e {
        ParseError::Data(msg) => msg,
        ParseError::TooDeep => format!("nesting deeper than {MAX_DEPTH} levels"),
    })
}

fn required(kind: Type) -> SchemaRef {
    Schema::new(kind).build()
}

/// Java's `String.trim()`: strips every char <= ' ' from both ends.
fn jtrim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Values.Parser: splits on unescaped `: , { } [ ] "`, each delimiter its own token.
struct Tokenizer<'a> {
    s: &'a str,
    pos: usize,
    next: Option<(usize, usize)>,
    prev: Option<(usize, usize)>,
}

impl<'a> Tokenizer<'a> {
    fn new(s: &'a str) -> Self {
        Tokenizer {
            s,
            pos: 0,
            next: None,
            prev: None,
        }
    }

    fn text(&self, t: (usize, usize)) -> &'a str {
        self.s.get(t.0..t.1).unwrap_or("")
    }

    fn mark(&self) -> usize {
        self.next.map_or(self.pos, |t| t.0)
    }

    fn rewind(&mut self, pos: usize) {
        self.pos = pos;
        self.next = None;
        self.prev = None;
    }

    fn has_next(&self) -> bool {
        self.next.is_some() || self.pos < self.s.len()
    }

    fn consume(&mut self) -> (usize, usize) {
        let bytes = self.s.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        let mut i = start;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' => {
                    if !escaped {
                        let end = if start < i { i } else { i + 1 };
                        self.pos = end;
                        return (start, end);
                    }
                    escaped = false;
                }
                _ => escaped = false,
            }
            i += 1;
        }
        self.pos = bytes.len();
        (start, bytes.len())
    }

    fn next(&mut self) -> &'a str {
        let t = match self.next.take() {
            Some(t) => t,
            None => self.consume(),
        };
        self.prev = Some(t);
        self.text(t)
    }

    /// The next `n` tokens as one substring, or None (position restored) if there are fewer.
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind(start);
                return None;
            }
            self.next();
        }
        self.s.get(start..self.pos)
    }

    /// isNext with whitespace skipping: blank tokens are dropped while more input remains.
    fn is_next(&mut self, expected: &str) -> bool {
        let t = match self.next {
            Some(t) => t,
            None => {
                if !self.has_next() {
                    return false;
                }
                let t = self.consume();
                self.next = Some(t);
                t
            }
        };
        let mut t = t;
        while jtrim(self.text(t)).is_empty() && self.pos < self.s.len() {
            t = self.consume();
            self.next = Some(t);
        }
        jtrim(self.text(t)) == expected
    }

    fn can_consume(&mut self, expected: &str) -> bool {
        if self.is_next(expected) {
            self.next = None;
            true
        } else {
            false
        }
    }
}

/// Values.SchemaMerger: the common schema of a run of values, widening numbers.
#[derive(Default)]
struct Merger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

fn numeric_rank(t: Type) -> Option<u8> {
    Some(match t {
        Type::Int8 => 0,
        Type::Int16 => 1,
        Type::Int32 => 2,
        Type::Int64 => 3,
        Type::Float32 => 4,
        Type::Float64 => 5,
        _ => return None,
    })
}

impl Merger {
    fn merge(&mut self, latest: Option<&SchemaAndValue>) {
        let Some((schema, _)) = latest else { return };
        if self.incompatible {
            return;
        }
        let Some(previous) = &self.common else {
            self.common = Some(schema.clone());
            return;
        };
        // All parsed schemas are required, so a same-type merge takes the newer schema.
        let merged = if previous.kind == schema.kind {
            Some(schema.clone())
        } else {
            match (numeric_rank(previous.kind), numeric_rank(schema.kind)) {
                (Some(a), Some(b)) if a > b => Some(previous.clone()),
                (Some(_), Some(_)) => Some(schema.clone()),
                _ => None,
            }
        };
        self.incompatible = merged.is_none();
        self.common = merged;
    }
}

/// Values.convertTo for the aligned array/map entries: numeric widening, identity otherwise.
fn align(to: &Schema, value: Value) -> Result<Value, String> {
    if value.is_null() {
        return if to.optional {
            Ok(Value::Null)
        } else {
            Err("Unable to convert a null value to a schema that requires a value".to_string())
        };
    }
    if value.inferred_type() == Some(to.kind) {
        return Ok(value);
    }
    let as_long = |v: &Value| -> Option<i64> {
        Some(match v {
            Value::Int8(x) => i64::from(*x),
            Value::Int16(x) => i64::from(*x),
            Value::Int32(x) => i64::from(*x),
            Value::Int64(x) => *x,
            Value::Float32(x) => *x as i64,
            Value::Float64(x) => *x as i64,
            _ => return None,
        })
    };
    let as_double = |v: &Value| -> Option<f64> {
        Some(match v {
            Value::Float32(x) => f64::from(*x),
            Value::Float64(x) => *x,
            other => as_long(other)? as f64,
        })
    };
    let converted = match to.kind {
        Type::Int8 => as_long(&value).map(|x| Value::Int8(x as i8)),
        Type::Int16 => as_long(&value).map(|x| Value::Int16(x as i16)),
        Type::Int32 => as_long(&value).map(|x| Value::Int32(x as i32)),
        Type::Int64 => as_long(&value).map(Value::Int64),
        Type::Float32 => as_double(&value).map(|x| Value::Float32(x as f32)),
        Type::Float64 => as_double(&value).map(Value::Float64),
        _ => None,
    };
    converted.ok_or_else(|| format!("Unable to convert {value:?} to {}", to.kind.java_name()))
}

struct ValueParser<'a> {
    t: Tokenizer<'a>,
    depth: usize,
}

impl ValueParser<'_> {
    fn single_token_literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.t.mark();
        if self.t.can_consume(literal) && (embedded || !self.t.has_next()) {
            return true;
        }
        self.t.rewind(start);
        false
    }

    fn parse(&mut self, embedded: bool) -> Result<Option<SchemaAndValue>, ParseError> {
        if !self.t.has_next() {
            return Ok(None);
        }
        if embedded && self.t.can_consume("\"") {
            return Ok(Some(self.quoted_string()));
        }
        if self.single_token_literal(embedded, "null") {
            return Ok(None);
        }
        if self.single_token_literal(embedded, "true") {
            return Ok(Some((required(Type::Boolean), Value::Boolean(true))));
        }
        if self.single_token_literal(embedded, "false") {
            return Ok(Some((required(Type::Boolean), Value::Boolean(false))));
        }
        let start = self.t.mark();
        let structured = if self.t.can_consume("[") {
            Some(self.nested(Self::array))
        } else if self.t.can_consume("{") {
            Some(self.nested(Self::map))
        } else {
            None
        };
        match structured {
            Some(Ok(sv)) => return Ok(Some(sv)),
            Some(Err(ParseError::TooDeep)) => return Err(ParseError::TooDeep),
            Some(Err(ParseError::Data(_))) => self.t.rewind(start),
            None => {}
        }
        let token = self.t.next();
        if jtrim(token).is_empty() {
            return Ok(Some((
                required(Type::String),
                Value::String(token.to_string()),
            )));
        }
        self.next_token(embedded, jtrim(token)).map(Some)
    }

    fn nested(
        &mut self,
        f: fn(&mut Self) -> Result<SchemaAndValue, ParseError>,
    ) -> Result<SchemaAndValue, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn next_token(&mut self, embedded: bool, token: &str) -> Result<SchemaAndValue, ParseError> {
        let first = token.chars().next().unwrap_or(' ');
        if first.is_ascii_digit() {
            if let Some(sv) = self.multi_token_temporal(token) {
                return Ok(sv);
            }
        }
        if first.is_ascii_digit() || first == '+' || first == '-' {
            if let Some(sv) = parse_number(token) {
                return Ok(sv);
            }
        }
        if embedded {
            return Err(ParseError::Data(
                "Failed to parse embedded value".to_string(),
            ));
        }
        Ok((required(Type::String), Value::String(self.t.s.to_string())))
    }

    /// Times and timestamps span five tokens because `:` is a delimiter.
    fn multi_token_temporal(&mut self, token: &str) -> Option<SchemaAndValue> {
        let position = self.t.mark();
        if let Some(rest) = self.t.next_n(4) {
            if let Some(sv) = parse_temporal(&format!("{token}{rest}")) {
                return Some(sv);
            }
        }
        self.t.rewind(position);
        parse_temporal(token)
    }

    fn quoted_string(&mut self) -> SchemaAndValue {
        let mut content = String::new();
        while self.t.has_next() {
            if self.t.can_consume("\"") {
                break;
            }
            content.push_str(self.t.next());
        }
        parse_temporal(&content).unwrap_or_else(|| (required(Type::String), Value::String(content)))
    }

    fn array(&mut self) -> Result<SchemaAndValue, ParseError> {
        let original = self.t.s;
        let mut result = Vec::new();
        let mut merger = Merger::default();
        while self.t.has_next() {
            if self.t.can_consume("]") {
                let mut schema = Schema::new(Type::Array);
                if let Some(common) = merger.common {
                    result = result
                        .into_iter()
                        .map(|v| align(&common, v))
                        .collect::<Result<_, String>>()?;
                    schema.items = Some(common);
                }
                return Ok((schema.build(), Value::Array(result)));
            }
            if self.t.can_consume(",") {
                return Err(format!("Unable to parse an empty array element: {original}").into());
            }
            let element = self.parse(true)?;
            merger.merge(element.as_ref());
            result.push(element.map_or(Value::Null, |(_, v)| v));
            let current = self.t.mark();
            if self.t.can_consume("]") {
                self.t.rewind(current);
            } else if !self.t.can_consume(",") {
                return Err(ParseError::Data(
                    "Array elements missing ',' delimiter".to_string(),
                ));
            }
        }
        if self.t.prev.map(|t| self.t.text(t)) == Some(",") {
            return Err(format!("Array is missing element after ',': {original}").into());
        }
        Err(format!("Array is missing terminating ']': {original}").into())
    }

    fn map(&mut self) -> Result<SchemaAndValue, ParseError> {
        let original = self.t.s;
        let mut result: Vec<(Value, Value)> = Vec::new();
        let (mut keys, mut values) = (Merger::default(), Merger::default());
        while self.t.has_next() {
            if self.t.can_consume("}") {
                let mut schema = Schema::new(Type::Map);
                if let Some(ks) = keys.common {
                    let vs = values.common;
                    result = result
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match &vs {
                                Some(vs) => align(vs, v)?,
                                None => v,
                            };
                            Ok((align(&ks, k)?, v))
                        })
                        .collect::<Result<_, String>>()?;
                    schema.keys = Some(ks);
                    schema.values = vs;
                }
                return Ok((schema.build(), Value::Map(result)));
            }
            if self.t.can_consume(",") {
                return Err(format!(
                    "Unable to parse a map entry with no key or value: {original}"
                )
                .into());
            }
            let key = match self.parse(true)? {
                Some(k) if !k.1.is_null() => k,
                _ => return Err(format!("Map entry may not have a null key: {original}").into()),
            };
            if !self.t.can_consume(":") {
                return Err(
                    format!("Map entry is missing ':' at {} in {original}", self.t.pos).into(),
                );
            }
            let value = self.parse(true)?;
            let entry_value = value.as_ref().map_or(Value::Null, |(_, v)| v.clone());
            // LinkedHashMap.put: a repeated key keeps its place and takes the new value.
            match result.iter_mut().find(|(k, _)| *k == key.1) {
                Some(slot) => slot.1 = entry_value,
                None => result.push((key.1.clone(), entry_value)),
            }
            self.t.can_consume(",");
            keys.merge(Some(&key));
            values.merge(value.as_ref());
        }
        if self.t.prev.map(|t| self.t.text(t)) == Some(",") {
            return Err(format!("Map is missing element after ',': {original}").into());
        }
        Err(format!("Map is missing terminating '}}': {original}").into())
    }
}

/// `parseAsNumber`: exact integers as the smallest integer type, then FLOAT32/FLOAT64 when
/// finite (and not a plain integer literal), else Decimal.
fn parse_number(token: &str) -> Option<SchemaAndValue> {
    let decimal = java::parse_big_decimal(token)?;
    let (unscaled, scale) = decimal.as_bigint_and_scale();
    if let Some(i) = exact_long(&unscaled, scale) {
        return Some(if let Ok(v) = i8::try_from(i) {
            (required(Type::Int8), Value::Int8(v))
        } else if let Ok(v) = i16::try_from(i) {
            (required(Type::Int16), Value::Int16(v))
        } else if let Ok(v) = i32::try_from(i) {
            (required(Type::Int32), Value::Int32(v))
        } else {
            (required(Type::Int64), Value::Int64(i))
        });
    }
    let text = java::decimal_float_text(&decimal);
    let f: f32 = text.parse().ok()?;
    if f.is_finite() && scale != 0 {
        return Some((required(Type::Float32), Value::Float32(f + 0.0)));
    }
    let d: f64 = text.parse().ok()?;
    if d.is_finite() && scale != 0 {
        return Some((required(Type::Float64), Value::Float64(d + 0.0)));
    }
    let scale = i32::try_from(scale).ok()?;
    Some((Schema::decimal(scale).build(), Value::Decimal(decimal)))
}

/// The value as an i64 if it is an integer within the long range.
fn exact_long(unscaled: &BigInt, scale: i64) -> Option<i64> {
    if unscaled.is_zero() {
        return Some(0);
    }
    let digits = unscaled.magnitude().to_string().len() as i64;
    let integer = if scale <= 0 {
        if digits - scale > 20 {
            return None;
        }
        unscaled * BigInt::from(10u8).pow((-scale) as u32)
    } else {
        if scale >= digits {
            return None;
        }
        let pow = BigInt::from(10u8).pow(scale as u32);
        if !(unscaled % &pow).is_zero() {
            return None;
        }
        unscaled / pow
    };
    i64::try_from(integer).ok()
}

enum Part {
    Num(usize),
    Lit(u8),
}

/// `parseAsTemporal`: picks Time, Timestamp or Date by length, then parses like a lenient
/// SimpleDateFormat in UTC (prefix match, numeric fields may overflow into the next unit).
fn parse_temporal(token: &str) -> Option<SchemaAndValue> {
    use Part::{Lit, Num};
    let token = token.replace("\\:", ":");
    const DATE: &[Part] = &[Num(0), Lit(b'-'), Num(1), Lit(b'-'), Num(2)];
    const TIME: &[Part] = &[
        Num(3),
        Lit(b':'),
        Num(4),
        Lit(b':'),
        Num(5),
        Lit(b'.'),
        Num(6),
        Lit(b'Z'),
    ];
    const TIMESTAMP: &[Part] = &[
        Num(0),
        Lit(b'-'),
        Num(1),
        Lit(b'-'),
        Num(2),
        Lit(b'T'),
        Num(3),
        Lit(b':'),
        Num(4),
        Lit(b':'),
        Num(5),
        Lit(b'.'),
        Num(6),
        Lit(b'Z'),
    ];
    let (pattern, schema) = match token.encode_utf16().count() {
        13 => (TIME, Schema::time().build()),
        24 => (TIMESTAMP, Schema::timestamp().build()),
        10 => (DATE, Schema::date().build()),
        _ => return None,
    };
    // year, month, day, hour, minute, second, millisecond
    let mut f: [i64; 7] = [1970, 1, 1, 0, 0, 0, 0];
    let b = token.as_bytes();
    let mut i = 0;
    for part in pattern {
        match part {
            Lit(c) => {
                if b.get(i) != Some(c) {
                    return None;
                }
                i += 1;
            }
            Num(slot) => {
                while matches!(b.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                f[*slot] = token.get(start..i)?.parse().ok()?;
            }
        }
    }
    let months = f[0].checked_mul(12)?.checked_add(f[1] - 1)?;
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
    let days = java::days_from_calendar(year, month, 1).checked_add(f[2] - 1)?;
    let millis = days
        .checked_mul(java::MILLIS_PER_DAY)?
        .checked_add(f[3].checked_mul(3_600_000)?)?
        .checked_add(f[4].checked_mul(60_000)?)?
        .checked_add(f[5].checked_mul(1000)?)?
        .checked_add(f[6])?;
    let value = match schema.name.as_deref() {
        Some(crate::data::schema::TIMESTAMP) => Value::Int64(millis),
        Some(crate::data::schema::DATE) => {
            Value::Int32(i32::try_from(millis.div_euclid(java::MILLIS_PER_DAY)).ok()?)
        }
        _ => Value::Int32(i32::try_from(millis).ok()?),
    };
    Some((schema, value))
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
