//! Column definitions: the data type (resolved by `types`) and the column attributes Debezium's
//! ColumnDefinitionParserListener and DefaultValueParserListener act on (NULL / NOT NULL,
//! DEFAULT, AUTO_INCREMENT, ON UPDATE, inline keys, COMMENT); other attributes are skipped.

use std::ops::Range;

use super::cursor::{Cursor, PResult};
use super::lexer::{Tok, Token};
use super::types::{self, DataType};

/// A column's DEFAULT clause, reduced to what Debezium's DefaultValueParserListener records.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum DefaultValue {
    /// `DEFAULT NULL`: Debezium records nothing.
    Null,
    /// A literal, as Debezium's defaultValueExpression shows it.
    Literal(String),
    /// A computed default (expression, function call): has a default, expression unknown.
    Computed,
    /// A form Debezium records nothing for (hex literals).
    Unrecorded,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ColAttr {
    /// NULL (true) / NOT NULL (false).
    Null(bool),
    Default(DefaultValue),
    /// AUTO_INCREMENT, or `ON UPDATE CURRENT_TIMESTAMP` outside a DEFAULT clause (Debezium's
    /// grammar files both under the auto-increment constraint).
    AutoIncrement,
    PrimaryKey,
    Unique,
    /// COMMENT, raw literal text (with quotes).
    Comment(String),
    SerialDefaultValue,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub attrs: Vec<ColAttr>,
}

/// Words that start a column attribute; a computed DEFAULT expression stops at them.
const COLUMN_ATTR_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "AUTO_INCREMENT",
    "ON",
    "PRIMARY",
    "KEY",
    "UNIQUE",
    "COMMENT",
    "COLLATE",
    "GENERATED",
    "AS",
    "VISIBLE",
    "INVISIBLE",
    "COLUMN_FORMAT",
    "STORAGE",
    "REFERENCES",
    "CONSTRAINT",
    "CHECK",
    "SERIAL",
    "SRID",
    "WITH",
    "WITHOUT",
    "COMPRESSED",
    "ENGINE_ATTRIBUTE",
    "SECONDARY_ENGINE_ATTRIBUTE",
];

/// `data_type attribute*` for column `name`.
pub(super) fn parse_column_definition(c: &mut Cursor, name: String) -> PResult<ColumnDef> {
    let data_type = parse_data_type(c)?;
    let mut attrs = Vec::new();
    while let Some(t) = c.peek() {
        if t.is_punct(',') || t.is_punct(')') {
            break;
        }
        let Tok::Word(w) = &t.tok else {
            return Err(c.unexpected(&format!("unexpected text in definition of column `{name}`")));
        };
        let w = w.to_ascii_uppercase();
        c.bump();
        match w.as_str() {
            "NOT" => {
                if c.eat_kw("NULL") {
                    attrs.push(ColAttr::Null(false));
                } else {
                    c.expect_kw("ENFORCED")?;
                }
            }
            "NULL" => attrs.push(ColAttr::Null(true)),
            "DEFAULT" => attrs.push(ColAttr::Default(parse_default_value(c)?)),
            "AUTO_INCREMENT" => attrs.push(ColAttr::AutoIncrement),
            "ON" => {
                c.expect_kw("UPDATE")?;
                parse_current_timestamp(c)?;
                attrs.push(ColAttr::AutoIncrement);
            }
            "PRIMARY" => {
                c.expect_kw("KEY")?;
                attrs.push(ColAttr::PrimaryKey);
            }
            "KEY" => attrs.push(ColAttr::PrimaryKey),
            "UNIQUE" => {
                c.eat_kw("KEY");
                attrs.push(ColAttr::Unique);
            }
            "COMMENT" => match c.bump() {
                Some(t) if t.tok == Tok::Str => attrs.push(ColAttr::Comment(c.raw(t).to_string())),
                _ => return Err("COMMENT needs a string".to_string()),
            },
            "COLLATE" => {
                c.ident_or_string()?;
            }
            "CHARACTER" | "CHARSET" => {
                if w == "CHARACTER" {
                    c.expect_kw("SET")?;
                }
                c.ident_or_string()?;
            }
            "GENERATED" | "AS" => {
                if w == "GENERATED" {
                    c.expect_kw("ALWAYS")?;
                    c.expect_kw("AS")?;
                }
                if c.eat_kw("ROW") {
                    let _ = c.eat_kw("START") || c.eat_kw("END");
                } else {
                    c.skip_group()?;
                    let _ = c.eat_kw("VIRTUAL") || c.eat_kw("STORED") || c.eat_kw("PERSISTENT");
                }
            }
            "VISIBLE" | "INVISIBLE" | "ENFORCED" | "BINARY" => {}
            "COLUMN_FORMAT" | "STORAGE" | "SRID" => {
                c.bump();
            }
            "REFERENCES" => skip_reference(c)?,
            "CONSTRAINT" => {
                if !c.is_kw("CHECK") {
                    c.ident()?;
                }
                c.expect_kw("CHECK")?;
                c.skip_group()?;
            }
            "CHECK" => c.skip_group()?,
            "SERIAL" => {
                c.expect_kw("DEFAULT")?;
                c.expect_kw("VALUE")?;
                attrs.push(ColAttr::SerialDefaultValue);
            }
            "WITH" | "WITHOUT" => {
                c.expect_kw("SYSTEM")?;
                c.expect_kw("VERSIONING")?;
            }
            "COMPRESSED" | "ENGINE_ATTRIBUTE" | "SECONDARY_ENGINE_ATTRIBUTE" => {
                if c.eat_punct('=') || c.peek().is_some_and(|t| t.tok == Tok::Str) {
                    c.bump();
                }
            }
            _ => {
                c.pos -= 1;
                return Err(
                    c.unexpected(&format!("unexpected text in definition of column `{name}`"))
                );
            }
        }
    }
    Ok(ColumnDef {
        name,
        data_type,
        attrs,
    })
}

/// `REFERENCES tbl [(cols)] [MATCH x] [ON DELETE|UPDATE action]...` (after REFERENCES).
fn skip_reference(c: &mut Cursor) -> PResult<()> {
    c.obj_name()?;
    if c.is_punct('(') {
        c.skip_group()?;
    }
    if c.eat_kw("MATCH") {
        c.bump();
    }
    while c.is_kw("ON") && (c.is_kw_at(1, "DELETE") || c.is_kw_at(1, "UPDATE")) {
        c.bump();
        c.bump();
        // RESTRICT | CASCADE | SET NULL | SET DEFAULT | NO ACTION
        let two_words = c.is_kw("SET") || c.is_kw("NO");
        c.bump();
        if two_words {
            c.bump();
        }
    }
    Ok(())
}

/// `CURRENT_TIMESTAMP|LOCALTIME|LOCALTIMESTAMP|CURDATE|CURTIME [( [n] )] | NOW( [n] )`;
/// returns the first word (upper-case) and the token range.
fn parse_current_timestamp(c: &mut Cursor) -> PResult<(String, Range<usize>)> {
    let start = c.pos;
    let word = match c.peek().map(|t| &t.tok) {
        Some(Tok::Word(w)) => w.to_ascii_uppercase(),
        _ => return Err(c.unexpected("expected CURRENT_TIMESTAMP")),
    };
    if !matches!(
        word.as_str(),
        "CURRENT_TIMESTAMP" | "LOCALTIME" | "LOCALTIMESTAMP" | "CURDATE" | "CURTIME" | "NOW"
    ) {
        return Err(c.unexpected("expected CURRENT_TIMESTAMP"));
    }
    c.bump();
    if c.is_punct('(') {
        c.skip_group()?;
    } else if word == "NOW" {
        return Err(c.unexpected("expected `(` after NOW"));
    }
    Ok((word, start..c.pos))
}

fn is_current_timestamp_word(t: &Token) -> bool {
    [
        "CURRENT_TIMESTAMP",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "CURDATE",
        "CURTIME",
    ]
    .iter()
    .any(|k| t.is_kw(k))
}

/// The value after DEFAULT, reduced as Debezium's DefaultValueParserListener does.
pub(super) fn parse_default_value(c: &mut Cursor) -> PResult<DefaultValue> {
    let Some(t) = c.peek() else {
        return Err(c.unexpected("expected a default value"));
    };
    if t.is_kw("NULL") {
        c.bump();
        return Ok(DefaultValue::Null);
    }
    if is_current_timestamp_word(t)
        || (t.is_kw("NOW") && c.peek_at(1).is_some_and(|n| n.is_punct('(')))
    {
        let (word, range) = parse_current_timestamp(c)?;
        if c.is_kw("ON") && c.is_kw_at(1, "UPDATE") {
            c.bump();
            c.bump();
            parse_current_timestamp(c)?;
        }
        let value = if word == "CURRENT_TIMESTAMP" || word == "NOW" {
            "1970-01-01 00:00:00".to_string()
        } else {
            c.joined(range.start, range.end)
        };
        return Ok(DefaultValue::Literal(value));
    }
    // Optional unary operator (text kept as the sign prefix).
    let mut sign = String::new();
    if matches!(t.tok, Tok::Punct('-' | '+' | '~' | '!')) {
        sign = c.raw(t).to_string();
        c.bump();
    }
    let Some(t) = c.peek() else {
        return Err(c.unexpected("expected a default value"));
    };
    let value = match &t.tok {
        Tok::Str => {
            let start = c.pos;
            while c.peek().is_some_and(|t| t.tok == Tok::Str) {
                c.bump();
            }
            let raw = if c.pos - start == 1 {
                c.raw(t).to_string()
            } else {
                c.joined(start, c.pos)
            };
            if c.eat_kw("COLLATE") {
                c.ident_or_string()?;
            }
            DefaultValue::Literal(format!("{sign}{}", unquote_default(&raw)))
        }
        Tok::NationalStr => {
            c.bump();
            DefaultValue::Literal(format!("{sign}{}", c.raw(t)))
        }
        Tok::Word(w) if w.starts_with('_') && c.peek_at(1).is_some_and(|n| n.tok == Tok::Str) => {
            // Charset introducer: Debezium keeps `_utf8mb4'x'` as written.
            let raw = c.joined(c.pos, c.pos + 2);
            c.pos += 2;
            if c.eat_kw("COLLATE") {
                c.ident_or_string()?;
            }
            DefaultValue::Literal(format!("{sign}{raw}"))
        }
        Tok::Number => {
            c.bump();
            let raw = c.raw(t);
            if raw.starts_with("0x") || raw.starts_with("0X") {
                DefaultValue::Unrecorded
            } else {
                DefaultValue::Literal(format!("{sign}{raw}"))
            }
        }
        Tok::Punct('.') if c.peek_at(1).is_some_and(|n| n.tok == Tok::Number) => {
            let raw = c.joined(c.pos, c.pos + 2);
            c.pos += 2;
            DefaultValue::Literal(format!("{sign}{raw}"))
        }
        Tok::HexStr => {
            c.bump();
            DefaultValue::Unrecorded
        }
        Tok::BitStr => {
            c.bump();
            let raw = c.raw(t);
            DefaultValue::Literal(
                raw.get(2..raw.len().saturating_sub(1))
                    .unwrap_or("")
                    .to_string(),
            )
        }
        Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => {
            c.bump();
            DefaultValue::Literal(w.clone())
        }
        Tok::Punct('(') => {
            c.skip_group()?;
            skip_expression_tail(c)?;
            DefaultValue::Computed
        }
        Tok::Word(_) | Tok::QuotedId(_) => {
            // Function call or other expression (MariaDB prints `DEFAULT uuid()`).
            c.bump();
            if c.is_punct('(') {
                c.skip_group()?;
            }
            skip_expression_tail(c)?;
            DefaultValue::Computed
        }
        _ => return Err(c.unexpected("unsupported default value")),
    };
    Ok(value)
}

/// After the first term of a computed default: skips operators and further terms, stopping at
/// the next column attribute.
fn skip_expression_tail(c: &mut Cursor) -> PResult<()> {
    while let Some(t) = c.peek() {
        match &t.tok {
            Tok::Punct(',') | Tok::Punct(')') => return Ok(()),
            Tok::Punct('(') => c.skip_group()?,
            Tok::Word(_) if COLUMN_ATTR_WORDS.iter().any(|k| t.is_kw(k)) => return Ok(()),
            _ => {
                c.bump();
            }
        }
    }
    Ok(())
}

/// Debezium's `unquote`: strips one pair of `'` or `"` quotes, no unescaping.
fn unquote_default(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'\'' | b'"') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Reads `( n )` if present.
fn length_one(c: &mut Cursor) -> PResult<Option<String>> {
    if !c.eat_punct('(') {
        return Ok(None);
    }
    let n = c.integer()?;
    c.expect_punct(')')?;
    Ok(Some(n))
}

/// Reads `( m [, d] )` if present; m may be a real literal (`FLOAT(7.4)`).
fn length_two(c: &mut Cursor) -> PResult<Option<(String, Option<String>)>> {
    if !c.eat_punct('(') {
        return Ok(None);
    }
    let m = c.integer()?;
    let d = if c.eat_punct(',') {
        Some(c.integer()?)
    } else {
        None
    };
    c.expect_punct(')')?;
    Ok(Some((m, d)))
}

/// `CHARACTER SET x` / `CHARSET x` / `CHAR SET x` if present; the raw name text.
fn charset_clause(c: &mut Cursor) -> PResult<Option<String>> {
    if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kws(&["CHAR", "SET"]) || c.eat_kw("CHARSET") {
        let t = c
            .bump()
            .ok_or_else(|| "expected a charset name".to_string())?;
        return Ok(Some(c.raw(t).to_string()));
    }
    Ok(None)
}

/// Parses a data type and resolves it the way Debezium's MySQL DataTypeResolver does.
fn parse_data_type(c: &mut Cursor) -> PResult<DataType> {
    let Some(Tok::Word(w)) = c.peek().map(|t| &t.tok) else {
        return Err(c.unexpected("expected a data type"));
    };
    let base = w.to_ascii_uppercase();
    c.bump();
    match base.as_str() {
        "LONG" if c.is_kw("VARBINARY") => {
            c.bump();
            Ok(types::simple("LONG VARBINARY", types::BLOB))
        }
        "LONG" if c.is_kw("VARCHAR") => {
            c.bump();
            // BINARY is not part of this type's name in Debezium's resolver.
            c.eat_kw("BINARY");
            let charset = charset_clause(c)?;
            let collation = if c.eat_kw("COLLATE") {
                Some(c.ident_or_string()?)
            } else {
                None
            };
            types::string("LONG VARCHAR", types::VARCHAR, None, charset, collation)
        }
        "NCHAR" if c.is_kw("VARCHAR") => {
            c.bump();
            let len = length_one(c)?;
            let binary = c.eat_kw("BINARY");
            let name = if binary {
                "NCHAR VARCHAR BINARY"
            } else {
                "NCHAR VARCHAR"
            };
            types::national(name, types::NVARCHAR, len)
        }
        "CHAR" | "CHARACTER" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT"
        | "NCHAR" | "NVARCHAR" | "LONG" => {
            let varying = c.eat_kw("VARYING");
            let len = length_one(c)?;
            let mut binary = c.eat_kw("BINARY");
            let charset = charset_clause(c)?;
            let mut collation = None;
            if c.eat_kw("COLLATE") {
                collation = Some(c.ident_or_string()?);
            } else if c.eat_kw("BINARY") {
                binary = true;
            }
            let (name, jdbc) = types::string_type_name(&base, varying, binary);
            if jdbc == types::NCHAR || jdbc == types::NVARCHAR {
                return types::national(&name, jdbc, len);
            }
            types::string(&name, jdbc, len, charset, collation)
        }
        "NATIONAL" => {
            let Some(Tok::Word(w2)) = c.peek().map(|t| &t.tok) else {
                return Err(c.unexpected("expected CHAR, CHARACTER or VARCHAR"));
            };
            let second = w2.to_ascii_uppercase();
            if !matches!(second.as_str(), "CHAR" | "CHARACTER" | "VARCHAR") {
                return Err(c.unexpected("expected CHAR, CHARACTER or VARCHAR"));
            }
            c.bump();
            let varying = second != "VARCHAR" && c.eat_kw("VARYING");
            let len = length_one(c)?;
            let binary = c.eat_kw("BINARY");
            let (name, jdbc) = if varying {
                (format!("NATIONAL {second} VARYING"), types::NVARCHAR)
            } else {
                let jdbc = if second == "VARCHAR" {
                    types::NVARCHAR
                } else {
                    types::NCHAR
                };
                let suffix = if binary { " BINARY" } else { "" };
                (format!("NATIONAL {second}{suffix}"), jdbc)
            };
            types::national(&name, jdbc, len)
        }
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "INTEGER" | "BIGINT" | "MIDDLEINT"
        | "INT1" | "INT2" | "INT3" | "INT4" | "INT8" => {
            let len = length_one(c)?;
            let flags = sign_flags(c);
            types::numeric(&base, false, len.map(|l| (l, None)), flags)
        }
        "REAL" | "DOUBLE" | "DECIMAL" | "DEC" | "FIXED" | "NUMERIC" | "FLOAT" | "FLOAT4"
        | "FLOAT8" => {
            let precision = base == "DOUBLE" && c.eat_kw("PRECISION");
            let dims = length_two(c)?;
            let flags = sign_flags(c);
            types::numeric(&base, precision, dims, flags)
        }
        "DATE" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BOOL" | "BOOLEAN" | "SERIAL" => {
            Ok(types::simple_named(&base))
        }
        "BIT" | "TIME" | "TIMESTAMP" | "DATETIME" | "BINARY" | "VARBINARY" | "BLOB" | "YEAR"
        | "VECTOR" => {
            let len = length_one(c)?;
            types::dimension(&base, len)
        }
        "ENUM" | "SET" => {
            c.expect_punct('(')?;
            let mut options = Vec::new();
            loop {
                match c.bump() {
                    Some(t) if t.tok == Tok::Str => options.push(c.raw(t).to_string()),
                    _ => return Err(format!("{base} options must be string literals")),
                }
                if c.eat_punct(',') {
                    continue;
                }
                c.expect_punct(')')?;
                break;
            }
            let binary = c.eat_kw("BINARY");
            let charset = charset_clause(c)?;
            Ok(types::collection(&base, binary, &options, charset))
        }
        "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" | "LINESTRING" | "MULTILINESTRING"
        | "MULTIPOINT" | "MULTIPOLYGON" | "POINT" | "POLYGON" | "JSON" | "GEOMETRY" | "UUID"
        | "INET4" | "INET6" => {
            if c.eat_kw("SRID") {
                c.integer()?;
            }
            Ok(types::simple(&base, types::OTHER))
        }
        _ => {
            c.pos -= 1;
            Err(c.unexpected("unknown data type"))
        }
    }
}

/// SIGNED / UNSIGNED / ZEROFILL flags after a numeric type, in any order.
fn sign_flags(c: &mut Cursor) -> [bool; 3] {
    let mut flags = [false; 3];
    loop {
        if c.eat_kw("SIGNED") {
            flags[0] = true;
        } else if c.eat_kw("UNSIGNED") {
            flags[1] = true;
        } else if c.eat_kw("ZEROFILL") {
            flags[2] = true;
        } else {
            return flags;
        }
    }
}
