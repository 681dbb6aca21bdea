//! The sink task loop (WorkerSinkTask): this task's share of the partitions of `topics` /
//! `topics.regex` (rediscovered periodically) is read from the group `connect-<name>`'s committed
//! offsets, converted, transformed and put; offsets are committed after pre_commit/flush.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::convert::Converters;
use super::errors::{
    ErrorHandler, Failure, Origin, Stage, WorkerErrantRecordReporter, CONFIG_EXCEPTION,
    DATA_EXCEPTION,
};
use super::{now_ms, TaskContext, TaskControl};
use crate::connectors::{SinkRecord, SinkTask, SinkTaskContext, TopicPartition};
use crate::data::{ConnectRecord, Header, KafkaOrigin};
use crate::kafka::group::{GroupMember, MemberConfig};
use crate::kafka::{ConsumedRecord, KafkaAccess, KafkaError};
use crate::runtime::status::{trace, State};
use crate::runtime::topics::java_full_match_regex;
use crate::transforms::TransformChain;

const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);
const FETCH_WAIT: Duration = Duration::from_millis(500);
/// max.partition.fetch.bytes' default.
const MAX_FETCH_BYTES: usize = 1 << 20;

struct Runner {
    ctx: TaskContext,
    converters: Converters,
    chain: TransformChain,
    errors: Arc<ErrorHandler>,
    group: String,
    reset_latest: bool,
    /// consumer.override.max.poll.records (500): records per put at most.
    max_poll_records: usize,
    /// consumer.override.max.partition.fetch.bytes (1 MiB): bytes per partition per fetch.
    max_fetch_bytes: usize,
    regex: Option<fancy_regex::Regex>,
    /// This task as a member of the group (None: the Kafka access takes no part in groups, and
    /// partitions are dealt out round-robin over the tasks).
    member: Option<Arc<dyn GroupMember>>,
    /// The topics the member subscribed to at its last join, with their partition counts then
    /// (a topic created or grown since makes the member join again, as the Java consumer does).
    subscribed: Vec<(String, Option<i32>)>,
    /// Assigned partitions → next offset to fetch.
    positions: BTreeMap<TopicPartition, i64>,
    /// Next offset after what was delivered to the task (what may be committed).
    delivered: BTreeMap<TopicPartition, i64>,
    committed: BTreeMap<TopicPartition, i64>,
    tracked_topics: HashSet<String>,
    /// One shared name per consumed topic, for the records' origin.
    topic_names: HashMap<String, Arc<str>>,
    last_commit: Instant,
    last_discovery: Option<Instant>,
    state: State,
}

pub(crate) async fn run(ctx: TaskContext, mut task: Box<dyn SinkTask>) -> Result<(), String> {
    let converters = Converters::build(&ctx.shared.config, &ctx.spec.connector)
        .map_err(|m| trace(CONFIG_EXCEPTION, &m, None))?;
    let chain = ctx.build_chain()?;
    let errors = Arc::new(
        ErrorHandler::new(
            ctx.spec.connector.errors.clone(),
            ctx.id.clone(),
            ctx.shared.kafka.clone(),
        )
        .with_metrics(ctx.metrics.clone()),
    );
    let reporter: Option<Arc<dyn crate::connectors::ErrantRecordReporter>> =
        if errors.reports_errant_records() {
            Some(Arc::new(WorkerErrantRecordReporter {
                errors: errors.clone(),
            }))
        } else {
            None
        };
    let regex = match &ctx.spec.connector.topics_regex {
        Some(r) => Some(java_full_match_regex(r).map_err(|e| trace(CONFIG_EXCEPTION, &e, None))?),
        None => None,
    };
    let overrides = &ctx.spec.connector.originals;
    let group = overrides
        .get("consumer.override.group.id")
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| format!("connect-{}", ctx.id.connector));
    let reset_latest = overrides
        .get("consumer.override.auto.offset.reset")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("latest"));
    let max_poll_records = overrides
        .get("consumer.override.max.poll.records")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(500);
    let int_override = |key: &str, default: i32| -> i32 {
        overrides
            .get(key)
            .and_then(|v| v.trim().parse::<i32>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    let mut member_cfg = MemberConfig::new(
        &group,
        &format!("connector-consumer-{}-{}", ctx.id.connector, ctx.id.task),
    );
    member_cfg.session_timeout_ms = int_override(
        "consumer.override.session.timeout.ms",
        member_cfg.session_timeout_ms,
    );
    member_cfg.rebalance_timeout_ms = int_override(
        "consumer.override.max.poll.interval.ms",
        member_cfg.rebalance_timeout_ms,
    );
    member_cfg.heartbeat_interval_ms = int_override(
        "consumer.override.heartbeat.interval.ms",
        member_cfg.heartbeat_interval_ms as i32,
    ) as u64;
    let member = ctx.shared.kafka.group_member(member_cfg);
    let max_fetch_bytes = overrides
        .get("consumer.override.max.partition.fetch.bytes")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(MAX_FETCH_BYTES);
    task.start(
        &ctx.spec.config,
        SinkTaskContext {
            connector: ctx.id.connector.clone(),
            task: ctx.id.task,
            reporter,
        },
    )
    .await
    .map_err(|e| trace(e.java_class(), &e.to_string(), None))?;
    let mut runner = Runner {
        ctx,
        converters,
        chain,
        errors,
        group,
        reset_latest,
        max_poll_records,
        max_fetch_bytes,
        regex,
        member,
        subscribed: Vec::new(),
        positions: BTreeMap::new(),
        delivered: BTreeMap::new(),
        committed: BTreeMap::new(),
        tracked_topics: HashSet::new(),
        topic_names: HashMap::new(),
        last_commit: Instant::now(),
        last_discovery: None,
        state: State::Unassigned,
    };
    let result = runner.run_loop(task.as_mut()).await;
    if result.is_ok() {
        runner.commit(task.as_mut()).await;
    }
    let all: Vec<TopicPartition> = runner.positions.keys().cloned().collect();
    if let Err(e) = task.close(&all).await {
        tracing::warn!(task = %runner.ctx.id, "error closing sink task partitions: {e}");
    }
    if let Err(e) = task.stop().await {
        tracing::warn!(task = %runner.ctx.id, "error stopping sink task: {e}");
    }
    if let Some(m) = &runner.member {
        m.leave().await;
    }
    result
}

fn unrecoverable(class: &str, message: &str) -> String {
    trace(
        CONNECT_EXCEPTION,
        "Exiting WorkerSinkTask due to unrecoverable exception.",
        Some((class, message)),
    )
}

impl Runner {
    fn kafka(&self) -> Arc<dyn KafkaAccess> {
        self.ctx.shared.kafka.clone()
    }

    async fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.ctx.set_status(state).await;
        }
    }

    async fn run_loop(&mut self, task: &mut dyn SinkTask) -> Result<(), String> {
        let flush = Duration::from_millis(self.ctx.shared.config.offset_flush_interval_ms);
        loop {
            match self.ctx.control() {
                TaskControl::Stop => return Ok(()),
                TaskControl::Pause => {
                    self.set_state(State::Paused).await;
                    self.ctx
                        .wait_control(
                            flush
                                .saturating_sub(self.last_commit.elapsed())
                                .max(Duration::from_millis(10)),
                        )
                        .await;
                }
                TaskControl::Run => {
                    self.set_state(State::Running).await;
                    let rejoin = self.member.as_ref().is_some_and(|m| m.needs_rejoin());
                    if rejoin
                        || !matches!(self.last_discovery, Some(t) if t.elapsed() < DISCOVERY_INTERVAL)
                    {
                        self.rebalance(task).await?;
                    }
                    let records = self.fetch().await?;
                    self.ctx.metrics.polled(records.len());
                    if records.is_empty() && self.positions.is_empty() {
                        self.ctx.wait_control(Duration::from_millis(200)).await;
                    }
                    self.deliver(task, records).await?;
                }
            }
            if self.last_commit.elapsed() >= flush {
                self.commit(task).await;
            }
        }
    }

    /// The partitions this task should own: what the group assigns it (joining again when the
    /// coordinator asks or the subscription changed, after committing what was delivered, as
    /// the eager protocol revokes everything); without a group, every matching partition,
    /// sorted, dealt out round-robin over the connector's tasks.
    async fn wanted(&mut self, task: &mut dyn SinkTask) -> Result<Vec<TopicPartition>, KafkaError> {
        let topics = self.topics().await?;
        if let Some(m) = self.member.clone() {
            let mut seen = Vec::with_capacity(topics.len());
            for t in &topics {
                seen.push((t.clone(), self.kafka().partition_count(t).await?));
            }
            if !m.needs_rejoin() && seen == self.subscribed {
                return Ok(self.positions.keys().cloned().collect());
            }
            self.commit(task).await;
            let assigned = m.join(&topics).await?;
            self.subscribed = seen;
            return Ok(assigned
                .into_iter()
                .map(|(t, p)| TopicPartition::new(t, p))
                .collect());
        }
        let kafka = self.kafka();
        let mut all = Vec::new();
        for t in topics {
            if let Some(n) = kafka.partition_count(&t).await? {
                all.extend((0..n).map(|p| TopicPartition::new(t.clone(), p)));
            }
        }
        all.sort();
        all.dedup();
        let n = self.ctx.spec.task_count.max(1);
        let me = self.ctx.id.task as usize;
        Ok(all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % n == me)
            .map(|(_, tp)| tp)
            .collect())
    }

    /// The subscribed topics: `topics`, or the existing topics `topics.regex` matches, sorted.
    async fn topics(&self) -> Result<Vec<String>, KafkaError> {
        let kafka = self.kafka();
        let mut topics: Vec<String> = match &self.regex {
            Some(re) => kafka
                .list_topics()
                .await?
                .into_iter()
                .filter(|t| t != "__consumer_offsets" && t != "__transaction_state")
                .filter(|t| re.is_match(t).unwrap_or(false))
                .collect(),
            None => self.ctx.spec.connector.topics.clone(),
        };
        topics.sort();
        topics.dedup();
        Ok(topics)
    }

    async fn rebalance(&mut self, task: &mut dyn SinkTask) -> Result<(), String> {
        self.last_discovery = Some(Instant::now());
        let wanted = match self.wanted(task).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(task = %self.ctx.id, "could not list partitions: {e}");
                return Ok(());
            }
        };
        let revoked: Vec<TopicPartition> = self
            .positions
            .keys()
            .filter(|tp| !wanted.contains(tp))
            .cloned()
            .collect();
        if !revoked.is_empty() {
            self.commit(task).await;
            task.close(&revoked)
                .await
                .map_err(|e| unrecoverable(e.java_class(), &e.to_string()))?;
            for tp in &revoked {
                self.positions.remove(tp);
                self.delivered.remove(tp);
            }
        }
        let added: Vec<TopicPartition> = wanted
            .into_iter()
            .filter(|tp| !self.positions.contains_key(tp))
            .collect();
        if added.is_empty() {
            return Ok(());
        }
        let kafka = self.kafka();
        let committed = kafka
            .committed_offsets(&self.group)
            .await
            .unwrap_or_default();
        for tp in &added {
            let position = match committed
                .iter()
                .find(|(t, p, _)| *t == tp.topic && *p == tp.partition)
            {
                Some((_, _, o)) => *o,
                None => self.reset_position(tp).await,
            };
            self.positions.insert(tp.clone(), position);
        }
        tracing::info!(task = %self.ctx.id, "assigned partitions {:?}", added.iter().map(|tp| tp.to_string()).collect::<Vec<_>>());
        task.open(&added)
            .await
            .map_err(|e| unrecoverable(e.java_class(), &e.to_string()))
    }

    /// auto.offset.reset: earliest (Connect's default) or latest.
    async fn reset_position(&self, tp: &TopicPartition) -> i64 {
        let offsets = self.kafka().offsets(&tp.topic).await.unwrap_or_default();
        offsets
            .iter()
            .find(|o| o.partition == tp.partition)
            .map(|o| {
                if self.reset_latest {
                    o.latest
                } else {
                    o.earliest
                }
            })
            .unwrap_or(0)
    }

    /// One pass over the assigned partitions without waiting; when nothing is there, waits for
    /// the first partition that gets data.
    async fn fetch(&mut self) -> Result<Vec<ConsumedRecord>, String> {
        let kafka = self.kafka();
        let parts: Vec<(TopicPartition, i64)> = self
            .positions
            .iter()
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        let requested: BTreeMap<TopicPartition, i64> = parts.iter().cloned().collect();
        let max_bytes = self.max_fetch_bytes;
        let mut out = Vec::new();
        for (tp, offset) in &parts {
            match kafka
                .fetch(
                    &tp.topic,
                    tp.partition,
                    *offset,
                    self.max_fetch_bytes,
                    Duration::ZERO,
                )
                .await
            {
                Ok(recs) => out.extend(recs),
                Err(e) => self.fetch_error(tp, e).await?,
            }
        }
        if out.is_empty() && !parts.is_empty() {
            let mut set = JoinSet::new();
            for (tp, offset) in parts {
                let kafka = kafka.clone();
                set.spawn(async move {
                    let r = kafka
                        .fetch(&tp.topic, tp.partition, offset, max_bytes, FETCH_WAIT)
                        .await;
                    (tp, r)
                });
            }
            while let Some(joined) = set.join_next().await {
                let Ok((tp, r)) = joined else { continue };
                match r {
                    Ok(recs) if !recs.is_empty() => {
                        out.extend(recs);
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => self.fetch_error(&tp, e).await?,
                }
            }
            set.abort_all();
        }
        // Only records at or after the position asked for (a fetch may start at a batch boundary).
        out.retain(|r| {
            let tp = TopicPartition::new(r.topic.clone(), r.partition);
            requested.get(&tp).is_some_and(|start| r.offset >= *start)
        });
        // Positions advance only past what is kept, so the rest is fetched again next time.
        out.truncate(self.max_poll_records);
        for r in &out {
            let tp = TopicPartition::new(r.topic.clone(), r.partition);
            if let Some(p) = self.positions.get_mut(&tp) {
                *p = (*p).max(r.offset + 1);
            }
        }
        Ok(out)
    }

    async fn fetch_error(&mut self, tp: &TopicPartition, e: KafkaError) -> Result<(), String> {
        match e {
            KafkaError::Retriable(m) => {
                tracing::debug!(task = %self.ctx.id, "retriable fetch error on {tp}: {m}");
                Ok(())
            }
            KafkaError::UnknownTopic(_) => {
                self.positions.remove(tp);
                self.last_discovery = None;
                Ok(())
            }
            KafkaError::Fatal(m) => {
                self.ctx.metrics.error(Stage::KafkaConsume);
                let offsets = self.kafka().offsets(&tp.topic).await.unwrap_or_default();
                let pos = self.positions.get(tp).copied().unwrap_or(0);
                match offsets.iter().find(|o| o.partition == tp.partition) {
                    Some(o) if pos < o.earliest || pos > o.latest => {
                        let reset = self.reset_position(tp).await;
                        tracing::warn!(task = %self.ctx.id, "offset {pos} out of range for {tp}; resetting to {reset}");
                        self.positions.insert(tp.clone(), reset);
                        Ok(())
                    }
                    _ => Err(unrecoverable("org.apache.kafka.common.KafkaException", &m)),
                }
            }
        }
    }

    /// Converts one consumed record (KEY_CONVERTER, VALUE_CONVERTER, HEADER_CONVERTER stages)
    /// then runs the chain; None = skipped.
    async fn convert(
        &self,
        r: &ConsumedRecord,
        topic: Arc<str>,
    ) -> Result<Option<SinkRecord>, String> {
        let c = &self.converters;
        let fail = |stage, class: &str, message: String| Failure {
            stage,
            class: class.to_string(),
            error_class: DATA_EXCEPTION,
            message,
        };
        let (key_schema, key) = match c.key.to_connect(&r.topic, r.key.as_deref()) {
            Ok(k) => k,
            Err(e) => {
                self.errors
                    .handle(
                        fail(Stage::KeyConverter, &c.key_class, e.to_string()),
                        Origin::Consumed(r),
                    )
                    .await?;
                return Ok(None);
            }
        };
        let (value_schema, value) = match c.value.to_connect(&r.topic, r.value.as_deref()) {
            Ok(v) => v,
            Err(e) => {
                self.errors
                    .handle(
                        fail(Stage::ValueConverter, &c.value_class, e.to_string()),
                        Origin::Consumed(r),
                    )
                    .await?;
                return Ok(None);
            }
        };
        let mut headers = Vec::with_capacity(r.headers.len());
        for (k, v) in &r.headers {
            match c.header.to_connect_header(&r.topic, k, v.as_deref()) {
                Ok((schema, value)) => headers.push(Header {
                    key: k.clone(),
                    schema,
                    value,
                }),
                Err(e) => {
                    self.errors
                        .handle(
                            fail(Stage::HeaderConverter, &c.header_class, e.to_string()),
                            Origin::Consumed(r),
                        )
                        .await?;
                    return Ok(None);
                }
            }
        }
        let mut record = ConnectRecord::new(r.topic.clone(), key_schema, key, value_schema, value);
        record.kafka_partition = Some(r.partition);
        record.kafka_offset = Some(r.offset);
        record.timestamp = Some(r.timestamp);
        record.headers = headers;
        record.origin = Some(KafkaOrigin {
            topic,
            partition: r.partition,
            offset: r.offset,
        });
        match self.chain.apply(record) {
            Ok(out) => Ok(out),
            Err((alias, e)) => {
                let f = Failure {
                    stage: Stage::Transformation,
                    class: self.chain.class_of(&alias).unwrap_or(&alias).to_string(),
                    error_class: DATA_EXCEPTION,
                    message: e.to_string(),
                };
                self.errors.handle(f, Origin::Consumed(r)).await?;
                Ok(None)
            }
        }
    }

    async fn deliver(
        &mut self,
        task: &mut dyn SinkTask,
        records: Vec<ConsumedRecord>,
    ) -> Result<(), String> {
        if records.is_empty() {
            // Kafka calls put with an empty batch on every poll, so a task can report a failure
            // of its background work (e.g. the Elasticsearch sink's bulk requests) while idle.
            return match task.put(&[]).await {
                Err(e) if !e.is_retriable() => Err(unrecoverable(e.java_class(), &e.to_string())),
                _ => Ok(()),
            };
        }
        let mut batch = Vec::with_capacity(records.len());
        for r in &records {
            let topic = match self.topic_names.get(r.topic.as_str()) {
                Some(t) => t.clone(),
                None => {
                    let t: Arc<str> = Arc::from(r.topic.as_str());
                    self.topic_names.insert(r.topic.clone(), t.clone());
                    t
                }
            };
            if let Some(rec) = self.convert(r, topic).await? {
                batch.push(rec);
            }
            if self.ctx.shared.config.topic_tracking_enable
                && self.tracked_topics.insert(r.topic.clone())
            {
                self.ctx
                    .shared
                    .statuses
                    .put_topic(&self.ctx.id.connector, &r.topic, self.ctx.id.task, now_ms())
                    .await;
            }
        }
        if !batch.is_empty() {
            let mut attempt = 0u32;
            loop {
                match task.put(&batch).await {
                    Ok(()) => {
                        self.ctx.metrics.written(batch.len());
                        break;
                    }
                    Err(e) if e.is_retriable() => {
                        self.ctx.metrics.error(Stage::TaskPut);
                        if self.ctx.control() == TaskControl::Stop {
                            return Ok(());
                        }
                        tracing::warn!(task = %self.ctx.id, "retriable error from put; redelivering the batch: {e}");
                        tokio::time::sleep(self.errors.backoff(attempt)).await;
                        attempt += 1;
                    }
                    Err(e) => {
                        self.ctx.metrics.error(Stage::TaskPut);
                        return Err(unrecoverable(e.java_class(), &e.to_string()));
                    }
                }
            }
        }
        for r in &records {
            let tp = TopicPartition::new(r.topic.clone(), r.partition);
            let next = self.delivered.entry(tp).or_insert(0);
            *next = (*next).max(r.offset + 1);
        }
        Ok(())
    }

    /// pre_commit (flush) then commit what the task says is safe, for assigned partitions.
    async fn commit(&mut self, task: &mut dyn SinkTask) {
        self.last_commit = Instant::now();
        if self.delivered.is_empty() {
            self.ctx.metrics.committed();
            return;
        }
        let offsets = match task.pre_commit(self.delivered.clone()).await {
            Ok(o) => o,
            Err(e) => {
                self.ctx.metrics.commit_failed();
                tracing::error!(task = %self.ctx.id, "commit of offsets threw an unexpected exception: {e}");
                return;
            }
        };
        let to_commit: Vec<(String, i32, i64)> = offsets
            .into_iter()
            .filter(|(tp, o)| self.positions.contains_key(tp) && self.committed.get(tp) != Some(o))
            .map(|(tp, o)| (tp.topic, tp.partition, o))
            .collect();
        if to_commit.is_empty() {
            self.ctx.metrics.committed();
            return;
        }
        match self.kafka().commit_offsets(&self.group, &to_commit).await {
            Ok(()) => {
                self.ctx.metrics.committed();
                for (t, p, o) in to_commit {
                    self.committed.insert(TopicPartition::new(t, p), o);
                }
            }
            Err(e) => {
                self.ctx.metrics.commit_failed();
                tracing::error!(task = %self.ctx.id, "offset commit failed: {e}")
            }
        }
    }
}
