//! The source task loop (WorkerSourceTask): poll → transformation chain → key/value/header
//! converters → produce (acks=all). Source offsets of records Kafka acknowledged (and of records
//! dropped on purpose) are committed every offset.flush.interval.ms and when the task stops.
//!
//! As with Kafka's producer, batches are written while the loop polls and converts the next
//! ones: up to [`MAX_IN_FLIGHT`] batches, each written on a thread of the blocking pool. Each
//! batch appends only after the one before it has appended (so they reach the log in order)
//! and syncs while the next one appends (one fdatasync for both: group commit). A batch's
//! offsets become committable once it is acknowledged, in order.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::Value as Json;
use tokio::sync::oneshot;

use super::convert::Converters;
use super::errors::{
    backoff, ErrorHandler, Failure, Origin, Stage, CONFIG_EXCEPTION, DATA_EXCEPTION,
};
use super::{now_ms, Shared, TaskContext, TaskControl, TaskId};
use crate::config::client_overrides::{record_size_upper_bound, ProducerSettings};
use crate::config::topic_creation::TopicCreation;
use crate::connectors::{SourceRecord, SourceTask, SourceTaskContext};
use crate::kafka::{Durable, KafkaError, ProduceRecord};
use crate::runtime::metrics::TaskMetrics;
use crate::runtime::offset_store::{canonical, JsonObject, StoreOffsetReader};
use crate::runtime::status::{trace, State};
use crate::transforms::TransformChain;

const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";
/// Batches written at once: one appending while the one before it syncs.
const MAX_IN_FLIGHT: usize = 2;
const RECORD_TOO_LARGE: &str = "org.apache.kafka.common.errors.RecordTooLargeException";

struct Runner {
    ctx: TaskContext,
    converters: Converters,
    chain: TransformChain,
    errors: ErrorHandler,
    /// Writes batches (with `producer.override.*` and `topic.creation.*`).
    producer: Producer,
    /// Batches being written while the next one is polled and converted, oldest first.
    inflight: VecDeque<InFlight>,
    /// Resolves once the newest batch in flight has appended (Err: it failed).
    last_appended: Option<oneshot::Receiver<()>>,
    /// Topics already checked (or created) for topic creation.
    checked_topics: HashSet<String>,
    /// Offsets acknowledged but not yet committed, by canonical partition.
    pending: BTreeMap<String, (JsonObject, JsonObject)>,
    last_commit: Instant,
    state: State,
}

pub(crate) async fn run(ctx: TaskContext, mut task: Box<dyn SourceTask>) -> Result<(), String> {
    let converters = Converters::build(&ctx.shared.config, &ctx.spec.connector)
        .map_err(|m| trace(CONFIG_EXCEPTION, &m, None))?;
    let chain = ctx.build_chain()?;
    let errors = ErrorHandler::new(
        ctx.spec.connector.errors.clone(),
        ctx.id.clone(),
        ctx.shared.kafka.clone(),
    )
    .with_metrics(ctx.metrics.clone());
    let task_context = SourceTaskContext {
        connector: ctx.id.connector.clone(),
        task: ctx.id.task,
        offsets: Arc::new(StoreOffsetReader {
            store: ctx.shared.offsets.clone(),
            connector: ctx.id.connector.clone(),
        }),
        kafka: Some(ctx.shared.kafka.clone()),
    };
    task.start(&ctx.spec.config, task_context)
        .await
        .map_err(|e| trace(e.java_class(), &e.to_string(), None))?;
    let originals = &ctx.spec.connector.originals;
    let producer = ProducerSettings::from_connector(originals);
    let topic_creation =
        TopicCreation::from_connector(originals, ctx.shared.config.topic_creation_enable)
            .map_err(|m| trace(CONFIG_EXCEPTION, &m, None))?;
    let producer = Producer {
        settings: Arc::new(producer),
        topic_creation: topic_creation.map(Arc::new),
        metrics: ctx.metrics.clone(),
        control: ctx.control.clone(),
        retry_delay_max_ms: errors.retry_delay_max_ms(),
        shared: ctx.shared.clone(),
        id: ctx.id.clone(),
        known_topics: Default::default(),
    };
    let mut runner = Runner {
        ctx,
        converters,
        chain,
        errors,
        producer,
        inflight: VecDeque::new(),
        last_appended: None,
        checked_topics: HashSet::new(),
        pending: BTreeMap::new(),
        last_commit: Instant::now(),
        state: State::Unassigned,
    };
    let mut result = runner.run_loop(task.as_mut()).await;
    // Also after a failure: batches already handed over are awaited and their offsets
    // committed (as Kafka does: those records are fine, only later ones are missing).
    let finished = runner.finish_all(task.as_mut()).await;
    if result.is_ok() {
        result = finished;
    }
    runner.commit(task.as_mut()).await;
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %runner.ctx.id, "error stopping source task: {e}");
    }
    result
}

impl Runner {
    fn flush_interval(&self) -> Duration {
        Duration::from_millis(self.ctx.shared.config.offset_flush_interval_ms)
    }

    async fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.ctx.set_status(state).await;
        }
    }

    async fn run_loop(&mut self, task: &mut dyn SourceTask) -> Result<(), String> {
        let mut poll_failures = 0u32;
        loop {
            match self.ctx.control() {
                TaskControl::Stop => return Ok(()),
                TaskControl::Pause => {
                    self.finish_all(task).await?;
                    self.set_state(State::Paused).await;
                    let wait = self
                        .flush_interval()
                        .saturating_sub(self.last_commit.elapsed());
                    self.ctx
                        .wait_control(wait.max(Duration::from_millis(10)))
                        .await;
                    self.maybe_commit(task).await;
                    continue;
                }
                TaskControl::Run => self.set_state(State::Running).await,
            }
            match task.poll().await {
                Ok(records) => {
                    poll_failures = 0;
                    self.ctx.metrics.polled(records.len());
                    if records.is_empty() {
                        // Idle: let the last batch's offsets reach the next commit.
                        self.finish_all(task).await?;
                    } else {
                        self.send(task, records).await?;
                    }
                }
                Err(e) if e.is_retriable() => {
                    self.ctx.metrics.error(Stage::TaskPoll);
                    tracing::warn!(task = %self.ctx.id, "failed to poll records from the source task; will retry: {e}");
                    tokio::time::sleep(self.errors.backoff(poll_failures)).await;
                    poll_failures += 1;
                }
                Err(e) => {
                    self.ctx.metrics.error(Stage::TaskPoll);
                    return Err(trace(e.java_class(), &e.to_string(), None));
                }
            }
            self.maybe_commit(task).await;
        }
    }

    async fn maybe_commit(&mut self, task: &mut dyn SourceTask) {
        if self.last_commit.elapsed() >= self.flush_interval() {
            self.commit(task).await;
        }
    }

    /// Writes the acknowledged offsets, then tells the task (SourceTask.commit).
    async fn commit(&mut self, task: &mut dyn SourceTask) {
        self.last_commit = Instant::now();
        if self.pending.is_empty() {
            self.ctx.metrics.committed();
            return;
        }
        let entries: Vec<(JsonObject, Option<JsonObject>)> = self
            .pending
            .values()
            .map(|(p, o)| (p.clone(), Some(o.clone())))
            .collect();
        match self
            .ctx
            .shared
            .offsets
            .write(&self.ctx.id.connector, entries)
            .await
        {
            Ok(()) => {
                self.ctx.metrics.committed();
                self.pending.clear();
                if let Err(e) = task.commit().await {
                    tracing::warn!(task = %self.ctx.id, "source task commit hook failed: {e}");
                }
            }
            Err(e) => {
                self.ctx.metrics.commit_failed();
                tracing::error!(task = %self.ctx.id, "failed to commit source offsets: {e}")
            }
        }
    }

    /// Transforms and converts one record; None when it is dropped (by a transform or a
    /// tolerated error).
    async fn prepare(
        &self,
        record: &SourceRecord,
    ) -> Result<Option<(String, ProduceRecord)>, String> {
        // Without transforms the record is converted in place (no copy per record).
        let owned;
        let transformed: &SourceRecord = if self.chain.is_empty() {
            record
        } else {
            match self.chain.apply(record.clone()) {
                Ok(Some(r)) => {
                    owned = r;
                    &owned
                }
                Ok(None) => return Ok(None),
                Err((alias, e)) => {
                    let f = Failure {
                        stage: Stage::Transformation,
                        class: self.chain.class_of(&alias).unwrap_or(&alias).to_string(),
                        error_class: DATA_EXCEPTION,
                        message: e.to_string(),
                    };
                    self.errors.handle(f, Origin::Source(record)).await?;
                    return Ok(None);
                }
            }
        };
        let topic = transformed.topic.clone();
        let c = &self.converters;
        let key =
            match c
                .key
                .from_connect(&topic, transformed.key_schema.as_ref(), &transformed.key)
            {
                Ok(k) => k,
                Err(e) => {
                    return self
                        .tolerate(Stage::KeyConverter, &c.key_class, e.to_string(), record)
                        .await
                }
            };
        let value = match c.value.from_connect(
            &topic,
            transformed.value_schema.as_ref(),
            &transformed.value,
        ) {
            Ok(v) => v,
            Err(e) => {
                return self
                    .tolerate(Stage::ValueConverter, &c.value_class, e.to_string(), record)
                    .await
            }
        };
        let mut headers = Vec::with_capacity(transformed.headers.len());
        for h in &transformed.headers {
            match c
                .header
                .from_connect_header(&topic, &h.key, h.schema.as_ref(), &h.value)
            {
                Ok(b) => headers.push((h.key.clone(), b.map(Bytes::from))),
                Err(e) => {
                    return self
                        .tolerate(
                            Stage::HeaderConverter,
                            &c.header_class,
                            e.to_string(),
                            record,
                        )
                        .await
                }
            }
        }
        Ok(Some((
            topic,
            ProduceRecord {
                partition: transformed.kafka_partition,
                key: key.map(Bytes::from),
                value: value.map(Bytes::from),
                headers,
                timestamp: transformed.timestamp,
            },
        )))
    }

    /// The producer's max.request.size check (RecordTooLargeException): a record over it is
    /// skipped with errors.tolerance=all and fails the task otherwise, as in Kafka.
    async fn fits(
        &self,
        topic: &str,
        pr: &ProduceRecord,
        record: &SourceRecord,
    ) -> Result<bool, String> {
        let size = record_size_upper_bound(pr.key.as_deref(), pr.value.as_deref(), &pr.headers);
        let max = self.producer.settings.max_request_size;
        if size <= max {
            return Ok(true);
        }
        let message = format!(
            "The message is {size} bytes when serialized which is larger than {max}, which is the value of the max.request.size configuration. \
             Set producer.override.max.request.size on the connector (and max.message.bytes on topic {topic}) to send records this large."
        );
        let f = Failure {
            stage: Stage::KafkaProduce,
            class: "org.apache.kafka.clients.producer.KafkaProducer".to_string(),
            error_class: RECORD_TOO_LARGE,
            message: message.clone(),
        };
        match self.errors.handle(f, Origin::Source(record)).await {
            Ok(()) => Ok(false),
            Err(_) => Err(trace(
                CONNECT_EXCEPTION,
                "Unrecoverable exception from producer send callback",
                Some((RECORD_TOO_LARGE, &message)),
            )),
        }
    }

    async fn tolerate<T>(
        &self,
        stage: Stage,
        class: &str,
        message: String,
        record: &SourceRecord,
    ) -> Result<Option<T>, String> {
        let f = Failure {
            stage,
            class: class.to_string(),
            error_class: DATA_EXCEPTION,
            message,
        };
        self.errors.handle(f, Origin::Source(record)).await?;
        Ok(None)
    }

    /// Converts a polled batch and hands it to the producer, once fewer than
    /// [`MAX_IN_FLIGHT`] batches are being written.
    async fn send(
        &mut self,
        task: &mut dyn SourceTask,
        records: Vec<SourceRecord>,
    ) -> Result<(), String> {
        let mut by_topic: BTreeMap<String, Vec<(usize, ProduceRecord)>> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            if let Some((topic, pr)) = self.prepare(r).await? {
                if self.fits(&topic, &pr, r).await? {
                    by_topic.entry(topic).or_default().push((i, pr));
                }
            }
        }
        for topic in by_topic.keys() {
            self.maybe_create_topic(topic).await?;
        }
        while self.inflight.len() >= MAX_IN_FLIGHT {
            self.finish_oldest(task).await?;
        }
        let producer = self.producer.clone();
        let n = records.len();
        let previous = self.last_appended.take();
        let (appended, next) = oneshot::channel();
        self.last_appended = Some(next);
        // On a blocking-pool thread: a task spawned here would sit in this worker's LIFO slot,
        // which other workers cannot steal, and only run once this loop waits.
        let rt = tokio::runtime::Handle::current();
        let write = tokio::task::spawn_blocking(move || {
            rt.block_on(async move {
                if let Some(previous) = previous {
                    if previous.await.is_err() {
                        // The batch before failed (and fails the task): keep the order.
                        return Err(trace(
                            CONNECT_EXCEPTION,
                            "the previous batch could not be written",
                            None,
                        ));
                    }
                }
                let mut written: Vec<Option<(i32, i64)>> = vec![None; n];
                let mut durable = Vec::with_capacity(by_topic.len());
                for (topic, batch) in by_topic {
                    let (indexes, batch): (Vec<usize>, Vec<ProduceRecord>) =
                        batch.into_iter().unzip();
                    let (acks, d) = producer.produce(&topic, batch).await?;
                    for (i, ack) in indexes.into_iter().zip(acks) {
                        written[i] = Some(ack);
                    }
                    durable.push((topic, d));
                }
                // The next batch appends while this one syncs.
                let _ = appended.send(());
                for (topic, d) in durable {
                    if let Err(e) = d.await {
                        producer.metrics.error(Stage::KafkaProduce);
                        return Err(trace(
                            CONNECT_EXCEPTION,
                            "Unrecoverable exception from producer send callback",
                            Some((
                                "org.apache.kafka.common.KafkaException",
                                &format!("writing to {topic} failed: {e}"),
                            )),
                        ));
                    }
                    // As Kafka's send callback does (recordActiveTopic).
                    producer.record_active_topic(&topic).await;
                }
                producer
                    .metrics
                    .written(written.iter().filter(|w| w.is_some()).count());
                Ok(written)
            })
        });
        self.inflight.push_back(InFlight { records, write });
        Ok(())
    }

    /// Waits for every batch in flight.
    async fn finish_all(&mut self, task: &mut dyn SourceTask) -> Result<(), String> {
        while !self.inflight.is_empty() {
            self.finish_oldest(task).await?;
        }
        Ok(())
    }

    /// Waits for the oldest batch in flight: its records' offsets become pending for the next
    /// commit.
    async fn finish_oldest(&mut self, task: &mut dyn SourceTask) -> Result<(), String> {
        let Some(InFlight { records, write }) = self.inflight.pop_front() else {
            return Ok(());
        };
        let written = match write.await {
            Ok(res) => res?,
            Err(e) => {
                return Err(trace(
                    CONNECT_EXCEPTION,
                    &format!("the producer of task {} stopped: {e}", self.ctx.id),
                    None,
                ))
            }
        };
        for (i, (r, w)) in records.iter().zip(written).enumerate() {
            if let (Some(p), Some(o)) = (&r.source_partition, &r.source_offset) {
                // Only the newest offset of a partition is committed: within a run of records
                // from one source partition only the last one is kept.
                let superseded = records.get(i + 1).is_some_and(|n| {
                    n.source_offset.is_some() && n.source_partition.as_ref() == Some(p)
                });
                if !superseded {
                    self.pending
                        .insert(canonical(&Json::Object(p.clone())), (p.clone(), o.clone()));
                }
            }
            if let Err(e) = task.commit_record(r, w) {
                tracing::warn!(task = %self.ctx.id, "source task commit_record failed: {e}");
            }
        }
        Ok(())
    }

    /// Creates a missing topic with its topic.creation group's settings before the first write
    /// to it (AbstractWorkerSourceTask.maybeCreateTopic); a failure fails the task.
    async fn maybe_create_topic(&mut self, topic: &str) -> Result<(), String> {
        let Some(tc) = &self.producer.topic_creation else {
            return Ok(());
        };
        if self.checked_topics.contains(topic) {
            return Ok(());
        }
        let kafka = self.ctx.shared.kafka.clone();
        match kafka.partition_count(topic).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let g = tc.group_for(topic);
                match kafka
                    .create_topic(topic, g.partitions, g.replication_factor, &g.configs)
                    .await
                {
                    Ok(_) => tracing::info!(task = %self.ctx.id, "Created topic '{topic}' using creation group {} (partitions {}, replication factor {}, configs {:?})", g.name, g.partitions, g.replication_factor, g.configs),
                    Err(e) => {
                        return Err(trace(
                            CONNECT_EXCEPTION,
                            &format!(
                                "Task failed to create new topic {topic} with the settings of topic creation group '{}': {e}. Fix topic.creation.{}.* (e.g. a replication factor above the number of brokers) or create the topic, then restart the task.",
                                g.name, g.name
                            ),
                            None,
                        ))
                    }
                }
            }
            Err(e) => {
                tracing::warn!(task = %self.ctx.id, "could not check whether topic {topic} exists: {e}");
                return Ok(());
            }
        }
        self.checked_topics.insert(topic.to_string());
        Ok(())
    }
}

/// A batch handed to the producer, with the records it came from.
struct InFlight {
    records: Vec<SourceRecord>,
    write: tokio::task::JoinHandle<Result<Written, String>>,
}

/// What the producer wrote: (partition, offset) per polled record (None: dropped).
type Written = Vec<Option<(i32, i64)>>;

/// Writes a task's batches; cheap to clone into the task that writes a batch.
#[derive(Clone)]
struct Producer {
    /// `producer.override.*` (compression.type, max.request.size, ...).
    settings: Arc<ProducerSettings>,
    /// `topic.creation.*` groups, when the connector uses them.
    topic_creation: Option<Arc<TopicCreation>>,
    metrics: Arc<TaskMetrics>,
    control: tokio::sync::watch::Receiver<TaskControl>,
    retry_delay_max_ms: i64,
    shared: Arc<Shared>,
    id: TaskId,
    /// Topics already recorded as active (topic.tracking.enable).
    known_topics: Arc<Mutex<HashSet<String>>>,
}

impl Producer {
    /// Records a topic the task wrote to, once (topic.tracking.enable).
    async fn record_active_topic(&self, topic: &str) {
        if !self.shared.config.topic_tracking_enable
            || !self.known_topics.lock().insert(topic.to_string())
        {
            return;
        }
        self.shared
            .statuses
            .put_topic(&self.id.connector, topic, self.id.task, now_ms())
            .await;
    }

    /// Produces one topic's records; retriable errors are retried until the task is stopped,
    /// a missing topic is created (with its topic.creation group's settings, else the broker's).
    async fn produce(
        &self,
        topic: &str,
        batch: Vec<ProduceRecord>,
    ) -> Result<(Vec<(i32, i64)>, Durable), String> {
        let kafka = &self.shared.kafka;
        let mut attempt = 0u32;
        let mut created = false;
        loop {
            match kafka
                .produce_appended(topic, batch.clone(), &self.settings)
                .await
            {
                Ok(appended) => return Ok(appended),
                Err(KafkaError::UnknownTopic(_)) if !created => {
                    created = true;
                    // Without topic.creation (or for a topic deleted since): the broker's
                    // defaults, as its auto-creation would give.
                    let made = match self.topic_creation.as_ref().map(|tc| tc.group_for(topic)) {
                        Some(g) => {
                            kafka
                                .create_topic(topic, g.partitions, g.replication_factor, &g.configs)
                                .await
                        }
                        None => kafka.ensure_topic(topic, -1, &[]).await,
                    };
                    if let Err(e) = made {
                        tracing::warn!(task = %self.id, "could not create topic {topic}: {e}");
                    }
                }
                Err(KafkaError::Retriable(m)) | Err(KafkaError::UnknownTopic(m)) => {
                    self.metrics.error(Stage::KafkaProduce);
                    if *self.control.borrow() == TaskControl::Stop {
                        return Err(trace(
                            CONNECT_EXCEPTION,
                            &format!("Task stopped while producing to {topic}: {m}"),
                            None,
                        ));
                    }
                    tracing::warn!(task = %self.id, "retrying produce to {topic}: {m}");
                    tokio::time::sleep(backoff(self.retry_delay_max_ms, attempt)).await;
                    attempt += 1;
                }
                Err(KafkaError::Fatal(m)) => {
                    self.metrics.error(Stage::KafkaProduce);
                    return Err(trace(
                        CONNECT_EXCEPTION,
                        "Unrecoverable exception from producer send callback",
                        Some(("org.apache.kafka.common.KafkaException", &m)),
                    ));
                }
            }
        }
    }
}
