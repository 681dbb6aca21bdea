//! Broker configuration: Kafka's property names, parsed once into a typed [`BrokerConfig`].
//! Sources (lowest to highest precedence): defaults, a properties file, `KAFKA_CFG_*` environment
//! variables, `--override key=value`. Unknown keys are reported, invalid values rejected by name.

mod catalog;
pub mod properties;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use catalog::{broker_def, BROKER_CONFIGS};
use sluice_storage::config::{topic_config_def, validate_value, ConfigType};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("cannot read config file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where a setting came from, for DescribeConfigs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    Static,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// The resolved broker settings.
/// The smallest `sluice.memory.budget.mb` accepted.
pub const MIN_MEMORY_BUDGET_MB: i64 = 16;

/// `sluice.memory.budget.mb` checked against the minimum, in bytes (also what `sluice connect`
/// uses, with no broker config).
pub fn memory_budget_bytes(mb: i64) -> Result<u64, ConfigError> {
    if mb < MIN_MEMORY_BUDGET_MB {
        return Err(ConfigError::Invalid {
            key: "sluice.memory.budget.mb".into(),
            message: format!(
                "{mb} MB is below the smallest workable budget of {MIN_MEMORY_BUDGET_MB} MB (also set as --memory-budget-mb or SLUICE_MEMORY_BUDGET_MB)"
            ),
        });
    }
    Ok((mb as u64) << 20)
}

/// The Connect runtime's share of a memory budget (source queues, sink buffers): half.
pub fn connect_share(budget_bytes: u64) -> usize {
    (budget_bytes / 2) as usize
}

#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub node_id: i32,
    pub listeners: Vec<Listener>,
    pub advertised: Listener,
    pub log_dir: PathBuf,
    pub cluster_id: Option<String>,
    pub num_partitions: i32,
    pub auto_create_topics: bool,
    pub message_max_bytes: usize,
    pub socket_request_max_bytes: usize,
    pub group_initial_rebalance_delay_ms: u64,
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
    pub group_max_size: usize,
    pub retention_check_interval_ms: u64,
    pub metadata_cache_bytes: u64,
    /// `sluice.memory.budget.mb` in bytes: what caches and buffers may hold together; the
    /// settings below that it sizes are derived from it unless set explicitly.
    pub memory_budget_bytes: u64,
    /// `queued.max.request.bytes`: request bytes read and not yet answered, all connections
    /// together (None: unbounded).
    pub queued_max_request_bytes: Option<usize>,
    /// `fetch.max.bytes`: record bytes per Fetch response at most (first batch excepted).
    pub fetch_max_bytes: usize,
    pub delete_topic_enable: bool,
    /// `sluice.log.drop.behind.bytes`: synced log data further than this behind the end of its
    /// partition leaves the page cache (0: the kernel decides, as with Kafka).
    pub log_drop_behind_bytes: u64,
    /// `sluice.log.sync.on.ack`: acks=all answered only after an fdatasync (group commit);
    /// false: once in the page cache, as Kafka.
    pub log_sync_on_ack: bool,
    /// `sluice.log.sync.interval.ms`: background sync of unsynced partitions at least this
    /// often (None: never, as Kafka).
    pub log_sync_interval_ms: Option<i64>,
    pub cleaner_enable: bool,
    pub cleaner_backoff_ms: u64,
    pub cleaner_dedupe_buffer_bytes: u64,
    /// `sluice.metrics.listener` as a bind address (`host:port`); None: no broker metrics listener.
    pub metrics_listener: Option<String>,
    /// Every key explicitly set (static configuration), after alias resolution.
    pub explicit: BTreeMap<String, String>,
}

fn parse_listener(key: &str, s: &str) -> Result<Listener, ConfigError> {
    let invalid = |m: &str| ConfigError::Invalid {
        key: key.to_string(),
        message: format!("{m}: '{s}' (expected NAME://host:port, e.g. PLAINTEXT://0.0.0.0:9092)"),
    };
    let (name, rest) = s
        .split_once("://")
        .ok_or_else(|| invalid("missing listener name"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| invalid("missing port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| invalid("port is not a number from 0 to 65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(Listener {
        name: name.to_string(),
        host: host.to_string(),
        port,
    })
}

impl BrokerConfig {
    /// Builds the config from explicitly set keys. Unknown keys produce warnings (returned).
    pub fn from_map(
        mut set: BTreeMap<String, String>,
    ) -> Result<(BrokerConfig, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        // Aliases Kafka accepts.
        for (alias, key) in [("broker.id", "node.id"), ("log.dir", "log.dirs")] {
            if let Some(v) = set.remove(alias) {
                set.entry(key.to_string()).or_insert(v);
            }
        }
        for (unit_key, ms_key, mult) in [
            ("log.retention.hours", "log.retention.ms", 3_600_000i64),
            ("log.retention.minutes", "log.retention.ms", 60_000),
            ("log.roll.hours", "log.roll.ms", 3_600_000),
            ("log.roll.jitter.hours", "log.roll.jitter.ms", 3_600_000),
            ("offsets.retention.minutes", "offsets.retention.ms", 60_000),
        ] {
            if let Some(v) = set.get(unit_key).cloned() {
                let n: i64 = v.trim().parse().map_err(|_| ConfigError::Invalid {
                    key: unit_key.into(),
                    message: format!("'{v}' is not a number"),
                })?;
                set.entry(ms_key.to_string())
                    .or_insert_with(|| (n.saturating_mul(mult)).to_string());
            }
        }
        for (k, v) in &set {
            if let Some(def) = broker_def(k) {
                check_type(k, def.kind, def.allowed, v)?;
            } else if let Some(td) = catalog::topic_def_for_broker_key(k) {
                validate_value(td, v).map_err(|message| ConfigError::Invalid {
                    key: k.clone(),
                    message,
                })?;
            } else if !catalog::is_ignored(k) {
                warnings.push(format!("unknown broker setting '{k}' is ignored"));
            }
        }
        let get = |k: &str| -> String {
            set.get(k)
                .cloned()
                .or_else(|| broker_def(k).map(|d| d.default.to_string()))
                .unwrap_or_default()
        };
        let num = |k: &str| -> Result<i64, ConfigError> {
            get(k)
                .trim()
                .parse::<i64>()
                .map_err(|_| ConfigError::Invalid {
                    key: k.into(),
                    message: format!("'{}' is not a number", get(k)),
                })
        };
        let listeners = get("listeners")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| parse_listener("listeners", s))
            .collect::<Result<Vec<_>, _>>()?;
        let controller_names: Vec<String> = get("controller.listener.names")
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        let broker_listeners: Vec<Listener> = listeners
            .iter()
            .filter(|l| !controller_names.contains(&l.name))
            .cloned()
            .collect();
        if broker_listeners.is_empty() {
            return Err(ConfigError::Invalid {
                key: "listeners".into(),
                message: "no broker listener is configured".into(),
            });
        }
        let advertised = match set.get("advertised.listeners") {
            Some(a) => {
                let all = a
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| parse_listener("advertised.listeners", s))
                    .collect::<Result<Vec<_>, _>>()?;
                all.into_iter().next().ok_or_else(|| ConfigError::Invalid {
                    key: "advertised.listeners".into(),
                    message: "empty".into(),
                })?
            }
            None => {
                let l = &broker_listeners[0];
                let host = if l.host.is_empty() || l.host == "0.0.0.0" || l.host == "::" {
                    "localhost".to_string()
                } else {
                    l.host.clone()
                };
                Listener {
                    name: l.name.clone(),
                    host,
                    port: l.port,
                }
            }
        };
        let log_dir = get("log.dirs")
            .split(',')
            .next()
            .unwrap_or("data")
            .trim()
            .to_string();
        let metrics_listener = match get("sluice.metrics.listener").trim() {
            "" => None,
            v => Some(crate::metrics::http::parse_listener(v).map_err(|message| {
                ConfigError::Invalid {
                    key: "sluice.metrics.listener".into(),
                    message,
                }
            })?),
        };
        // A setting that may not be negative; `zero` says what 0 does, for the error.
        let non_negative = |k: &str, zero: &str| -> Result<i64, ConfigError> {
            match num(k)? {
                n if n < 0 => Err(ConfigError::Invalid {
                    key: k.into(),
                    message: format!("{n} is negative (0 {zero})"),
                }),
                n => Ok(n),
            }
        };
        let budget = memory_budget_bytes(num("sluice.memory.budget.mb")?)? as i64;
        // A setting the budget sizes: its explicit value, else the budget's share.
        let derived = |k: &str, share: i64| -> Result<i64, ConfigError> {
            if set.contains_key(k) {
                num(k)
            } else {
                Ok(share)
            }
        };
        let cfg = BrokerConfig {
            node_id: num("node.id")? as i32,
            listeners: broker_listeners,
            advertised,
            log_dir: PathBuf::from(log_dir),
            cluster_id: set.get("cluster.id").cloned().filter(|s| !s.is_empty()),
            num_partitions: num("num.partitions")?.max(1) as i32,
            auto_create_topics: get("auto.create.topics.enable").eq_ignore_ascii_case("true"),
            message_max_bytes: num("message.max.bytes")?.max(0) as usize,
            socket_request_max_bytes: num("socket.request.max.bytes")?.max(1024) as usize,
            group_initial_rebalance_delay_ms: num("group.initial.rebalance.delay.ms")?.max(0)
                as u64,
            group_min_session_timeout_ms: num("group.min.session.timeout.ms")? as i32,
            group_max_session_timeout_ms: num("group.max.session.timeout.ms")? as i32,
            group_max_size: num("group.max.size")?.max(1) as usize,
            retention_check_interval_ms: num("log.retention.check.interval.ms")?.max(100) as u64,
            metadata_cache_bytes: derived("sluice.metadata.cache.bytes", budget / 16)?.max(1 << 20)
                as u64,
            memory_budget_bytes: budget as u64,
            queued_max_request_bytes: match derived("queued.max.request.bytes", budget / 4)? {
                n if n <= 0 => None,
                n => Some((n as usize).max(1 << 20)),
            },
            fetch_max_bytes: derived("fetch.max.bytes", (budget / 8).min(57_671_680))?.max(1024)
                as usize,
            delete_topic_enable: get("delete.topic.enable").eq_ignore_ascii_case("true"),
            log_drop_behind_bytes: non_negative(
                "sluice.log.drop.behind.bytes",
                "leaves the page cache to the kernel",
            )? as u64,
            log_sync_on_ack: get("sluice.log.sync.on.ack").eq_ignore_ascii_case("true"),
            log_sync_interval_ms: match non_negative(
                "sluice.log.sync.interval.ms",
                "leaves syncing to the kernel",
            )? {
                0 => None,
                n => Some(n),
            },
            cleaner_enable: get("log.cleaner.enable").eq_ignore_ascii_case("true"),
            cleaner_backoff_ms: num("log.cleaner.backoff.ms")?.max(10) as u64,
            cleaner_dedupe_buffer_bytes: derived(
                "log.cleaner.dedupe.buffer.size",
                (budget / 8).min(16 << 20),
            )?
            .max(1 << 16) as u64,
            metrics_listener,
            explicit: set,
        };
        Ok((cfg, warnings))
    }

    /// The Connect runtime's share of the memory budget (source queues, sink buffers).
    pub fn connect_pool_bytes(&self) -> usize {
        connect_share(self.memory_budget_bytes)
    }

    /// The broker-level value that serves as default for a topic config, if explicitly set.
    pub fn topic_default(&self, topic_key: &str) -> Option<String> {
        let def = topic_config_def(topic_key)?;
        let syn = def.broker_synonym?;
        self.explicit.get(syn).cloned()
    }

    /// The value and source of a broker setting, for DescribeConfigs.
    pub fn describe(&self, key: &str) -> Option<(Option<String>, Source)> {
        if let Some(v) = self.explicit.get(key) {
            return Some((Some(v.clone()), Source::Static));
        }
        if let Some(d) = broker_def(key) {
            let v = if d.default.is_empty() && d.nullable {
                None
            } else {
                Some(d.default.to_string())
            };
            return Some((v, Source::Default));
        }
        None
    }
}

fn check_type(key: &str, kind: ConfigType, allowed: &[&str], v: &str) -> Result<(), ConfigError> {
    let bad = |m: &str| {
        Err(ConfigError::Invalid {
            key: key.into(),
            message: format!("invalid value '{v}': {m}"),
        })
    };
    let t = v.trim();
    match kind {
        ConfigType::Boolean
            if !t.eq_ignore_ascii_case("true") && !t.eq_ignore_ascii_case("false") =>
        {
            bad("expected true or false")
        }
        ConfigType::Int if t.parse::<i32>().is_err() => bad("expected a 32-bit integer"),
        ConfigType::Long if t.parse::<i64>().is_err() => bad("expected an integer"),
        ConfigType::Double if t.parse::<f64>().is_err() => bad("expected a number"),
        ConfigType::String
            if !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(t)) =>
        {
            bad(&format!("expected one of {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<(BrokerConfig, Vec<String>), ConfigError> {
        BrokerConfig::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_match_kafka() {
        let (c, w) = cfg(&[]).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.listeners[0].port, 9092);
        assert_eq!(c.listeners[0].host, "0.0.0.0");
        assert_eq!(c.advertised.host, "localhost");
        assert_eq!(c.num_partitions, 1);
        assert_eq!(c.group_initial_rebalance_delay_ms, 3000);
        assert_eq!(c.message_max_bytes, 1048588);
    }

    #[test]
    fn memory_budget_sizes_caches_and_buffers_unless_set() {
        let (c, _) = cfg(&[]).unwrap();
        assert_eq!(c.memory_budget_bytes, 128 << 20);
        assert_eq!(c.metadata_cache_bytes, 8 << 20);
        assert_eq!(c.queued_max_request_bytes, Some(32 << 20));
        assert_eq!(c.fetch_max_bytes, 16 << 20);
        assert_eq!(c.cleaner_dedupe_buffer_bytes, 16 << 20);
        assert_eq!(c.connect_pool_bytes(), 64 << 20);

        let (c, _) = cfg(&[("sluice.memory.budget.mb", "1024")]).unwrap();
        assert_eq!(c.metadata_cache_bytes, 64 << 20);
        assert_eq!(c.queued_max_request_bytes, Some(256 << 20));
        assert_eq!(
            c.fetch_max_bytes, 57_671_680,
            "Kafka's default is the ceiling"
        );
        assert_eq!(c.cleaner_dedupe_buffer_bytes, 16 << 20);
        assert_eq!(c.connect_pool_bytes(), 512 << 20);

        let (c, _) = cfg(&[
            ("sluice.memory.budget.mb", "32"),
            ("sluice.metadata.cache.bytes", "4194304"),
            ("queued.max.request.bytes", "-1"),
            ("fetch.max.bytes", "1048576"),
        ])
        .unwrap();
        assert_eq!(c.metadata_cache_bytes, 4 << 20);
        assert_eq!(c.queued_max_request_bytes, None);
        assert_eq!(c.fetch_max_bytes, 1 << 20);
        assert_eq!(c.connect_pool_bytes(), 16 << 20);

        let e = cfg(&[("sluice.memory.budget.mb", "8")]).unwrap_err();
        assert!(e.to_string().contains("sluice.memory.budget.mb"), "{e}");
        let e = cfg(&[("sluice.memory.budget.mb", "lots")]).unwrap_err();
        assert!(e.to_string().contains("sluice.memory.budget.mb"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = cfg(&[("num.partitions", "many")]).unwrap_err().to_string();
        assert!(e.starts_with("num.partitions"), "{e}");
        let e = cfg(&[("listeners", "PLAINTEXT://host")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("listeners"), "{e}");
        let e = cfg(&[("log.cleanup.policy", "nope")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("log.cleanup.policy"), "{e}");
    }

    #[test]
    fn unknown_keys_warn_and_aliases_resolve() {
        let (c, w) = cfg(&[
            ("broker.id", "7"),
            ("log.retention.hours", "1"),
            ("no.such.key", "1"),
            ("process.roles", "broker,controller"),
        ])
        .unwrap();
        assert_eq!(c.node_id, 7);
        assert_eq!(c.topic_default("retention.ms").as_deref(), Some("3600000"));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("no.such.key"));
    }

    #[test]
    fn metrics_listener_is_off_by_default_and_validated() {
        let (c, _) = cfg(&[]).unwrap();
        assert_eq!(c.metrics_listener, None);
        let (c, w) = cfg(&[("sluice.metrics.listener", "http://127.0.0.1:9404")]).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.metrics_listener.as_deref(), Some("127.0.0.1:9404"));
        let e = cfg(&[("sluice.metrics.listener", "9404")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sluice.metrics.listener"), "{e}");
    }

    #[test]
    fn controller_listener_is_not_a_broker_listener() {
        let (c, _) = cfg(&[
            ("listeners", "CONTROLLER://:9093,PLAINTEXT://:9092"),
            ("controller.listener.names", "CONTROLLER"),
            ("advertised.listeners", "PLAINTEXT://kafka:9092"),
        ])
        .unwrap();
        assert_eq!(c.listeners.len(), 1);
        assert_eq!(c.listeners[0].port, 9092);
        assert_eq!(c.advertised.host, "kafka");
    }
}
