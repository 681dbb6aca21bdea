//! Serialisations of the table model: the internal schema history JSON of a table change
//! (Debezium's JsonTableChangeSerializer, key order included, and its reader, which must accept
//! history written by real Debezium) and the `io.debezium.connector.schema.Change` Connect struct
//! of the schema change topic (ConnectTableChangeSerializer).
//!
//! Debezium keeps ENUM/SET options quoted as written (`'small'`); the model keeps them unquoted,
//! so both serialisations quote them and the reader unquotes them.

use std::sync::OnceLock;

use serde_json::{json, Map, Value as Json};

use super::ddl::{quote_enum_option, quote_table_id, unquote_enum_option, DdlError};
use super::model::{Column, Table, TableChange, TableChangeKind, TableId, Tables};
use crate::data::{Schema, SchemaRef, Struct, Type, Value};

/// Internal schema-history JSON of one TableChange: `{type, id, [previousId], table, comment}`;
/// a DROP is `{type, id}` only (Debezium keeps no table for drops).
pub fn table_change_to_history_json(change: &TableChange) -> Json {
    let mut doc = Map::new();
    doc.insert("type".into(), json!(change.kind.as_str()));
    doc.insert("id".into(), json!(quoted_id(&change.id)));
    if let Some(prev) = &change.previous_id {
        doc.insert("previousId".into(), json!(quoted_id(prev)));
    }
    if change.kind != TableChangeKind::Drop {
        let t = &change.table;
        let mut table = Map::new();
        table.insert("defaultCharsetName".into(), json!(t.default_charset));
        table.insert("primaryKeyColumnNames".into(), json!(t.primary_key));
        let columns: Vec<Json> = t.columns.iter().map(column_json).collect();
        table.insert("columns".into(), Json::Array(columns));
        table.insert("attributes".into(), Json::Array(Vec::new()));
        doc.insert("table".into(), Json::Object(table));
        doc.insert("comment".into(), json!(t.comment));
    }
    Json::Object(doc)
}

/// `"db"."table"`, or `"table"` without a database (TableId.toDoubleQuotedString).
fn quoted_id(id: &TableId) -> String {
    quote_table_id(id, '"')
}

fn column_json(c: &Column) -> Json {
    let mut doc = Map::new();
    doc.insert("name".into(), json!(c.name));
    doc.insert("jdbcType".into(), json!(c.jdbc_type));
    doc.insert("typeName".into(), json!(c.type_name));
    doc.insert("typeExpression".into(), json!(c.type_expression));
    doc.insert("charsetName".into(), json!(c.charset));
    if let Some(length) = c.length {
        doc.insert("length".into(), json!(length));
    }
    if let Some(scale) = c.scale {
        doc.insert("scale".into(), json!(scale));
    }
    doc.insert("position".into(), json!(c.position));
    doc.insert("optional".into(), json!(c.optional));
    doc.insert("autoIncremented".into(), json!(c.auto_incremented));
    doc.insert("generated".into(), json!(c.generated));
    doc.insert("comment".into(), json!(c.comment));
    doc.insert("hasDefaultValue".into(), json!(c.has_default));
    if let Some(expr) = &c.default_expression {
        doc.insert("defaultValueExpression".into(), json!(expr));
    }
    // Debezium's Column always has an enum value list (empty for other types) and writes it.
    let enums: Vec<Json> = c
        .enum_values
        .iter()
        .map(|v| json!(quote_enum_option(v)))
        .collect();
    doc.insert("enumValues".into(), Json::Array(enums));
    Json::Object(doc)
}

/// Parses `"db"."table"` (Debezium's TableId.toDoubleQuotedString; quotes optional, `""` escapes
/// a quote). Two parts are db and table; one part is a table without database; with three
/// parts (catalog.schema.table) the first is the database.
pub fn parse_table_id(s: &str) -> Result<TableId, DdlError> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    match parts.as_slice() {
        [table] if !table.is_empty() => Ok(TableId::new("", table.clone())),
        [db, table] => Ok(TableId::new(db.clone(), table.clone())),
        [db, _, table] => Ok(TableId::new(db.clone(), table.clone())),
        _ => Err(DdlError::History(format!("invalid table id `{s}`"))),
    }
}

fn get_str(doc: &Map<String, Json>, key: &str) -> Option<String> {
    doc.get(key).and_then(Json::as_str).map(str::to_string)
}

fn get_i32(doc: &Map<String, Json>, key: &str) -> Option<i32> {
    doc.get(key)
        .and_then(Json::as_i64)
        .and_then(|v| i32::try_from(v).ok())
}

fn get_bool(doc: &Map<String, Json>, key: &str) -> Option<bool> {
    doc.get(key).and_then(Json::as_bool)
}

fn column_from_json(json: &Json, position: i32) -> Result<Column, DdlError> {
    let doc = json
        .as_object()
        .ok_or_else(|| DdlError::History("column is not an object".to_string()))?;
    let name =
        get_str(doc, "name").ok_or_else(|| DdlError::History("column without name".to_string()))?;
    let type_name = get_str(doc, "typeName").unwrap_or_default();
    let mut col = Column {
        type_expression: get_str(doc, "typeExpression").unwrap_or_else(|| type_name.clone()),
        name,
        position,
        jdbc_type: get_i32(doc, "jdbcType").unwrap_or(0),
        type_name,
        charset: get_str(doc, "charsetName"),
        length: get_i32(doc, "length"),
        scale: get_i32(doc, "scale"),
        optional: get_bool(doc, "optional").unwrap_or(true),
        auto_incremented: get_bool(doc, "autoIncremented").unwrap_or(false),
        generated: get_bool(doc, "generated").unwrap_or(false),
        comment: get_str(doc, "comment"),
        default_expression: get_str(doc, "defaultValueExpression"),
        has_default: false,
        enum_values: Vec::new(),
    };
    col.has_default =
        col.default_expression.is_some() || get_bool(doc, "hasDefaultValue") == Some(true);
    // ColumnEditor.optional(true) gives a nullable column an implicit NULL default.
    if col.optional && !col.has_default {
        col.has_default = true;
    }
    if let Some(values) = doc.get("enumValues").and_then(Json::as_array) {
        col.enum_values = values
            .iter()
            .filter_map(Json::as_str)
            .map(unquote_enum_option)
            .collect();
    }
    Ok(col)
}

fn table_from_json(
    id: TableId,
    doc: &Map<String, Json>,
    change: &Map<String, Json>,
) -> Result<Table, DdlError> {
    let mut columns = Vec::new();
    if let Some(cols) = doc.get("columns").and_then(Json::as_array) {
        for (i, c) in cols.iter().enumerate() {
            columns.push(column_from_json(c, i as i32 + 1)?);
        }
    }
    let primary_key = doc
        .get("primaryKeyColumnNames")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Table {
        id,
        columns,
        primary_key,
        default_charset: get_str(doc, "defaultCharsetName"),
        comment: get_str(doc, "comment").or_else(|| get_str(change, "comment")),
    })
}

/// Reads one entry of a history record's "tableChanges" back (written by us or by real Debezium)
/// and applies it to `tables`: CREATE and ALTER store the table (an ALTER with `previousId`
/// removes the old id first), DROP removes it.
pub fn apply_history_table_change(tables: &mut Tables, json: &Json) -> Result<(), DdlError> {
    let doc = json
        .as_object()
        .ok_or_else(|| DdlError::History("table change is not an object".to_string()))?;
    let kind = get_str(doc, "type")
        .ok_or_else(|| DdlError::History("table change without type".to_string()))?;
    let id = parse_table_id(
        &get_str(doc, "id")
            .ok_or_else(|| DdlError::History("table change without id".to_string()))?,
    )?;
    match kind.as_str() {
        "CREATE" | "ALTER" => {
            let table_doc = doc
                .get("table")
                .and_then(Json::as_object)
                .ok_or_else(|| DdlError::History(format!("{kind} of {id} without table")))?;
            if kind == "ALTER" {
                if let Some(prev) = get_str(doc, "previousId") {
                    tables.tables.remove(&parse_table_id(&prev)?);
                }
            }
            let table = table_from_json(id.clone(), table_doc, doc)?;
            tables.tables.insert(id, table);
            Ok(())
        }
        "DROP" => {
            tables.tables.remove(&id);
            Ok(())
        }
        other => Err(DdlError::History(format!(
            "unknown table change type `{other}`"
        ))),
    }
}

fn optional_string() -> SchemaRef {
    Schema::new(Type::String).optional().build()
}

fn optional_int32() -> SchemaRef {
    Schema::new(Type::Int32).optional().build()
}

fn optional_boolean() -> SchemaRef {
    Schema::new(Type::Boolean).optional().build()
}

fn column_schema() -> SchemaRef {
    Schema::struct_()
        .named("io.debezium.connector.schema.Column")
        .version(1)
        .field("name", Schema::new(Type::String).build())
        .field("jdbcType", Schema::new(Type::Int32).build())
        .field("nativeType", optional_int32())
        .field("typeName", Schema::new(Type::String).build())
        .field("typeExpression", optional_string())
        .field("charsetName", optional_string())
        .field("length", optional_int32())
        .field("scale", optional_int32())
        .field("position", Schema::new(Type::Int32).build())
        .field("optional", optional_boolean())
        .field("autoIncremented", optional_boolean())
        .field("generated", optional_boolean())
        .field("comment", optional_string())
        .field("defaultValueExpression", optional_string())
        .field(
            "enumValues",
            Schema::array(Schema::new(Type::String).build())
                .optional()
                .build(),
        )
        .build()
}

fn table_schema(column: SchemaRef) -> SchemaRef {
    Schema::struct_()
        .named("io.debezium.connector.schema.Table")
        .version(1)
        .field("defaultCharsetName", optional_string())
        .field(
            "primaryKeyColumnNames",
            Schema::array(Schema::new(Type::String).build())
                .optional()
                .build(),
        )
        .field("columns", Schema::array(column).build())
        .field("comment", optional_string())
        .optional()
        .build()
}

/// The Connect schema of io.debezium.connector.schema.Change (v1): `type`, `id`, optional `table`.
pub fn change_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Schema::struct_()
                .named("io.debezium.connector.schema.Change")
                .version(1)
                .field("type", Schema::new(Type::String).build())
                .field("id", Schema::new(Type::String).build())
                .field("table", table_schema(column_schema()))
                .build()
        })
        .clone()
}

fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn opt_i32(v: Option<i32>) -> Value {
    v.map_or(Value::Null, Value::Int32)
}

fn column_struct(schema: &SchemaRef, c: &Column) -> Value {
    let enums = if c.enum_values.is_empty() {
        Value::Null
    } else {
        Value::Array(
            c.enum_values
                .iter()
                .map(|v| Value::String(quote_enum_option(v)))
                .collect(),
        )
    };
    Value::Struct(
        Struct::new(schema.clone())
            .with("name", Value::String(c.name.clone()))
            .with("jdbcType", Value::Int32(c.jdbc_type))
            .with("typeName", Value::String(c.type_name.clone()))
            .with("typeExpression", Value::String(c.type_expression.clone()))
            .with("charsetName", opt_str(&c.charset))
            .with("length", opt_i32(c.length))
            .with("scale", opt_i32(c.scale))
            .with("position", Value::Int32(c.position))
            .with("optional", Value::Boolean(c.optional))
            .with("autoIncremented", Value::Boolean(c.auto_incremented))
            .with("generated", Value::Boolean(c.generated))
            .with("comment", opt_str(&c.comment))
            .with("defaultValueExpression", opt_str(&c.default_expression))
            .with("enumValues", enums),
    )
}

/// The Change struct of one TableChange, for the schema change topic's `tableChanges` (no
/// `attributes`; `table` null for a DROP).
pub fn change_struct(change: &TableChange) -> Value {
    let schema = change_schema();
    let mut s = Struct::new(schema.clone())
        .with("type", Value::String(change.kind.as_str().to_string()))
        .with("id", Value::String(quoted_id(&change.id)));
    if change.kind != TableChangeKind::Drop {
        let table_schema = schema
            .field_named("table")
            .map(|f| f.schema.clone())
            .unwrap_or_else(|| table_schema(column_schema()));
        let column_schema = table_schema
            .field_named("columns")
            .and_then(|f| f.schema.items.clone())
            .unwrap_or_else(column_schema);
        let t = &change.table;
        let columns = t
            .columns
            .iter()
            .map(|c| column_struct(&column_schema, c))
            .collect();
        let table = Struct::new(table_schema)
            .with("defaultCharsetName", opt_str(&t.default_charset))
            .with(
                "primaryKeyColumnNames",
                Value::Array(
                    t.primary_key
                        .iter()
                        .map(|p| Value::String(p.clone()))
                        .collect(),
                ),
            )
            .with("columns", Value::Array(columns))
            .with("comment", opt_str(&t.comment));
        s = s.with("table", Value::Struct(table));
    }
    Value::Struct(s)
}
