//! Error handling: errors.tolerance=none fails the task with "Tolerance exceeded in error
//! handler"; errors.tolerance=all skips bad records, sends them to the dead letter queue with the
//! `__connect.errors.*` headers, and keeps going. Offsets of skipped records still advance.

use std::sync::Arc;

use bytes::Bytes;

use super::fake_kafka::MemoryKafka;
use super::{eventually, map, runtime, states};
use crate::config::ConfigMap;
use crate::kafka::{KafkaAccess, ProduceRecord};

fn raw(value: &str) -> ProduceRecord {
    ProduceRecord {
        partition: Some(0),
        key: None,
        value: Some(Bytes::from(value.to_string())),
        headers: vec![("h".into(), Some(Bytes::from_static(b"1")))],
        timestamp: Some(1_700_000_000_000),
    }
}

fn sink_config(out: &std::path::Path, extra: &[(&str, &str)]) -> ConfigMap {
    let mut c = map(&[
        ("name", "s"),
        ("connector.class", "FileStreamSink"),
        ("file", &out.display().to_string()),
        ("topics", "in"),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        ("transforms", "x"),
        (
            "transforms.x.type",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
        ),
        ("transforms.x.field", "f"),
    ]);
    for (k, v) in extra {
        c.insert(k.to_string(), v.to_string());
    }
    c
}

async fn seed(kafka: &MemoryKafka) {
    kafka.create("in", 1);
    let values = [
        r#"{"f":"one"}"#,
        "not json",
        r#""just a string""#,
        r#"{"f":"two"}"#,
    ];
    kafka
        .produce("in", values.iter().map(|v| raw(v)).collect())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerance_none_fails_the_task() {
    let kafka = Arc::new(MemoryKafka::new());
    seed(&kafka).await;
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    rt.herder
        .put_connector_config("s", sink_config(&out, &[]), false, None)
        .await
        .unwrap();
    eventually("failed", || states(&rt, "s").1 == ["FAILED"]).await;
    let trace = rt
        .herder
        .task_status("s", 0)
        .unwrap()
        .trace
        .unwrap_or_default();
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\nCaused by: org.apache.kafka.connect.errors.DataException:"),
        "{trace}"
    );
    assert_eq!(
        states(&rt, "s").0,
        "RUNNING",
        "the connector itself keeps running"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "",
        "nothing of the failed batch is put"
    );
    rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerance_all_skips_and_fills_the_dead_letter_queue() {
    let kafka = Arc::new(MemoryKafka::new());
    seed(&kafka).await;
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let cfg = sink_config(
        &out,
        &[
            ("errors.tolerance", "all"),
            ("errors.log.enable", "true"),
            ("errors.deadletterqueue.topic.name", "dlq"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ],
    );
    rt.herder
        .put_connector_config("s", cfg, false, None)
        .await
        .unwrap();
    eventually("good records written", || {
        std::fs::read_to_string(&out).unwrap_or_default() == "one\ntwo\n"
    })
    .await;
    eventually("dlq", || kafka.records("dlq").len() == 2).await;
    let dlq = kafka.records("dlq");
    assert_eq!(dlq[0].value.as_deref(), Some(&b"not json"[..]));
    assert_eq!(dlq[0].timestamp, 1_700_000_000_000);
    let header = |i: usize, k: &str| -> String {
        dlq[i]
            .headers
            .iter()
            .find(|(hk, _)| hk == k)
            .and_then(|(_, v)| v.as_ref().map(|v| String::from_utf8_lossy(v).into_owned()))
            .unwrap_or_default()
    };
    assert_eq!(header(0, "h"), "1", "original headers are kept");
    assert_eq!(header(0, "__connect.errors.topic"), "in");
    assert_eq!(header(0, "__connect.errors.partition"), "0");
    assert_eq!(header(0, "__connect.errors.offset"), "1");
    assert_eq!(header(0, "__connect.errors.connector.name"), "s");
    assert_eq!(header(0, "__connect.errors.task.id"), "0");
    assert_eq!(header(0, "__connect.errors.stage"), "VALUE_CONVERTER");
    assert_eq!(
        header(0, "__connect.errors.class.name"),
        "org.apache.kafka.connect.json.JsonConverter"
    );
    assert_eq!(
        header(0, "__connect.errors.exception.class.name"),
        "org.apache.kafka.connect.errors.DataException"
    );
    assert_eq!(header(1, "__connect.errors.stage"), "TRANSFORMATION");
    assert_eq!(
        header(1, "__connect.errors.class.name"),
        "org.apache.kafka.connect.transforms.ExtractField$Value"
    );
    assert_eq!(header(1, "__connect.errors.offset"), "2");
    assert_eq!(states(&rt, "s").1, vec!["RUNNING"]);
    eventually("offsets past the bad records", || {
        let rt2 = tokio::runtime::Handle::current();
        let c = tokio::task::block_in_place(|| rt2.block_on(kafka.committed_offsets("connect-s")))
            .unwrap_or_default();
        c == vec![("in".to_string(), 0, 4)]
    })
    .await;
    rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_records_dropped_by_errors_still_advance_offsets() {
    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nb\n").unwrap();
    let cfg = map(&[
        ("name", "src"),
        ("connector.class", "FileStreamSource"),
        ("file", &input.display().to_string()),
        ("topic", "t"),
        ("transforms", "x"),
        (
            "transforms.x.type",
            "org.apache.kafka.connect.transforms.ExtractField$Value",
        ),
        ("transforms.x.field", "f"),
        ("errors.tolerance", "all"),
    ]);
    rt.herder
        .put_connector_config("src", cfg, false, None)
        .await
        .unwrap();
    eventually("offset at end", || {
        rt.shared()
            .offsets
            .all("src")
            .first()
            .map(|(_, o)| o["position"].as_i64())
            == Some(Some(4))
    })
    .await;
    assert!(kafka.values("t").is_empty());
    assert_eq!(states(&rt, "src").1, vec!["RUNNING"]);
    rt.shutdown().await;
}
