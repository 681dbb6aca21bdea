//! Topic-level configuration: the catalog of Kafka's topic configs (name, broker-level synonym,
//! default, type), validation of user-supplied values, and the typed [`LogConfig`] the log uses.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Long,
    Double,
    List,
}

impl ConfigType {
    /// DescribeConfigs config_type codes.
    pub fn code(self) -> i8 {
        match self {
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Long => 5,
            ConfigType::Double => 6,
            ConfigType::List => 7,
        }
    }
}

pub struct ConfigDef {
    pub name: &'static str,
    /// The broker property whose value becomes this topic config's default.
    pub broker_synonym: Option<&'static str>,
    pub default: &'static str,
    pub kind: ConfigType,
    pub allowed: &'static [&'static str],
    pub min: Option<f64>,
    pub doc: &'static str,
}

macro_rules! def {
    ($name:expr, $syn:expr, $default:expr, $kind:ident, $allowed:expr, $min:expr, $doc:expr) => {
        ConfigDef {
            name: $name,
            broker_synonym: $syn,
            default: $default,
            kind: ConfigType::$kind,
            allowed: $allowed,
            min: $min,
            doc: $doc,
        }
    };
}

const MAX_LONG: &str = "9223372036854775807";

/// Every topic config Kafka 3.9 describes, with its default.
pub static TOPIC_CONFIGS: &[ConfigDef] = &[
    def!(
        "cleanup.policy",
        Some("log.cleanup.policy"),
        "delete",
        List,
        &["delete", "compact"],
        None,
        "Retention policy for old segments: delete, compact or both."
    ),
    def!(
        "compression.type",
        Some("compression.type"),
        "producer",
        String,
        &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        None,
        "Final compression type; producer keeps the producer's codec."
    ),
    def!(
        "compression.gzip.level",
        Some("compression.gzip.level"),
        "-1",
        Int,
        &[],
        Some(-1.0),
        "gzip level when compression.type is gzip."
    ),
    def!(
        "compression.lz4.level",
        Some("compression.lz4.level"),
        "9",
        Int,
        &[],
        Some(1.0),
        "lz4 level when compression.type is lz4."
    ),
    def!(
        "compression.zstd.level",
        Some("compression.zstd.level"),
        "3",
        Int,
        &[],
        Some(-131072.0),
        "zstd level when compression.type is zstd."
    ),
    def!(
        "delete.retention.ms",
        Some("log.cleaner.delete.retention.ms"),
        "86400000",
        Long,
        &[],
        Some(0.0),
        "How long tombstones are kept on compacted topics."
    ),
    def!(
        "file.delete.delay.ms",
        Some("log.segment.delete.delay.ms"),
        "60000",
        Long,
        &[],
        Some(0.0),
        "Delay before deleting a file from the filesystem."
    ),
    def!(
        "flush.messages",
        Some("log.flush.interval.messages"),
        MAX_LONG,
        Long,
        &[],
        Some(1.0),
        "Force an fsync after this many messages."
    ),
    def!(
        "flush.ms",
        Some("log.flush.interval.ms"),
        MAX_LONG,
        Long,
        &[],
        Some(0.0),
        "Force an fsync after this much time."
    ),
    def!(
        "follower.replication.throttled.replicas",
        Some("follower.replication.throttled.replicas"),
        "",
        List,
        &[],
        None,
        "Replicas throttled on the follower side."
    ),
    def!(
        "index.interval.bytes",
        Some("log.index.interval.bytes"),
        "4096",
        Int,
        &[],
        Some(0.0),
        "Bytes between offset index entries."
    ),
    def!(
        "leader.replication.throttled.replicas",
        Some("leader.replication.throttled.replicas"),
        "",
        List,
        &[],
        None,
        "Replicas throttled on the leader side."
    ),
    def!(
        "local.retention.bytes",
        Some("log.local.retention.bytes"),
        "-2",
        Long,
        &[],
        Some(-2.0),
        "Local retention size when tiered storage is enabled."
    ),
    def!(
        "local.retention.ms",
        Some("log.local.retention.ms"),
        "-2",
        Long,
        &[],
        Some(-2.0),
        "Local retention time when tiered storage is enabled."
    ),
    def!(
        "max.compaction.lag.ms",
        Some("log.cleaner.max.compaction.lag.ms"),
        MAX_LONG,
        Long,
        &[],
        Some(1.0),
        "Maximum time a message stays ineligible for compaction."
    ),
    def!(
        "max.message.bytes",
        Some("message.max.bytes"),
        "1048588",
        Int,
        &[],
        Some(0.0),
        "Largest record batch size allowed."
    ),
    def!(
        "message.downconversion.enable",
        Some("log.message.downconversion.enable"),
        "true",
        Boolean,
        &[],
        None,
        "Whether down-conversion is enabled for consumers."
    ),
    def!(
        "message.format.version",
        Some("log.message.format.version"),
        "3.0-IV1",
        String,
        &[],
        None,
        "Deprecated; ignored with inter.broker.protocol.version 3.0 or higher."
    ),
    def!(
        "message.timestamp.after.max.ms",
        Some("log.message.timestamp.after.max.ms"),
        MAX_LONG,
        Long,
        &[],
        Some(0.0),
        "Allowed difference for timestamps in the future."
    ),
    def!(
        "message.timestamp.before.max.ms",
        Some("log.message.timestamp.before.max.ms"),
        MAX_LONG,
        Long,
        &[],
        Some(0.0),
        "Allowed difference for timestamps in the past."
    ),
    def!(
        "message.timestamp.difference.max.ms",
        Some("log.message.timestamp.difference.max.ms"),
        MAX_LONG,
        Long,
        &[],
        Some(0.0),
        "Deprecated; see message.timestamp.before/after.max.ms."
    ),
    def!(
        "message.timestamp.type",
        Some("log.message.timestamp.type"),
        "CreateTime",
        String,
        &["CreateTime", "LogAppendTime"],
        None,
        "Whether record timestamps are the producer's or the broker's."
    ),
    def!(
        "min.cleanable.dirty.ratio",
        Some("log.cleaner.min.cleanable.ratio"),
        "0.5",
        Double,
        &[],
        Some(0.0),
        "Dirty ratio that triggers compaction."
    ),
    def!(
        "min.compaction.lag.ms",
        Some("log.cleaner.min.compaction.lag.ms"),
        "0",
        Long,
        &[],
        Some(0.0),
        "Minimum time a message stays uncompacted."
    ),
    def!(
        "min.insync.replicas",
        Some("min.insync.replicas"),
        "1",
        Int,
        &[],
        Some(1.0),
        "Minimum in-sync replicas for acks=all."
    ),
    def!(
        "preallocate",
        Some("log.preallocate"),
        "false",
        Boolean,
        &[],
        None,
        "Preallocate segment files."
    ),
    def!(
        "remote.storage.enable",
        None,
        "false",
        Boolean,
        &[],
        None,
        "Tiered storage (not supported by Sluice)."
    ),
    def!(
        "retention.bytes",
        Some("log.retention.bytes"),
        "-1",
        Long,
        &[],
        None,
        "Maximum partition size before old segments are deleted; -1 for no limit."
    ),
    def!(
        "retention.ms",
        Some("log.retention.ms"),
        "604800000",
        Long,
        &[],
        Some(-1.0),
        "Maximum age of a segment before it is deleted; -1 for no limit."
    ),
    def!(
        "segment.bytes",
        Some("log.segment.bytes"),
        "1073741824",
        Int,
        &[],
        Some(14.0),
        "Segment file size."
    ),
    def!(
        "segment.index.bytes",
        Some("log.index.size.max.bytes"),
        "10485760",
        Int,
        &[],
        Some(4.0),
        "Offset index size."
    ),
    def!(
        "segment.jitter.ms",
        Some("log.roll.jitter.ms"),
        "0",
        Long,
        &[],
        Some(0.0),
        "Random jitter subtracted from segment.ms."
    ),
    def!(
        "segment.ms",
        Some("log.roll.ms"),
        "604800000",
        Long,
        &[],
        Some(1.0),
        "Time after which a segment is rolled."
    ),
    def!(
        "unclean.leader.election.enable",
        Some("unclean.leader.election.enable"),
        "false",
        Boolean,
        &[],
        None,
        "Allow out-of-sync replicas to become leader."
    ),
];

pub fn topic_config_def(name: &str) -> Option<&'static ConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Checks one value against a definition; the message names the key and says what is expected.
pub fn validate_value(def: &ConfigDef, value: &str) -> Result<(), String> {
    let v = value.trim();
    let bad = |what: &str| {
        Err(format!(
            "Invalid value {value} for configuration {}: {what}",
            def.name
        ))
    };
    let num = match def.kind {
        ConfigType::Boolean => {
            return match v.to_ascii_lowercase().as_str() {
                "true" | "false" => Ok(()),
                _ => bad("Expected value to be either true or false"),
            }
        }
        ConfigType::Int => match v.parse::<i32>() {
            Ok(n) => Some(n as f64),
            Err(_) => return bad("Not a number of type INT"),
        },
        ConfigType::Long => match v.parse::<i64>() {
            Ok(n) => Some(n as f64),
            Err(_) => return bad("Not a number of type LONG"),
        },
        ConfigType::Double => match v.parse::<f64>() {
            Ok(n) => Some(n),
            Err(_) => return bad("Not a number of type DOUBLE"),
        },
        ConfigType::String => {
            if !def.allowed.is_empty() && !def.allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
                return bad(&format!(
                    "String must be one of: {}",
                    def.allowed.join(", ")
                ));
            }
            None
        }
        ConfigType::List => {
            if !def.allowed.is_empty() {
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !def.allowed.contains(&item) {
                        return bad(&format!(
                            "each item must be one of: {}",
                            def.allowed.join(", ")
                        ));
                    }
                }
            }
            None
        }
    };
    if let (Some(n), Some(min)) = (num, def.min) {
        if n < min {
            return bad(&format!("Value must be at least {min}"));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// The settings the partition log acts on, resolved from topic overrides over broker defaults.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub segment_ms: i64,
    pub retention_ms: i64,
    pub retention_bytes: i64,
    pub max_message_bytes: usize,
    pub index_interval_bytes: u64,
    pub timestamp_type: TimestampType,
    pub compact: bool,
    pub delete: bool,
    pub delete_retention_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub max_compaction_lag_ms: i64,
    pub min_cleanable_dirty_ratio: f64,
    pub flush_messages: i64,
    pub flush_ms: i64,
}

impl LogConfig {
    /// `effective` holds the value of every topic config (override, broker default or default).
    pub fn from_effective(effective: &BTreeMap<String, String>) -> LogConfig {
        let get = |k: &str| -> &str {
            effective
                .get(k)
                .map(String::as_str)
                .or_else(|| topic_config_def(k).map(|d| d.default))
                .unwrap_or("")
        };
        let long = |k: &str, d: i64| get(k).trim().parse::<i64>().unwrap_or(d);
        let policy = get("cleanup.policy");
        LogConfig {
            segment_bytes: long("segment.bytes", 1 << 30).max(14) as u64,
            segment_ms: long("segment.ms", 604_800_000),
            retention_ms: long("retention.ms", 604_800_000),
            retention_bytes: long("retention.bytes", -1),
            max_message_bytes: long("max.message.bytes", 1_048_588).max(0) as usize,
            index_interval_bytes: long("index.interval.bytes", 4096).max(0) as u64,
            timestamp_type: if get("message.timestamp.type").eq_ignore_ascii_case("LogAppendTime") {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            compact: policy.split(',').any(|p| p.trim() == "compact"),
            delete: policy.split(',').any(|p| p.trim() == "delete"),
            delete_retention_ms: long("delete.retention.ms", 86_400_000),
            min_compaction_lag_ms: long("min.compaction.lag.ms", 0),
            max_compaction_lag_ms: long("max.compaction.lag.ms", i64::MAX),
            min_cleanable_dirty_ratio: get("min.cleanable.dirty.ratio").parse().unwrap_or(0.5),
            flush_messages: long("flush.messages", i64::MAX),
            flush_ms: long("flush.ms", i64::MAX),
        }
    }
}

impl LogConfig {
    /// True when flush.messages or flush.ms is set: the log is synced on that schedule instead
    /// of before every acks=all answer (faster; a machine crash can lose what was not synced).
    pub fn interval_flush(&self) -> bool {
        self.flush_messages != i64::MAX || self.flush_ms != i64::MAX
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig::from_effective(&BTreeMap::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_key() {
        let d = topic_config_def("retention.ms").unwrap();
        assert!(validate_value(d, "1000").is_ok());
        let e = validate_value(d, "soon").unwrap_err();
        assert!(e.contains("retention.ms"), "{e}");
        let p = topic_config_def("cleanup.policy").unwrap();
        assert!(validate_value(p, "compact,delete").is_ok());
        assert!(validate_value(p, "compress").is_err());
        let t = topic_config_def("message.timestamp.type").unwrap();
        assert!(validate_value(t, "LogAppendTime").is_ok());
        assert!(validate_value(t, "Now").is_err());
    }

    #[test]
    fn effective_config_is_typed() {
        let mut m = BTreeMap::new();
        m.insert("cleanup.policy".to_string(), "compact".to_string());
        m.insert("segment.bytes".to_string(), "1024".to_string());
        let c = LogConfig::from_effective(&m);
        assert!(c.compact && !c.delete);
        assert_eq!(c.segment_bytes, 1024);
    }
}
