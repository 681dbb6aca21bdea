//! Broker metrics for Prometheus (`/metrics`). Counters are relaxed atomics updated on the request
//! path (no lock, no allocation); everything derived from state (topic and partition counts,
//! consumer-group lag, process RSS and open files) is computed when scraped.
//!
//! Names follow the Prometheus JMX exporter's rendering of Kafka's MBeans where Kafka has the
//! metric (`kafka_server_brokertopicmetrics_bytesin_total{topic}`), kafka_exporter's names for
//! group lag (`kafka_consumergroup_lag`), the client libraries' `process_*` names, and
//! `sluice_broker_*` otherwise. docs/operations.md lists every one.

pub mod expo;
pub mod http;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use expo::{Exposition, Histogram, Kind, LATENCY_BUCKETS};
use kafka_protocol::messages::ApiKey;

use crate::state::Broker;

/// Per-topic traffic counters, shared by every `Topic` value of one topic (kept across partition
/// additions and config changes; a deleted and re-created topic starts from zero).
#[derive(Default)]
pub struct TopicMetrics {
    pub bytes_in: AtomicU64,
    pub records_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub records_out: AtomicU64,
}

impl TopicMetrics {
    /// An append of `records` records in `bytes` bytes of record batches.
    pub fn produced(&self, bytes: usize, records: i64) {
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
        self.records_in
            .fetch_add(records.max(0) as u64, Ordering::Relaxed);
    }

    /// Record batches sent to a consumer (Fetch or the in-process reader).
    pub fn fetched(&self, batches: &[u8]) {
        if batches.is_empty() {
            return;
        }
        self.bytes_out
            .fetch_add(batches.len() as u64, Ordering::Relaxed);
        self.records_out
            .fetch_add(count_records(batches), Ordering::Relaxed);
    }
}

/// Sums the record counts of whole v2 record batches (header field at byte 57); a trailing
/// partial batch is ignored. Reads headers only.
pub fn count_records(mut b: &[u8]) -> u64 {
    let mut n = 0u64;
    while b.len() >= 61 {
        let len = i32::from_be_bytes([b[8], b[9], b[10], b[11]]);
        if len < 49 {
            break;
        }
        let total = 12 + len as usize;
        if total > b.len() {
            break;
        }
        let count = i32::from_be_bytes([b[57], b[58], b[59], b[60]]);
        n += count.max(0) as u64;
        b = &b[total..];
    }
    n
}

/// Highest API key tracked (ApiKey values are small; keys beyond this are not counted).
const MAX_API_KEY: usize = 127;

/// Request counters and latency histograms per API key.
pub struct BrokerMetrics {
    requests: Vec<Histogram>,
}

impl Default for BrokerMetrics {
    fn default() -> Self {
        BrokerMetrics {
            requests: (0..=MAX_API_KEY)
                .map(|_| Histogram::new(LATENCY_BUCKETS))
                .collect(),
        }
    }
}

impl BrokerMetrics {
    /// One answered request of `api` that took `elapsed` from decoding to its encoded answer.
    pub fn request(&self, api: ApiKey, elapsed: Duration) {
        if let Some(h) = self.requests.get(api as i16 as usize) {
            h.observe(elapsed);
        }
    }

    /// Requests of `api` counted so far.
    pub fn request_count(&self, api: ApiKey) -> u64 {
        self.requests
            .get(api as i16 as usize)
            .map(|h| h.count())
            .unwrap_or(0)
    }
}

/// Appends every broker metric to `e` (not the `process_*` ones: see [`render_process`]).
pub fn render(b: &Broker, e: &mut Exposition) {
    let topics = b.topics();
    type Counter = fn(&TopicMetrics) -> &AtomicU64;
    let per_topic: [(&str, &str, Counter); 4] = [
        (
            "kafka_server_brokertopicmetrics_bytesin_total",
            "Bytes of record batches appended to the topic (Produce and in-process Connect writes).",
            |m| &m.bytes_in,
        ),
        (
            "kafka_server_brokertopicmetrics_messagesin_total",
            "Records appended to the topic.",
            |m| &m.records_in,
        ),
        (
            "kafka_server_brokertopicmetrics_bytesout_total",
            "Bytes of record batches sent to consumers (Fetch and in-process Connect reads).",
            |m| &m.bytes_out,
        ),
        (
            "kafka_server_brokertopicmetrics_messagesout_total",
            "Records in the batches sent to consumers (whole batches: a fetch from the middle of a batch counts the batch).",
            |m| &m.records_out,
        ),
    ];
    for (name, help, counter) in per_topic {
        e.family(name, Kind::Counter, help);
        for t in &topics {
            let v = counter(&t.metrics).load(Ordering::Relaxed);
            e.sample_int(name, &[("topic", &t.name)], v as i64);
        }
    }

    // One snapshot per API, so requests_total always equals the histogram's _count.
    let requests: Vec<(String, expo::HistogramSnapshot)> = crate::api::SUPPORTED
        .iter()
        .filter_map(|(k, _, _)| {
            let snap = b.metrics.requests.get(*k as i16 as usize)?.snapshot();
            (snap.count > 0).then(|| (format!("{k:?}"), snap))
        })
        .collect();
    e.family(
        "kafka_network_requestmetrics_requests_total",
        Kind::Counter,
        "Requests answered, by API (request=Produce, Fetch, Metadata, ...).",
    );
    for (name, snap) in &requests {
        e.sample_int(
            "kafka_network_requestmetrics_requests_total",
            &[("request", name)],
            snap.count as i64,
        );
    }
    e.family(
        "sluice_broker_request_duration_seconds",
        Kind::Histogram,
        "Time from a decoded request to its encoded answer, by API (Produce includes the fsync wait, Fetch the long poll).",
    );
    for (name, snap) in &requests {
        e.histogram(
            "sluice_broker_request_duration_seconds",
            &[("request", name)],
            snap,
        );
    }

    e.family(
        "kafka_controller_kafkacontroller_globaltopiccount",
        Kind::Gauge,
        "Topics, internal ones included.",
    );
    e.sample_int(
        "kafka_controller_kafkacontroller_globaltopiccount",
        &[],
        topics.len() as i64,
    );
    e.family(
        "kafka_controller_kafkacontroller_globalpartitioncount",
        Kind::Gauge,
        "Partitions of all topics.",
    );
    e.sample_int(
        "kafka_controller_kafkacontroller_globalpartitioncount",
        &[],
        topics.iter().map(|t| t.partitions.len() as i64).sum(),
    );

    e.family(
        "kafka_topic_partition_current_offset",
        Kind::Gauge,
        "High watermark (next offset) of each partition.",
    );
    for t in &topics {
        for p in &t.partitions {
            let hw = p.log.lock().next_offset();
            let idx = p.index.to_string();
            e.sample_int(
                "kafka_topic_partition_current_offset",
                &[("topic", &t.name), ("partition", &idx)],
                hw,
            );
        }
    }

    render_group_lag(b, e);
}

/// Committed offsets of every group that has any, against the partitions' high watermarks.
fn render_group_lag(b: &Broker, e: &mut Exposition) {
    let groups = b.meta.offset_groups().unwrap_or_default();
    let mut rows: Vec<(String, String, i32, i64, i64)> = Vec::new();
    for g in groups {
        let Ok(offsets) = b.meta.group_offsets(&g) else {
            continue;
        };
        for (topic, partition, committed) in offsets {
            let Some(p) = b.partition(&topic, partition) else {
                continue;
            };
            let hw = p.log.lock().next_offset();
            rows.push((g.clone(), topic, partition, committed.offset, hw));
        }
    }
    e.family(
        "kafka_consumergroup_current_offset",
        Kind::Gauge,
        "Offset committed by the consumer group for the partition.",
    );
    for (g, t, p, committed, _) in &rows {
        let ps = p.to_string();
        e.sample_int(
            "kafka_consumergroup_current_offset",
            &[("consumergroup", g), ("topic", t), ("partition", &ps)],
            *committed,
        );
    }
    e.family(
        "kafka_consumergroup_lag",
        Kind::Gauge,
        "High watermark minus the committed offset (records the group has not consumed), computed at scrape time.",
    );
    for (g, t, p, committed, hw) in &rows {
        let ps = p.to_string();
        e.sample_int(
            "kafka_consumergroup_lag",
            &[("consumergroup", g), ("topic", t), ("partition", &ps)],
            (hw - committed).max(0),
        );
    }
}

/// Resident set size in bytes, from /proc/self/status (VmRSS).
pub fn process_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Open file descriptors, from /proc/self/fd.
pub fn process_open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

/// `process_resident_memory_bytes` and `process_open_fds` (Linux; omitted elsewhere).
pub fn render_process(e: &mut Exposition) {
    if let Some(rss) = process_rss_bytes() {
        e.family(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
        );
        e.sample_int("process_resident_memory_bytes", &[], rss as i64);
    }
    if let Some(fds) = process_open_fds() {
        e.family(
            "process_open_fds",
            Kind::Gauge,
            "Number of open file descriptors.",
        );
        e.sample_int("process_open_fds", &[], fds as i64);
    }
}

/// The whole broker scrape answer (broker and process metrics).
pub fn scrape(b: &Broker) -> String {
    let mut e = Exposition::new();
    render(b, &mut e);
    render_process(&mut e);
    e.finish()
}

#[cfg(test)]
mod tests;
