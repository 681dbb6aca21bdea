//! Runtime tests against the in-memory KafkaAccess double: lifecycle, replay after restart,
//! FileStream source and sink, error tolerance and the dead letter queue, config providers.

pub mod fake_kafka;
mod file_stream;
mod lifecycle;
mod overrides;
mod replay;
mod standalone;
mod tolerance;

use std::sync::Arc;
use std::time::Duration;

use super::{ConnectRuntime, Mode};
use crate::config::{ConfigMap, WorkerConfig};
use fake_kafka::MemoryKafka;

pub fn map(pairs: &[(&str, &str)]) -> ConfigMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A worker config for tests: fast offset flushes, an ephemeral listener.
pub fn worker_config(extra: &[(&str, &str)]) -> WorkerConfig {
    let mut m = map(&[
        ("listeners", "http://127.0.0.1:0"),
        ("offset.flush.interval.ms", "100"),
        ("task.shutdown.graceful.timeout.ms", "3000"),
    ]);
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    match WorkerConfig::from_map(m) {
        Ok(c) => c,
        Err(e) => panic!("bad test worker config: {e}"),
    }
}

/// A started runtime (no REST) over the given Kafka.
pub async fn runtime(kafka: Arc<MemoryKafka>, extra: &[(&str, &str)]) -> ConnectRuntime {
    let rt = ConnectRuntime::create(
        worker_config(extra),
        kafka,
        Mode::Distributed,
        "test-worker:8083".into(),
    )
    .unwrap_or_else(|e| panic!("create: {e}"));
    rt.initialize()
        .await
        .unwrap_or_else(|e| panic!("initialize: {e}"));
    rt
}

/// Polls `f` for up to 10 s.
pub async fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The state strings of a connector and its tasks.
pub fn states(rt: &ConnectRuntime, name: &str) -> (String, Vec<String>) {
    match rt.herder.connector_status(name) {
        Ok(s) => (
            s.connector.state,
            s.tasks.into_iter().map(|t| t.state).collect(),
        ),
        Err(_) => ("NONE".into(), vec![]),
    }
}
