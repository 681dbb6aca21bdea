//! The connector framework config (ConnectorConfig, SinkConnectorConfig, SourceConnectorConfig,
//! §3.2): its ConfigDef (what /config/validate and /connector-plugins/{p}/config show, enriched
//! per transform and predicate alias) and the typed struct the worker runs with.

use crate::connectors::ConnectorType;

use super::def::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, Default, Importance, Parsed,
    Validator, Width,
};
use super::ConfigMap;

pub const COMMON_GROUP: &str = "Common";
pub const TRANSFORMS_GROUP: &str = "Transforms";
pub const PREDICATES_GROUP: &str = "Predicates";
pub const ERROR_GROUP: &str = "Error Handling";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorTolerance {
    None,
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorHandling {
    /// errors.retry.timeout: 0 no retries, -1 forever.
    pub retry_timeout_ms: i64,
    pub retry_delay_max_ms: i64,
    pub tolerance: ErrorTolerance,
    pub log_enable: bool,
    pub log_include_messages: bool,
    /// Sink only: the dead letter queue topic ("" = none).
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

/// A connector's framework settings, parsed once.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub name: String,
    pub connector_class: String,
    pub tasks_max: usize,
    pub tasks_max_enforce: bool,
    pub key_converter: Option<String>,
    pub value_converter: Option<String>,
    pub header_converter: Option<String>,
    pub transforms: Vec<String>,
    pub predicates: Vec<String>,
    pub errors: ErrorHandling,
    /// Sink only.
    pub topics: Vec<String>,
    pub topics_regex: Option<String>,
    /// The whole (substituted) config, for plugin settings.
    pub originals: ConfigMap,
}

fn unique_aliases(name: &str, value: &Parsed) -> Result<(), ConfigError> {
    if let Some(list) = value.as_list() {
        let mut seen = std::collections::HashSet::new();
        for a in list {
            if !seen.insert(a) {
                return Err(ConfigError::invalid(
                    name,
                    &format!("[{}]", list.join(", ")),
                    "Duplicate alias provided.",
                ));
            }
        }
    }
    Ok(())
}

/// ConnectorConfig.configDef() plus the sink or source additions.
pub fn framework_def(kind: Option<ConnectorType>) -> ConfigDef {
    use ConfigType::*;
    use Default::{Null, Required, Value};
    use Importance::*;
    let mut order = 0;
    let mut next = || {
        order += 1;
        order
    };
    let mut def = ConfigDef::new()
        .define(
            ConfigKey::new("name", String, Required, High, "Globally unique name to use for this connector.")
                .validator(Validator::NonEmptyStringWithoutControlChars)
                .group(COMMON_GROUP, next(), Width::Medium, "Connector name"),
        )
        .define(
            ConfigKey::new(
                "connector.class",
                String,
                Required,
                High,
                "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter",
            )
            .group(COMMON_GROUP, next(), Width::Long, "Connector class"),
        )
        .define(
            ConfigKey::new("tasks.max", Int, Value("1"), High, "Maximum number of tasks to use for this connector.")
                .validator(Validator::AtLeast(1))
                .group(COMMON_GROUP, next(), Width::Short, "Tasks max"),
        )
        .define(
            ConfigKey::new(
                "tasks.max.enforce",
                Boolean,
                Value("true"),
                Low,
                "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release.",
            )
            .group(COMMON_GROUP, next(), Width::Short, "Enforce tasks max"),
        );
    for (key, what, display) in [
        ("key.converter", "keys", "Key converter class"),
        ("value.converter", "values", "Value converter class"),
    ] {
        def.add(
            ConfigKey::new(
                key,
                Class,
                Null,
                Low,
                &format!("Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the {what} in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro."),
            )
            .group(COMMON_GROUP, next(), Width::Short, display),
        );
    }
    def.add(
        ConfigKey::new(
            "header.converter",
            Class,
            Null,
            Low,
            "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas.",
        )
        .group(COMMON_GROUP, next(), Width::Short, "Header converter class"),
    );
    def.add(
        ConfigKey::new(
            "config.action.reload",
            String,
            Value("restart"),
            Low,
            "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future.",
        )
        .validator(Validator::OneOfIgnoreCase(&["none", "restart"]))
        .group(COMMON_GROUP, next(), Width::Medium, "Reload Action"),
    );
    if kind == Some(ConnectorType::Sink) {
        def.add(
            ConfigKey::new(
                "topics",
                List,
                Value(""),
                High,
                "List of topics to consume, separated by commas",
            )
            .group(COMMON_GROUP, 4, Width::Long, "Topics"),
        );
        def.add(
            ConfigKey::new(
                "topics.regex",
                String,
                Value(""),
                High,
                "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified.",
            )
            .validator(Validator::Regex)
            .group(COMMON_GROUP, 4, Width::Long, "Topics regex"),
        );
    }
    def.add(
        ConfigKey::new(
            "transforms",
            List,
            Value(""),
            Low,
            "Aliases for the transformations to be applied to records.",
        )
        .validator(Validator::Custom(unique_aliases))
        .group(TRANSFORMS_GROUP, next(), Width::Long, "Transforms"),
    );
    def.add(
        ConfigKey::new(
            "predicates",
            List,
            Value(""),
            Low,
            "Aliases for the predicates used by transformations.",
        )
        .validator(Validator::Custom(unique_aliases))
        .group(PREDICATES_GROUP, next(), Width::Long, "Predicates"),
    );
    def.add(
        ConfigKey::new("errors.retry.timeout", Long, Value("0"), Medium, "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.")
            .group(ERROR_GROUP, next(), Width::Medium, "Retry Timeout for Errors"),
    );
    def.add(
        ConfigKey::new("errors.retry.delay.max.ms", Long, Value("60000"), Medium, "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.")
            .group(ERROR_GROUP, next(), Width::Medium, "Maximum Delay Between Retries for Errors"),
    );
    def.add(
        ConfigKey::new("errors.tolerance", String, Value("none"), Medium, "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.")
            .validator(Validator::OneOf(&["none", "all"]))
            .group(ERROR_GROUP, next(), Width::Short, "Error Tolerance"),
    );
    def.add(
        ConfigKey::new("errors.log.enable", Boolean, Value("false"), Medium, "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.")
            .group(ERROR_GROUP, next(), Width::Short, "Log Errors"),
    );
    def.add(
        ConfigKey::new("errors.log.include.messages", Boolean, Value("false"), Medium, "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.")
            .group(ERROR_GROUP, next(), Width::Short, "Log Error Details"),
    );
    match kind {
        Some(ConnectorType::Sink) => {
            def.add(
                ConfigKey::new("errors.deadletterqueue.topic.name", String, Value(""), Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.")
                    .group(ERROR_GROUP, 6, Width::Medium, "Dead Letter Queue Topic Name"),
            );
            def.add(
                ConfigKey::new("errors.deadletterqueue.topic.replication.factor", Short, Value("3"), Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist.")
                    .group(ERROR_GROUP, 7, Width::Medium, "Dead Letter Queue Topic Replication Factor"),
            );
            def.add(
                ConfigKey::new("errors.deadletterqueue.context.headers.enable", Boolean, Value("false"), Medium, "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>")
                    .group(ERROR_GROUP, 8, Width::Medium, "Enable Error Context Headers"),
            );
        }
        Some(ConnectorType::Source) => {
            def.add(
                ConfigKey::new(
                    "topic.creation.groups",
                    List,
                    Value(""),
                    Low,
                    "Groups of configurations for topics created by source connectors",
                )
                .group("Topic Creation", 1, Width::Long, "Topic Creation Groups"),
            );
            def.add(
                ConfigKey::new("exactly.once.support", String, Value("requested"), Medium, "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.")
                    .validator(Validator::OneOfIgnoreCase(&["requested", "required"]))
                    .group("Exactly Once Support", 1, Width::Short, "Exactly once support"),
            );
            def.add(
                ConfigKey::new("transaction.boundary", String, Value("poll"), Medium, "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.")
                    .validator(Validator::OneOfIgnoreCase(&["poll", "interval", "connector"]))
                    .group("Exactly Once Support", 2, Width::Short, "Transaction Boundary"),
            );
            def.add(
                ConfigKey::new("transaction.boundary.interval.ms", Long, Null, Low, "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.")
                    .validator(Validator::AtLeast(0))
                    .group("Exactly Once Support", 3, Width::Short, "Transaction boundary interval"),
            );
            def.add(
                ConfigKey::new("offsets.storage.topic", String, Null, Low, "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker’s global offsets topic name will be used. If specified, the offsets topic will be created if it does not already exist on the Kafka cluster targeted by this connector (which may be different from the one used for the worker's global offsets topic if the bootstrap.servers property of the connector's producer has been overridden from the value in the worker config).")
                    .group("offsets.topic", 1, Width::Long, "Offsets topic"),
            );
        }
        None => {}
    }
    def
}

/// The framework definition enriched with `transforms.<alias>.*` and `predicates.<alias>.*`
/// keys (ConnectorConfig.enrich), each alias in its own group.
pub fn enriched_def(kind: Option<ConnectorType>, props: &ConfigMap) -> ConfigDef {
    let mut def = framework_def(kind);
    for (list_key, prefix, what, group) in [
        ("transforms", "transforms", "transformation", "Transforms"),
        ("predicates", "predicates", "predicate", "Predicates"),
    ] {
        let aliases = props
            .get(list_key)
            .map(|v| super::def::split_list(v.trim()))
            .unwrap_or_default();
        let mut seen = Vec::new();
        for alias in aliases.into_iter().filter(|a| !a.is_empty()) {
            if seen.contains(&alias) {
                continue;
            }
            let g = format!("{group}: {alias}");
            def.add(
                ConfigKey::new(
                    &format!("{prefix}.{alias}.type"),
                    ConfigType::Class,
                    Default::Required,
                    Importance::High,
                    &format!("Class for the '{alias}' {what}."),
                )
                .group(
                    &g,
                    -1,
                    Width::Long,
                    &format!(
                        "{}{} type for {alias}",
                        what[..1].to_uppercase(),
                        &what[1..]
                    ),
                ),
            );
            if list_key == "transforms" {
                def.add(
                    ConfigKey::new(&format!("transforms.{alias}.predicate"), ConfigType::String, Default::Null, Importance::Medium, "The alias of a predicate used to determine whether to apply this transformation.")
                        .group(&g, -1, Width::Long, &format!("Predicate for {alias}")),
                );
                def.add(
                    ConfigKey::new(
                        &format!("transforms.{alias}.negate"),
                        ConfigType::Boolean,
                        Default::Value("false"),
                        Importance::Medium,
                        "Whether the configured predicate should be negated.",
                    )
                    .group(&g, -1, Width::Long, &format!("Negate for {alias}")),
                );
            }
            seen.push(alias);
        }
    }
    def
}

/// SinkConnectorConfig.validate: topics / topics.regex exclusivity and the DLQ checks, added to
/// the already validated values.
pub fn validate_sink(props: &ConfigMap, values: &mut [ConfigValue]) {
    let topics = props.get("topics").map(|s| s.trim()).unwrap_or("");
    let regex = props.get("topics.regex").map(|s| s.trim()).unwrap_or("");
    let dlq = props
        .get("errors.deadletterqueue.topic.name")
        .map(|s| s.trim())
        .unwrap_or("");
    let mut add = |key: &str, msg: String| {
        if let Some(v) = values.iter_mut().find(|v| v.name == key) {
            v.errors.push(msg);
        }
    };
    if !topics.is_empty() && !regex.is_empty() {
        let m =
            "topics and topics.regex are mutually exclusive options, but both are set.".to_string();
        add("topics", m.clone());
        add("topics.regex", m);
    }
    if topics.is_empty() && regex.is_empty() {
        let m = "Must configure one of topics or topics.regex".to_string();
        add("topics", m.clone());
        add("topics.regex", m);
    }
    if !dlq.is_empty() {
        let list = super::def::split_list(topics);
        if !topics.is_empty() && list.iter().any(|t| t == dlq) {
            add(
                "topics",
                format!(
                    "The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{}]') consumed by the connector",
                    list.join(", ")
                ),
            );
        }
        if !regex.is_empty() {
            if let Ok(re) = crate::runtime::topics::java_full_match_regex(regex) {
                if re.is_match(dlq).unwrap_or(false) {
                    add(
                        "topics.regex",
                        format!("The DLQ topic '{dlq}' may not be included in the regex matching the topics ('topics.regex={regex}') consumed by the connector"),
                    );
                }
            }
        }
    }
}

impl ConnectorConfig {
    /// Parses a (substituted) connector config; the first invalid key is the error.
    pub fn parse(
        kind: Option<ConnectorType>,
        props: &ConfigMap,
    ) -> Result<ConnectorConfig, ConfigError> {
        let p = framework_def(kind).parse(props)?;
        let get = |k: &str| p.get(k).cloned().unwrap_or(Parsed::Null);
        let string = |k: &str| {
            get(k)
                .as_str()
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let list = |k: &str| {
            get(k)
                .as_list()
                .map(|l| {
                    l.iter()
                        .filter(|s| !s.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let long = |k: &str, d: i64| get(k).as_i64().unwrap_or(d);
        let boolean = |k: &str| get(k).as_bool().unwrap_or(false);
        Ok(ConnectorConfig {
            name: string("name").unwrap_or_default(),
            connector_class: string("connector.class").unwrap_or_default(),
            tasks_max: long("tasks.max", 1).max(1) as usize,
            tasks_max_enforce: get("tasks.max.enforce").as_bool().unwrap_or(true),
            key_converter: props.get("key.converter").and(string("key.converter")),
            value_converter: props.get("value.converter").and(string("value.converter")),
            header_converter: props
                .get("header.converter")
                .and(string("header.converter")),
            transforms: list("transforms"),
            predicates: list("predicates"),
            errors: ErrorHandling {
                retry_timeout_ms: long("errors.retry.timeout", 0),
                retry_delay_max_ms: long("errors.retry.delay.max.ms", 60000),
                tolerance: if string("errors.tolerance").as_deref() == Some("all") {
                    ErrorTolerance::All
                } else {
                    ErrorTolerance::None
                },
                log_enable: boolean("errors.log.enable"),
                log_include_messages: boolean("errors.log.include.messages"),
                dlq_topic: string("errors.deadletterqueue.topic.name"),
                dlq_replication_factor: long("errors.deadletterqueue.topic.replication.factor", 3)
                    as i16,
                dlq_context_headers: boolean("errors.deadletterqueue.context.headers.enable"),
            },
            topics: list("topics"),
            topics_regex: string("topics.regex"),
            originals: props.clone(),
        })
    }

    /// Settings under a prefix, prefix stripped.
    pub fn originals_with_prefix(&self, prefix: &str) -> ConfigMap {
        self.originals
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn groups_and_orders() {
        let def = framework_def(Some(ConnectorType::Sink));
        assert_eq!(
            def.groups(),
            vec!["Common", "Transforms", "Predicates", "Error Handling"]
        );
        assert_eq!(def.key("connector.class").unwrap().order_in_group, 2);
        let def = enriched_def(
            None,
            &map(&[("transforms", "route, mask"), ("predicates", "isFoo")]),
        );
        assert_eq!(
            def.groups(),
            vec![
                "Common",
                "Transforms",
                "Predicates",
                "Error Handling",
                "Transforms: route",
                "Transforms: mask",
                "Predicates: isFoo"
            ]
        );
    }

    #[test]
    fn sink_topic_rules() {
        let props = map(&[("name", "s"), ("connector.class", "X")]);
        let def = framework_def(Some(ConnectorType::Sink));
        let mut values = def.validate(&props);
        validate_sink(&props, &mut values);
        let topics = values.iter().find(|v| v.name == "topics").unwrap();
        assert_eq!(
            topics.errors,
            vec!["Must configure one of topics or topics.regex"]
        );
        let props = map(&[
            ("topics", "a,dlq"),
            ("errors.deadletterqueue.topic.name", "dlq"),
        ]);
        let mut values = def.validate(&props);
        validate_sink(&props, &mut values);
        let topics = values.iter().find(|v| v.name == "topics").unwrap();
        assert_eq!(
            topics.errors,
            vec!["The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector"]
        );
    }

    #[test]
    fn typed_parse() {
        let c = ConnectorConfig::parse(
            Some(ConnectorType::Sink),
            &map(&[
                ("name", "s"),
                ("connector.class", "FileStreamSink"),
                ("tasks.max", "3"),
                ("topics", "a, b"),
                ("errors.tolerance", "all"),
                (
                    "value.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(c.tasks_max, 3);
        assert_eq!(c.topics, vec!["a", "b"]);
        assert_eq!(c.errors.tolerance, ErrorTolerance::All);
        assert_eq!(c.key_converter, None);
        assert!(c.value_converter.is_some());
        let e = ConnectorConfig::parse(
            None,
            &map(&[("name", "s"), ("connector.class", "x"), ("tasks.max", "0")]),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value 0 for configuration tasks.max: Value must be at least 1"
        );
    }
}
