//! Which Debezium mapping a column gets, decided like `BinlogValueConverters.schemaBuilder`:
//! special type names first (JSON, geometries, YEAR, ENUM, SET, unsigned integers, FLOAT),
//! then the JDBC type the DDL parser assigned.

use super::{BigintUnsignedMode, BinaryMode, DecimalMode, TimePrecisionMode, TypeError, TypeModes};
use crate::connectors::mysql::model::Column;
use crate::data::{Schema, Type};

/// java.sql.Types codes the MySQL DDL parser assigns.
mod jdbc {
    pub const BIT: i32 = -7;
    pub const TINYINT: i32 = -6;
    pub const SMALLINT: i32 = 5;
    pub const INTEGER: i32 = 4;
    pub const BIGINT: i32 = -5;
    pub const FLOAT: i32 = 6;
    pub const REAL: i32 = 7;
    pub const DOUBLE: i32 = 8;
    pub const NUMERIC: i32 = 2;
    pub const DECIMAL: i32 = 3;
    pub const CHAR: i32 = 1;
    pub const VARCHAR: i32 = 12;
    pub const LONGVARCHAR: i32 = -1;
    pub const NCHAR: i32 = -15;
    pub const NVARCHAR: i32 = -9;
    pub const LONGNVARCHAR: i32 = -16;
    pub const CLOB: i32 = 2005;
    pub const NCLOB: i32 = 2011;
    pub const DATE: i32 = 91;
    pub const TIME: i32 = 92;
    pub const TIMESTAMP: i32 = 93;
    pub const TIMESTAMP_WITH_TIMEZONE: i32 = 2014;
    pub const BINARY: i32 = -2;
    pub const VARBINARY: i32 = -3;
    pub const LONGVARBINARY: i32 = -4;
    pub const BLOB: i32 = 2004;
    pub const BOOLEAN: i32 = 16;
}

pub const BITS: &str = "io.debezium.data.Bits";
pub const JSON: &str = "io.debezium.data.Json";
pub const ENUM: &str = "io.debezium.data.Enum";
pub const ENUM_SET: &str = "io.debezium.data.EnumSet";
pub const UUID: &str = "io.debezium.data.Uuid";
pub const FLOAT_VECTOR: &str = "io.debezium.data.FloatVector";
pub const YEAR: &str = "io.debezium.time.Year";
pub const DATE: &str = "io.debezium.time.Date";
pub const MICRO_TIME: &str = "io.debezium.time.MicroTime";
pub const TIMESTAMP: &str = "io.debezium.time.Timestamp";
pub const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
pub const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";
pub const GEOMETRY: &str = "io.debezium.data.geometry.Geometry";
pub const POINT: &str = "io.debezium.data.geometry.Point";
pub const DECIMAL_PRECISION: &str = "connect.decimal.precision";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntWidth {
    Tiny,
    Small,
    Medium,
    Int,
    Big,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BOOLEAN / BOOL (JDBC BOOLEAN).
    Boolean,
    /// BIT(1).
    Bit,
    /// BIT(n), n > 1: io.debezium.data.Bits, little-endian bytes.
    Bits {
        bits: u32,
    },
    Int {
        width: IntWidth,
        unsigned: bool,
    },
    /// REAL: float32 schema, though the server stores a DOUBLE.
    Real,
    /// FLOAT: float32 unless FLOAT(M,D) or FLOAT(p>24); `single` tells whether the server
    /// stores a 4-byte float (everything but FLOAT(p>24)).
    Float {
        float32: bool,
        single: bool,
    },
    Double,
    Decimal {
        precision: i32,
        scale: i32,
    },
    Text,
    /// `pad_to`: BINARY(M) values are right-padded with 0x00 to M bytes.
    Binary {
        pad_to: Option<usize>,
    },
    Json,
    Enum,
    Set,
    Year,
    Date,
    Time,
    DateTime {
        fsp: i32,
    },
    Timestamp {
        fsp: i32,
    },
    Geometry,
    Point,
    /// MySQL 9 VECTOR (Debezium 3.x).
    Vector,
    /// MariaDB UUID.
    Uuid,
}

impl Kind {
    pub fn of(col: &Column) -> Result<Kind, TypeError> {
        let upper = col.type_name.trim().to_ascii_uppercase();
        // Types BinlogValueConverters recognises by name: exactly the name, or name(…).
        let named = |name: &str| {
            upper == name
                || upper
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('('))
        };
        let special = [
            ("JSON", Kind::Json),
            ("POINT", Kind::Point),
            ("GEOMETRY", Kind::Geometry),
            ("LINESTRING", Kind::Geometry),
            ("POLYGON", Kind::Geometry),
            ("MULTIPOINT", Kind::Geometry),
            ("MULTILINESTRING", Kind::Geometry),
            ("MULTIPOLYGON", Kind::Geometry),
            ("YEAR", Kind::Year),
            ("ENUM", Kind::Enum),
            ("SET", Kind::Set),
            ("VECTOR", Kind::Vector),
            ("UUID", Kind::Uuid),
        ];
        if let Some((_, kind)) = special.iter().find(|(name, _)| named(name)) {
            return Ok(*kind);
        }
        if upper == "GEOMETRYCOLLECTION"
            || upper == "GEOMCOLLECTION"
            || upper.ends_with(".GEOMCOLLECTION")
        {
            return Ok(Kind::Geometry);
        }
        let base = upper
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or("");
        let unsigned = col.is_unsigned();
        let int = |width| Kind::Int { width, unsigned };
        let kind = match base {
            "BOOL" | "BOOLEAN" => Kind::Boolean,
            "BIT" => match col.length.unwrap_or(1) {
                n if n > 1 => Kind::Bits {
                    bits: n.unsigned_abs(),
                },
                _ => Kind::Bit,
            },
            "TINYINT" | "INT1" => int(IntWidth::Tiny),
            "SMALLINT" | "INT2" => int(IntWidth::Small),
            "MEDIUMINT" | "INT3" | "MIDDLEINT" => int(IntWidth::Medium),
            "INT" | "INTEGER" | "INT4" => int(IntWidth::Int),
            "BIGINT" | "INT8" => int(IntWidth::Big),
            // Debezium's parser names SERIAL `BIGINT UNSIGNED`; accept the alias too.
            "SERIAL" => Kind::Int {
                width: IntWidth::Big,
                unsigned: true,
            },
            "REAL" => Kind::Real,
            "FLOAT" | "FLOAT4" => float_kind(col, base, &upper),
            "DOUBLE" | "FLOAT8" => Kind::Double,
            "DECIMAL" | "DEC" | "FIXED" | "NUMERIC" => decimal_kind(col),
            "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "NCHAR"
            | "NVARCHAR" | "CHARACTER" | "NATIONAL" | "VARCHARACTER" => Kind::Text,
            "LONG" if upper.contains("VARBINARY") => Kind::Binary { pad_to: None },
            "LONG" => Kind::Text,
            "BINARY" => Kind::Binary {
                pad_to: Some(col.length.map_or(1, |n| n.max(0) as usize)),
            },
            "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                Kind::Binary { pad_to: None }
            }
            "DATE" => Kind::Date,
            "TIME" => Kind::Time,
            "DATETIME" => Kind::DateTime { fsp: fsp(col) },
            "TIMESTAMP" => Kind::Timestamp { fsp: fsp(col) },
            _ => return from_jdbc(col),
        };
        Ok(kind)
    }

    /// Binary, date/time and number columns: their DEFAULT text is trimmed, as Debezium does.
    pub fn trims_default(self) -> bool {
        !matches!(
            self,
            Kind::Text
                | Kind::Binary { .. }
                | Kind::Json
                | Kind::Enum
                | Kind::Set
                | Kind::Geometry
                | Kind::Point
                | Kind::Vector
                | Kind::Uuid
        )
    }

    /// JDBC number types (BIT, integers, floating point, DECIMAL; YEAR is an INTEGER), whose
    /// DEFAULT may be `true`/`false`.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            Kind::Bit
                | Kind::Bits { .. }
                | Kind::Int { .. }
                | Kind::Real
                | Kind::Float { .. }
                | Kind::Double
                | Kind::Decimal { .. }
                | Kind::Year
        )
    }

    /// The field schema before optionality and default are applied.
    pub fn schema(self, col: &Column, modes: &TypeModes) -> Schema {
        match self {
            Kind::Boolean | Kind::Bit => Schema::new(Type::Boolean),
            Kind::Bits { bits } => named(Type::Bytes, BITS).parameter("length", &bits.to_string()),
            Kind::Int { width, unsigned } => int_schema(width, unsigned, modes.bigint_unsigned),
            Kind::Real => Schema::new(Type::Float32),
            Kind::Float { float32: true, .. } => Schema::new(Type::Float32),
            Kind::Float { .. } | Kind::Double => Schema::new(Type::Float64),
            Kind::Decimal { precision, scale } => match modes.decimal {
                DecimalMode::Precise => decimal_schema(precision, scale),
                DecimalMode::Double => Schema::new(Type::Float64),
                DecimalMode::String => Schema::new(Type::String),
            },
            Kind::Text => Schema::new(Type::String),
            Kind::Binary { .. } => match modes.binary {
                BinaryMode::Bytes => Schema::new(Type::Bytes),
                _ => Schema::new(Type::String),
            },
            Kind::Json => named(Type::String, JSON),
            Kind::Enum => named(Type::String, ENUM).parameter("allowed", &allowed(col)),
            Kind::Set => named(Type::String, ENUM_SET).parameter("allowed", &allowed(col)),
            Kind::Year => named(Type::Int32, YEAR),
            Kind::Date => match modes.time {
                TimePrecisionMode::AdaptiveTimeMicroseconds => named(Type::Int32, DATE),
                TimePrecisionMode::Connect => Schema::date(),
            },
            Kind::Time => match modes.time {
                TimePrecisionMode::AdaptiveTimeMicroseconds => named(Type::Int64, MICRO_TIME),
                TimePrecisionMode::Connect => Schema::time(),
            },
            Kind::DateTime { fsp } => match modes.time {
                TimePrecisionMode::AdaptiveTimeMicroseconds if fsp <= 3 => {
                    named(Type::Int64, TIMESTAMP)
                }
                TimePrecisionMode::AdaptiveTimeMicroseconds => named(Type::Int64, MICRO_TIMESTAMP),
                TimePrecisionMode::Connect => Schema::timestamp(),
            },
            Kind::Timestamp { .. } => named(Type::String, ZONED_TIMESTAMP),
            Kind::Geometry => named(Type::Struct, GEOMETRY)
                .doc("Geometry")
                .optional()
                .field("wkb", Schema::new(Type::Bytes).build())
                .field("srid", Schema::new(Type::Int32).optional().build()),
            Kind::Point => named(Type::Struct, POINT)
                .doc("Geometry (POINT)")
                .field("x", Schema::new(Type::Float64).build())
                .field("y", Schema::new(Type::Float64).build())
                .field("wkb", Schema::new(Type::Bytes).optional().build())
                .field("srid", Schema::new(Type::Int32).optional().build()),
            Kind::Vector => Schema::array(Schema::new(Type::Float32).build())
                .named(FLOAT_VECTOR)
                .version(1),
            Kind::Uuid => named(Type::String, UUID),
        }
    }
}

fn named(kind: Type, name: &str) -> Schema {
    Schema::new(kind).named(name).version(1)
}

/// Debezium's SpecialValueDecimal.builder(PRECISE, precision, scale).
pub fn decimal_schema(precision: i32, scale: i32) -> Schema {
    Schema::decimal(scale).parameter(DECIMAL_PRECISION, &precision.to_string())
}

fn int_schema(width: IntWidth, unsigned: bool, mode: BigintUnsignedMode) -> Schema {
    let kind = match (width, unsigned) {
        (IntWidth::Tiny, _) | (IntWidth::Small, false) => Type::Int16,
        (IntWidth::Small, true) | (IntWidth::Medium, _) | (IntWidth::Int, false) => Type::Int32,
        (IntWidth::Int, true) | (IntWidth::Big, false) => Type::Int64,
        (IntWidth::Big, true) => match mode {
            BigintUnsignedMode::Long => Type::Int64,
            BigintUnsignedMode::Precise => return decimal_schema(20, 0),
        },
    };
    Schema::new(kind)
}

/// FLOAT is float32 only when written FLOAT / FLOAT UNSIGNED [ZEROFILL] with no scale and a
/// precision of at most 24 (BinlogValueConverters matches those exact names).
fn float_kind(col: &Column, base: &str, upper: &str) -> Kind {
    let small = col.scale.is_none() && col.length.unwrap_or(-1) <= 24;
    let rest = upper.get(base.len()..).unwrap_or("").trim_start();
    let rest = rest
        .strip_prefix('(')
        .and_then(|r| r.split_once(')').map(|(_, after)| after.trim()))
        .unwrap_or(rest);
    let float_name = base == "FLOAT" && matches!(rest, "" | "UNSIGNED" | "UNSIGNED ZEROFILL");
    Kind::Float {
        float32: float_name && small,
        single: small || col.scale.is_some(),
    }
}

/// DECIMAL without a precision is DECIMAL(10,0); without a scale, scale 0. (MySQL allows
/// scales up to 30; absurd model values are clamped so rescaling stays cheap.)
fn decimal_kind(col: &Column) -> Kind {
    Kind::Decimal {
        precision: col.length.unwrap_or(10),
        scale: col.scale.unwrap_or(0).clamp(-1000, 1000),
    }
}

/// Fractional seconds precision (DATETIME(6) → 6; none → 0).
fn fsp(col: &Column) -> i32 {
    col.length.unwrap_or(0)
}

fn allowed(col: &Column) -> String {
    col.enum_values.join(",")
}

/// Types known only by their JDBC code (names the match above does not list).
fn from_jdbc(col: &Column) -> Result<Kind, TypeError> {
    let unsigned = col.is_unsigned();
    let kind = match col.jdbc_type {
        jdbc::BOOLEAN => Kind::Boolean,
        jdbc::BIT => match col.length.unwrap_or(1) {
            n if n > 1 => Kind::Bits {
                bits: n.unsigned_abs(),
            },
            _ => Kind::Bit,
        },
        jdbc::TINYINT => Kind::Int {
            width: IntWidth::Tiny,
            unsigned,
        },
        jdbc::SMALLINT => Kind::Int {
            width: IntWidth::Small,
            unsigned,
        },
        jdbc::INTEGER => Kind::Int {
            width: IntWidth::Int,
            unsigned,
        },
        jdbc::BIGINT => Kind::Int {
            width: IntWidth::Big,
            unsigned,
        },
        jdbc::REAL => Kind::Real,
        jdbc::FLOAT | jdbc::DOUBLE => Kind::Double,
        jdbc::NUMERIC | jdbc::DECIMAL => decimal_kind(col),
        jdbc::CHAR
        | jdbc::VARCHAR
        | jdbc::LONGVARCHAR
        | jdbc::NCHAR
        | jdbc::NVARCHAR
        | jdbc::LONGNVARCHAR
        | jdbc::CLOB
        | jdbc::NCLOB => Kind::Text,
        jdbc::BINARY => Kind::Binary {
            pad_to: Some(col.length.map_or(1, |n| n.max(0) as usize)),
        },
        jdbc::VARBINARY | jdbc::LONGVARBINARY | jdbc::BLOB => Kind::Binary { pad_to: None },
        jdbc::DATE => Kind::Date,
        jdbc::TIME => Kind::Time,
        jdbc::TIMESTAMP => Kind::DateTime { fsp: fsp(col) },
        jdbc::TIMESTAMP_WITH_TIMEZONE => Kind::Timestamp { fsp: fsp(col) },
        _ => {
            return Err(TypeError::UnsupportedType {
                column: col.name.clone(),
                type_name: col.type_name.clone(),
            })
        }
    };
    Ok(kind)
}
