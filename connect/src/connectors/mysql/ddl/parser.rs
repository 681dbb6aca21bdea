//! Recursive-descent parser for the MySQL / MariaDB DDL subset Debezium's grammar acts on. It
//! turns one statement's tokens into a `Stmt`, resolving column types exactly as Debezium's
//! `DataTypeResolver` + `ColumnDefinitionParserListener` do (type name from the written tokens,
//! JDBC type, length/scale defaults, charset). Clauses Debezium ignores are skipped, not modelled.

use super::alter::{parse_alter, AlterSpec};
use super::column::{parse_column_definition, ColumnDef};
use super::cursor::{is_identifier, without_quotes, Cursor, PResult};
use super::lexer::{Tok, Token};

#[derive(Debug, Clone, PartialEq)]
pub(super) struct ObjName {
    pub db: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum KeyPart {
    Column(String),
    Expression,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum CreateDef {
    Column(ColumnDef),
    PrimaryKey(Vec<KeyPart>),
    Unique(Vec<KeyPart>),
    /// Plain / FULLTEXT / SPATIAL indexes, foreign keys, checks, periods.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TableOption {
    /// `[DEFAULT] CHARSET = x`; None for `= DEFAULT`.
    Charset(Option<String>),
    /// `COMMENT = '...'`, raw literal.
    Comment(String),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct CreateTable {
    pub name: ObjName,
    pub or_replace: bool,
    pub defs: Vec<CreateDef>,
    pub options: Vec<TableOption>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Stmt {
    CreateTable(CreateTable),
    CreateTableLike {
        name: ObjName,
        like: ObjName,
    },
    CreateIndex {
        unique: bool,
        table: ObjName,
        parts: Vec<KeyPart>,
    },
    AlterTable {
        name: ObjName,
        specs: Vec<AlterSpec>,
    },
    /// `prefix` is the statement text before the first table name; `drop_type` RESTRICT/CASCADE.
    DropTables {
        prefix: String,
        tables: Vec<ObjName>,
        drop_type: Option<String>,
    },
    /// `prefix` is the statement text before the first pair; each pair keeps its own text.
    RenameTables {
        prefix: String,
        pairs: Vec<(ObjName, ObjName, String)>,
    },
    Truncate(ObjName),
    CreateDatabase {
        name: String,
        charset: Option<String>,
    },
    AlterDatabase {
        name: Option<String>,
        charset: Option<String>,
    },
    DropDatabase(String),
    Use(String),
    /// System variable assignments (name, value); user variables are left out.
    SetVariables(Vec<(String, String)>),
    /// Understood, and Debezium's parser emits no event for it.
    NoOp,
    /// A DML statement: Debezium's binlog reader drops these before parsing.
    Dml,
}

/// Parses one statement (its tokens, without the trailing `;`).
pub(super) fn parse_statement(sql: &str, toks: &[Token]) -> PResult<Stmt> {
    let mut toks = toks;
    // MariaDB `SET STATEMENT var=value[, ...] FOR <statement>`.
    while toks.first().is_some_and(|t| t.is_kw("SET"))
        && toks.get(1).is_some_and(|t| t.is_kw("STATEMENT"))
    {
        let mut depth = 0;
        let mut i = 2;
        while let Some(t) = toks.get(i) {
            i += 1;
            match t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth -= 1,
                _ if depth == 0 && t.is_kw("FOR") => break,
                _ => {}
            }
        }
        toks = &toks[i.min(toks.len())..];
    }
    let mut c = Cursor::new(sql, toks);
    let Some(Tok::Word(first)) = c.peek().map(|t| &t.tok) else {
        return Err(c.unexpected("expected a statement"));
    };
    let first = first.to_ascii_uppercase();
    match first.as_str() {
        "CREATE" => parse_create(&mut c),
        "ALTER" => parse_alter(&mut c),
        "DROP" => parse_drop(&mut c),
        "RENAME" => parse_rename(&mut c),
        "TRUNCATE" => {
            c.bump();
            c.eat_kw("TABLE");
            let name = c.obj_name()?;
            Ok(Stmt::Truncate(name))
        }
        "USE" => {
            c.bump();
            let db = c.ident_or_string()?;
            c.expect_end()?;
            Ok(Stmt::Use(db))
        }
        "SET" => parse_set(&mut c),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "SELECT" | "LOAD" | "CALL" | "DO"
        | "HANDLER" | "WITH" | "VALUES" => Ok(Stmt::Dml),
        "GRANT" | "REVOKE" | "FLUSH" | "ANALYZE" | "OPTIMIZE" | "REPAIR" | "CHECK" | "CHECKSUM"
        | "BEGIN" | "START" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "XA" | "LOCK"
        | "UNLOCK" | "INSTALL" | "UNINSTALL" | "RESET" | "PURGE" | "CHANGE" | "KILL"
        | "PREPARE" | "EXECUTE" | "DEALLOCATE" | "SHOW" | "DESC" | "DESCRIBE" | "EXPLAIN"
        | "HELP" | "CACHE" | "SHUTDOWN" | "RESTART" | "BINLOG" | "STOP" | "END" | "SIGNAL"
        | "RESIGNAL" | "GET" | "DECLARE" | "IMPORT" | "CLONE" | "BACKUP" => Ok(Stmt::NoOp),
        _ => Err(c.unexpected("unrecognized statement")),
    }
}

fn parse_create(c: &mut Cursor) -> PResult<Stmt> {
    c.expect_kw("CREATE")?;
    let or_replace = c.eat_kws(&["OR", "REPLACE"]);
    if c.is_kw("DATABASE") || c.is_kw("SCHEMA") {
        c.bump();
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        let name = c.ident_or_string()?;
        let charset = parse_database_options(c)?;
        return Ok(Stmt::CreateDatabase { name, charset });
    }
    let save = c.pos;
    c.eat_kw("TEMPORARY");
    if c.eat_kw("TABLE") {
        return parse_create_table(c, or_replace);
    }
    c.pos = save;
    c.eat_kw("ONLINE");
    c.eat_kw("OFFLINE");
    let unique = c.eat_kw("UNIQUE");
    if !unique {
        let _ = c.eat_kw("FULLTEXT") || c.eat_kw("SPATIAL");
    }
    if c.eat_kw("INDEX") {
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        c.ident()?;
        while !c.at_end() && !c.is_kw("ON") {
            c.bump();
        }
        c.expect_kw("ON")?;
        let table = c.obj_name()?;
        let parts = parse_key_parts(c)?;
        return Ok(Stmt::CreateIndex {
            unique,
            table,
            parts,
        });
    }
    // Views, users, roles, routines, triggers, events, servers, tablespaces, sequences, ...
    Ok(Stmt::NoOp)
}

fn parse_create_table(c: &mut Cursor, or_replace: bool) -> PResult<Stmt> {
    c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = c.obj_name()?;
    if c.eat_kw("LIKE") {
        let like = c.obj_name()?;
        c.expect_end()?;
        return Ok(Stmt::CreateTableLike { name, like });
    }
    if c.is_punct('(') && c.is_kw_at(1, "LIKE") {
        c.bump();
        c.bump();
        let like = c.obj_name()?;
        c.expect_punct(')')?;
        c.expect_end()?;
        return Ok(Stmt::CreateTableLike { name, like });
    }
    let mut defs = None;
    if c.is_punct('(') {
        if c.is_kw_at(1, "SELECT")
            || c.is_kw_at(1, "WITH")
            || c.peek_at(1).is_some_and(|t| t.is_punct('('))
        {
            // CREATE TABLE t (SELECT ...): a query-created table, which Debezium does not model.
            return Ok(Stmt::NoOp);
        }
        defs = Some(parse_create_definitions(c)?);
    }
    let options = parse_table_options(c)?;
    if c.is_kw("PARTITION") {
        c.skip_to_end();
    }
    if !c.at_end() {
        if c.is_any_kw(&["AS", "SELECT", "IGNORE", "REPLACE", "WITH"]) || c.is_punct('(') {
            // CREATE TABLE ... [AS] SELECT: Debezium's listener ignores these.
            return Ok(Stmt::NoOp);
        }
        return Err(c.unexpected("unexpected text after table definition"));
    }
    let Some(defs) = defs else {
        return Err("CREATE TABLE without column definitions".to_string());
    };
    Ok(Stmt::CreateTable(CreateTable {
        name,
        or_replace,
        defs,
        options,
    }))
}

/// `( definition, ... )`: each definition is parsed within its own comma-delimited range.
pub(super) fn parse_create_definitions(c: &mut Cursor) -> PResult<Vec<CreateDef>> {
    c.expect_punct('(')?;
    let mut defs = Vec::new();
    loop {
        let start = c.pos;
        let mut depth = 0;
        let end = loop {
            let Some(t) = c.peek() else {
                return Err("unterminated column definition list".to_string());
            };
            match t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') if depth == 0 => break c.pos,
                Tok::Punct(')') => depth -= 1,
                Tok::Punct(',') if depth == 0 => break c.pos,
                _ => {}
            }
            c.pos += 1;
        };
        let mut sub = Cursor::new(c.sql, &c.toks[start..end]);
        defs.push(parse_create_definition(&mut sub)?);
        if c.eat_punct(',') {
            continue;
        }
        c.expect_punct(')')?;
        return Ok(defs);
    }
}

fn parse_create_definition(c: &mut Cursor) -> PResult<CreateDef> {
    if c.eat_kw("CONSTRAINT") {
        if !c.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]) {
            c.ident()?;
        }
        if !c.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]) {
            return Err(c.unexpected("expected PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK"));
        }
    }
    if c.eat_kws(&["PRIMARY", "KEY"]) {
        return Ok(CreateDef::PrimaryKey(parse_index_tail(c)?));
    }
    if c.eat_kw("UNIQUE") {
        let _ = c.eat_kw("INDEX") || c.eat_kw("KEY");
        return Ok(CreateDef::Unique(parse_index_tail(c)?));
    }
    if c.is_any_kw(&[
        "INDEX",
        "KEY",
        "FULLTEXT",
        "SPATIAL",
        "FOREIGN",
        "CHECK",
        "CLUSTERING",
    ]) || (c.is_kw("PERIOD") && c.is_kw_at(1, "FOR"))
    {
        return Ok(CreateDef::Other);
    }
    let name = c.column_name()?;
    Ok(CreateDef::Column(parse_column_definition(c, name)?))
}

/// After `PRIMARY KEY` / `UNIQUE [KEY]`: `[IF NOT EXISTS] [name] [USING x] (parts) [options]`.
pub(super) fn parse_index_tail(c: &mut Cursor) -> PResult<Vec<KeyPart>> {
    while !c.at_end() && !c.is_punct('(') {
        c.bump();
    }
    let parts = parse_key_parts(c)?;
    c.skip_to_comma()?;
    Ok(parts)
}

/// `( key_part, ... )`; a part is a column (optionally with a prefix length and ASC/DESC) or an
/// expression.
fn parse_key_parts(c: &mut Cursor) -> PResult<Vec<KeyPart>> {
    c.expect_punct('(')?;
    let mut parts = Vec::new();
    loop {
        let is_name = c
            .peek()
            .is_some_and(|t| is_identifier(&t.tok) || t.tok == Tok::Str);
        let ends_part = |n: usize| {
            c.peek_at(n).is_some_and(|t| {
                t.is_punct(',')
                    || t.is_punct(')')
                    || t.is_punct('(')
                    || t.is_kw("ASC")
                    || t.is_kw("DESC")
            })
        };
        if is_name && ends_part(1) {
            let name = c.ident_or_string()?;
            if c.is_punct('(') {
                c.skip_group()?;
            }
            let _ = c.eat_kw("ASC") || c.eat_kw("DESC");
            parts.push(KeyPart::Column(name));
        } else {
            let mut depth = 0;
            while let Some(t) = c.peek() {
                match t.tok {
                    Tok::Punct('(') => depth += 1,
                    Tok::Punct(')') if depth == 0 => break,
                    Tok::Punct(')') => depth -= 1,
                    Tok::Punct(',') if depth == 0 => break,
                    _ => {}
                }
                c.pos += 1;
            }
            parts.push(KeyPart::Expression);
        }
        if c.eat_punct(',') {
            continue;
        }
        c.expect_punct(')')?;
        return Ok(parts);
    }
}

/// Database options: returns the charset of `[DEFAULT] CHARACTER SET|CHARSET [=] x`.
pub(super) fn parse_database_options(c: &mut Cursor) -> PResult<Option<String>> {
    let mut charset = None;
    while !c.at_end() {
        c.eat_kw("DEFAULT");
        if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET") || c.eat_kws(&["CHAR", "SET"]) {
            c.eat_punct('=');
            let t = c
                .bump()
                .ok_or_else(|| "expected a charset name".to_string())?;
            charset = Some(without_quotes(c.raw(t)).to_string());
        } else if c.eat_kws(&["READ", "ONLY"]) {
            c.eat_punct('=');
            c.bump();
        } else if c.peek().is_some_and(|t| matches!(t.tok, Tok::Word(_))) {
            // COLLATE, ENCRYPTION, COMMENT: name [=] value.
            c.bump();
            c.eat_punct('=');
            c.bump()
                .ok_or_else(|| "expected an option value".to_string())?;
        } else {
            return Err(c.unexpected("unexpected database option"));
        }
    }
    Ok(charset)
}

/// Table options up to PARTITION / AS / SELECT / end.
fn parse_table_options(c: &mut Cursor) -> PResult<Vec<TableOption>> {
    let mut out = Vec::new();
    loop {
        c.eat_punct(',');
        if c.at_end()
            || c.is_any_kw(&["PARTITION", "AS", "SELECT", "IGNORE", "REPLACE"])
            || c.is_punct('(')
        {
            return Ok(out);
        }
        if c.is_kw("WITH") && !c.is_kw_at(1, "SYSTEM") {
            return Ok(out);
        }
        match parse_table_option(c)? {
            Some(o) => out.push(o),
            None => return Ok(out),
        }
    }
}

/// Table options that may be written without `=`.
const TABLE_OPTION_WORDS: &[&str] = &[
    "ENGINE",
    "AUTO_INCREMENT",
    "AVG_ROW_LENGTH",
    "CHECKSUM",
    "TABLE_CHECKSUM",
    "PAGE_CHECKSUM",
    "COMPRESSION",
    "CONNECTION",
    "DELAY_KEY_WRITE",
    "ENCRYPTION",
    "ENCRYPTED",
    "ENCRYPTION_KEY_ID",
    "PAGE_COMPRESSED",
    "PAGE_COMPRESSION_LEVEL",
    "INSERT_METHOD",
    "KEY_BLOCK_SIZE",
    "MAX_ROWS",
    "MIN_ROWS",
    "PACK_KEYS",
    "PASSWORD",
    "ROW_FORMAT",
    "SECONDARY_ENGINE",
    "SECONDARY_ENGINE_ATTRIBUTE",
    "ENGINE_ATTRIBUTE",
    "AUTOEXTEND_SIZE",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "STORAGE",
    "TRANSACTIONAL",
    "TABLE_TYPE",
    "IETF_QUOTES",
    "SEQUENCE",
];

/// One table option; None when the next token does not start one.
pub(super) fn parse_table_option(c: &mut Cursor) -> PResult<Option<TableOption>> {
    let start = c.pos;
    c.eat_kw("DEFAULT");
    if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET") || c.eat_kws(&["CHAR", "SET"]) {
        c.eat_punct('=');
        let t = c
            .bump()
            .ok_or_else(|| "expected a charset name".to_string())?;
        if t.is_kw("DEFAULT") {
            return Ok(Some(TableOption::Charset(None)));
        }
        return Ok(Some(TableOption::Charset(Some(
            without_quotes(c.raw(t)).to_string(),
        ))));
    }
    if c.eat_kw("COLLATE") {
        c.eat_punct('=');
        c.bump()
            .ok_or_else(|| "expected a collation name".to_string())?;
        return Ok(Some(TableOption::Other));
    }
    if c.pos != start {
        // A lone DEFAULT.
        return Err(c.unexpected("expected CHARSET or COLLATE after DEFAULT"));
    }
    if c.eat_kw("COMMENT") {
        c.eat_punct('=');
        return match c.bump() {
            Some(t) if t.tok == Tok::Str => Ok(Some(TableOption::Comment(c.raw(t).to_string()))),
            _ => Err("COMMENT needs a string".to_string()),
        };
    }
    if c.eat_kws(&["WITH", "SYSTEM", "VERSIONING"]) || c.eat_kws(&["START", "TRANSACTION"]) {
        return Ok(Some(TableOption::Other));
    }
    if c.eat_kws(&["DATA", "DIRECTORY"]) || c.eat_kws(&["INDEX", "DIRECTORY"]) {
        c.eat_punct('=');
        c.bump();
        return Ok(Some(TableOption::Other));
    }
    if c.eat_kw("TABLESPACE") {
        c.ident()?;
        if c.eat_kw("STORAGE") {
            c.bump();
        }
        return Ok(Some(TableOption::Other));
    }
    if c.eat_kw("UNION") {
        c.eat_punct('=');
        c.skip_group()?;
        return Ok(Some(TableOption::Other));
    }
    // Generic `name [=] value`: a known option (ENGINE, AUTO_INCREMENT, ROW_FORMAT, ...), or any
    // name followed by `=` (MariaDB engine-defined options).
    let known = c
        .peek()
        .is_some_and(|t| TABLE_OPTION_WORDS.iter().any(|k| t.is_kw(k)));
    let named_eq = c
        .peek()
        .is_some_and(|t| matches!(t.tok, Tok::Word(_) | Tok::QuotedId(_) | Tok::Str))
        && c.peek_at(1).is_some_and(|t| t.is_punct('='));
    if !known && !named_eq {
        return Ok(None);
    }
    c.bump();
    let had_eq = c.eat_punct('=');
    match c.peek() {
        Some(t) if t.is_punct('(') => c.skip_group()?,
        Some(t) if !t.is_punct(',') && (had_eq || !matches!(t.tok, Tok::Punct(_))) => {
            c.bump();
        }
        _ => {}
    }
    Ok(Some(TableOption::Other))
}

fn parse_drop(c: &mut Cursor) -> PResult<Stmt> {
    let stmt_start = c.peek().map(|t| t.span.start).unwrap_or(0);
    c.expect_kw("DROP")?;
    if c.eat_kw("DATABASE") || c.eat_kw("SCHEMA") {
        c.eat_kws(&["IF", "EXISTS"]);
        let name = c.ident_or_string()?;
        return Ok(Stmt::DropDatabase(name));
    }
    c.eat_kw("TEMPORARY");
    if !(c.eat_kw("TABLE") || c.eat_kw("TABLES")) {
        return Ok(Stmt::NoOp);
    }
    c.eat_kws(&["IF", "EXISTS"]);
    let prefix_end = c.peek().map(|t| t.span.start).unwrap_or(stmt_start);
    let prefix = c.sql.get(stmt_start..prefix_end).unwrap_or("").to_string();
    let mut tables = vec![c.obj_name()?];
    while c.eat_punct(',') {
        tables.push(c.obj_name()?);
    }
    let mut drop_type = None;
    if let Some(t) = c.peek() {
        if t.is_kw("RESTRICT") || t.is_kw("CASCADE") {
            drop_type = Some(c.raw(t).to_string());
            c.bump();
        }
    }
    if c.eat_kw("WAIT") {
        c.integer()?;
    }
    c.eat_kw("NOWAIT");
    c.expect_end()?;
    Ok(Stmt::DropTables {
        prefix,
        tables,
        drop_type,
    })
}

fn parse_rename(c: &mut Cursor) -> PResult<Stmt> {
    let stmt_start = c.peek().map(|t| t.span.start).unwrap_or(0);
    c.expect_kw("RENAME")?;
    if !(c.eat_kw("TABLE") || c.eat_kw("TABLES")) {
        return Ok(Stmt::NoOp);
    }
    let prefix_end = c.peek().map(|t| t.span.start).unwrap_or(stmt_start);
    let prefix = c.sql.get(stmt_start..prefix_end).unwrap_or("").to_string();
    let mut pairs = Vec::new();
    loop {
        let from_tok = c.pos;
        let old = c.obj_name()?;
        if c.eat_kw("WAIT") {
            c.integer()?;
        }
        c.eat_kw("NOWAIT");
        c.expect_kw("TO")?;
        let new = c.obj_name()?;
        let text = c.text(from_tok, c.pos).to_string();
        pairs.push((old, new, text));
        if !c.eat_punct(',') {
            break;
        }
    }
    c.expect_end()?;
    Ok(Stmt::RenameTables { prefix, pairs })
}

fn parse_set(c: &mut Cursor) -> PResult<Stmt> {
    c.expect_kw("SET")?;
    let scope_words = ["GLOBAL", "SESSION", "LOCAL", "PERSIST", "PERSIST_ONLY"];
    let probe = if scope_words.iter().any(|k| c.is_kw(k)) {
        1
    } else {
        0
    };
    let noop_heads = ["NAMES", "CHARSET", "PASSWORD", "TRANSACTION", "ROLE"];
    if noop_heads.iter().any(|k| c.is_kw_at(probe, k))
        || (c.is_kw_at(probe, "CHARACTER") && c.is_kw_at(probe + 1, "SET"))
        || (c.is_kw_at(probe, "DEFAULT") && c.is_kw_at(probe + 1, "ROLE"))
    {
        return Ok(Stmt::NoOp);
    }
    let mut vars = Vec::new();
    loop {
        // Variable reference.
        let mut system = true;
        let name;
        if c.is_punct('@') {
            c.bump();
            if c.eat_punct('@') {
                if scope_words.iter().any(|k| c.is_kw(k))
                    && c.peek_at(1).is_some_and(|t| t.is_punct('.'))
                {
                    c.bump();
                    c.bump();
                }
                name = c.ident()?;
            } else {
                system = false;
                name = c.ident_or_string()?;
            }
        } else {
            if scope_words.iter().any(|k| c.is_kw(k)) {
                c.bump();
            }
            name = c.ident()?;
        }
        if !(c.eat_punct('=') || (c.eat_punct(':') && c.eat_punct('='))) {
            return Err(c.unexpected("expected `=` in SET"));
        }
        let value_start = c.pos;
        c.skip_to_comma()?;
        let value = without_quotes(c.text(value_start, c.pos).trim()).to_string();
        if system {
            vars.push((name, value));
        }
        if !c.eat_punct(',') {
            break;
        }
    }
    Ok(Stmt::SetVariables(vars))
}
