//! Per-connector client settings (`producer.override.*`, `consumer.override.*`,
//! `admin.override.*`): checked against the worker's `connector.client.config.override.policy`
//! (AbstractHerder.validateClientOverrides) and against the Java clients' types and validators,
//! so a bad value is a per-field validation error instead of a task that fails at start.
//! What the runtime does with the values is in `ProducerSettings` (and the sink worker for the
//! consumer keys).

use kafka_protocol::records::Compression;

use super::def::{parse_type, ConfigType, Default, Importance, Validator};
use super::worker::OverridePolicy;
use super::{ConfigDef, ConfigInfos, ConfigKey, ConfigMap, ConfigValue};
use crate::connectors::ConnectorType;

pub const PRODUCER_PREFIX: &str = "producer.override.";
pub const CONSUMER_PREFIX: &str = "consumer.override.";
pub const ADMIN_PREFIX: &str = "admin.override.";

/// The keys the Principal policy lets a connector override.
const PRINCIPAL_KEYS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

type KeySpec = (&'static str, ConfigType, Option<Validator>);

const SECURITY: &[KeySpec] = &[
    ("security.protocol", ConfigType::String, None),
    ("sasl.mechanism", ConfigType::String, None),
    ("sasl.jaas.config", ConfigType::Password, None),
    ("client.id", ConfigType::String, None),
    (
        "request.timeout.ms",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "retry.backoff.ms",
        ConfigType::Long,
        Some(Validator::AtLeast(0)),
    ),
];

/// ProducerConfig keys with their types and validators (the ones users override).
const PRODUCER: &[KeySpec] = &[
    (
        "acks",
        ConfigType::String,
        Some(Validator::OneOf(&["all", "-1", "0", "1"])),
    ),
    (
        "compression.type",
        ConfigType::String,
        Some(Validator::OneOf(&["none", "gzip", "snappy", "lz4", "zstd"])),
    ),
    ("linger.ms", ConfigType::Long, Some(Validator::AtLeast(0))),
    ("batch.size", ConfigType::Int, Some(Validator::AtLeast(0))),
    (
        "buffer.memory",
        ConfigType::Long,
        Some(Validator::AtLeast(0)),
    ),
    (
        "max.request.size",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "max.block.ms",
        ConfigType::Long,
        Some(Validator::AtLeast(0)),
    ),
    (
        "delivery.timeout.ms",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "retries",
        ConfigType::Int,
        Some(Validator::Between(0, i32::MAX as i64)),
    ),
    ("enable.idempotence", ConfigType::Boolean, None),
    (
        "max.in.flight.requests.per.connection",
        ConfigType::Int,
        Some(Validator::AtLeast(1)),
    ),
    ("partitioner.class", ConfigType::Class, None),
];

/// ConsumerConfig keys with their types and validators.
const CONSUMER: &[KeySpec] = &[
    ("group.id", ConfigType::String, None),
    (
        "auto.offset.reset",
        ConfigType::String,
        Some(Validator::OneOfIgnoreCase(&["latest", "earliest", "none"])),
    ),
    (
        "max.poll.records",
        ConfigType::Int,
        Some(Validator::AtLeast(1)),
    ),
    (
        "max.poll.interval.ms",
        ConfigType::Int,
        Some(Validator::AtLeast(1)),
    ),
    (
        "fetch.min.bytes",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "fetch.max.bytes",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "fetch.max.wait.ms",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    (
        "max.partition.fetch.bytes",
        ConfigType::Int,
        Some(Validator::AtLeast(0)),
    ),
    ("session.timeout.ms", ConfigType::Int, None),
    ("heartbeat.interval.ms", ConfigType::Int, None),
    (
        "isolation.level",
        ConfigType::String,
        Some(Validator::OneOfIgnoreCase(&[
            "read_committed",
            "read_uncommitted",
        ])),
    ),
    ("enable.auto.commit", ConfigType::Boolean, None),
];

fn spec(table: &[KeySpec], key: &str) -> Option<(ConfigType, Option<Validator>)> {
    table
        .iter()
        .chain(SECURITY)
        .find(|(k, _, _)| *k == key)
        .map(|(_, t, v)| (*t, v.clone()))
}

/// The override prefixes a connector of this type may use, with the client's key table.
fn clients(kind: ConnectorType) -> [(&'static str, &'static [KeySpec]); 2] {
    match kind {
        ConnectorType::Source => [(PRODUCER_PREFIX, PRODUCER), (ADMIN_PREFIX, &[])],
        ConnectorType::Sink => [(CONSUMER_PREFIX, CONSUMER), (ADMIN_PREFIX, &[])],
    }
}

fn policy_name(p: OverridePolicy) -> &'static str {
    match p {
        OverridePolicy::All => "All",
        OverridePolicy::None => "None",
        OverridePolicy::Principal => "Principal",
    }
}

/// One ConfigInfos part per client (validateClientOverrides): a value per override given, with
/// the policy's verdict and the client's own type and validator checks.
pub fn validate(config: &ConfigMap, kind: ConnectorType, policy: OverridePolicy) -> ConfigInfos {
    let mut def = ConfigDef::new();
    let mut values = Vec::new();
    for (prefix, table) in clients(kind) {
        for (name, raw) in config.iter() {
            let Some(key) = name.strip_prefix(prefix) else {
                continue;
            };
            let mut value = ConfigValue::new(name);
            let allowed = match policy {
                OverridePolicy::All => true,
                OverridePolicy::None => false,
                OverridePolicy::Principal => PRINCIPAL_KEYS.contains(&key),
            };
            if !allowed {
                value.errors.push(format!(
                    "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
                    policy_name(policy)
                ));
            }
            if let Some((kind, validator)) = spec(table, key) {
                // Checked under the client's own name, as the Java client would.
                let mut k = ConfigKey::new(key, kind, Default::Null, Importance::Medium, "");
                if let Some(v) = validator {
                    k = k.validator(v);
                }
                match k.parse(Some(raw)) {
                    Ok(parsed) => value.value = Some(parsed),
                    Err(e) => value.errors.push(e.to_string()),
                }
                k.name = name.clone();
                k.display_name = name.clone();
                def.add(k);
            } else if let Ok(parsed) = parse_type(name, raw, ConfigType::String) {
                value.value = Some(parsed);
            }
            values.push(value);
        }
    }
    ConfigInfos::generate("", &def, &values, Vec::new())
}

/// What a source task's producer overrides change. In-process, a produce is appended (and
/// acknowledged as acks=all) at once, so acks, linger.ms, batch.size, retries and the timeouts have nothing to act on;
/// compression.type and max.request.size do. An external cluster gets every override its
/// client understands (`external::producer_overrides`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerSettings {
    pub compression: Compression,
    /// max.request.size (1 MiB by default): a larger record fails with RecordTooLargeException.
    pub max_request_size: usize,
    /// batch.size (16 KiB by default): records go into batches of at most this many bytes (a
    /// larger record alone), as the Java producer does; 0 = one record per batch.
    pub batch_size: usize,
    /// Every `producer.override.*` key (prefix removed) and value, in order.
    pub overrides: Vec<(String, String)>,
}

impl std::default::Default for ProducerSettings {
    fn default() -> ProducerSettings {
        ProducerSettings {
            compression: Compression::None,
            max_request_size: 1_048_576,
            batch_size: 16_384,
            overrides: Vec::new(),
        }
    }
}

impl ProducerSettings {
    /// From a connector config; values were validated with the connector, so a value that
    /// does not parse keeps the default.
    pub fn from_connector(config: &ConfigMap) -> ProducerSettings {
        let mut s = ProducerSettings::default();
        for (name, raw) in config {
            let Some(key) = name.strip_prefix(PRODUCER_PREFIX) else {
                continue;
            };
            let v = raw.trim();
            match key {
                "compression.type" => {
                    s.compression = match v {
                        "gzip" => Compression::Gzip,
                        "snappy" => Compression::Snappy,
                        "lz4" => Compression::Lz4,
                        "zstd" => Compression::Zstd,
                        _ => Compression::None,
                    }
                }
                "max.request.size" => {
                    if let Ok(n) = v.parse::<usize>() {
                        s.max_request_size = n;
                    }
                }
                "batch.size" => {
                    if let Ok(n) = v.parse::<usize>() {
                        s.batch_size = n;
                    }
                }
                _ => {}
            }
            s.overrides.push((key.to_string(), v.to_string()));
        }
        s
    }
}

fn varint_len(n: i64) -> usize {
    let mut v = ((n << 1) ^ (n >> 63)) as u64;
    let mut len = 1;
    while v >= 0x80 {
        v >>= 7;
        len += 1;
    }
    len
}

fn field_len(len: Option<usize>) -> usize {
    match len {
        None => 1,
        Some(n) => varint_len(n as i64) + n,
    }
}

/// A record's size in a v2 batch, at most (DefaultRecord.recordSizeUpperBound): what a batch
/// is filled against up to batch.size.
pub fn record_size(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(String, Option<bytes::Bytes>)],
) -> usize {
    const MAX_RECORD_OVERHEAD: usize = 21;
    let mut size = field_len(key.map(|k| k.len())) + field_len(value.map(|v| v.len()));
    size += varint_len(headers.len() as i64);
    for (k, v) in headers {
        size += field_len(Some(k.len())) + field_len(v.as_ref().map(|v| v.len()));
    }
    MAX_RECORD_OVERHEAD + size
}

/// The Java producer's upper bound of a record's serialized size in a v2 batch
/// (DefaultRecordBatch.estimateBatchSizeUpperBound), which max.request.size is checked against.
pub fn record_size_upper_bound(
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: &[(String, Option<bytes::Bytes>)],
) -> usize {
    const BATCH_OVERHEAD: usize = 61;
    BATCH_OVERHEAD + record_size(key, value, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::tests::map as cfg;

    fn errors(infos: &ConfigInfos) -> Vec<String> {
        infos.error_messages()
    }

    #[test]
    fn types_and_validators_of_the_java_clients() {
        let c = cfg(&[
            ("producer.override.linger.ms", "abc"),
            ("producer.override.compression.type", "brotli"),
            ("producer.override.acks", "all"),
            ("producer.override.some.unknown.key", "x"),
            ("consumer.override.max.poll.records", "0"),
        ]);
        let infos = validate(&c, ConnectorType::Source, OverridePolicy::All);
        assert_eq!(infos.configs.len(), 4, "one value per producer override");
        assert_eq!(
            errors(&infos),
            vec![
                "Invalid value abc for configuration linger.ms: Not a number of type LONG".to_string(),
                "Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd".to_string(),
            ]
        );
        let infos = validate(&c, ConnectorType::Sink, OverridePolicy::All);
        assert_eq!(infos.error_count, 1);
        assert!(errors(&infos)[0].contains("Value must be at least 1"));
    }

    #[test]
    fn the_policy_decides_what_may_be_overridden() {
        let c = cfg(&[
            ("producer.override.linger.ms", "5"),
            ("producer.override.security.protocol", "SSL"),
        ]);
        let none = validate(&c, ConnectorType::Source, OverridePolicy::None);
        assert_eq!(none.error_count, 2);
        assert!(errors(&none)[0].ends_with(
            "The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration."
        ));
        let principal = validate(&c, ConnectorType::Source, OverridePolicy::Principal);
        assert_eq!(principal.error_count, 1);
        assert!(errors(&principal)[0].contains("'Principal' policy does not allow 'linger.ms'"));
        assert_eq!(
            validate(&c, ConnectorType::Source, OverridePolicy::All).error_count,
            0
        );
    }

    #[test]
    fn producer_settings_and_record_size() {
        let s = ProducerSettings::from_connector(&cfg(&[
            ("producer.override.compression.type", "zstd"),
            ("producer.override.max.request.size", "2000"),
            ("producer.override.linger.ms", "5"),
        ]));
        assert_eq!(s.compression, Compression::Zstd);
        assert_eq!(s.max_request_size, 2000);
        assert_eq!(s.overrides.len(), 3);
        assert_eq!(
            ProducerSettings::from_connector(&ConfigMap::new()),
            ProducerSettings::default()
        );
        // Java: 61 + 21 + (1 + 3) + (2 + 100) + 1 = 189 for key "abc", a 100-byte value, no headers.
        assert_eq!(
            record_size_upper_bound(Some(b"abc"), Some(&[0u8; 100]), &[]),
            189
        );
        assert_eq!(
            record_size_upper_bound(None, None, &[("h".into(), None)]),
            61 + 21 + 1 + 1 + 1 + 2 + 1
        );
    }
}
