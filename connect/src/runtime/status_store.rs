//! The status store (KafkaStatusBackingStore): connector and task statuses
//! (`status-connector-<n>`, `status-task-<n>-<i>`) and active topics
//! (`status-topic-<t>:connector-<n>`), written to the status topic and replayed at start.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use serde_json::json;

use super::status::Status;
use super::topics::InternalTopic;
use crate::kafka::KafkaError;

#[derive(Default)]
struct Statuses {
    connectors: HashMap<String, Status>,
    tasks: BTreeMap<(String, u32), Status>,
    /// connector → topic → discover timestamp.
    topics: BTreeMap<String, BTreeMap<String, i64>>,
}

pub struct StatusStore {
    /// Set once at start in distributed mode; unset = memory only (standalone).
    topic: std::sync::OnceLock<InternalTopic>,
    state: Mutex<Statuses>,
}

impl Default for StatusStore {
    fn default() -> Self {
        Self::new()
    }
}

impl StatusStore {
    pub fn new() -> StatusStore {
        StatusStore {
            topic: std::sync::OnceLock::new(),
            state: Mutex::new(Statuses::default()),
        }
    }

    /// Backs the store with the status topic (before replay).
    pub fn attach(&self, topic: InternalTopic) {
        let _ = self.topic.set(topic);
    }

    async fn write(&self, key: String, value: Option<Vec<u8>>) {
        if let Some(t) = self.topic.get() {
            if let Err(e) = t.write(key.as_bytes(), value).await {
                // Kafka logs and moves on too: the in-memory status stays authoritative.
                tracing::error!("failed to write status record {key}: {e}");
            }
        }
    }

    pub async fn put_connector(&self, name: &str, status: Status) {
        let v = serde_json::to_vec(&status).unwrap_or_default();
        self.state
            .lock()
            .connectors
            .insert(name.to_string(), status);
        self.write(format!("status-connector-{name}"), Some(v))
            .await;
    }

    pub async fn put_task(&self, name: &str, task: u32, status: Status) {
        let v = serde_json::to_vec(&status).unwrap_or_default();
        self.state
            .lock()
            .tasks
            .insert((name.to_string(), task), status);
        self.write(format!("status-task-{name}-{task}"), Some(v))
            .await;
    }

    pub fn connector(&self, name: &str) -> Option<Status> {
        self.state.lock().connectors.get(name).cloned()
    }

    pub fn task(&self, name: &str, task: u32) -> Option<Status> {
        self.state
            .lock()
            .tasks
            .get(&(name.to_string(), task))
            .cloned()
    }

    /// Task statuses of a connector, sorted by id.
    pub fn tasks(&self, name: &str) -> Vec<(u32, Status)> {
        self.state
            .lock()
            .tasks
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, id), s)| (*id, s.clone()))
            .collect()
    }

    /// Tombstones a task's status (the task no longer exists).
    pub async fn remove_task(&self, name: &str, task: u32) {
        let existed = self
            .state
            .lock()
            .tasks
            .remove(&(name.to_string(), task))
            .is_some();
        if existed {
            self.write(format!("status-task-{name}-{task}"), None).await;
        }
    }

    /// Tombstones the connector's status and every task status (connector deleted).
    pub async fn remove_connector(&self, name: &str) {
        let ids: Vec<u32> = self.tasks(name).into_iter().map(|(id, _)| id).collect();
        for id in ids {
            self.remove_task(name, id).await;
        }
        self.state.lock().connectors.remove(name);
        self.write(format!("status-connector-{name}"), None).await;
    }

    pub fn active_topics(&self, name: &str) -> Vec<String> {
        self.state
            .lock()
            .topics
            .get(name)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Records that a task used a topic (once per connector and topic).
    pub async fn put_topic(&self, name: &str, topic: &str, task: u32, now_ms: i64) {
        let new = {
            let mut s = self.state.lock();
            let topics = s.topics.entry(name.to_string()).or_default();
            if topics.contains_key(topic) {
                false
            } else {
                topics.insert(topic.to_string(), now_ms);
                true
            }
        };
        if new {
            let v = json!({"topic": {"name": topic, "connector": name, "task": task, "discoverTimestamp": now_ms}});
            self.write(
                format!("status-topic-{topic}:connector-{name}"),
                Some(v.to_string().into_bytes()),
            )
            .await;
        }
    }

    pub fn has_topic(&self, name: &str, topic: &str) -> bool {
        self.state
            .lock()
            .topics
            .get(name)
            .is_some_and(|m| m.contains_key(topic))
    }

    /// Forgets a connector's active topics (tombstones).
    pub async fn reset_topics(&self, name: &str) {
        let topics = self.state.lock().topics.remove(name).unwrap_or_default();
        for topic in topics.keys() {
            self.write(format!("status-topic-{topic}:connector-{name}"), None)
                .await;
        }
    }

    /// Highest generation seen (the next start uses one more).
    pub fn max_generation(&self) -> i32 {
        let s = self.state.lock();
        s.connectors
            .values()
            .chain(s.tasks.values())
            .map(|st| st.generation)
            .max()
            .unwrap_or(0)
    }

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
            if let Some(name) = key.strip_prefix("status-connector-") {
                match value.and_then(|v| serde_json::from_value::<Status>(v).ok()) {
                    Some(st) => {
                        s.connectors.insert(name.to_string(), st);
                    }
                    None => {
                        s.connectors.remove(name);
                    }
                }
            } else if let Some(rest) = key.strip_prefix("status-task-") {
                let Some((name, id)) = rest.rsplit_once('-') else {
                    continue;
                };
                let Ok(id) = id.parse::<u32>() else { continue };
                match value.and_then(|v| serde_json::from_value::<Status>(v).ok()) {
                    Some(st) => {
                        s.tasks.insert((name.to_string(), id), st);
                    }
                    None => {
                        s.tasks.remove(&(name.to_string(), id));
                    }
                }
            } else if let Some(rest) = key.strip_prefix("status-topic-") {
                let Some((topic, name)) = rest.split_once(":connector-") else {
                    continue;
                };
                match value {
                    Some(v) => {
                        let ts = v
                            .pointer("/topic/discoverTimestamp")
                            .and_then(|t| t.as_i64())
                            .unwrap_or(0);
                        s.topics
                            .entry(name.to_string())
                            .or_default()
                            .insert(topic.to_string(), ts);
                    }
                    None => {
                        if let Some(m) = s.topics.get_mut(name) {
                            m.remove(topic);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
