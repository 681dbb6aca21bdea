//! Column `DEFAULT`s as schema defaults, following Debezium's DDL listener (`NULL` and
//! expressions give none, `CURRENT_TIMESTAMP`/`NOW()` become `1970-01-01 00:00:00`) and
//! `BinlogDefaultValueConverter` (zero dates, `true`/`false` in number columns, bit strings,
//! lenient timestamps), then the column's value converter. A default that does not convert is
//! dropped with a debug log, as Debezium does with its default `warn` failure handling.

use std::borrow::Cow;

use bigdecimal::RoundingMode;

use super::convert::{self, java_parse_double, parse_decimal, Datum};
use super::kind::Kind;
use super::temporal::{parse_duration, parse_iso_time, LocalDate, LocalDateTime, TimeOfDay};
use super::TypeModes;
use crate::connectors::mysql::model::Column;
use crate::converters::java::days_from_civil;
use crate::data::{Schema, Value};

const EPOCH_TIMESTAMP: &str = "1970-01-01 00:00:00";
const EPOCH_DATE: &str = "1970-01-01";

/// The schema default for `col`, or `None` (no DEFAULT, `DEFAULT NULL`, an expression, or a
/// value that does not convert). `schema` is the field schema without its default.
pub fn default_value(
    col: &Column,
    kind: &Kind,
    schema: &Schema,
    modes: &TypeModes,
) -> Option<Value> {
    if !col.has_default {
        return None;
    }
    let expression = col.default_expression.as_deref()?;
    let datum = match datum(col, *kind, expression) {
        Ok(Some(datum)) => datum,
        Ok(None) => return None,
        Err(reason) => {
            tracing::debug!(
                column = %col.name,
                type_name = %col.type_name,
                "default value not converted ({reason}); the field gets no schema default"
            );
            return None;
        }
    };
    let required = schema.clone().build();
    match convert::to_connect(col, kind, &required, datum, modes) {
        Ok(Value::Null) => None,
        Ok(value) => Some(value),
        Err(e) => {
            tracing::debug!(
                column = %col.name,
                "default value not converted ({e}); the field gets no schema default"
            );
            None
        }
    }
}

/// The object Debezium's default-value converter hands the value converter; `Ok(None)` when
/// there is no default.
fn datum(col: &Column, kind: Kind, expression: &str) -> Result<Option<Datum<'static>>, String> {
    let Some(mut value) = parse_listener(expression) else {
        return Ok(None);
    };
    if kind.trims_default() {
        value = value.trim().to_string();
        // A number or date never contains quotes: tolerate a model that kept them ('0').
        let unquoted = ['\'', '"']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)));
        if let Some(inner) = unquoted {
            value = inner.trim().to_string();
        }
    }
    if let Some(inner) = strip_charset_introducer(&value) {
        value = inner.to_string();
    }
    if kind.is_number()
        && (value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"))
    {
        let one = value.eq_ignore_ascii_case("true");
        if let Kind::Decimal { scale, .. } = kind {
            return to_decimal(if one { "1" } else { "0" }, scale).map(Some);
        }
        return Ok(Some(Datum::Int(i64::from(one))));
    }
    let text = |s: String| Ok(Some(Datum::Text(Cow::Owned(s))));
    match kind {
        Kind::Date => Ok(to_local_date(col, &value)),
        Kind::DateTime { .. } => Ok(to_local_date_time(col, &value)),
        Kind::Timestamp { .. } => to_timestamp(col, &value),
        Kind::Time => to_duration(&value).map(Some),
        Kind::Boolean => Ok(Some(Datum::Bool(match java_parse_int(&value) {
            Some(v) => v != 0,
            None => value.eq_ignore_ascii_case("true"),
        }))),
        Kind::Bit => Ok(Some(match java_parse_int(&value) {
            Some(v) if i16::try_from(v).is_ok() => Datum::Bool(v != 0),
            _ => Datum::Bool(value.eq_ignore_ascii_case("true")),
        })),
        Kind::Bits { .. } => to_bits(&value).map(Some),
        Kind::Decimal { scale, .. } => to_decimal(&value, scale).map(Some),
        Kind::Real | Kind::Float { .. } | Kind::Double => java_parse_double(&value)
            .map(|d| Some(Datum::Double(d)))
            .ok_or_else(|| "not a number".to_string()),
        _ => text(value),
    }
}

/// What Debezium's DDL listener keeps of a DEFAULT clause: nothing for `NULL` and hex
/// literals, the epoch for `CURRENT_TIMESTAMP`/`NOW()` (any precision, MariaDB's
/// `current_timestamp()` included), the digits of a bit literal, else the text.
fn parse_listener(expression: &str) -> Option<String> {
    let trimmed = expression.trim();
    let upper = trimmed.to_ascii_uppercase();
    // `CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`: the default is the first part.
    let first = upper.split(" ON UPDATE").next().unwrap_or(&upper).trim();
    if first == "NULL" {
        return None;
    }
    if is_now(first) {
        return Some(EPOCH_TIMESTAMP.to_string());
    }
    let quoted = |prefix: [char; 2]| {
        trimmed
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('\''))
            .and_then(|r| r.strip_suffix('\''))
    };
    if let Some(bits) = quoted(['b', 'B']).filter(|b| b.bytes().all(|c| c == b'0' || c == b'1')) {
        return Some(bits.to_string());
    }
    let is_hex = |h: &str| !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit());
    if quoted(['x', 'X']).is_some_and(|h| h.is_empty() || is_hex(h))
        || trimmed.strip_prefix("0x").is_some_and(is_hex)
    {
        return None;
    }
    Some(expression.to_string())
}

/// `CURRENT_TIMESTAMP`, `CURRENT_TIMESTAMP()`, `CURRENT_TIMESTAMP(6)`, `NOW()`, `NOW(3)`.
fn is_now(upper: &str) -> bool {
    let (name, args) = match upper.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest)),
        None => (upper, None),
    };
    let args_ok = args.is_none_or(|rest| {
        rest.strip_suffix(')')
            .is_some_and(|inner| inner.trim().bytes().all(|b| b.is_ascii_digit()))
    });
    matches!(name, "CURRENT_TIMESTAMP" | "NOW") && args_ok
}

/// `_utf8mb4'abc'` → `abc`.
fn strip_charset_introducer(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('_')?;
    let quote = rest.find('\'')?;
    let (name, quoted) = rest.split_at(quote);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let inner = quoted.strip_prefix('\'')?.strip_suffix('\'')?;
    (!inner.contains(['\n', '\r'])).then_some(inner)
}

/// `Integer.parseInt`.
fn java_parse_int(s: &str) -> Option<i32> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn to_decimal(value: &str, scale: i32) -> Result<Datum<'static>, String> {
    let d = parse_decimal(value).ok_or_else(|| "not a decimal number".to_string())?;
    Ok(Datum::Decimal(
        d.with_scale_round(i64::from(scale), RoundingMode::HalfUp),
    ))
}

/// A bit string (`101`) as big-endian bytes, 8 bits per byte from the right.
fn to_bits(value: &str) -> Result<Datum<'static>, String> {
    if !value.bytes().all(|b| b == b'0' || b == b'1') {
        return Err("not a bit string".to_string());
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().div_ceil(8));
    for chunk in bytes.rchunks(8) {
        out.push(chunk.iter().fold(0u8, |acc, b| (acc << 1) | (b - b'0')));
    }
    out.reverse();
    Ok(Datum::Bytes(Cow::Owned(out)))
}

/// `0000-00-00`-style values (zero year, month or day), with or without a zero time.
fn is_zero_date(value: &str) -> bool {
    let date = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        date.get(r)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = date.len() == 10
        && digits(0..4)
        && date[4] == b'-'
        && digits(5..7)
        && date[7] == b'-'
        && digits(8..10);
    shape && (&value[0..4] == "0000" || &value[5..7] == "00" || &value[8..10] == "00")
}

fn is_zero_timestamp(value: &str) -> bool {
    let Some((date, time)) = value.split_once(' ') else {
        return false;
    };
    let time_zero = match time.strip_prefix("00:00:00") {
        Some("") => true,
        Some(frac) => frac
            .strip_prefix('.')
            .is_some_and(|f| (1..=6).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    };
    time_zero && is_zero_date(date)
}

/// `yyyy-MM-dd` (two-digit month and day, SMART resolution clamps the day to the month), then
/// optionally ` HH:mm[:ss[.f]]`.
fn parse_date_with_optional_time(value: &str) -> Option<(LocalDate, Option<TimeOfDay>)> {
    let (date, time) = match value.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let b = date.as_bytes();
    if b.len() < 10 || b.get(b.len() - 6) != Some(&b'-') || b.get(b.len() - 3) != Some(&b'-') {
        return None;
    }
    let (year, rest) = date.split_at(date.len() - 6);
    let year_ok = year.len() == 4 && year.bytes().all(|c| c.is_ascii_digit());
    let month: u32 = rest.get(1..3)?.parse().ok()?;
    let day: u32 = rest.get(4..6)?.parse().ok()?;
    if !year_ok || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let clamped = (1..=day)
        .rev()
        .find_map(|d| LocalDate::new(year, month, d))?;
    let time = match time {
        None => None,
        Some(t) => {
            let (h, m, s, n) = parse_iso_time(t)?;
            if h >= 24 || m >= 60 || s >= 60 {
                return None;
            }
            Some((h, m, s, n))
        }
    };
    Some((clamped, time))
}

/// `convertToLocalDate`: zero dates are null (nullable) or the epoch; unparseable values too.
fn to_local_date(col: &Column, value: &str) -> Option<Datum<'static>> {
    let zero = is_zero_date(value) || is_zero_timestamp(value) || value == "0";
    let value = match (zero, col.optional) {
        (true, true) => return None,
        (true, false) => EPOCH_DATE,
        (false, _) => value,
    };
    match parse_date_with_optional_time(value) {
        Some((date, _)) => Some(Datum::Date(date)),
        None if col.optional => None,
        None => Some(Datum::Date(LocalDate::from_epoch_day(0))),
    }
}

/// `convertToLocalDateTime`, with the same zero and failure rules.
fn to_local_date_time(col: &Column, value: &str) -> Option<Datum<'static>> {
    let zero = is_zero_timestamp(value) || value == "0";
    let value = match (zero, col.optional) {
        (true, true) => return None,
        (true, false) => EPOCH_TIMESTAMP,
        (false, _) => value,
    };
    let parsed = parse_date_with_optional_time(value).and_then(|(date, time)| {
        let (h, m, s, n) = time.unwrap_or((0, 0, 0, 0));
        LocalDateTime::new(date, h, m, s, n)
    });
    match parsed {
        Some(t) => Some(Datum::DateTime(t)),
        None if col.optional => None,
        None => Some(Datum::DateTime(LocalDateTime::from_epoch(0, 0))),
    }
}

/// `convertToTimestamp`: the epoch (or its zero forms) is a java.sql.Timestamp at 0, else the
/// cleaned text read by `Timestamp.valueOf` (in a UTC JVM).
fn to_timestamp(col: &Column, value: &str) -> Result<Option<Datum<'static>>, String> {
    if is_zero_timestamp(value) || value == "0" || value == EPOCH_TIMESTAMP {
        if col.optional {
            return Ok(None);
        }
        return Ok(Some(Datum::Instant(LocalDateTime::from_epoch(0, 0))));
    }
    let cleaned = clean_timestamp(value).ok_or_else(|| "not a timestamp".to_string())?;
    let t = timestamp_value_of(&cleaned).ok_or_else(|| "not a timestamp".to_string())?;
    Ok(Some(Datum::Zoned(t)))
}

/// `convertToDuration`: the time part of a timestamp, else `stringToDuration`.
fn to_duration(value: &str) -> Result<Datum<'static>, String> {
    let time = match value.split_once(' ') {
        Some((date, time)) if is_timestamp_shape(date, time) => time,
        _ => value,
    };
    parse_duration(time)
        .map(Datum::Duration)
        .ok_or_else(|| "not a time".to_string())
}

/// `([0-9]*-[0-9]*-[0-9]*) ([0-9]*:[0-9]*:[0-9]*(\.([0-9]*))?)`.
fn is_timestamp_shape(date: &str, time: &str) -> bool {
    let groups = |s: &str, sep: char, n: usize| {
        let parts: Vec<&str> = s.split(sep).collect();
        parts.len() == n && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    groups(date, '-', 3) && groups(hms, ':', 3) && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Byte index of `c` at or after `from` (Java `indexOf(ch, from)`).
fn index_of(s: &str, c: char, from: usize) -> Option<usize> {
    s.get(from..)?.find(c).map(|i| i + from)
}

/// Replaces the first run of non-digits at or after `start` with `c`.
fn replace_first_non_numeric(s: &str, start: usize, c: char) -> String {
    let Some(rest) = s.get(start..) else {
        return s.to_string();
    };
    let mut out = s[..start].to_string();
    match rest.find(|ch: char| !ch.is_ascii_digit()) {
        Some(i) => {
            let end = rest[i..]
                .find(|ch: char| ch.is_ascii_digit())
                .map_or(rest.len(), |j| i + j);
            out.push_str(&rest[..i]);
            out.push(c);
            out.push_str(&rest[end..]);
        }
        None => out.push_str(rest),
    }
    out
}

/// `BinlogDefaultValueConverter.cleanTimestamp`: any separators normalised, missing time
/// parts zero, to `yyyy-mm-dd hh:mm:ss[.fraction]`.
fn clean_timestamp(s: &str) -> Option<String> {
    let mut s = s.trim().to_string();
    s = replace_first_non_numeric(&s, 0, '-');
    s = replace_first_non_numeric(&s, index_of(&s, '-', 0).map_or(0, |i| i + 1), '-');
    let second_dash = index_of(&s, '-', 0).and_then(|i| index_of(&s, '-', i + 1));
    s = replace_first_non_numeric(&s, second_dash.map_or(0, |i| i + 1), ' ');
    if let Some(space) = index_of(&s, ' ', 0) {
        s = replace_first_non_numeric(&s, space + 1, ':');
        if let Some(colon) = index_of(&s, ':', 0) {
            s = replace_first_non_numeric(&s, colon + 1, ':');
        }
    }
    let len = s.len();
    let first_dash = index_of(&s, '-', 0)?;
    let second_dash = index_of(&s, '-', first_dash + 1)?;
    let space = index_of(&s, ' ', 0);
    let first_colon = index_of(&s, ':', space.map_or(0, |i| i + 1));
    let second_colon = first_colon.and_then(|i| index_of(&s, ':', i + 1));
    let period = index_of(&s, '.', second_colon.map_or(0, |i| i + 1));
    if first_dash == 0 || second_dash <= first_dash {
        return None;
    }
    let int = |r: &str| -> Option<i64> { java_parse_int(r).map(i64::from) };
    let year = int(s.get(..first_dash)?)?;
    let month = int(s.get(first_dash + 1..second_dash)?)?;
    let day = int(s.get(second_dash + 1..space.unwrap_or(len))?)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if let Some(space) = space.filter(|&i| i + 1 < len) {
        match first_colon {
            None => hour = int(s.get(space + 1..)?)?,
            Some(fc) => {
                hour = int(s.get(space + 1..fc)?)?;
                if fc + 1 < len {
                    match second_colon {
                        None => minute = int(s.get(fc + 1..)?)?,
                        Some(sc) => {
                            minute = int(s.get(fc + 1..sc)?)?;
                            if sc + 1 < len {
                                second = int(s.get(sc + 1..period.unwrap_or(len))?)?;
                            }
                        }
                    }
                }
            }
        }
    }
    let mut cleaned = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if let Some(p) = period.filter(|&p| p + 1 < len) {
        cleaned.push('.');
        cleaned.push_str(s.get(p + 1..)?);
    }
    Some(cleaned)
}

/// `java.sql.Timestamp.valueOf` of a cleaned value, with java.util.Date's lenient field
/// arithmetic (Feb 30 is Mar 1 or 2), read in UTC.
fn timestamp_value_of(s: &str) -> Option<LocalDateTime> {
    let (date, time) = s.split_once(' ')?;
    let mut d = date.splitn(3, '-');
    let (year, month, day) = (d.next()?, d.next()?, d.next()?);
    if year.len() != 4 || !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
        return None;
    }
    let year: i64 = java_parse_int(year)?.into();
    let month: u32 = java_parse_int(month)?.try_into().ok()?;
    let day: i64 = java_parse_int(day)?.into();
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (hms, nanos) = match time.split_once('.') {
        Some((hms, frac)) => {
            let digits_ok = frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit());
            if !digits_ok || frac.is_empty() {
                return None;
            }
            (hms, format!("{frac:0<9}").parse::<u32>().ok()?)
        }
        None => (time, 0),
    };
    let mut t = hms.splitn(3, ':');
    let hour = i64::from(java_parse_int(t.next()?)?);
    let minute = i64::from(java_parse_int(t.next()?)?);
    let second = i64::from(java_parse_int(t.next()?)?);
    let days = days_from_civil(year, month, 1) + day - 1;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(LocalDateTime::from_epoch(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_forms() {
        assert_eq!(parse_listener("NULL"), None);
        assert_eq!(parse_listener("null"), None);
        for now in [
            "CURRENT_TIMESTAMP",
            "current_timestamp()",
            "NOW()",
            "CURRENT_TIMESTAMP(3)",
        ] {
            assert_eq!(
                parse_listener(now).as_deref(),
                Some(EPOCH_TIMESTAMP),
                "{now}"
            );
        }
        assert_eq!(
            parse_listener("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP").as_deref(),
            Some(EPOCH_TIMESTAMP)
        );
        assert_eq!(parse_listener("b'101'").as_deref(), Some("101"));
        assert_eq!(parse_listener("x'41'"), None);
        assert_eq!(parse_listener("abc").as_deref(), Some("abc"));
    }

    #[test]
    fn cleans_timestamps_like_debezium() {
        assert_eq!(
            clean_timestamp("2020-01-01 10:00:00.5").as_deref(),
            Some("2020-01-01 10:00:00.5")
        );
        assert_eq!(
            clean_timestamp("2020/1/2 3").as_deref(),
            Some("2020-01-02 03:00:00")
        );
        assert_eq!(clean_timestamp("2020-13-01"), None);
        assert_eq!(clean_timestamp("CURRENT"), None);
    }

    #[test]
    fn zero_patterns() {
        assert!(is_zero_date("0000-00-00"));
        assert!(is_zero_date("2020-00-01"));
        assert!(!is_zero_date("2020-01-01"));
        assert!(is_zero_timestamp("0000-00-00 00:00:00"));
        assert!(is_zero_timestamp("0000-00-00 00:00:00.000"));
        assert!(!is_zero_timestamp("0000-00-00 00:00:01"));
    }
}
