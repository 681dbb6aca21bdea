//! The plugin catalogue for /connector-plugins: connectors (sinks, then sources), then
//! transformations, predicates, converters and header converters, by Java class name.

use crate::config::connector::framework_def;
use crate::config::ConfigKeyInfo;
use crate::connectors::{self, ConnectorType, PLUGINS};
use crate::converters::{create_header_converter, CONVERTER_CLASSES};
use crate::transforms::{PREDICATE_CLASSES, TRANSFORMATION_CLASSES};

use super::entities::PluginInfo;
use super::error::HerderError;

pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

/// Kafka's own plugins report the Kafka version; others report none (omitted).
fn version_of(class: &str) -> Option<String> {
    class
        .starts_with("org.apache.kafka.")
        .then(|| "3.9.0".to_string())
}

fn info(class: &str, kind: &str, version: Option<String>) -> PluginInfo {
    PluginInfo {
        class: class.to_string(),
        kind: kind.to_string(),
        version,
    }
}

fn header_converter_classes() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = CONVERTER_CLASSES
        .iter()
        .copied()
        .filter(|c| create_header_converter(c).is_some())
        .collect();
    if !out.contains(&SIMPLE_HEADER_CONVERTER) {
        out.push(SIMPLE_HEADER_CONVERTER);
    }
    out.sort();
    out
}

pub fn list(connectors_only: bool) -> Vec<PluginInfo> {
    let mut out = Vec::new();
    for kind in [ConnectorType::Sink, ConnectorType::Source] {
        let mut ps: Vec<_> = PLUGINS.iter().filter(|p| p.kind() == kind).collect();
        ps.sort_by_key(|p| p.class);
        out.extend(
            ps.into_iter()
                .map(|p| info(p.class, kind.as_str(), Some(p.version.to_string()))),
        );
    }
    if connectors_only {
        return out;
    }
    let sorted = |classes: &[&'static str]| {
        let mut v = classes.to_vec();
        v.sort();
        v
    };
    out.extend(
        sorted(TRANSFORMATION_CLASSES)
            .into_iter()
            .map(|c| info(c, "transformation", version_of(c))),
    );
    out.extend(
        sorted(PREDICATE_CLASSES)
            .into_iter()
            .map(|c| info(c, "predicate", version_of(c))),
    );
    out.extend(
        sorted(CONVERTER_CLASSES)
            .into_iter()
            .map(|c| info(c, "converter", version_of(c))),
    );
    out.extend(
        header_converter_classes()
            .into_iter()
            .map(|c| info(c, "header_converter", version_of(c))),
    );
    out
}

fn simple(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// /connector-plugins/{plugin}/config: the plugin's own keys, then framework keys it does not
/// override. Non-connector plugins are known but their definitions are not exposed (empty).
pub fn config(plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
    if let Some(p) = connectors::find(plugin) {
        let own = p.config_def();
        let mut keys: Vec<ConfigKeyInfo> = own.keys.iter().map(ConfigKeyInfo::from).collect();
        for k in &framework_def(Some(p.kind())).keys {
            if own.key(&k.name).is_none() {
                keys.push(ConfigKeyInfo::from(k));
            }
        }
        return Ok(keys);
    }
    let known = TRANSFORMATION_CLASSES
        .iter()
        .chain(PREDICATE_CLASSES)
        .chain(CONVERTER_CLASSES)
        .chain([SIMPLE_HEADER_CONVERTER].iter())
        .any(|c| *c == plugin || simple(c) == plugin);
    if known {
        Ok(Vec::new())
    } else {
        Err(HerderError::NotFound(format!("Unknown plugin {plugin}.")))
    }
}
