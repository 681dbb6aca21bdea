//! Binlog streaming (debezium.md §1, §5.1): the replication protocol through mysql_async's
//! binlog stream, MySQL and MariaDB GTIDs, row events v1/v2, DDL in QUERY events, transaction
//! boundaries, rotation, heartbeats, and reconnection that resumes from the last emitted position
//! (skipping the events and rows of a partly emitted transaction).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mysql_async::binlog::events::{Event, EventData, RowsEventData, TableMapEvent};
use mysql_async::prelude::Queryable;
use mysql_async::BinlogStreamRequest;

use crate::connectors::ConnectorError;
use crate::data::Value;

use super::config::FailureMode;
use super::events::{
    key_header, value_or_null, Op, Row, SnapshotMarker, SourcePosition, TableSchema, TxBlock,
};
use super::gtid::{format_uuid, GtidSet, MariaGtid};
use super::incremental::Incremental;
use super::model::TableId;
use super::offsets::BinlogOffset;
use super::reader::{connect, db_error, Reader};
use super::types;

const QUERY_EVENT: u8 = 2;
const ROTATE_EVENT: u8 = 4;
const XID_EVENT: u8 = 16;
const HEARTBEAT_EVENT: u8 = 27;
const ROWS_QUERY_EVENT: u8 = 29;
const GTID_EVENT: u8 = 33;
const ANNOTATE_ROWS_EVENT: u8 = 160;
const MARIADB_GTID_EVENT: u8 = 162;

/// How often the server sends a heartbeat on an idle stream, and how long silence means a dead
/// connection.
const SERVER_HEARTBEAT: Duration = Duration::from_secs(5);
const DEAD_AFTER: Duration = Duration::from_secs(20);

/// An open transaction.
struct Txn {
    /// Position of the transaction's first event (GTID or BEGIN): where a restart re-reads from.
    start_pos: u64,
    gtid: Option<String>,
    gtid_add: Option<GtidAdd>,
    /// Events after the start already handled.
    events: u64,
    id: String,
    total: i64,
    per_table: BTreeMap<String, i64>,
    ts_ms: i64,
}

#[derive(Clone, Copy)]
enum GtidAdd {
    MySql([u8; 16], u64),
    MariaDb(u32, u32, u64),
}

struct State {
    mariadb: bool,
    file: String,
    /// Offset of the last thing fully handed to the task: where a reconnect resumes.
    restart: BinlogOffset,
    gtids: GtidSet,
    txn: Option<Txn>,
    /// A GTID seen, its transaction not started yet (MySQL: BEGIN or DDL follows; MariaDB
    /// standalone: the DDL follows).
    pending: Option<(u64, String, GtidAdd)>,
    skip_events: u64,
    skip_rows: u64,
    thread: Option<i64>,
    query: Option<String>,
    last_heartbeat: Instant,
    incremental: Incremental,
    /// Milliseconds between a rows event's time in the database and its processing.
    lag: Option<Arc<std::sync::atomic::AtomicI64>>,
    /// 1 while the binlog stream is open (Debezium's streaming metric `Connected`).
    connected: Option<Arc<std::sync::atomic::AtomicI64>>,
}

impl State {
    fn new(start: BinlogOffset, mariadb: bool, chunk_size: usize) -> State {
        State {
            mariadb,
            file: start.file.clone(),
            gtids: start
                .gtids
                .as_deref()
                .map(|g| GtidSet::parse(g, mariadb))
                .unwrap_or_else(|| GtidSet::empty(mariadb)),
            restart: start,
            txn: None,
            pending: None,
            skip_events: 0,
            skip_rows: 0,
            thread: None,
            query: None,
            last_heartbeat: Instant::now(),
            incremental: Incremental::new(chunk_size),
            lag: None,
            connected: None,
        }
    }

    /// Prepares for reading from `restart` (skip counters of a partly emitted transaction).
    fn resume(&mut self) {
        self.txn = None;
        self.pending = None;
        self.skip_events = self.restart.event;
        self.skip_rows = self.restart.row;
        self.file = self.restart.file.clone();
        if let Some(g) = &self.restart.gtids {
            self.gtids = GtidSet::parse(g, self.mariadb);
        }
    }

    fn gtid_add(&mut self, add: GtidAdd) {
        match add {
            GtidAdd::MySql(sid, gno) => self.gtids.add_mysql(&format_uuid(&sid), gno),
            GtidAdd::MariaDb(d, s, q) => self.gtids.add_mariadb(d, s, q),
        }
    }

    fn gtids_text(&self) -> Option<String> {
        if self.gtids.is_empty() {
            None
        } else {
            Some(self.gtids.to_string())
        }
    }
}

/// Streams from `start` until the task stops or an unrecoverable error occurs; reconnects on
/// connection errors.
pub async fn run(
    reader: &mut Reader,
    start: BinlogOffset,
    mariadb: bool,
) -> Result<(), ConnectorError> {
    let mut state = State::new(start, mariadb, reader.config.incremental_chunk_size);
    state.lag = Some(reader.gauge(
        "sluice_connect_mysql_source_lag_ms",
        "Milliseconds between the last rows event's time in the database (binlog header, second resolution) and its processing.",
        &[],
    ));
    state.connected = Some(reader.gauge(
        "sluice_connect_mysql_connected",
        "1 while the connector reads the binlog stream (the snapshot is done and its position taken), else 0.",
        &[],
    ));
    let mut failures = 0u32;
    loop {
        let result = stream_once(reader, &mut state).await;
        if let Some(c) = &state.connected {
            c.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        match result {
            Ok(()) => return Ok(()),
            Err(e) if e.is_retriable() && !reader.stopped() => {
                failures += 1;
                let wait = Duration::from_millis((500u64 << failures.min(6)).min(30_000));
                tracing::warn!(
                    connector = %reader.config.connector_name,
                    "binlog connection lost ({e}); reconnecting in {} ms from {}:{}",
                    wait.as_millis(),
                    state.restart.file,
                    state.restart.pos
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn stream_once(reader: &mut Reader, state: &mut State) -> Result<(), ConnectorError> {
    let config = reader.config.clone();
    let mut conn = connect(&config).await?;
    let ns = SERVER_HEARTBEAT.as_nanos() as u64;
    conn.query_drop(format!("SET @master_heartbeat_period = {ns}"))
        .await
        .map_err(|e| db_error(&config, "Setting the replication heartbeat", &e))?;
    if state.mariadb {
        conn.query_drop("SET @mariadb_slave_capability = 4")
            .await
            .map_err(|e| db_error(&config, "Setting the MariaDB replica capability", &e))?;
    }
    // Resume at the restart point: re-read a partly emitted transaction from its start and skip
    // what was already handed over.
    state.resume();
    let file = state.restart.file.clone();
    let request = BinlogStreamRequest::new(config.server_id)
        .with_filename(file.as_bytes())
        .with_pos(state.restart.pos.max(4));
    let mut stream = conn
        .get_binlog_stream(request)
        .await
        .map_err(|e| db_error(&config, "Starting the binlog stream", &e))?;
    tracing::info!(
        connector = %config.connector_name,
        "streaming binlog from {}:{} (server id {})",
        state.restart.file,
        state.restart.pos,
        config.server_id
    );
    if let Some(c) = &state.connected {
        c.store(1, std::sync::atomic::Ordering::Relaxed);
    }
    let tick = if config.heartbeat_interval_ms > 0 {
        Duration::from_millis(config.heartbeat_interval_ms.min(1000))
    } else {
        Duration::from_secs(1)
    };
    let mut last_event = Instant::now();
    loop {
        if reader.stopped() {
            return Ok(());
        }
        let next = tokio::time::timeout(tick, stream.next()).await;
        let event = match next {
            Err(_) => {
                if last_event.elapsed() > DEAD_AFTER {
                    return Err(ConnectorError::Retriable(format!(
                        "no binlog event or heartbeat from {}:{} for {} s",
                        config.hostname,
                        config.port,
                        DEAD_AFTER.as_secs()
                    )));
                }
                maybe_heartbeat(reader, state).await?;
                continue;
            }
            Ok(None) => {
                return Err(ConnectorError::Retriable(
                    "the server closed the binlog stream".into(),
                ))
            }
            Ok(Some(Err(e))) => return Err(db_error(&config, "Reading the binlog", &e)),
            Ok(Some(Ok(ev))) => ev,
        };
        last_event = Instant::now();
        handle_event(reader, state, &event, &stream).await?;
    }
}

/// A binlog file name without trailing bytes that are not part of a name (a checksum left on a
/// fake rotate event).
fn clean_file_name(name: &str) -> String {
    let valid = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if name.chars().all(valid) {
        return name.to_string();
    }
    let bytes = name.as_bytes();
    let cut = &bytes[..bytes.len().saturating_sub(4)];
    String::from_utf8_lossy(cut)
        .chars()
        .take_while(|c| valid(*c))
        .collect()
}

/// Where the TABLE_MAP events seen so far are kept (the binlog stream's reader).
pub trait TableMaps {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>>;
}

impl TableMaps for mysql_async::BinlogStream {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}

impl TableMaps for mysql_common::binlog::EventStreamReader {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}

/// Handles one binlog event. `tme_of` finds the TABLE_MAP of a table id (the stream reader keeps
/// them).
async fn handle_event(
    reader: &mut Reader,
    state: &mut State,
    event: &Event,
    maps: &(impl TableMaps + Sync),
) -> Result<(), ConnectorError> {
    let header = event.header();
    let kind = header.event_type_raw();
    let log_pos = header.log_pos() as u64;
    let start_pos = log_pos.saturating_sub(header.event_size() as u64);
    let ts_ms = header.timestamp() as i64 * 1000;
    let server_id = header.server_id();

    // Restart skipping: events after the transaction start that were already emitted.
    let in_txn = state.txn.is_some();
    let starts_txn =
        matches!(kind, GTID_EVENT | MARIADB_GTID_EVENT) || (kind == QUERY_EVENT && !in_txn);
    if let Some(t) = state.txn.as_mut() {
        if !starts_txn && t.events < state.skip_events {
            t.events += 1;
            return Ok(());
        }
    }

    match kind {
        ROTATE_EVENT => {
            if let Ok(Some(EventData::RotateEvent(r))) = event.read_data() {
                // The fake rotate the server sends first arrives before the format
                // description, so its name may still carry the checksum bytes; it only
                // repeats the file that was asked for.
                let fake = header.timestamp() == 0 || log_pos == 0;
                if fake && !state.file.is_empty() {
                    return Ok(());
                }
                state.file = clean_file_name(&r.name());
                if state.txn.is_none() {
                    state.restart.file = state.file.clone();
                    state.restart.pos = r.position();
                    state.restart.event = 0;
                    state.restart.row = 0;
                }
            }
        }
        GTID_EVENT => {
            if let Ok(Some(EventData::GtidEvent(g))) = event.read_data() {
                let sid = g.sid();
                let text = format!("{}:{}", format_uuid(&sid), g.gno());
                state.pending = Some((start_pos, text, GtidAdd::MySql(sid, g.gno())));
            }
        }
        MARIADB_GTID_EVENT => {
            if let Some(g) = MariaGtid::parse(event.data()) {
                let text = format!("{}-{}-{}", g.domain, server_id, g.seq);
                let add = GtidAdd::MariaDb(g.domain, server_id, g.seq);
                if g.standalone() {
                    state.pending = Some((start_pos, text, add));
                } else {
                    begin_txn(reader, state, start_pos, Some((text, add)), ts_ms).await?;
                }
            }
        }
        QUERY_EVENT => {
            let Ok(Some(EventData::QueryEvent(q))) = event.read_data() else {
                return Ok(());
            };
            let sql = q.query().trim().to_string();
            let upper = sql.to_ascii_uppercase();
            if upper == "BEGIN" || upper.starts_with("XA START") {
                state.thread = Some(q.thread_id() as i64);
                if state.txn.is_none() {
                    let (pos, gtid) = match state.pending.take() {
                        Some((p, text, add)) => (p, Some((text, add))),
                        None => (start_pos, None),
                    };
                    begin_txn(reader, state, pos, gtid, ts_ms).await?;
                }
            } else if upper == "COMMIT"
                || upper.starts_with("XA END")
                || upper.starts_with("XA COMMIT")
            {
                commit(reader, state, log_pos, ts_ms, server_id).await?;
            } else if upper == "ROLLBACK" {
                // Nothing of a rolled-back transaction reached the binlog as rows.
                commit(reader, state, log_pos, ts_ms, server_id).await?;
            } else {
                let db = q.schema().to_string();
                let gtid_text = state.pending.as_ref().map(|(_, t, _)| t.clone());
                // The DDL's own position: after this event.
                if let Some((_, _, add)) = state.pending.take() {
                    state.gtid_add(add);
                }
                let offset = BinlogOffset {
                    ts_sec: ts_ms / 1000,
                    file: state.file.clone(),
                    pos: log_pos,
                    gtids: state.gtids_text(),
                    event: 0,
                    row: 0,
                    server_id,
                    snapshot: None,
                };
                let pos = SourcePosition {
                    ts_ms,
                    db: db.clone(),
                    table: None,
                    server_id: server_id as i64,
                    gtid: gtid_text,
                    file: state.file.clone(),
                    pos: start_pos as i64,
                    row: 0,
                    thread: Some(q.thread_id() as i64),
                    query: None,
                };
                let current_db = if db.is_empty() {
                    None
                } else {
                    Some(db.as_str())
                };
                let truncated = reader
                    .apply_ddl(
                        &sql,
                        current_db,
                        &pos,
                        Some(SnapshotMarker::Streaming),
                        &offset,
                        ts_ms,
                    )
                    .await?;
                for id in truncated {
                    emit_truncate(reader, &id, &pos, &offset).await?;
                }
                if state.txn.is_none() {
                    state.restart = offset;
                }
            }
        }
        XID_EVENT => commit(reader, state, log_pos, ts_ms, server_id).await?,
        ANNOTATE_ROWS_EVENT if reader.config.include_query => {
            state.query = Some(String::from_utf8_lossy(event.data()).into_owned());
        }
        ROWS_QUERY_EVENT if reader.config.include_query => {
            if let Ok(Some(EventData::RowsQueryEvent(q))) = event.read_data() {
                state.query = Some(q.query().into_owned());
            }
        }
        HEARTBEAT_EVENT => maybe_heartbeat(reader, state).await?,
        23..=25 | 30..=32 => {
            let Ok(Some(EventData::RowsEvent(rows))) = event.read_data() else {
                let e = "could not decode a rows event";
                on_failure(reader, e, &state.file, start_pos)?;
                return Ok(());
            };
            let Some(tme) = maps.table_map(rows.table_id()) else {
                on_failure(
                    reader,
                    "a rows event without its TABLE_MAP",
                    &state.file,
                    start_pos,
                )?;
                return Ok(());
            };
            let id = TableId::new(
                tme.database_name().to_string(),
                tme.table_name().to_string(),
            );
            let tme_columns = tme.columns_count() as usize;
            handle_rows(
                reader,
                state,
                &id,
                &rows,
                tme,
                tme_columns,
                start_pos,
                ts_ms,
                server_id,
            )
            .await?;
        }
        _ => {}
    }
    // Count handled events inside a transaction (the skip counter of the offsets).
    if let Some(t) = state.txn.as_mut() {
        if !starts_txn || t.start_pos != start_pos {
            t.events += 1;
        }
    }
    if state.txn.is_none() && log_pos > 0 && kind != ROTATE_EVENT && state.pending.is_none() {
        // Outside transactions the next event is the restart point.
        state.restart.file = state.file.clone();
        state.restart.pos = log_pos;
        state.restart.event = 0;
        state.restart.row = 0;
        state.restart.gtids = state.gtids_text();
    }
    maybe_heartbeat(reader, state).await?;
    Ok(())
}

fn on_failure(reader: &Reader, what: &str, file: &str, pos: u64) -> Result<(), ConnectorError> {
    let message = format!("{what} at {file}:{pos}");
    match reader.config.failure_mode {
        FailureMode::Fail => Err(ConnectorError::fatal(format!(
            "{message}; set event.processing.failure.handling.mode=warn to skip such events"
        ))),
        FailureMode::Warn => {
            tracing::warn!(connector = %reader.config.connector_name, "skipping event: {message}");
            Ok(())
        }
        FailureMode::Skip => Ok(()),
    }
}

async fn begin_txn(
    reader: &mut Reader,
    state: &mut State,
    start_pos: u64,
    gtid: Option<(String, GtidAdd)>,
    ts_ms: i64,
) -> Result<(), ConnectorError> {
    let id = match &gtid {
        Some((text, _)) => text.clone(),
        None => format!("file={},pos={}", state.file, start_pos),
    };
    let (gtid_text, add) = match gtid {
        Some((t, a)) => (Some(t), Some(a)),
        None => (None, None),
    };
    state.txn = Some(Txn {
        start_pos,
        gtid: gtid_text,
        gtid_add: add,
        events: 0,
        id: id.clone(),
        total: 0,
        per_table: BTreeMap::new(),
        ts_ms,
    });
    if reader.config.provide_transaction_metadata && state.skip_events == 0 && state.skip_rows == 0
    {
        let offset = txn_offset(state, 0, 0, 0);
        let rec = reader
            .builder
            .transaction_record(&id, None, ts_ms, offset.to_json());
        reader.emit(rec).await?;
    }
    Ok(())
}

fn txn_offset(state: &State, event: u64, row: u64, server_id: u32) -> BinlogOffset {
    let start = state
        .txn
        .as_ref()
        .map(|t| t.start_pos)
        .unwrap_or(state.restart.pos);
    BinlogOffset {
        ts_sec: state.txn.as_ref().map(|t| t.ts_ms / 1000).unwrap_or(0),
        file: state.file.clone(),
        pos: start,
        gtids: state.gtids_text(),
        event,
        row,
        server_id,
        snapshot: None,
    }
}

async fn commit(
    reader: &mut Reader,
    state: &mut State,
    log_pos: u64,
    ts_ms: i64,
    server_id: u32,
) -> Result<(), ConnectorError> {
    let Some(txn) = state.txn.take() else {
        return Ok(());
    };
    if let Some(add) = txn.gtid_add {
        state.gtid_add(add);
    }
    state.skip_events = 0;
    state.skip_rows = 0;
    state.thread = None;
    state.query = None;
    state.restart = BinlogOffset {
        ts_sec: ts_ms / 1000,
        file: state.file.clone(),
        pos: log_pos,
        gtids: state.gtids_text(),
        event: 0,
        row: 0,
        server_id,
        snapshot: None,
    };
    if reader.config.provide_transaction_metadata {
        let per: Vec<(String, i64)> = txn.per_table.into_iter().collect();
        let rec = reader.builder.transaction_record(
            &txn.id,
            Some((txn.total, &per)),
            ts_ms,
            state.restart.to_json(),
        );
        reader.emit(rec).await?;
    }
    Ok(())
}

async fn maybe_heartbeat(reader: &mut Reader, state: &mut State) -> Result<(), ConnectorError> {
    let interval = reader.config.heartbeat_interval_ms;
    if interval == 0 || state.txn.is_some() {
        return Ok(());
    }
    if state.last_heartbeat.elapsed() >= Duration::from_millis(interval) {
        state.last_heartbeat = Instant::now();
        let rec = reader.builder.heartbeat_record(state.restart.to_json());
        reader.emit(rec).await?;
    }
    Ok(())
}

async fn emit_truncate(
    reader: &mut Reader,
    id: &TableId,
    pos: &SourcePosition,
    offset: &BinlogOffset,
) -> Result<(), ConnectorError> {
    if reader.config.skips('t') || !reader.config.filters.table_included(id) {
        return Ok(());
    }
    let Some(schema) = reader.schema_of(id)? else {
        return Ok(());
    };
    let mut p = pos.clone();
    p.db = id.db.clone();
    p.table = Some(id.table.clone());
    let rec = reader.builder.change_record(
        &schema,
        Op::Truncate,
        None,
        None,
        &p,
        SnapshotMarker::Streaming,
        None,
        offset.to_json(),
    );
    reader.emit(rec).await
}

/// A rows event the schema history cannot account for, per inconsistent.schema.handling.mode.
fn on_inconsistent(reader: &Reader, message: String) -> Result<(), ConnectorError> {
    match reader.config.inconsistent_schema_mode {
        FailureMode::Fail => Err(ConnectorError::fatal(message)),
        FailureMode::Warn => {
            tracing::warn!(connector = %reader.config.connector_name, "{message}");
            Ok(())
        }
        FailureMode::Skip => Ok(()),
    }
}

/// The `source` values of row `row` of the rows event at `start_pos`.
fn row_position(
    state: &State,
    id: &TableId,
    ts_ms: i64,
    server_id: u32,
    start_pos: u64,
    row: u64,
) -> SourcePosition {
    SourcePosition {
        ts_ms,
        db: id.db.clone(),
        table: Some(id.table.clone()),
        server_id: server_id as i64,
        gtid: state.txn.as_ref().and_then(|t| t.gtid.clone()),
        file: state.file.clone(),
        pos: start_pos as i64,
        row: row as i32,
        thread: state.thread,
        query: state.query.clone(),
    }
}

fn convert_row(
    schema: &TableSchema,
    row: &super::rows::Image<'_>,
    reader: &Reader,
) -> Result<Row, types::TypeError> {
    let mut out = Vec::with_capacity(schema.table.columns.len());
    for (i, col) in schema.table.columns.iter().enumerate() {
        let v = match row.get(i).and_then(Option::as_ref) {
            Some(v) if schema.converts(i) => schema.map_value(
                i,
                value_or_null(
                    &schema.id,
                    types::convert_binlog(col, &schema.column_schemas[i], v, &reader.config.modes),
                ),
            ),
            _ => Value::Null,
        };
        out.push(v);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn handle_rows(
    reader: &mut Reader,
    state: &mut State,
    id: &TableId,
    rows: &RowsEventData<'_>,
    tme: &mysql_async::binlog::events::TableMapEvent<'_>,
    tme_columns: usize,
    start_pos: u64,
    ts_ms: i64,
    server_id: u32,
) -> Result<(), ConnectorError> {
    if !reader.config.filters.table_included(id) {
        state.skip_rows = 0;
        return Ok(());
    }
    let Some(schema) = reader.schema_of(id)? else {
        return on_inconsistent(reader, format!(
            "Encountered change event for table {id} whose schema isn't known to this connector. The schema history may be incomplete: restart with snapshot.mode=recovery to rebuild it, or set inconsistent.schema.handling.mode=warn to skip such events"
        ));
    };
    if schema.table.columns.len() != tme_columns {
        return on_inconsistent(reader, format!(
            "The binlog has {tme_columns} columns for {id} but the connector's schema has {}; the schema history is out of step with the server (restart with snapshot.mode=recovery)",
            schema.table.columns.len()
        ));
    }
    if let Some(lag) = &state.lag {
        let now_ms = super::events::now_ns() / 1_000_000;
        lag.store(
            (now_ms - ts_ms).max(0),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    let op = match rows {
        RowsEventData::WriteRowsEventV1(_) | RowsEventData::WriteRowsEvent(_) => Op::Create,
        RowsEventData::UpdateRowsEventV1(_)
        | RowsEventData::UpdateRowsEvent(_)
        | RowsEventData::PartialUpdateRowsEvent(_) => Op::Update,
        _ => Op::Delete,
    };
    if state.txn.is_none() {
        begin_txn(reader, state, start_pos, None, ts_ms).await?;
    }
    let decoded = match super::rows::decode(rows, tme) {
        Ok(rows) => rows,
        Err(e) => {
            on_failure(
                reader,
                &format!("could not decode the rows of {id}: {e}"),
                &state.file,
                start_pos,
            )?;
            Vec::new()
        }
    };
    let n = decoded.len() as u64;
    let event_index = state.txn.as_ref().map(|t| t.events).unwrap_or(0);
    let skip = std::mem::take(&mut state.skip_rows);
    // Nothing they are built from changes within the event: built once (the GTID set is
    // rendered here, not per row), then only the row and event numbers move.
    let base_pos = row_position(state, id, ts_ms, server_id, start_pos, 0);
    let base_off = txn_offset(state, event_index, 0, server_id);
    // Per row only the row (and event) numbers change: one position and one offset are
    // updated in place rather than cloned (with their strings) for every row.
    let mut pos = base_pos;
    let mut offset = base_off;
    let skipped_op = reader.config.skips(op.code().chars().next().unwrap_or('c'));
    for (i, (before, after)) in decoded.into_iter().enumerate() {
        let i = i as u64;
        if i < skip {
            continue;
        }
        let conv = |r: Option<super::rows::Image<'_>>| -> Result<Option<Row>, ConnectorError> {
            match r {
                Some(r) => convert_row(&schema, &r, reader)
                    .map(Some)
                    .map_err(|e| ConnectorError::fatal(format!("{id}: {e}"))),
                None => Ok(None),
            }
        };
        let before = match conv(before) {
            Ok(v) => v,
            Err(e) => {
                on_failure(reader, &e.to_string(), &state.file, start_pos)?;
                continue;
            }
        };
        let after = match conv(after) {
            Ok(v) => v,
            Err(e) => {
                on_failure(reader, &e.to_string(), &state.file, start_pos)?;
                continue;
            }
        };
        // Signals and incremental-snapshot windows (only with a signal table).
        if reader.config.filters.signal_table.is_some() {
            pos.row = i as i32;
            offset.event = event_index;
            offset.row = i;
            state
                .incremental
                .on_row(
                    reader,
                    id,
                    op,
                    before.as_ref(),
                    after.as_ref(),
                    &pos,
                    &offset,
                )
                .await?;
        }
        let (event, row) = if i + 1 == n {
            (event_index + 1, 0)
        } else {
            (event_index, i + 1)
        };
        offset.event = event;
        offset.row = row;
        state.restart.clone_from(&offset);
        if skipped_op {
            continue;
        }
        if op == Op::Update
            && reader.config.skip_messages_without_change
            && before.as_ref().map(|b| schema.value(b)) == after.as_ref().map(|a| schema.value(a))
        {
            continue;
        }
        pos.row = i as i32;
        let tx_block = |state: &mut State| -> Option<TxBlock> {
            if !reader.config.provide_transaction_metadata {
                return None;
            }
            let t = state.txn.as_mut()?;
            t.total += 1;
            let c = t.per_table.entry(id.to_string()).or_insert(0);
            *c += 1;
            Some(TxBlock {
                id: t.id.clone(),
                total_order: t.total,
                data_collection_order: *c,
            })
        };
        let json = offset.to_json();
        // An update that changes the key: (old key, new key).
        let new_key = match (&before, &after) {
            (Some(b), Some(a)) if op == Op::Update && schema.key_schema.is_some() => {
                let (old, new) = (schema.key(b), schema.key(a));
                (old != new).then_some((old, new))
            }
            _ => None,
        };
        if let Some((old_key, new_key)) = new_key {
            // Both images are there (the key was taken from them).
            let (Some(b), Some(a)) = (before, after) else {
                continue;
            };
            let tx = tx_block(state);
            let mut del = reader.builder.change_record(
                &schema,
                Op::Delete,
                Some(b),
                None,
                &pos,
                SnapshotMarker::Streaming,
                tx.as_ref(),
                json.clone(),
            );
            del.headers.push(key_header(
                "__debezium.newkey",
                schema.key_schema.clone(),
                new_key,
            ));
            let tomb = reader.builder.tombstone(&del);
            reader.emit(del).await?;
            if reader.config.tombstones_on_delete {
                reader.emit(tomb).await?;
            }
            let tx = tx_block(state);
            let mut create = reader.builder.change_record(
                &schema,
                Op::Create,
                None,
                Some(a),
                &pos,
                SnapshotMarker::Streaming,
                tx.as_ref(),
                json,
            );
            create.headers.push(key_header(
                "__debezium.oldkey",
                schema.key_schema.clone(),
                old_key,
            ));
            reader.emit(create).await?;
            continue;
        }
        let tx = tx_block(state);
        let rec = reader.builder.change_record(
            &schema,
            op,
            before,
            after,
            &pos,
            SnapshotMarker::Streaming,
            tx.as_ref(),
            json,
        );
        if op == Op::Delete && reader.config.tombstones_on_delete {
            let tomb = reader.builder.tombstone(&rec);
            reader.emit(rec).await?;
            reader.emit(tomb).await?;
        } else {
            reader.emit(rec).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigMap;
    use crate::connectors::mysql::config::{Flavor, MySqlConfig};
    use crate::connectors::mysql::history::SchemaHistory;
    use crate::connectors::mysql::reader::Msg;
    use crate::connectors::SourceRecord;
    use crate::runtime::tests::fake_kafka::MemoryKafka;
    use mysql_common::binlog::consts::BinlogVersion;
    use mysql_common::binlog::events::{FormatDescriptionEvent, GtidEvent, QueryEvent, XidEvent};
    use mysql_common::binlog::EventStreamReader;
    use mysql_common::proto::MySerialize;
    use tokio::sync::mpsc;

    const SID: [u8; 16] = [
        0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95,
        0x62,
    ];
    const UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    /// A row of the test table `t`: (id, name).
    type IdName<'a> = (i32, &'a str);

    /// A MySQL 8 binlog written event by event: header + body, positions tracked.
    struct Binlog {
        pos: u32,
        events: Vec<(u32, Vec<u8>)>,
    }

    impl Binlog {
        fn new() -> Binlog {
            let mut b = Binlog {
                pos: 4,
                events: Vec::new(),
            };
            let mut body = Vec::new();
            FormatDescriptionEvent::new(BinlogVersion::Version4)
                .with_server_version(b"8.0.36".to_vec())
                .serialize(&mut body);
            body.push(0); // checksum algorithm: off
            body.extend([0u8; 4]); // the format description always carries a checksum
            b.push(15, body);
            b
        }

        /// Appends an event; returns its start position.
        fn push(&mut self, kind: u8, body: Vec<u8>) -> u32 {
            let start = self.pos;
            let size = 19 + body.len() as u32;
            let end = start + size;
            let mut ev = Vec::new();
            ev.extend(1_705_314_700u32.to_le_bytes());
            ev.push(kind);
            ev.extend(223_344u32.to_le_bytes());
            ev.extend(size.to_le_bytes());
            ev.extend(end.to_le_bytes());
            ev.extend(0u16.to_le_bytes());
            ev.extend(body);
            self.events.push((start, ev));
            self.pos = end;
            start
        }

        fn gtid(&mut self, gno: u64) -> u32 {
            let mut body = Vec::new();
            GtidEvent::new(SID, gno).serialize(&mut body);
            self.push(GTID_EVENT, body)
        }

        fn query(&mut self, sql: &str) -> u32 {
            let mut body = Vec::new();
            QueryEvent::new(Vec::new(), b"inventory".to_vec())
                .with_thread_id(7)
                .with_query(sql.as_bytes().to_vec())
                .serialize(&mut body);
            self.push(QUERY_EVENT, body)
        }

        /// TABLE_MAP for inventory.t (id INT, name VARCHAR(20) utf8mb4), table id 42.
        fn table_map(&mut self) -> u32 {
            let mut b = Vec::new();
            b.extend(&42u64.to_le_bytes()[..6]);
            b.extend(1u16.to_le_bytes());
            for name in ["inventory", "t"] {
                b.push(name.len() as u8);
                b.extend(name.as_bytes());
                b.push(0);
            }
            b.push(2); // columns
            b.extend([3, 15]); // LONG, VARCHAR
            b.push(2); // metadata length
            b.extend(80u16.to_le_bytes()); // VARCHAR max bytes
            b.push(0b10); // null bitmap: name nullable
            self.push(19, b)
        }

        /// WRITE_ROWS v2 with (id, name) rows.
        fn write_rows(&mut self, rows: &[(i32, &str)]) -> u32 {
            let mut b = Vec::new();
            b.extend(&42u64.to_le_bytes()[..6]);
            b.extend(1u16.to_le_bytes()); // end of statement
            b.extend(2u16.to_le_bytes()); // no extra data
            b.push(2);
            b.push(0b11);
            for (id, name) in rows {
                b.push(0);
                b.extend(id.to_le_bytes());
                b.push(name.len() as u8);
                b.extend(name.as_bytes());
            }
            self.push(30, b)
        }

        /// UPDATE_ROWS v2 with (before, after) pairs of (id, name) rows.
        fn update_rows(&mut self, rows: &[(IdName, IdName)]) -> u32 {
            let mut b = Vec::new();
            b.extend(&42u64.to_le_bytes()[..6]);
            b.extend(1u16.to_le_bytes());
            b.extend(2u16.to_le_bytes());
            b.push(2);
            b.push(0b11); // columns in the before image
            b.push(0b11); // columns in the after image
            for (before, after) in rows {
                for (id, name) in [before, after] {
                    b.push(0);
                    b.extend(id.to_le_bytes());
                    b.push(name.len() as u8);
                    b.extend(name.as_bytes());
                }
            }
            self.push(31, b)
        }

        fn xid(&mut self) -> u32 {
            let mut body = Vec::new();
            XidEvent { xid: 9 }.serialize(&mut body);
            self.push(XID_EVENT, body)
        }
    }

    fn reader() -> (Reader, mpsc::Receiver<Msg>) {
        let mut m = ConfigMap::new();
        for (k, v) in [
            ("name", "c"),
            ("database.hostname", "h"),
            ("database.user", "u"),
            ("database.server.id", "1"),
            ("topic.prefix", "dbserver1"),
            ("schema.history.internal.kafka.topic", "hist"),
        ] {
            m.insert(k.into(), v.into());
        }
        let cfg = Arc::new(MySqlConfig::parse(Flavor::MySql, &m).unwrap());
        let kafka = Arc::new(MemoryKafka::new());
        let (tx, rx) = mpsc::channel(100);
        let mut r = Reader::new(cfg, SchemaHistory::new(kafka, "hist"), tx);
        r.tables
            .apply_ddl(
                "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, name VARCHAR(20))",
                Some("inventory"),
            )
            .unwrap();
        (r, rx)
    }

    async fn replay(log: &Binlog, from: BinlogOffset) -> (Vec<SourceRecord>, State) {
        let (mut reader, mut rx) = reader();
        let mut state = State::new(from, false, 16);
        state.resume();
        let mut esr = EventStreamReader::new(BinlogVersion::Version4);
        for (start, bytes) in &log.events {
            let ev = esr.read(&bytes[..]).unwrap().unwrap();
            // The stream starts at the restart position (the format description always comes).
            if (*start as u64) < state.restart.pos && ev.header().event_type_raw() != 15 {
                continue;
            }
            handle_event(&mut reader, &mut state, &ev, &esr)
                .await
                .unwrap();
        }
        drop(reader);
        let mut out = Vec::new();
        while let Ok(Msg::Record(r, _)) = rx.try_recv() {
            out.push(*r);
        }
        (out, state)
    }

    fn source(r: &SourceRecord) -> &crate::data::Struct {
        let Value::Struct(env) = &r.value else {
            panic!("envelope")
        };
        let Some(Value::Struct(s)) = env.get("source") else {
            panic!("source")
        };
        s
    }

    fn mysql_transaction() -> (Binlog, u32, u32) {
        let mut log = Binlog::new();
        let gtid_pos = log.gtid(5);
        log.query("BEGIN");
        log.table_map();
        let rows_pos = log.write_rows(&[(1, "a"), (2, "b")]);
        log.xid();
        (log, gtid_pos, rows_pos)
    }

    #[tokio::test]
    async fn a_rows_event_naming_no_column_fails_the_task_instead_of_looping() {
        let mut log = Binlog::new();
        log.gtid(5);
        log.query("BEGIN");
        log.table_map();
        // WRITE_ROWS v2 whose column bitmap names no column, followed by row bytes that no
        // image would consume.
        let mut b = Vec::new();
        b.extend(&42u64.to_le_bytes()[..6]);
        b.extend(1u16.to_le_bytes());
        b.extend(2u16.to_le_bytes());
        b.push(2);
        b.push(0b00);
        b.extend([0, 1, 0, 0, 0]);
        log.push(30, b);
        let (mut reader, _rx) = reader();
        let mut state = State::new(BinlogOffset::default(), false, 16);
        state.resume();
        let mut esr = EventStreamReader::new(BinlogVersion::Version4);
        let mut failure = None;
        for (_, bytes) in &log.events {
            let ev = esr.read(&bytes[..]).unwrap().unwrap();
            if let Err(e) = handle_event(&mut reader, &mut state, &ev, &esr).await {
                failure = Some(e.to_string());
                break;
            }
        }
        let failure = failure.expect("the event fails the task");
        assert!(
            failure.contains("could not decode the rows of") && failure.contains("no columns"),
            "{failure}"
        );
    }

    #[tokio::test]
    async fn mysql_gtid_transaction_gives_debezium_sources_and_offsets() {
        let (log, gtid_pos, rows_pos) = mysql_transaction();
        let start = BinlogOffset {
            file: "mysql-bin.000003".into(),
            pos: 4,
            gtids: Some(format!("{UUID}:1-4")),
            ..Default::default()
        };
        let (recs, state) = replay(&log, start).await;
        assert_eq!(recs.len(), 2);
        let s = source(&recs[0]);
        assert_eq!(s.get("gtid"), Some(&Value::String(format!("{UUID}:5"))));
        assert_eq!(s.get("thread"), Some(&Value::Int64(7)));
        assert_eq!(s.get("server_id"), Some(&Value::Int64(223_344)));
        assert_eq!(s.get("pos"), Some(&Value::Int64(rows_pos as i64)));
        assert_eq!(s.get("row"), Some(&Value::Int32(0)));
        assert_eq!(source(&recs[1]).get("row"), Some(&Value::Int32(1)));
        let off = |i: usize| {
            serde_json::Value::Object(recs[i].source_offset.clone().unwrap()).to_string()
        };
        assert_eq!(
            off(0),
            format!(
                r#"{{"ts_sec":1705314700,"file":"mysql-bin.000003","pos":{gtid_pos},"gtids":"{UUID}:1-4","event":2,"row":1,"server_id":223344}}"#
            )
        );
        assert_eq!(
            off(1),
            format!(
                r#"{{"ts_sec":1705314700,"file":"mysql-bin.000003","pos":{gtid_pos},"gtids":"{UUID}:1-4","event":3,"server_id":223344}}"#
            )
        );
        // After the XID: the next position, the GTID in the completed set.
        assert_eq!(state.restart.pos, log.pos as u64);
        assert_eq!(
            state.restart.gtids.as_deref(),
            Some(format!("{UUID}:1-5").as_str())
        );
        assert_eq!(state.restart.event, 0);
    }

    #[tokio::test]
    async fn a_key_change_is_a_delete_a_tombstone_and_a_create_with_key_headers() {
        let mut log = Binlog::new();
        log.gtid(5);
        log.query("BEGIN");
        log.table_map();
        log.update_rows(&[((1, "a"), (1, "b")), ((2, "c"), (7, "c"))]);
        log.xid();
        let start = BinlogOffset {
            file: "mysql-bin.000003".into(),
            pos: 4,
            ..Default::default()
        };
        let (recs, _) = replay(&log, start).await;
        let op = |r: &SourceRecord| match &r.value {
            Value::Struct(env) => env.get("op").cloned(),
            _ => None,
        };
        let id = |v: &Value| match v {
            Value::Struct(k) => k.get("id").cloned(),
            _ => None,
        };
        let ops: Vec<Option<Value>> = recs.iter().map(op).collect();
        let s = |c: &str| Some(Value::String(c.into()));
        assert_eq!(ops, vec![s("u"), s("d"), None, s("c")], "{recs:?}");
        // The plain update keeps its key and carries no key header.
        assert_eq!(id(&recs[0].key), Some(Value::Int32(1)));
        assert!(recs[0].headers.iter().all(|h| !h.key.ends_with("key")));
        // Delete of the old key, naming the new one; the tombstone; create naming the old.
        let header = |r: &SourceRecord, name: &str| {
            r.headers
                .iter()
                .find(|h| h.key == name)
                .map(|h| id(&h.value))
                .unwrap_or_else(|| panic!("no {name} header: {:?}", r.headers))
        };
        assert_eq!(id(&recs[1].key), Some(Value::Int32(2)));
        assert_eq!(header(&recs[1], "__debezium.newkey"), Some(Value::Int32(7)));
        assert_eq!(id(&recs[2].key), Some(Value::Int32(2)));
        assert_eq!(recs[2].value, Value::Null);
        assert_eq!(id(&recs[3].key), Some(Value::Int32(7)));
        assert_eq!(header(&recs[3], "__debezium.oldkey"), Some(Value::Int32(2)));
        let Value::Struct(env) = &recs[3].value else {
            panic!()
        };
        assert_eq!(env.get("before"), Some(&Value::Null));
        // Both halves carry the update's offset (the row after it).
        assert_eq!(recs[1].source_offset, recs[3].source_offset);
    }

    #[tokio::test]
    async fn restart_mid_transaction_skips_what_was_emitted() {
        let (log, _, _) = mysql_transaction();
        let start = BinlogOffset {
            file: "mysql-bin.000003".into(),
            pos: 4,
            gtids: Some(format!("{UUID}:1-4")),
            ..Default::default()
        };
        let (all, _) = replay(&log, start).await;
        // Resume from the first row's offset: only the second row comes again.
        let first = BinlogOffset::from_json(all[0].source_offset.as_ref().unwrap()).unwrap();
        let (again, state) = replay(&log, first).await;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].key, all[1].key);
        assert_eq!(
            state.restart.gtids.as_deref(),
            Some(format!("{UUID}:1-5").as_str())
        );
        // Resume from the last row's offset: nothing is emitted twice.
        let last = BinlogOffset::from_json(all[1].source_offset.as_ref().unwrap()).unwrap();
        let (none, _) = replay(&log, last).await;
        assert!(none.is_empty(), "{none:?}");
    }

    #[tokio::test]
    async fn ddl_in_a_query_event_changes_the_schema_for_later_rows() {
        let mut log = Binlog::new();
        log.gtid(5);
        log.query("ALTER TABLE t ADD COLUMN extra INT NULL");
        let (mut reader, _rx) = reader();
        let mut state = State::new(
            BinlogOffset {
                file: "f.000001".into(),
                pos: 4,
                ..Default::default()
            },
            false,
            16,
        );
        state.resume();
        let mut esr = EventStreamReader::new(BinlogVersion::Version4);
        for (_, bytes) in &log.events {
            let ev = esr.read(&bytes[..]).unwrap().unwrap();
            handle_event(&mut reader, &mut state, &ev, &esr)
                .await
                .unwrap();
        }
        let t = reader.tables.get(&TableId::new("inventory", "t")).unwrap();
        assert_eq!(t.columns.len(), 3);
        // The standalone DDL completed its GTID.
        assert_eq!(
            state.restart.gtids.as_deref(),
            Some(format!("{UUID}:5").as_str())
        );
    }

    #[test]
    fn file_names_lose_trailing_checksum_bytes() {
        assert_eq!(clean_file_name("mysql-bin.000001"), "mysql-bin.000001");
        let mut raw = b"mysql-bin.000001".to_vec();
        raw.extend([0xe8, b'r', 0x9c, b'1']);
        assert_eq!(
            clean_file_name(&String::from_utf8_lossy(&raw)),
            "mysql-bin.000001"
        );
    }
}
