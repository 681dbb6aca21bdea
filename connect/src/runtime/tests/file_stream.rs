//! FileStream end to end over the in-memory Kafka: a multi-partition topic drained by two sink
//! tasks (group offsets committed), topics.regex, config-provider references, and the offsets
//! API (read anytime, alter and reset only when STOPPED).

use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use super::fake_kafka::MemoryKafka;
use super::{eventually, map, runtime, states};
use crate::kafka::{KafkaAccess, ProduceRecord};
use crate::runtime::entities::ConnectorOffset;
use crate::runtime::error::HerderError;

fn record(value: &str) -> ProduceRecord {
    ProduceRecord {
        partition: None,
        key: None,
        value: Some(Bytes::from(value.to_string())),
        headers: vec![],
        timestamp: None,
    }
}

fn sorted_lines(path: &std::path::Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_to_file_with_two_tasks_and_sink_offsets() {
    let kafka = Arc::new(MemoryKafka::new());
    kafka.create("orders", 3);
    let values: Vec<String> = (0..20).map(|i| format!("v{i:02}")).collect();
    kafka
        .produce("orders", values.iter().map(|v| record(v)).collect())
        .await
        .unwrap();
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    std::env::set_var("SLUICE_TEST_SINK_FILE", out.display().to_string());
    let cfg = map(&[
        ("name", "sink"),
        ("connector.class", "FileStreamSinkConnector"),
        ("tasks.max", "2"),
        ("file", "${env:SLUICE_TEST_SINK_FILE}"),
        ("topics", "orders"),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]);
    rt.herder
        .put_connector_config("sink", cfg, false, None)
        .await
        .unwrap();
    eventually("all lines", || sorted_lines(&out) == values).await;
    assert_eq!(states(&rt, "sink").1, vec!["RUNNING", "RUNNING"]);
    // Raw text is stored and shown; task configs get the reference back.
    assert_eq!(
        rt.herder.connector_config("sink").unwrap()["file"],
        "${env:SLUICE_TEST_SINK_FILE}"
    );
    assert_eq!(
        rt.herder.task_infos("sink").unwrap()[1].config["file"],
        "${env:SLUICE_TEST_SINK_FILE}"
    );
    let stored = kafka.latest_by_key("connect-configs");
    assert!(stored["task-sink-0"]
        .as_deref()
        .unwrap_or("")
        .contains("${env:SLUICE_TEST_SINK_FILE}"));

    eventually("offsets committed", || {
        let mut total = 0;
        for (_, _, o) in futures_committed(&kafka, "connect-sink") {
            total += o;
        }
        total == 20
    })
    .await;
    let offsets = rt.herder.offsets("sink").await.unwrap();
    let shown = serde_json::to_value(&offsets).unwrap();
    assert_eq!(shown["offsets"].as_array().unwrap().len(), 3);
    assert_eq!(
        shown["offsets"][0]["partition"],
        json!({"kafka_topic": "orders", "kafka_partition": 0})
    );
    assert_eq!(
        rt.herder.active_topics("sink").unwrap(),
        json!({"sink": {"topics": ["orders"]}})
    );

    let e = rt.herder.alter_offsets("sink", None).await.unwrap_err();
    assert!(
        matches!(e, HerderError::BadRequest(ref m) if m.starts_with("Connectors must be in the STOPPED state")),
        "{e:?}"
    );
    rt.herder.stop("sink").await.unwrap();
    let bad = vec![ConnectorOffset {
        partition: json!({"kafka_topic": "orders", "kafka_partition": "x"})
            .as_object()
            .cloned(),
        offset: None,
    }];
    assert_eq!(
        rt.herder.alter_offsets("sink", Some(bad)).await.unwrap_err(),
        HerderError::BadRequest("Failed to parse the following Kafka partition value in the provided offsets: 'x'. Partition values for sink connectors need to be integers.".into())
    );
    let alter = vec![
        ConnectorOffset {
            partition: json!({"kafka_topic": "orders", "kafka_partition": 0})
                .as_object()
                .cloned(),
            offset: json!({"kafka_offset": "0"}).as_object().cloned(),
        },
        ConnectorOffset {
            partition: json!({"kafka_topic": "orders", "kafka_partition": 1})
                .as_object()
                .cloned(),
            offset: None,
        },
    ];
    let m = rt.herder.alter_offsets("sink", Some(alter)).await.unwrap();
    assert_eq!(
        m.message,
        "The offsets for this connector have been altered successfully"
    );
    let committed = futures_committed(&kafka, "connect-sink");
    assert!(committed.contains(&("orders".into(), 0, 0)));
    assert!(!committed.iter().any(|(_, p, _)| *p == 1));
    let m = rt.herder.alter_offsets("sink", None).await.unwrap();
    assert_eq!(
        m.message,
        "The offsets for this connector have been reset successfully"
    );
    assert!(futures_committed(&kafka, "connect-sink").is_empty());
    rt.shutdown().await;
}

fn futures_committed(kafka: &MemoryKafka, group: &str) -> Vec<(String, i32, i64)> {
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| rt.block_on(kafka.committed_offsets(group))).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_regex_and_source_offsets_api() {
    let kafka = Arc::new(MemoryKafka::new());
    kafka.create("cdc.a", 1);
    kafka.create("other", 1);
    kafka.produce("cdc.a", vec![record("x")]).await.unwrap();
    kafka.produce("other", vec![record("no")]).await.unwrap();
    let rt = runtime(kafka.clone(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "l1\nl2\n").unwrap();
    let sink = map(&[
        ("name", "rx"),
        ("connector.class", "FileStreamSink"),
        ("file", &out.display().to_string()),
        ("topics.regex", "cdc\\..*"),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]);
    rt.herder
        .put_connector_config("rx", sink, false, None)
        .await
        .unwrap();
    eventually("regex sink", || sorted_lines(&out) == ["x"]).await;

    let src = map(&[
        ("name", "src"),
        ("connector.class", "FileStreamSource"),
        ("file", &input.display().to_string()),
        ("topic", "lines"),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]);
    rt.herder
        .put_connector_config("src", src, false, None)
        .await
        .unwrap();
    eventually("lines", || kafka.values("lines").len() == 2).await;
    eventually("offset", || rt.shared().offsets.all("src").len() == 1).await;
    let shown = serde_json::to_value(rt.herder.offsets("src").await.unwrap()).unwrap();
    assert_eq!(
        shown,
        json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": 6}}]})
    );
    rt.herder.stop("src").await.unwrap();
    let bad = vec![ConnectorOffset {
        partition: json!({"filename": input.display().to_string()})
            .as_object()
            .cloned(),
        offset: json!({"position": -1}).as_object().cloned(),
    }];
    assert_eq!(
        rt.herder.alter_offsets("src", Some(bad)).await.unwrap_err(),
        HerderError::Internal(
            "The value for the 'position' key in the offset should be a non-negative value".into()
        )
    );
    assert_eq!(
        rt.herder
            .alter_offsets("src", Some(vec![]))
            .await
            .unwrap_err(),
        HerderError::BadRequest(
            "Partitions / offsets need to be provided for an alter offsets request".into()
        )
    );
    let rewind = vec![ConnectorOffset {
        partition: json!({"filename": input.display().to_string()})
            .as_object()
            .cloned(),
        offset: json!({"position": 3}).as_object().cloned(),
    }];
    let m = rt.herder.alter_offsets("src", Some(rewind)).await.unwrap();
    assert_eq!(
        m.message,
        "The offsets for this connector have been altered successfully"
    );
    rt.herder.resume("src").await.unwrap();
    eventually("re-read from position 3", || {
        kafka.values("lines").len() == 3
    })
    .await;
    assert_eq!(kafka.values("lines")[2].as_deref(), Some("l2"));
    rt.shutdown().await;
}
