//! Connector lifecycle: create, pause, resume, stop, restart, delete; the records written to the
//! config and status topics; a failing or panicking task leaves the rest running.

use std::sync::Arc;
use std::time::Duration;

use super::fake_kafka::MemoryKafka;
use super::{eventually, map, runtime, states};
use crate::config::ConfigMap;
use crate::connectors::{
    ConnectorError, ConnectorPlugin, PluginFactory, SourceRecord, SourceTask, SourceTaskContext,
};
use crate::kafka::KafkaAccess;
use crate::runtime::error::HerderError;

fn source_config(name: &str, file: &std::path::Path, topic: &str) -> ConfigMap {
    map(&[
        ("name", name),
        ("connector.class", "FileStreamSource"),
        ("file", &file.display().to_string()),
        ("topic", topic),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ])
}

fn text(values: Vec<Option<String>>) -> Vec<String> {
    values.into_iter().map(|v| v.unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_pause_resume_stop_restart_delete() {
    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    for t in ["connect-configs", "connect-offsets", "connect-status"] {
        assert_eq!(
            kafka
                .topic_config(t, "cleanup.policy")
                .await
                .unwrap()
                .as_deref(),
            Some("compact"),
            "{t}"
        );
    }
    assert_eq!(
        kafka.partition_count("connect-offsets").await.unwrap(),
        Some(25)
    );
    assert_eq!(
        kafka.partition_count("connect-status").await.unwrap(),
        Some(5)
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\nb\n").unwrap();
    let h = &rt.herder;
    let (created, info) = h
        .put_connector_config("src", source_config("src", &file, "lines"), false, None)
        .await
        .unwrap();
    assert!(created);
    assert!(
        info.tasks.is_empty(),
        "distributed answers before tasks exist"
    );
    assert_eq!(info.kind, "source");
    eventually("running", || {
        states(&rt, "src") == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    let tasks = h.task_infos("src").unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].config["task.class"],
        "org.apache.kafka.connect.file.FileStreamSourceTask"
    );
    assert_eq!(
        h.put_connector_config("src", source_config("src", &file, "lines"), false, None)
            .await
            .unwrap_err(),
        HerderError::AlreadyExists("Connector src already exists".into())
    );
    eventually("two lines", || text(kafka.values("lines")) == ["a", "b"]).await;

    h.pause("src").await.unwrap();
    eventually("paused", || {
        states(&rt, "src") == ("PAUSED".into(), vec!["PAUSED".into()])
    })
    .await;
    let cfg = kafka.latest_by_key("connect-configs");
    assert_eq!(
        cfg["target-state-src"].as_deref(),
        Some(r#"{"state":"PAUSED","state.v2":"PAUSED"}"#)
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"c\n"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kafka.values("lines").len(), 2, "paused tasks do not poll");

    h.resume("src").await.unwrap();
    eventually("resumed", || {
        states(&rt, "src") == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    eventually("third line", || kafka.values("lines").len() == 3).await;

    h.stop("src").await.unwrap();
    assert_eq!(states(&rt, "src"), ("STOPPED".into(), vec![]));
    assert!(h.task_infos("src").unwrap().is_empty());
    let cfg = kafka.latest_by_key("connect-configs");
    assert_eq!(cfg["commit-src"].as_deref(), Some(r#"{"tasks":0}"#));
    assert_eq!(
        cfg["target-state-src"].as_deref(),
        Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#)
    );
    assert_eq!(
        kafka.latest_by_key("connect-status")["status-task-src-0"],
        None,
        "task status tombstoned"
    );

    h.resume("src").await.unwrap();
    eventually("running again", || {
        states(&rt, "src") == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;

    let answer = h.restart("src", true, false).await.unwrap();
    assert_eq!(answer.connector.state, "RESTARTING");
    assert_eq!(answer.tasks[0].state, "RESTARTING");
    eventually("restarted", || {
        states(&rt, "src") == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    let answer = h.restart("src", true, true).await.unwrap();
    assert_eq!(
        answer.connector.state, "RUNNING",
        "onlyFailed leaves healthy instances alone"
    );
    h.restart_connector("src").await.unwrap();
    assert_eq!(
        kafka.values("lines").len(),
        3,
        "restarts resume from committed offsets"
    );

    h.delete_connector("src").await.unwrap();
    assert_eq!(
        h.connector_info("src").unwrap_err(),
        HerderError::NotFound("Connector src not found".into())
    );
    assert_eq!(
        h.connector_status("src").unwrap_err(),
        HerderError::NotFound("No status found for connector src".into())
    );
    let cfg = kafka.latest_by_key("connect-configs");
    assert_eq!(cfg["connector-src"], None);
    assert_eq!(cfg["target-state-src"], None);
    let st = kafka.latest_by_key("connect-status");
    assert_eq!(st["status-connector-src"], None);
    assert_eq!(st["status-task-src-0"], None);

    assert_eq!(
        h.pause("nope").await.unwrap_err(),
        HerderError::NotFound("Unknown connector nope".into())
    );
    assert_eq!(
        h.restart("nope", true, false).await.unwrap_err(),
        HerderError::NotFound("Unknown connector: nope".into())
    );
    assert_eq!(
        h.restart_connector("nope").await.unwrap_err(),
        HerderError::NotFound("Connector nope not found".into())
    );
    rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_paused_and_stopped() {
    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\n").unwrap();
    use crate::runtime::status::TargetState;
    rt.herder
        .put_connector_config(
            "p",
            source_config("p", &file, "t"),
            false,
            Some(TargetState::Paused),
        )
        .await
        .unwrap();
    rt.herder
        .put_connector_config(
            "s",
            source_config("s", &file, "t"),
            false,
            Some(TargetState::Stopped),
        )
        .await
        .unwrap();
    assert_eq!(states(&rt, "p").0, "PAUSED");
    assert_eq!(states(&rt, "s"), ("STOPPED".into(), vec![]));
    assert!(kafka.values("t").is_empty());
    rt.herder.resume("p").await.unwrap();
    eventually("line", || kafka.values("t").len() == 1).await;
    rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_task_does_not_stop_the_others() {
    let kafka = Arc::new(MemoryKafka::new());
    kafka.poisoned.lock().push("bad".into());
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\n").unwrap();
    rt.herder
        .put_connector_config("bad", source_config("bad", &file, "bad"), false, None)
        .await
        .unwrap();
    rt.herder
        .put_connector_config("good", source_config("good", &file, "good"), false, None)
        .await
        .unwrap();
    eventually("failed", || states(&rt, "bad").1 == ["FAILED"]).await;
    let st = rt.herder.task_status("bad", 0).unwrap();
    let trace = st.trace.unwrap_or_default();
    assert!(trace.starts_with("org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback"), "{trace}");
    assert_eq!(states(&rt, "bad").0, "RUNNING");
    eventually("good line", || kafka.values("good").len() == 1).await;
    assert_eq!(
        states(&rt, "good"),
        ("RUNNING".into(), vec!["RUNNING".into()])
    );
    kafka.poisoned.lock().clear();
    let answer = rt.herder.restart("bad", true, true).await.unwrap();
    assert_eq!(answer.connector.state, "RUNNING");
    assert_eq!(answer.tasks[0].state, "RESTARTING");
    assert!(answer.tasks[0].trace.is_none());
    eventually("recovered", || states(&rt, "bad").1 == ["RUNNING"]).await;
    eventually("bad line", || kafka.values("bad").len() == 1).await;
    rt.shutdown().await;
}

struct PanicTask;

#[async_trait::async_trait]
impl SourceTask for PanicTask {
    async fn start(
        &mut self,
        _c: &ConfigMap,
        _ctx: SourceTaskContext,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectorError> {
        panic!("boom in poll");
    }
}

static PANIC_PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "test.PanicSourceConnector",
    task_class: "test.PanicTask",
    version: "0",
    factory: PluginFactory::Source {
        connector: || {
            Box::new(crate::connectors::file::source::FileStreamSourceConnector::default())
        },
        task: || Box::new(PanicTask),
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_is_marked_failed() {
    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    let cfg = map(&[("name", "p"), ("connector.class", "x"), ("topic", "t")]);
    let spec = crate::runtime::worker::TaskSpec {
        plugin: &PANIC_PLUGIN,
        connector: crate::config::ConnectorConfig::parse(None, &cfg).unwrap(),
        config: cfg,
        task_count: 1,
    };
    let id = crate::runtime::worker::TaskId {
        connector: "p".into(),
        task: 0,
    };
    let handle = crate::runtime::worker::spawn(
        rt.shared().clone(),
        id,
        spec,
        crate::runtime::worker::TaskControl::Run,
    );
    eventually("panicked task failed", || {
        rt.shared()
            .statuses
            .task("p", 0)
            .is_some_and(|s| s.state == crate::runtime::status::State::Failed)
    })
    .await;
    let trace = rt
        .shared()
        .statuses
        .task("p", 0)
        .and_then(|s| s.trace)
        .unwrap_or_default();
    assert!(trace.contains("task panicked: boom in poll"), "{trace}");
    handle.stop(Duration::from_secs(1)).await;
    rt.shutdown().await;
}
