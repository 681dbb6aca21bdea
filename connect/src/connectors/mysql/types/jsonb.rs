//! MySQL binary JSON (as decoded by mysql_common) rendered exactly as mysql-binlog-connector's
//! `JsonBinary.parseAsString` with `JsonStringFormatter` does for Debezium: compact, Java number
//! formatting, and that formatter's quirks (six-digit fractions, opaque values as base64,
//! inline UINT32 entries of large containers dropped).

use std::fmt::Write as _;
use std::io;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bigdecimal::BigDecimal;
use mysql_common::binlog::decimal::Decimal;
use mysql_common::binlog::jsonb::{self, ComplexValue, StorageFormat};
use mysql_common::constants::ColumnType;
use num_bigint::BigInt;

use crate::converters::java::{double_to_string, parse_big_decimal};

/// Renders binary JSON the way Debezium's streaming path does (`{"a":1,"b":[1,2]}`). A part
/// that cannot be read is written as `null`; use [`try_render_jsonb`] to detect that.
pub fn render_jsonb(value: &jsonb::Value<'_>) -> String {
    let mut w = Writer {
        out: String::new(),
        strict: false,
        depth: 0,
    };
    match w.value(value, false) {
        Ok(()) => w.out,
        Err(_) => "null".to_string(),
    }
}

/// [`render_jsonb`], failing on malformed binary JSON as Debezium does.
pub fn try_render_jsonb(value: &jsonb::Value<'_>) -> io::Result<String> {
    let mut w = Writer {
        out: String::new(),
        strict: true,
        depth: 0,
    };
    w.value(value, false)?;
    Ok(w.out)
}

/// Deeper nesting than this is treated as malformed (MySQL itself allows 100 levels).
const MAX_DEPTH: usize = 1000;

struct Writer {
    out: String,
    /// Fail on malformed input (else write `null` and go on).
    strict: bool,
    depth: usize,
}

impl Writer {
    /// `in_large`: the value is an element of a large object/array, where the binlog client
    /// stores inline UINT32 values as a Long that its formatter then skips.
    fn value(&mut self, value: &jsonb::Value<'_>, in_large: bool) -> io::Result<()> {
        match value {
            jsonb::Value::Null => self.out.push_str("null"),
            jsonb::Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            jsonb::Value::I16(x) => self.push_display(x),
            jsonb::Value::U16(x) => self.push_display(x),
            jsonb::Value::I32(x) => self.push_display(x),
            jsonb::Value::U32(_) if in_large => {}
            jsonb::Value::U32(x) => self.push_display(x),
            jsonb::Value::I64(x) => self.push_display(x),
            jsonb::Value::U64(x) => self.push_display(x),
            jsonb::Value::F64(x) => self.out.push_str(&java_json_double(*x)),
            jsonb::Value::String(s) => quote(&mut self.out, &s.str()),
            jsonb::Value::SmallObject(o) => self.object(o, false)?,
            jsonb::Value::LargeObject(o) => self.object(o, true)?,
            jsonb::Value::SmallArray(a) => self.array(a, false)?,
            jsonb::Value::LargeArray(a) => self.array(a, true)?,
            jsonb::Value::Opaque(o) => self.opaque(o.value_type(), o.data_raw())?,
        }
        Ok(())
    }

    fn push_display(&mut self, x: &dyn std::fmt::Display) {
        let _ = write!(self.out, "{x}");
    }

    fn object<T: StorageFormat>(
        &mut self,
        obj: &ComplexValue<'_, T, jsonb::Object>,
        large: bool,
    ) -> io::Result<()> {
        self.out.push('{');
        for (i, entry) in obj.iter().enumerate() {
            if i != 0 {
                self.out.push(',');
            }
            match entry {
                Ok((key, value)) => {
                    quote(&mut self.out, &key.value());
                    self.out.push(':');
                    self.element(&value, large)?;
                }
                Err(e) => self.malformed(e)?,
            }
        }
        self.out.push('}');
        Ok(())
    }

    fn array<T: StorageFormat>(
        &mut self,
        arr: &ComplexValue<'_, T, jsonb::Array>,
        large: bool,
    ) -> io::Result<()> {
        self.out.push('[');
        for (i, entry) in arr.iter().enumerate() {
            if i != 0 {
                self.out.push(',');
            }
            match entry {
                Ok(value) => self.element(&value, large)?,
                Err(e) => self.malformed(e)?,
            }
        }
        self.out.push(']');
        Ok(())
    }

    fn element(&mut self, value: &jsonb::Value<'_>, large: bool) -> io::Result<()> {
        let mark = self.out.len();
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            Err(invalid_data("binary JSON nested too deeply"))
        } else {
            self.value(value, large)
        };
        self.depth -= 1;
        match result {
            Ok(()) => Ok(()),
            Err(e) if self.strict => Err(e),
            Err(_) => {
                self.out.truncate(mark);
                self.out.push_str("null");
                Ok(())
            }
        }
    }

    fn malformed(&mut self, e: io::Error) -> io::Result<()> {
        if self.strict {
            return Err(e);
        }
        self.out.push_str("null");
        Ok(())
    }

    /// `JsonBinary.parseOpaque`: decimals and temporal values decoded, anything else base64.
    fn opaque(&mut self, kind: ColumnType, data: &[u8]) -> io::Result<()> {
        use ColumnType::*;
        match kind {
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => {
                // mysql_common subtracts scale from precision unchecked.
                match data {
                    [precision, scale, ..] if scale <= precision => {}
                    _ => return Err(invalid_data("malformed JSON decimal")),
                }
                let text = Decimal::read_packed(data, false)?.to_string();
                let plain = parse_big_decimal(&text)
                    .map(|d| plain_string(&d))
                    .unwrap_or(text);
                self.out.push_str(&plain);
            }
            MYSQL_TYPE_DATE => {
                let v = packed(data)? >> 24;
                let year_month = ((v >> 22) as i32) % (1 << 17);
                let day = ((v >> 17) as i32) % (1 << 5);
                self.out.push('"');
                self.date(year_month / 13, year_month % 13, day);
                self.out.push('"');
            }
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => {
                let raw = packed(data)?;
                let v = raw >> 24;
                let mut hour = ((v >> 12) as i32) % (1 << 10);
                let minute = ((v >> 6) as i32) % (1 << 6);
                let second = (v as i32) % (1 << 6);
                if v < 0 {
                    hour = hour.wrapping_neg();
                }
                let micros = (raw % (1 << 24)) as i32;
                self.out.push('"');
                if hour < 0 {
                    self.out.push('-');
                    hour = hour.wrapping_abs();
                }
                self.time(hour, minute, second, micros);
                self.out.push('"');
            }
            MYSQL_TYPE_DATETIME
            | MYSQL_TYPE_DATETIME2
            | MYSQL_TYPE_TIMESTAMP
            | MYSQL_TYPE_TIMESTAMP2 => {
                let raw = packed(data)?;
                let v = raw >> 24;
                let year_month = ((v >> 22) as i32) % (1 << 17);
                let day = ((v >> 17) as i32) % (1 << 5);
                let hour = ((v >> 12) as i32) % (1 << 5);
                let minute = ((v >> 6) as i32) % (1 << 6);
                let second = (v % (1 << 6)) as i32;
                let micros = (raw % (1 << 24)) as i32;
                self.out.push('"');
                self.date(year_month / 13, year_month % 13, day);
                self.out.push(' ');
                self.time(hour, minute, second, micros);
                self.out.push('"');
            }
            _ => {
                self.out.push('"');
                self.out.push_str(&STANDARD.encode(data));
                self.out.push('"');
            }
        }
        Ok(())
    }

    /// `appendDate`.
    fn date(&mut self, year: i32, month: i32, day: i32) {
        let mut year = year;
        if year < 0 {
            self.out.push('-');
            year = year.wrapping_abs();
        }
        let _ = match year {
            y if y < 10 => write!(self.out, "000{y}"),
            y if y < 100 => write!(self.out, "00{y}"),
            y if y < 1000 => write!(self.out, "0{y}"),
            y => write!(self.out, "{y}"),
        };
        self.out.push('-');
        self.two_digits(month);
        self.out.push('-');
        self.two_digits(day);
    }

    /// `appendTime`: the fraction only when non-zero, six digits with trailing zeros trimmed.
    fn time(&mut self, hour: i32, minute: i32, second: i32, micros: i32) {
        self.two_digits(hour);
        self.out.push(':');
        self.two_digits(minute);
        self.out.push(':');
        self.two_digits(second);
        if micros != 0 {
            self.out.push('.');
            let prefix = match micros {
                m if m < 10 => "00000",
                m if m < 100 => "0000",
                m if m < 1000 => "000",
                m if m < 10_000 => "00",
                m if m < 100_000 => "0",
                _ => "",
            };
            self.out.push_str(prefix);
            let mut trimmed = micros;
            for _ in 0..6 {
                if trimmed % 10 == 0 {
                    trimmed /= 10;
                }
            }
            self.push_display(&trimmed);
        }
    }

    fn two_digits(&mut self, v: i32) {
        if v < 10 {
            self.out.push('0');
        }
        self.push_display(&v);
    }
}

/// The little-endian int64 a temporal opaque value starts with.
fn packed(data: &[u8]) -> io::Result<i64> {
    data.first_chunk::<8>()
        .map(|b| i64::from_le_bytes(*b))
        .ok_or_else(|| invalid_data("short JSON temporal value"))
}

fn invalid_data(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// `JsonStringFormatter.appendString`: only `"`, `\` and control characters are escaped.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u00{:02X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `JsonStringFormatter.value(double)`: `Double.toString`, or the exact decimal expansion
/// (`new BigDecimal(double).toPlainString()`) when that would use an exponent.
pub fn java_json_double(x: f64) -> String {
    let text = double_to_string(x);
    if !text.contains('E') {
        return text;
    }
    exact_decimal(x).map_or(text, |d| plain_string(&d))
}

/// `new BigDecimal(double)`: the exact binary value, with the smallest scale that holds it.
fn exact_decimal(x: f64) -> Option<BigDecimal> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let exponent = ((bits >> 52) & 0x7FF) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mut mantissa, mut exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), exponent - 1075)
    };
    if mantissa == 0 {
        return Some(BigDecimal::from(0));
    }
    while mantissa % 2 == 0 {
        mantissa /= 2;
        exp += 1;
    }
    let mut unscaled = BigInt::from(mantissa);
    let scale = if exp >= 0 {
        unscaled <<= exp as usize;
        0
    } else {
        unscaled *= BigInt::from(5).pow(exp.unsigned_abs() as u32);
        -exp
    };
    if negative {
        unscaled = -unscaled;
    }
    Some(BigDecimal::new(unscaled, scale))
}

/// `BigDecimal.toPlainString()`: no exponent, all the scale's digits.
pub fn plain_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_scale();
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    let digits = unscaled.magnitude().to_string();
    let mut out = String::with_capacity(digits.len() + 3);
    if negative {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&digits);
        if digits != "0" {
            out.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        }
        return out;
    }
    let scale = scale as usize;
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    }
    out
}
