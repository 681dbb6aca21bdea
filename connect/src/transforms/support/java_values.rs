//! Java value semantics the transforms need: `Double/Float.toString`, `BigDecimal.toString` and
//! its narrowing conversions, `new BigDecimal(String)`, `Values.dateFormatFor` and the subset of
//! `Values.parseString` that header literals use.

use std::str::FromStr;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::BigDecimal;

use super::date_format::SimpleDateFormat;
use crate::data::{Schema, SchemaRef, Value};

const MS_PER_DAY: i64 = 86_400_000;
pub const ISO_DATE: &str = "yyyy-MM-dd";
pub const ISO_TIME: &str = "HH:mm:ss.SSS'Z'";
pub const ISO_TIMESTAMP: &str = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";

/// `Double.toString(v)`.
pub fn double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    java_float_text(&format!("{:e}", v.abs()), v.is_sign_negative())
}

/// `Float.toString(v)`.
pub fn float_to_string(v: f32) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    java_float_text(&format!("{:e}", v.abs()), v.is_sign_negative())
}

/// Lays out Rust's shortest `{:e}` digits the way Java does: plain for 1e-3 <= |v| < 1e7,
/// otherwise `d.dddE±n`, always with a fractional digit.
fn java_float_text(sci: &str, negative: bool) -> String {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if digits.bytes().all(|b| b == b'0') {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let mut int_part = digits.chars().take(int_len).collect::<String>();
            while int_part.len() < int_len {
                int_part.push('0');
            }
            let frac: String = digits.chars().skip(int_len).collect();
            let frac = if frac.is_empty() {
                "0".to_string()
            } else {
                frac
            };
            format!("{sign}{int_part}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// `BigDecimal.toString()` (scientific notation when the scale is negative or the adjusted
/// exponent is below -6).
pub fn big_decimal_to_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let negative = unscaled.sign() == bigdecimal::num_bigint::Sign::Minus;
    let coeff = unscaled.magnitude().to_string();
    let sign = if negative { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{coeff}");
    }
    let len = coeff.len() as i128;
    let adjusted = -i128::from(scale) + (len - 1);
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        if coeff.len() > scale {
            let (i, f) = coeff.split_at(coeff.len() - scale);
            format!("{sign}{i}.{f}")
        } else {
            format!("{sign}0.{}{coeff}", "0".repeat(scale - coeff.len()))
        }
    } else {
        let (first, rest) = coeff.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let plus = if adjusted > 0 { "+" } else { "" };
        format!("{sign}{first}{frac}E{plus}{adjusted}")
    }
}

/// `BigDecimal.longValue()`: truncated toward zero, then the low 64 bits.
pub fn big_decimal_to_i64(d: &BigDecimal) -> i64 {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let truncated: BigInt = if scale <= 0 {
        // Multiplying by 10^k with k >= 64 leaves no low-order bits set.
        if scale <= -64 {
            return 0;
        }
        unscaled * BigInt::from(10u8).pow(scale.unsigned_abs() as u32)
    } else {
        let digits = unscaled.magnitude().to_string().len() as i64;
        if scale > digits {
            return 0;
        }
        unscaled / BigInt::from(10u8).pow(scale as u32)
    };
    low_64_bits(&truncated)
}

fn low_64_bits(v: &BigInt) -> i64 {
    let bytes = v.to_signed_bytes_le();
    let fill = if bytes.last().is_some_and(|b| b & 0x80 != 0) {
        0xFF
    } else {
        0
    };
    let mut buf = [fill; 8];
    for (slot, b) in buf.iter_mut().zip(bytes.iter()) {
        *slot = *b;
    }
    i64::from_le_bytes(buf)
}

/// `BigDecimal.doubleValue()`.
pub fn big_decimal_to_f64(d: &BigDecimal) -> f64 {
    big_decimal_to_string(d).parse::<f64>().unwrap_or(0.0)
}

/// `new BigDecimal(String)`: sign, digits with an optional point, optional exponent.
pub fn parse_big_decimal(s: &str) -> Option<BigDecimal> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int_part = parts.next().unwrap_or("");
    let frac_part = parts.next().unwrap_or("");
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || e.len() > 10 || !all_digits(e) {
            return None;
        }
    }
    BigDecimal::from_str(s).ok()
}

/// `Values.dateFormatFor(date)`: time-only below one day, date-only on exact days.
pub fn date_format_for(epoch_ms: i64) -> &'static str {
    if epoch_ms < MS_PER_DAY {
        ISO_TIME
    } else if epoch_ms % MS_PER_DAY == 0 {
        ISO_DATE
    } else {
        ISO_TIMESTAMP
    }
}

/// `Values.dateFormatFor(d).format(d)` (UTC).
pub fn format_java_date(epoch_ms: i64) -> String {
    SimpleDateFormat::new(date_format_for(epoch_ms))
        .map(|f| f.format(epoch_ms))
        .unwrap_or_default()
}

/// `Values.parseString` for a single literal: null, booleans, numbers (smallest integer type,
/// else float32/float64/Decimal), ISO date/time/timestamp; anything else is a string.
pub fn parse_string(value: &str) -> (Option<SchemaRef>, Value) {
    let string = || {
        (
            Some(Schema::new(crate::data::Type::String).build()),
            Value::String(value.to_string()),
        )
    };
    let t = value.trim();
    if value.is_empty() || t.is_empty() {
        return string();
    }
    match t {
        "null" => return (None, Value::Null),
        "true" => {
            return (
                Some(Schema::new(crate::data::Type::Boolean).build()),
                Value::Boolean(true),
            )
        }
        "false" => {
            return (
                Some(Schema::new(crate::data::Type::Boolean).build()),
                Value::Boolean(false),
            )
        }
        _ => {}
    }
    let first = t.chars().next().unwrap_or(' ');
    if first.is_ascii_digit() {
        if let Some(temporal) = parse_temporal(t) {
            return temporal;
        }
    }
    if first.is_ascii_digit() || first == '+' || first == '-' {
        if let Some(n) = parse_number(t) {
            return n;
        }
    }
    string()
}

fn parse_temporal(token: &str) -> Option<(Option<SchemaRef>, Value)> {
    let token = token.replace("\\:", ":");
    let len = token.chars().count();
    let (pattern, schema) = match len {
        13 => (ISO_TIME, Schema::time()),
        24 => (ISO_TIMESTAMP, Schema::timestamp()),
        10 => (ISO_DATE, Schema::date()),
        _ => return None,
    };
    let ms = SimpleDateFormat::new(pattern).ok()?.parse(&token)?;
    let value = match len {
        13 => Value::Int32(ms.rem_euclid(MS_PER_DAY) as i32),
        24 => Value::Int64(ms),
        _ => Value::Int32(i32::try_from(ms.div_euclid(MS_PER_DAY)).ok()?),
    };
    Some((Some(schema.build()), value))
}

fn parse_number(token: &str) -> Option<(Option<SchemaRef>, Value)> {
    use crate::data::Type;
    let d = parse_big_decimal(token)?;
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let coeff = unscaled.magnitude().to_string();
    let trailing_zeros = coeff.len() - coeff.trim_end_matches('0').len();
    let is_integer =
        scale <= 0 || unscaled.magnitude().bits() == 0 || trailing_zeros as i64 >= scale;
    // Only values that can fit in a long are worth materialising (bounds 10^k work).
    if is_integer && coeff.len() as i128 - i128::from(scale) <= 20 {
        let integral = if scale <= 0 {
            unscaled.clone() * BigInt::from(10u8).pow(scale.unsigned_abs() as u32)
        } else {
            unscaled.clone() / BigInt::from(10u8).pow(scale as u32)
        };
        if let Ok(v) = i64::try_from(integral) {
            let schema = |t| Some(Schema::new(t).build());
            return Some(if let Ok(b) = i8::try_from(v) {
                (schema(Type::Int8), Value::Int8(b))
            } else if let Ok(s) = i16::try_from(v) {
                (schema(Type::Int16), Value::Int16(s))
            } else if let Ok(i) = i32::try_from(v) {
                (schema(Type::Int32), Value::Int32(i))
            } else {
                (schema(Type::Int64), Value::Int64(v))
            });
        }
    }
    let f = big_decimal_to_f64(&d);
    if scale != 0 && (f as f32).is_finite() {
        return Some((
            Some(Schema::new(Type::Float32).build()),
            Value::Float32(f as f32),
        ));
    }
    if scale != 0 && f.is_finite() {
        return Some((Some(Schema::new(Type::Float64).build()), Value::Float64(f)));
    }
    let scale = i32::try_from(scale).ok()?;
    Some((Some(Schema::decimal(scale).build()), Value::Decimal(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bd(s: &str) -> BigDecimal {
        BigDecimal::from_str(s).unwrap()
    }

    #[test]
    fn java_double_and_float_text() {
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(double_to_string(123.456), "123.456");
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(9999999.0), "9999999.0");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(1.5e300), "1.5E300");
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(float_to_string(0.1), "0.1");
        assert_eq!(float_to_string(3.4e38), "3.4E38");
        assert_eq!(float_to_string(f32::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn java_big_decimal_text_and_narrowing() {
        assert_eq!(big_decimal_to_string(&bd("1E+3")), "1E+3");
        assert_eq!(big_decimal_to_string(&bd("1000")), "1000");
        assert_eq!(big_decimal_to_string(&bd("-12.340")), "-12.340");
        assert_eq!(big_decimal_to_string(&bd("0.0000001")), "1E-7");
        assert_eq!(big_decimal_to_string(&bd("0.000001")), "0.000001");
        assert_eq!(big_decimal_to_string(&bd("1.23E+5")), "1.23E+5");
        assert_eq!(big_decimal_to_i64(&bd("-12.9")), -12);
        assert_eq!(big_decimal_to_i64(&bd("18446744073709551617")), 1);
        assert_eq!(big_decimal_to_i64(&bd("1E+100")), 0);
        assert_eq!(big_decimal_to_i64(&bd("1E-100")), 0);
        assert_eq!(big_decimal_to_f64(&bd("2.5")), 2.5);
        assert!(parse_big_decimal("1.5e3").is_some());
        assert!(parse_big_decimal("abc").is_none());
        assert!(parse_big_decimal(".").is_none());
        assert!(parse_big_decimal("1e").is_none());
    }

    #[test]
    fn parse_string_like_values() {
        assert_eq!(parse_string("42").1, Value::Int8(42));
        assert_eq!(parse_string("300").1, Value::Int16(300));
        assert_eq!(parse_string("1.0").1, Value::Int8(1));
        assert_eq!(parse_string("1.5").1, Value::Float32(1.5));
        assert_eq!(parse_string("true").1, Value::Boolean(true));
        assert_eq!(parse_string("null"), (None, Value::Null));
        assert_eq!(
            parse_string("hello world").1,
            Value::String("hello world".into())
        );
        assert_eq!(parse_string("42abc").1, Value::String("42abc".into()));
        let (schema, v) = parse_string("2024-01-15");
        assert_eq!(
            schema.unwrap().name.as_deref(),
            Some(crate::data::schema::DATE)
        );
        assert_eq!(v, Value::Int32(19_737));
        let (_, v) = parse_string("99999999999999999999");
        assert!(matches!(v, Value::Decimal(_)));
    }

    #[test]
    fn date_format_for_picks_by_value() {
        assert_eq!(format_java_date(1000), "00:00:01.000Z");
        assert_eq!(format_java_date(86_400_000), "1970-01-02");
        assert_eq!(format_java_date(86_400_001), "1970-01-02T00:00:00.001Z");
    }
}
