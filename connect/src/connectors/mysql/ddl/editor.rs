//! Table editing as Debezium's ColumnEditor / TableEditor do it: applying a column definition,
//! key changes (PRIMARY KEY, UNIQUE promotion), renames, reordering, and `finalize`, which
//! renumbers positions, gives character columns the table charset and checks the key.

use super::super::model::{Column, Table};
use super::alter::Position;
use super::column::{ColAttr, ColumnDef, DefaultValue};
use super::cursor::without_quotes;
use super::parser::KeyPart;
use super::types;

/// Flags a column definition leaves for the table's key.
#[derive(Default)]
struct KeyFlags {
    primary: bool,
    unique: bool,
}

/// A new column as Debezium's ColumnEditor starts it: nullable, nothing else set.
pub(super) fn fresh_column(name: &str) -> Column {
    Column {
        name: name.to_string(),
        position: 1,
        jdbc_type: types::INTEGER,
        optional: true,
        ..Column::default()
    }
}

fn column_index(t: &Table, name: &str) -> Option<usize> {
    t.columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
}

pub(super) fn column_mut<'t>(t: &'t mut Table, name: &str) -> Option<&'t mut Column> {
    t.columns
        .iter_mut()
        .find(|c| c.name.eq_ignore_ascii_case(name))
}

pub(super) fn apply_default(col: &mut Column, value: &DefaultValue) {
    match value {
        DefaultValue::Literal(s) => {
            col.default_expression = Some(s.clone());
            col.has_default = true;
        }
        DefaultValue::Computed => {
            col.default_expression = None;
            col.has_default = true;
        }
        DefaultValue::Null | DefaultValue::Unrecorded => {}
    }
}

/// Applies a column definition on `base` (ColumnDefinitionParserListener + DefaultValueParserListener).
fn build_column(mut col: Column, def: &ColumnDef, include_comments: bool) -> (Column, KeyFlags) {
    let ty = &def.data_type;
    col.type_name = ty.name.clone();
    col.type_expression = ty.name.clone();
    col.jdbc_type = ty.jdbc_type;
    if ty.length.is_some() {
        col.length = ty.length;
    }
    if ty.scale.is_some() {
        col.scale = ty.scale;
    }
    if let Some(values) = &ty.enum_values {
        col.enum_values = values.clone();
    }
    col.charset = ty.charset.clone();

    let mut flags = KeyFlags::default();
    let mut optional: Option<bool> = None;
    let serial = |optional: &mut Option<bool>, flags: &mut KeyFlags, col: &mut Column| {
        if optional.is_none() {
            *optional = Some(false);
        }
        flags.unique = true;
        col.auto_incremented = true;
        col.generated = true;
    };
    if ty.serial {
        serial(&mut optional, &mut flags, &mut col);
    }
    for attr in &def.attrs {
        match attr {
            ColAttr::Null(o) => optional = Some(*o),
            ColAttr::Default(v) => apply_default(&mut col, v),
            ColAttr::AutoIncrement => {
                col.auto_incremented = true;
                col.generated = true;
            }
            ColAttr::PrimaryKey => {
                optional = Some(false);
                flags.primary = true;
            }
            ColAttr::Unique => flags.unique = true,
            ColAttr::Comment(raw) => {
                if include_comments {
                    col.comment = Some(without_quotes(raw).to_string());
                }
            }
            ColAttr::SerialDefaultValue => serial(&mut optional, &mut flags, &mut col),
        }
    }
    // Debezium 3.4: columns are nullable unless NOT NULL; nullable columns default to NULL.
    col.optional = optional.unwrap_or(true);
    if col.optional && !col.has_default {
        col.has_default = true;
        col.default_expression = None;
    }
    (col, flags)
}

/// Adds (or replaces, keeping its position) a column built from `def`, then applies its inline
/// PRIMARY KEY / UNIQUE. Returns the column's name.
pub(super) fn add_column(
    t: &mut Table,
    base: Column,
    def: &ColumnDef,
    include_comments: bool,
) -> String {
    let (col, flags) = build_column(base, def, include_comments);
    let name = col.name.clone();
    match column_index(t, &name) {
        Some(i) => t.columns[i] = col,
        None => t.columns.push(col),
    }
    if flags.primary {
        t.primary_key = vec![name.clone()];
    }
    if flags.unique && t.primary_key.is_empty() {
        t.primary_key = vec![name.clone()];
    }
    name
}

/// A PRIMARY KEY constraint: its columns become NOT NULL (dropping an implicit NULL default).
pub(super) fn set_primary_key(t: &mut Table, parts: &[KeyPart]) {
    let mut names = Vec::new();
    for part in parts {
        let KeyPart::Column(name) = part else {
            continue;
        };
        match column_mut(t, name) {
            Some(col) => {
                if col.optional {
                    col.optional = false;
                    if col.has_default && col.default_expression.is_none() {
                        col.has_default = false;
                    }
                }
                names.push(col.name.clone());
            }
            None => names.push(name.clone()),
        }
    }
    t.primary_key = names;
}

/// A UNIQUE index becomes the key when the table has none and all its columns exist and are
/// NOT NULL. Returns whether it did.
pub(super) fn promote_unique(t: &mut Table, parts: &[KeyPart]) -> bool {
    if !t.primary_key.is_empty() {
        return false;
    }
    let mut names = Vec::new();
    for part in parts {
        let KeyPart::Column(name) = part else {
            return false;
        };
        match t.column(name) {
            Some(col) if !col.optional => names.push(col.name.clone()),
            _ => return false,
        }
    }
    if names.is_empty() {
        return false;
    }
    t.primary_key = names;
    true
}

pub(super) fn remove_column(t: &mut Table, name: &str) {
    let actual = match column_index(t, name) {
        Some(i) => t.columns.remove(i).name,
        None => name.to_string(),
    };
    if let Some(i) = t.primary_key.iter().position(|p| *p == actual) {
        t.primary_key.remove(i);
    }
}

pub(super) fn rename_column(t: &mut Table, existing: &str, new: &str) -> Result<(), String> {
    let Some(i) = column_index(t, existing) else {
        return Err(format!("No column with name '{existing}'"));
    };
    let old_name = t.columns[i].name.clone();
    if !old_name.eq_ignore_ascii_case(new) {
        if let Some(j) = column_index(t, new) {
            t.columns.remove(j);
        }
    }
    if let Some(col) = column_mut(t, &old_name) {
        col.name = new.to_string();
    }
    for p in &mut t.primary_key {
        if *p == old_name {
            *p = new.to_string();
        }
    }
    Ok(())
}

/// FIRST / AFTER: moves the column; an AFTER column that does not exist moves it first (as
/// Debezium's TableEditor does).
pub(super) fn reorder(t: &mut Table, name: &str, position: &Position) -> Result<(), String> {
    let after = match position {
        Position::Unchanged => return Ok(()),
        Position::First => None,
        Position::After(a) => Some(a.as_str()),
    };
    let Some(i) = column_index(t, name) else {
        return Err(format!("No column with name '{name}'"));
    };
    let col = t.columns.remove(i);
    let at = after
        .and_then(|a| column_index(t, a))
        .map(|j| j + 1)
        .unwrap_or(0);
    t.columns.insert(at, col);
    Ok(())
}

/// TableEditor.create(): positions renumbered, character columns without a charset take the
/// table's, and every key column must exist.
pub(super) fn finalize(t: &mut Table) -> Result<(), String> {
    let table_charset = t.default_charset.clone();
    for (i, col) in t.columns.iter_mut().enumerate() {
        col.position = i as i32 + 1;
        let unset = match col.charset.as_deref() {
            None => true,
            Some(c) => c.eq_ignore_ascii_case("DEFAULT"),
        };
        if types::type_uses_charset(col.jdbc_type) && unset {
            col.charset = table_charset.clone();
        }
    }
    for pk in &t.primary_key {
        if t.column(pk).is_none() {
            return Err(format!(
                "The column \"{pk}\" is referenced as PRIMARY KEY, but a matching column is not defined in table \"{}\"!",
                t.id
            ));
        }
    }
    Ok(())
}
