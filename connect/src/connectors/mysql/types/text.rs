//! Snapshot values: the text-protocol bytes of one column turned into the object MySQL
//! Connector/J and Debezium's `MySqlTextProtocolFieldReader` would produce (zero dates become
//! null, TIME is parsed to a duration, TIMESTAMP is a java.sql.Timestamp).

use std::borrow::Cow;

use super::convert::{java_parse_double, parse_decimal, Datum};
use super::kind::Kind;
use super::temporal::{
    parse_date_parts, parse_duration, parse_mysql_datetime, LocalDate, LocalDateTime,
};
use super::TypeError;
use crate::connectors::mysql::model::Column;

pub fn datum<'a>(col: &Column, kind: &Kind, raw: &'a [u8]) -> Result<Datum<'a>, TypeError> {
    let text = || String::from_utf8_lossy(raw);
    let bad = |what: &str| TypeError::invalid(col, format!("not a valid {what} value"));
    Ok(match *kind {
        // Connector/J's getBoolean: true for -1 and positive values.
        Kind::Boolean => {
            let v = parse_integer(&text()).ok_or_else(|| bad("BOOLEAN"))?;
            Datum::Bool(v == -1 || v > 0)
        }
        Kind::Bit => Datum::Bool(raw.iter().any(|b| *b != 0)),
        Kind::Bits { .. } | Kind::Binary { .. } | Kind::Text => Datum::Bytes(Cow::Borrowed(raw)),
        Kind::Geometry | Kind::Point | Kind::Vector => Datum::Bytes(Cow::Borrowed(raw)),
        Kind::Int { .. } => match parse_integer(&text()).ok_or_else(|| bad("integer"))? {
            v if v > i128::from(i64::MAX) => {
                Datum::UInt(u64::try_from(v).map_err(|_| bad("integer"))?)
            }
            v => Datum::Int(i64::try_from(v).map_err(|_| bad("integer"))?),
        },
        // The server keeps REAL and FLOAT(p>24) as DOUBLE, FLOAT(p<=24) and FLOAT(M,D) as FLOAT.
        Kind::Float { single: true, .. } => {
            let d = java_parse_double(&text()).ok_or_else(|| bad("FLOAT"))?;
            Datum::Float(d as f32)
        }
        Kind::Real | Kind::Float { .. } | Kind::Double => {
            Datum::Double(java_parse_double(&text()).ok_or_else(|| bad("DOUBLE"))?)
        }
        Kind::Decimal { .. } => {
            Datum::Decimal(parse_decimal(text().trim()).ok_or_else(|| bad("DECIMAL"))?)
        }
        Kind::Json => Datum::Text(text()),
        Kind::Enum | Kind::Set => Datum::Bytes(Cow::Borrowed(raw)),
        Kind::Uuid => Datum::Text(text()),
        // Connector/J returns a java.sql.Date for YEAR; Debezium takes its year as is.
        Kind::Year => {
            let v = parse_integer(&text()).ok_or_else(|| bad("YEAR"))?;
            Datum::SqlYear(i64::try_from(v).map_err(|_| bad("YEAR"))?)
        }
        Kind::Date => date(&text()).ok_or_else(|| bad("DATE"))?,
        Kind::Time if raw.is_empty() => Datum::Null,
        Kind::Time => Datum::Duration(parse_duration(&text()).ok_or_else(|| bad("TIME"))?),
        Kind::DateTime { .. } if raw.is_empty() => Datum::Null,
        Kind::DateTime { .. } => match date_time(&text()).ok_or_else(|| bad("DATETIME"))? {
            Some(t) => Datum::DateTime(t),
            None => Datum::Null,
        },
        // zeroDateTimeBehavior=CONVERT_TO_NULL; the session time zone is UTC.
        Kind::Timestamp { .. } => match date_time(&text()).ok_or_else(|| bad("TIMESTAMP"))? {
            Some(t) => Datum::Instant(t),
            None => Datum::Null,
        },
    })
}

/// Decimal digits with an optional sign (ZEROFILL values keep their leading zeros).
fn parse_integer(s: &str) -> Option<i128> {
    let s = s.trim();
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `stringToLocalDate`: a zero month or day is null.
fn date(s: &str) -> Option<Datum<'static>> {
    let (year, month, day) = parse_date_parts(s)?;
    if month == 0 || day == 0 {
        return Some(Datum::Null);
    }
    LocalDate::new(year, month, day).map(Datum::Date)
}

/// A zero month or day (`0000-00-00 00:00:00`) is `Some(None)`.
fn date_time(s: &str) -> Option<Option<LocalDateTime>> {
    let date = s.split(' ').next().unwrap_or(s);
    let (_, month, day) = parse_date_parts(date)?;
    if month == 0 || day == 0 {
        return Some(None);
    }
    parse_mysql_datetime(s).map(Some)
}
