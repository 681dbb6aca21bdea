//! Debezium's MySQL and MariaDB connectors (io.debezium.connector.mysql.MySqlConnector,
//! io.debezium.connector.mariadb.MariaDbConnector): a consistent snapshot, then the binlog,
//! producing the topics, keys, values and offsets Debezium produces (debezium.md §1-7).
//!
//! Layout: `config` (settings), `model` + `ddl` (table definitions from DDL), `types` (column →
//! Connect schema and value), `events` (records), `offsets` / `gtid` (positions), `history`
//! (schema history topic), `reader` (shared state and queue), `snapshot`, `streaming`.

pub mod config;
pub mod ddl;
pub mod events;
pub mod gtid;
pub mod history;
pub mod history_json;
pub mod incremental;
pub mod model;
pub mod offsets;
pub mod reader;
pub mod rows;
pub mod snapshot;
pub mod streaming;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use serde_json::{Map as JsonMap, Value as Json};
use tokio::sync::mpsc;

use crate::config::{ConfigDef, ConfigMap, ConfigValue};
use crate::connectors::{
    Connector, ConnectorContext, ConnectorError, ConnectorPlugin, PluginFactory, SourceConnector,
    SourceRecord, SourceTask, SourceTaskContext,
};

use config::{Flavor, MySqlConfig, SnapshotMode};
use history::SchemaHistory;
use offsets::BinlogOffset;
use reader::{connect, db_error, global_variable, Msg, Reader};

pub const MYSQL_PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "io.debezium.connector.mysql.MySqlConnector",
    task_class: "io.debezium.connector.mysql.MySqlConnectorTask",
    version: events::DEBEZIUM_VERSION,
    factory: PluginFactory::Source {
        connector: || Box::new(MySqlConnector::new(Flavor::MySql)),
        task: || Box::new(MySqlSourceTask::new(Flavor::MySql)),
    },
};

pub const MARIADB_PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "io.debezium.connector.mariadb.MariaDbConnector",
    task_class: "io.debezium.connector.mariadb.MariaDbConnectorTask",
    version: events::DEBEZIUM_VERSION,
    factory: PluginFactory::Source {
        connector: || Box::new(MySqlConnector::new(Flavor::MariaDb)),
        task: || Box::new(MySqlSourceTask::new(Flavor::MariaDb)),
    },
};

pub struct MySqlConnector {
    flavor: Flavor,
    props: ConfigMap,
}

impl MySqlConnector {
    pub fn new(flavor: Flavor) -> MySqlConnector {
        MySqlConnector {
            flavor,
            props: ConfigMap::new(),
        }
    }
}

#[async_trait::async_trait]
impl Connector for MySqlConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def(self.flavor)
    }

    /// Per-field checks, plus the cross-field rules of the typed config reported on the key
    /// they name.
    async fn validate(&self, props: &ConfigMap) -> Vec<ConfigValue> {
        let (translated, _) = config::translate_legacy(props);
        let mut values = self.config_def().validate(&translated);
        if values.iter().all(|v| v.errors.is_empty()) {
            if let Err(ConnectorError::Config { key, message }) =
                MySqlConfig::parse(self.flavor, props)
            {
                if let Some(v) = values.iter_mut().find(|v| v.name == key) {
                    v.errors.push(message);
                }
            }
        }
        values
    }

    async fn start(
        &mut self,
        config: &ConfigMap,
        _ctx: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectorError> {
        let parsed = MySqlConfig::parse(self.flavor, config)?;
        for w in &parsed.warnings {
            tracing::warn!(connector = %parsed.connector_name, "{w}");
        }
        self.props = config.clone();
        Ok(())
    }

    /// The binlog is one stream: always a single task.
    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectorError> {
        Ok(vec![self.props.clone()])
    }
}

#[async_trait::async_trait]
impl SourceConnector for MySqlConnector {
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        offsets: &[(JsonMap<String, Json>, Option<JsonMap<String, Json>>)],
    ) -> Result<bool, ConnectorError> {
        for (partition, offset) in offsets {
            if !partition.contains_key("server") {
                return Err(ConnectorError::fatal(
                    "Partition objects should contain the key 'server' (the topic.prefix)",
                ));
            }
            if let Some(o) = offset {
                BinlogOffset::from_json(o).map_err(ConnectorError::fatal)?;
            }
        }
        Ok(true)
    }
}

/// Upper bounds on records queued between the binlog reader and poll(), and per poll.
const MAX_QUEUED: usize = 1024;
const MAX_BATCH: usize = 256;

pub struct MySqlSourceTask {
    flavor: Flavor,
    rx: Option<mpsc::Receiver<Msg>>,
    handle: Option<crate::runtime::dedicated::DedicatedTask>,
    max_batch: usize,
    poll_wait: Duration,
    /// The memory-pool bytes of the last batch handed over, released at the next poll (when the
    /// runtime has converted and produced it).
    held: crate::runtime::memory::Reservation,
}

impl MySqlSourceTask {
    pub fn new(flavor: Flavor) -> MySqlSourceTask {
        MySqlSourceTask {
            flavor,
            rx: None,
            handle: None,
            max_batch: MAX_BATCH,
            poll_wait: Duration::from_millis(500),
            held: Default::default(),
        }
    }
}

#[async_trait::async_trait]
impl SourceTask for MySqlSourceTask {
    async fn start(
        &mut self,
        config: &ConfigMap,
        context: SourceTaskContext,
    ) -> Result<(), ConnectorError> {
        let cfg = Arc::new(MySqlConfig::parse(self.flavor, config)?);
        let Some(kafka) = context.kafka.clone() else {
            return Err(ConnectorError::fatal(
                "the MySQL connector needs Kafka access for its schema history topic",
            ));
        };
        let history = SchemaHistory::new(kafka, &cfg.history_topic);
        let offset = context
            .offsets
            .offset(&offsets::partition(&cfg.topic_prefix));
        // Records wait here as Connect values (several KB each with their schemas): the queue
        // and the batch handed to the runtime are capped so a catch-up stays within a few tens
        // of MB whatever max.queue.size / max.batch.size say.
        let (tx, rx) = mpsc::channel(cfg.max_queue_size.min(MAX_QUEUED));
        self.max_batch = cfg.max_batch_size.min(MAX_BATCH);
        self.poll_wait = Duration::from_millis(cfg.poll_interval_ms.clamp(1, 1000));
        let task_cfg = cfg.clone();
        // The binlog reader gets a thread of its own, so it decodes while the worker converts.
        let reader = async move {
            let failed = tx.clone();
            if let Err(e) = run_reader(task_cfg.clone(), history, tx, offset).await {
                tracing::error!(connector = %task_cfg.connector_name, "MySQL connector stopped: {e}");
                let _ = failed.send(Msg::Failed(e)).await;
            }
        };
        let name = format!("{}-reader", cfg.connector_name);
        let handle =
            crate::runtime::dedicated::DedicatedTask::spawn(&name, reader).map_err(|e| {
                ConnectorError::fatal(format!("cannot start the binlog reader thread: {e}"))
            })?;
        self.handle = Some(handle);
        self.rx = Some(rx);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectorError> {
        self.held = Default::default();
        let Some(rx) = self.rx.as_mut() else {
            return Ok(Vec::new());
        };
        let first = match tokio::time::timeout(self.poll_wait, rx.recv()).await {
            Ok(Some(m)) => m,
            Ok(None) | Err(_) => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Msg::Record(r, held) => {
                    out.push(*r);
                    self.held.merge(held);
                }
                Msg::Failed(e) => {
                    if out.is_empty() {
                        self.rx = None;
                        return Err(e);
                    }
                    // Hand over what was read first; the error comes with the next poll.
                    let (tx, rx2) = mpsc::channel(1);
                    let _ = tx.try_send(Msg::Failed(e));
                    self.rx = Some(rx2);
                    return Ok(out);
                }
            }
            if out.len() >= self.max_batch {
                break;
            }
            next = rx.try_recv().ok();
        }
        Ok(out)
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        // Closing the queue stops the reader at its next record or idle tick.
        self.rx = None;
        self.held = Default::default();
        if let Some(h) = self.handle.take() {
            if tokio::time::timeout(Duration::from_secs(5), async {
                while !h.is_finished() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await
            .is_err()
            {
                h.abort();
            }
        }
        Ok(())
    }
}

/// Checks the server settings streaming needs, with the fix in each message.
async fn check_server(
    conn: &mut mysql_async::Conn,
    cfg: &MySqlConfig,
) -> Result<(), ConnectorError> {
    let log_bin = global_variable(conn, cfg, "log_bin").await?;
    if !log_bin.is_some_and(|v| v.eq_ignore_ascii_case("ON") || v == "1") {
        return Err(ConnectorError::fatal(
            "The MySQL server is not configured to use a binlog (log_bin is OFF); enable binary logging (log_bin) on the server",
        ));
    }
    let format = global_variable(conn, cfg, "binlog_format")
        .await?
        .unwrap_or_default();
    if !format.eq_ignore_ascii_case("ROW") {
        return Err(ConnectorError::fatal(format!(
            "The MySQL server is not configured to use a ROW binlog_format, which is required for this connector to work properly: binlog_format is {format}; set binlog_format=ROW"
        )));
    }
    let image = global_variable(conn, cfg, "binlog_row_image").await?;
    if let Some(image) = image {
        if !image.eq_ignore_ascii_case("FULL") {
            return Err(ConnectorError::fatal(format!(
                "The MySQL server is not configured to use a FULL binlog_row_image, which is required for this connector to work properly: binlog_row_image is {image}; set binlog_row_image=FULL"
            )));
        }
    }
    Ok(())
}

/// Binlog files the server still has.
async fn binlog_files(
    conn: &mut mysql_async::Conn,
    cfg: &MySqlConfig,
) -> Result<Vec<String>, ConnectorError> {
    let rows: Vec<mysql_async::Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(|e| db_error(cfg, "SHOW BINARY LOGS", &e))?;
    Ok(rows.iter().filter_map(|r| r.get::<String, _>(0)).collect())
}

async fn run_reader(
    cfg: Arc<MySqlConfig>,
    history: SchemaHistory,
    tx: mpsc::Sender<Msg>,
    stored: Option<JsonMap<String, Json>>,
) -> Result<(), ConnectorError> {
    let mut reader = Reader::new(cfg.clone(), history, tx);
    let mut conn = connect(&cfg).await?;
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|e| db_error(&cfg, "SELECT VERSION()", &e))?;
    let version = version.unwrap_or_default();
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    if mariadb != (cfg.flavor == Flavor::MariaDb) {
        tracing::warn!(
            connector = %cfg.connector_name,
            "server version {version}: use io.debezium.connector.{} for this server",
            if mariadb { "mariadb.MariaDbConnector" } else { "mysql.MySqlConnector" }
        );
    }
    let streams = cfg.snapshot_mode != SnapshotMode::InitialOnly;
    if streams {
        check_server(&mut conn, &cfg).await?;
    }
    reader
        .history
        .ensure_topic()
        .await
        .map_err(|e| ConnectorError::Retriable(e.to_string()))?;
    let stored = match stored {
        Some(o) => Some(BinlogOffset::from_json(&o).map_err(|e| {
            ConnectorError::fatal(format!(
                "the stored offset of {} is not a binlog offset ({e}); reset the connector's offsets",
                cfg.connector_name
            ))
        })?),
        None => None,
    };
    let mode = cfg.snapshot_mode;
    let start = match stored {
        None if mode == SnapshotMode::Never => {
            let files = binlog_files(&mut conn, &cfg).await?;
            BinlogOffset {
                file: files.first().cloned().unwrap_or_default(),
                pos: 4,
                ..Default::default()
            }
        }
        None => {
            snapshot::run(
                &mut reader,
                &mut conn,
                mariadb,
                mode.includes_data(),
                true,
                None,
            )
            .await?
        }
        Some(o) if o.snapshot_in_progress() && mode.includes_data() => {
            tracing::info!(connector = %cfg.connector_name, "the previous snapshot did not complete; starting it again");
            snapshot::run(&mut reader, &mut conn, mariadb, true, true, None).await?
        }
        Some(_) if mode == SnapshotMode::Always => {
            snapshot::run(&mut reader, &mut conn, mariadb, true, true, None).await?
        }
        Some(o) if mode == SnapshotMode::Recovery => {
            tracing::info!(connector = %cfg.connector_name, "snapshot.mode=recovery: rebuilding the schema history from the current table definitions");
            snapshot::run(&mut reader, &mut conn, mariadb, false, false, Some(&o)).await?;
            o
        }
        Some(o) => {
            let purged = !binlog_files(&mut conn, &cfg).await?.contains(&o.file);
            if purged && mode == SnapshotMode::WhenNeeded {
                tracing::warn!(connector = %cfg.connector_name, "binlog {} is no longer on the server; snapshot.mode=when_needed: taking a new snapshot", o.file);
                snapshot::run(&mut reader, &mut conn, mariadb, true, true, None).await?
            } else if purged {
                return Err(ConnectorError::fatal(format!(
                    "The connector is trying to read binlog starting at {}:{}, but this is no longer available on the server. Reconfigure the connector to use a snapshot when needed (snapshot.mode=when_needed) or delete its offsets to take a new snapshot",
                    o.file, o.pos
                )));
            } else {
                let has_history = reader
                    .history
                    .exists_with_data()
                    .await
                    .map_err(|e| ConnectorError::Retriable(e.to_string()))?;
                if !has_history {
                    return Err(ConnectorError::fatal(format!(
                        "The db history topic '{}' is missing or empty although the connector has offsets. Set snapshot.mode=recovery once to rebuild it from the current table definitions, or delete the connector's offsets to take a new snapshot",
                        cfg.history_topic
                    )));
                }
                let partition = offsets::partition(&cfg.topic_prefix);
                let mut tables = std::mem::take(&mut reader.tables);
                let applied = reader
                    .history
                    .recover(&partition, &o, &mut tables)
                    .await
                    .map_err(|e| ConnectorError::fatal(e.to_string()))?;
                reader.tables = tables;
                tracing::info!(connector = %cfg.connector_name, "schema history: {applied} records replayed, {} tables known", reader.tables.tables.len());
                o
            }
        }
    };
    drop(conn);
    if !streams {
        tracing::info!(connector = %cfg.connector_name, "snapshot.mode=initial_only: snapshot done, not streaming");
        return Ok(());
    }
    streaming::run(&mut reader, start, mariadb).await
}
