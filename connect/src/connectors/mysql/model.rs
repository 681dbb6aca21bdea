//! The relational model the MySQL/MariaDB connector keeps in memory: tables and columns as
//! Debezium's `io.debezium.relational.{Table,Column}` describe them. The DDL parser builds it,
//! the type mapper turns it into Connect schemas, and the schema history stores it.

use std::collections::BTreeMap;
use std::fmt;

/// `db.table`. MySQL has no schemas, so Debezium's TableId is (catalog = db, table).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    pub db: String,
    pub table: String,
}

impl TableId {
    pub fn new(db: impl Into<String>, table: impl Into<String>) -> TableId {
        TableId {
            db: db.into(),
            table: table.into(),
        }
    }

    /// The id as Debezium writes it in schema changes: `"db"."table"` (with the quotes).
    pub fn quoted(&self) -> String {
        format!("\"{}\".\"{}\"", self.db, self.table)
    }
}

impl fmt::Display for TableId {
    /// `db.table`, the form filters and `data_collection` use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.table)
    }
}

/// One column, with the attributes Debezium's Column carries (and its history JSON writes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    pub name: String,
    /// 1-based position in the table.
    pub position: i32,
    /// java.sql.Types code Debezium's MySQL DDL parser assigns (e.g. 4 INTEGER, 12 VARCHAR).
    pub jdbc_type: i32,
    /// Upper-case type name as Debezium reports it, e.g. `INT`, `INT UNSIGNED`, `VARCHAR`,
    /// `DECIMAL`, `ENUM`, `TIMESTAMP`.
    pub type_name: String,
    /// Debezium's typeExpression (normally equal to `type_name`).
    pub type_expression: String,
    /// Character set of a character column (explicit, else the table's, else the db's).
    pub charset: Option<String>,
    /// Length / precision (VARCHAR(255) → 255, DECIMAL(10,2) → 10, DATETIME(6) → 6, BIT(5) → 5).
    pub length: Option<i32>,
    /// Scale (DECIMAL(10,2) → 2).
    pub scale: Option<i32>,
    /// NULL allowed.
    pub optional: bool,
    pub auto_incremented: bool,
    pub generated: bool,
    pub comment: Option<String>,
    /// The DEFAULT clause as written, without the DEFAULT keyword, quotes removed from string
    /// literals (e.g. `0.00`, `abc`, `CURRENT_TIMESTAMP`, `NULL`). None: no DEFAULT clause.
    pub default_expression: Option<String>,
    /// Whether the column has a default (Debezium's hasDefaultValue): a DEFAULT clause, or an
    /// implicit NULL default of a nullable column.
    pub has_default: bool,
    /// ENUM / SET options in definition order, without quotes.
    pub enum_values: Vec<String>,
}

impl Column {
    /// `UNSIGNED` in the type name.
    pub fn is_unsigned(&self) -> bool {
        self.type_name.to_ascii_uppercase().contains("UNSIGNED")
    }

    /// The base type name without UNSIGNED / ZEROFILL (`INT UNSIGNED` → `INT`).
    pub fn base_type(&self) -> &str {
        self.type_name
            .split_whitespace()
            .next()
            .unwrap_or(self.type_name.as_str())
    }
}

/// A table definition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub id: TableId,
    pub columns: Vec<Column>,
    /// Primary key column names, in key order. When the table has no PRIMARY KEY, the columns of
    /// the first UNIQUE index whose columns are all NOT NULL (as Debezium's MySQL parser does);
    /// empty when neither exists.
    pub primary_key: Vec<String>,
    pub default_charset: Option<String>,
    pub comment: Option<String>,
}

impl Default for TableId {
    fn default() -> TableId {
        TableId::new("", "")
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// What a DDL statement did to one table (Debezium's TableChange; the schema change event's
/// `tableChanges` entries).
#[derive(Debug, Clone, PartialEq)]
pub enum TableChangeKind {
    Create,
    Alter,
    Drop,
}

impl TableChangeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TableChangeKind::Create => "CREATE",
            TableChangeKind::Alter => "ALTER",
            TableChangeKind::Drop => "DROP",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableChange {
    pub kind: TableChangeKind,
    pub id: TableId,
    /// For a rename: the table's previous id.
    pub previous_id: Option<TableId>,
    /// The table after the change (for DROP: the table as it was).
    pub table: Table,
}

/// All known tables, plus per-database default charsets.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub tables: BTreeMap<TableId, Table>,
    pub db_charsets: BTreeMap<String, String>,
}

impl Tables {
    pub fn get(&self, id: &TableId) -> Option<&Table> {
        self.tables.get(id)
    }
}
