//! Incremental snapshots through the signaling table (debezium.md §6.2, DBLog watermarks):
//! `execute-snapshot` / `stop-snapshot` rows in `signal.data.collection` start and stop them while
//! streaming continues. Each chunk is read between an open-window and a close-window row written
//! to the signal table; streamed changes seen inside the window win over the chunk's copies, and
//! what is left is emitted as `op:r` with `source.snapshot = "incremental"` when the close-window
//! row arrives in the binlog.

use std::collections::VecDeque;

use indexmap::IndexMap;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use serde_json::Value as Json;

use crate::connectors::ConnectorError;
use crate::data::Value;

use super::events::{now_ns, value_or_null, Op, Row, SnapshotMarker, SourcePosition};
use super::model::TableId;
use super::offsets::BinlogOffset;
use super::reader::{connect, db_error, Reader};
use super::types;

/// Rows per chunk (`incremental.snapshot.chunk.size`).
pub const DEFAULT_CHUNK: usize = 1024;

fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

fn literal(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// The chunk being read: its table, the rows read, and whether its window is open in the binlog.
struct Chunk {
    id: String,
    table: TableId,
    /// Rows by key (Debug text of the key struct), in key order.
    rows: IndexMap<String, Row>,
    window_open: bool,
    /// Whether this chunk was the table's last.
    last: bool,
}

#[derive(Default)]
pub struct Incremental {
    conn: Option<Conn>,
    queue: VecDeque<(TableId, Option<String>)>,
    /// Raw text of the last key read per key column (next chunk starts after it).
    last_key: Option<Vec<Vec<u8>>>,
    max_key: Option<Vec<Vec<u8>>>,
    chunk: Option<Chunk>,
    seq: u64,
    chunk_size: usize,
}

impl Incremental {
    pub fn new(chunk_size: usize) -> Incremental {
        Incremental {
            chunk_size: chunk_size.max(1),
            ..Default::default()
        }
    }

    fn signal_table(reader: &Reader) -> Option<TableId> {
        let name = reader.config.filters.signal_table.as_deref()?;
        let (db, table) = name.split_once('.')?;
        Some(TableId::new(db, table))
    }

    /// Called for every streamed row change.
    #[allow(clippy::too_many_arguments)]
    pub async fn on_row(
        &mut self,
        reader: &mut Reader,
        id: &TableId,
        op: Op,
        before: Option<&Row>,
        after: Option<&Row>,
        pos: &SourcePosition,
        offset: &BinlogOffset,
    ) -> Result<(), ConnectorError> {
        let signal = Self::signal_table(reader);
        if signal.as_ref() == Some(id) && op == Op::Create {
            if let Some(row) = after {
                let text = |i: usize| match row.get(i) {
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                let (sig_id, kind, data) = (text(0), text(1), text(2));
                return self
                    .on_signal(reader, &sig_id, &kind, &data, pos, offset)
                    .await;
            }
        }
        // A streamed change of a row in the open window wins over the chunk's copy.
        if let Some(chunk) = self.chunk.as_mut() {
            if chunk.window_open && &chunk.table == id {
                if let Some(schema) = reader.schema_of(id)? {
                    for r in [before, after].into_iter().flatten() {
                        let key = format!("{:?}", schema.key(r));
                        chunk.rows.shift_remove(&key);
                    }
                }
            }
        }
        Ok(())
    }

    async fn on_signal(
        &mut self,
        reader: &mut Reader,
        sig_id: &str,
        kind: &str,
        data: &str,
        pos: &SourcePosition,
        offset: &BinlogOffset,
    ) -> Result<(), ConnectorError> {
        match kind {
            "snapshot-window-open" => {
                if let Some(c) = self.chunk.as_mut() {
                    if sig_id == format!("{}-open", c.id) {
                        c.window_open = true;
                    }
                }
            }
            "snapshot-window-close" => {
                let ours = self
                    .chunk
                    .as_ref()
                    .is_some_and(|c| sig_id == format!("{}-close", c.id));
                if ours {
                    self.close_window(reader, pos, offset).await?;
                    self.next_chunk(reader).await?;
                }
            }
            "execute-snapshot" => {
                let parsed: Json = serde_json::from_str(data).unwrap_or(Json::Null);
                let kind = parsed
                    .get("type")
                    .and_then(Json::as_str)
                    .unwrap_or("incremental");
                if !kind.eq_ignore_ascii_case("incremental") {
                    tracing::warn!(connector = %reader.config.connector_name, "signal {sig_id}: snapshot type '{kind}' is not supported; use \"incremental\"");
                    return Ok(());
                }
                let collections: Vec<String> = parsed
                    .get("data-collections")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let conditions = parsed
                    .get("additional-conditions")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                for name in collections {
                    let Some((db, table)) = name.split_once('.') else {
                        tracing::warn!(connector = %reader.config.connector_name, "signal {sig_id}: data collection '{name}' is not <db>.<table>");
                        continue;
                    };
                    let filter = conditions
                        .iter()
                        .find(|c| {
                            c.get("data-collection").and_then(Json::as_str) == Some(name.as_str())
                        })
                        .and_then(|c| c.get("filter").and_then(Json::as_str))
                        .map(str::to_string);
                    tracing::info!(connector = %reader.config.connector_name, "incremental snapshot of {name} requested by signal {sig_id}");
                    self.queue.push_back((TableId::new(db, table), filter));
                }
                if self.chunk.is_none() {
                    self.next_chunk(reader).await?;
                }
            }
            "stop-snapshot" => {
                tracing::info!(connector = %reader.config.connector_name, "incremental snapshot stopped by signal {sig_id}");
                self.queue.clear();
                self.chunk = None;
                self.last_key = None;
                self.max_key = None;
            }
            "log" => {
                let parsed: Json = serde_json::from_str(data).unwrap_or(Json::Null);
                if let Some(m) = parsed.get("message").and_then(Json::as_str) {
                    tracing::info!(connector = %reader.config.connector_name, "signal {sig_id}: {m}");
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn conn(&mut self, reader: &Reader) -> Result<&mut Conn, ConnectorError> {
        if self.conn.is_none() {
            let mut c = connect(&reader.config).await?;
            c.query_drop("SET time_zone = '+00:00'")
                .await
                .map_err(|e| db_error(&reader.config, "Setting the session time zone", &e))?;
            c.query_drop("SET NAMES utf8mb4, character_set_results = NULL")
                .await
                .map_err(|e| db_error(&reader.config, "SET NAMES", &e))?;
            self.conn = Some(c);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| ConnectorError::fatal("no connection"))
    }

    /// Emits what is left of the chunk: `op:r`, snapshot `incremental`, at the stream position.
    async fn close_window(
        &mut self,
        reader: &mut Reader,
        pos: &SourcePosition,
        offset: &BinlogOffset,
    ) -> Result<(), ConnectorError> {
        let Some(chunk) = self.chunk.take() else {
            return Ok(());
        };
        let Some(schema) = reader.schema_of(&chunk.table)? else {
            return Ok(());
        };
        let mut p = pos.clone();
        p.db = chunk.table.db.clone();
        p.table = Some(chunk.table.table.clone());
        p.row = 0;
        for (_, row) in chunk.rows {
            let rec = reader.builder.change_record(
                &schema,
                Op::Read,
                None,
                Some(row),
                &p,
                SnapshotMarker::Incremental,
                None,
                offset.to_json(),
            );
            reader.emit(rec).await?;
        }
        if chunk.last {
            tracing::info!(connector = %reader.config.connector_name, "incremental snapshot of {} completed", chunk.table);
            self.queue.pop_front();
            self.last_key = None;
            self.max_key = None;
        }
        Ok(())
    }

    /// Reads the next chunk between an open- and a close-window row.
    async fn next_chunk(&mut self, reader: &mut Reader) -> Result<(), ConnectorError> {
        let Some(signal) = Self::signal_table(reader) else {
            return Ok(());
        };
        loop {
            let Some((table_id, filter)) = self.queue.front().cloned() else {
                return Ok(());
            };
            let Some(schema) = reader.schema_of(&table_id)? else {
                tracing::warn!(connector = %reader.config.connector_name, "incremental snapshot: table {table_id} is not known; skipped");
                self.queue.pop_front();
                continue;
            };
            let table = schema.table.clone();
            let key_idx: Vec<usize> = table
                .primary_key
                .iter()
                .filter_map(|k| {
                    table
                        .columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(k))
                })
                .collect();
            if key_idx.is_empty() {
                tracing::warn!(connector = %reader.config.connector_name, "incremental snapshot: table {table_id} has no primary key; skipped");
                self.queue.pop_front();
                continue;
            }
            let key_cols: Vec<String> = key_idx
                .iter()
                .map(|&i| quote(&table.columns[i].name))
                .collect();
            let key_list = format!("({})", key_cols.join(", "));
            let from = format!("{}.{}", quote(&table_id.db), quote(&table_id.table));
            let cfg = reader.config.clone();
            let chunk_size = self.chunk_size;
            if self.max_key.is_none() {
                let order: Vec<String> = key_cols.iter().map(|c| format!("{c} DESC")).collect();
                let sql = format!(
                    "SELECT {} FROM {from} ORDER BY {} LIMIT 1",
                    key_cols.join(", "),
                    order.join(", ")
                );
                let conn = self.conn(reader).await?;
                let row: Option<mysql_async::Row> = conn.query_first(sql).await.map_err(|e| {
                    db_error(&cfg, &format!("Reading the maximum key of {table_id}"), &e)
                })?;
                match row {
                    None => {
                        tracing::info!(connector = %cfg.connector_name, "incremental snapshot: {table_id} is empty");
                        self.queue.pop_front();
                        continue;
                    }
                    Some(r) => {
                        self.max_key = Some(
                            (0..key_idx.len())
                                .map(|i| match r.as_ref(i) {
                                    Some(mysql_async::Value::Bytes(b)) => b.clone(),
                                    _ => Vec::new(),
                                })
                                .collect(),
                        )
                    }
                }
            }
            self.seq += 1;
            let chunk_id = format!("sluice-{}-{}", now_ns(), self.seq);
            let sig = format!("{}.{}", quote(&signal.db), quote(&signal.table));
            let now = chrono_like_now();
            let mut conds = Vec::new();
            if let Some(last) = &self.last_key {
                conds.push(format!(
                    "{key_list} > ({})",
                    last.iter()
                        .map(|b| literal(b))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(max) = &self.max_key {
                conds.push(format!(
                    "{key_list} <= ({})",
                    max.iter()
                        .map(|b| literal(b))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(f) = &filter {
                conds.push(format!("({f})"));
            }
            let where_clause = if conds.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conds.join(" AND "))
            };
            let sql = format!(
                "SELECT * FROM {from}{where_clause} ORDER BY {} LIMIT {chunk_size}",
                key_cols.join(", ")
            );
            let conn = self.conn(reader).await?;
            conn.query_drop(format!(
                "INSERT INTO {sig} VALUES ('{chunk_id}-open', 'snapshot-window-open', '{{\"openWindowTimestamp\": \"{now}\"}}')"
            ))
            .await
            .map_err(|e| incremental_write_error(&cfg, &signal, &e))?;
            let rows: Vec<mysql_async::Row> = conn
                .query(sql)
                .await
                .map_err(|e| db_error(&cfg, &format!("Reading a chunk of {table_id}"), &e))?;
            conn.query_drop(format!(
                "INSERT INTO {sig} VALUES ('{chunk_id}-close', 'snapshot-window-close', '{{\"openWindowTimestamp\": \"{now}\", \"closeWindowTimestamp\": \"{}\"}}')",
                chrono_like_now()
            ))
            .await
            .map_err(|e| incremental_write_error(&cfg, &signal, &e))?;
            let last = rows.len() < chunk_size;
            let mut out = IndexMap::new();
            let mut last_key = None;
            for r in &rows {
                let mut values: Row = Vec::with_capacity(table.columns.len());
                for (i, col) in table.columns.iter().enumerate() {
                    let raw = match r.as_ref(i) {
                        Some(mysql_async::Value::Bytes(b)) => Some(b.as_slice()),
                        _ => None,
                    };
                    if !schema.converts(i) {
                        values.push(Value::Null);
                        continue;
                    }
                    let v = types::convert_text(col, &schema.column_schemas[i], raw, &cfg.modes);
                    values.push(schema.map_value(i, value_or_null(&table_id, v)));
                }
                last_key = Some(
                    key_idx
                        .iter()
                        .map(|&i| match r.as_ref(i) {
                            Some(mysql_async::Value::Bytes(b)) => b.clone(),
                            _ => Vec::new(),
                        })
                        .collect::<Vec<_>>(),
                );
                out.insert(format!("{:?}", schema.key(&values)), values);
            }
            if last_key.is_some() {
                self.last_key = last_key;
            }
            self.chunk = Some(Chunk {
                id: chunk_id,
                table: table_id,
                rows: out,
                window_open: false,
                last,
            });
            return Ok(());
        }
    }
}

fn incremental_write_error(
    cfg: &super::config::MySqlConfig,
    signal: &TableId,
    e: &mysql_async::Error,
) -> ConnectorError {
    ConnectorError::fatal(format!(
        "{}; incremental snapshots write watermark rows to the signal table {signal}: GRANT INSERT ON {}.{} TO the connector's user ('{}')",
        db_error(cfg, "Writing a snapshot window to the signal table", e),
        signal.db,
        signal.table,
        cfg.user
    ))
}

/// An ISO-8601 instant like Java's Instant.toString (UTC, microseconds).
fn chrono_like_now() -> String {
    let ns = now_ns();
    let secs = ns.div_euclid(1_000_000_000);
    let micros = ns.rem_euclid(1_000_000_000) / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_737), (2024, 1, 15));
        assert_eq!(literal(b"it's"), "'it''s'");
    }
}
