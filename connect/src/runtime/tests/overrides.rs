//! Client overrides: `producer.override.*` / `consumer.override.*` checked against
//! connector.client.config.override.policy and the Java clients' types at validation, and the
//! producer's max.request.size applied to source records (RecordTooLargeException).

use std::sync::Arc;

use super::fake_kafka::MemoryKafka;
use super::{eventually, map, runtime, states};
use crate::config::ConfigMap;

fn source(input: &std::path::Path, extra: &[(&str, &str)]) -> ConfigMap {
    let mut c = map(&[
        ("name", "src"),
        ("connector.class", "FileStreamSource"),
        ("file", &input.display().to_string()),
        ("topic", "t"),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ]);
    for (k, v) in extra {
        c.insert(k.to_string(), v.to_string());
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_applies_the_policy_and_the_client_types() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let cfg = source(
        &input,
        &[
            ("producer.override.linger.ms", "soon"),
            ("producer.override.compression.type", "gzip"),
        ],
    );
    let rt = runtime(Arc::new(MemoryKafka::new()), &[]).await;
    let infos = rt.herder.validate(&cfg).await.unwrap();
    assert_eq!(
        infos.error_messages(),
        vec!["Invalid value soon for configuration linger.ms: Not a number of type LONG"]
    );
    let err = rt
        .herder
        .put_connector_config("src", cfg.clone(), false, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("linger.ms"), "{err}");
    rt.shutdown().await;

    let rt = runtime(
        Arc::new(MemoryKafka::new()),
        &[("connector.client.config.override.policy", "None")],
    )
    .await;
    let mut ok_types = cfg.clone();
    ok_types.insert("producer.override.linger.ms".into(), "5".into());
    let infos = rt.herder.validate(&ok_types).await.unwrap();
    assert_eq!(infos.error_count, 2, "{:?}", infos.error_messages());
    assert!(infos.error_messages()[0]
        .contains("The 'None' policy does not allow 'linger.ms' to be overridden"));
    rt.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_over_max_request_size_fail_or_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, format!("short\n{}\nlast\n", "x".repeat(300))).unwrap();

    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    let cfg = source(&input, &[("producer.override.max.request.size", "200")]);
    rt.herder
        .put_connector_config("src", cfg, false, None)
        .await
        .unwrap();
    eventually("failed", || states(&rt, "src").1 == ["FAILED"]).await;
    let trace = rt
        .herder
        .task_status("src", 0)
        .unwrap()
        .trace
        .unwrap_or_default();
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback\nCaused by: org.apache.kafka.common.errors.RecordTooLargeException: The message is 386 bytes when serialized which is larger than 200, which is the value of the max.request.size configuration."),
        "{trace}"
    );
    assert!(
        trace.contains("producer.override.max.request.size"),
        "{trace}"
    );
    rt.shutdown().await;

    let kafka = Arc::new(MemoryKafka::new());
    let rt = runtime(kafka.clone(), &[]).await;
    let cfg = source(
        &input,
        &[
            ("producer.override.max.request.size", "200"),
            ("errors.tolerance", "all"),
        ],
    );
    rt.herder
        .put_connector_config("src", cfg, false, None)
        .await
        .unwrap();
    eventually("the records that fit", || {
        kafka.values("t") == vec![Some("short".to_string()), Some("last".to_string())]
    })
    .await;
    assert_eq!(states(&rt, "src").1, vec!["RUNNING"]);
    rt.shutdown().await;
}
