//! The offsets API (KIP-875): read a connector's offsets in any state; alter or reset them only
//! when it is STOPPED. Source offsets live in the offset store, sink offsets in the consumer
//! group `connect-<name>` (or `consumer.override.group.id`).

use serde_json::{json, Map as JsonMap, Value as Json};

use super::Herder;
use crate::config::ConfigMap;
use crate::connectors::{self, ConnectorType, PluginFactory, TopicPartition};
use crate::runtime::entities::{ConnectorOffset, ConnectorOffsets, Message};
use crate::runtime::error::HerderError;
use crate::runtime::status::TargetState;

type JsonObject = JsonMap<String, Json>;

fn group_of(name: &str, config: &ConfigMap) -> String {
    config
        .get("consumer.override.group.id")
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| format!("connect-{name}"))
}

fn message(reset: bool, connector_handled: bool) -> Message {
    let (verb, verb2) = if reset {
        ("reset", "reset")
    } else {
        ("altered", "altered")
    };
    Message {
        message: if connector_handled {
            format!("The offsets for this connector have been {verb} successfully")
        } else {
            format!("The Connect framework-managed offsets for this connector have been {verb} successfully. However, if this connector manages offsets externally, they will need to be manually {verb2} in the system that the connector uses.")
        },
    }
}

fn bad(m: impl Into<String>) -> HerderError {
    HerderError::BadRequest(m.into())
}

fn json_text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "null".into(),
    }
}

/// SinkUtils.parseSinkConnectorOffsets.
fn parse_sink_offsets(
    offsets: &[ConnectorOffset],
) -> Result<Vec<(TopicPartition, Option<i64>)>, HerderError> {
    let mut out = Vec::new();
    for o in offsets {
        let p = o.partition.as_ref().ok_or_else(|| {
            bad("The partition for a sink connector offset cannot be null or missing")
        })?;
        if !p.contains_key("kafka_topic") || !p.contains_key("kafka_partition") {
            return Err(bad("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"));
        }
        let topic = match p.get("kafka_topic") {
            Some(Json::Null) | None => {
                return Err(bad(
                    "Kafka topic names must be valid strings and may not be null",
                ))
            }
            v => json_text(v),
        };
        let partition = match p.get("kafka_partition") {
            Some(Json::Null) | None => return Err(bad("Kafka partitions must be valid numbers and may not be null")),
            v => json_text(v).parse::<i32>().map_err(|_| {
                bad(format!(
                    "Failed to parse the following Kafka partition value in the provided offsets: '{}'. Partition values for sink connectors need to be integers.",
                    json_text(v)
                ))
            })?,
        };
        let offset = match &o.offset {
            None => None,
            Some(m) => {
                let v = m.get("kafka_offset").ok_or_else(|| {
                    bad("The offset for a sink connector should either be null or contain the key 'kafka_offset'")
                })?;
                Some(json_text(Some(v)).parse::<i64>().map_err(|_| {
                    bad(format!(
                        "Failed to parse the following Kafka offset value in the provided offsets: '{}'. Offset values for sink connectors need to be integers.",
                        json_text(Some(v))
                    ))
                })?)
            }
        };
        out.push((TopicPartition::new(topic, partition), offset));
    }
    Ok(out)
}

fn parse_source_offsets(
    offsets: &[ConnectorOffset],
) -> Result<Vec<(JsonObject, Option<JsonObject>)>, HerderError> {
    let primitive = |m: &JsonObject| m.values().all(|v| !v.is_object() && !v.is_array());
    let mut out = Vec::new();
    for o in offsets {
        let p = o.partition.clone().ok_or_else(|| {
            bad("The partition for a source connector offset cannot be null or missing")
        })?;
        if !primitive(&p) || o.offset.as_ref().is_some_and(|m| !primitive(m)) {
            return Err(bad(
                "Offsets may only contain primitive types as values, but a map or list was found",
            ));
        }
        out.push((p, o.offset.clone()));
    }
    Ok(out)
}

impl Herder {
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        let plugin = entry
            .config
            .get("connector.class")
            .and_then(|c| connectors::find(c))
            .ok_or_else(|| {
                HerderError::Internal(super::validate::class_not_found_message(
                    entry
                        .config
                        .get("connector.class")
                        .map(String::as_str)
                        .unwrap_or(""),
                ))
            })?;
        let offsets = match plugin.kind() {
            ConnectorType::Source => self
                .shared
                .offsets
                .all(name)
                .into_iter()
                .map(|(p, o)| ConnectorOffset {
                    partition: Some(p),
                    offset: Some(o),
                })
                .collect(),
            ConnectorType::Sink => {
                let resolved = self.shared.config.config_providers.transform(&entry.config);
                let mut committed = self
                    .shared
                    .kafka
                    .committed_offsets(&group_of(name, &resolved))
                    .await?;
                committed.sort();
                committed
                    .into_iter()
                    .map(|(t, p, o)| ConnectorOffset {
                        partition: json!({"kafka_topic": t, "kafka_partition": p})
                            .as_object()
                            .cloned(),
                        offset: json!({ "kafka_offset": o }).as_object().cloned(),
                    })
                    .collect()
            }
        };
        Ok(ConnectorOffsets {
            offsets: Some(offsets),
        })
    }

    /// PATCH (Some offsets) or DELETE (None) /connectors/{n}/offsets.
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: Option<Vec<ConnectorOffset>>,
    ) -> Result<Message, HerderError> {
        // Kafka checks the body in the REST resource, before existence and state.
        if let Some(o) = &offsets {
            if o.is_empty() {
                return Err(bad(
                    "Partitions / offsets need to be provided for an alter offsets request",
                ));
            }
        }
        let _running = self.running.lock().await;
        let reset = offsets.is_none();
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Connector {name} not found")))?;
        if entry.target != TargetState::Stopped || !entry.tasks.is_empty() {
            return Err(bad(format!("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint")));
        }
        let class = entry
            .config
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        let plugin = connectors::find(&class).ok_or_else(|| {
            HerderError::Internal(super::validate::class_not_found_message(&class))
        })?;
        let resolved = self.shared.config.config_providers.transform(&entry.config);
        let handled = match plugin.factory {
            PluginFactory::Source { connector, .. } => {
                let parsed = match &offsets {
                    Some(o) => parse_source_offsets(o)?,
                    None => self
                        .shared
                        .offsets
                        .all(name)
                        .into_iter()
                        .map(|(p, _)| (p, None))
                        .collect(),
                };
                let handled = connector()
                    .alter_offsets(&resolved, &parsed)
                    .await
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                self.shared
                    .offsets
                    .write(name, parsed)
                    .await
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                handled
            }
            PluginFactory::Sink { connector, .. } => {
                let group = group_of(name, &resolved);
                let kafka = self.shared.kafka.clone();
                let parsed = match &offsets {
                    Some(o) => parse_sink_offsets(o)?,
                    None => kafka
                        .committed_offsets(&group)
                        .await?
                        .into_iter()
                        .map(|(t, p, _)| (TopicPartition::new(t, p), None))
                        .collect(),
                };
                let handled = connector()
                    .alter_offsets(&resolved, &parsed)
                    .await
                    .map_err(|e| HerderError::Internal(e.to_string()))?;
                let removed: Vec<&TopicPartition> = parsed
                    .iter()
                    .filter(|(_, o)| o.is_none())
                    .map(|(tp, _)| tp)
                    .collect();
                if !removed.is_empty() {
                    // Only whole-group deletion exists: keep the others by committing them again.
                    let keep: Vec<(String, i32, i64)> = kafka
                        .committed_offsets(&group)
                        .await?
                        .into_iter()
                        .filter(|(t, p, _)| {
                            !removed
                                .iter()
                                .any(|tp| tp.topic == *t && tp.partition == *p)
                        })
                        .collect();
                    kafka.delete_committed_offsets(&group).await?;
                    if !keep.is_empty() {
                        kafka.commit_offsets(&group, &keep).await?;
                    }
                }
                let set: Vec<(String, i32, i64)> = parsed
                    .iter()
                    .filter_map(|(tp, o)| o.map(|o| (tp.topic.clone(), tp.partition, o)))
                    .collect();
                if !set.is_empty() {
                    kafka.commit_offsets(&group, &set).await?;
                }
                handled
            }
        };
        Ok(message(reset, handled))
    }
}
