//! The worker config (WorkerConfig / DistributedConfig / StandaloneConfig) by Kafka Connect's
//! names, parsed once into a typed struct. Sources, lowest precedence first: defaults, a
//! properties file, the debezium/connect image's short env names, `CONNECT_<NAME>` env vars.

use std::path::{Path, PathBuf};

use super::def::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, Default, Importance, Parsed, Validator,
};
use super::providers::ConfigProviders;
use super::ConfigMap;

pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

#[derive(Debug, thiserror::Error)]
pub enum WorkerConfigError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error("could not read worker config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One REST listener, `http://host:port` (empty host = every interface).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Listener {
    pub fn parse(key: &str, s: &str) -> Result<Listener, ConfigError> {
        let bad = |m: &str| ConfigError::invalid(key, s, m.to_string());
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| bad("Could not parse listener"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" {
            return Err(bad("only http listeners are supported"));
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, p) = v6
                .split_once("]:")
                .ok_or_else(|| bad("Could not parse listener"))?;
            (h.to_string(), p)
        } else {
            let (h, p) = rest
                .rsplit_once(':')
                .ok_or_else(|| bad("Could not parse listener"))?;
            (h.to_string(), p)
        };
        let port = port
            .trim_end_matches('/')
            .parse::<u16>()
            .map_err(|_| bad("Could not parse listener port"))?;
        Ok(Listener { scheme, host, port })
    }

    /// The address to bind: an empty host binds every interface.
    pub fn bind_addr(&self) -> String {
        match self.host.as_str() {
            "" => format!("0.0.0.0:{}", self.port),
            h if h.contains(':') => format!("[{h}]:{}", self.port),
            h => format!("{h}:{}", self.port),
        }
    }
}

/// `connector.client.config.override.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    All,
    None,
    Principal,
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub bootstrap_servers: Vec<String>,
    pub group_id: String,
    pub config_storage_topic: String,
    pub offset_storage_topic: String,
    pub status_storage_topic: String,
    pub offset_storage_partitions: i32,
    pub status_storage_partitions: i32,
    pub key_converter: String,
    pub value_converter: String,
    pub header_converter: String,
    pub offset_flush_interval_ms: u64,
    pub offset_flush_timeout_ms: u64,
    pub task_shutdown_graceful_timeout_ms: u64,
    pub listeners: Vec<Listener>,
    pub rest_advertised_host_name: Option<String>,
    pub rest_advertised_port: Option<u16>,
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    pub topic_creation_enable: bool,
    pub config_providers: ConfigProviders,
    /// Standalone mode: where source offsets are kept.
    pub offset_storage_file_filename: Option<PathBuf>,
    pub override_policy: OverridePolicy,
    /// Every setting as given (after provider substitution), for `key.converter.*` etc.
    pub originals: ConfigMap,
}

fn def() -> ConfigDef {
    use ConfigType::*;
    use Default::{Null, Value};
    use Importance::*;
    let k = |name: &str, t, d, doc: &str| ConfigKey::new(name, t, d, High, doc);
    ConfigDef::new()
        .define(k(
            "bootstrap.servers",
            List,
            Value("localhost:9092"),
            "Kafka bootstrap servers",
        ))
        .define(k(
            "group.id",
            String,
            Value("connect-cluster"),
            "Connect cluster group",
        ))
        .define(
            k("config.storage.topic", String, Value("connect-configs"), "")
                .validator(Validator::NonEmptyString),
        )
        .define(
            k("offset.storage.topic", String, Value("connect-offsets"), "")
                .validator(Validator::NonEmptyString),
        )
        .define(
            k("status.storage.topic", String, Value("connect-status"), "")
                .validator(Validator::NonEmptyString),
        )
        .define(
            k("offset.storage.partitions", Int, Value("25"), "").validator(Validator::AtLeast(-1)),
        )
        .define(
            k("status.storage.partitions", Int, Value("5"), "").validator(Validator::AtLeast(-1)),
        )
        .define(k(
            "config.storage.replication.factor",
            Short,
            Value("3"),
            "",
        ))
        .define(k(
            "offset.storage.replication.factor",
            Short,
            Value("3"),
            "",
        ))
        .define(k(
            "status.storage.replication.factor",
            Short,
            Value("3"),
            "",
        ))
        .define(k("key.converter", Class, Value(JSON_CONVERTER), ""))
        .define(k("value.converter", Class, Value(JSON_CONVERTER), ""))
        .define(k(
            "header.converter",
            Class,
            Value(SIMPLE_HEADER_CONVERTER),
            "",
        ))
        .define(
            k("offset.flush.interval.ms", Long, Value("60000"), "")
                .validator(Validator::AtLeast(0)),
        )
        .define(
            k("offset.flush.timeout.ms", Long, Value("5000"), "").validator(Validator::AtLeast(0)),
        )
        .define(
            k("task.shutdown.graceful.timeout.ms", Long, Value("5000"), "")
                .validator(Validator::AtLeast(0)),
        )
        .define(k("listeners", List, Value("http://:8083"), ""))
        .define(k("rest.advertised.host.name", String, Null, ""))
        .define(k("rest.advertised.port", Int, Null, "").validator(Validator::Between(0, 65535)))
        .define(k("rest.advertised.listener", String, Null, ""))
        .define(k("topic.tracking.enable", Boolean, Value("true"), ""))
        .define(k("topic.tracking.allow.reset", Boolean, Value("true"), ""))
        .define(k("topic.creation.enable", Boolean, Value("true"), ""))
        .define(k("config.providers", List, Null, ""))
        .define(k("offset.storage.file.filename", String, Null, ""))
        .define(
            k(
                "connector.client.config.override.policy",
                String,
                Value("All"),
                "",
            )
            .validator(Validator::OneOf(&["All", "None", "Principal"])),
        )
}

/// Keys Kafka knows that Sluice accepts and ignores (no warning).
const IGNORED: &[&str] = &[
    "plugin.path",
    "plugin.discovery",
    "admin.listeners",
    "access.control.allow.origin",
    "access.control.allow.methods",
    "response.http.headers.config",
    "rest.extension.classes",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "rebalance.timeout.ms",
    "worker.sync.timeout.ms",
    "worker.unsync.backoff.ms",
    "scheduled.rebalance.max.delay.ms",
    "connect.protocol",
    "exactly.once.source.support",
    "inter.worker.key.generation.algorithm",
    "inter.worker.signature.algorithm",
    "inter.worker.key.ttl.ms",
    "inter.worker.verification.algorithms",
    "client.dns.lookup",
    "config.storage.partitions",
    "internal.key.converter",
    "internal.value.converter",
    "rest.host.name",
    "rest.port",
];

const PREFIXES: &[&str] = &[
    "producer.",
    "consumer.",
    "admin.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "config.providers.",
    "listeners.",
    "ssl.",
    "sasl.",
    "security.",
    "metrics.",
    "metric.",
    "client.",
    "offset.storage.",
    "status.storage.",
    "config.storage.",
    "internal.",
];

/// The debezium/connect image's short names and the property each sets.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("BOOTSTRAP_SERVERS", "bootstrap.servers"),
    ("GROUP_ID", "group.id"),
    ("CONFIG_STORAGE_TOPIC", "config.storage.topic"),
    ("OFFSET_STORAGE_TOPIC", "offset.storage.topic"),
    ("STATUS_STORAGE_TOPIC", "status.storage.topic"),
    ("KEY_CONVERTER", "key.converter"),
    ("VALUE_CONVERTER", "value.converter"),
    ("REST_ADVERTISED_HOST_NAME", "rest.advertised.host.name"),
    ("OFFSET_FLUSH_INTERVAL_MS", "offset.flush.interval.ms"),
    ("OFFSET_FLUSH_TIMEOUT_MS", "offset.flush.timeout.ms"),
];

impl WorkerConfig {
    /// Defaults only (what `sluice` with no worker file uses).
    pub fn defaults() -> WorkerConfig {
        match WorkerConfig::from_map(ConfigMap::new()) {
            Ok(c) => c,
            Err(e) => unreachable!("defaults are valid: {e}"),
        }
    }

    /// Reads an optional properties file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<WorkerConfig, WorkerConfigError> {
        let file_props = match file {
            Some(p) => super::properties::read_file(p).map_err(|source| WorkerConfigError::Io {
                path: p.to_path_buf(),
                source,
            })?,
            None => ConfigMap::new(),
        };
        Ok(WorkerConfig::from_sources(file_props, std::env::vars())?)
    }

    /// Merges file settings with environment variables (short names, then `CONNECT_*`).
    pub fn from_sources(
        file: ConfigMap,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<WorkerConfig, ConfigError> {
        Self::from_map(merge_env(file, env))
    }

    /// Parses and validates a flat property map (config providers applied first).
    pub fn from_map(raw: ConfigMap) -> Result<WorkerConfig, ConfigError> {
        let def = def();
        let providers_names = match raw.get("config.providers") {
            Some(v) => def
                .key("config.providers")
                .map(|k| k.parse(Some(v)))
                .transpose()?,
            None => None,
        };
        let names = providers_names
            .as_ref()
            .and_then(|p| p.as_list().map(|l| l.to_vec()));
        let config_providers =
            ConfigProviders::from_worker(names.as_deref(), &raw).map_err(|message| {
                ConfigError::Other {
                    key: "config.providers".into(),
                    message,
                }
            })?;
        let originals = config_providers.transform(&raw);
        let p = def.parse(&originals)?;
        let get = |k: &str| p.get(k).cloned().unwrap_or(Parsed::Null);
        let string = |k: &str| get(k).as_str().map(str::to_string).unwrap_or_default();
        let opt_string = |k: &str| {
            get(k)
                .as_str()
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let long = |k: &str| get(k).as_i64().unwrap_or(0).max(0) as u64;
        let boolean = |k: &str| get(k).as_bool().unwrap_or(false);
        let list = |k: &str| get(k).as_list().map(|l| l.to_vec()).unwrap_or_default();

        let listener_specs = list("listeners");
        let mut listeners = Vec::new();
        for l in listener_specs.iter().filter(|l| !l.is_empty()) {
            listeners.push(Listener::parse("listeners", l)?);
        }
        if listeners.is_empty() {
            return Err(ConfigError::invalid(
                "listeners",
                "",
                "at least one listener is required",
            ));
        }
        let override_policy = match string("connector.client.config.override.policy").as_str() {
            "None" => OverridePolicy::None,
            "Principal" => OverridePolicy::Principal,
            _ => OverridePolicy::All,
        };
        Ok(WorkerConfig {
            bootstrap_servers: list("bootstrap.servers"),
            group_id: string("group.id"),
            config_storage_topic: string("config.storage.topic"),
            offset_storage_topic: string("offset.storage.topic"),
            status_storage_topic: string("status.storage.topic"),
            offset_storage_partitions: get("offset.storage.partitions").as_i64().unwrap_or(25)
                as i32,
            status_storage_partitions: get("status.storage.partitions").as_i64().unwrap_or(5)
                as i32,
            key_converter: string("key.converter"),
            value_converter: string("value.converter"),
            header_converter: string("header.converter"),
            offset_flush_interval_ms: long("offset.flush.interval.ms"),
            offset_flush_timeout_ms: long("offset.flush.timeout.ms"),
            task_shutdown_graceful_timeout_ms: long("task.shutdown.graceful.timeout.ms"),
            listeners,
            rest_advertised_host_name: opt_string("rest.advertised.host.name"),
            rest_advertised_port: get("rest.advertised.port").as_i64().map(|p| p as u16),
            topic_tracking_enable: boolean("topic.tracking.enable"),
            topic_tracking_allow_reset: boolean("topic.tracking.allow.reset"),
            topic_creation_enable: boolean("topic.creation.enable"),
            config_providers,
            offset_storage_file_filename: opt_string("offset.storage.file.filename")
                .map(PathBuf::from),
            override_policy,
            originals,
        })
    }

    /// Settings under a prefix, prefix stripped (`originalsWithPrefix`).
    pub fn originals_with_prefix(&self, prefix: &str) -> ConfigMap {
        self.originals
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    }

    /// Keys that no part of the worker knows (reported once at start).
    pub fn unknown_keys(&self) -> Vec<String> {
        let def = def();
        self.originals
            .keys()
            .filter(|k| def.key(k).is_none())
            .filter(|k| !IGNORED.contains(&k.as_str()))
            .filter(|k| !PREFIXES.iter().any(|p| k.starts_with(p)))
            .cloned()
            .collect()
    }
}

/// `CONNECT_REST_ADVERTISED_HOST_NAME` → `rest.advertised.host.name`.
pub fn env_name_to_property(name: &str) -> Option<String> {
    let rest = name.strip_prefix("CONNECT_")?;
    if rest.is_empty() || rest.starts_with("LOG4J") {
        return None;
    }
    Some(rest.to_ascii_lowercase().replace('_', "."))
}

fn merge_env(mut props: ConfigMap, env: impl IntoIterator<Item = (String, String)>) -> ConfigMap {
    let env: Vec<(String, String)> = env.into_iter().collect();
    for (short, prop) in SHORT_NAMES {
        if let Some((_, v)) = env.iter().find(|(k, _)| k == short) {
            props.insert(prop.to_string(), v.clone());
        }
    }
    if let Some((_, port)) = env.iter().find(|(k, _)| k == "REST_PORT") {
        props.insert("listeners".into(), format!("http://:{}", port.trim()));
    }
    for (k, v) in &env {
        if let Some(prop) = env_name_to_property(k) {
            props.insert(prop, v.clone());
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_reference() {
        let c = WorkerConfig::defaults();
        assert_eq!(
            c.listeners,
            vec![Listener {
                scheme: "http".into(),
                host: "".into(),
                port: 8083
            }]
        );
        assert_eq!(c.config_storage_topic, "connect-configs");
        assert_eq!(c.offset_storage_topic, "connect-offsets");
        assert_eq!(c.status_storage_topic, "connect-status");
        assert_eq!(c.offset_flush_interval_ms, 60000);
        assert_eq!(c.key_converter, JSON_CONVERTER);
        assert_eq!(c.value_converter, JSON_CONVERTER);
        assert_eq!(c.header_converter, SIMPLE_HEADER_CONVERTER);
    }

    #[test]
    fn env_precedence_and_short_names() {
        let mut file = ConfigMap::new();
        file.insert("group.id".into(), "from-file".into());
        file.insert("key.converter.schemas.enable".into(), "false".into());
        let c = WorkerConfig::from_sources(
            file,
            env(&[
                ("GROUP_ID", "short"),
                ("CONNECT_GROUP_ID", "long"),
                ("BOOTSTRAP_SERVERS", "kafka:9092"),
                ("REST_PORT", "18083"),
                ("REST_ADVERTISED_HOST_NAME", "connect"),
                ("CONFIG_STORAGE_TOPIC", "my_configs"),
                (
                    "VALUE_CONVERTER",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                ("CONNECT_OFFSET_FLUSH_INTERVAL_MS", "10000"),
            ]),
        )
        .unwrap();
        assert_eq!(c.group_id, "long");
        assert_eq!(c.bootstrap_servers, vec!["kafka:9092"]);
        assert_eq!(c.listeners[0].port, 18083);
        assert_eq!(c.rest_advertised_host_name.as_deref(), Some("connect"));
        assert_eq!(c.config_storage_topic, "my_configs");
        assert_eq!(
            c.value_converter,
            "org.apache.kafka.connect.storage.StringConverter"
        );
        assert_eq!(c.offset_flush_interval_ms, 10000);
        assert_eq!(
            c.originals_with_prefix("key.converter.")
                .get("schemas.enable")
                .unwrap(),
            "false"
        );

        let c = WorkerConfig::from_sources(
            ConfigMap::new(),
            env(&[("CONNECT_LISTENERS", "http://127.0.0.1:8084")]),
        )
        .unwrap();
        assert_eq!(c.listeners[0].bind_addr(), "127.0.0.1:8084");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let mut file = ConfigMap::new();
        file.insert("offset.flush.interval.ms".into(), "soon".into());
        let e = WorkerConfig::from_map(file).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value soon for configuration offset.flush.interval.ms: Not a number of type LONG"
        );
        let mut file = ConfigMap::new();
        file.insert("listeners".into(), "https://:8443".into());
        assert!(WorkerConfig::from_map(file)
            .unwrap_err()
            .to_string()
            .contains("listeners"));
    }
}
