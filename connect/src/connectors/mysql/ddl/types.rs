//! Column type resolution as Debezium's MySQL/MariaDB DDL parser does it (`DataTypeResolver`
//! entries registered in `MySqlAntlrDdlParser.initializeDataTypeResolver`, plus the length,
//! scale and charset handling of `ColumnDefinitionParserListener`). Debezium 3.4 semantics:
//! TINYINT maps to SMALLINT, TIMESTAMP to TIMESTAMP_WITH_TIMEZONE, ENUM/SET to CHAR, JSON and
//! spatial types to OTHER, YEAR to INTEGER; the type name is built from the written tokens.

use super::cursor::{without_quotes, PResult};

// java.sql.Types codes.
pub(super) const BIT: i32 = -7;
pub(super) const SMALLINT: i32 = 5;
pub(super) const INTEGER: i32 = 4;
pub(super) const BIGINT: i32 = -5;
pub(super) const FLOAT: i32 = 6;
pub(super) const REAL: i32 = 7;
pub(super) const DOUBLE: i32 = 8;
pub(super) const NUMERIC: i32 = 2;
pub(super) const DECIMAL: i32 = 3;
pub(super) const CHAR: i32 = 1;
pub(super) const VARCHAR: i32 = 12;
pub(super) const LONGVARCHAR: i32 = -1;
pub(super) const DATE: i32 = 91;
pub(super) const TIME: i32 = 92;
pub(super) const TIMESTAMP: i32 = 93;
pub(super) const TIMESTAMP_WITH_TIMEZONE: i32 = 2014;
pub(super) const BINARY: i32 = -2;
pub(super) const VARBINARY: i32 = -3;
pub(super) const OTHER: i32 = 1111;
pub(super) const BLOB: i32 = 2004;
pub(super) const CLOB: i32 = 2005;
pub(super) const BOOLEAN: i32 = 16;
pub(super) const NCHAR: i32 = -15;
pub(super) const NVARCHAR: i32 = -9;
pub(super) const LONGNVARCHAR: i32 = -16;
pub(super) const NCLOB: i32 = 2011;
pub(super) const SQLXML: i32 = 2009;
pub(super) const DATALINK: i32 = 70;

/// A resolved column type.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DataType {
    /// Debezium's type name (upper-case), also its typeExpression.
    pub name: String,
    pub jdbc_type: i32,
    /// Written length, else the type's default (DECIMAL 10, BIT 1, ...).
    pub length: Option<i32>,
    /// Written scale, else the type's default (DECIMAL 0).
    pub scale: Option<i32>,
    /// CHARACTER SET of the column (or derived from its COLLATE), as Debezium records it.
    pub charset: Option<String>,
    /// ENUM / SET options, quotes removed (Some only for ENUM / SET).
    pub enum_values: Option<Vec<String>>,
    /// SERIAL: BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE.
    pub serial: bool,
}

impl DataType {
    fn new(name: &str, jdbc_type: i32) -> DataType {
        DataType {
            name: name.to_string(),
            jdbc_type,
            length: None,
            scale: None,
            charset: None,
            enum_values: None,
            serial: false,
        }
    }
}

/// Column.typeUsesCharset(): character columns take the table's charset when they have none.
pub(super) fn type_uses_charset(jdbc_type: i32) -> bool {
    matches!(
        jdbc_type,
        CHAR | VARCHAR
            | LONGVARCHAR
            | CLOB
            | NCHAR
            | NVARCHAR
            | LONGNVARCHAR
            | NCLOB
            | DATALINK
            | SQLXML
    )
}

/// The charset a collation belongs to (`utf8mb4_unicode_ci` → `utf8mb4`, `binary` → `binary`).
pub(super) fn charset_of_collation(collation: &str) -> Option<String> {
    let c = without_quotes(collation).to_ascii_lowercase();
    if c.is_empty() {
        return None;
    }
    Some(c.split('_').next().unwrap_or(&c).to_string())
}

/// Debezium's parseLength: a long clamped to Integer.MAX_VALUE.
fn parse_length(s: &str) -> PResult<i32> {
    let v: i64 = s.parse().map_err(|_| format!("invalid length `{s}`"))?;
    Ok(v.clamp(0, i32::MAX as i64) as i32)
}

fn parse_scale(s: &str) -> PResult<i32> {
    s.parse().map_err(|_| format!("invalid scale `{s}`"))
}

pub(super) fn simple(name: &str, jdbc_type: i32) -> DataType {
    DataType::new(name, jdbc_type)
}

/// DATE, TINYBLOB, MEDIUMBLOB, LONGBLOB, BOOL, BOOLEAN, SERIAL.
pub(super) fn simple_named(base: &str) -> DataType {
    match base {
        "DATE" => DataType::new(base, DATE),
        "BOOL" | "BOOLEAN" => DataType::new(base, BOOLEAN),
        "SERIAL" => DataType {
            serial: true,
            ..DataType::new("BIGINT UNSIGNED", BIGINT)
        },
        _ => DataType::new(base, BLOB),
    }
}

/// Name and JDBC type of a string type from its base token and VARYING / BINARY modifiers
/// (Debezium picks the first two-token entry that matches, else the one-token entry).
pub(super) fn string_type_name(base: &str, varying: bool, binary: bool) -> (String, i32) {
    let single = match base {
        "CHAR" | "CHARACTER" => CHAR,
        "NCHAR" => NCHAR,
        "NVARCHAR" => NVARCHAR,
        _ => VARCHAR,
    };
    if varying {
        match base {
            "CHAR" | "CHARACTER" => return (format!("{base} VARYING"), VARCHAR),
            "NCHAR" => return (format!("{base} VARYING"), NVARCHAR),
            _ => {}
        }
    }
    if binary
        && matches!(
            base,
            "CHAR"
                | "VARCHAR"
                | "TINYTEXT"
                | "TEXT"
                | "MEDIUMTEXT"
                | "LONGTEXT"
                | "NCHAR"
                | "NVARCHAR"
        )
    {
        return (format!("{base} BINARY"), single);
    }
    (base.to_string(), single)
}

/// A character type with its written length and charset (explicit, else from the collation).
pub(super) fn string(
    name: &str,
    jdbc_type: i32,
    len: Option<String>,
    charset: Option<String>,
    collation: Option<String>,
) -> PResult<DataType> {
    let mut t = DataType::new(name, jdbc_type);
    t.length = len.as_deref().map(parse_length).transpose()?;
    t.charset = match charset {
        Some(cs) => Some(without_quotes(&cs).to_string()),
        None => collation.as_deref().and_then(charset_of_collation),
    };
    Ok(t)
}

/// NCHAR / NVARCHAR family: always charset utf8; NCHAR without length has length 1.
pub(super) fn national(name: &str, jdbc_type: i32, len: Option<String>) -> PResult<DataType> {
    let mut t = DataType::new(name, jdbc_type);
    t.length = len.as_deref().map(parse_length).transpose()?;
    if jdbc_type == NCHAR && t.length.is_none() {
        t.length = Some(1);
    }
    t.charset = Some("utf8".to_string());
    Ok(t)
}

/// Integer, floating point and decimal types. `flags` = [SIGNED, UNSIGNED, ZEROFILL].
pub(super) fn numeric(
    base: &str,
    precision: bool,
    dims: Option<(String, Option<String>)>,
    flags: [bool; 3],
) -> PResult<DataType> {
    let (jdbc, default_dims) = match base {
        "TINYINT" | "INT1" | "SMALLINT" | "INT2" => (SMALLINT, None),
        "MEDIUMINT" | "INT3" | "MIDDLEINT" | "INT" | "INTEGER" | "INT4" => (INTEGER, None),
        "BIGINT" | "INT8" => (BIGINT, None),
        "REAL" => (REAL, None),
        "DOUBLE" | "FLOAT8" => (DOUBLE, None),
        "FLOAT" | "FLOAT4" => (FLOAT, None),
        "NUMERIC" => (NUMERIC, Some((10, 0))),
        _ => (DECIMAL, Some((10, 0))),
    };
    let mut name = base.to_string();
    if precision {
        name.push_str(" PRECISION");
    }
    for (set, word) in flags.iter().zip(["SIGNED", "UNSIGNED", "ZEROFILL"]) {
        if *set {
            name.push(' ');
            name.push_str(word);
        }
    }
    let mut t = DataType::new(&adjust_signed_unsigned_zerofill(&name), jdbc);
    if let Some((m, d)) = dims {
        t.length = Some(if let Some((int_part, _)) = m.split_once('.') {
            // `FLOAT(7.4)`, `DECIMAL(0.2)`: the integer part, 10 when empty or zero.
            match int_part.parse::<i64>() {
                Ok(v) if v != 0 => parse_length(int_part)?,
                _ => 10,
            }
        } else {
            parse_length(&m)?
        });
        t.scale = d.as_deref().map(parse_scale).transpose()?;
    }
    if let Some((len, scale)) = default_dims {
        t.length = t.length.or(Some(len));
        t.scale = t.scale.or(Some(scale));
    }
    Ok(t)
}

/// DataTypeBuilder.adjustSignedUnsignedZerofill.
fn adjust_signed_unsigned_zerofill(name: &str) -> String {
    for (suffix, repl) in [
        (" SIGNED UNSIGNED ZEROFILL", " UNSIGNED ZEROFILL"),
        (" SIGNED UNSIGNED", " UNSIGNED"),
        (" SIGNED ZEROFILL", " UNSIGNED ZEROFILL"),
    ] {
        if let Some(head) = name.strip_suffix(suffix) {
            if !head.is_empty() {
                return format!("{head}{repl}");
            }
        }
    }
    if name.contains("ZEROFILL") && !name.contains("UNSIGNED") {
        return name.replacen("ZEROFILL", "UNSIGNED ZEROFILL", 1);
    }
    name.to_string()
}

/// BIT, TIME, TIMESTAMP, DATETIME, BINARY, VARBINARY, BLOB, YEAR, VECTOR with optional length.
pub(super) fn dimension(base: &str, len: Option<String>) -> PResult<DataType> {
    let (jdbc, default_len) = match base {
        "BIT" => (BIT, Some(1)),
        "TIME" => (TIME, None),
        "TIMESTAMP" => (TIMESTAMP_WITH_TIMEZONE, None),
        "DATETIME" => (TIMESTAMP, None),
        "BINARY" => (BINARY, None),
        "VARBINARY" => (VARBINARY, None),
        "YEAR" => (INTEGER, None),
        "VECTOR" => (OTHER, Some(2048)),
        _ => (BLOB, None),
    };
    let mut t = DataType::new(base, jdbc);
    t.length = len
        .as_deref()
        .map(parse_length)
        .transpose()?
        .or(default_len);
    Ok(t)
}

/// ENUM / SET: JDBC CHAR, length 1 for ENUM and 2n-1 for SET; options kept in definition order
/// without quotes (Debezium's extractEnumAndSetOptions); the charset text is kept as written.
pub(super) fn collection(
    base: &str,
    binary: bool,
    options_raw: &[String],
    charset: Option<String>,
) -> DataType {
    let name = if binary {
        format!("{base} BINARY")
    } else {
        base.to_string()
    };
    let mut t = DataType::new(&name, CHAR);
    t.length = Some(if base == "SET" {
        i32::try_from(options_raw.len())
            .unwrap_or(i32::MAX)
            .saturating_mul(2)
            .saturating_sub(1)
            .max(0)
    } else {
        1
    });
    if name == "ENUM" || name == "SET" {
        t.enum_values = Some(
            options_raw
                .iter()
                .map(|o| unescape_option(without_quotes(o)))
                .collect(),
        );
    }
    t.charset = charset;
    t
}

/// MySqlAntlrDdlParser.unescapeOption: `\'` and `''` become `'`.
pub(super) fn unescape_option(option: &str) -> String {
    option.replace("\\'", "'").replace("''", "'")
}
