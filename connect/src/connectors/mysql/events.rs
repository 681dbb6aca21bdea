//! The records Debezium's binlog connectors emit: the `source` block, per-table key / value /
//! envelope schemas, data change events (c/u/d/r/t and tombstones), schema change events,
//! heartbeats and transaction metadata (debezium.md §1, §4).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map as JsonMap, Value as Json};

use crate::data::{schemas, ConnectRecord, Header, Schema, SchemaRef, Struct, Type, Value};

use super::config::{Flavor, MySqlConfig};
use super::model::{Table, TableId};
use super::types::{self, TypeError};

/// The Debezium release whose event shapes Sluice reproduces (`source.version`).
pub const DEBEZIUM_VERSION: &str = "3.4.3.Final";

const SNAPSHOT_ALLOWED: &str =
    "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

/// `source.snapshot` markers (§1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMarker {
    First,
    FirstInDataCollection,
    True,
    LastInDataCollection,
    Last,
    Incremental,
    /// Streaming: the field stays null (the schema default renders "false").
    Streaming,
}

impl SnapshotMarker {
    fn value(self) -> Value {
        match self {
            SnapshotMarker::First => Value::String("first".into()),
            SnapshotMarker::FirstInDataCollection => {
                Value::String("first_in_data_collection".into())
            }
            SnapshotMarker::True => Value::String("true".into()),
            SnapshotMarker::LastInDataCollection => Value::String("last_in_data_collection".into()),
            SnapshotMarker::Last => Value::String("last".into()),
            SnapshotMarker::Incremental => Value::String("incremental".into()),
            SnapshotMarker::Streaming => Value::Null,
        }
    }
}

/// Where an event came from: the values of the `source` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcePosition {
    /// Change time in the database, ms (binlog header seconds × 1000, or the snapshot's clock).
    pub ts_ms: i64,
    pub db: String,
    pub table: Option<String>,
    pub server_id: i64,
    pub gtid: Option<String>,
    pub file: String,
    pub pos: i64,
    pub row: i32,
    pub thread: Option<i64>,
    pub query: Option<String>,
}

/// `io.debezium.connector.mysql.Source` (3.1+ shape: version 1, snapshot enum with the long
/// allowed list, ts_us/ts_ns after `sequence`).
pub fn source_schema(flavor: Flavor) -> SchemaRef {
    let opt_str = schemas::optional_string;
    Schema::struct_()
        .named(&format!("{}.Source", flavor.package()))
        .version(1)
        .field("version", schemas::string())
        .field("connector", schemas::string())
        .field("name", schemas::string())
        .field("ts_ms", schemas::int64())
        .field(
            "snapshot",
            Schema::new(Type::String)
                .optional()
                .named("io.debezium.data.Enum")
                .version(1)
                .parameter("allowed", SNAPSHOT_ALLOWED)
                .default_value(Value::String("false".into()))
                .build(),
        )
        .field("db", schemas::string())
        .field("sequence", opt_str())
        .field("ts_us", schemas::of(Type::Int64, true))
        .field("ts_ns", schemas::of(Type::Int64, true))
        .field("table", opt_str())
        .field("server_id", schemas::int64())
        .field("gtid", opt_str())
        .field("file", schemas::string())
        .field("pos", schemas::int64())
        .field("row", schemas::int32())
        .field("thread", schemas::of(Type::Int64, true))
        .field("query", opt_str())
        .build()
}

pub fn transaction_block_schema() -> SchemaRef {
    Schema::struct_()
        .optional()
        .named("event.block")
        .version(1)
        .field("id", schemas::string())
        .field("total_order", schemas::int64())
        .field("data_collection_order", schemas::int64())
        .build()
}

/// Nanoseconds since the epoch from the local clock.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Builds records for one connector: shared schemas plus per-table schemas.
pub struct EventBuilder {
    pub config: Arc<MySqlConfig>,
    pub source_schema: SchemaRef,
    block_schema: SchemaRef,
    change_key_schema: SchemaRef,
    change_value_schema: SchemaRef,
    headers: Vec<Header>,
}

/// Per-table schemas and the column mapping used to turn rows into structs.
pub struct TableSchema {
    pub id: TableId,
    pub topic: String,
    /// None when the table has no key.
    pub key_schema: Option<SchemaRef>,
    pub value_schema: SchemaRef,
    pub envelope_schema: SchemaRef,
    /// Indexes (into the table's columns) of the key columns.
    key_columns: Vec<usize>,
    /// (column index, schema) of each value column, in value-struct order.
    value_columns: Vec<(usize, SchemaRef)>,
    /// Schema of every column (by column index), for conversion.
    pub column_schemas: Vec<SchemaRef>,
    /// The table definition the schemas were built from.
    pub table: Table,
    /// Column mappers (mask / truncate) by column index.
    mappers: Vec<Option<super::config::ColumnMapper>>,
    /// Whether each column (by index) is part of the key or the value.
    converted: Vec<bool>,
}

/// One row image, already converted: one Value per table column (None when the column was not
/// in the image).
pub type Row = Vec<Value>;

impl TableSchema {
    pub fn build(
        config: &MySqlConfig,
        source_schema: &SchemaRef,
        block: &SchemaRef,
        table: &Table,
    ) -> Result<TableSchema, TypeError> {
        let topic = config.data_topic(&table.id);
        let mut column_schemas = Vec::with_capacity(table.columns.len());
        let mut unsupported = vec![false; table.columns.len()];
        for (i, col) in table.columns.iter().enumerate() {
            match types::column_schema(col, &config.modes) {
                Ok(s) => column_schemas.push(s),
                // Debezium leaves columns of unmapped types out of the events.
                Err(e @ TypeError::UnsupportedType { .. }) => {
                    tracing::warn!("{}: {e}", table.id);
                    unsupported[i] = true;
                    column_schemas.push(schemas::optional_string());
                }
                Err(e) => return Err(e),
            }
        }
        let key_names: Vec<String> = match config.key_columns_for(&table.id) {
            Some(cols) => cols.to_vec(),
            None => table.primary_key.clone(),
        };
        let mut key_columns = Vec::new();
        for name in &key_names {
            if let Some(i) = table
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
            {
                key_columns.push(i);
            }
        }
        let key_schema = if key_columns.is_empty() {
            None
        } else {
            let mut s = Schema::struct_().named(&format!("{topic}.Key"));
            for &i in &key_columns {
                s = s.field(&table.columns[i].name, column_schemas[i].clone());
            }
            Some(s.build())
        };
        let mut value = Schema::struct_()
            .optional()
            .named(&format!("{topic}.Value"));
        let mut value_columns = Vec::new();
        for (i, col) in table.columns.iter().enumerate() {
            if !unsupported[i] && config.filters.column_included(&table.id, &col.name) {
                value = value.field(&col.name, column_schemas[i].clone());
                value_columns.push((i, column_schemas[i].clone()));
            }
        }
        let value_schema = value.build();
        let envelope_schema = Schema::struct_()
            .named(&format!("{topic}.Envelope"))
            .version(2)
            .field("before", value_schema.clone())
            .field("after", value_schema.clone())
            .field("source", source_schema.clone())
            .field("transaction", block.clone())
            .field("op", schemas::string())
            .field("ts_ms", schemas::of(Type::Int64, true))
            .field("ts_us", schemas::of(Type::Int64, true))
            .field("ts_ns", schemas::of(Type::Int64, true))
            .build();
        let converted = (0..table.columns.len())
            .map(|i| key_columns.contains(&i) || value_columns.iter().any(|(c, _)| *c == i))
            .collect();
        Ok(TableSchema {
            converted,
            id: table.id.clone(),
            topic,
            key_schema,
            value_schema,
            envelope_schema,
            key_columns,
            value_columns,
            column_schemas,
            mappers: table
                .columns
                .iter()
                .map(|c| config.column_mapper(&table.id, &c.name))
                .collect(),
            table: table.clone(),
        })
    }

    /// Whether column `i` is part of the events (known type).
    pub fn converts(&self, i: usize) -> bool {
        self.converted.get(i).copied().unwrap_or(false)
    }

    /// Applies the column's mask / truncate mapper to a converted value.
    pub fn map_value(&self, i: usize, v: Value) -> Value {
        match (self.mappers.get(i).copied().flatten(), v) {
            (Some(m), Value::String(s)) => Value::String(m.apply(&s)),
            (_, v) => v,
        }
    }

    pub fn key(&self, row: &Row) -> Value {
        let Some(schema) = &self.key_schema else {
            return Value::Null;
        };
        let mut s = Struct::new(schema.clone());
        for (f, &i) in schema.fields.iter().zip(&self.key_columns) {
            let v = row.get(i).cloned().unwrap_or(Value::Null);
            s.values[f.index] = v;
        }
        Value::Struct(s)
    }

    /// The value struct of a row, moving the row's values (no copy of its strings).
    pub fn into_value(&self, row: Row) -> Value {
        let mut values = Vec::with_capacity(self.value_columns.len());
        // `value_columns` is in column order.
        let mut wanted = self.value_columns.iter().map(|(i, _)| *i).peekable();
        for (i, v) in row.into_iter().enumerate() {
            if wanted.peek() == Some(&i) {
                values.push(v);
                wanted.next();
            }
        }
        values.resize(self.value_columns.len(), Value::Null);
        Value::Struct(Struct {
            schema: self.value_schema.clone(),
            values,
        })
    }

    pub fn value(&self, row: &Row) -> Value {
        let mut s = Struct::new(self.value_schema.clone());
        for (slot, (i, _)) in self.value_columns.iter().enumerate() {
            s.values[slot] = row.get(*i).cloned().unwrap_or(Value::Null);
        }
        Value::Struct(s)
    }
}

/// The kind of data change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
    Read,
    Truncate,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Read => "r",
            Op::Truncate => "t",
        }
    }
}

/// The transaction block of an event (provide.transaction.metadata).
#[derive(Debug, Clone, PartialEq)]
pub struct TxBlock {
    pub id: String,
    pub total_order: i64,
    pub data_collection_order: i64,
}

impl EventBuilder {
    pub fn new(config: Arc<MySqlConfig>) -> EventBuilder {
        let flavor = config.flavor;
        let source_schema = source_schema(flavor);
        let change_key_schema = Schema::struct_()
            .named(&format!("{}.SchemaChangeKey", flavor.package()))
            .version(1)
            .field("databaseName", schemas::string())
            .build();
        let change_value_schema = Schema::struct_()
            .named(&format!("{}.SchemaChangeValue", flavor.package()))
            .version(1)
            .field("source", source_schema.clone())
            .field("ts_ms", schemas::int64())
            .field("databaseName", schemas::optional_string())
            .field("schemaName", schemas::optional_string())
            .field("ddl", schemas::optional_string())
            .field(
                "tableChanges",
                Schema::array(super::ddl::change_schema()).build(),
            )
            .build();
        EventBuilder {
            headers: Self::context_headers(&config),
            config,
            source_schema,
            block_schema: transaction_block_schema(),
            change_key_schema,
            change_value_schema,
        }
    }

    pub fn table_schema(&self, table: &Table) -> Result<TableSchema, TypeError> {
        TableSchema::build(&self.config, &self.source_schema, &self.block_schema, table)
    }

    pub fn source_struct(&self, pos: &SourcePosition, marker: SnapshotMarker) -> Value {
        let ts_us = pos.ts_ms.saturating_mul(1000);
        let opt = |s: &Option<String>| s.clone().map(Value::String).unwrap_or(Value::Null);
        // In the order of `source_schema` (one slot per field, no lookup by name per row).
        let values = vec![
            Value::String(DEBEZIUM_VERSION.into()),
            Value::String(self.config.flavor.connector_name().into()),
            Value::String(self.config.topic_prefix.clone()),
            Value::Int64(pos.ts_ms),
            marker.value(),
            Value::String(pos.db.clone()),
            Value::Null,
            Value::Int64(ts_us),
            Value::Int64(ts_us.saturating_mul(1000)),
            opt(&pos.table),
            Value::Int64(pos.server_id),
            opt(&pos.gtid),
            Value::String(pos.file.clone()),
            Value::Int64(pos.pos),
            Value::Int32(pos.row),
            pos.thread.map(Value::Int64).unwrap_or(Value::Null),
            opt(&pos.query),
        ];
        debug_assert_eq!(values.len(), self.source_schema.fields.len());
        Value::Struct(Struct {
            schema: self.source_schema.clone(),
            values,
        })
    }

    fn headers(&self) -> Vec<Header> {
        self.headers.clone()
    }

    /// Debezium's context headers (extended.headers.enabled), the same on every record.
    fn context_headers(config: &MySqlConfig) -> Vec<Header> {
        if !config.extended_headers {
            return Vec::new();
        }
        let h = |k: &str, v: &str| Header {
            key: k.to_string(),
            schema: Some(schemas::string()),
            value: Value::String(v.to_string()),
        };
        vec![
            h(
                "__debezium.context.connectorLogicalName",
                &config.topic_prefix,
            ),
            h("__debezium.context.taskId", "0"),
            h(
                "__debezium.context.connectorName",
                config.flavor.connector_name(),
            ),
        ]
    }

    fn partition_map(&self) -> JsonMap<String, Json> {
        let mut m = JsonMap::new();
        m.insert(
            "server".into(),
            Json::String(self.config.topic_prefix.clone()),
        );
        m
    }

    /// A data change event for one row (before/after per op).
    #[allow(clippy::too_many_arguments)]
    pub fn change_record(
        &self,
        ts: &TableSchema,
        op: Op,
        before: Option<Row>,
        after: Option<Row>,
        pos: &SourcePosition,
        marker: SnapshotMarker,
        tx: Option<&TxBlock>,
        offset: JsonMap<String, Json>,
    ) -> ConnectRecord {
        let key_row = after.as_ref().or(before.as_ref());
        let (key_schema, key) = match (op, key_row) {
            (Op::Truncate, _) | (_, None) => (None, Value::Null),
            (_, Some(row)) => (ts.key_schema.clone(), ts.key(row)),
        };
        let now = now_ns();
        let tx_value = match tx {
            Some(t) => {
                let s = Struct::new(self.block_schema.clone())
                    .with("id", Value::String(t.id.clone()))
                    .with("total_order", Value::Int64(t.total_order))
                    .with(
                        "data_collection_order",
                        Value::Int64(t.data_collection_order),
                    );
                Value::Struct(s)
            }
            None => Value::Null,
        };
        // In the order of the envelope schema built in `TableSchema::build`.
        let envelope = Struct {
            schema: ts.envelope_schema.clone(),
            values: vec![
                before.map(|r| ts.into_value(r)).unwrap_or(Value::Null),
                after.map(|r| ts.into_value(r)).unwrap_or(Value::Null),
                self.source_struct(pos, marker),
                tx_value,
                Value::String(op.code().into()),
                Value::Int64(now / 1_000_000),
                Value::Int64(now / 1_000),
                Value::Int64(now),
            ],
        };
        debug_assert_eq!(envelope.values.len(), ts.envelope_schema.fields.len());
        let mut r = ConnectRecord::new(
            ts.topic.clone(),
            key_schema,
            key,
            Some(ts.envelope_schema.clone()),
            Value::Struct(envelope),
        );
        r.headers = self.headers();
        r.source_partition = Some(self.partition_map());
        r.source_offset = Some(offset);
        r
    }

    /// The tombstone following a delete: same key, null value, the delete's headers.
    pub fn tombstone(&self, delete: &ConnectRecord) -> ConnectRecord {
        let mut r = ConnectRecord::new(
            delete.topic.clone(),
            delete.key_schema.clone(),
            delete.key.clone(),
            None,
            Value::Null,
        );
        r.headers = delete.headers.clone();
        r.source_partition = delete.source_partition.clone();
        r.source_offset = delete.source_offset.clone();
        r
    }

    /// A schema change event for the `<prefix>` topic (partition 0).
    #[allow(clippy::too_many_arguments)]
    pub fn schema_change_record(
        &self,
        database: &str,
        ddl: &str,
        changes: &[super::model::TableChange],
        pos: &SourcePosition,
        marker: SnapshotMarker,
        ts_ms: i64,
        offset: JsonMap<String, Json>,
    ) -> ConnectRecord {
        let key = Struct::new(self.change_key_schema.clone())
            .with("databaseName", Value::String(database.to_string()));
        let value = Struct::new(self.change_value_schema.clone())
            .with("source", self.source_struct(pos, marker))
            .with("ts_ms", Value::Int64(ts_ms))
            .with("databaseName", Value::String(database.to_string()))
            .with("schemaName", Value::Null)
            .with("ddl", Value::String(ddl.to_string()))
            .with(
                "tableChanges",
                Value::Array(changes.iter().map(super::ddl::change_struct).collect()),
            );
        let mut r = ConnectRecord::new(
            self.config.topic_prefix.clone(),
            Some(self.change_key_schema.clone()),
            Value::Struct(key),
            Some(self.change_value_schema.clone()),
            Value::Struct(value),
        );
        r.kafka_partition = Some(0);
        r.headers = self.headers();
        r.source_partition = Some(self.partition_map());
        r.source_offset = Some(offset);
        r
    }

    /// A heartbeat record (`__debezium-heartbeat.<prefix>`, partition 0) carrying the offset.
    pub fn heartbeat_record(&self, offset: JsonMap<String, Json>) -> ConnectRecord {
        let key_schema = Schema::struct_()
            .named("io.debezium.connector.common.ServerNameKey")
            .version(1)
            .field("serverName", schemas::string())
            .build();
        let value_schema = Schema::struct_()
            .named("io.debezium.connector.common.Heartbeat")
            .version(1)
            .field("ts_ms", schemas::int64())
            .build();
        let key = Struct::new(key_schema.clone()).with(
            "serverName",
            Value::String(self.config.topic_prefix.clone()),
        );
        let value =
            Struct::new(value_schema.clone()).with("ts_ms", Value::Int64(now_ns() / 1_000_000));
        let mut r = ConnectRecord::new(
            self.config.heartbeat_topic(),
            Some(key_schema),
            Value::Struct(key),
            Some(value_schema),
            Value::Struct(value),
        );
        r.kafka_partition = Some(0);
        r.source_partition = Some(self.partition_map());
        r.source_offset = Some(offset);
        r
    }

    /// A BEGIN / END record for the transaction topic (§4.4).
    pub fn transaction_record(
        &self,
        id: &str,
        end: Option<(i64, &[(String, i64)])>,
        ts_ms: i64,
        offset: JsonMap<String, Json>,
    ) -> ConnectRecord {
        let key_schema = Schema::struct_()
            .named("io.debezium.connector.common.TransactionMetadataKey")
            .version(1)
            .field("id", schemas::string())
            .build();
        let collection = Schema::struct_()
            .optional()
            .named("event.collection")
            .version(1)
            .field("data_collection", schemas::string())
            .field("event_count", schemas::int64())
            .build();
        let value_schema = Schema::struct_()
            .named("io.debezium.connector.common.TransactionMetadataValue")
            .version(1)
            .field("status", schemas::string())
            .field("id", schemas::string())
            .field("event_count", schemas::of(Type::Int64, true))
            .field(
                "data_collections",
                Schema::array(collection.clone()).optional().build(),
            )
            .field("ts_ms", schemas::int64())
            .build();
        let key = Struct::new(key_schema.clone()).with("id", Value::String(id.to_string()));
        let (status, count, collections) = match end {
            None => ("BEGIN", Value::Null, Value::Null),
            Some((n, per_table)) => (
                "END",
                Value::Int64(n),
                Value::Array(
                    per_table
                        .iter()
                        .map(|(t, c)| {
                            Value::Struct(
                                Struct::new(collection.clone())
                                    .with("data_collection", Value::String(t.clone()))
                                    .with("event_count", Value::Int64(*c)),
                            )
                        })
                        .collect(),
                ),
            ),
        };
        let value = Struct::new(value_schema.clone())
            .with("status", Value::String(status.into()))
            .with("id", Value::String(id.to_string()))
            .with("event_count", count)
            .with("data_collections", collections)
            .with("ts_ms", Value::Int64(ts_ms));
        let mut r = ConnectRecord::new(
            self.config.transaction_topic(),
            Some(key_schema),
            Value::Struct(key),
            Some(value_schema),
            Value::Struct(value),
        );
        r.source_partition = Some(self.partition_map());
        r.source_offset = Some(offset);
        r
    }
}

/// Debezium's handling of a value that cannot be converted
/// (event.converting.failure.handling.mode=warn): the field becomes null and a warning is logged.
pub fn value_or_null(id: &TableId, result: Result<Value, TypeError>) -> Value {
    match result {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("{id}: {e}; the field is set to null");
            Value::Null
        }
    }
}

/// PK-change headers: `__debezium.newkey` on the delete, `__debezium.oldkey` on the create.
pub fn key_header(name: &str, schema: Option<SchemaRef>, key: Value) -> Header {
    Header {
        key: name.to_string(),
        schema,
        value: key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigMap;
    use crate::connectors::mysql::model::Tables;

    fn builder(extra: &[(&str, &str)]) -> EventBuilder {
        let mut m = ConfigMap::new();
        for (k, v) in [
            ("database.hostname", "h"),
            ("database.user", "u"),
            ("database.server.id", "1"),
            ("topic.prefix", "dbserver1"),
            ("schema.history.internal.kafka.topic", "hist"),
        ]
        .iter()
        .chain(extra)
        {
            m.insert(k.to_string(), v.to_string());
        }
        EventBuilder::new(Arc::new(MySqlConfig::parse(Flavor::MySql, &m).unwrap()))
    }

    fn table(ddl: &str) -> Table {
        let mut t = Tables::default();
        t.apply_ddl(ddl, Some("inventory")).unwrap();
        t.get(&TableId::new("inventory", "t")).unwrap().clone()
    }

    fn field<'a>(v: &'a Value, name: &str) -> &'a Value {
        match v {
            Value::Struct(s) => s.get(name).unwrap_or_else(|| panic!("no field {name}")),
            other => panic!("not a struct: {other:?}"),
        }
    }

    #[test]
    fn source_values_sit_under_their_field_names() {
        let b = builder(&[]);
        let pos = SourcePosition {
            ts_ms: 1_700_000_000_000,
            db: "inventory".into(),
            table: Some("t".into()),
            server_id: 223344,
            gtid: Some("0-1-7".into()),
            file: "mysql-bin.000003".into(),
            pos: 154,
            row: 2,
            thread: Some(9),
            query: None,
        };
        let v = b.source_struct(&pos, SnapshotMarker::Streaming);
        let Value::Struct(s) = &v else { panic!() };
        s.validate().unwrap();
        let expect = [
            ("version", Value::String(DEBEZIUM_VERSION.into())),
            ("connector", Value::String("mysql".into())),
            ("name", Value::String("dbserver1".into())),
            ("ts_ms", Value::Int64(1_700_000_000_000)),
            ("snapshot", Value::Null),
            ("db", Value::String("inventory".into())),
            ("sequence", Value::Null),
            ("ts_us", Value::Int64(1_700_000_000_000_000)),
            ("ts_ns", Value::Int64(1_700_000_000_000_000_000)),
            ("table", Value::String("t".into())),
            ("server_id", Value::Int64(223344)),
            ("gtid", Value::String("0-1-7".into())),
            ("file", Value::String("mysql-bin.000003".into())),
            ("pos", Value::Int64(154)),
            ("row", Value::Int32(2)),
            ("thread", Value::Int64(9)),
            ("query", Value::Null),
        ];
        assert_eq!(s.values.len(), expect.len());
        for (name, want) in expect {
            assert_eq!(field(&v, name), &want, "source.{name}");
        }
    }

    #[test]
    fn change_events_move_row_values_into_before_and_after() {
        let b = builder(&[("column.exclude.list", "inventory.t.secret")]);
        let ts = b
            .table_schema(&table(
                "CREATE TABLE t (name VARCHAR(20), id INT NOT NULL PRIMARY KEY, secret VARCHAR(9), n INT)",
            ))
            .unwrap();
        let row = |name: &str, id: i32, n: Option<i32>| -> Row {
            vec![
                Value::String(name.into()),
                Value::Int32(id),
                Value::String("hidden".into()),
                n.map(Value::Int32).unwrap_or(Value::Null),
            ]
        };
        let rec = b.change_record(
            &ts,
            Op::Update,
            Some(row("a", 1, None)),
            Some(row("b", 1, Some(5))),
            &SourcePosition::default(),
            SnapshotMarker::Streaming,
            None,
            JsonMap::new(),
        );
        let v = &rec.value;
        let Value::Struct(env) = v else { panic!() };
        env.validate().unwrap();
        assert_eq!(field(v, "op"), &Value::String("u".into()));
        assert_eq!(field(v, "transaction"), &Value::Null);
        assert!(matches!(field(v, "source"), Value::Struct(_)));
        assert!(matches!(field(v, "ts_ns"), Value::Int64(n) if *n > 0));
        let before = field(v, "before");
        let after = field(v, "after");
        assert_eq!(field(before, "name"), &Value::String("a".into()));
        assert_eq!(field(before, "n"), &Value::Null);
        assert_eq!(field(after, "name"), &Value::String("b".into()));
        assert_eq!(field(after, "id"), &Value::Int32(1));
        assert_eq!(field(after, "n"), &Value::Int32(5));
        let Value::Struct(a) = after else { panic!() };
        assert_eq!(a.values.len(), 3, "the excluded column stays out: {a:?}");
        assert!(a.get("secret").is_none());
        assert_eq!(field(&rec.key, "id"), &Value::Int32(1));
    }
}
