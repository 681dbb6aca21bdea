//! ALTER TABLE / ALTER DATABASE: the clauses Debezium's AlterTableParserListener acts on
//! (columns, keys, defaults, rename, charset conversion, comment); the others are skipped.

use super::column::{parse_column_definition, parse_default_value, ColumnDef, DefaultValue};
use super::cursor::{is_identifier, without_quotes, Cursor, PResult};
use super::lexer::{Tok, Token};
use super::parser::{
    parse_create_definitions, parse_database_options, parse_index_tail, parse_table_option,
    CreateDef, KeyPart, ObjName, Stmt, TableOption,
};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Position {
    Unchanged,
    First,
    After(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum AlterSpec {
    AddColumn {
        def: ColumnDef,
        position: Position,
    },
    AddDefinitions(Vec<CreateDef>),
    AddPrimaryKey(Vec<KeyPart>),
    AddUnique(Vec<KeyPart>),
    ChangeColumn {
        old: String,
        def: ColumnDef,
        position: Position,
    },
    ModifyColumn {
        def: ColumnDef,
        position: Position,
    },
    DropColumn(String),
    SetDefault {
        column: String,
        value: DefaultValue,
    },
    DropDefault {
        column: String,
    },
    RenameColumn {
        old: String,
        new: String,
    },
    RenameTable(ObjName),
    DropPrimaryKey,
    ConvertCharset(Option<String>),
    TableOptions(Vec<TableOption>),
    Other,
}

pub(super) fn parse_alter(c: &mut Cursor) -> PResult<Stmt> {
    c.expect_kw("ALTER")?;
    let _ = c.eat_kw("ONLINE") || c.eat_kw("OFFLINE");
    c.eat_kw("IGNORE");
    if c.eat_kw("TABLE") {
        return parse_alter_table(c);
    }
    if c.eat_kw("DATABASE") || c.eat_kw("SCHEMA") {
        let name = if c.at_end()
            || c.is_any_kw(&[
                "DEFAULT",
                "CHARACTER",
                "CHARSET",
                "COLLATE",
                "CHAR",
                "ENCRYPTION",
                "READ",
                "COMMENT",
            ]) {
            None
        } else {
            Some(c.ident_or_string()?)
        };
        if c.is_kw("UPGRADE") {
            return Ok(Stmt::NoOp);
        }
        let charset = parse_database_options(c)?;
        return Ok(Stmt::AlterDatabase { name, charset });
    }
    Ok(Stmt::NoOp)
}

fn parse_alter_table(c: &mut Cursor) -> PResult<Stmt> {
    c.eat_kws(&["IF", "EXISTS"]);
    let name = c.obj_name()?;
    let mut specs = Vec::new();
    while !c.at_end() {
        if is_partition_clause(c) {
            c.skip_to_end();
            break;
        }
        specs.push(parse_alter_spec(c)?);
        if c.at_end() {
            break;
        }
        if !c.eat_punct(',')
            && !matches!(specs.last(), Some(AlterSpec::TableOptions(_)))
            && !is_partition_clause(c)
        {
            return Err(c.unexpected("expected `,` between ALTER TABLE clauses"));
        }
    }
    Ok(Stmt::AlterTable { name, specs })
}

fn is_partition_clause(c: &Cursor) -> bool {
    let partition_ops = [
        "PARTITION",
        "REMOVE",
        "UPGRADE",
        "COALESCE",
        "REORGANIZE",
        "EXCHANGE",
        "ANALYZE",
        "OPTIMIZE",
        "REBUILD",
        "REPAIR",
        "TRUNCATE",
        "DISCARD",
        "IMPORT",
        "CHECK",
    ];
    if c.is_kw("PARTITION") && c.is_kw_at(1, "BY") {
        return true;
    }
    if c.is_kw("REMOVE") || c.is_kw("UPGRADE") {
        return c.is_kw_at(1, "PARTITIONING");
    }
    partition_ops.iter().any(|k| c.is_kw(k)) && c.is_kw_at(1, "PARTITION")
        || ((c.is_kw("ADD") || c.is_kw("DROP")) && c.is_kw_at(1, "PARTITION"))
}

fn parse_position(c: &mut Cursor) -> PResult<Position> {
    if c.eat_kw("FIRST") {
        return Ok(Position::First);
    }
    if c.eat_kw("AFTER") {
        return Ok(Position::After(c.ident()?));
    }
    Ok(Position::Unchanged)
}

fn parse_alter_spec(c: &mut Cursor) -> PResult<AlterSpec> {
    let Some(Tok::Word(w)) = c.peek().map(|t| &t.tok) else {
        return Err(c.unexpected("expected an ALTER TABLE clause"));
    };
    let w = w.to_ascii_uppercase();
    match w.as_str() {
        "ADD" => {
            c.bump();
            parse_alter_add(c)
        }
        "ALTER" => {
            c.bump();
            if c.is_any_kw(&["INDEX", "KEY", "CONSTRAINT", "CHECK"]) {
                c.skip_to_comma()?;
                return Ok(AlterSpec::Other);
            }
            c.eat_kw("COLUMN");
            let column = c.ident()?;
            if c.eat_kws(&["SET", "DEFAULT"]) {
                let value = parse_default_value(c)?;
                return Ok(AlterSpec::SetDefault { column, value });
            }
            if c.eat_kws(&["DROP", "DEFAULT"]) {
                return Ok(AlterSpec::DropDefault { column });
            }
            if c.eat_kw("SET") && (c.eat_kw("VISIBLE") || c.eat_kw("INVISIBLE")) {
                return Ok(AlterSpec::Other);
            }
            Err(c.unexpected("expected SET DEFAULT or DROP DEFAULT"))
        }
        "CHANGE" => {
            c.bump();
            c.eat_kw("COLUMN");
            c.eat_kws(&["IF", "EXISTS"]);
            let old = c.ident()?;
            let new = c.ident()?;
            let def = parse_column_definition_in_alter(c, new)?;
            let position = parse_position(c)?;
            Ok(AlterSpec::ChangeColumn { old, def, position })
        }
        "MODIFY" => {
            c.bump();
            c.eat_kw("COLUMN");
            c.eat_kws(&["IF", "EXISTS"]);
            let name = c.ident()?;
            let def = parse_column_definition_in_alter(c, name)?;
            let position = parse_position(c)?;
            Ok(AlterSpec::ModifyColumn { def, position })
        }
        "DROP" => {
            c.bump();
            if c.eat_kws(&["PRIMARY", "KEY"]) {
                return Ok(AlterSpec::DropPrimaryKey);
            }
            if c.is_any_kw(&["INDEX", "KEY", "FOREIGN", "CONSTRAINT", "CHECK"])
                || (c.is_kw("SYSTEM") && c.is_kw_at(1, "VERSIONING"))
                || (c.is_kw("PERIOD") && c.is_kw_at(1, "FOR"))
            {
                c.skip_to_comma()?;
                return Ok(AlterSpec::Other);
            }
            c.eat_kw("COLUMN");
            c.eat_kws(&["IF", "EXISTS"]);
            let name = c.ident()?;
            let _ = c.eat_kw("RESTRICT") || c.eat_kw("CASCADE");
            Ok(AlterSpec::DropColumn(name))
        }
        "RENAME" => {
            c.bump();
            if c.eat_kw("COLUMN") {
                let old = c.ident()?;
                c.expect_kw("TO")?;
                let new = c.ident()?;
                return Ok(AlterSpec::RenameColumn { old, new });
            }
            if c.is_kw("INDEX") || c.is_kw("KEY") {
                c.skip_to_comma()?;
                return Ok(AlterSpec::Other);
            }
            let _ = c.eat_kw("TO") || c.eat_kw("AS");
            Ok(AlterSpec::RenameTable(c.obj_name()?))
        }
        "CONVERT" => {
            c.bump();
            c.expect_kw("TO")?;
            if !(c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET")) {
                return Err(c.unexpected("expected CHARACTER SET"));
            }
            let t = c
                .bump()
                .ok_or_else(|| "expected a charset name".to_string())?;
            let charset = if t.is_kw("DEFAULT") {
                None
            } else {
                Some(without_quotes(c.raw(t)).to_string())
            };
            if c.eat_kw("COLLATE") {
                c.ident_or_string()?;
            }
            Ok(AlterSpec::ConvertCharset(charset))
        }
        "ORDER" => {
            c.bump();
            c.expect_kw("BY")?;
            loop {
                c.column_name()?;
                let _ = c.eat_kw("ASC") || c.eat_kw("DESC");
                // `ORDER BY a, b`: a further column is a lone identifier (then `,`, ASC/DESC or end).
                let lone = |t: Option<&Token>| match t {
                    None => true,
                    Some(t) => t.is_punct(',') || t.is_kw("ASC") || t.is_kw("DESC"),
                };
                if c.is_punct(',')
                    && c.peek_at(1).is_some_and(|t| is_identifier(&t.tok))
                    && !is_alter_keyword(c.peek_at(1))
                    && lone(c.peek_at(2))
                {
                    c.bump();
                    continue;
                }
                return Ok(AlterSpec::Other);
            }
        }
        "ALGORITHM" | "LOCK" | "DISABLE" | "ENABLE" | "DISCARD" | "IMPORT" | "FORCE"
        | "WITHOUT" => {
            c.skip_to_comma()?;
            Ok(AlterSpec::Other)
        }
        "WITH" if c.is_kw_at(1, "VALIDATION") => {
            c.skip_to_comma()?;
            Ok(AlterSpec::Other)
        }
        _ => {
            let mut options = Vec::new();
            while !c.at_end() && !c.is_punct(',') && !is_partition_clause(c) {
                match parse_table_option(c)? {
                    Some(o) => options.push(o),
                    None => return Err(c.unexpected("unrecognized ALTER TABLE clause")),
                }
            }
            Ok(AlterSpec::TableOptions(options))
        }
    }
}

fn is_alter_keyword(t: Option<&Token>) -> bool {
    t.is_some_and(|t| {
        [
            "ADD",
            "ALTER",
            "CHANGE",
            "MODIFY",
            "DROP",
            "RENAME",
            "CONVERT",
            "ALGORITHM",
            "LOCK",
            "ENGINE",
            "FORCE",
        ]
        .iter()
        .any(|k| t.is_kw(k))
    })
}

fn parse_column_definition_in_alter(c: &mut Cursor, name: String) -> PResult<ColumnDef> {
    // The column definition runs to the next top-level `,` or FIRST/AFTER.
    let start = c.pos;
    let mut depth = 0;
    let mut end = c.toks.len();
    let mut i = c.pos;
    while let Some(t) = c.toks.get(i) {
        match t.tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                end = i;
                break;
            }
            _ if depth == 0 && (t.is_kw("FIRST") || t.is_kw("AFTER")) => {
                end = i;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let mut sub = Cursor::new(c.sql, &c.toks[start..end]);
    let def = parse_column_definition(&mut sub, name)?;
    sub.expect_end()?;
    c.pos = end;
    Ok(def)
}

fn parse_alter_add(c: &mut Cursor) -> PResult<AlterSpec> {
    if c.eat_kw("COLUMN") {
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        if c.is_punct('(') {
            return Ok(AlterSpec::AddDefinitions(parse_create_definitions(c)?));
        }
        let name = c.ident()?;
        let def = parse_column_definition_in_alter(c, name)?;
        let position = parse_position(c)?;
        return Ok(AlterSpec::AddColumn { def, position });
    }
    if c.is_punct('(') {
        return Ok(AlterSpec::AddDefinitions(parse_create_definitions(c)?));
    }
    if c.eat_kw("CONSTRAINT") {
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        if !c.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]) {
            c.ident()?;
        }
    }
    if c.eat_kws(&["PRIMARY", "KEY"]) {
        return Ok(AlterSpec::AddPrimaryKey(parse_index_tail(c)?));
    }
    if c.eat_kw("UNIQUE") {
        let _ = c.eat_kw("INDEX") || c.eat_kw("KEY");
        return Ok(AlterSpec::AddUnique(parse_index_tail(c)?));
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
        || (c.is_kw("SYSTEM") && c.is_kw_at(1, "VERSIONING"))
    {
        c.skip_to_comma()?;
        return Ok(AlterSpec::Other);
    }
    c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = c.ident()?;
    let def = parse_column_definition_in_alter(c, name)?;
    let position = parse_position(c)?;
    Ok(AlterSpec::AddColumn { def, position })
}
