//! The herder operations behind the REST API (Herder interface): connector CRUD, status,
//! task configs, pause/resume/stop, restarts and active topics, with Kafka Connect's messages.

use indexmap::IndexMap;
use serde_json::json;

use super::{Herder, Reconcile};
use crate::config::{config_to_json, ConfigMap};
use crate::connectors;
use crate::runtime::entities::{
    ConnectorInfo, ConnectorState, ConnectorStateInfo, ConnectorTaskId, TaskInfo, TaskState,
};
use crate::runtime::error::HerderError;
use crate::runtime::status::{State, Status, TargetState};
use crate::runtime::Mode;

fn not_found(name: &str) -> HerderError {
    HerderError::NotFound(format!("Connector {name} not found"))
}

impl Herder {
    fn kind_of(config: &ConfigMap) -> String {
        config
            .get("connector.class")
            .and_then(|c| connectors::find(c))
            .map(|p| p.kind().as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string())
    }

    pub fn connector_names(&self) -> Vec<String> {
        self.shared.configs.names()
    }

    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| not_found(name))?;
        Ok(ConnectorInfo {
            name: name.to_string(),
            config: config_to_json(&entry.config),
            tasks: (0..entry.tasks.len() as u32)
                .map(|task| ConnectorTaskId {
                    connector: name.to_string(),
                    task,
                })
                .collect(),
            kind: Self::kind_of(&entry.config),
        })
    }

    pub fn connector_config(&self, name: &str) -> Result<ConfigMap, HerderError> {
        Ok(self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| not_found(name))?
            .config)
    }

    pub fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| not_found(name))?;
        Ok(entry
            .tasks
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_string(),
                    task: i as u32,
                },
                config: config_to_json(c),
            })
            .collect())
    }

    /// The deprecated /tasks-config shape: `{"<n>-0": {...}}`.
    pub fn tasks_config(&self, name: &str) -> Result<serde_json::Value, HerderError> {
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| not_found(name))?;
        let mut out = serde_json::Map::new();
        for (i, c) in entry.tasks.iter().enumerate() {
            out.insert(
                format!("{name}-{i}"),
                serde_json::Value::Object(config_to_json(c)),
            );
        }
        Ok(serde_json::Value::Object(out))
    }

    fn state_of(status: &Status) -> (String, Option<String>) {
        (
            status.state.as_str().to_string(),
            status.trace.clone().filter(|t| !t.is_empty()),
        )
    }

    pub fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        let status = self.shared.statuses.connector(name).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for connector {name}"))
        })?;
        let (state, trace) = Self::state_of(&status);
        let tasks = self
            .shared
            .statuses
            .tasks(name)
            .into_iter()
            .map(|(id, st)| {
                let (state, trace) = Self::state_of(&st);
                TaskState {
                    id,
                    state,
                    worker_id: st.worker_id,
                    trace,
                }
            })
            .collect();
        let kind = self
            .shared
            .configs
            .get(name)
            .map(|e| Self::kind_of(&e.config))
            .unwrap_or_else(|| "unknown".to_string());
        Ok(ConnectorStateInfo {
            name: name.to_string(),
            connector: ConnectorState {
                state,
                worker_id: status.worker_id,
                trace,
            },
            tasks,
            kind,
        })
    }

    pub fn task_status(&self, name: &str, id: u32) -> Result<TaskState, HerderError> {
        let st = self.shared.statuses.task(name, id).ok_or_else(|| {
            HerderError::NotFound(format!("No status found for task {name}-{id}"))
        })?;
        let (state, trace) = Self::state_of(&st);
        Ok(TaskState {
            id,
            state,
            worker_id: st.worker_id,
            trace,
        })
    }

    /// POST /connectors and PUT /connectors/{n}/config: validates, stores, (re)starts.
    /// Returns (created, info).
    pub async fn put_connector_config(
        &self,
        name: &str,
        config: ConfigMap,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo), HerderError> {
        let infos = self.validate(&config).await?;
        if infos.error_count > 0 {
            return Err(HerderError::BadRequest(super::invalid_config_message(
                &infos,
            )));
        }
        let mut running = self.running.lock().await;
        let existed = self.shared.configs.contains(name);
        if existed && !allow_replace {
            return Err(HerderError::AlreadyExists(format!(
                "Connector {name} already exists"
            )));
        }
        let target = if existed { None } else { initial_state };
        self.shared
            .configs
            .put_connector_config(name, &config, target)
            .await?;
        // Distributed: the answer reflects the config topic right after the write (no new tasks yet).
        let before = self.connector_info(name)?;
        let opts = Reconcile {
            restart_connector: true,
            restart_tasks: existed,
            regenerate: true,
        };
        self.reconcile(&mut running, name, opts).await;
        let info = match self.shared.mode {
            Mode::Standalone => self.connector_info(name)?,
            Mode::Distributed => before,
        };
        Ok((!existed, info))
    }

    /// PATCH /connectors/{n}/config: merge (null removes a key), then as PUT.
    pub async fn patch_connector_config(
        &self,
        name: &str,
        patch: IndexMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        let mut config = self.connector_config(name)?;
        for (k, v) in patch {
            match v {
                Some(v) => {
                    config.insert(k, v);
                }
                None => {
                    config.shift_remove(&k);
                }
            }
        }
        let (_, info) = self.put_connector_config(name, config, true, None).await?;
        Ok(info)
    }

    pub async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        let mut running = self.running.lock().await;
        if !self.shared.configs.contains(name) {
            return Err(not_found(name));
        }
        self.shared.configs.remove_connector(name).await?;
        self.reconcile(&mut running, name, Reconcile::default())
            .await;
        Ok(())
    }

    async fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        let mut running = self.running.lock().await;
        let Some(entry) = self.shared.configs.get(name) else {
            return Err(HerderError::NotFound(format!("Unknown connector {name}")));
        };
        if target == TargetState::Stopped {
            self.shared.configs.put_task_configs(name, &[]).await?;
        }
        if entry.target != target || target == TargetState::Stopped {
            self.shared.configs.put_target_state(name, target).await?;
        }
        self.reconcile(&mut running, name, Reconcile::default())
            .await;
        Ok(())
    }

    pub async fn pause(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Paused).await
    }

    pub async fn resume(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Started).await
    }

    pub async fn stop(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Stopped).await
    }

    /// POST /connectors/{n}/restart without includeTasks/onlyFailed: the connector instance only.
    pub async fn restart_connector(&self, name: &str) -> Result<(), HerderError> {
        let mut running = self.running.lock().await;
        if !self.shared.configs.contains(name) {
            return Err(not_found(name));
        }
        let opts = Reconcile {
            restart_connector: true,
            regenerate: true,
            ..Default::default()
        };
        self.reconcile(&mut running, name, opts).await;
        Ok(())
    }

    /// POST /connectors/{n}/restart?includeTasks=..&onlyFailed=..: the instances to restart are
    /// shown as RESTARTING in the answer, then restarted.
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<ConnectorStateInfo, HerderError> {
        let mut running = self.running.lock().await;
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        let current = self
            .connector_status(name)
            .map_err(|_| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        let restart_connector = !only_failed || current.connector.state == "FAILED";
        let tasks: Vec<u32> = if include_tasks {
            current
                .tasks
                .iter()
                .filter(|t| !only_failed || t.state == "FAILED")
                .map(|t| t.id)
                .collect()
        } else {
            Vec::new()
        };
        self.shared
            .configs
            .put_restart_request(name, include_tasks, only_failed)
            .await?;
        let mut answer = current;
        if restart_connector {
            answer.connector.state = State::Restarting.as_str().to_string();
            answer.connector.trace = None;
            let st = Status::new(
                State::Restarting,
                &self.shared.worker_id,
                self.shared.generation(),
            );
            self.shared.statuses.put_connector(name, st).await;
        }
        for t in answer.tasks.iter_mut().filter(|t| tasks.contains(&t.id)) {
            t.state = State::Restarting.as_str().to_string();
            t.trace = None;
            let st = Status::new(
                State::Restarting,
                &self.shared.worker_id,
                self.shared.generation(),
            );
            self.shared.statuses.put_task(name, t.id, st).await;
        }
        if restart_connector {
            let opts = Reconcile {
                restart_connector: entry.target == TargetState::Started,
                regenerate: true,
                ..Default::default()
            };
            self.reconcile(&mut running, name, opts).await;
            if entry.target != TargetState::Started {
                // Not running by intent: its status goes back to the target state.
                let state = if entry.target == TargetState::Paused {
                    State::Paused
                } else {
                    State::Stopped
                };
                let st = Status::new(state, &self.shared.worker_id, self.shared.generation());
                self.shared.statuses.put_connector(name, st).await;
            }
        }
        for id in tasks {
            self.restart_task_locked(&mut running, name, id).await;
        }
        Ok(answer)
    }

    pub async fn restart_task(&self, name: &str, id: u32) -> Result<(), HerderError> {
        let mut running = self.running.lock().await;
        let entry = self
            .shared
            .configs
            .get(name)
            .ok_or_else(|| HerderError::NotFound(format!("Unknown connector: {name}")))?;
        if id as usize >= entry.tasks.len() {
            return Err(HerderError::NotFound(format!("Unknown task: {name}-{id}")));
        }
        self.restart_task_locked(&mut running, name, id).await;
        Ok(())
    }

    pub fn active_topics(&self, name: &str) -> Result<serde_json::Value, HerderError> {
        if !self.shared.config.topic_tracking_enable {
            return Err(HerderError::Forbidden("Topic tracking is disabled.".into()));
        }
        let topics = self.shared.statuses.active_topics(name);
        Ok(json!({ name: { "topics": topics } }))
    }

    pub async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        if !self.shared.config.topic_tracking_enable {
            return Err(HerderError::Forbidden("Topic tracking is disabled.".into()));
        }
        if !self.shared.config.topic_tracking_allow_reset {
            return Err(HerderError::Forbidden(
                "Topic tracking reset is disabled.".into(),
            ));
        }
        self.shared.statuses.reset_topics(name).await;
        Ok(())
    }
}
