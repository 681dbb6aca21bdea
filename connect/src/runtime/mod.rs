//! The Connect runtime: a single-worker cluster with distributed semantics (state in the
//! compacted config/offset/status topics, replayed at start) or standalone mode (connector files,
//! offsets in a local file). [`ConnectRuntime::start`] is the entry point; REST lives in `rest`.

pub mod config_store;
pub mod dedicated;
pub mod entities;
pub mod error;
pub mod herder;
pub mod loggers;
pub mod memory;
pub mod metrics;
pub mod offset_store;
pub mod plugins;
pub mod standalone;
pub mod status;
pub mod status_store;
pub mod topics;
pub mod worker;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::{HerderError, RuntimeError};
pub use herder::Herder;
pub use standalone::run_standalone;

use crate::config::WorkerConfig;
use crate::kafka::KafkaAccess;
use config_store::ConfigStore;
use loggers::Loggers;
use offset_store::OffsetStore;
use status_store::StatusStore;
use topics::InternalTopic;

/// How state is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Config, offsets and statuses in the internal topics.
    Distributed,
    /// Connector configs and statuses in memory, offsets in `offset.storage.file.filename`.
    Standalone,
}

/// What every part of the runtime shares.
pub struct Shared {
    pub config: WorkerConfig,
    pub kafka: Arc<dyn KafkaAccess>,
    pub mode: Mode,
    /// `host:port` shown as worker_id.
    pub worker_id: String,
    generation: AtomicI32,
    pub configs: ConfigStore,
    pub statuses: StatusStore,
    pub offsets: Arc<OffsetStore>,
    pub loggers: Loggers,
    /// Per-task counters for `/metrics`.
    pub task_metrics: metrics::TaskMetricsSet,
    ready: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    pub fn generation(&self) -> i32 {
        self.generation.load(Ordering::Relaxed)
    }

    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves when the runtime is shutting down.
    pub async fn shutdown_signal(&self) {
        let mut rx = self.shutdown.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Waits until start-up (replay) is done; false if the runtime stops first.
    pub async fn wait_ready(&self) -> bool {
        let mut rx = self.ready.subscribe();
        let mut down = self.shutdown.subscribe();
        tokio::select! {
            r = rx.wait_for(|r| *r) => r.is_ok(),
            _ = down.wait_for(|s| *s) => false,
        }
    }
}

/// A handle on the runtime, cheap to clone (what REST handlers hold).
#[derive(Clone)]
pub struct ConnectRuntime {
    pub herder: Arc<Herder>,
}

/// A started runtime with its REST listeners.
pub struct Handle {
    runtime: ConnectRuntime,
    rest: Vec<JoinHandle<()>>,
    addrs: Vec<SocketAddr>,
}

impl Handle {
    pub fn runtime(&self) -> &ConnectRuntime {
        &self.runtime
    }

    /// The bound REST addresses (useful with port 0).
    pub fn rest_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Graceful shutdown: stops REST, then every task (source offsets committed, sinks flushed
    /// and committed) and connector.
    pub async fn shutdown(self) {
        self.runtime.shutdown().await;
        for r in self.rest {
            let _ = r.await;
        }
    }
}

fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}

impl ConnectRuntime {
    /// Starts the runtime with distributed semantics on one node: binds the REST listeners,
    /// creates and replays the internal topics, restarts every stored connector.
    pub async fn start(
        config: WorkerConfig,
        kafka: Arc<dyn KafkaAccess>,
    ) -> Result<Handle, RuntimeError> {
        Self::start_mode(config, kafka, Mode::Distributed).await
    }

    pub async fn start_mode(
        config: WorkerConfig,
        kafka: Arc<dyn KafkaAccess>,
        mode: Mode,
    ) -> Result<Handle, RuntimeError> {
        for key in config.unknown_keys() {
            tracing::warn!("The configuration '{key}' was supplied but isn't a known config.");
        }
        memory::register_metrics();
        let mut listeners = Vec::new();
        for l in &config.listeners {
            let addr = l.bind_addr();
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|source| RuntimeError::Bind {
                    addr: addr.clone(),
                    source,
                })?;
            listeners.push(listener);
        }
        let addrs: Vec<SocketAddr> = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let port = config
            .rest_advertised_port
            .or_else(|| addrs.first().map(|a| a.port()))
            .unwrap_or(8083);
        let host = config
            .rest_advertised_host_name
            .clone()
            .or_else(|| {
                config
                    .listeners
                    .first()
                    .map(|l| l.host.clone())
                    .filter(|h| !h.is_empty() && h != "0.0.0.0")
            })
            .unwrap_or_else(local_host_name);
        let runtime = Self::create(config, kafka, mode, format!("{host}:{port}"))?;
        let rest: Vec<JoinHandle<()>> = listeners
            .into_iter()
            .map(|l| tokio::spawn(crate::rest::serve(runtime.clone(), l)))
            .collect();
        if let Err(e) = runtime.initialize().await {
            runtime.shutdown().await;
            for r in rest {
                let _ = r.await;
            }
            return Err(e);
        }
        tracing::info!(worker_id = %runtime.herder.shared.worker_id, "Kafka Connect started");
        Ok(Handle {
            runtime,
            rest,
            addrs,
        })
    }

    /// The runtime without REST and without start-up (call [`ConnectRuntime::initialize`]).
    pub fn create(
        config: WorkerConfig,
        kafka: Arc<dyn KafkaAccess>,
        mode: Mode,
        worker_id: String,
    ) -> Result<ConnectRuntime, RuntimeError> {
        let offsets = match mode {
            Mode::Standalone => match &config.offset_storage_file_filename {
                Some(path) => OffsetStore::file(path.clone()),
                None => {
                    return Err(RuntimeError::InvalidConfig(
                        "Missing required configuration \"offset.storage.file.filename\" which has no default value.".into(),
                    ))
                }
            },
            Mode::Distributed => OffsetStore::memory(),
        };
        let shared = Arc::new(Shared {
            kafka,
            mode,
            worker_id,
            generation: AtomicI32::new(0),
            configs: ConfigStore::new(),
            statuses: StatusStore::new(),
            offsets: Arc::new(offsets),
            loggers: Loggers::new("INFO"),
            task_metrics: Default::default(),
            ready: watch::channel(false).0,
            shutdown: watch::channel(false).0,
            config,
        });
        Ok(ConnectRuntime {
            herder: Arc::new(Herder::new(shared)),
        })
    }

    /// Creates the internal topics (distributed), replays the stores and starts every stored
    /// connector; then the REST API answers.
    pub async fn initialize(&self) -> Result<(), RuntimeError> {
        let shared = &self.herder.shared;
        if shared.mode == Mode::Distributed {
            let kafka = shared.kafka.clone();
            let c = &shared.config;
            let cfg_topic = InternalTopic::ensure(
                kafka.clone(),
                &c.config_storage_topic,
                1,
                "config.storage.topic",
                "connector configurations",
            )
            .await?;
            let off_topic = InternalTopic::ensure(
                kafka.clone(),
                &c.offset_storage_topic,
                c.offset_storage_partitions,
                "offset.storage.topic",
                "source connector offsets",
            )
            .await?;
            let st_topic = InternalTopic::ensure(
                kafka,
                &c.status_storage_topic,
                c.status_storage_partitions,
                "status.storage.topic",
                "connector and task statuses",
            )
            .await?;
            shared.configs.attach(cfg_topic);
            shared.offsets.attach(off_topic);
            shared.statuses.attach(st_topic);
        }
        self.herder.replay().await?;
        self.herder.start_all().await;
        self.herder.shared.ready.send_replace(true);
        Ok(())
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.herder.shared
    }

    /// Stops every task and connector (committing source offsets and flushing sinks).
    pub async fn shutdown(&self) {
        self.herder.shared.shutdown.send_replace(true);
        self.herder.stop_all().await;
    }
}

#[cfg(test)]
pub(crate) mod tests;
