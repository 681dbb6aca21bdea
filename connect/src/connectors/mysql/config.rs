//! The MySQL / MariaDB connector configuration (Debezium's BinlogConnectorConfig and its
//! MySQL / MariaDB subclasses): the ConfigDef shown by the REST API, and a typed config parsed and
//! validated once when the connector or task starts.

use crate::config::def::{ConfigKey, ConfigType, Default, Importance, Parsed, Validator, Width};
use crate::config::{ConfigDef, ConfigMap};
use crate::connectors::ConnectorError;
use crate::transforms::support::java_regex::JavaRegex;

use super::model::TableId;
use super::types::{BigintUnsignedMode, BinaryMode, DecimalMode, TimePrecisionMode, TypeModes};

/// MySQL or MariaDB: decides the `connector` name, the Source schema name and a few protocol
/// details (GTID format, replica capabilities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MySql,
    MariaDb,
}

impl Flavor {
    /// `source.connector`.
    pub fn connector_name(self) -> &'static str {
        match self {
            Flavor::MySql => "mysql",
            Flavor::MariaDb => "mariadb",
        }
    }

    /// The Java package of the connector's schemas (`io.debezium.connector.mysql`).
    pub fn package(self) -> &'static str {
        match self {
            Flavor::MySql => "io.debezium.connector.mysql",
            Flavor::MariaDb => "io.debezium.connector.mariadb",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    Initial,
    InitialOnly,
    WhenNeeded,
    NoData,
    Recovery,
    Never,
    Always,
}

impl SnapshotMode {
    fn parse(s: &str) -> Option<SnapshotMode> {
        Some(match s.to_ascii_lowercase().as_str() {
            "initial" => SnapshotMode::Initial,
            "initial_only" => SnapshotMode::InitialOnly,
            "when_needed" => SnapshotMode::WhenNeeded,
            "no_data" | "schema_only" => SnapshotMode::NoData,
            "recovery" | "schema_only_recovery" => SnapshotMode::Recovery,
            "never" => SnapshotMode::Never,
            "always" => SnapshotMode::Always,
            _ => return None,
        })
    }

    /// Whether the mode reads table data at all.
    pub fn includes_data(self) -> bool {
        matches!(
            self,
            SnapshotMode::Initial
                | SnapshotMode::InitialOnly
                | SnapshotMode::WhenNeeded
                | SnapshotMode::Always
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockingMode {
    Minimal,
    Extended,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    Fail,
    Warn,
    Skip,
}

impl FailureMode {
    fn parse(s: &str) -> Option<FailureMode> {
        Some(match s.to_ascii_lowercase().as_str() {
            "fail" => FailureMode::Fail,
            "warn" => FailureMode::Warn,
            "skip" | "ignore" => FailureMode::Skip,
            _ => return None,
        })
    }
}

/// Comma-separated, anchored, case-insensitive regexes (Debezium's filter lists).
#[derive(Debug, Clone, Default)]
pub struct RegexList(Vec<JavaRegex>);

impl RegexList {
    pub fn parse(key: &str, raw: Option<&str>) -> Result<RegexList, ConnectorError> {
        let mut out = Vec::new();
        let Some(raw) = raw else {
            return Ok(RegexList(out));
        };
        for item in split_escaped_commas(raw) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let re = JavaRegex::compile(&format!("(?i){item}")).map_err(|e| {
                ConnectorError::config(
                    key,
                    format!("Invalid regular expression '{item}' in {key}: {e}"),
                )
            })?;
            out.push(re);
        }
        Ok(RegexList(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn any_match(&self, text: &str) -> bool {
        self.0.iter().any(|r| r.matches(text))
    }
}

/// Splits on commas not preceded by a backslash (`\,` is a literal comma inside a regex).
fn split_escaped_commas(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&',') {
            cur.push(',');
            chars.next();
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Include / exclude filters for databases, tables and columns.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub db_include: RegexList,
    pub db_exclude: RegexList,
    pub table_include: RegexList,
    pub table_exclude: RegexList,
    pub column_include: RegexList,
    pub column_exclude: RegexList,
    pub ignore_builtin: bool,
    /// `signal.data.collection`, always captured.
    pub signal_table: Option<String>,
}

const BUILTIN_DBS: &[&str] = &["mysql", "sys", "performance_schema", "information_schema"];

impl Filters {
    pub fn database_included(&self, db: &str) -> bool {
        if self.ignore_builtin && BUILTIN_DBS.iter().any(|b| b.eq_ignore_ascii_case(db)) {
            return false;
        }
        if !self.db_include.is_empty() {
            return self.db_include.any_match(db);
        }
        !self.db_exclude.any_match(db)
    }

    /// Whether changes of the table are captured (published as data events).
    pub fn table_included(&self, id: &TableId) -> bool {
        let name = id.to_string();
        if self.signal_table.as_deref() == Some(name.as_str()) {
            return true;
        }
        if !self.database_included(&id.db) {
            return false;
        }
        if !self.table_include.is_empty() {
            return self.table_include.any_match(&name);
        }
        !self.table_exclude.any_match(&name)
    }

    pub fn column_included(&self, id: &TableId, column: &str) -> bool {
        let name = format!("{}.{}.{}", id.db, id.table, column);
        if !self.column_include.is_empty() {
            return self.column_include.any_match(&name);
        }
        !self.column_exclude.any_match(&name)
    }
}

/// The parsed connector config.
#[derive(Debug, Clone)]
pub struct MySqlConfig {
    pub flavor: Flavor,
    pub connector_name: String,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub server_id: u32,
    pub topic_prefix: String,
    pub filters: Filters,
    pub snapshot_mode: SnapshotMode,
    pub locking_mode: LockingMode,
    pub snapshot_fetch_size: Option<u32>,
    pub snapshot_lock_timeout_ms: u64,
    pub include_schema_changes: bool,
    pub tombstones_on_delete: bool,
    /// Operations not published (`c`, `u`, `d`, `t`).
    pub skipped_operations: Vec<char>,
    pub provide_transaction_metadata: bool,
    pub modes: TypeModes,
    pub history_topic: String,
    pub skip_unparseable_ddl: bool,
    pub store_only_captured_tables_ddl: bool,
    pub heartbeat_interval_ms: u64,
    pub heartbeat_topic_prefix: String,
    pub max_batch_size: usize,
    pub max_queue_size: usize,
    pub poll_interval_ms: u64,
    pub failure_mode: FailureMode,
    pub inconsistent_schema_mode: FailureMode,
    pub include_query: bool,
    pub connect_timeout_ms: u64,
    pub keep_alive_interval_ms: u64,
    pub initial_statements: Vec<String>,
    pub extended_headers: bool,
    pub skip_messages_without_change: bool,
    pub topic_delimiter: String,
    pub transaction_topic: String,
    /// `message.key.columns`: (table regex `db.table`, key columns).
    pub message_key_columns: Vec<(JavaRegex, Vec<String>)>,
    pub incremental_chunk_size: usize,
    /// `column.mask.with.<N>.chars` / `column.truncate.to.<N>.chars`, in config order.
    pub column_mappers: Vec<(ColumnMapper, RegexList)>,
    /// Legacy keys that were translated, for start-up warnings.
    pub warnings: Vec<String>,
}

/// A column-level value mapper (debezium.md §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnMapper {
    /// String values replaced by N `*` characters.
    Mask(usize),
    /// String values cut to at most N characters.
    Truncate(usize),
}

impl ColumnMapper {
    pub fn apply(self, s: &str) -> String {
        match self {
            ColumnMapper::Mask(n) => "*".repeat(n),
            ColumnMapper::Truncate(n) => s.chars().take(n).collect(),
        }
    }
}

/// Finds `column.mask.with.<N>.chars` and `column.truncate.to.<N>.chars` keys.
fn column_mappers(config: &ConfigMap) -> Result<Vec<(ColumnMapper, RegexList)>, ConnectorError> {
    let mut out = Vec::new();
    for (key, value) in config {
        let (kind, rest) = if let Some(r) = key.strip_prefix("column.mask.with.") {
            ("mask", r)
        } else if let Some(r) = key.strip_prefix("column.truncate.to.") {
            ("truncate", r)
        } else {
            continue;
        };
        let Some(n) = rest
            .strip_suffix(".chars")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return Err(ConnectorError::config(
                key,
                format!("Invalid configuration key {key}: expected column.mask.with.<N>.chars or column.truncate.to.<N>.chars with a non-negative number N"),
            ));
        };
        let mapper = if kind == "mask" {
            ColumnMapper::Mask(n)
        } else {
            ColumnMapper::Truncate(n)
        };
        out.push((mapper, RegexList::parse(key, Some(value))?));
    }
    Ok(out)
}

/// Legacy (pre-2.0) names users still paste, and their current names.
const LEGACY_KEYS: &[(&str, &str)] = &[
    ("database.server.name", "topic.prefix"),
    (
        "database.history.kafka.topic",
        "schema.history.internal.kafka.topic",
    ),
    (
        "database.history.kafka.bootstrap.servers",
        "schema.history.internal.kafka.bootstrap.servers",
    ),
    (
        "database.history.skip.unparseable.ddl",
        "schema.history.internal.skip.unparseable.ddl",
    ),
    (
        "database.history.store.only.captured.tables.ddl",
        "schema.history.internal.store.only.captured.tables.ddl",
    ),
    ("database.whitelist", "database.include.list"),
    ("database.blacklist", "database.exclude.list"),
    ("table.whitelist", "table.include.list"),
    ("table.blacklist", "table.exclude.list"),
    ("column.whitelist", "column.include.list"),
    ("column.blacklist", "column.exclude.list"),
];

/// Copies legacy keys to their current names (when the current one is unset) and returns the
/// config to parse plus one warning per translated key.
pub fn translate_legacy(config: &ConfigMap) -> (ConfigMap, Vec<String>) {
    let mut out = config.clone();
    let mut warnings = Vec::new();
    for (old, new) in LEGACY_KEYS {
        if let Some(v) = config.get(*old) {
            if !config.contains_key(*new) {
                out.insert(new.to_string(), v.clone());
                warnings.push(format!(
                    "'{old}' is a legacy Debezium setting; use '{new}' instead (the value was applied to '{new}')"
                ));
            } else {
                warnings.push(format!(
                    "'{old}' is a legacy Debezium setting and is ignored because '{new}' is set"
                ));
            }
        }
    }
    if config.contains_key("snapshot.minimal.locking")
        && !config.contains_key("snapshot.locking.mode")
    {
        let minimal = config
            .get("snapshot.minimal.locking")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        out.insert(
            "snapshot.locking.mode".into(),
            if minimal { "minimal" } else { "extended" }.into(),
        );
        warnings.push(
            "'snapshot.minimal.locking' is a legacy Debezium setting; use 'snapshot.locking.mode' instead".into(),
        );
    }
    (out, warnings)
}

fn k(
    name: &str,
    kind: ConfigType,
    default: Default,
    importance: Importance,
    doc: &str,
) -> ConfigKey {
    ConfigKey::new(name, kind, default, importance, doc)
}

fn one_of(values: &'static [&'static str]) -> Validator {
    Validator::OneOfIgnoreCase(values)
}

fn topic_prefix_valid(name: &str, v: &Parsed) -> Result<(), crate::config::ConfigError> {
    let s = v.as_str().unwrap_or("");
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(crate::config::ConfigError::invalid(
            name,
            s,
            "Topic prefix must be non-empty and contain only letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(())
}

fn server_id_valid(name: &str, v: &Parsed) -> Result<(), crate::config::ConfigError> {
    match v.as_i64() {
        Some(n) if n > 0 && n <= u32::MAX as i64 => Ok(()),
        _ => Err(crate::config::ConfigError::invalid(
            name,
            &v.render().unwrap_or_default(),
            "A positive server id below 2^32 is required; it must differ from every other replica of the server",
        )),
    }
}

/// The ConfigDef shown by `/connector-plugins/.../config` and used by validation.
pub fn config_def(flavor: Flavor) -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    let conn = "Connection";
    let mut n = 0;
    let mut g = |key: ConfigKey, group: &str| {
        n += 1;
        let display = key.name.clone();
        key.group(group, n, Width::Medium, &display)
    };
    let ssl_modes: &'static [&'static str] = match flavor {
        Flavor::MySql => &[
            "disabled",
            "preferred",
            "required",
            "verify_ca",
            "verify_identity",
        ],
        Flavor::MariaDb => &[
            "disable",
            "trust",
            "verify-ca",
            "verify-full",
            "disabled",
            "preferred",
            "required",
            "verify_ca",
            "verify_identity",
        ],
    };
    let ssl_default = match flavor {
        Flavor::MySql => "preferred",
        Flavor::MariaDb => "disable",
    };
    ConfigDef::new()
        .define(g(k("topic.prefix", String, Default::Required, High, "Topic prefix that identifies and provides a namespace for the particular database server/cluster is capturing changes. The topic prefix should be unique across all other connectors, since it is used as a prefix for all Kafka topic names that receive events emitted by this connector. Only alphanumeric characters, hyphens, dots and underscores must be accepted.").validator(Validator::Custom(topic_prefix_valid)), conn))
        .define(g(k("database.hostname", String, Default::Required, High, "Resolvable hostname or IP address of the database server.").validator(Validator::NonEmptyString), conn))
        .define(g(k("database.port", Int, Default::Value("3306"), High, "Port of the database server.").validator(Validator::Between(1, 65535)), conn))
        .define(g(k("database.user", String, Default::Required, High, "Name of the database user to be used when connecting to the database."), conn))
        .define(g(k("database.password", Password, Default::Null, High, "Password of the database user to be used when connecting to the database."), conn))
        .define(g(k("database.server.id", Long, Default::Required, High, "A numeric ID of this database client, which must be unique across all currently-running database processes in the cluster. This connector joins the database cluster as another server (with this unique ID) so it can read the binlog.").validator(Validator::Custom(server_id_valid)), conn))
        .define(g(k("database.ssl.mode", String, Default::Value(ssl_default), Medium, "Whether to use an encrypted connection to the database.").validator(one_of(ssl_modes)), conn))
        .define(g(k("database.initial.statements", String, Default::Null, Low, "A semicolon separated list of SQL statements to be executed when a JDBC connection (not binlog reading connection) to the database is established. Use doubled semicolon (';;') to use a semicolon as a character and not as a delimiter."), conn))
        .define(g(k("connect.timeout.ms", Long, Default::Value("30000"), Medium, "Maximum time to wait after trying to connect to the database before timing out, given in milliseconds.").validator(Validator::AtLeast(1)), conn))
        .define(g(k("connect.keep.alive.interval.ms", Long, Default::Value("60000"), Low, "Interval for connection checking if keep alive thread is used, given in milliseconds.").validator(Validator::AtLeast(1)), conn))
        .define(g(k("database.include.list", List, Default::Null, High, "The databases for which changes are to be captured"), "Filters"))
        .define(g(k("database.exclude.list", List, Default::Null, High, "A comma-separated list of regular expressions that match database names to be excluded from monitoring"), "Filters"))
        .define(g(k("table.include.list", List, Default::Null, High, "The tables for which changes are to be captured"), "Filters"))
        .define(g(k("table.exclude.list", List, Default::Null, High, "A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring"), "Filters"))
        .define(g(k("column.include.list", List, Default::Null, Medium, "Regular expressions matching columns to include in change events"), "Filters"))
        .define(g(k("column.exclude.list", List, Default::Null, Medium, "Regular expressions matching columns to exclude from change events"), "Filters"))
        .define(g(k("table.ignore.builtin", Boolean, Default::Value("true"), Low, "Flag specifying whether built-in tables should be ignored."), "Filters"))
        .define(g(k("message.key.columns", String, Default::Null, Medium, "A semicolon-separated list of expressions that match fully-qualified tables and column(s) to be used as message key. Each expression must match the pattern '<fully-qualified table name>:<key columns>', where the table names could be defined as (DB_NAME.TABLE_NAME) or (SCHEMA_NAME.TABLE_NAME), depending on the specific connector, and the key columns are a comma-separated list of columns representing the custom key."), "Filters"))
        .define(g(k("snapshot.mode", String, Default::Value("initial"), Low, "The criteria for running a snapshot upon startup of the connector. Select one of the following snapshot options: 'initial' (default), 'initial_only', 'when_needed', 'no_data', 'recovery', 'never', 'always'.").validator(one_of(&["initial", "initial_only", "when_needed", "no_data", "schema_only", "recovery", "schema_only_recovery", "never", "always"])), "Snapshot"))
        .define(g(k("snapshot.locking.mode", String, Default::Value("minimal"), Low, "Controls how long the connector holds onto the global read lock while it is performing a snapshot: 'minimal', 'extended' or 'none'.").validator(one_of(&["minimal", "extended", "none"])), "Snapshot"))
        .define(g(k("snapshot.lock.timeout.ms", Long, Default::Value("10000"), Low, "The maximum number of millis to wait for table locks at the beginning of a snapshot.").validator(Validator::AtLeast(0)), "Snapshot"))
        .define(g(k("snapshot.fetch.size", Int, Default::Null, Medium, "The maximum number of records that should be loaded into memory while performing a snapshot."), "Snapshot"))
        .define(g(k("include.schema.changes", Boolean, Default::Value("true"), Medium, "Whether the connector should publish changes in the database schema to a Kafka topic with the same name as the database server ID."), "Events"))
        .define(g(k("tombstones.on.delete", Boolean, Default::Value("true"), Medium, "Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false)."), "Events"))
        .define(g(k("skipped.operations", List, Default::Value("t"), Low, "The comma-separated list of operations to skip during streaming, defined as: 'c' for inserts/create; 'u' for updates; 'd' for deletes, 't' for truncates, and 'none' to indicate nothing skipped."), "Events"))
        .define(g(k("skip.messages.without.change", Boolean, Default::Value("false"), Low, "Enable to skip publishing messages when there is no change in included columns."), "Events"))
        .define(g(k("provide.transaction.metadata", Boolean, Default::Value("false"), Low, "Enables transaction metadata extraction together with event counting"), "Events"))
        .define(g(k("decimal.handling.mode", String, Default::Value("precise"), Medium, "Specify how DECIMAL and NUMERIC columns should be represented in change events: 'precise', 'string' or 'double'.").validator(one_of(&["precise", "string", "double"])), "Events"))
        .define(g(k("time.precision.mode", String, Default::Value("adaptive_time_microseconds"), Medium, "Time, date and timestamps can be represented with different kinds of precisions: 'adaptive_time_microseconds' or 'connect'.").validator(one_of(&["adaptive_time_microseconds", "connect"])), "Events"))
        .define(g(k("bigint.unsigned.handling.mode", String, Default::Value("long"), Medium, "Specify how BIGINT UNSIGNED columns should be represented in change events: 'precise' or 'long'.").validator(one_of(&["long", "precise"])), "Events"))
        .define(g(k("binary.handling.mode", String, Default::Value("bytes"), Low, "Specify how binary (blob, binary, etc.) columns should be represented in change events: 'bytes', 'base64', 'base64-url-safe' or 'hex'.").validator(one_of(&["bytes", "base64", "base64-url-safe", "hex"])), "Events"))
        .define(g(k("extended.headers.enabled", Boolean, Default::Value("true"), Low, "Enable/Disable extended headers (__debezium.context.*) on every record."), "Events"))
        .define(g(k("include.query", Boolean, Default::Value("false"), Low, "Whether the connector should include the original SQL query that generated the change event (needs binlog_rows_query_log_events / binlog_annotate_row_events on the server)."), "Events"))
        .define(g(k("event.processing.failure.handling.mode", String, Default::Value("fail"), Low, "Specify how failures during processing of events should be handled: 'fail', 'warn' or 'skip'.").validator(one_of(&["fail", "warn", "skip", "ignore"])), "Events"))
        .define(g(k("inconsistent.schema.handling.mode", String, Default::Value("fail"), Low, "Specify how binlog events that belong to a table missing from internal schema representation should be handled: 'fail', 'warn' or 'skip'.").validator(one_of(&["fail", "warn", "skip", "ignore"])), "Events"))
        .define(g(k("schema.history.internal.kafka.topic", String, Default::Null, High, "The name of the topic for the database schema history"), "History"))
        .define(g(k("schema.history.internal.kafka.bootstrap.servers", String, Default::Null, High, "A list of host/port pairs that the connector will use for establishing the initial connection to the Kafka cluster for retrieving database schema history previously stored by the connector. Sluice uses the worker's Kafka connection."), "History"))
        .define(g(k("schema.history.internal.skip.unparseable.ddl", Boolean, Default::Value("false"), Low, "Controls the action on unparseable DDL statements: true logs a warning and skips the statement, false fails the connector."), "History"))
        .define(g(k("schema.history.internal.store.only.captured.tables.ddl", Boolean, Default::Value("false"), Low, "Controls what DDL will be stored in the schema history: only captured tables (true) or all tables (false)."), "History"))
        .define(g(k("heartbeat.interval.ms", Int, Default::Value("0"), Medium, "Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages.").validator(Validator::AtLeast(0)), "Topics"))
        .define(g(k("topic.heartbeat.prefix", String, Default::Value("__debezium-heartbeat"), Low, "The prefix that is used to name heartbeat topics."), "Topics"))
        .define(g(k("topic.delimiter", String, Default::Value("."), Low, "Specify the delimiter for topic name."), "Topics"))
        .define(g(k("topic.transaction", String, Default::Value("transaction"), Low, "The name of the transaction metadata topic (after the prefix)."), "Topics"))
        .define(g(k("signal.data.collection", String, Default::Null, Low, "The name of the data collection that is used to send signals/commands to Debezium (db.table)."), "Signals"))
        .define(g(k("incremental.snapshot.chunk.size", Int, Default::Value("1024"), Medium, "The maximum size of chunk (number of documents/rows) for incremental snapshotting").validator(Validator::AtLeast(1)), "Signals"))
        .define(g(k("max.batch.size", Int, Default::Value("2048"), Medium, "Maximum size of each batch of source records.").validator(Validator::AtLeast(1)), "Performance"))
        .define(g(k("max.queue.size", Int, Default::Value("8192"), Medium, "Maximum size of the queue for change events read from the database log but not yet recorded or forwarded.").validator(Validator::AtLeast(1)), "Performance"))
        .define(g(k("poll.interval.ms", Long, Default::Value("500"), Medium, "Time to wait for new change events to appear after receiving no events, given in milliseconds.").validator(Validator::AtLeast(1)), "Performance"))
}

impl MySqlConfig {
    /// Parses and validates the connector config (legacy keys translated first).
    pub fn parse(flavor: Flavor, raw: &ConfigMap) -> Result<MySqlConfig, ConnectorError> {
        let (config, warnings) = translate_legacy(raw);
        let parsed = config_def(flavor).parse(&config)?;
        let s = |key: &str| parsed.get(key).and_then(|p| p.as_str()).map(str::to_string);
        let b = |key: &str| parsed.get(key).and_then(|p| p.as_bool()).unwrap_or(false);
        let i = |key: &str| parsed.get(key).and_then(|p| p.as_i64()).unwrap_or(0);
        let raw_of = |key: &str| config.get(key).map(String::as_str);

        let list_pair = |inc: &str, exc: &str| -> Result<(RegexList, RegexList), ConnectorError> {
            let a = RegexList::parse(inc, raw_of(inc))?;
            let b = RegexList::parse(exc, raw_of(exc))?;
            if !a.is_empty() && !b.is_empty() {
                return Err(ConnectorError::config(
                    exc,
                    format!(
                        "\"{inc}\" is already specified; set only one of \"{inc}\" and \"{exc}\""
                    ),
                ));
            }
            Ok((a, b))
        };
        let (db_include, db_exclude) = list_pair("database.include.list", "database.exclude.list")?;
        let (table_include, table_exclude) = list_pair("table.include.list", "table.exclude.list")?;
        let (column_include, column_exclude) =
            list_pair("column.include.list", "column.exclude.list")?;

        let snapshot_mode_raw = s("snapshot.mode").unwrap_or_else(|| "initial".into());
        let snapshot_mode = SnapshotMode::parse(&snapshot_mode_raw)
            .ok_or_else(|| ConnectorError::config("snapshot.mode", "unknown snapshot mode"))?;
        let mut warnings = warnings;
        if matches!(
            snapshot_mode_raw.as_str(),
            "schema_only" | "schema_only_recovery"
        ) {
            warnings.push(format!(
                "snapshot.mode '{snapshot_mode_raw}' is deprecated (removed in Debezium 3.3); use '{}'",
                if snapshot_mode_raw == "schema_only" { "no_data" } else { "recovery" }
            ));
        }
        let locking_mode = match s("snapshot.locking.mode")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "extended" => LockingMode::Extended,
            "none" => LockingMode::None,
            _ => LockingMode::Minimal,
        };
        let skipped = s("skipped.operations");
        let skipped_list = parsed
            .get("skipped.operations")
            .and_then(|p| p.as_list())
            .map(|l| l.to_vec())
            .unwrap_or_else(|| skipped.into_iter().collect());
        let mut skipped_operations = Vec::new();
        for op in skipped_list {
            let op = op.trim().to_ascii_lowercase();
            match op.as_str() {
                "none" | "" => {}
                "c" | "u" | "d" | "t" => skipped_operations.push(op.chars().next().unwrap_or('t')),
                other => {
                    return Err(ConnectorError::config(
                        "skipped.operations",
                        format!("Invalid value {other} for configuration skipped.operations: the operations are 'c', 'u', 'd', 't' or 'none'"),
                    ))
                }
            }
        }
        let history_topic = s("schema.history.internal.kafka.topic").unwrap_or_default();
        if history_topic.trim().is_empty() {
            return Err(ConnectorError::config(
                "schema.history.internal.kafka.topic",
                "The 'schema.history.internal.kafka.topic' value is invalid: A value is required (the topic that keeps the database schema history, e.g. schema-changes.inventory)",
            ));
        }
        let modes = TypeModes {
            decimal: DecimalMode::parse(&s("decimal.handling.mode").unwrap_or_default())
                .unwrap_or_default(),
            time: TimePrecisionMode::parse(&s("time.precision.mode").unwrap_or_default())
                .unwrap_or_default(),
            bigint_unsigned: BigintUnsignedMode::parse(
                &s("bigint.unsigned.handling.mode").unwrap_or_default(),
            )
            .unwrap_or_default(),
            binary: BinaryMode::parse(&s("binary.handling.mode").unwrap_or_default())
                .unwrap_or_default(),
        };
        let max_batch_size = i("max.batch.size").max(1) as usize;
        let max_queue_size = i("max.queue.size").max(1) as usize;
        if max_queue_size <= max_batch_size {
            return Err(ConnectorError::config(
                "max.queue.size",
                format!("Invalid value {max_queue_size} for configuration max.queue.size: must be larger than max.batch.size ({max_batch_size})"),
            ));
        }
        let mut message_key_columns = Vec::new();
        if let Some(spec) = s("message.key.columns") {
            for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let Some((table, cols)) = part.rsplit_once(':') else {
                    return Err(ConnectorError::config(
                        "message.key.columns",
                        format!("Invalid value {part} for configuration message.key.columns: expected '<db>.<table>:<column>[,<column>...]'"),
                    ));
                };
                let re = JavaRegex::compile(&format!("(?i){}", table.trim())).map_err(|e| {
                    ConnectorError::config(
                        "message.key.columns",
                        format!("Invalid table regex '{table}': {e}"),
                    )
                })?;
                let cols: Vec<String> = cols
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                message_key_columns.push((re, cols));
            }
        }
        let initial_statements = s("database.initial.statements")
            .map(|v| {
                v.replace(";;", "\u{0}")
                    .split(';')
                    .map(|st| st.replace('\u{0}', ";").trim().to_string())
                    .filter(|st| !st.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(MySqlConfig {
            flavor,
            connector_name: config.get("name").cloned().unwrap_or_default(),
            hostname: s("database.hostname").unwrap_or_default(),
            port: i("database.port") as u16,
            user: s("database.user").unwrap_or_default(),
            password: s("database.password").unwrap_or_default(),
            server_id: i("database.server.id") as u32,
            topic_prefix: s("topic.prefix").unwrap_or_default(),
            filters: Filters {
                db_include,
                db_exclude,
                table_include,
                table_exclude,
                column_include,
                column_exclude,
                ignore_builtin: b("table.ignore.builtin"),
                signal_table: s("signal.data.collection"),
            },
            snapshot_mode,
            locking_mode,
            snapshot_fetch_size: parsed
                .get("snapshot.fetch.size")
                .and_then(|p| p.as_i64())
                .map(|n| n.max(1) as u32),
            snapshot_lock_timeout_ms: i("snapshot.lock.timeout.ms") as u64,
            include_schema_changes: b("include.schema.changes"),
            tombstones_on_delete: b("tombstones.on.delete"),
            skipped_operations,
            provide_transaction_metadata: b("provide.transaction.metadata"),
            modes,
            history_topic,
            skip_unparseable_ddl: b("schema.history.internal.skip.unparseable.ddl"),
            store_only_captured_tables_ddl: b(
                "schema.history.internal.store.only.captured.tables.ddl",
            ),
            heartbeat_interval_ms: i("heartbeat.interval.ms") as u64,
            heartbeat_topic_prefix: s("topic.heartbeat.prefix").unwrap_or_default(),
            max_batch_size,
            max_queue_size,
            poll_interval_ms: i("poll.interval.ms") as u64,
            failure_mode: FailureMode::parse(
                &s("event.processing.failure.handling.mode").unwrap_or_default(),
            )
            .unwrap_or(FailureMode::Fail),
            inconsistent_schema_mode: FailureMode::parse(
                &s("inconsistent.schema.handling.mode").unwrap_or_default(),
            )
            .unwrap_or(FailureMode::Fail),
            include_query: b("include.query"),
            connect_timeout_ms: i("connect.timeout.ms") as u64,
            keep_alive_interval_ms: i("connect.keep.alive.interval.ms") as u64,
            initial_statements,
            extended_headers: b("extended.headers.enabled"),
            skip_messages_without_change: b("skip.messages.without.change"),
            topic_delimiter: s("topic.delimiter").unwrap_or_else(|| ".".into()),
            transaction_topic: s("topic.transaction").unwrap_or_else(|| "transaction".into()),
            message_key_columns,
            column_mappers: column_mappers(&config)?,
            incremental_chunk_size: i("incremental.snapshot.chunk.size").max(1) as usize,
            warnings,
        })
    }

    /// `<prefix>.<db>.<table>` with characters outside `[a-zA-Z0-9._-]` replaced by `_`.
    pub fn data_topic(&self, id: &TableId) -> String {
        let d = &self.topic_delimiter;
        sanitize_topic(&format!("{}{d}{}{d}{}", self.topic_prefix, id.db, id.table))
    }

    pub fn heartbeat_topic(&self) -> String {
        sanitize_topic(&format!(
            "{}{}{}",
            self.heartbeat_topic_prefix, self.topic_delimiter, self.topic_prefix
        ))
    }

    pub fn transaction_topic(&self) -> String {
        sanitize_topic(&format!(
            "{}{}{}",
            self.topic_prefix, self.topic_delimiter, self.transaction_topic
        ))
    }

    /// The custom key columns for a table (`message.key.columns`), if any.
    pub fn key_columns_for(&self, id: &TableId) -> Option<&[String]> {
        let name = id.to_string();
        self.message_key_columns
            .iter()
            .find(|(re, _)| re.matches(&name))
            .map(|(_, cols)| cols.as_slice())
    }

    /// The mapper configured for a column (`db.table.column`), if any.
    pub fn column_mapper(&self, id: &TableId, column: &str) -> Option<ColumnMapper> {
        let name = format!("{}.{}.{}", id.db, id.table, column);
        self.column_mappers
            .iter()
            .find(|(_, re)| re.any_match(&name))
            .map(|(m, _)| *m)
    }

    pub fn skips(&self, op: char) -> bool {
        self.skipped_operations.contains(&op)
    }
}

/// Debezium's topic name sanitizing: invalid characters become `_`, at most 249 characters.
pub fn sanitize_topic(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.truncate(249);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConfigMap {
        let mut m = ConfigMap::new();
        for (k, v) in [
            ("name", "inventory-connector"),
            (
                "connector.class",
                "io.debezium.connector.mysql.MySqlConnector",
            ),
            ("database.hostname", "mysql"),
            ("database.user", "debezium"),
            ("database.password", "dbz"),
            ("database.server.id", "184054"),
            ("topic.prefix", "dbserver1"),
            ("database.include.list", "inventory"),
            (
                "schema.history.internal.kafka.bootstrap.servers",
                "kafka:9092",
            ),
            (
                "schema.history.internal.kafka.topic",
                "schema-changes.inventory",
            ),
        ] {
            m.insert(k.into(), v.into());
        }
        m
    }

    #[test]
    fn appendix_a_config_is_accepted() {
        let c = MySqlConfig::parse(Flavor::MySql, &base()).unwrap();
        assert_eq!(c.port, 3306);
        assert_eq!(c.server_id, 184054);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert!(c.filters.database_included("inventory"));
        assert!(c.filters.database_included("INVENTORY"));
        assert!(!c.filters.database_included("inventory2"));
        assert!(!c.filters.database_included("mysql"));
        assert_eq!(c.skipped_operations, vec!['t']);
        assert_eq!(
            c.data_topic(&TableId::new("inventory", "customers")),
            "dbserver1.inventory.customers"
        );
        assert_eq!(c.heartbeat_topic(), "__debezium-heartbeat.dbserver1");
    }

    #[test]
    fn legacy_names_are_translated_with_a_warning() {
        let mut m = base();
        m.shift_remove("topic.prefix");
        m.shift_remove("schema.history.internal.kafka.topic");
        m.insert("database.server.name".into(), "legacy".into());
        m.insert("database.history.kafka.topic".into(), "hist".into());
        let c = MySqlConfig::parse(Flavor::MariaDb, &m).unwrap();
        assert_eq!(c.topic_prefix, "legacy");
        assert_eq!(c.history_topic, "hist");
        assert_eq!(c.warnings.len(), 2);
        assert!(
            c.warnings[0].contains("use 'topic.prefix'"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut m = base();
        m.insert("database.server.id".into(), "0".into());
        let e = MySqlConfig::parse(Flavor::MySql, &m).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Config { key, .. } if key == "database.server.id"),
            "{e:?}"
        );
        let mut m = base();
        m.insert("table.include.list".into(), "a.b".into());
        m.insert("table.exclude.list".into(), "a.c".into());
        let e = MySqlConfig::parse(Flavor::MySql, &m).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Config { key, .. } if key == "table.exclude.list"),
            "{e:?}"
        );
        let mut m = base();
        m.insert("snapshot.mode".into(), "sometimes".into());
        let e = MySqlConfig::parse(Flavor::MySql, &m).unwrap_err();
        assert!(
            matches!(&e, ConnectorError::Config { key, .. } if key == "snapshot.mode"),
            "{e:?}"
        );
        let mut m = base();
        m.shift_remove("schema.history.internal.kafka.topic");
        let e = MySqlConfig::parse(Flavor::MySql, &m).unwrap_err();
        assert!(
            e.to_string()
                .contains("schema.history.internal.kafka.topic"),
            "{e}"
        );
    }

    #[test]
    fn filters_are_anchored_and_case_insensitive() {
        let mut m = base();
        m.shift_remove("database.include.list");
        m.insert(
            "table.include.list".into(),
            "inventory\\.cust.*,other\\.t1".into(),
        );
        let c = MySqlConfig::parse(Flavor::MySql, &m).unwrap();
        assert!(c
            .filters
            .table_included(&TableId::new("inventory", "Customers")));
        assert!(!c
            .filters
            .table_included(&TableId::new("inventory", "orders")));
        assert!(c.filters.table_included(&TableId::new("other", "t1")));
        assert!(!c.filters.table_included(&TableId::new("other", "t10")));
        assert_eq!(split_escaped_commas("a\\,b,c"), vec!["a,b", "c"]);
    }

    #[test]
    fn column_mappers_mask_and_truncate() {
        let mut m = base();
        m.insert(
            "column.mask.with.3.chars".into(),
            "inventory\\.customers\\.email".into(),
        );
        m.insert(
            "column.truncate.to.2.chars".into(),
            "inventory\\.customers\\.name".into(),
        );
        let c = MySqlConfig::parse(Flavor::MySql, &m).unwrap();
        let id = TableId::new("inventory", "customers");
        assert_eq!(c.column_mapper(&id, "email").unwrap().apply("a@b.c"), "***");
        assert_eq!(
            c.column_mapper(&id, "name").unwrap().apply("홍길동"),
            "홍길"
        );
        assert!(c.column_mapper(&id, "id").is_none());
        m.insert("column.mask.with.x.chars".into(), "a".into());
        assert!(MySqlConfig::parse(Flavor::MySql, &m).is_err());
    }

    #[test]
    fn topic_names_are_sanitized() {
        assert_eq!(sanitize_topic("p.db.t$x y"), "p.db.t_x_y");
        assert_eq!(sanitize_topic("p.db.고객"), "p.db.__");
    }
}
