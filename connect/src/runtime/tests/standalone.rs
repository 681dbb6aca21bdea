//! Standalone mode: connectors from properties/JSON files, offsets in a local file; a second
//! run with the same files resumes the source where it stopped.

use std::sync::Arc;

use super::fake_kafka::MemoryKafka;
use super::{eventually, states, worker_config};
use crate::runtime::run_standalone;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_files_and_offsets_file() {
    let kafka = Arc::new(MemoryKafka::new());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a\nb\n").unwrap();
    let props = dir.path().join("source.properties");
    std::fs::write(
        &props,
        format!(
            "name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile={}\ntopic=connect-test\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\n",
            input.display()
        ),
    )
    .unwrap();
    let offsets = dir.path().join("connect.offsets");
    let offsets_setting = offsets.display().to_string();
    let config = || worker_config(&[("offset.storage.file.filename", &offsets_setting)]);
    let files = vec![props.clone()];
    let handle = run_standalone(config(), kafka.clone(), &files)
        .await
        .unwrap();
    let rt = handle.runtime().clone();
    eventually("two lines", || kafka.values("connect-test").len() == 2).await;
    eventually("offsets file", || {
        std::fs::read_to_string(&offsets)
            .unwrap_or_default()
            .contains("\"position\": 4")
    })
    .await;
    handle.shutdown().await;
    assert!(
        kafka.values("connect-configs").is_empty(),
        "standalone keeps configs in memory"
    );
    assert_eq!(states(&rt, "local-file-source").1, vec!["UNASSIGNED"]);

    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"c\n"))
        .unwrap();
    let handle = run_standalone(config(), kafka.clone(), &files)
        .await
        .unwrap();
    eventually("third line only", || {
        kafka.values("connect-test").len() == 3
    })
    .await;
    assert_eq!(kafka.values("connect-test")[2].as_deref(), Some("c"));
    handle.shutdown().await;

    let missing = worker_config(&[]);
    assert!(
        run_standalone(missing, kafka.clone(), &files)
            .await
            .is_err(),
        "offset.storage.file.filename is required"
    );
    let bad = dir.path().join("bad.properties");
    std::fs::write(&bad, "name=x\nconnector.class=Nope\n").unwrap();
    let e = run_standalone(config(), kafka, &[bad])
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("Failed to find any class that implements Connector"),
        "{e}"
    );
}
