//! The worker side: one supervised tokio task per connector task. A task loop that returns an
//! error or panics marks only that task FAILED (with a trace); the worker and other connectors
//! carry on. The herder steers tasks through a watch channel (run, pause, stop).

pub mod convert;
pub mod errors;
pub mod sink;
pub mod source;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};
use tracing::Instrument;

use super::status::{trace, State, Status};
use super::Shared;
use crate::config::{ConfigMap, ConnectorConfig};
use crate::connectors::{ConnectorPlugin, PluginFactory};
use crate::transforms::TransformChain;

/// `<connector>-<task>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskControl {
    Run,
    Pause,
    Stop,
}

/// What a task needs to run: its plugin, the connector's framework config and its own config
/// (both with config providers applied), and how many tasks the connector has.
#[derive(Clone)]
pub struct TaskSpec {
    pub plugin: &'static ConnectorPlugin,
    pub connector: ConnectorConfig,
    pub config: ConfigMap,
    pub task_count: usize,
}

/// Everything a task loop gets.
pub(crate) struct TaskContext {
    pub shared: Arc<Shared>,
    pub id: TaskId,
    pub spec: TaskSpec,
    pub control: watch::Receiver<TaskControl>,
    /// This task's `/metrics` counters.
    pub metrics: Arc<super::metrics::TaskMetrics>,
}

impl TaskContext {
    pub async fn set_status(&self, state: State) {
        let st = Status::new(state, &self.shared.worker_id, self.shared.generation());
        self.shared
            .statuses
            .put_task(&self.id.connector, self.id.task, st)
            .await;
    }

    pub fn control(&self) -> TaskControl {
        *self.control.borrow()
    }

    /// Waits until the control changes or `timeout` passes.
    pub async fn wait_control(&mut self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.control.changed()).await;
    }

    /// The transformation chain from the connector config.
    pub fn build_chain(&self) -> Result<TransformChain, String> {
        let map: std::collections::BTreeMap<String, String> = self
            .spec
            .connector
            .originals
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        TransformChain::from_config(&map).map_err(|e| {
            trace(
                "org.apache.kafka.common.config.ConfigException",
                &e.to_string(),
                None,
            )
        })
    }
}

pub(crate) struct TaskHandle {
    control: watch::Sender<TaskControl>,
    abort: AbortHandle,
    join: JoinHandle<()>,
}

impl TaskHandle {
    pub fn set(&self, c: TaskControl) {
        let _ = self.control.send(c);
    }

    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }

    /// Asks the task to stop and waits up to `grace`; then aborts it.
    pub async fn stop(self, grace: Duration) {
        let _ = self.control.send(TaskControl::Stop);
        let mut join = self.join;
        if tokio::time::timeout(grace, &mut join).await.is_err() {
            tracing::error!(
                "graceful stop of task timed out after {} ms; aborting it",
                grace.as_millis()
            );
            self.abort.abort();
            let _ = join.await;
        }
    }
}

/// Starts a task under a supervisor that turns a panic into a FAILED status.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    id: TaskId,
    spec: TaskSpec,
    initial: TaskControl,
) -> TaskHandle {
    let (tx, rx) = watch::channel(initial);
    let kind = match spec.plugin.factory {
        PluginFactory::Source { .. } => "source",
        PluginFactory::Sink { .. } => "sink",
    };
    let ctx = TaskContext {
        shared: shared.clone(),
        id: id.clone(),
        spec: spec.clone(),
        control: rx,
        metrics: shared.task_metrics.register(&id, kind),
    };
    let span = tracing::info_span!("task", id = %id);
    let inner = tokio::spawn(
        async move {
            let ctx = ctx;
            tracing::info!(class = spec.plugin.task_class, "starting task");
            let r = match spec.plugin.factory {
                PluginFactory::Source { task, .. } => source::run(ctx, task()).await,
                PluginFactory::Sink { task, .. } => sink::run(ctx, task()).await,
            };
            tracing::info!("task stopped");
            r
        }
        .instrument(span),
    );
    let abort = inner.abort_handle();
    let join = tokio::spawn(async move {
        let outcome = inner.await;
        let (state, trace_text) = match outcome {
            Ok(Ok(())) => (State::Unassigned, None),
            Ok(Err(t)) => (State::Failed, Some(t)),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".to_string());
                (
                    State::Failed,
                    Some(trace(
                        "org.apache.kafka.connect.errors.ConnectException",
                        &format!("task panicked: {msg}"),
                        None,
                    )),
                )
            }
            Err(_) => (State::Unassigned, None),
        };
        if state == State::Failed {
            tracing::error!(task = %id, "task failed: {}", trace_text.as_deref().unwrap_or(""));
        }
        let status = Status {
            state,
            trace: trace_text,
            worker_id: shared.worker_id.clone(),
            generation: shared.generation(),
        };
        shared
            .statuses
            .put_task(&id.connector, id.task, status)
            .await;
    });
    TaskHandle {
        control: tx,
        abort,
        join,
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
