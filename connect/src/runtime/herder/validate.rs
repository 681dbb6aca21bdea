//! Connector config validation (AbstractHerder.validateConnectorConfig): framework keys
//! (enriched per transform and predicate alias), sink topic rules, converter and transform
//! checks, then the connector's own validate — merged into one ConfigInfos.

use std::collections::BTreeMap;

use super::Herder;
use crate::config::connector::{enriched_def, validate_sink};
use crate::config::{java_map_string, ConfigInfos, ConfigMap, ConfigValue};
use crate::connectors::{self, PluginFactory, PLUGINS};
use crate::converters::{create_converter, create_header_converter};
use crate::runtime::error::HerderError;
use crate::transforms::TransformChain;

/// "Failed to find any class that implements Connector and which name matches ...".
pub fn class_not_found_message(class: &str) -> String {
    let available: Vec<String> = PLUGINS.iter().map(connectors::plugin_desc).collect();
    format!(
        "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
        available.join(", ")
    )
}

/// The 400 message for a create/update with validation errors.
pub fn invalid_config_message(infos: &ConfigInfos) -> String {
    let mut m = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        infos.error_count
    );
    for e in infos.error_messages() {
        m.push('\n');
        m.push_str(&e);
    }
    m.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    m
}

fn add_error(values: &mut Vec<ConfigValue>, name: &str, message: String) {
    match values.iter_mut().find(|v| v.name == name) {
        Some(v) => v.errors.push(message),
        None => {
            let mut v = ConfigValue::new(name);
            v.errors.push(message);
            values.push(v);
        }
    }
}

fn simple_name(class: &str) -> &str {
    class.rsplit(['.', '$']).next().unwrap_or(class)
}

/// Adds a chain error to the key it names (`transforms.<alias>.<key>`), once.
fn attribute(
    values: &mut Vec<ConfigValue>,
    e: crate::transforms::TransformError,
    alias: Option<&str>,
) {
    let at = match (e.key(), alias) {
        (Some(k), _) if k.starts_with("transforms") || k.starts_with("predicates") => k.to_string(),
        (Some(k), Some(a)) => format!("transforms.{a}.{k}"),
        _ => "transforms".to_string(),
    };
    let message = e.to_string();
    if !values
        .iter()
        .any(|v| v.name == at && v.errors.contains(&message))
    {
        add_error(values, &at, message);
    }
}

/// Builds the predicates, then each transform alias alone (with the predicates), so every
/// error lands on the key it is about (class not found, bad settings, unknown predicate).
fn check_transforms(config: &ConfigMap, values: &mut Vec<ConfigValue>) {
    let base: BTreeMap<String, String> = config
        .iter()
        .filter(|(k, _)| k.starts_with("predicates"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Err(e) = TransformChain::from_config(&base) {
        attribute(values, e, None);
    }
    let aliases: Vec<String> = config
        .get("transforms")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut seen = Vec::new();
    for alias in aliases {
        if seen.contains(&alias) {
            continue;
        }
        let prefix = format!("transforms.{alias}.");
        let mut sub = base.clone();
        sub.extend(
            config
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        sub.insert("transforms".into(), alias.clone());
        if let Err(e) = TransformChain::from_config(&sub) {
            attribute(values, e, Some(&alias));
        }
        seen.push(alias);
    }
}

/// Converter classes set on the connector, and their connector-level settings.
fn check_converters(config: &ConfigMap, values: &mut Vec<ConfigValue>) {
    for (prop, is_key) in [
        ("key.converter", Some(true)),
        ("value.converter", Some(false)),
        ("header.converter", None),
    ] {
        let Some(class) = config
            .get(prop)
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        let prefix = format!("{prop}.");
        let props: std::collections::HashMap<String, String> = config
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
            .collect();
        let result = match is_key {
            Some(is_key) => create_converter(&class).map(|mut c| c.configure(&props, is_key)),
            None => create_header_converter(&class).map(|mut c| c.configure(&props)),
        };
        match result {
            None => add_error(values, prop, format!("Invalid value {class} for configuration {prop}: Class {class} could not be found.")),
            Some(Err(e)) => {
                let at = match &e {
                    crate::converters::ConverterError::Config { key, .. } => format!("{prefix}{key}"),
                    _ => prop.to_string(),
                };
                add_error(values, &at, e.to_string());
            }
            Some(Ok(())) => {}
        }
    }
}

impl Herder {
    /// PUT /connector-plugins/{p}/config/validate and the check before create/update.
    pub async fn validate(&self, config: &ConfigMap) -> Result<ConfigInfos, HerderError> {
        let class = config
            .get("connector.class")
            .map(|c| c.trim())
            .unwrap_or("");
        if class.is_empty() {
            return Err(HerderError::BadRequest(format!(
                "Connector config {} contains no connector type",
                java_map_string(config)
            )));
        }
        let plugin = connectors::find(class)
            .ok_or_else(|| HerderError::Internal(class_not_found_message(class)))?;
        let name = config.get("connector.class").cloned().unwrap_or_default();
        let resolved = self.shared.config.config_providers.transform(config);
        let mut def = enriched_def(Some(plugin.kind()), &resolved);
        if plugin.kind() == connectors::ConnectorType::Source
            && self.shared.config.topic_creation_enable
        {
            crate::config::topic_creation::enrich(&mut def, &resolved);
        }
        let mut values = def.validate(&resolved);
        if plugin.kind() == connectors::ConnectorType::Sink {
            validate_sink(&resolved, &mut values);
        }
        check_transforms(&resolved, &mut values);
        check_converters(&resolved, &mut values);
        let framework = ConfigInfos::generate(&name, &def, &values, def.groups());
        let (own_def, own_values) = match plugin.factory {
            PluginFactory::Source { connector, .. } => {
                let c = connector();
                (c.config_def(), c.validate(&resolved).await)
            }
            PluginFactory::Sink { connector, .. } => {
                let c = connector();
                (c.config_def(), c.validate(&resolved).await)
            }
        };
        let own = ConfigInfos::generate(&name, &own_def, &own_values, own_def.groups());
        let overrides = crate::config::client_overrides::validate(
            &resolved,
            plugin.kind(),
            self.shared.config.override_policy,
        );
        Ok(ConfigInfos::merge(&name, vec![framework, own, overrides]))
    }

    /// Whether a plugin path parameter matches the body's connector.class (validate endpoint).
    pub fn plugin_matches(included: &str, path_plugin: &str) -> bool {
        fn normalized(s: &str) -> &str {
            match s.strip_suffix("Connector") {
                Some(stripped) if !stripped.is_empty() => stripped,
                _ => s,
            }
        }
        normalized(included).ends_with(normalized(path_plugin))
            || simple_name(included) == path_plugin
    }
}
