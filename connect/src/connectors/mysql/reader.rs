//! State shared by the snapshot and the binlog reader: the table model, per-table schemas, the
//! schema history, and the bounded queue of records the task's poll() drains (back-pressure: a
//! full queue stops reading from the database).

use std::collections::HashMap;
use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};
use serde_json::{Map as JsonMap, Value as Json};
use tokio::sync::mpsc;

use crate::connectors::{ConnectorError, SourceRecord};

use super::config::MySqlConfig;
use super::ddl::{self, DdlEvent};
use super::events::{EventBuilder, SnapshotMarker, SourcePosition, TableSchema};
use super::history::{HistoryRecord, SchemaHistory};
use super::model::{TableChange, TableId, Tables};
use super::offsets::{self, BinlogOffset};

/// What the reader hands the task.
pub enum Msg {
    /// A record and the bytes it holds in the Connect memory pool.
    Record(Box<SourceRecord>, crate::runtime::memory::Reservation),
    /// The reader stopped for good with this error (the task fails with it).
    Failed(ConnectorError),
}

pub struct Reader {
    pub config: Arc<MySqlConfig>,
    pub builder: EventBuilder,
    pub tables: Tables,
    schemas: HashMap<TableId, Arc<TableSchema>>,
    pub history: SchemaHistory,
    tx: mpsc::Sender<Msg>,
    pub partition: JsonMap<String, Json>,
    /// Prometheus gauges of this task, kept alive (a dropped gauge leaves the scrape).
    pub gauges: Vec<Arc<std::sync::atomic::AtomicI64>>,
    /// This task's share of the Connect memory pool, taken by queued records.
    memory: crate::runtime::memory::TaskPool,
}

/// A connector error for a failed database call, with the fix where one is known.
pub fn db_error(config: &MySqlConfig, what: &str, e: &mysql_async::Error) -> ConnectorError {
    let text = e.to_string();
    let hint = if let mysql_async::Error::Server(se) = e {
        match se.code {
            1045 => format!(
                "; check database.user ('{}') and database.password",
                config.user
            ),
            1044 | 1142 | 1227 | 1370 => "; the connector's user needs: GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* (MariaDB 10.5+: also BINLOG MONITOR)".to_string(),
            1236 => "; the binlog position is no longer available on the server (purged?). Use snapshot.mode=when_needed to take a new snapshot automatically, or delete the connector's offsets to start over".to_string(),
            _ => String::new(),
        }
    } else {
        String::new()
    };
    let retriable = matches!(e, mysql_async::Error::Io(_))
        || matches!(
            e,
            mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed)
        );
    let message = format!(
        "{what} failed against {}:{}: {text}{hint}",
        config.hostname, config.port
    );
    if retriable {
        ConnectorError::Retriable(message)
    } else {
        ConnectorError::fatal(message)
    }
}

/// Opens a connection (the JDBC-style connection Debezium uses for queries).
pub async fn connect(config: &MySqlConfig) -> Result<Conn, ConnectorError> {
    let opts = OptsBuilder::default()
        .ip_or_hostname(config.hostname.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(Some(config.password.clone()))
        .prefer_socket(false)
        .stmt_cache_size(0);
    let timeout = std::time::Duration::from_millis(config.connect_timeout_ms.max(1));
    let mut conn = match tokio::time::timeout(timeout, Conn::new(opts)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(db_error(config, "Connecting to the database", &e)),
        Err(_) => {
            return Err(ConnectorError::Retriable(format!(
                "Connecting to the database at {}:{} timed out after {} ms (connect.timeout.ms); check database.hostname and database.port",
                config.hostname, config.port, config.connect_timeout_ms
            )))
        }
    };
    for st in &config.initial_statements {
        conn.query_drop(st.as_str())
            .await
            .map_err(|e| db_error(config, &format!("database.initial.statements '{st}'"), &e))?;
    }
    Ok(conn)
}

/// Reads one server variable (`SHOW GLOBAL VARIABLES LIKE ...`).
pub async fn global_variable(
    conn: &mut Conn,
    config: &MySqlConfig,
    name: &str,
) -> Result<Option<String>, ConnectorError> {
    let row: Option<(String, Option<String>)> = conn
        .query_first(format!("SHOW GLOBAL VARIABLES LIKE '{name}'"))
        .await
        .map_err(|e| db_error(config, &format!("Reading variable {name}"), &e))?;
    Ok(row.and_then(|(_, v)| v))
}

impl Reader {
    pub fn new(config: Arc<MySqlConfig>, history: SchemaHistory, tx: mpsc::Sender<Msg>) -> Reader {
        let partition = offsets::partition(&config.topic_prefix);
        Reader {
            builder: EventBuilder::new(config.clone()),
            config,
            tables: Tables::default(),
            schemas: HashMap::new(),
            history,
            tx,
            partition,
            gauges: Vec::new(),
            memory: Default::default(),
        }
    }

    /// A gauge `name{connector, extra labels}` published on /metrics for the task's lifetime.
    pub fn gauge(
        &mut self,
        name: &str,
        help: &str,
        extra: &[(&str, &str)],
    ) -> Arc<std::sync::atomic::AtomicI64> {
        crate::runtime::metrics::describe(name, help);
        let mut labels: Vec<(&str, &str)> =
            vec![("connector", self.config.connector_name.as_str())];
        labels.extend_from_slice(extra);
        let g = crate::runtime::metrics::gauge(name, &labels);
        self.gauges.push(g.clone());
        g
    }

    /// Queues a record; waits while the queue (max.queue.size records) or the Connect memory
    /// pool is full. Err when the task is gone.
    pub async fn emit(&self, record: SourceRecord) -> Result<(), ConnectorError> {
        // Waiting for room; a stopping task (its queue closed) does not wait.
        let held = tokio::select! {
            r = self.memory.reserve(record.approx_size()) => r,
            _ = self.tx.closed() => return Err(ConnectorError::fatal("the task stopped")),
        };
        self.tx
            .send(Msg::Record(Box::new(record), held))
            .await
            .map_err(|_| ConnectorError::fatal("the task stopped"))
    }

    pub fn stopped(&self) -> bool {
        self.tx.is_closed()
    }

    /// The schema of a table, built once per table definition.
    pub fn schema_of(&mut self, id: &TableId) -> Result<Option<Arc<TableSchema>>, ConnectorError> {
        if let Some(s) = self.schemas.get(id) {
            return Ok(Some(s.clone()));
        }
        let Some(table) = self.tables.get(id) else {
            return Ok(None);
        };
        let schema = self
            .builder
            .table_schema(table)
            .map_err(|e| ConnectorError::fatal(format!("table {id}: {e}")))?;
        let schema = Arc::new(schema);
        self.schemas.insert(id.clone(), schema.clone());
        Ok(Some(schema))
    }

    /// Applies DDL text, records it in the schema history and, with `publish` (the events'
    /// snapshot marker) and include.schema.changes, emits schema change events (recovery rebuilds
    /// the history without publishing). Returns the tables truncated by the statements.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_ddl(
        &mut self,
        sql: &str,
        current_db: Option<&str>,
        pos: &SourcePosition,
        publish: Option<SnapshotMarker>,
        offset: &BinlogOffset,
        ts_ms: i64,
    ) -> Result<Vec<TableId>, ConnectorError> {
        // TRUNCATE is in Debezium's DDL filter (no history record) but still becomes `op:t`.
        if ddl::ddl_ignored(sql) && !ddl::is_truncate_statement(sql.trim()) {
            return Ok(Vec::new());
        }
        let results = match self.tables.apply_ddl(sql, current_db) {
            Ok(r) => r,
            Err(e) if self.config.skip_unparseable_ddl => {
                tracing::warn!(
                    connector = %self.config.connector_name,
                    "skipping DDL the parser does not understand (schema.history.internal.skip.unparseable.ddl=true): {e}"
                );
                return Ok(Vec::new());
            }
            Err(e) => {
                return Err(ConnectorError::fatal(format!(
                    "Could not parse DDL at {}:{}: {e}. If the statement does not affect captured tables, set schema.history.internal.skip.unparseable.ddl=true to skip it",
                    offset.file, offset.pos
                )))
            }
        };
        self.schemas.clear();
        let mut truncated = Vec::new();
        for (db, statement, event) in results {
            let changes: Vec<TableChange> = match event {
                DdlEvent::Ignored => continue,
                DdlEvent::Truncate(ids) => {
                    truncated.extend(ids);
                    continue;
                }
                DdlEvent::Database { .. } => Vec::new(),
                DdlEvent::TableChanges(c) => c,
            };
            let captured_db = db.is_empty() || self.config.filters.database_included(&db);
            let captured_tables: Vec<TableChange> = changes
                .iter()
                .filter(|c| {
                    self.config.filters.table_included(&c.id)
                        || c.previous_id
                            .as_ref()
                            .is_some_and(|p| self.config.filters.table_included(p))
                })
                .cloned()
                .collect();
            let store = if self.config.store_only_captured_tables_ddl {
                !captured_tables.is_empty() || (changes.is_empty() && captured_db)
            } else {
                true
            };
            let offset_json = offset.to_json();
            if store {
                self.history
                    .record(&HistoryRecord {
                        partition: &self.partition,
                        position: &offset_json,
                        ts_ms,
                        database: &db,
                        ddl: &statement,
                        changes: &changes,
                    })
                    .await
                    .map_err(|e| ConnectorError::Retriable(e.to_string()))?;
            }
            let marker = publish.filter(|_| {
                self.config.include_schema_changes
                    && (!captured_tables.is_empty() || (changes.is_empty() && captured_db))
            });
            if let Some(marker) = marker {
                let mut p = pos.clone();
                p.db = db.clone();
                p.table = if captured_tables.is_empty() {
                    None
                } else {
                    Some(
                        captured_tables
                            .iter()
                            .map(|c| c.id.table.clone())
                            .collect::<Vec<_>>()
                            .join(","),
                    )
                };
                let rec = self.builder.schema_change_record(
                    &db,
                    &statement,
                    &captured_tables,
                    &p,
                    marker,
                    ts_ms,
                    offset_json,
                );
                self.emit(rec).await?;
            }
        }
        Ok(truncated)
    }
}
