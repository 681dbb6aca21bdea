//! Streaming values: what mysql_common decodes from a ROWS event turned into the object
//! Debezium's binlog client (`RowDeserializers`) would produce. mysql_common reads integers as
//! signed unless the table map's optional metadata says otherwise, so unsigned columns are
//! corrected from the column definition, as Debezium does.

use std::borrow::Cow;

use mysql_common::binlog::value::BinlogValue;
use mysql_common::Value as MyValue;

use super::convert::{parse_decimal, Datum};
use super::jsonb::try_render_jsonb;
use super::kind::{IntWidth, Kind};
use super::temporal::{LocalDate, LocalDateTime, NANOS_PER_SECOND};
use super::TypeError;
use crate::connectors::mysql::model::Column;

pub fn datum<'a>(
    col: &Column,
    kind: &Kind,
    value: &'a BinlogValue<'_>,
) -> Result<Datum<'a>, TypeError> {
    let invalid = |reason: &str| TypeError::invalid(col, reason);
    let v = match value {
        BinlogValue::Value(v) => v,
        BinlogValue::Jsonb(j) => {
            let text = try_render_jsonb(j)
                .map_err(|e| TypeError::invalid(col, format!("malformed binary JSON: {e}")))?;
            return Ok(Datum::Text(Cow::Owned(text)));
        }
        BinlogValue::JsonDiff(_) => {
            return Err(invalid(
                "partial JSON updates are not supported; set binlog_row_value_options='' \
                 on the server",
            ))
        }
    };
    Ok(match (kind, v) {
        (_, MyValue::NULL) => Datum::Null,
        // mysql_common reads a signed 3-byte integer without extending its sign.
        (
            Kind::Int {
                width: IntWidth::Medium,
                unsigned: false,
            },
            MyValue::Int(i),
        ) => Datum::Int(i64::from(((*i as i32) << 8) >> 8)),
        // BIT(1): the binlog client hands over a BitSet whose bit 0 is the last byte's low bit.
        (Kind::Bit, MyValue::Bytes(b)) => Datum::Bool(b.last().is_some_and(|x| x & 1 == 1)),
        (Kind::Decimal { .. }, MyValue::Bytes(b)) => {
            let text = String::from_utf8_lossy(b);
            Datum::Decimal(parse_decimal(&text).ok_or_else(|| invalid("malformed DECIMAL"))?)
        }
        // mysql_common renders YEAR as the text of 1900 + the stored byte.
        (Kind::Year, MyValue::Bytes(b)) => {
            let year = std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| invalid("malformed YEAR"))?;
            Datum::Int(year)
        }
        // TIMESTAMP2 arrives as "<epoch seconds>[.<micros>]".
        (Kind::Timestamp { .. }, MyValue::Bytes(b)) => {
            Datum::Zoned(epoch_text(b).ok_or_else(|| invalid("malformed TIMESTAMP"))?)
        }
        (Kind::Timestamp { .. }, MyValue::Int(secs)) => {
            Datum::Zoned(LocalDateTime::from_epoch(*secs, 0))
        }
        // SET: a little-endian bitmask of 1 to 8 bytes.
        (Kind::Set, MyValue::Bytes(b)) => {
            let mut le = [0u8; 8];
            for (slot, byte) in le.iter_mut().zip(b.iter()) {
                *slot = *byte;
            }
            Datum::UInt(u64::from_le_bytes(le))
        }
        (_, MyValue::Bytes(b)) => Datum::Bytes(Cow::Borrowed(b)),
        (_, MyValue::Int(i)) => Datum::Int(*i),
        (_, MyValue::UInt(u)) => Datum::UInt(*u),
        (_, MyValue::Float(f)) => Datum::Float(*f),
        (_, MyValue::Double(d)) => Datum::Double(*d),
        // DATE and DATETIME: a zero year, month or day is null.
        (_, MyValue::Date(y, m, d, ..)) if *y == 0 || *m == 0 || *d == 0 => Datum::Null,
        (Kind::Date, MyValue::Date(y, m, d, ..)) => Datum::Date(
            LocalDate::new(i64::from(*y), u32::from(*m), u32::from(*d))
                .ok_or_else(|| invalid("invalid DATE"))?,
        ),
        (_, MyValue::Date(y, m, d, h, mi, s, us)) => {
            let date = LocalDate::new(i64::from(*y), u32::from(*m), u32::from(*d))
                .ok_or_else(|| invalid("invalid DATETIME"))?;
            let t = LocalDateTime::new(
                date,
                u32::from(*h),
                u32::from(*mi),
                u32::from(*s),
                us.saturating_mul(1000),
            )
            .ok_or_else(|| invalid("invalid DATETIME"))?;
            Datum::DateTime(t)
        }
        (_, MyValue::Time(negative, days, h, m, s, us)) => {
            let nanos = (i64::from(*days) * 24 + i64::from(*h))
                .checked_mul(3600)
                .and_then(|secs| secs.checked_add(i64::from(*m) * 60 + i64::from(*s)))
                .and_then(|secs| secs.checked_mul(NANOS_PER_SECOND))
                .and_then(|n| n.checked_add(i64::from(*us) * 1000))
                .ok_or_else(|| invalid("TIME out of range"))?;
            Datum::Duration(if *negative { -nanos } else { nanos })
        }
    })
}

/// `sec` or `sec.uuuuuu` (mysql_common's TIMESTAMP2 rendering) as a UTC date-time.
fn epoch_text(b: &[u8]) -> Option<LocalDateTime> {
    let s = std::str::from_utf8(b).ok()?;
    let (secs, micros) = match s.split_once('.') {
        Some((secs, micros)) => (secs, micros.parse::<u32>().ok()?),
        None => (s, 0),
    };
    let secs: i64 = secs.parse().ok()?;
    if micros >= 1_000_000 {
        return None;
    }
    Some(LocalDateTime::from_epoch(secs, micros * 1000))
}
