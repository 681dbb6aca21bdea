//! io.confluent.connect.elasticsearch.ElasticsearchSinkConnector (reference §6): Kafka records
//! to Elasticsearch documents through the `_bulk` API, compatible with Confluent's connector
//! configuration (15.x keys and defaults), document ids, external versioning, conversion and
//! mappings.
//!
//! - `config.rs`: the ConfigDef, the typed config and Confluent's cross-key validation;
//! - `client.rs`: the HTTP client (why not the `elasticsearch` crate is explained there);
//! - `convert.rs`, `mapping.rs`: DataConverter and Mapping;
//! - `bulk.rs`: NDJSON bodies and per-item result classification;
//! - `task.rs`: batching, in-flight limits, retries, ordering and offset tracking.

pub mod bulk;
pub mod client;
pub mod config;
pub mod convert;
pub mod mapping;
pub mod task;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use hyper::Method;

use super::{ConnectorPlugin, PluginFactory};
use crate::config::{ConfigDef, ConfigMap, ConfigValue};
use crate::connectors::{
    Connector, ConnectorContext, ConnectorError, SinkConnector, TopicPartition,
};
use config::EsConfig;

/// The Confluent connector version this implementation follows.
pub const VERSION: &str = "15.1.3";

pub const PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
    task_class: "io.confluent.connect.elasticsearch.ElasticsearchSinkTask",
    version: VERSION,
    factory: PluginFactory::Sink {
        connector: || Box::new(ElasticsearchSinkConnector::default()),
        task: || Box::new(task::ElasticsearchSinkTask::default()),
    },
};

#[derive(Default)]
pub struct ElasticsearchSinkConnector {
    props: ConfigMap,
}

fn add_error(values: &mut [ConfigValue], key: &str, message: String) {
    if let Some(v) = values.iter_mut().find(|v| v.name == key) {
        if !v.errors.contains(&message) {
            v.errors.push(message);
        }
    }
}

/// Parses `major.minor.patch` loosely.
fn version_tuple(v: &str) -> (u32, u32, u32) {
    let mut it = v.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// Connects to Elasticsearch as Confluent's Validator does: ping, version, and (resource
/// mapping mode) that each mapped resource exists. Returns (key, message) errors.
pub async fn check_connection(cfg: &EsConfig) -> Vec<(&'static str, String)> {
    use config::*;
    let mut errs = Vec::new();
    let client = match client::EsClient::new(cfg) {
        Ok(c) => c,
        Err(e) => {
            errs.push((
                CONNECTION_URL,
                format!("Invalid Elasticsearch client configuration: {e}"),
            ));
            return errs;
        }
    };
    let resp = match client.request(Method::GET, "/", None).await {
        Ok(r) => r,
        Err(e) => {
            errs.push((
                CONNECTION_URL,
                format!("Could not connect to Elasticsearch. Error message: {e}"),
            ));
            return errs;
        }
    };
    match resp.status {
        200 => {}
        401 | 403 => {
            let m = format!(
                "Could not authenticate the user. Check the '{CONNECTION_USERNAME}' and '{CONNECTION_PASSWORD}' (or '{CONNECTION_API_KEY}'). Error message: HTTP {}: {}",
                resp.status,
                resp.text()
            );
            errs.push((CONNECTION_USERNAME, m.clone()));
            errs.push((CONNECTION_PASSWORD, m.clone()));
            errs.push((CONNECTION_API_KEY, m));
            return errs;
        }
        s => {
            errs.push((
                CONNECTION_URL,
                format!(
                    "Could not connect to Elasticsearch. Error message: HTTP {s}: {}",
                    resp.text()
                ),
            ));
            return errs;
        }
    }
    let number = resp
        .json()
        .and_then(|j| {
            j.get("version")
                .and_then(|v| v.get("number"))
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let v = version_tuple(&number);
    if v < (7, 0, 0) {
        errs.push((
            CONNECTION_URL,
            format!("Connector version {VERSION} is not compatible with Elasticsearch version {number}; Elasticsearch 7.0.0 or later is required."),
        ));
    } else if cfg.is_data_stream() && v < (7, 9, 0) {
        errs.push((
            CONNECTION_URL,
            format!("Elasticsearch version {number} does not support data streams; 7.9.0 or later is required."),
        ));
    }
    if cfg.resource_usage != ResourceUsage::Disabled {
        let kind = match cfg.resource_usage {
            ResourceUsage::Index => "Index",
            ResourceUsage::Datastream => "Data stream",
            _ => "Alias",
        };
        let mut names: Vec<&String> = cfg.resource_mapping.values().collect();
        names.sort();
        for name in names {
            let path = match cfg.resource_usage {
                ResourceUsage::Datastream => format!("/_data_stream/{name}"),
                ResourceUsage::AliasIndex | ResourceUsage::AliasDatastream => {
                    format!("/_alias/{name}")
                }
                _ => format!("/{name}"),
            };
            match client.request(Method::GET, &path, None).await {
                Ok(r) if r.status == 200 => {}
                Ok(r) if r.status == 404 => errs.push((
                    TOPIC_TO_EXTERNAL_RESOURCE_MAPPING,
                    format!("{kind} '{name}' does not exist in Elasticsearch"),
                )),
                Ok(r) => errs.push((
                    TOPIC_TO_EXTERNAL_RESOURCE_MAPPING,
                    format!(
                        "Failed to check if {kind} '{name}' exists: HTTP {}: {}",
                        r.status,
                        r.text()
                    ),
                )),
                Err(e) => errs.push((
                    TOPIC_TO_EXTERNAL_RESOURCE_MAPPING,
                    format!("Failed to check if {kind} '{name}' exists: {e}"),
                )),
            }
        }
    }
    errs
}

#[async_trait::async_trait]
impl Connector for ElasticsearchSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config::config_def()
    }

    /// ConfigDef checks, then Confluent's cross-key rules, then (only when all of that passed)
    /// a connection to Elasticsearch.
    async fn validate(&self, props: &ConfigMap) -> Vec<ConfigValue> {
        let mut values = config::config_def().validate(props);
        if values.iter().any(|v| !v.errors.is_empty()) {
            return values;
        }
        let cfg = match EsConfig::parse(props) {
            Ok(c) => c,
            Err(e) => {
                let key = e.key().to_string();
                add_error(&mut values, &key, e.to_string());
                return values;
            }
        };
        let errs = config::cross_checks(&cfg, props);
        let had_errors = !errs.is_empty();
        for (k, m) in errs {
            add_error(&mut values, k, m);
        }
        if !had_errors {
            for (k, m) in check_connection(&cfg).await {
                add_error(&mut values, k, m);
            }
        }
        values
    }

    async fn start(
        &mut self,
        config: &ConfigMap,
        _ctx: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectorError> {
        let cfg = EsConfig::parse(config)?;
        if let Some((k, m)) = config::cross_checks(&cfg, config).into_iter().next() {
            return Err(ConnectorError::config(k, m));
        }
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectorError> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }
}

#[async_trait::async_trait]
impl SinkConnector for ElasticsearchSinkConnector {
    /// Offsets live only in the consumer group.
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectorError> {
        Ok(true)
    }
}
