//! ElasticsearchSinkTask: converts records to bulk actions and hands them to a background
//! dispatcher that batches them (batch.size, bulk.size.bytes, linger.ms), keeps at most
//! max.in.flight.requests bulks in flight, retries with backoff and jitter, and acknowledges a
//! record only once Elasticsearch has accepted (or, per configuration, knowingly skipped) it.
//!
//! Ordering: an action whose document (index + id) is in an in-flight bulk stays queued, with
//! every later action of that document, until that bulk is finished (other documents go ahead);
//! a partial retry resends every later action of a failed document too. So writes for one key
//! reach Elasticsearch in offset order even without external versioning.
//!
//! Offsets: `pre_commit` returns, per partition, the lowest offset not yet acknowledged (or
//! the runtime's offset when everything put is acknowledged). With `flush.synchronously`, or
//! when a transform renamed the topic (the tracked partitions then differ from the consumed
//! ones), it waits until everything put so far is acknowledged instead.
//!
//! Back-pressure: `put` waits while max.buffered.records are buffered or in flight, up to
//! flush.timeout.ms (then a retriable error: the runtime redelivers the batch). Once a bulk
//! has used up max.retries, the failure is kept and the next `put`/`pre_commit` fails the task
//! with a message that says what happened and what to check.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use parking_lot::Mutex;
use rand::Rng;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::bulk::{self, Item};
use super::client::EsClient;
use super::config::{EsConfig, Malformed, ResourceUsage};
use super::convert::{self, Action, Converted};
use super::mapping;
use crate::config::ConfigMap;
use crate::connectors::{
    ConnectorError, ErrantRecordReporter, SinkRecord, SinkTask, SinkTaskContext, TopicPartition,
};
use crate::data::KafkaOrigin;

/// The exception Confluent's connector reports failed documents with.
const REPORTING_EXCEPTION: &str =
    "io.confluent.connect.elasticsearch.ElasticsearchClient$ReportingException";

/// A converted record waiting for (or in) a bulk request.
#[derive(Debug)]
struct Pending {
    action: Action,
    /// `action.doc_key()`, computed once.
    key: Option<(String, String)>,
    bytes: Bytes,
    /// The consumed partition and offset (the record's origin), which offsets are committed by.
    tp: TopicPartition,
    offset: i64,
    /// For the errant record reporter.
    origin: Option<KafkaOrigin>,
    queued: Instant,
    /// The encoded bytes' share of the Connect memory pool, released once acknowledged.
    _held: crate::runtime::memory::Reservation,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Pending>,
    queue_bytes: usize,
    inflight_keys: HashMap<(String, String), usize>,
    inflight_batches: usize,
    /// Records queued or in flight.
    buffered: usize,
    /// Offsets put and not acknowledged yet, per partition (with multiplicity).
    unacked: HashMap<TopicPartition, BTreeMap<i64, usize>>,
    failure: Option<String>,
    flush: bool,
    closed: bool,
    /// Counters for logs and tests.
    bulks_sent: u64,
    docs_done: u64,
}

struct Shared {
    state: Mutex<State>,
    wake: Notify,
    progress: Notify,
}

impl Shared {
    fn complete<'a>(&self, done: impl IntoIterator<Item = &'a Pending>) {
        let mut st = self.state.lock();
        for p in done {
            if let Some(m) = st.unacked.get_mut(&p.tp) {
                if let Some(n) = m.get_mut(&p.offset) {
                    *n -= 1;
                    if *n == 0 {
                        m.remove(&p.offset);
                    }
                }
                if m.is_empty() {
                    st.unacked.remove(&p.tp);
                }
            }
            st.buffered = st.buffered.saturating_sub(1);
            st.docs_done += 1;
        }
        drop(st);
        self.progress.notify_one();
    }
}

/// Random wait in [0, backoff·2^attempt], at most 24 hours (Confluent's RetryUtil).
pub fn backoff(attempt: u32, base_ms: u64) -> Duration {
    if base_ms == 0 {
        return Duration::ZERO;
    }
    let max = base_ms
        .saturating_mul(1u64 << attempt.min(40))
        .min(24 * 60 * 60 * 1000);
    Duration::from_millis(rand::thread_rng().gen_range(0..=max))
}

/// What the dispatcher and its bulk requests share.
struct Dispatch {
    shared: Arc<Shared>,
    client: Arc<EsClient>,
    cfg: Arc<EsConfig>,
    name: String,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

struct Running {
    cfg: Arc<EsConfig>,
    client: Arc<EsClient>,
    shared: Arc<Shared>,
    dispatcher: JoinHandle<()>,
    resources: HashSet<String>,
    name: String,
    /// This task's share of the Connect memory pool, taken by buffered documents.
    memory: crate::runtime::memory::TaskPool,
}

#[derive(Default)]
pub struct ElasticsearchSinkTask {
    running: Option<Running>,
}

fn fatal(m: impl Into<String>) -> ConnectorError {
    ConnectorError::Fatal(m.into())
}

/// Escapes an index name for a URL path.
fn path_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._+@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Running {
    fn check_failed(&self) -> Result<(), ConnectorError> {
        match &self.shared.state.lock().failure {
            Some(f) => Err(fatal(f.clone())),
            None => Ok(()),
        }
    }

    /// A request with retries on connection errors, 429 and 5xx (used for index and mapping
    /// set-up); returns the final response.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<super::client::Response, ConnectorError> {
        let mut attempt = 0;
        loop {
            let err = match self
                .client
                .request(method.clone(), path, body.clone())
                .await
            {
                Ok(r) if !bulk::retriable_status(r.status) => return Ok(r),
                Ok(r) => format!("HTTP {}: {}", r.status, r.text()),
                Err(e) => e.0,
            };
            if attempt >= self.cfg.max_retries {
                return Err(fatal(format!(
                    "{method} {path} failed after {} attempt(s) (max.retries={}): {err}. Check that Elasticsearch at {} is reachable and healthy, then restart the task.",
                    attempt + 1,
                    self.cfg.max_retries,
                    self.cfg.urls.join(",")
                )));
            }
            tracing::warn!(connector = %self.name, "{method} {path} failed (attempt {}), retrying: {err}", attempt + 1);
            tokio::time::sleep(backoff(attempt, self.cfg.retry_backoff_ms)).await;
            attempt += 1;
        }
    }

    /// Creates the index (or data stream) and its mapping once per task.
    async fn ensure_resource(
        &mut self,
        index: &str,
        record: &SinkRecord,
    ) -> Result<(), ConnectorError> {
        if self.resources.contains(index) || self.cfg.resource_usage != ResourceUsage::Disabled {
            return Ok(());
        }
        let already = |r: &super::client::Response| {
            (200..300).contains(&r.status)
                || String::from_utf8_lossy(&r.body).contains("resource_already_exists_exception")
        };
        if self.cfg.is_data_stream() {
            let path = format!("/_data_stream/{}", path_part(index));
            let r = self.call(Method::PUT, &path, None).await?;
            if !already(&r) {
                return Err(fatal(format!(
                    "Could not create the data stream '{index}': HTTP {}: {}",
                    r.status,
                    r.text()
                )));
            }
        } else {
            let path = format!("/{}", path_part(index));
            let r = self.call(Method::PUT, &path, None).await?;
            if !already(&r) {
                return Err(fatal(format!(
                    "Could not create the index '{index}': HTTP {}: {}",
                    r.status,
                    r.text()
                )));
            }
            if !self.cfg.ignore_schema(&record.topic) {
                let path = format!("/{}/_mapping", path_part(index));
                let r = self.call(Method::GET, &path, None).await?;
                let has =
                    r.status == 200 && r.json().is_some_and(|j| mapping::has_mapping(index, &j));
                if !has {
                    let body = mapping::build_mapping(record.value_schema.as_deref()).map_err(|e| {
                        fatal(format!(
                            "{e} Index '{index}' (topic {}) needs a mapping because schema.ignore=false; use a converter with schemas (e.g. JsonConverter with schemas.enable=true) or set schema.ignore=true.",
                            record.topic
                        ))
                    })?;
                    let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
                    let r = self.call(Method::PUT, &path, Some(bytes)).await?;
                    if !(200..300).contains(&r.status) {
                        return Err(fatal(format!(
                            "Could not create the mapping of index '{index}': HTTP {}: {}",
                            r.status,
                            r.text()
                        )));
                    }
                }
            }
        }
        self.resources.insert(index.to_string());
        Ok(())
    }

    /// Takes `len` bytes of the Connect memory pool, sending what is buffered while the pool is
    /// full, for flush.timeout.ms at most (then a retriable error, as for max.buffered.records).
    async fn reserve(
        &self,
        len: usize,
    ) -> Result<crate::runtime::memory::Reservation, ConnectorError> {
        if let Some(r) = self.memory.try_reserve(len) {
            return Ok(r);
        }
        self.shared.wake.notify_one();
        let wait = Duration::from_millis(self.cfg.flush_timeout_ms);
        tokio::time::timeout(wait, self.memory.reserve(len))
            .await
            .map_err(|_| {
                ConnectorError::Retriable(format!(
                    "the Connect memory pool ({} bytes, half of --memory-budget-mb; a task holds a quarter at most) stayed full for flush.timeout.ms ({} ms): Elasticsearch is not keeping up",
                    self.memory.pool().total(),
                    self.cfg.flush_timeout_ms
                ))
            })
    }

    /// Waits until a record fits in max.buffered.records.
    async fn wait_for_space(&self) -> Result<(), ConnectorError> {
        let max = self.cfg.max_buffered_records;
        self.wait_until(
            |st| st.buffered < max,
            |_| {
                ConnectorError::Retriable(format!(
                    "max.buffered.records ({max}) records still buffered after flush.timeout.ms ({} ms): Elasticsearch is not keeping up",
                    self.cfg.flush_timeout_ms
                ))
            },
        )
        .await
    }

    /// Waits (flush.timeout.ms at most, waking the dispatcher) until `done` holds; a recorded
    /// failure fails at once, the deadline with `timeout`'s error.
    async fn wait_until(
        &self,
        mut done: impl FnMut(&mut State) -> bool,
        timeout: impl FnOnce(&State) -> ConnectorError,
    ) -> Result<(), ConnectorError> {
        let deadline = Instant::now() + Duration::from_millis(self.cfg.flush_timeout_ms);
        loop {
            {
                let mut st = self.shared.state.lock();
                if let Some(f) = &st.failure {
                    return Err(fatal(f.clone()));
                }
                if done(&mut st) {
                    return Ok(());
                }
            }
            self.shared.wake.notify_one();
            let now = Instant::now();
            if now >= deadline {
                return Err(timeout(&self.shared.state.lock()));
            }
            let _ = tokio::time::timeout(
                (deadline - now).min(Duration::from_millis(100)),
                self.shared.progress.notified(),
            )
            .await;
        }
    }

    async fn enqueue(&self, mut action: Action, record: &SinkRecord) -> Result<(), ConnectorError> {
        let mut bytes = Vec::with_capacity(action.source.as_ref().map_or(0, |s| s.len()) + 96);
        action.encode(&mut bytes);
        // Only the encoded lines are kept (results are classified from the metadata).
        action.source = None;
        let held = self.reserve(bytes.len()).await?;
        let (tp, offset) = match &record.origin {
            Some(o) => (TopicPartition::new(&*o.topic, o.partition), o.offset),
            None => (
                TopicPartition::new(record.topic.clone(), record.kafka_partition.unwrap_or(0)),
                record.kafka_offset.unwrap_or(0),
            ),
        };
        let mut st = self.shared.state.lock();
        *st.unacked
            .entry(tp.clone())
            .or_default()
            .entry(offset)
            .or_insert(0) += 1;
        st.buffered += 1;
        st.queue_bytes += bytes.len();
        st.queue.push_back(Pending {
            key: action.doc_key(),
            action,
            bytes: Bytes::from(bytes),
            tp,
            offset,
            origin: record.origin.clone(),
            queued: Instant::now(),
            _held: held,
        });
        let full = st.queue.len() >= self.cfg.batch_size
            || self
                .cfg
                .bulk_size_bytes
                .is_some_and(|b| st.queue_bytes >= b);
        drop(st);
        if full || self.cfg.linger_ms == 0 {
            self.shared.wake.notify_one();
        }
        Ok(())
    }

    /// Sends everything buffered and waits for it (flush.timeout.ms at most).
    async fn flush_all(&self) -> Result<(), ConnectorError> {
        self.shared.state.lock().flush = true;
        self.wait_until(
            |st| {
                let idle = st.queue.is_empty() && st.inflight_batches == 0;
                if idle {
                    st.flush = false;
                }
                idle
            },
            |st| {
                ConnectorError::Retriable(format!(
                    "Flush timeout expired with {} unacknowledged records (flush.timeout.ms={})",
                    st.buffered, self.cfg.flush_timeout_ms
                ))
            },
        )
        .await
    }
}

/// Takes the next bulk from the queue if one is due; otherwise how long to wait.
fn take_batch(st: &mut State, cfg: &EsConfig) -> Result<Vec<Pending>, Duration> {
    const IDLE: Duration = Duration::from_millis(500);
    if st.failure.is_some() || st.closed || st.queue.is_empty() {
        return Err(IDLE);
    }
    if st.inflight_batches >= cfg.max_in_flight {
        return Err(IDLE);
    }
    let full = st.queue.len() >= cfg.batch_size
        || cfg.bulk_size_bytes.is_some_and(|b| st.queue_bytes >= b);
    let linger = Duration::from_millis(cfg.linger_ms);
    let age = st
        .queue
        .front()
        .map_or(Duration::ZERO, |p| p.queued.elapsed());
    if !(full || st.flush || age >= linger) {
        return Err(linger - age);
    }
    // Scan a window of the queue in order; an action whose document is in flight is left
    // queued, and so is every later action of that document (so each document's writes stay
    // in order while other documents go ahead).
    let window = st.queue.len().min(cfg.batch_size.saturating_mul(4).max(1));
    let mut skipped: HashSet<(String, String)> = HashSet::new();
    let mut taken: Vec<usize> = Vec::new();
    let mut bytes = 0usize;
    for (i, p) in st.queue.iter().enumerate().take(window) {
        if taken.len() >= cfg.batch_size {
            break;
        }
        if let Some(limit) = cfg.bulk_size_bytes {
            if !taken.is_empty() && bytes + p.bytes.len() > limit {
                break;
            }
        }
        if let Some(k) = &p.key {
            if st.inflight_keys.contains_key(k) || skipped.contains(k) {
                skipped.insert(k.clone());
                continue;
            }
        }
        bytes += p.bytes.len();
        taken.push(i);
    }
    if taken.is_empty() {
        // Everything in the window waits for in-flight bulks holding the same documents.
        return Err(IDLE);
    }
    let batch: Vec<Pending> = if taken.len() == taken[taken.len() - 1] + 1 {
        st.queue.drain(..taken.len()).collect()
    } else {
        let mut batch = Vec::with_capacity(taken.len());
        let mut rest = VecDeque::with_capacity(st.queue.len() - taken.len());
        let mut next = taken.iter().copied().peekable();
        for (i, p) in std::mem::take(&mut st.queue).into_iter().enumerate() {
            if next.peek() == Some(&i) {
                next.next();
                batch.push(p);
            } else {
                rest.push_back(p);
            }
        }
        st.queue = rest;
        batch
    };
    st.queue_bytes = st.queue_bytes.saturating_sub(bytes);
    for p in &batch {
        if let Some(k) = &p.key {
            *st.inflight_keys.entry(k.clone()).or_insert(0) += 1;
        }
    }
    st.inflight_batches += 1;
    st.bulks_sent += 1;
    Ok(batch)
}

async fn dispatcher(d: Arc<Dispatch>) {
    let mut set = JoinSet::new();
    loop {
        while set.try_join_next().is_some() {}
        let next = {
            let mut st = d.shared.state.lock();
            if st.closed {
                return;
            }
            take_batch(&mut st, &d.cfg)
        };
        match next {
            Ok(batch) => {
                set.spawn(run_batch(d.clone(), batch));
            }
            Err(wait) => {
                let _ = tokio::time::timeout(wait, d.shared.wake.notified()).await;
            }
        }
    }
}

async fn run_batch(d: Arc<Dispatch>, batch: Vec<Pending>) {
    let keys: Vec<(String, String)> = batch.iter().filter_map(|p| p.key.clone()).collect();
    let result = send_batch(&d, batch).await;
    let (shared, name) = (&d.shared, &d.name);
    {
        let mut st = shared.state.lock();
        for k in keys {
            if let Some(n) = st.inflight_keys.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    st.inflight_keys.remove(&k);
                }
            }
        }
        st.inflight_batches = st.inflight_batches.saturating_sub(1);
        if let Err(m) = result {
            tracing::error!(connector = %name, "{m}");
            if st.failure.is_none() {
                st.failure = Some(m);
            }
        }
    }
    shared.wake.notify_one();
    shared.progress.notify_one();
}

fn first_record(todo: &[Pending]) -> String {
    match todo.first() {
        Some(p) => format!("{} offset {}", p.tp, p.offset),
        None => "nothing".into(),
    }
}

/// Hands a document Elasticsearch refused to the errant record reporter, as Confluent's
/// connector reports every failed item (dead letter queue, error log). Err when
/// errors.tolerance=none makes a reported record fatal.
async fn report(d: &Dispatch, p: &Pending, what: &str) -> Result<(), String> {
    let (Some(reporter), Some(origin)) = (&d.reporter, &p.origin) else {
        return Ok(());
    };
    let message = format!("Indexing failed: {what}");
    reporter
        .report(origin, REPORTING_EXCEPTION, &message)
        .await
        .map_err(|_| {
            format!(
                "Indexing record failed: Elasticsearch rejected the document of {} offset {} for index '{}' ({what}). \
                 It was reported to the dead letter queue / error log, and errors.tolerance=none makes a reported record fail the task: \
                 set errors.tolerance=all to skip such records, or fix the record or the index mapping, then restart the task.",
                p.tp, p.offset, p.action.index
            )
        })
}

/// Sends one batch until every record in it is acknowledged, or returns the failure.
async fn send_batch(d: &Dispatch, batch: Vec<Pending>) -> Result<(), String> {
    let (shared, client, cfg, name) = (&*d.shared, &*d.client, &*d.cfg, d.name.as_str());
    let urls = cfg.urls.join(",");
    let exhausted = |attempt: u32, what: &str, todo: &[Pending]| {
        format!(
            "Bulk request to Elasticsearch failed after {} attempt(s) (max.retries={}): {what}. \
             {} records starting at {} were not written and their offsets were not committed. \
             Check that Elasticsearch at {urls} is reachable and accepting writes (or raise max.retries / retry.backoff.ms), then restart the task; nothing is skipped.",
            attempt + 1,
            cfg.max_retries,
            todo.len(),
            first_record(todo)
        )
    };
    let mut chunks: VecDeque<(Vec<Pending>, u32)> = VecDeque::from([(batch, 0)]);
    while let Some((todo, attempt)) = chunks.pop_front() {
        if shared.state.lock().failure.is_some() {
            return Ok(());
        }
        let body: Vec<Bytes> = todo.iter().map(|p| p.bytes.clone()).collect();
        let resp = client
            .request_chunks(Method::POST, "/_bulk", Some(body))
            .await;
        let failure = match resp {
            Err(e) => format!("connection error: {e}"),
            Ok(r) if r.status == 413 => {
                if todo.len() == 1 {
                    let what = format!(
                        "request entity too large (HTTP 413) for a single document of {} bytes",
                        todo[0].bytes.len()
                    );
                    report(d, &todo[0], &what).await?;
                    malformed(cfg, name, &todo[0], &what)?;
                    shared.complete(todo.iter());
                } else {
                    let mut first = todo;
                    let second = first.split_off(first.len() / 2);
                    tracing::info!(connector = %name, "bulk of {} actions too large (HTTP 413), splitting", first.len() + second.len());
                    chunks.push_front((second, attempt));
                    chunks.push_front((first, attempt));
                }
                continue;
            }
            Ok(r) if r.status == 200 => {
                let actions: Vec<&Action> = todo.iter().map(|p| &p.action).collect();
                match bulk::classify(&r.body, &actions) {
                    Err(e) => e,
                    Ok(items) => {
                        for (p, item) in todo.iter().zip(&items) {
                            match item {
                                Item::Fatal(m) => {
                                    // Reported first, as Confluent does; the task fails either way.
                                    let _ = report(d, p, m).await;
                                    return Err(format!(
                                        "Indexing record failed: {m} ({} {} of index '{}', record {} offset {}). Fix the cause in Elasticsearch (or the record), then restart the task.",
                                        p.action.kind.name(),
                                        p.action.id.as_deref().unwrap_or("<auto id>"),
                                        p.action.index,
                                        p.tp,
                                        p.offset
                                    ));
                                }
                                Item::Malformed(m) => {
                                    report(d, p, m).await?;
                                    malformed(cfg, name, p, m)?
                                }
                                _ => {}
                            }
                        }
                        let retry = bulk::retry_set(&items, &actions);
                        let retry_set: HashSet<usize> = retry.iter().copied().collect();
                        shared.complete(
                            todo.iter()
                                .enumerate()
                                .filter(|(i, _)| !retry_set.contains(i))
                                .map(|(_, p)| p),
                        );
                        if retry.is_empty() {
                            continue;
                        }
                        let reason = items
                            .iter()
                            .find_map(|i| match i {
                                Item::Retry(m) => Some(m.clone()),
                                _ => None,
                            })
                            .unwrap_or_default();
                        let again: Vec<Pending> = todo
                            .into_iter()
                            .enumerate()
                            .filter(|(i, _)| retry_set.contains(i))
                            .map(|(_, p)| p)
                            .collect();
                        if attempt >= cfg.max_retries {
                            return Err(exhausted(
                                attempt,
                                &format!("{} item(s) still failing: {reason}", again.len()),
                                &again,
                            ));
                        }
                        tracing::warn!(connector = %name, "{} bulk item(s) failed transiently (attempt {}), retrying: {reason}", again.len(), attempt + 1);
                        tokio::time::sleep(backoff(attempt, cfg.retry_backoff_ms)).await;
                        chunks.push_front((again, attempt + 1));
                        continue;
                    }
                }
            }
            Ok(r) if bulk::retriable_status(r.status) => format!("HTTP {}: {}", r.status, r.text()),
            Ok(r) => {
                let hint = match r.status {
                    401 => {
                        " Check connection.username/connection.password (or connection.api.key)."
                    }
                    403 => " The user lacks the privileges to write to these indexes.",
                    _ => "",
                };
                return Err(format!(
                    "Elasticsearch rejected a bulk request with HTTP {}: {}.{hint} {} records starting at {} were not written and their offsets were not committed; restart the task once fixed.",
                    r.status,
                    r.text(),
                    todo.len(),
                    first_record(&todo)
                ));
            }
        };
        if attempt >= cfg.max_retries {
            return Err(exhausted(attempt, &failure, &todo));
        }
        tracing::warn!(connector = %name, "bulk request failed (attempt {}), retrying: {failure}", attempt + 1);
        tokio::time::sleep(backoff(attempt, cfg.retry_backoff_ms)).await;
        chunks.push_front((todo, attempt + 1));
    }
    Ok(())
}

/// behavior.on.malformed.documents for one rejected document: Ok means skip it.
fn malformed(cfg: &EsConfig, name: &str, p: &Pending, what: &str) -> Result<(), String> {
    match cfg.malformed {
        Malformed::Ignore => {
            tracing::debug!(connector = %name, "ignoring malformed document {} offset {}: {what}", p.tp, p.offset);
            Ok(())
        }
        Malformed::Warn => {
            tracing::warn!(connector = %name, "Encountered an illegal document error, ignoring it ({} offset {}, index '{}'): {what}", p.tp, p.offset, p.action.index);
            Ok(())
        }
        Malformed::Fail => Err(format!(
            "Indexing record failed: Elasticsearch rejected the document of {} offset {} for index '{}' as malformed: {what}. \
             Fix the record or the index mapping, or set behavior.on.malformed.documents to 'warn' or 'ignore' to skip such documents, then restart the task.",
            p.tp, p.offset, p.action.index
        )),
    }
}

#[async_trait::async_trait]
impl SinkTask for ElasticsearchSinkTask {
    async fn start(
        &mut self,
        config: &ConfigMap,
        context: SinkTaskContext,
    ) -> Result<(), ConnectorError> {
        let cfg = Arc::new(EsConfig::parse(config)?);
        let client = Arc::new(
            EsClient::new(&cfg)
                .map_err(|e| ConnectorError::config(super::config::CONNECTION_URL, e))?,
        );
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            progress: Notify::new(),
        });
        let name = format!("{}-{}", context.connector, context.task);
        let dispatcher = tokio::spawn(dispatcher(Arc::new(Dispatch {
            shared: shared.clone(),
            client: client.clone(),
            cfg: cfg.clone(),
            name: name.clone(),
            reporter: context.reporter,
        })));
        self.running = Some(Running {
            cfg,
            client,
            shared,
            dispatcher,
            resources: HashSet::new(),
            name,
            memory: Default::default(),
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectorError> {
        let run = self
            .running
            .as_mut()
            .ok_or_else(|| fatal("ElasticsearchSinkTask was not started"))?;
        run.check_failed()?;
        for record in records {
            let action = match convert::convert(&run.cfg, record) {
                Ok(Converted::Action(a)) => a,
                Ok(Converted::Skip(why)) => {
                    tracing::debug!(connector = %run.name, "skipping record {}-{} offset {}: {why}", record.topic, record.kafka_partition.unwrap_or(0), record.kafka_offset.unwrap_or(0));
                    continue;
                }
                Err(e) if run.cfg.drop_invalid_message => {
                    tracing::error!(connector = %run.name, "Can't convert record from topic {} partition {} offset {}, dropping it (drop.invalid.message=true): {e}", record.topic, record.kafka_partition.unwrap_or(0), record.kafka_offset.unwrap_or(0));
                    continue;
                }
                Err(e) => {
                    return Err(ConnectorError::Data(format!(
                        "Failed to convert record from topic {} partition {} offset {} to an Elasticsearch request: {e}",
                        record.topic,
                        record.kafka_partition.unwrap_or(0),
                        record.kafka_offset.unwrap_or(0)
                    )))
                }
            };
            run.ensure_resource(&action.index, record).await?;
            run.wait_for_space().await?;
            run.enqueue(action, record).await?;
        }
        Ok(())
    }

    async fn flush(
        &mut self,
        _offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<(), ConnectorError> {
        match &self.running {
            Some(run) => run.flush_all().await,
            None => Ok(()),
        }
    }

    async fn pre_commit(
        &mut self,
        offsets: BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, ConnectorError> {
        let Some(run) = &self.running else {
            return Ok(BTreeMap::new());
        };
        run.check_failed()?;
        let renamed = {
            let st = run.shared.state.lock();
            st.unacked.keys().any(|tp| !offsets.contains_key(tp))
        };
        if run.cfg.flush_synchronously || renamed {
            run.flush_all().await?;
            return Ok(offsets);
        }
        // Let anything lingering go out now.
        run.shared.wake.notify_one();
        let st = run.shared.state.lock();
        Ok(offsets
            .into_iter()
            .map(|(tp, o)| {
                let safe = st
                    .unacked
                    .get(&tp)
                    .and_then(|m| m.keys().next().copied())
                    .map_or(o, |lowest| lowest.min(o));
                (tp, safe)
            })
            .collect())
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        if let Some(run) = self.running.take() {
            run.shared.state.lock().closed = true;
            run.shared.wake.notify_one();
            run.dispatcher.abort();
            let st = run.shared.state.lock();
            tracing::info!(connector = %run.name, bulks = st.bulks_sent, documents = st.docs_done, unacknowledged = st.buffered, "Elasticsearch sink task stopped");
        }
        Ok(())
    }
}

#[cfg(test)]
impl ElasticsearchSinkTask {
    /// (bulks sent, documents acknowledged, records buffered).
    pub(crate) fn counters(&self) -> (u64, u64, usize) {
        self.running.as_ref().map_or((0, 0, 0), |r| {
            let st = r.shared.state.lock();
            (st.bulks_sent, st.docs_done, st.buffered)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::elasticsearch::convert::OpKind;

    fn pending(id: &str, offset: i64) -> Pending {
        Pending {
            key: Some(("i".into(), id.into())),
            action: Action {
                kind: OpKind::Index,
                index: "i".into(),
                id: Some(id.into()),
                version: Some(offset),
                retry_on_conflict: None,
                source: None,
            },
            origin: None,
            bytes: Bytes::from_static(b"{}\n{}\n"),
            tp: TopicPartition::new("t", 0),
            offset,
            queued: Instant::now() - Duration::from_secs(1),
            _held: Default::default(),
        }
    }

    #[test]
    fn batches_skip_documents_in_flight_and_keep_their_order() {
        let cfg = EsConfig::parse(&ConfigMap::from_iter([
            ("connection.url".to_string(), "http://x:9200".to_string()),
            ("batch.size".to_string(), "3".to_string()),
            ("max.buffered.records".to_string(), "100".to_string()),
        ]))
        .unwrap();
        let mut st = State::default();
        for (i, id) in ["a", "b", "a", "c", "d", "e"].iter().enumerate() {
            let p = pending(id, i as i64);
            st.queue_bytes += p.bytes.len();
            st.queue.push_back(p);
        }
        st.inflight_keys.insert(("i".into(), "a".into()), 1);
        let ids = |b: &[Pending]| b.iter().map(|p| p.offset).collect::<Vec<_>>();
        // Both writes of "a" wait; b, c, d go.
        let b1 = take_batch(&mut st, &cfg).unwrap();
        assert_eq!(ids(&b1), vec![1, 3, 4]);
        assert_eq!(
            st.queue.iter().map(|p| p.offset).collect::<Vec<_>>(),
            vec![0, 2, 5]
        );
        // "a" is still in flight: only e can go.
        let b2 = take_batch(&mut st, &cfg).unwrap();
        assert_eq!(ids(&b2), vec![5]);
        assert!(take_batch(&mut st, &cfg).is_err());
        // Once "a" is done, its two writes go, in order.
        st.inflight_keys.remove(&("i".to_string(), "a".to_string()));
        st.inflight_batches = 0;
        assert_eq!(ids(&take_batch(&mut st, &cfg).unwrap()), vec![0, 2]);
        assert!(st.queue.is_empty());
        assert_eq!(st.queue_bytes, 0);
    }
}
