//! Debezium's value converters (`BinlogValueConverters` over `JdbcValueConverters`): a
//! [`Datum`], the Java object the JDBC driver, the binlog client or the default-value parser
//! would hand Debezium, becomes the column's Connect value. Java's narrowing and rounding rules
//! are kept, so every source converts as it does in Debezium.

use std::borrow::Cow;

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use bigdecimal::BigDecimal;
use mysql_common::io::ParseBuf;
use num_bigint::BigInt;

use super::charset::decode_charset;
use super::jsonb::{plain_string, try_render_jsonb};
use super::kind::{IntWidth, Kind};
use super::temporal::{iso_utc, Fraction, LocalDate, LocalDateTime, NANOS_PER_SECOND};
use super::{BigintUnsignedMode, BinaryMode, DecimalMode, TimePrecisionMode, TypeError, TypeModes};
use crate::connectors::mysql::model::Column;
use crate::converters::java::{
    decimal_float_text, double_to_string, float_to_string, parse_big_decimal,
};
use crate::data::{SchemaRef, Struct, Type, Value};

/// WKB of `GEOMETRYCOLLECTION EMPTY`, Debezium's value for a missing geometry.
const EMPTY_GEOMETRY_WKB: [u8; 9] = [0x01, 0x07, 0, 0, 0, 0, 0, 0, 0];
/// WKB of a 2D point: byte order, type, x, y.
const WKB_POINT_LEN: usize = 21;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// A column value as the Java object Debezium's converters receive.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum<'a> {
    Null,
    /// byte[] (strings in the column charset, binary data, BIT, geometry).
    Bytes(Cow<'a, [u8]>),
    /// java.lang.String (default values, JSON/ENUM/SET text from the snapshot).
    Text(Cow<'a, str>),
    Bool(bool),
    /// Short, Integer or Long.
    Int(i64),
    /// BigInteger (BIGINT UNSIGNED over JDBC or from the binlog).
    UInt(u64),
    Float(f32),
    Double(f64),
    Decimal(BigDecimal),
    Date(LocalDate),
    DateTime(LocalDateTime),
    /// ZonedDateTime in UTC (binlog TIMESTAMP, TIMESTAMP defaults): the fraction is written
    /// with the column's precision.
    Zoned(LocalDateTime),
    /// java.sql.Timestamp (snapshot TIMESTAMP, epoch defaults): ISO_OFFSET_DATE_TIME.
    Instant(LocalDateTime),
    /// java.time.Duration, in nanoseconds.
    Duration(i64),
    /// java.sql.Date of a YEAR column read over JDBC: the year is taken as is.
    SqlYear(i64),
}

/// `convertValue` plus the type's converter.
pub fn to_connect(
    col: &Column,
    kind: &Kind,
    schema: &SchemaRef,
    datum: Datum<'_>,
    modes: &TypeModes,
) -> Result<Value, TypeError> {
    if datum == Datum::Null {
        return Ok(missing(col, *kind, schema, modes));
    }
    let c = Conv { col, schema, modes };
    match *kind {
        Kind::Boolean => c.boolean(datum),
        Kind::Bit => c.bit(datum),
        Kind::Bits { bits } => c.bits(datum, bits),
        Kind::Int { width, unsigned } => c.int(datum, width, unsigned),
        Kind::Real => c.float32(datum),
        Kind::Float { float32: true, .. } => c.float32(datum),
        Kind::Float { .. } | Kind::Double => c.float64(datum),
        Kind::Decimal { .. } => c.decimal(datum),
        Kind::Text => c.text(datum),
        Kind::Binary { pad_to } => c.binary(datum, pad_to),
        Kind::Json => c.json(datum),
        Kind::Enum => c.enumeration(datum),
        Kind::Set => c.set(datum),
        Kind::Year => c.year(datum),
        Kind::Date => c.date(datum),
        Kind::Time => c.time(datum),
        Kind::DateTime { fsp } => c.datetime(datum, fsp),
        Kind::Timestamp { fsp } => c.timestamp(datum, fsp),
        Kind::Geometry => c.geometry(datum),
        Kind::Point => c.point(datum),
        Kind::Vector => c.vector(datum),
        Kind::Uuid => c.uuid(datum),
    }
}

/// A null datum: null for a nullable column, else the schema default, else the type's
/// fallback (what Debezium emits e.g. for zero dates in NOT NULL columns).
fn missing(col: &Column, kind: Kind, schema: &SchemaRef, modes: &TypeModes) -> Value {
    if col.optional {
        return Value::Null;
    }
    if let Some(default) = &schema.default {
        return default.clone();
    }
    match kind {
        Kind::Boolean | Kind::Bit => Value::Boolean(false),
        Kind::Bits { .. } => Value::Bytes(Vec::new()),
        Kind::Json => Value::String("{}".to_string()),
        Kind::Timestamp { .. } => Value::String("1970-01-01T00:00:00Z".to_string()),
        Kind::Geometry | Kind::Point => {
            let s =
                Struct::new(schema.clone()).with("wkb", Value::Bytes(EMPTY_GEOMETRY_WKB.to_vec()));
            Value::Struct(s)
        }
        Kind::Vector => Value::Array(Vec::new()),
        Kind::Decimal { scale, .. } => {
            let zero = BigDecimal::new(BigInt::from(0), i64::from(scale));
            decimal_in_mode(zero, modes.decimal)
        }
        _ => zero_of(schema),
    }
}

/// The zero value of a primitive schema (`0`, `0.0`, `""`, empty bytes, Decimal 0).
fn zero_of(schema: &SchemaRef) -> Value {
    match schema.kind {
        Type::Int8 => Value::Int8(0),
        Type::Int16 => Value::Int16(0),
        Type::Int32 => Value::Int32(0),
        Type::Int64 => Value::Int64(0),
        Type::Float32 => Value::Float32(0.0),
        Type::Float64 => Value::Float64(0.0),
        Type::Boolean => Value::Boolean(false),
        Type::String => Value::String(String::new()),
        Type::Bytes if schema.decimal_scale().is_some() => {
            let scale = schema.decimal_scale().unwrap_or(0);
            Value::Decimal(BigDecimal::new(BigInt::from(0), i64::from(scale)))
        }
        Type::Bytes => Value::Bytes(Vec::new()),
        Type::Array | Type::Map | Type::Struct => Value::Null,
    }
}

fn decimal_in_mode(d: BigDecimal, mode: DecimalMode) -> Value {
    match mode {
        DecimalMode::Precise => Value::Decimal(d),
        DecimalMode::Double => Value::Float64(decimal_to_f64(&d)),
        DecimalMode::String => Value::String(plain_string(&d)),
    }
}

/// `BigDecimal.doubleValue()`.
fn decimal_to_f64(d: &BigDecimal) -> f64 {
    decimal_float_text(d).parse().unwrap_or(0.0)
}

/// `BigDecimal.longValue()`: the integer part's low 64 bits.
fn decimal_low_bits(d: &BigDecimal) -> i64 {
    let (int, _) = d.with_scale(0).into_bigint_and_scale();
    let bytes = int.to_signed_bytes_le();
    let mut buf = if int.sign() == num_bigint::Sign::Minus {
        [0xFF; 8]
    } else {
        [0; 8]
    };
    for (slot, b) in buf.iter_mut().zip(bytes) {
        *slot = b;
    }
    i64::from_le_bytes(buf)
}

/// `new BigDecimal(String)`, refusing exponents that would make later rescaling or plain
/// rendering huge (MySQL decimals have at most 65 digits).
pub fn parse_decimal(s: &str) -> Option<BigDecimal> {
    const MAX_SCALE: i64 = 1000;
    let d = parse_big_decimal(s)?;
    (d.as_bigint_and_scale().1.abs() <= MAX_SCALE).then_some(d)
}

/// `Math.round(double)`: nearest long, ties toward positive infinity, saturating.
pub fn java_round(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    let floor = x.floor();
    let rounded = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    rounded as i64
}

/// `Double.parseDouble`: blanks trimmed, an `f`/`d` suffix allowed, `NaN`/`Infinity` spelled
/// out (Rust's `inf`/`nan` spellings rejected).
pub fn java_parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    let body = t.trim_start_matches(['+', '-']);
    match body {
        "NaN" | "Infinity" => {}
        b if b
            .bytes()
            .any(|c| c.is_ascii_alphabetic() && !matches!(c, b'e' | b'E')) =>
        {
            return None
        }
        _ => {}
    }
    t.parse().ok()
}

/// `Integer.valueOf(String)`.
fn java_parse_int(s: &str) -> Option<i32> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

struct Conv<'c> {
    col: &'c Column,
    schema: &'c SchemaRef,
    modes: &'c TypeModes,
}

impl Conv<'_> {
    fn unexpected(&self, datum: &Datum<'_>) -> TypeError {
        let what = match datum {
            Datum::Null => "null",
            Datum::Bytes(_) => "bytes",
            Datum::Text(_) => "a string",
            Datum::Bool(_) => "a boolean",
            Datum::Int(_) | Datum::UInt(_) => "an integer",
            Datum::Float(_) | Datum::Double(_) => "a floating-point number",
            Datum::Decimal(_) => "a decimal",
            Datum::Date(_) => "a date",
            Datum::DateTime(_) | Datum::Zoned(_) | Datum::Instant(_) => "a date-time",
            Datum::Duration(_) => "a time",
            Datum::SqlYear(_) => "a year",
        };
        self.invalid(format!("unexpected value: {what}"))
    }

    fn invalid(&self, reason: impl Into<String>) -> TypeError {
        TypeError::invalid(self.col, reason)
    }

    fn boolean(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Bool(b) => Ok(Value::Boolean(b)),
            Datum::Int(v) => Ok(Value::Boolean(v as i32 != 0)),
            Datum::UInt(v) => Ok(Value::Boolean(v as i32 != 0)),
            other => Err(self.unexpected(&other)),
        }
    }

    /// BIT(1): a BitSet's bit 0 is the low bit of the last big-endian byte.
    fn bit(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Bytes(b) => Ok(Value::Boolean(b.last().is_some_and(|x| x & 1 == 1))),
            other => self.boolean(other),
        }
    }

    /// BIT(n): big-endian bytes reversed to little-endian and right-padded to ⌈n/8⌉ bytes.
    fn bits(&self, datum: Datum<'_>, bits: u32) -> Result<Value, TypeError> {
        match datum {
            Datum::Bool(b) => Ok(Value::Bytes(vec![u8::from(b)])),
            Datum::Bytes(b) => {
                let mut le: Vec<u8> = b.iter().rev().copied().collect();
                // MySQL's BIT is at most 64 bits.
                let len = bits.div_ceil(8).min(8) as usize;
                if le.len() < len {
                    le.resize(len, 0);
                }
                Ok(Value::Bytes(le))
            }
            other => Err(self.unexpected(&other)),
        }
    }

    fn int(&self, datum: Datum<'_>, width: IntWidth, unsigned: bool) -> Result<Value, TypeError> {
        if width == IntWidth::Big
            && unsigned
            && self.modes.bigint_unsigned == BigintUnsignedMode::Precise
        {
            return self.unsigned_bigint(datum);
        }
        // Strings (defaults) are rounded as doubles and skip the unsigned correction.
        let (n, correct) = match datum {
            Datum::Text(s) => {
                let d = java_parse_double(&s).ok_or_else(|| self.invalid("not a number"))?;
                (Number::Long(java_round(d)), false)
            }
            Datum::Bool(b) => (Number::Long(i64::from(b)), false),
            Datum::Int(v) => (Number::Long(v), true),
            Datum::UInt(v) => (Number::Long(v as i64), true),
            Datum::Float(f) => (Number::Double(f64::from(f)), true),
            Datum::Double(d) => (Number::Double(d), true),
            Datum::Decimal(d) => (Number::Long(decimal_low_bits(&d)), true),
            other => return Err(self.unexpected(&other)),
        };
        let correct = correct && unsigned;
        Ok(match (width, unsigned) {
            (IntWidth::Tiny, _) => {
                let v = n.short();
                Value::Int16(if correct && v < 0 {
                    v.wrapping_add(256)
                } else {
                    v
                })
            }
            (IntWidth::Small, false) => Value::Int16(n.short()),
            (IntWidth::Small, true) => {
                let v = n.int();
                Value::Int32(if correct && v < 0 { v + 65_536 } else { v })
            }
            (IntWidth::Medium, true) => {
                let v = n.int();
                Value::Int32(if correct && v < 0 { v + 16_777_216 } else { v })
            }
            (IntWidth::Medium, false) | (IntWidth::Int, false) => Value::Int32(n.int()),
            (IntWidth::Int, true) => {
                let v = n.long();
                Value::Int64(if correct && v < 0 { v + (1 << 32) } else { v })
            }
            (IntWidth::Big, _) => Value::Int64(n.long()),
        })
    }

    /// BIGINT UNSIGNED in `precise` mode: a Decimal with scale 0, negatives corrected by 2^64.
    fn unsigned_bigint(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let d = match datum {
            Datum::Decimal(d) => Some(d),
            Datum::Int(v) => Some(BigDecimal::from(v)),
            Datum::UInt(v) => Some(BigDecimal::from(v)),
            Datum::Bool(b) => Some(BigDecimal::from(u8::from(b))),
            Datum::Float(f) => parse_decimal(&float_to_string(f)),
            Datum::Double(d) => parse_decimal(&double_to_string(d)),
            Datum::Text(s) => parse_decimal(&s),
            other => return Err(self.unexpected(&other)),
        }
        .ok_or_else(|| self.invalid("not a number"))?;
        let d = if d.sign() == num_bigint::Sign::Minus {
            d + BigDecimal::from(BigInt::from(1) << 64)
        } else {
            d
        };
        if d.as_bigint_and_scale().1 != 0 {
            return Err(self.invalid("BIGINT UNSIGNED value with a fraction"));
        }
        Ok(Value::Decimal(d))
    }

    fn float32(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let v = match datum {
            Datum::Float(f) => f,
            Datum::Double(d) => d as f32,
            Datum::Int(v) => v as f32,
            Datum::UInt(v) => v as f32,
            Datum::Bool(b) => f32::from(u8::from(b)),
            Datum::Decimal(d) => decimal_float_text(&d).parse().unwrap_or(0.0),
            other => return Err(self.unexpected(&other)),
        };
        Ok(Value::Float32(v))
    }

    fn float64(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let v = match datum {
            Datum::Double(d) => d,
            Datum::Float(f) => f64::from(f),
            Datum::Int(v) => v as f64,
            Datum::UInt(v) => v as f64,
            Datum::Bool(b) => f64::from(u8::from(b)),
            Datum::Decimal(d) => decimal_to_f64(&d),
            other => return Err(self.unexpected(&other)),
        };
        Ok(Value::Float64(v))
    }

    /// `toBigDecimal` then `SpecialValueDecimal.fromLogical` in the configured mode.
    fn decimal(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let d = match datum {
            Datum::Decimal(d) => Some(d),
            Datum::UInt(v) => Some(BigDecimal::from(v)),
            Datum::Int(v) => Some(BigDecimal::from(v)),
            Datum::Bool(b) => Some(BigDecimal::from(u8::from(b))),
            // BigDecimal.valueOf(double) goes through Double.toString.
            Datum::Float(f) => parse_decimal(&double_to_string(f64::from(f))),
            Datum::Double(d) => parse_decimal(&double_to_string(d)),
            Datum::Text(s) => parse_decimal(&s),
            other => return Err(self.unexpected(&other)),
        };
        let d = d.ok_or_else(|| self.invalid("not a decimal number"))?;
        Ok(decimal_in_mode(d, self.modes.decimal))
    }

    fn text(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Bytes(b) => Ok(Value::String(decode_charset(
                self.col.charset.as_deref(),
                &b,
            ))),
            Datum::Text(s) => Ok(Value::String(s.into_owned())),
            other => Err(self.unexpected(&other)),
        }
    }

    fn binary(&self, datum: Datum<'_>, pad_to: Option<usize>) -> Result<Value, TypeError> {
        let bytes = match datum {
            // Strings (defaults) are taken as UTF-8, without BINARY padding.
            Datum::Text(s) => s.into_owned().into_bytes(),
            Datum::Bytes(b) => {
                let mut b = b.into_owned();
                // MySQL's BINARY is at most 255 bytes.
                if let Some(len) = pad_to.map(|len| len.min(255)).filter(|len| b.len() < *len) {
                    b.resize(len, 0);
                }
                b
            }
            other => return Err(self.unexpected(&other)),
        };
        Ok(match self.modes.binary {
            BinaryMode::Bytes => Value::Bytes(bytes),
            BinaryMode::Base64 => Value::String(STANDARD.encode(bytes)),
            BinaryMode::Base64UrlSafe => Value::String(URL_SAFE.encode(bytes)),
            BinaryMode::Hex => Value::String(hex_lower(&bytes)),
        })
    }

    /// Snapshot text is kept; binary JSON is rendered compactly (an empty value is null or
    /// `{}`; MariaDB-style text stored in a JSON column is kept).
    fn json(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Text(s) => Ok(Value::String(s.into_owned())),
            Datum::Bytes(b) => match b.first() {
                None if self.col.optional => Ok(Value::Null),
                None => Ok(Value::String("{}".to_string())),
                Some(&first) if (0x10..0x80).contains(&first) => {
                    Ok(Value::String(String::from_utf8_lossy(&b).into_owned()))
                }
                Some(_) => {
                    let value: mysql_common::binlog::jsonb::Value<'_> = ParseBuf(&b)
                        .parse(())
                        .map_err(|e| self.invalid(format!("malformed binary JSON: {e}")))?;
                    let text = try_render_jsonb(&value)
                        .map_err(|e| self.invalid(format!("malformed binary JSON: {e}")))?;
                    Ok(Value::String(text))
                }
            },
            other => Err(self.unexpected(&other)),
        }
    }

    /// The binlog carries the 1-based option index; 0 is the invalid value ''.
    fn enumeration(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Text(s) => Ok(Value::String(s.into_owned())),
            Datum::Bytes(b) => Ok(Value::String(decode_charset(
                self.col.charset.as_deref(),
                &b,
            ))),
            Datum::Int(0) => Ok(Value::String(String::new())),
            Datum::Int(i) => usize::try_from(i.saturating_sub(1))
                .ok()
                .and_then(|i| self.col.enum_values.get(i))
                .map(|label| Value::String(label.clone()))
                .ok_or_else(|| self.invalid(format!("ENUM index {i} is out of range"))),
            other => Err(self.unexpected(&other)),
        }
    }

    /// The binlog carries a bitmask; labels are joined in definition order.
    fn set(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Text(s) => Ok(Value::String(s.into_owned())),
            Datum::Bytes(b) => Ok(Value::String(decode_charset(
                self.col.charset.as_deref(),
                &b,
            ))),
            Datum::Int(bits) => Ok(Value::String(set_labels(
                bits as u64,
                &self.col.enum_values,
            ))),
            Datum::UInt(bits) => Ok(Value::String(set_labels(bits, &self.col.enum_values))),
            other => Err(self.unexpected(&other)),
        }
    }

    fn year(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let year = match datum {
            Datum::SqlYear(y) => return Ok(Value::Int32(y as i32)),
            Datum::Text(s) => {
                i64::from(java_parse_int(&s).ok_or_else(|| self.invalid("not a year"))?)
            }
            Datum::Int(v) => i64::from(v as i32),
            Datum::UInt(v) => i64::from(v as i32),
            Datum::Bytes(b) => {
                let text = String::from_utf8_lossy(&b);
                i64::from(java_parse_int(&text).ok_or_else(|| self.invalid("not a year"))?)
            }
            other => return Err(self.unexpected(&other)),
        };
        let year = super::temporal::adjust_year(year);
        i32::try_from(year)
            .ok()
            .filter(|y| y.unsigned_abs() <= 999_999_999)
            .map(Value::Int32)
            .ok_or_else(|| self.invalid("year out of range"))
    }

    fn date(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let date = match datum {
            Datum::Date(d) => d,
            Datum::DateTime(t) | Datum::Zoned(t) | Datum::Instant(t) => t.date,
            other => return Err(self.unexpected(&other)),
        };
        Ok(Value::Int32(date.adjusted().epoch_day() as i32))
    }

    fn time(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let Datum::Duration(nanos) = datum else {
            return Err(self.unexpected(&datum));
        };
        match self.modes.time {
            TimePrecisionMode::AdaptiveTimeMicroseconds => Ok(Value::Int64(nanos / 1000)),
            TimePrecisionMode::Connect if (0..=NANOS_PER_DAY).contains(&nanos) => {
                Ok(Value::Int32((nanos / 1_000_000) as i32))
            }
            TimePrecisionMode::Connect => Err(self.invalid(
                "Time values must be between 00:00:00 and 24:00:00 (inclusive) \
                 with time.precision.mode=connect",
            )),
        }
    }

    fn datetime(&self, datum: Datum<'_>, fsp: i32) -> Result<Value, TypeError> {
        let t = match datum {
            Datum::DateTime(t) | Datum::Zoned(t) | Datum::Instant(t) => t,
            Datum::Date(d) => LocalDateTime::midnight(d),
            other => return Err(self.unexpected(&other)),
        }
        .adjusted();
        let epoch = match self.modes.time {
            TimePrecisionMode::AdaptiveTimeMicroseconds if fsp > 3 => t.epoch_micros(),
            _ => t.epoch_millis(),
        };
        epoch
            .map(Value::Int64)
            .ok_or_else(|| self.invalid("date-time out of range"))
    }

    fn timestamp(&self, datum: Datum<'_>, fsp: i32) -> Result<Value, TypeError> {
        let text = match datum {
            Datum::Zoned(t) => {
                let fraction = match u32::try_from(fsp) {
                    Ok(w @ 1..=9) => Fraction::Fixed(w),
                    _ => Fraction::Minimal,
                };
                iso_utc(t.adjusted(), fraction)
            }
            Datum::Instant(t) => iso_utc(t, Fraction::Minimal),
            Datum::Text(s) => s.into_owned(),
            other => return Err(self.unexpected(&other)),
        };
        Ok(Value::String(text))
    }

    /// MySQL's internal geometry: a little-endian SRID (0 = none) and the WKB.
    fn split_geometry(&self, datum: Datum<'_>) -> Result<(Vec<u8>, Option<i32>), TypeError> {
        let Datum::Bytes(b) = datum else {
            return Err(self.unexpected(&datum));
        };
        let (srid, wkb) = b
            .split_first_chunk::<4>()
            .ok_or_else(|| self.invalid("geometry value shorter than its SRID"))?;
        let srid = i32::from_le_bytes(*srid);
        Ok((wkb.to_vec(), (srid != 0).then_some(srid)))
    }

    fn geometry(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let (wkb, srid) = self.split_geometry(datum)?;
        let s = Struct::new(self.schema.clone())
            .with("wkb", Value::Bytes(wkb))
            .with("srid", srid.map_or(Value::Null, Value::Int32));
        Ok(Value::Struct(s))
    }

    fn point(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let (wkb, srid) = self.split_geometry(datum)?;
        let (x, y) = parse_wkb_point(&wkb)
            .ok_or_else(|| self.invalid("Failed to parse and read a value of type POINT"))?;
        let s = Struct::new(self.schema.clone())
            .with("x", Value::Float64(x))
            .with("y", Value::Float64(y))
            .with("wkb", Value::Bytes(wkb))
            .with("srid", srid.map_or(Value::Null, Value::Int32));
        Ok(Value::Struct(s))
    }

    /// Little-endian float32s; a length that is not a multiple of 4 gives an empty vector.
    fn vector(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        let Datum::Bytes(b) = datum else {
            return Err(self.unexpected(&datum));
        };
        if b.len() % 4 != 0 {
            return Ok(Value::Array(Vec::new()));
        }
        let floats = b
            .chunks_exact(4)
            .map(|c| Value::Float32(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect();
        Ok(Value::Array(floats))
    }

    /// MariaDB UUID: 16 big-endian bytes from the binlog, text from the snapshot.
    fn uuid(&self, datum: Datum<'_>) -> Result<Value, TypeError> {
        match datum {
            Datum::Bytes(b) => {
                // new BigInteger(1, bytes): the low 128 bits, zero-extended.
                let mut v = [0u8; 16];
                let tail = &b[b.len().saturating_sub(16)..];
                v[16 - tail.len()..].copy_from_slice(tail);
                let h = hex_lower(&v);
                let text = format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                );
                Ok(Value::String(text))
            }
            Datum::Text(s) => Ok(Value::String(s.to_ascii_lowercase())),
            other => Err(self.unexpected(&other)),
        }
    }
}

/// A Java Number, for the narrowing conversions `shortValue`/`intValue`/`longValue`.
enum Number {
    Long(i64),
    Double(f64),
}

impl Number {
    fn long(&self) -> i64 {
        match *self {
            Number::Long(v) => v,
            Number::Double(d) => d as i64,
        }
    }

    fn int(&self) -> i32 {
        match *self {
            Number::Long(v) => v as i32,
            Number::Double(d) => d as i32,
        }
    }

    fn short(&self) -> i16 {
        self.int() as i16
    }
}

/// Debezium's `convertSetValue`: a comma per set bit, the label when the bit has one.
fn set_labels(mut bits: u64, options: &[String]) -> String {
    let mut out = String::new();
    let mut index = 0;
    let mut first = true;
    while bits != 0 {
        if bits & 1 == 1 {
            if !first {
                out.push(',');
            }
            first = false;
            if let Some(label) = options.get(index) {
                out.push_str(label);
            }
        }
        index += 1;
        bits >>= 1;
    }
    out
}

/// `Point.parseWKBPoint`: byte order, type 1, then x and y.
fn parse_wkb_point(wkb: &[u8]) -> Option<(f64, f64)> {
    if wkb.len() != WKB_POINT_LEN {
        return None;
    }
    let little = wkb[0] != 0;
    let int = |b: &[u8]| -> Option<u32> {
        let b: [u8; 4] = b.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let double = |b: &[u8]| -> Option<f64> {
        let b: [u8; 8] = b.try_into().ok()?;
        Some(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    };
    if int(wkb.get(1..5)?)? != 1 {
        return None;
    }
    Some((double(wkb.get(5..13)?)?, double(wkb.get(13..21)?)?))
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}
