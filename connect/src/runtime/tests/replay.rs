//! State survives a restart: a second runtime over the same Kafka finds the connectors, their
//! task configs, target states, statuses and offsets in the internal topics; the source resumes
//! where it stopped and the sink from its committed group offsets (no duplicates).

use std::sync::Arc;

use super::fake_kafka::MemoryKafka;
use super::{eventually, map, runtime, states};
use crate::runtime::status::TargetState;

fn append(path: &std::path::Path, text: &str) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_statuses_and_offsets_survive_a_restart() {
    let kafka = Arc::new(MemoryKafka::new());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    std::fs::write(&input, "a\nb\n").unwrap();
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let src = map(&[
        ("name", "src"),
        (
            "connector.class",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
        ),
        ("file", &input.display().to_string()),
        ("topic", "lines"),
        ("value.converter", string),
    ]);
    let sink = map(&[
        ("name", "sink"),
        ("connector.class", "FileStreamSink"),
        ("file", &output.display().to_string()),
        ("topics", "lines"),
        ("value.converter", string),
    ]);
    {
        let rt = runtime(kafka.clone(), &[]).await;
        rt.herder
            .put_connector_config("src", src.clone(), false, None)
            .await
            .unwrap();
        rt.herder
            .put_connector_config("sink", sink.clone(), false, None)
            .await
            .unwrap();
        let paused = map(&[
            ("name", "paused"),
            ("connector.class", "FileStreamSource"),
            ("topic", "x"),
            ("file", "/nonexistent"),
        ]);
        rt.herder
            .put_connector_config("paused", paused, false, Some(TargetState::Paused))
            .await
            .unwrap();
        eventually("sink wrote", || {
            std::fs::read_to_string(&output).unwrap_or_default() == "a\nb\n"
        })
        .await;
        eventually("source offsets committed", || {
            rt.shared()
                .offsets
                .all("src")
                .first()
                .map(|(_, o)| o["position"].as_i64())
                == Some(Some(4))
        })
        .await;
        rt.shutdown().await;
        assert_eq!(
            states(&rt, "src").1,
            vec!["UNASSIGNED"],
            "stopped tasks are unassigned"
        );
    }
    append(&input, "c\n");
    let rt = runtime(kafka.clone(), &[]).await;
    let mut names = rt.herder.connector_names();
    names.sort();
    assert_eq!(names, vec!["paused", "sink", "src"]);
    assert_eq!(rt.herder.connector_config("src").unwrap(), src);
    assert_eq!(rt.herder.task_infos("src").unwrap().len(), 1);
    assert_eq!(
        rt.herder.task_infos("sink").unwrap()[0].config["topics"],
        "lines"
    );
    assert_eq!(states(&rt, "paused").0, "PAUSED");
    eventually("src running", || {
        states(&rt, "src") == ("RUNNING".into(), vec!["RUNNING".into()])
    })
    .await;
    eventually("third line", || kafka.values("lines").len() == 3).await;
    eventually("sink caught up", || {
        std::fs::read_to_string(&output).unwrap_or_default() == "a\nb\nc\n"
    })
    .await;
    let status = kafka.latest_by_key("connect-status");
    let generation: serde_json::Value =
        serde_json::from_str(status["status-connector-src"].as_deref().unwrap()).unwrap();
    assert_eq!(generation["generation"], 2, "a restart is a new generation");
    assert_eq!(generation["worker_id"], "test-worker:8083");
    let offsets = kafka.latest_by_key("connect-offsets");
    let key = format!(r#"["src",{{"filename":"{}"}}]"#, input.display());
    assert_eq!(offsets[&key].as_deref(), Some(r#"{"position":6}"#));
    rt.shutdown().await;
}
