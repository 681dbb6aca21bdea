//! Configuration as Kafka Connect defines it: the worker config, the connector framework config,
//! a ConfigDef-like typed definition model (also what /config/validate renders), Java
//! `.properties` files and `${provider:path:key}` config providers.

pub mod client_overrides;
pub mod connector;
pub mod def;
pub mod info;
pub mod properties;
pub mod providers;
pub mod topic_creation;
pub mod worker;

pub use connector::{ConnectorConfig, ErrorTolerance};
pub use def::{
    ConfigDef, ConfigError, ConfigKey, ConfigType, ConfigValue, Importance, Parsed, Validator,
    Width,
};
pub use info::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo};
pub use providers::ConfigProviders;
pub use worker::{Listener, WorkerConfig, WorkerConfigError};

/// A connector or task config: string keys and values in the order the user gave them.
pub type ConfigMap = indexmap::IndexMap<String, String>;

/// Renders a config map as a JSON object (string values), keeping the order.
pub fn config_to_json(config: &ConfigMap) -> serde_json::Map<String, serde_json::Value> {
    config
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

/// Java's `Map.toString()` (`{a=1, b=2}`), used in a few Kafka error messages.
pub fn java_map_string(config: &ConfigMap) -> String {
    let body: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", body.join(", "))
}
