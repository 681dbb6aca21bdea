//! A task's key, value and header converters (Worker.newConverter): a converter set on the
//! connector replaces the worker's and then only the connector's own `key.converter.*`
//! sub-settings apply; otherwise the worker's class and sub-settings are used (§3.2).

use std::collections::HashMap;

use crate::config::{ConfigMap, ConnectorConfig, WorkerConfig};
use crate::converters::{create_converter, create_header_converter, Converter, HeaderConverter};

pub struct Converters {
    pub key: Box<dyn Converter>,
    pub value: Box<dyn Converter>,
    pub header: Box<dyn HeaderConverter>,
    pub key_class: String,
    pub value_class: String,
    pub header_class: String,
}

/// The converter class and its settings for one side (`key.converter`, ...).
pub fn resolve(
    worker: &WorkerConfig,
    connector: &ConfigMap,
    prop: &str,
) -> (String, HashMap<String, String>) {
    let prefix = format!("{prop}.");
    let from = |m: &ConfigMap| -> HashMap<String, String> {
        m.iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    };
    match connector
        .get(prop)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(class) => (class.to_string(), from(connector)),
        None => {
            let class = match prop {
                "key.converter" => worker.key_converter.clone(),
                "value.converter" => worker.value_converter.clone(),
                _ => worker.header_converter.clone(),
            };
            (class, from(&worker.originals))
        }
    }
}

fn not_found(prop: &str, class: &str) -> String {
    format!("Invalid value {class} for configuration {prop}: Class {class} could not be found.")
}

impl Converters {
    /// Builds and configures the three converters; the error names the bad key.
    pub fn build(worker: &WorkerConfig, connector: &ConnectorConfig) -> Result<Converters, String> {
        let (key_class, key_props) = resolve(worker, &connector.originals, "key.converter");
        let (value_class, value_props) = resolve(worker, &connector.originals, "value.converter");
        let (header_class, header_props) =
            resolve(worker, &connector.originals, "header.converter");
        let mut key =
            create_converter(&key_class).ok_or_else(|| not_found("key.converter", &key_class))?;
        key.configure(&key_props, true).map_err(|e| e.to_string())?;
        let mut value = create_converter(&value_class)
            .ok_or_else(|| not_found("value.converter", &value_class))?;
        value
            .configure(&value_props, false)
            .map_err(|e| e.to_string())?;
        let mut header = create_header_converter(&header_class)
            .ok_or_else(|| not_found("header.converter", &header_class))?;
        header.configure(&header_props).map_err(|e| e.to_string())?;
        Ok(Converters {
            key,
            value,
            header,
            key_class,
            value_class,
            header_class,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_converter_does_not_inherit_worker_settings() {
        let mut w = ConfigMap::new();
        w.insert("value.converter.schemas.enable".into(), "false".into());
        w.insert("key.converter.schemas.enable".into(), "false".into());
        let worker = WorkerConfig::from_map(w).unwrap();
        let mut c = ConfigMap::new();
        c.insert(
            "value.converter".into(),
            "org.apache.kafka.connect.json.JsonConverter".into(),
        );
        c.insert("key.converter.schemas.enable".into(), "true".into());
        let (class, props) = resolve(&worker, &c, "value.converter");
        assert_eq!(class, "org.apache.kafka.connect.json.JsonConverter");
        assert!(
            props.is_empty(),
            "worker sub-settings must not leak: {props:?}"
        );
        // No connector-level class: the worker's class and the worker's settings.
        let (_, props) = resolve(&worker, &c, "key.converter");
        assert_eq!(
            props.get("schemas.enable").map(String::as_str),
            Some("false")
        );
    }
}
