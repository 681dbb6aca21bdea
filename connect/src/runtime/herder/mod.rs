//! The herder: the one place that changes what runs. Every mutation is written to the config
//! store first, then `reconcile` brings the running connector instance and tasks in line with
//! the stored config, target state and task configs (one connector at a time, under a lock).

mod api;
mod offsets;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Mutex};

use super::config_store::ConnectorEntry;
use super::status::{trace, State, Status, TargetState};
use super::worker::{self, TaskControl, TaskHandle, TaskId, TaskSpec};
use super::{RuntimeError, Shared};
use crate::config::{ConfigMap, ConfigProviders, ConnectorConfig};
use crate::connectors::{
    self, ConnectorContext, ConnectorError, ConnectorPlugin, PluginFactory, SinkConnector,
    SourceConnector,
};

pub use validate::invalid_config_message;

/// A started connector instance.
enum Instance {
    Source(Box<dyn SourceConnector>),
    Sink(Box<dyn SinkConnector>),
}

impl Instance {
    fn new(plugin: &ConnectorPlugin) -> Instance {
        match plugin.factory {
            PluginFactory::Source { connector, .. } => Instance::Source(connector()),
            PluginFactory::Sink { connector, .. } => Instance::Sink(connector()),
        }
    }

    async fn start(
        &mut self,
        config: &ConfigMap,
        ctx: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectorError> {
        match self {
            Instance::Source(c) => c.start(config, ctx).await,
            Instance::Sink(c) => c.start(config, ctx).await,
        }
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        match self {
            Instance::Source(c) => c.stop().await,
            Instance::Sink(c) => c.stop().await,
        }
    }

    fn task_configs(&self, max: usize) -> Result<Vec<ConfigMap>, ConnectorError> {
        match self {
            Instance::Source(c) => c.task_configs(max),
            Instance::Sink(c) => c.task_configs(max),
        }
    }
}

#[derive(Default)]
struct RunningConnector {
    instance: Option<Instance>,
    /// The instance failed; it is started again only by a restart or a config change.
    failed: bool,
    tasks: BTreeMap<u32, TaskHandle>,
}

/// Requests from connectors (ConnectorContext), handled by the herder's event loop.
enum Event {
    Reconfigure(String),
    Failed(String, ConnectorError),
}

struct Context {
    name: String,
    events: mpsc::UnboundedSender<Event>,
}

impl ConnectorContext for Context {
    fn request_task_reconfiguration(&self) {
        let _ = self.events.send(Event::Reconfigure(self.name.clone()));
    }

    fn raise_error(&self, error: ConnectorError) {
        let _ = self.events.send(Event::Failed(self.name.clone(), error));
    }
}

/// What a reconcile pass may do beyond bringing things in line.
#[derive(Debug, Clone, Copy, Default)]
struct Reconcile {
    /// Stop and start the connector instance.
    restart_connector: bool,
    /// Restart every task even if its config did not change (config update, restart).
    restart_tasks: bool,
    /// Ask the connector for task configs again.
    regenerate: bool,
}

pub struct Herder {
    pub shared: Arc<Shared>,
    running: Mutex<HashMap<String, RunningConnector>>,
    events: mpsc::UnboundedSender<Event>,
    events_rx: parking_lot::Mutex<Option<mpsc::UnboundedReceiver<Event>>>,
}

impl Herder {
    pub fn new(shared: Arc<Shared>) -> Herder {
        let (tx, rx) = mpsc::unbounded_channel();
        Herder {
            shared,
            running: Mutex::new(HashMap::new()),
            events: tx,
            events_rx: parking_lot::Mutex::new(Some(rx)),
        }
    }

    pub(crate) async fn replay(&self) -> Result<(), RuntimeError> {
        self.shared.configs.replay().await?;
        self.shared.statuses.replay().await?;
        self.shared.offsets.replay().await?;
        let generation = self.shared.statuses.max_generation() + 1;
        self.shared
            .generation
            .store(generation, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Starts every stored connector and the loop that serves connector requests.
    pub(crate) async fn start_all(self: &Arc<Self>) {
        if let Some(mut rx) = self.events_rx.lock().take() {
            let me = Arc::downgrade(self);
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    let Some(h) = me.upgrade() else { break };
                    h.on_event(ev).await;
                }
            });
        }
        let mut running = self.running.lock().await;
        for name in self.shared.configs.names() {
            let opts = Reconcile {
                restart_connector: true,
                regenerate: true,
                ..Default::default()
            };
            self.reconcile(&mut running, &name, opts).await;
        }
    }

    async fn on_event(&self, ev: Event) {
        let mut running = self.running.lock().await;
        match ev {
            Event::Reconfigure(name) => {
                let opts = Reconcile {
                    regenerate: true,
                    ..Default::default()
                };
                self.reconcile(&mut running, &name, opts).await;
            }
            Event::Failed(name, err) => {
                if let Some(rc) = running.get_mut(&name) {
                    rc.failed = true;
                    if let Some(mut inst) = rc.instance.take() {
                        let _ = inst.stop().await;
                    }
                    self.connector_failed(&name, trace(err.java_class(), &err.to_string(), None))
                        .await;
                }
            }
        }
    }

    /// Stops every task and connector instance (worker shutdown).
    pub(crate) async fn stop_all(&self) {
        let mut running = self.running.lock().await;
        let grace = self.grace();
        let mut handles = Vec::new();
        for (_, rc) in running.iter_mut() {
            handles.extend(std::mem::take(&mut rc.tasks).into_values());
        }
        // Stop tasks concurrently: each commits its offsets / flushes on the way out.
        let stops: Vec<_> = handles
            .into_iter()
            .map(|h| tokio::spawn(h.stop(grace)))
            .collect();
        for s in stops {
            let _ = s.await;
        }
        for (name, rc) in running.iter_mut() {
            if let Some(mut inst) = rc.instance.take() {
                if let Err(e) = inst.stop().await {
                    tracing::warn!(connector = %name, "error stopping connector: {e}");
                }
                self.set_connector_status(name, State::Unassigned).await;
            }
        }
        running.clear();
    }

    fn grace(&self) -> Duration {
        Duration::from_millis(self.shared.config.task_shutdown_graceful_timeout_ms.max(1))
    }

    async fn set_connector_status(&self, name: &str, state: State) {
        let st = Status::new(state, &self.shared.worker_id, self.shared.generation());
        self.shared.statuses.put_connector(name, st).await;
    }

    async fn connector_failed(&self, name: &str, trace_text: String) {
        tracing::error!(connector = %name, "connector failed: {trace_text}");
        let st = Status::failed(trace_text, &self.shared.worker_id, self.shared.generation());
        self.shared.statuses.put_connector(name, st).await;
    }

    async fn stop_tasks(&self, rc: &mut RunningConnector, name: &str, keep_below: Option<u32>) {
        let grace = self.grace();
        let ids: Vec<u32> = rc.tasks.keys().copied().collect();
        for id in ids {
            if let Some(h) = rc.tasks.remove(&id) {
                h.stop(grace).await;
            }
        }
        // Statuses of tasks that no longer exist are removed.
        if let Some(limit) = keep_below {
            for (id, _) in self.shared.statuses.tasks(name) {
                if id >= limit {
                    self.shared.statuses.remove_task(name, id).await;
                }
            }
        }
    }

    async fn stop_instance(&self, rc: &mut RunningConnector, name: &str) {
        if let Some(mut inst) = rc.instance.take() {
            if let Err(e) = inst.stop().await {
                tracing::warn!(connector = %name, "error stopping connector: {e}");
            }
            tracing::info!(connector = %name, "connector stopped");
        }
    }

    /// Brings one connector in line with the config store.
    async fn reconcile(
        &self,
        running: &mut HashMap<String, RunningConnector>,
        name: &str,
        opts: Reconcile,
    ) {
        let Some(entry) = self.shared.configs.get(name) else {
            if let Some(mut rc) = running.remove(name) {
                self.stop_tasks(&mut rc, name, None).await;
                self.stop_instance(&mut rc, name).await;
            }
            self.shared.statuses.remove_connector(name).await;
            return;
        };
        let rc = running.entry(name.to_string()).or_default();
        let class = entry
            .config
            .get("connector.class")
            .cloned()
            .unwrap_or_default();
        let Some(plugin) = connectors::find(&class) else {
            self.stop_tasks(rc, name, Some(0)).await;
            self.stop_instance(rc, name).await;
            let msg = validate::class_not_found_message(&class);
            self.connector_failed(
                name,
                trace(
                    "org.apache.kafka.connect.errors.ConnectException",
                    &msg,
                    None,
                ),
            )
            .await;
            return;
        };
        let resolved = self.shared.config.config_providers.transform(&entry.config);
        let framework = match ConnectorConfig::parse(Some(plugin.kind()), &resolved) {
            Ok(f) => f,
            Err(e) => {
                self.stop_tasks(rc, name, Some(0)).await;
                self.stop_instance(rc, name).await;
                self.connector_failed(
                    name,
                    trace(
                        "org.apache.kafka.common.config.ConfigException",
                        &e.to_string(),
                        None,
                    ),
                )
                .await;
                return;
            }
        };
        match entry.target {
            TargetState::Stopped => {
                self.stop_tasks(rc, name, Some(0)).await;
                self.stop_instance(rc, name).await;
                if !entry.tasks.is_empty() {
                    if let Err(e) = self.shared.configs.put_task_configs(name, &[]).await {
                        tracing::error!(connector = %name, "could not write empty task configs: {e}");
                    }
                }
                self.set_connector_status(name, State::Stopped).await;
            }
            TargetState::Paused => {
                self.stop_instance(rc, name).await;
                self.set_connector_status(name, State::Paused).await;
                self.ensure_tasks(
                    rc,
                    name,
                    plugin,
                    &framework,
                    &entry,
                    TaskControl::Pause,
                    opts.restart_tasks,
                )
                .await;
            }
            TargetState::Started => {
                let mut started_now = false;
                if opts.restart_connector {
                    rc.failed = false;
                }
                if opts.restart_connector || (rc.instance.is_none() && !rc.failed) {
                    self.stop_instance(rc, name).await;
                    let mut inst = Instance::new(plugin);
                    let ctx = Arc::new(Context {
                        name: name.to_string(),
                        events: self.events.clone(),
                    });
                    if let Err(e) = inst.start(&resolved, ctx).await {
                        rc.failed = true;
                        self.connector_failed(name, trace(e.java_class(), &e.to_string(), None))
                            .await;
                        self.ensure_tasks(
                            rc,
                            name,
                            plugin,
                            &framework,
                            &entry,
                            TaskControl::Run,
                            false,
                        )
                        .await;
                        return;
                    }
                    tracing::info!(connector = %name, class = plugin.class, "connector started");
                    rc.instance = Some(inst);
                    started_now = true;
                    self.set_connector_status(name, State::Running).await;
                }
                let mut entry = entry;
                let mut restart_tasks = opts.restart_tasks;
                if opts.regenerate || started_now || entry.tasks.is_empty() {
                    match self
                        .generate_task_configs(rc, name, plugin, &framework, &entry.config)
                        .await
                    {
                        Ok(Some(tasks)) => {
                            if tasks != entry.tasks {
                                if let Err(e) =
                                    self.shared.configs.put_task_configs(name, &tasks).await
                                {
                                    tracing::error!(connector = %name, "could not write task configs: {e}");
                                    return;
                                }
                                entry.tasks = tasks;
                                restart_tasks = true;
                            }
                        }
                        Ok(None) => {}
                        Err(t) => {
                            rc.failed = true;
                            self.stop_instance(rc, name).await;
                            self.connector_failed(name, t).await;
                        }
                    }
                }
                self.ensure_tasks(
                    rc,
                    name,
                    plugin,
                    &framework,
                    &entry,
                    TaskControl::Run,
                    restart_tasks,
                )
                .await;
            }
        }
    }

    /// Task configs from the running instance (task.class and sink topics added, provider
    /// references restored); Err(trace) fails the connector.
    async fn generate_task_configs(
        &self,
        rc: &RunningConnector,
        name: &str,
        plugin: &ConnectorPlugin,
        framework: &ConnectorConfig,
        raw: &ConfigMap,
    ) -> Result<Option<Vec<ConfigMap>>, String> {
        let Some(inst) = rc.instance.as_ref() else {
            return Ok(None);
        };
        let configs = inst
            .task_configs(framework.tasks_max)
            .map_err(|e| trace(e.java_class(), &e.to_string(), None))?;
        if configs.len() > framework.tasks_max && framework.tasks_max_enforce {
            return Err(trace(
                "org.apache.kafka.connect.errors.ConnectException",
                &format!(
                    "The connector {name} has generated {} tasks, which is greater than {}, the maximum number of tasks it is configured to create. This behaviour should be considered a bug and is disallowed. If necessary, it can be permitted by reconfiguring the connector with 'tasks.max.enforce' set to false; however, this option will be removed in a future release of Kafka Connect.",
                    configs.len(),
                    framework.tasks_max
                ),
                None,
            ));
        }
        let tasks = configs
            .into_iter()
            .map(|mut c| {
                c.insert("task.class".to_string(), plugin.task_class.to_string());
                if plugin.kind() == connectors::ConnectorType::Sink {
                    for key in ["topics", "topics.regex"] {
                        if let Some(v) = raw.get(key) {
                            c.insert(key.to_string(), v.clone());
                        }
                    }
                }
                ConfigProviders::reverse_transform(raw, &c)
            })
            .collect();
        Ok(Some(tasks))
    }

    /// Starts missing tasks (or all, when `restart`) for the committed task configs and sets
    /// every task's control.
    #[allow(clippy::too_many_arguments)]
    async fn ensure_tasks(
        &self,
        rc: &mut RunningConnector,
        name: &str,
        plugin: &'static ConnectorPlugin,
        framework: &ConnectorConfig,
        entry: &ConnectorEntry,
        control: TaskControl,
        restart: bool,
    ) {
        let count = entry.tasks.len() as u32;
        let stale: Vec<u32> = rc
            .tasks
            .keys()
            .copied()
            .filter(|id| restart || *id >= count)
            .collect();
        let grace = self.grace();
        for id in stale {
            if let Some(h) = rc.tasks.remove(&id) {
                h.stop(grace).await;
            }
        }
        for (id, _) in self.shared.statuses.tasks(name) {
            if id >= count {
                self.shared.statuses.remove_task(name, id).await;
            }
        }
        for (i, raw_task) in entry.tasks.iter().enumerate() {
            let id = i as u32;
            if let Some(h) = rc.tasks.get(&id) {
                if !h.is_finished() {
                    h.set(control);
                }
                continue;
            }
            let spec = TaskSpec {
                plugin,
                connector: framework.clone(),
                config: self.shared.config.config_providers.transform(raw_task),
                task_count: entry.tasks.len(),
            };
            let task_id = TaskId {
                connector: name.to_string(),
                task: id,
            };
            rc.tasks.insert(
                id,
                worker::spawn(self.shared.clone(), task_id, spec, control),
            );
        }
    }

    /// Restarts one task (stop, then start from its committed config).
    async fn restart_task_locked(
        &self,
        running: &mut HashMap<String, RunningConnector>,
        name: &str,
        id: u32,
    ) {
        if let Some(h) = running.get_mut(name).and_then(|rc| rc.tasks.remove(&id)) {
            h.stop(self.grace()).await;
        }
        self.reconcile(running, name, Reconcile::default()).await;
    }
}
