//! Counters moved by Produce and Fetch, group lag, and the metrics listener over TCP.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{FetchRequest, ProduceRequest, TopicName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::api::sb;
use crate::BrokerConfig;

fn config(dir: &std::path::Path, extra: &[(&str, &str)]) -> BrokerConfig {
    let mut m = BTreeMap::new();
    m.insert("log.dirs".to_string(), dir.display().to_string());
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    BrokerConfig::from_map(m).unwrap().0
}

fn batch(values: &[&str]) -> Bytes {
    crate::test_support::batch_of(values.iter().map(|v| Bytes::copy_from_slice(v.as_bytes())))
        .freeze()
}

async fn produce(b: &Arc<Broker>, topic: &str, records: Bytes) {
    let mut pd = PartitionProduceData::default();
    pd.index = 0;
    pd.records = Some(records);
    let mut td = TopicProduceData::default();
    td.name = TopicName(sb(topic));
    td.partition_data = vec![pd];
    let mut req = ProduceRequest::default();
    req.acks = 1;
    req.timeout_ms = 1000;
    req.topic_data = vec![td];
    let resp = crate::api::produce::handle(b, req, 9).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, 0);
}

async fn fetch(b: &Arc<Broker>, topic: &str, offset: i64) -> usize {
    let mut fp = FetchPartition::default();
    fp.partition = 0;
    fp.fetch_offset = offset;
    fp.partition_max_bytes = 1 << 20;
    let mut ft = FetchTopic::default();
    ft.topic = TopicName(sb(topic));
    ft.partitions = vec![fp];
    let mut req = FetchRequest::default();
    req.max_wait_ms = 0;
    req.min_bytes = 0;
    req.max_bytes = 1 << 20;
    req.topics = vec![ft];
    let resp = crate::api::fetch::handle(b, req, 12).await;
    resp.responses[0].partitions[0]
        .records
        .as_ref()
        .map(|r| r.len())
        .unwrap_or(0)
}

fn line_value(scrape: &str, prefix: &str) -> Option<i64> {
    scrape
        .lines()
        .find(|l| l.starts_with(prefix) && l[prefix.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn produce_and_fetch_move_the_topic_counters() {
    let dir = tempfile::tempdir().unwrap();
    let b = Broker::open(config(dir.path(), &[])).unwrap();
    b.create_topic("m", 1, -1, BTreeMap::new(), false)
        .await
        .unwrap();
    let one = batch(&["a", "bb", "ccc"]);
    let two = batch(&["dddd", "e"]);
    produce(&b, "m", one.clone()).await;
    produce(&b, "m", two.clone()).await;
    let t = b.topic("m").unwrap();
    assert_eq!(
        t.metrics.bytes_in.load(Ordering::Relaxed),
        (one.len() + two.len()) as u64
    );
    assert_eq!(t.metrics.records_in.load(Ordering::Relaxed), 5);
    assert_eq!(t.metrics.bytes_out.load(Ordering::Relaxed), 0);

    let n = fetch(&b, "m", 0).await;
    assert_eq!(n, one.len() + two.len());
    assert_eq!(t.metrics.bytes_out.load(Ordering::Relaxed), n as u64);
    assert_eq!(t.metrics.records_out.load(Ordering::Relaxed), 5);
    // Fetching at the end sends nothing and counts nothing.
    assert_eq!(fetch(&b, "m", 5).await, 0);
    assert_eq!(t.metrics.records_out.load(Ordering::Relaxed), 5);

    // Counters survive a partition addition (the Topic value is replaced).
    b.create_partitions("m", 2, false).await.unwrap();
    assert_eq!(
        b.topic("m")
            .unwrap()
            .metrics
            .records_in
            .load(Ordering::Relaxed),
        5
    );

    // The in-process path (Connect) counts too.
    b.append_batches("m", 0, BytesMut::from(&batch(&["x"])[..]))
        .await
        .unwrap();
    b.read_batches("m", 0, 5, 1 << 20, Duration::ZERO)
        .await
        .unwrap();
    let s = scrape(&b);
    assert_eq!(
        line_value(
            &s,
            "kafka_server_brokertopicmetrics_messagesin_total{topic=\"m\"}"
        ),
        Some(6)
    );
    assert_eq!(
        line_value(
            &s,
            "kafka_server_brokertopicmetrics_messagesout_total{topic=\"m\"}"
        ),
        Some(6)
    );
    assert_eq!(
        line_value(&s, "kafka_controller_kafkacontroller_globalpartitioncount"),
        Some(2)
    );
    assert_eq!(
        line_value(
            &s,
            "kafka_topic_partition_current_offset{topic=\"m\",partition=\"0\"}"
        ),
        Some(6)
    );
    b.shutdown();
}

#[tokio::test]
async fn group_lag_is_high_watermark_minus_committed() {
    let dir = tempfile::tempdir().unwrap();
    let b = Broker::open(config(dir.path(), &[])).unwrap();
    b.create_topic("lagged", 1, -1, BTreeMap::new(), false)
        .await
        .unwrap();
    produce(&b, "lagged", batch(&["1", "2", "3", "4", "5", "6", "7"])).await;
    b.meta
        .commit_offsets(
            "g1",
            &[(
                "lagged".to_string(),
                0,
                sluice_storage::CommittedOffset {
                    offset: 3,
                    leader_epoch: -1,
                    metadata: None,
                    commit_timestamp: 0,
                },
            )],
        )
        .unwrap();
    let s = scrape(&b);
    let labels = "{consumergroup=\"g1\",topic=\"lagged\",partition=\"0\"}";
    assert_eq!(
        line_value(&s, &format!("kafka_consumergroup_lag{labels}")),
        Some(4),
        "{s}"
    );
    assert_eq!(
        line_value(&s, &format!("kafka_consumergroup_current_offset{labels}")),
        Some(3)
    );
    b.shutdown();
}

/// A v2 batch header (61 bytes) claiming `count` records, padded to `size` bytes.
fn fake_batch(count: i32, size: usize) -> Vec<u8> {
    let mut b = vec![0u8; size];
    b[8..12].copy_from_slice(&((size - 12) as i32).to_be_bytes());
    b[16] = 2; // magic
    b[57..61].copy_from_slice(&count.to_be_bytes());
    b
}

#[test]
fn record_counting_reads_batch_headers() {
    let mut all = fake_batch(2, 80);
    all.extend(fake_batch(3, 100));
    assert_eq!(count_records(&all), 5);
    // A truncated trailing batch is not counted.
    assert_eq!(count_records(&all[..150]), 2);
    assert_eq!(count_records(&all[..70]), 0);
    assert_eq!(count_records(&[]), 0);
    // What the encoder produces agrees with the records it was given.
    assert_eq!(count_records(&batch(&["a", "b", "c"])), 3);
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (code, body)
}

#[tokio::test]
async fn served_requests_are_counted_and_the_listener_answers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            ("listeners", "PLAINTEXT://127.0.0.1:0"),
            ("sluice.metrics.listener", "http://127.0.0.1:0"),
        ],
    );
    let running = crate::start(cfg).await.unwrap();
    let maddr = running.metrics_addr.expect("metrics listener bound");
    // One ApiVersions v0 request over the Kafka port.
    let mut s = tokio::net::TcpStream::connect(running.addrs[0])
        .await
        .unwrap();
    let mut frame = Vec::new();
    frame.extend(18i16.to_be_bytes());
    frame.extend(0i16.to_be_bytes());
    frame.extend(1i32.to_be_bytes());
    frame.extend((-1i16).to_be_bytes());
    let mut msg = (frame.len() as i32).to_be_bytes().to_vec();
    msg.extend(frame);
    s.write_all(&msg).await.unwrap();
    let size = s.read_i32().await.unwrap();
    let mut resp = vec![0u8; size as usize];
    s.read_exact(&mut resp).await.unwrap();
    assert_eq!(running.broker.metrics.request_count(ApiKey::ApiVersions), 1);

    let (code, body) = http_get(maddr, "/metrics").await;
    assert_eq!(code, 200);
    assert_eq!(
        line_value(
            &body,
            "kafka_network_requestmetrics_requests_total{request=\"ApiVersions\"}"
        ),
        Some(1),
        "{body}"
    );
    assert_eq!(
        line_value(
            &body,
            "sluice_broker_request_duration_seconds_bucket{request=\"ApiVersions\",le=\"+Inf\"}"
        ),
        Some(1)
    );
    assert!(line_value(&body, "process_open_fds").unwrap() > 0);
    assert_eq!(
        http_get(maddr, "/ready").await,
        (200, r#"{"status":"ready"}"#.to_string())
    );
    assert_eq!(http_get(maddr, "/nope").await.0, 404);
    running.shutdown().await;
}
