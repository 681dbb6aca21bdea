//! The initial snapshot (debezium.md §6.1): a global read lock while the binlog position and
//! the table definitions are read, a REPEATABLE READ consistent-snapshot transaction for the data,
//! rows streamed one at a time through the bounded queue (never a whole table in memory), `op:r`
//! events with the snapshot markers of §1.5, and the position streaming continues from.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row as MyRow};

use crate::connectors::ConnectorError;

use super::config::{LockingMode, MySqlConfig};
use super::events::{now_ns, value_or_null, Op, Row, SnapshotMarker, SourcePosition, TableSchema};
use super::model::TableId;
use super::offsets::{BinlogOffset, SnapshotKind};
use super::reader::{db_error, Reader};
use super::types;
use crate::data::Value;

fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// A row read but not yet emitted (its marker depends on what follows).
struct Held {
    schema: Arc<TableSchema>,
    row: Row,
    first_overall: bool,
    first_in_table: bool,
    ts_ms: i64,
}

/// Reads the binlog position under the lock (`SHOW MASTER STATUS`, MariaDB GTID position).
async fn read_position(
    conn: &mut Conn,
    config: &MySqlConfig,
    mariadb: bool,
) -> Result<BinlogOffset, ConnectorError> {
    let row: Option<MyRow> = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .map_err(|e| db_error(config, "SHOW MASTER STATUS", &e))?;
    let Some(row) = row else {
        return Err(ConnectorError::fatal(
            "Cannot read the binlog filename and position via 'SHOW MASTER STATUS'. Make sure your server is correctly configured: binary logging must be enabled (log_bin) and the user needs REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR)",
        ));
    };
    let file: String = row.get(0).unwrap_or_default();
    let pos: u64 = row.get(1).unwrap_or(4);
    let mut gtids: Option<String> = if row.len() >= 5 {
        row.get::<Option<String>, _>(4).flatten()
    } else {
        None
    };
    if mariadb {
        let g: Option<Option<String>> =
            conn.query_first("SELECT @@global.gtid_binlog_pos")
                .await
                .map_err(|e| db_error(config, "Reading gtid_binlog_pos", &e))?;
        gtids = g.flatten();
    }
    Ok(BinlogOffset {
        ts_sec: now_ns() / 1_000_000_000,
        file,
        pos,
        gtids: gtids.map(|g| g.replace('\n', "")).filter(|g| !g.is_empty()),
        snapshot: Some(SnapshotKind::Initial),
        ..Default::default()
    })
}

/// Runs the snapshot. `with_data` false = schema only (no_data / recovery). Returns the position
/// to stream from.
pub async fn run(
    reader: &mut Reader,
    conn: &mut Conn,
    mariadb: bool,
    with_data: bool,
    emit_schema: bool,
    record_at: Option<&BinlogOffset>,
) -> Result<BinlogOffset, ConnectorError> {
    let config = reader.config.clone();
    let started = Instant::now();
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(|e| db_error(&config, "Setting the isolation level", &e))?;
    conn.query_drop("SET time_zone = '+00:00'")
        .await
        .map_err(|e| db_error(&config, "Setting the session time zone", &e))?;
    conn.query_drop("SET NAMES utf8mb4")
        .await
        .map_err(|e| db_error(&config, "SET NAMES", &e))?;
    // Results in each column's own character set, decoded per column like binlog values.
    conn.query_drop("SET character_set_results = NULL")
        .await
        .map_err(|e| db_error(&config, "SET character_set_results", &e))?;
    let lock_secs = (config.snapshot_lock_timeout_ms / 1000).max(1);
    let _ = conn
        .query_drop(format!("SET SESSION lock_wait_timeout={lock_secs}"))
        .await;
    let _ = conn
        .query_drop(format!("SET SESSION innodb_lock_wait_timeout={lock_secs}"))
        .await;

    let locked = if config.locking_mode != LockingMode::None {
        match conn.query_drop("FLUSH TABLES WITH READ LOCK").await {
            Ok(()) => true,
            Err(e) => {
                return Err(ConnectorError::fatal(format!(
                    "{}; snapshot.locking.mode={} needs the RELOAD privilege for FLUSH TABLES WITH READ LOCK (or set snapshot.locking.mode=none when no DDL runs during the snapshot)",
                    db_error(&config, "FLUSH TABLES WITH READ LOCK", &e),
                    if config.locking_mode == LockingMode::Extended { "extended" } else { "minimal" }
                )))
            }
        }
    } else {
        false
    };
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(|e| db_error(&config, "START TRANSACTION WITH CONSISTENT SNAPSHOT", &e))?;
    let mut position = read_position(conn, &config, mariadb).await?;
    // Where the history records say the DDL happened (recovery keeps the stored offset).
    let hist_pos = record_at.cloned().unwrap_or_else(|| position.clone());
    tracing::info!(
        connector = %config.connector_name,
        "snapshot: binlog position {}:{} gtids {:?}",
        position.file,
        position.pos,
        position.gtids
    );

    // Schema: every table of the included databases.
    let dbs: Vec<String> = conn
        .query("SHOW DATABASES")
        .await
        .map_err(|e| db_error(&config, "SHOW DATABASES", &e))?;
    let dbs: Vec<String> = dbs
        .into_iter()
        .filter(|d| config.filters.database_included(d))
        .collect();
    let snap_pos = |db: &str, table: Option<&str>| SourcePosition {
        ts_ms: position.ts_sec * 1000,
        db: db.to_string(),
        table: table.map(str::to_string),
        server_id: 0,
        gtid: None,
        file: position.file.clone(),
        pos: position.pos as i64,
        row: 0,
        thread: None,
        query: None,
    };
    let ts_ms = now_ns() / 1_000_000;
    let charset: Option<(String, String)> = conn
        .query_first("SELECT @@character_set_server, @@collation_server")
        .await
        .map_err(|e| db_error(&config, "Reading the server character set", &e))?;
    if let Some((cs, coll)) = &charset {
        let stmt = format!("SET character_set_server={cs}, collation_server={coll}");
        let p = snap_pos("", None);
        snapshot_ddl(reader, &stmt, None, &p, &hist_pos, ts_ms, emit_schema).await?;
    }
    let mut captured: Vec<TableId> = Vec::new();
    for db in &dbs {
        let tables: Vec<(String, String)> = conn
            .query(format!("SHOW FULL TABLES IN {}", quote(db)))
            .await
            .map_err(|e| db_error(&config, &format!("Listing tables of {db}"), &e))?;
        let create_db: Option<(String, String)> = conn
            .query_first(format!("SHOW CREATE DATABASE {}", quote(db)))
            .await
            .map_err(|e| db_error(&config, &format!("SHOW CREATE DATABASE {db}"), &e))?;
        let p = snap_pos(db, None);
        snapshot_ddl(
            reader,
            &format!("DROP DATABASE IF EXISTS {}", quote(db)),
            None,
            &p,
            &hist_pos,
            ts_ms,
            emit_schema,
        )
        .await?;
        if let Some((_, text)) = create_db {
            snapshot_ddl(reader, &text, None, &p, &hist_pos, ts_ms, emit_schema).await?;
        }
        snapshot_ddl(
            reader,
            &format!("USE {}", quote(db)),
            Some(db),
            &p,
            &hist_pos,
            ts_ms,
            emit_schema,
        )
        .await?;
        for (name, kind) in tables {
            if kind != "BASE TABLE" {
                continue;
            }
            let id = TableId::new(db.clone(), name.clone());
            let included = config.filters.table_included(&id);
            if config.store_only_captured_tables_ddl && !included {
                continue;
            }
            let row: Option<(String, String)> = conn
                .query_first(format!("SHOW CREATE TABLE {}.{}", quote(db), quote(&name)))
                .await
                .map_err(|e| db_error(&config, &format!("SHOW CREATE TABLE {id}"), &e))?;
            let Some((_, ddl)) = row else { continue };
            let p = snap_pos(db, Some(&name));
            snapshot_ddl(reader, &ddl, Some(db), &p, &hist_pos, ts_ms, emit_schema).await?;
            if included {
                captured.push(id);
            }
        }
    }
    if locked && config.locking_mode == LockingMode::Minimal {
        conn.query_drop("UNLOCK TABLES")
            .await
            .map_err(|e| db_error(&config, "UNLOCK TABLES", &e))?;
    }

    if with_data {
        let mut held: Option<Held> = None;
        let mut first_overall = true;
        for id in &captured {
            let Some(schema) = reader.schema_of(id)? else {
                continue;
            };
            let table = match reader.tables.get(id) {
                Some(t) => t.clone(),
                None => continue,
            };
            let estimate: Option<Option<u64>> = conn
                .query_first(format!(
                    "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA='{}' AND TABLE_NAME='{}'",
                    id.db.replace('\'', "''"),
                    id.table.replace('\'', "''")
                ))
                .await
                .ok()
                .flatten();
            let estimate = estimate.flatten().unwrap_or(0);
            let table_ts: Option<i64> = conn
                .query_first("SELECT UNIX_TIMESTAMP()")
                .await
                .ok()
                .flatten();
            let table_ts_ms = table_ts.unwrap_or(ts_ms / 1000) * 1000;
            tracing::info!(connector = %config.connector_name, "snapshot: exporting {id} (about {estimate} rows)");
            let sql = format!("SELECT * FROM {}.{}", quote(&id.db), quote(&id.table));
            let mut result = conn
                .query_iter(sql)
                .await
                .map_err(|e| db_error(&config, &format!("Reading {id}"), &e))?;
            let table_label = id.to_string();
            let total_gauge = reader.gauge(
                "sluice_connect_mysql_snapshot_rows_total",
                "Estimated rows of a table being snapshotted (information_schema.TABLES).",
                &[("table", &table_label)],
            );
            total_gauge.store(estimate as i64, Ordering::Relaxed);
            let done_gauge = reader.gauge(
                "sluice_connect_mysql_snapshot_rows_done",
                "Rows of a table read by the snapshot so far.",
                &[("table", &table_label)],
            );
            let mut first_in_table = true;
            let mut done: u64 = 0;
            let mut last_log = Instant::now();
            while let Some(row) = result
                .next()
                .await
                .map_err(|e| db_error(&config, &format!("Reading {id}"), &e))?
            {
                let mut values: Row = Vec::with_capacity(table.columns.len());
                for (i, col) in table.columns.iter().enumerate() {
                    let raw = match row.as_ref(i) {
                        Some(mysql_async::Value::Bytes(b)) => Some(b.as_slice()),
                        _ => None,
                    };
                    if !schema.converts(i) {
                        values.push(Value::Null);
                        continue;
                    }
                    let v = types::convert_text(col, &schema.column_schemas[i], raw, &config.modes);
                    values.push(schema.map_value(i, value_or_null(id, v)));
                }
                if let Some(prev) = held.take() {
                    let last_in_table = !Arc::ptr_eq(&prev.schema, &schema);
                    emit_held(reader, prev, last_in_table, false, &position).await?;
                }
                held = Some(Held {
                    schema: schema.clone(),
                    row: values,
                    first_overall,
                    first_in_table,
                    ts_ms: table_ts_ms,
                });
                first_overall = false;
                first_in_table = false;
                done += 1;
                done_gauge.store(done as i64, Ordering::Relaxed);
                if last_log.elapsed() > Duration::from_secs(10) {
                    tracing::info!(connector = %config.connector_name, "snapshot: {id}: {done} of about {estimate} rows");
                    last_log = Instant::now();
                }
            }
            drop(result);
            tracing::info!(connector = %config.connector_name, "snapshot: {id}: {done} rows exported");
            // The last row of a table stays held: whether it is `last` depends on what follows.
        }
        if let Some(prev) = held.take() {
            emit_held(reader, prev, true, true, &position).await?;
        }
    }
    conn.query_drop("COMMIT")
        .await
        .map_err(|e| db_error(&config, "COMMIT", &e))?;
    if locked && config.locking_mode == LockingMode::Extended {
        conn.query_drop("UNLOCK TABLES")
            .await
            .map_err(|e| db_error(&config, "UNLOCK TABLES", &e))?;
    }
    tracing::info!(
        connector = %config.connector_name,
        "snapshot completed in {} ms ({} tables)",
        started.elapsed().as_millis(),
        captured.len()
    );
    position.snapshot = None;
    Ok(position)
}

/// Snapshot DDL: applied, recorded, and published (marker `true`) unless `emit` is false.
async fn snapshot_ddl(
    reader: &mut Reader,
    sql: &str,
    db: Option<&str>,
    pos: &SourcePosition,
    offset: &BinlogOffset,
    ts_ms: i64,
    emit: bool,
) -> Result<(), ConnectorError> {
    let publish = emit.then_some(SnapshotMarker::True);
    reader
        .apply_ddl(sql, db, pos, publish, offset, ts_ms)
        .await
        .map(|_| ())
}

async fn emit_held(
    reader: &Reader,
    h: Held,
    last_in_table: bool,
    last_overall: bool,
    position: &BinlogOffset,
) -> Result<(), ConnectorError> {
    let marker = if last_overall {
        SnapshotMarker::Last
    } else if h.first_overall {
        SnapshotMarker::First
    } else if last_in_table {
        SnapshotMarker::LastInDataCollection
    } else if h.first_in_table {
        SnapshotMarker::FirstInDataCollection
    } else {
        SnapshotMarker::True
    };
    let pos = SourcePosition {
        ts_ms: h.ts_ms,
        db: h.schema.id.db.clone(),
        table: Some(h.schema.id.table.clone()),
        server_id: 0,
        gtid: None,
        file: position.file.clone(),
        pos: position.pos as i64,
        row: 0,
        thread: None,
        query: None,
    };
    let mut offset = position.clone();
    if last_overall {
        offset.snapshot = None;
    }
    let rec = reader.builder.change_record(
        &h.schema,
        Op::Read,
        None,
        Some(h.row),
        &pos,
        marker,
        None,
        offset.to_json(),
    );
    reader.emit(rec).await
}
