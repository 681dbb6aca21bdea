//! MySQL/MariaDB column types to Kafka Connect schemas and values, byte-compatible with
//! Debezium's `BinlogValueConverters`/`JdbcValueConverters` (2.7–3.4). Each value source (the
//! snapshot's text protocol, mysql_common's binlog decoding, a DDL `DEFAULT` clause) is first
//! turned into the Java object Debezium would see, then one set of converters maps it to the
//! Connect value, so the three paths stay consistent with each other and with Debezium.
//!
//! Conversion failures are errors, never panics. Debezium logs such a value ("Failed to properly
//! convert data value for '<table>.<column>'") and leaves the field null; callers should do the
//! same. Columns whose type has no mapping ([`TypeError::UnsupportedType`]) are left out of the
//! value struct, as Debezium does.

mod binlog;
mod charset;
mod convert;
mod defaults;
mod jsonb;
mod kind;
mod temporal;
mod text;

#[cfg(test)]
mod tests;

use super::model::Column;
use crate::data::{SchemaRef, Value};

pub use charset::decode_charset;
pub use jsonb::{render_jsonb, try_render_jsonb};

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalMode {
    /// `precise`: `org.apache.kafka.connect.data.Decimal` bytes.
    #[default]
    Precise,
    /// `double`: float64.
    Double,
    /// `string`: `BigDecimal.toPlainString()`.
    String,
}

impl DecimalMode {
    /// Parses the Debezium config value (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "precise" => Some(Self::Precise),
            "double" => Some(Self::Double),
            "string" => Some(Self::String),
            _ => None,
        }
    }
}

/// `time.precision.mode` (binlog connectors accept only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimePrecisionMode {
    /// `adaptive_time_microseconds`: io.debezium.time.* types, TIME always in microseconds.
    #[default]
    AdaptiveTimeMicroseconds,
    /// `connect`: Kafka Connect's Date, Time (int32 ms) and Timestamp (int64 ms).
    Connect,
}

impl TimePrecisionMode {
    /// Parses the Debezium config value (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "adaptive_time_microseconds" => Some(Self::AdaptiveTimeMicroseconds),
            "connect" => Some(Self::Connect),
            _ => None,
        }
    }
}

/// `bigint.unsigned.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigintUnsignedMode {
    /// `long`: int64; values above 2^63-1 wrap negative.
    #[default]
    Long,
    /// `precise`: Decimal with scale 0 and precision 20.
    Precise,
}

impl BigintUnsignedMode {
    /// Parses the Debezium config value (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "long" => Some(Self::Long),
            "precise" => Some(Self::Precise),
            _ => None,
        }
    }
}

/// `binary.handling.mode` (BINARY, VARBINARY and the BLOB types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryMode {
    /// `bytes`: Connect bytes (base64 in JSON).
    #[default]
    Bytes,
    /// `base64`: a string, standard alphabet, padded.
    Base64,
    /// `base64-url-safe`: a string, URL-safe alphabet, padded.
    Base64UrlSafe,
    /// `hex`: a lower-case hex string.
    Hex,
}

impl BinaryMode {
    /// Parses the Debezium config value (case-insensitive, surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bytes" => Some(Self::Bytes),
            "base64" => Some(Self::Base64),
            "base64-url-safe" => Some(Self::Base64UrlSafe),
            "hex" => Some(Self::Hex),
            _ => None,
        }
    }
}

/// The connector settings that shape column schemas and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeModes {
    pub decimal: DecimalMode,
    pub time: TimePrecisionMode,
    pub bigint_unsigned: BigintUnsignedMode,
    pub binary: BinaryMode,
}

#[derive(Debug, thiserror::Error)]
pub enum TypeError {
    /// Debezium has no schema for the type and leaves the column out of change events.
    #[error(
        "column '{column}' has type {type_name}, which has no Kafka Connect mapping; \
         the column is left out of change events"
    )]
    UnsupportedType { column: String, type_name: String },
    /// A value (never included in the message, it may be sensitive) could not be converted.
    #[error("cannot convert a value of column '{column}' ({type_name}): {reason}")]
    InvalidValue {
        column: String,
        type_name: String,
        reason: String,
    },
}

impl TypeError {
    fn invalid(col: &Column, reason: impl Into<String>) -> TypeError {
        TypeError::InvalidValue {
            column: col.name.clone(),
            type_name: col.type_name.clone(),
            reason: reason.into(),
        }
    }
}

/// The Connect schema of one column: optional when the column is nullable (geometry schemas are
/// always optional, as in Debezium), with the column's non-null `DEFAULT` converted to the
/// field's Connect value. The column comment is not used; add it as `doc` when
/// `include.schema.comments=true`.
pub fn column_schema(col: &Column, modes: &TypeModes) -> Result<SchemaRef, TypeError> {
    let kind = kind::Kind::of(col)?;
    let mut schema = kind.schema(col, modes);
    if col.optional {
        schema = schema.optional();
    }
    if let Some(default) = defaults::default_value(col, &kind, &schema, modes) {
        schema = schema.default_value(default);
    }
    Ok(schema.build())
}

/// Converts a value read by the snapshot over the MySQL text protocol. `raw` is `None` for SQL
/// NULL, else the bytes the server sent with a session `time_zone` of `+00:00` and
/// `character_set_results` NULL (strings in the column's charset).
pub fn convert_text(
    col: &Column,
    schema: &SchemaRef,
    raw: Option<&[u8]>,
    modes: &TypeModes,
) -> Result<Value, TypeError> {
    let kind = kind::Kind::of(col)?;
    let datum = match raw {
        None => convert::Datum::Null,
        Some(raw) => text::datum(col, &kind, raw)?,
    };
    convert::to_connect(col, &kind, schema, datum, modes)
}

/// Converts a value decoded from a binlog ROWS event by mysql_common. Signed/unsigned integers
/// are reinterpreted with the column's own signedness, so table maps without optional metadata
/// are handled.
pub fn convert_binlog(
    col: &Column,
    schema: &SchemaRef,
    value: &mysql_common::binlog::value::BinlogValue<'_>,
    modes: &TypeModes,
) -> Result<Value, TypeError> {
    let kind = kind::Kind::of(col)?;
    let datum = binlog::datum(col, &kind, value)?;
    convert::to_connect(col, &kind, schema, datum, modes)
}
