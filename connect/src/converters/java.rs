//! Java's text renderings that Kafka's converters put on the wire: `Double.toString` /
//! `Float.toString` (JDK 19+ shortest-digit rules), `BigDecimal.toString`, `new BigDecimal(String)`
//! parsing, and the UTC date formats Connect uses. Shared by the JSON, string and header converters.

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, Sign};

use crate::data::schema::{DATE, TIME, TIMESTAMP};
use crate::data::{Schema, Value};

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// `Double.toString(x)`: `5.0`, `1.0E7`, `1.0E-4`, `NaN`, `-Infinity`, `4.9E-324`.
pub fn double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let shortest = format!("{:e}", x.abs());
    let two_digits = format!("{:.1e}", x.abs());
    layout(x.is_sign_negative(), x == 0.0, &shortest, &two_digits)
}

/// `Float.toString(x)`: the same layout with float's shortest digits (`0.1f` is `0.1`).
pub fn float_to_string(x: f32) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let shortest = format!("{:e}", x.abs());
    let two_digits = format!("{:.1e}", x.abs());
    layout(x.is_sign_negative(), x == 0.0, &shortest, &two_digits)
}

/// Splits Rust's `{:e}` output (`1.2345e-7`) into its digits and decimal exponent.
fn split_sci(s: &str) -> (String, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Lays out shortest digits the way Java does: plain for 1e-3 <= |x| < 1e7, otherwise
/// `d.dddE±n`, always with at least one fractional digit. When the shortest form has a single
/// digit, Java picks the closest two-digit decimal instead (`4.9E-324`, not `5E-324`).
fn layout(negative: bool, zero: bool, shortest: &str, two_digits: &str) -> String {
    let sign = if negative { "-" } else { "" };
    if zero {
        return format!("{sign}0.0");
    }
    let (mut digits, mut exp) = split_sci(shortest);
    if digits.len() == 1 {
        let (d2, e2) = split_sci(two_digits);
        digits = d2.trim_end_matches('0').to_string();
        if digits.is_empty() {
            digits = "0".to_string();
        }
        exp = e2;
    }
    if digits.is_empty() {
        digits = "0".to_string();
    }
    if (-3..7).contains(&exp) {
        let (int_part, frac_part) = if exp >= 0 {
            let split = (exp as usize) + 1;
            if digits.len() > split {
                (digits[..split].to_string(), digits[split..].to_string())
            } else {
                let zeros = "0".repeat(split - digits.len());
                (format!("{digits}{zeros}"), String::new())
            }
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            ("0".to_string(), format!("{zeros}{digits}"))
        };
        let frac = if frac_part.is_empty() {
            "0"
        } else {
            &frac_part
        };
        format!("{sign}{int_part}.{frac}")
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{rest}E{exp}", &digits[..1])
    }
}

/// `BigDecimal.toString()`: plain when the scale is non-negative and the adjusted exponent is
/// at least -6, otherwise scientific (`1E+3`, `1.23E-8`).
pub fn big_decimal_to_string(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_scale();
    let sign = if unscaled.sign() == Sign::Minus {
        "-"
    } else {
        ""
    };
    let coeff = unscaled.magnitude().to_string();
    if scale == 0 {
        return format!("{sign}{coeff}");
    }
    let len = coeff.len() as i64;
    let adjusted = (len - 1).saturating_sub(scale);
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        if coeff.len() > scale {
            let (i, f) = coeff.split_at(coeff.len() - scale);
            format!("{sign}{i}.{f}")
        } else {
            let zeros = "0".repeat(scale - coeff.len());
            format!("{sign}0.{zeros}{coeff}")
        }
    } else {
        let mut out = format!("{sign}{}", &coeff[..1]);
        if coeff.len() > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        out
    }
}

/// `new BigDecimal(String)`: optional sign, digits with at most one `.`, optional exponent.
/// None where Java throws NumberFormatException.
pub fn parse_big_decimal(s: &str) -> Option<BigDecimal> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut digits = String::new();
    let mut frac_digits: i64 = 0;
    let mut seen_dot = false;
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => {
                digits.push(bytes[i] as char);
                if seen_dot {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if digits.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    if i < bytes.len() {
        let exp_text = &s[i + 1..];
        let body = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        exponent = exp_text.parse::<i32>().ok()?.into();
    }
    let scale = frac_digits - exponent;
    if scale < i64::from(i32::MIN) || scale > i64::from(i32::MAX) {
        return None;
    }
    let mut unscaled: BigInt = digits.parse().ok()?;
    if negative {
        unscaled = -unscaled;
    }
    Some(BigDecimal::new(unscaled, scale))
}

/// The unscaled digits and scale as `"{unscaled}e{-scale}"`, a string Rust's float parsers
/// round correctly (as Java's `BigDecimal.doubleValue()` does).
pub fn decimal_float_text(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_scale();
    format!("{}e{}", unscaled, -i128::from(scale))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Proleptic Gregorian (year, month 1-12, day 1-31) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 1582-10-15, where java.util.GregorianCalendar switches from Julian to Gregorian rules.
const GREGORIAN_CUTOVER_DAYS: i64 = -141_427;
/// Julian day number of 1970-01-01.
const EPOCH_JDN: i64 = 2_440_588;

fn julian_from_days(days: i64) -> (i64, u32, u32) {
    let c = days + EPOCH_JDN + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2).div_euclid(153);
    let day = (e - (153 * m + 2).div_euclid(5) + 1) as u32;
    let month = (m + 3 - 12 * (m / 10)) as u32;
    (d - 4800 + m / 10, month, day)
}

fn days_from_julian(y: i64, m: u32, d: u32) -> i64 {
    let a = (14 - i64::from(m)) / 12;
    let yy = y + 4800 - a;
    let mm = i64::from(m) + 12 * a - 3;
    i64::from(d) + (153 * mm + 2) / 5 + 365 * yy + yy.div_euclid(4) - 32_083 - EPOCH_JDN
}

/// Days since the epoch to the (astronomical year, month, day) java.util's default calendar
/// shows: Gregorian from 1582-10-15, Julian before.
pub fn calendar_from_days(days: i64) -> (i64, u32, u32) {
    if days < GREGORIAN_CUTOVER_DAYS {
        julian_from_days(days)
    } else {
        civil_from_days(days)
    }
}

/// The inverse of [`calendar_from_days`] for a valid (year, month, day).
pub fn days_from_calendar(y: i64, m: u32, d: u32) -> i64 {
    let gregorian = days_from_civil(y, m, d);
    if gregorian < GREGORIAN_CUTOVER_DAYS {
        days_from_julian(y, m, d)
    } else {
        gregorian
    }
}

fn time_of_day(millis: i64) -> (i64, i64, i64, i64) {
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// The era year SimpleDateFormat prints (`yyyy`): 1 BC is year 1, as Java shows it.
fn year_text(y: i64) -> String {
    let era_year = if y <= 0 { 1 - y } else { y };
    format!("{era_year:04}")
}

/// `Values.dateFormatFor(date).format(date)` (in UTC): `HH:mm:ss.SSS'Z'` below one day,
/// `yyyy-MM-dd` at an exact day, otherwise `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`.
pub fn iso_date_format(millis: i64) -> String {
    let (h, mi, s, ms) = time_of_day(millis);
    let time = format!("{h:02}:{mi:02}:{s:02}.{ms:03}Z");
    if millis < MILLIS_PER_DAY {
        return time;
    }
    let (y, m, d) = calendar_from_days(millis.div_euclid(MILLIS_PER_DAY));
    let date = format!("{}-{m:02}-{d:02}", year_text(y));
    if millis % MILLIS_PER_DAY == 0 {
        date
    } else {
        format!("{date}T{time}")
    }
}

/// `java.util.Date.toString()` in a UTC JVM: `Thu Jan 01 00:00:00 UTC 1970`.
pub fn java_date_to_string(millis: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let (y, m, d) = calendar_from_days(days);
    let (h, mi, s, _) = time_of_day(millis);
    let y = if y <= 0 { 1 - y } else { y };
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    format!("{weekday} {month} {d:02} {h:02}:{mi:02}:{s:02} UTC {y}")
}

/// Milliseconds since the epoch of a Date/Time/Timestamp value in Sluice's physical encoding,
/// or None when the schema is not one of those logical types (or the value has the wrong type).
pub fn logical_millis(schema: Option<&Schema>, value: &Value) -> Option<i64> {
    let name = schema?.name.as_deref()?;
    match (name, value) {
        (DATE, Value::Int32(days)) => Some(i64::from(*days) * MILLIS_PER_DAY),
        (TIME, Value::Int32(ms)) => Some(i64::from(*ms)),
        (TIMESTAMP, Value::Int64(ms)) => Some(*ms),
        _ => None,
    }
}

/// `value.getClass()` as Java prints it in messages: `class java.lang.String`.
pub fn class_of(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        other => format!("class {}", other.java_class()),
    }
}

/// `Integer.toHexString(hash)` of a content hash, standing in for the identity hash Java prints
/// in `[B@1b6d3586` (which is random per run, so any stable value is as compatible).
pub fn byte_array_identity(bytes: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("[B@{h:x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_use_java_layout() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (5.0, "5.0"),
            (1.0e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (1.0e-4, "1.0E-4"),
            (0.001, "0.001"),
            (1.23456789012e8, "1.23456789012E8"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1.0e21, "1.0E21"),
            (1.0e23, "1.0E23"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1234567.0, "1234567.0"),
            (12345678.9, "1.23456789E7"),
            (0.00099, "9.9E-4"),
        ];
        for (x, want) in cases {
            assert_eq!(double_to_string(*x), *want, "{x:e}");
        }
    }

    #[test]
    fn floats_use_java_layout() {
        let cases: &[(f32, &str)] = &[
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (1.0e7, "1.0E7"),
            (3.4028235e38, "3.4028235E38"),
            (1.4e-45, "1.4E-45"),
            (0.33333334, "0.33333334"),
            (16_777_216.0, "1.6777216E7"),
        ];
        for (x, want) in cases {
            assert_eq!(float_to_string(*x), *want);
        }
    }

    #[test]
    fn big_decimals_use_java_to_string() {
        for (s, want) in [
            ("12.34", "12.34"),
            ("1E+3", "1E+3"),
            ("-0.000001", "-0.000001"),
            ("0.0000001", "1E-7"),
            ("0.00000012", "1.2E-7"),
            ("0.00", "0.00"),
            ("123", "123"),
            ("1.23e5", "1.23E+5"),
            ("-5e-10", "-5E-10"),
        ] {
            let d = parse_big_decimal(s).unwrap();
            assert_eq!(big_decimal_to_string(&d), want, "{s}");
        }
        for bad in [
            "",
            "-",
            ".",
            "1e",
            "1e+",
            "1.2.3",
            "abc",
            "1x",
            "1e99999999999",
        ] {
            assert!(parse_big_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(iso_date_format(0), "00:00:00.000Z");
        assert_eq!(iso_date_format(45_000_123), "12:30:00.123Z");
        assert_eq!(iso_date_format(19_675 * MILLIS_PER_DAY), "2023-11-14");
        assert_eq!(
            iso_date_format(1_700_000_000_000),
            "2023-11-14T22:13:20.000Z"
        );
        assert_eq!(java_date_to_string(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            java_date_to_string(1_700_000_000_000),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        for days in [
            -800_000, -141_428, -141_427, -1, 0, 1, 59, 19_675, 2_932_896,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            let (y, m, d) = calendar_from_days(days);
            assert_eq!(days_from_calendar(y, m, d), days);
        }
        // The day before the Gregorian cutover is Julian 1582-10-04.
        assert_eq!(calendar_from_days(-141_428), (1582, 10, 4));
        assert_eq!(calendar_from_days(-141_427), (1582, 10, 15));
        // Java shows 0001-01-01 (Julian) for -62135769600000 ms.
        assert_eq!(iso_date_format(-62_135_769_600_000), "00:00:00.000Z");
        assert_eq!(calendar_from_days(-719_164), (1, 1, 1));
    }
}
