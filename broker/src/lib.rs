//! Sluice's Kafka wire-protocol broker: configuration, the TCP server, one handler module per API
//! family, the group coordinator, and the shared broker state the Connect runtime uses in-process.

pub mod api;
pub mod config;
pub mod group;
pub mod inproc;
pub mod metrics;
pub mod server;
pub mod state;
#[cfg(test)]
mod test_support;

pub use config::BrokerConfig;
pub use state::Broker;

use std::sync::Arc;
use std::time::Duration;

/// A running broker: its state and the tasks serving it.
pub struct Running {
    pub broker: Arc<Broker>,
    pub addrs: Vec<std::net::SocketAddr>,
    /// The bound `sluice.metrics.listener` address, if configured.
    pub metrics_addr: Option<std::net::SocketAddr>,
    metrics_target: Arc<metrics::http::Target>,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {dir}: {source}")]
    Storage {
        dir: String,
        source: sluice_storage::StorageError,
    },
    #[error("{0}")]
    Bind(std::io::Error),
}

/// Opens storage, binds the listeners and starts serving. The metrics listener, when
/// configured, is bound first so that `/ready` answers 503 while the logs load.
pub async fn start(config: BrokerConfig) -> Result<Running, StartError> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let metrics_target = metrics::http::Target::new();
    let mut metrics_addr = None;
    if let Some(addr) = &config.metrics_listener {
        let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            StartError::Bind(std::io::Error::new(
                e.kind(),
                format!("cannot listen on {addr} (sluice.metrics.listener=http://{addr}): {e}"),
            ))
        })?;
        metrics_addr = l.local_addr().ok();
        tracing::info!(addr = ?metrics_addr, "metrics listener serving /metrics and /ready");
        tasks.push(tokio::spawn(metrics::http::serve(
            l,
            metrics_target.clone(),
            rx.clone(),
        )));
    }
    let stop_early = |tasks: Vec<tokio::task::JoinHandle<()>>| {
        let _ = tx.send(true);
        for t in tasks {
            t.abort();
        }
    };
    let dir = config.log_dir.display().to_string();
    let broker = match Broker::open(config) {
        Ok(b) => b,
        Err(source) => {
            stop_early(tasks);
            return Err(StartError::Storage { dir, source });
        }
    };
    let listeners = match server::bind(&broker).await {
        Ok(l) => l,
        Err(e) => {
            stop_early(tasks);
            return Err(StartError::Bind(e));
        }
    };
    let addrs = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    for l in listeners {
        tasks.push(tokio::spawn(server::serve(broker.clone(), l, rx.clone())));
    }
    let b = broker.clone();
    let mut srx = rx.clone();
    let interval = Duration::from_millis(broker.config.retention_check_interval_ms);
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => b.apply_retention(),
                _ = srx.changed() => return,
            }
        }
    }));
    let b = broker.clone();
    let mut frx = rx.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => b.flush_due().await,
                _ = frx.changed() => return,
            }
        }
    }));
    if broker.config.cleaner_enable {
        let b = broker.clone();
        let mut crx = rx.clone();
        let backoff = Duration::from_millis(broker.config.cleaner_backoff_ms);
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => b.compact_once().await,
                    _ = crx.changed() => return,
                }
            }
        }));
    }
    metrics_target.set_broker(broker.clone());
    Ok(Running {
        broker,
        addrs,
        metrics_addr,
        metrics_target,
        shutdown: tx,
        tasks,
    })
}

impl Running {
    /// Stops accepting, then syncs logs and metadata.
    pub async fn shutdown(self) {
        self.metrics_target.set_stopping();
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.broker.shutdown();
    }
}
