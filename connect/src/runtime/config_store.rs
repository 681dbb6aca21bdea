//! The connector config store (KafkaConfigBackingStore): raw connector configs, committed task
//! configs and target states, written to the config topic in Kafka's record formats
//! (`connector-<n>`, `task-<n>-<i>`, `commit-<n>`, `target-state-<n>`) and replayed at start.
//! Standalone mode keeps the same state in memory only.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use parking_lot::Mutex;
use serde_json::json;

use super::status::TargetState;
use super::topics::InternalTopic;
use crate::config::ConfigMap;
use crate::kafka::KafkaError;

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorEntry {
    /// As submitted (config-provider references unresolved).
    pub config: ConfigMap,
    pub target: TargetState,
    /// Committed task configs (raw: provider references restored).
    pub tasks: Vec<ConfigMap>,
}

#[derive(Default)]
struct Snapshot {
    connectors: IndexMap<String, ConnectorEntry>,
    /// Target states seen before their connector config (replay order).
    targets: HashMap<String, TargetState>,
    /// Task configs written but not yet committed.
    pending: HashMap<String, BTreeMap<u32, ConfigMap>>,
}

pub struct ConfigStore {
    /// Set once at start in distributed mode; unset = memory only (standalone).
    topic: std::sync::OnceLock<InternalTopic>,
    state: Mutex<Snapshot>,
}

fn properties_value(config: &ConfigMap) -> Vec<u8> {
    serde_json::to_vec(&json!({ "properties": crate::config::config_to_json(config) }))
        .unwrap_or_default()
}

fn parse_properties(value: &serde_json::Value) -> Option<ConfigMap> {
    let props = value.get("properties")?.as_object()?;
    Some(
        props
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
    )
}

impl Default for ConfigStore {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigStore {
    pub fn new() -> ConfigStore {
        ConfigStore {
            topic: std::sync::OnceLock::new(),
            state: Mutex::new(Snapshot::default()),
        }
    }

    /// Backs the store with the config topic (before replay).
    pub fn attach(&self, topic: InternalTopic) {
        let _ = self.topic.set(topic);
    }

    async fn write(&self, key: String, value: Option<Vec<u8>>) -> Result<(), KafkaError> {
        match self.topic.get() {
            Some(t) => t.write(key.as_bytes(), value).await,
            None => Ok(()),
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.state.lock().connectors.keys().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<ConnectorEntry> {
        self.state.lock().connectors.get(name).cloned()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.state.lock().connectors.contains_key(name)
    }

    /// Writes `target-state-<n>` (when given) then `connector-<n>`.
    pub async fn put_connector_config(
        &self,
        name: &str,
        config: &ConfigMap,
        target: Option<TargetState>,
    ) -> Result<(), KafkaError> {
        if let Some(t) = target {
            self.write(
                format!("target-state-{name}"),
                Some(t.record().to_string().into_bytes()),
            )
            .await?;
        }
        self.write(format!("connector-{name}"), Some(properties_value(config)))
            .await?;
        let mut s = self.state.lock();
        let pending_target = s.targets.remove(name);
        match s.connectors.get_mut(name) {
            Some(e) => {
                e.config = config.clone();
                if let Some(t) = target {
                    e.target = t;
                }
            }
            None => {
                let target = target.or(pending_target).unwrap_or(TargetState::Started);
                s.connectors.insert(
                    name.to_string(),
                    ConnectorEntry {
                        config: config.clone(),
                        target,
                        tasks: Vec::new(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Tombstones `connector-<n>` and `target-state-<n>`.
    pub async fn remove_connector(&self, name: &str) -> Result<(), KafkaError> {
        self.write(format!("connector-{name}"), None).await?;
        self.write(format!("target-state-{name}"), None).await?;
        let mut s = self.state.lock();
        s.connectors.shift_remove(name);
        s.pending.remove(name);
        Ok(())
    }

    /// Writes each `task-<n>-<i>` then `commit-<n>` `{"tasks":<count>}`.
    pub async fn put_task_configs(
        &self,
        name: &str,
        tasks: &[ConfigMap],
    ) -> Result<(), KafkaError> {
        if let Some(topic) = self.topic.get() {
            let mut records: Vec<(Vec<u8>, Option<Vec<u8>>)> = tasks
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    (
                        format!("task-{name}-{i}").into_bytes(),
                        Some(properties_value(t)),
                    )
                })
                .collect();
            records.push((
                format!("commit-{name}").into_bytes(),
                Some(json!({"tasks": tasks.len()}).to_string().into_bytes()),
            ));
            topic.write_all(records).await?;
        }
        if let Some(e) = self.state.lock().connectors.get_mut(name) {
            e.tasks = tasks.to_vec();
        }
        Ok(())
    }

    pub async fn put_target_state(
        &self,
        name: &str,
        target: TargetState,
    ) -> Result<(), KafkaError> {
        self.write(
            format!("target-state-{name}"),
            Some(target.record().to_string().into_bytes()),
        )
        .await?;
        if let Some(e) = self.state.lock().connectors.get_mut(name) {
            e.target = target;
        }
        Ok(())
    }

    /// `restart-connector-<n>` `{"include-tasks":..,"only-failed":..}` (kept for tools; a
    /// single worker acts on the request directly).
    pub async fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), KafkaError> {
        let v = json!({"include-tasks": include_tasks, "only-failed": only_failed});
        self.write(
            format!("restart-connector-{name}"),
            Some(v.to_string().into_bytes()),
        )
        .await
    }

    /// `logger-cluster-<namespace>` `{"level":..}`.
    pub async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), KafkaError> {
        let v = json!({ "level": level });
        self.write(
            format!("logger-cluster-{namespace}"),
            Some(v.to_string().into_bytes()),
        )
        .await
    }

    /// Rebuilds the state from the topic (all records in order; tombstones delete).
    pub async fn replay(&self) -> Result<(), KafkaError> {
        let Some(topic) = self.topic.get() else {
            return Ok(());
        };
        let records = topic.read_all().await?;
        let mut s = self.state.lock();
        for r in records {
            let Some(key) = r
                .key
                .as_ref()
                .map(|k| String::from_utf8_lossy(k).into_owned())
            else {
                continue;
            };
            let value: Option<serde_json::Value> = r
                .value
                .as_ref()
                .and_then(|v| serde_json::from_slice(v).ok());
            apply_record(&mut s, &key, value.as_ref());
        }
        Ok(())
    }
}

fn apply_record(s: &mut Snapshot, key: &str, value: Option<&serde_json::Value>) {
    if let Some(name) = key.strip_prefix("connector-") {
        match value.and_then(parse_properties) {
            Some(config) => {
                let target = s.targets.remove(name);
                match s.connectors.get_mut(name) {
                    Some(e) => e.config = config,
                    None => {
                        s.connectors.insert(
                            name.to_string(),
                            ConnectorEntry {
                                config,
                                target: target.unwrap_or(TargetState::Started),
                                tasks: Vec::new(),
                            },
                        );
                    }
                }
            }
            None => {
                s.connectors.shift_remove(name);
                s.pending.remove(name);
                s.targets.remove(name);
            }
        }
    } else if let Some(name) = key.strip_prefix("target-state-") {
        let Some(v) = value else {
            s.targets.remove(name);
            return;
        };
        let state = v
            .get("state.v2")
            .or_else(|| v.get("state"))
            .and_then(|x| x.as_str())
            .and_then(TargetState::parse);
        if let Some(t) = state {
            match s.connectors.get_mut(name) {
                Some(e) => e.target = t,
                None => {
                    s.targets.insert(name.to_string(), t);
                }
            }
        }
    } else if let Some(name) = key.strip_prefix("commit-") {
        let count = value
            .and_then(|v| v.get("tasks"))
            .and_then(|t| t.as_u64())
            .unwrap_or(0) as u32;
        let pending = s.pending.remove(name).unwrap_or_default();
        if (0..count).all(|i| pending.contains_key(&i)) {
            let tasks: Vec<ConfigMap> = (0..count)
                .filter_map(|i| pending.get(&i).cloned())
                .collect();
            if let Some(e) = s.connectors.get_mut(name) {
                e.tasks = tasks;
            }
        } else {
            tracing::warn!("ignoring commit of {count} task configs for connector {name}: some task configs are missing");
        }
    } else if let Some(rest) = key.strip_prefix("task-") {
        let Some((name, idx)) = rest.rsplit_once('-') else {
            return;
        };
        let (Ok(idx), Some(config)) = (idx.parse::<u32>(), value.and_then(parse_properties)) else {
            return;
        };
        s.pending
            .entry(name.to_string())
            .or_default()
            .insert(idx, config);
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
    fn replay_rules() {
        let mut s = Snapshot::default();
        let props = |m: &ConfigMap| {
            serde_json::from_slice::<serde_json::Value>(&properties_value(m)).unwrap()
        };
        apply_record(
            &mut s,
            "target-state-a",
            Some(&TargetState::Stopped.record()),
        );
        apply_record(&mut s, "connector-a", Some(&props(&map(&[("name", "a")]))));
        assert_eq!(s.connectors["a"].target, TargetState::Stopped);
        apply_record(&mut s, "task-a-0", Some(&props(&map(&[("x", "0")]))));
        apply_record(&mut s, "task-a-1", Some(&props(&map(&[("x", "1")]))));
        apply_record(&mut s, "commit-a", Some(&json!({"tasks": 2})));
        assert_eq!(s.connectors["a"].tasks.len(), 2);
        apply_record(&mut s, "task-a-0", Some(&props(&map(&[("x", "0")]))));
        apply_record(&mut s, "commit-a", Some(&json!({"tasks": 2})));
        assert_eq!(
            s.connectors["a"].tasks.len(),
            2,
            "incomplete commit ignored"
        );
        apply_record(&mut s, "commit-a", Some(&json!({"tasks": 0})));
        assert!(s.connectors["a"].tasks.is_empty());
        apply_record(&mut s, "connector-a", None);
        assert!(s.connectors.is_empty());
        assert_eq!(
            String::from_utf8(properties_value(&map(&[("name", "a"), ("b", "c")]))).unwrap(),
            r#"{"properties":{"name":"a","b":"c"}}"#
        );
    }
}
