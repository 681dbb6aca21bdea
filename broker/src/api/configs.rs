//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for topics and the broker. Every
//! config is described with its value and source (topic override, dynamic broker default,
//! static broker config, Kafka default), so tools can tell overrides from defaults.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{
    alter_configs_response, incremental_alter_configs_response, AlterConfigsRequest,
    AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use sluice_storage::config::{topic_config_def, validate_value, ConfigType, TOPIC_CONFIGS};

use super::sb;
use crate::config::{broker_def, Source, BROKER_CONFIGS};
use crate::state::{Broker, TopicError};

pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;
pub const BROKER_LOGGER: i8 = 8;

const SRC_TOPIC: i8 = 1;
const SRC_DYNAMIC_DEFAULT_BROKER: i8 = 3;
const SRC_STATIC_BROKER: i8 = 4;
const SRC_DEFAULT: i8 = 5;

fn synonym(name: &str, value: Option<String>, source: i8) -> DescribeConfigsSynonym {
    let mut s = DescribeConfigsSynonym::default();
    s.name = sb(name);
    s.value = value.map(sb);
    s.source = source;
    s
}

/// Describes every topic config (or only `keys`) for a topic with the given overrides.
pub fn topic_config_entries(
    b: &Broker,
    overrides: &BTreeMap<String, String>,
    keys: Option<&[String]>,
    synonyms: bool,
    docs: bool,
    version: i16,
) -> Vec<DescribeConfigsResourceResult> {
    let dynamic = b.meta.broker_configs().unwrap_or_default();
    let mut out = Vec::new();
    for d in TOPIC_CONFIGS {
        if let Some(k) = keys {
            if !k.iter().any(|x| x == d.name) {
                continue;
            }
        }
        let mut chain: Vec<(String, String, i8)> = Vec::new();
        if let Some(v) = overrides.get(d.name) {
            chain.push((d.name.to_string(), v.clone(), SRC_TOPIC));
        }
        if let Some(syn) = d.broker_synonym {
            if let Some(v) = dynamic.get(syn) {
                chain.push((syn.to_string(), v.clone(), SRC_DYNAMIC_DEFAULT_BROKER));
            }
            if let Some(v) = b.config.explicit.get(syn) {
                chain.push((syn.to_string(), v.clone(), SRC_STATIC_BROKER));
            }
        }
        chain.push((
            d.broker_synonym.unwrap_or(d.name).to_string(),
            d.default.to_string(),
            SRC_DEFAULT,
        ));
        let (_, value, source) = chain[0].clone();
        let mut e = DescribeConfigsResourceResult::default();
        e.name = sb(d.name);
        e.value = Some(sb(value));
        e.config_source = source;
        e.read_only = false;
        e.is_sensitive = false;
        if version >= 3 {
            e.config_type = d.kind.code();
        }
        if synonyms {
            e.synonyms = chain
                .into_iter()
                .map(|(n, v, s)| synonym(&n, Some(v), s))
                .collect();
        }
        if docs && version >= 3 {
            e.documentation = Some(sb(d.doc));
        }
        out.push(e);
    }
    out
}

fn broker_config_entries(
    b: &Broker,
    keys: Option<&[String]>,
    synonyms: bool,
    docs: bool,
    version: i16,
) -> Vec<DescribeConfigsResourceResult> {
    let dynamic = b.meta.broker_configs().unwrap_or_default();
    let mut out = Vec::new();
    let wanted = |n: &str| keys.map(|k| k.iter().any(|x| x == n)).unwrap_or(true);
    for d in BROKER_CONFIGS {
        if !wanted(d.name) {
            continue;
        }
        let (value, src) = match b.config.describe(d.name) {
            Some((v, Source::Static)) => (v, SRC_STATIC_BROKER),
            Some((v, Source::Default)) => (v, SRC_DEFAULT),
            None => (None, SRC_DEFAULT),
        };
        let (value, src) = match dynamic.get(d.name) {
            Some(v) => (Some(v.clone()), SRC_DYNAMIC_DEFAULT_BROKER),
            None => (value, src),
        };
        let mut e = DescribeConfigsResourceResult::default();
        e.name = sb(d.name);
        e.value = value.clone().map(sb);
        e.config_source = src;
        e.read_only = topic_config_for_broker_key(d.name).is_none();
        if version >= 3 {
            e.config_type = d.kind.code();
        }
        if synonyms {
            e.synonyms = vec![synonym(d.name, value, src)];
        }
        if docs && version >= 3 {
            e.documentation = Some(sb(d.doc));
        }
        out.push(e);
    }
    // Broker-level defaults of topic configs (log.retention.ms, log.cleanup.policy, ...).
    for d in TOPIC_CONFIGS {
        let Some(syn) = d.broker_synonym else {
            continue;
        };
        if broker_def(syn).is_some() || !wanted(syn) {
            continue;
        }
        let (value, src) = if let Some(v) = dynamic.get(syn) {
            (v.clone(), SRC_DYNAMIC_DEFAULT_BROKER)
        } else if let Some(v) = b.config.explicit.get(syn) {
            (v.clone(), SRC_STATIC_BROKER)
        } else {
            (d.default.to_string(), SRC_DEFAULT)
        };
        let mut e = DescribeConfigsResourceResult::default();
        e.name = sb(syn);
        e.value = Some(sb(value.clone()));
        e.config_source = src;
        e.read_only = false;
        if version >= 3 {
            e.config_type = d.kind.code();
        }
        if synonyms {
            e.synonyms = vec![synonym(syn, Some(value), src)];
        }
        if docs && version >= 3 {
            e.documentation = Some(sb(d.doc));
        }
        out.push(e);
    }
    out.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    out
}

fn topic_config_for_broker_key(key: &str) -> Option<&'static sluice_storage::config::ConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.broker_synonym == Some(key))
}

fn is_this_broker(b: &Broker, name: &str) -> bool {
    name.is_empty() || name == b.config.node_id.to_string()
}

pub fn describe(b: &Broker, req: DescribeConfigsRequest, version: i16) -> DescribeConfigsResponse {
    let mut resp = DescribeConfigsResponse::default();
    for res in req.resources {
        let mut r = DescribeConfigsResult::default();
        r.resource_type = res.resource_type;
        r.resource_name = res.resource_name.clone();
        let keys: Option<Vec<String>> = res
            .configuration_keys
            .map(|k| k.iter().map(|s| s.as_str().to_string()).collect());
        let name = res.resource_name.as_str();
        match res.resource_type {
            TOPIC => match b.topic(name) {
                Some(t) => {
                    r.configs = topic_config_entries(
                        b,
                        &t.configs,
                        keys.as_deref(),
                        req.include_synonyms,
                        req.include_documentation,
                        version,
                    )
                }
                None => {
                    r.error_code = E::UnknownTopicOrPartition.code();
                    r.error_message = Some(sb(format!("Topic {name} does not exist")));
                }
            },
            BROKER if is_this_broker(b, name) => {
                r.configs = broker_config_entries(
                    b,
                    keys.as_deref(),
                    req.include_synonyms,
                    req.include_documentation,
                    version,
                )
            }
            BROKER => {
                r.error_code = E::InvalidRequest.code();
                r.error_message = Some(sb(format!(
                    "Unexpected broker id, expected {} or empty string, but received {name}",
                    b.config.node_id
                )));
            }
            BROKER_LOGGER => {}
            other => {
                r.error_code = E::InvalidRequest.code();
                r.error_message = Some(sb(format!("Unsupported resource type {other}")));
            }
        }
        resp.results.push(r);
    }
    resp
}

#[derive(Debug)]
struct AlterFailure(i16, String);

impl From<TopicError> for AlterFailure {
    fn from(e: TopicError) -> Self {
        AlterFailure(super::admin_topics::topic_error_code(&e), e.to_string())
    }
}

/// Applies `ops` (name, op, value) to `current`; op 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT.
fn apply_ops(
    current: &mut BTreeMap<String, String>,
    ops: &[(String, i8, Option<String>)],
    kind_of: impl Fn(&str) -> Option<ConfigType>,
) -> Result<(), AlterFailure> {
    for (name, op, value) in ops {
        let Some(kind) = kind_of(name) else {
            return Err(AlterFailure(
                E::InvalidConfig.code(),
                format!("Unknown config name: {name}"),
            ));
        };
        match op {
            0 => {
                let v = value.clone().ok_or_else(|| {
                    AlterFailure(
                        E::InvalidConfig.code(),
                        format!("Null value not supported for: {name}"),
                    )
                })?;
                current.insert(name.clone(), v);
            }
            1 => {
                current.remove(name);
            }
            2 | 3 => {
                if kind != ConfigType::List {
                    return Err(AlterFailure(
                        E::InvalidConfig.code(),
                        format!(
                            "Config value append/subtract is not allowed for config key {name}"
                        ),
                    ));
                }
                let cur = current.get(name).cloned().unwrap_or_default();
                let mut items: Vec<String> = cur
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                for v in value
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    if *op == 2 {
                        if !items.iter().any(|i| i == v) {
                            items.push(v.to_string());
                        }
                    } else {
                        items.retain(|i| i != v);
                    }
                }
                current.insert(name.clone(), items.join(","));
            }
            other => {
                return Err(AlterFailure(
                    E::InvalidRequest.code(),
                    format!("Unknown config operation {other} for {name}"),
                ))
            }
        }
    }
    Ok(())
}

async fn alter_topic(
    b: &Arc<Broker>,
    name: &str,
    ops: &[(String, i8, Option<String>)],
    replace: bool,
    validate_only: bool,
) -> Result<(), AlterFailure> {
    let topic = b.topic(name).ok_or_else(|| {
        AlterFailure(
            E::UnknownTopicOrPartition.code(),
            format!("Topic {name} does not exist"),
        )
    })?;
    let mut configs = if replace {
        BTreeMap::new()
    } else {
        topic.configs.clone()
    };
    apply_ops(&mut configs, ops, |n| topic_config_def(n).map(|d| d.kind))?;
    b.validate_topic_configs(&configs)?;
    if !validate_only {
        b.set_topic_configs(name, configs).await?;
    }
    Ok(())
}

fn alter_broker(
    b: &Broker,
    name: &str,
    ops: &[(String, i8, Option<String>)],
    validate_only: bool,
) -> Result<(), AlterFailure> {
    if !is_this_broker(b, name) {
        return Err(AlterFailure(
            E::InvalidRequest.code(),
            format!("Unexpected broker id {name}"),
        ));
    }
    let mut current = b
        .meta
        .broker_configs()
        .map_err(|e| AlterFailure(E::KafkaStorageError.code(), e.to_string()))?;
    let before = current.clone();
    apply_ops(&mut current, ops, |n| {
        topic_config_for_broker_key(n)
            .map(|d| d.kind)
            .or_else(|| broker_def(n).map(|_| ConfigType::String))
    })?;
    for (k, v) in &current {
        match topic_config_for_broker_key(k) {
            Some(d) => {
                validate_value(d, v).map_err(|m| AlterFailure(E::InvalidConfig.code(), m))?
            }
            None => {
                return Err(AlterFailure(
                    E::InvalidRequest.code(),
                    format!("Cannot update these configs dynamically: {k}"),
                ))
            }
        }
    }
    if validate_only {
        return Ok(());
    }
    for k in before.keys() {
        if !current.contains_key(k) {
            b.meta
                .put_broker_config(k, None)
                .map_err(|e| AlterFailure(E::KafkaStorageError.code(), e.to_string()))?;
        }
    }
    for (k, v) in &current {
        if before.get(k) != Some(v) {
            b.meta
                .put_broker_config(k, Some(v))
                .map_err(|e| AlterFailure(E::KafkaStorageError.code(), e.to_string()))?;
        }
    }
    b.refresh_log_configs();
    Ok(())
}

async fn alter_resource(
    b: &Arc<Broker>,
    rtype: i8,
    name: &str,
    ops: Vec<(String, i8, Option<String>)>,
    replace: bool,
    validate_only: bool,
) -> Result<(), AlterFailure> {
    match rtype {
        TOPIC => alter_topic(b, name, &ops, replace, validate_only).await,
        BROKER => alter_broker(b, name, &ops, validate_only),
        BROKER_LOGGER => Ok(()),
        other => Err(AlterFailure(
            E::InvalidRequest.code(),
            format!("Unsupported resource type {other}"),
        )),
    }
}

fn opt(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(|v| v.as_str().to_string())
}

pub async fn incremental_alter(
    b: &Arc<Broker>,
    req: IncrementalAlterConfigsRequest,
    _version: i16,
) -> IncrementalAlterConfigsResponse {
    let mut resp = IncrementalAlterConfigsResponse::default();
    for res in req.resources {
        let ops = res
            .configs
            .iter()
            .map(|c| {
                (
                    c.name.as_str().to_string(),
                    c.config_operation,
                    opt(&c.value),
                )
            })
            .collect();
        let mut r = incremental_alter_configs_response::AlterConfigsResourceResponse::default();
        r.resource_type = res.resource_type;
        r.resource_name = res.resource_name.clone();
        if let Err(AlterFailure(code, msg)) = alter_resource(
            b,
            res.resource_type,
            res.resource_name.as_str(),
            ops,
            false,
            req.validate_only,
        )
        .await
        {
            r.error_code = code;
            r.error_message = Some(sb(msg));
        }
        resp.responses.push(r);
    }
    resp
}

pub async fn alter(
    b: &Arc<Broker>,
    req: AlterConfigsRequest,
    _version: i16,
) -> AlterConfigsResponse {
    let mut resp = AlterConfigsResponse::default();
    for res in req.resources {
        let ops = res
            .configs
            .iter()
            .map(|c| (c.name.as_str().to_string(), 0i8, opt(&c.value)))
            .collect();
        let mut r = alter_configs_response::AlterConfigsResourceResponse::default();
        r.resource_type = res.resource_type;
        r.resource_name = res.resource_name.clone();
        if let Err(AlterFailure(code, msg)) = alter_resource(
            b,
            res.resource_type,
            res.resource_name.as_str(),
            ops,
            true,
            req.validate_only,
        )
        .await
        {
            r.error_code = code;
            r.error_message = Some(sb(msg));
        }
        resp.responses.push(r);
    }
    resp
}
