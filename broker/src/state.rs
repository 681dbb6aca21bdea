//! The broker's shared state: topics and their partition logs, the metadata store, the group
//! coordinator and the append notifier that wakes long-polling fetches. Handlers in `api/` use
//! this; the Connect runtime will use the same functions in-process.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use sluice_storage::config::{topic_config_def, validate_value, TOPIC_CONFIGS};
use sluice_storage::page_cache;
use sluice_storage::{LogConfig, MetaStore, PartitionLog, StorageError, TopicRecord};
use tokio::sync::watch;

use crate::config::BrokerConfig;
use crate::group::{GroupConfig, GroupCoordinator, TopicLookup};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    #[error("Topic '{0}' already exists.")]
    Exists(String),
    #[error("Topic '{0}' does not exist.")]
    Unknown(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidPartitions(String),
    #[error("{0}")]
    InvalidReplicationFactor(String),
    #[error("{0}")]
    InvalidConfig(String),
    #[error("Topic deletion is disabled (delete.topic.enable=false).")]
    DeletionDisabled,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub struct Partition {
    pub topic: String,
    pub topic_id: uuid::Uuid,
    pub index: i32,
    pub log: Mutex<PartitionLog>,
    /// Serializes fdatasync calls; callers arriving during a sync share the next one. Holds
    /// how far the active segment has been dropped from the page cache.
    sync_lock: tokio::sync::Mutex<Dropped>,
    /// `sluice.log.drop.behind.bytes`: synced data further behind the log end than this leaves
    /// the page cache (0: never).
    pub(crate) drop_behind: u64,
    /// Everything below this offset is known to be on disk.
    synced_offset: AtomicI64,
    /// Records appended since the last sync (for flush.messages).
    unsynced_records: AtomicI64,
    last_sync_ms: AtomicI64,
}

/// How much of the active segment (by base offset) has left the page cache.
#[derive(Debug, Default)]
struct Dropped {
    base: Option<i64>,
    upto: u64,
}

impl Dropped {
    /// Where dropping resumes in the segment with this base offset.
    fn from(&self, base: i64) -> u64 {
        if self.base == Some(base) {
            self.upto
        } else {
            0
        }
    }
}

fn drop_quietly(file: &std::fs::File, start: u64, len: u64) {
    if let Err(e) = page_cache::drop_range(file, start, len) {
        tracing::debug!(error = %e, "dropping synced log data from the page cache failed");
    }
}

impl Partition {
    fn new(
        topic: &str,
        topic_id: uuid::Uuid,
        index: i32,
        log: PartitionLog,
        drop_behind: u64,
    ) -> Partition {
        let end = log.next_offset();
        Partition {
            topic: topic.to_string(),
            topic_id,
            index,
            log: Mutex::new(log),
            sync_lock: tokio::sync::Mutex::new(Dropped::default()),
            drop_behind,
            synced_offset: AtomicI64::new(end),
            unsynced_records: AtomicI64::new(0),
            last_sync_ms: AtomicI64::new(now_ms()),
        }
    }

    /// Waits until every record below `offset` is on disk. Concurrent callers share one
    /// fdatasync (group commit): whoever holds the lock syncs everything written so far.
    pub async fn sync_to(&self, offset: i64) -> Result<(), StorageError> {
        if self.synced_offset.load(Ordering::Acquire) >= offset {
            return Ok(());
        }
        let mut dropped = self.sync_lock.lock().await;
        if self.synced_offset.load(Ordering::Acquire) >= offset {
            return Ok(());
        }
        // Segments rolled since the last sync are synced first, then the active one.
        let (rolled, active) = {
            let mut log = self.log.lock();
            (log.take_rolled_files(), log.active_file())
        };
        let Some(active) = active else {
            return Ok(());
        };
        let upto = active.next_offset;
        let path = std::path::PathBuf::from(format!("{}-{}", self.topic, self.index));
        let pending = rolled.clone();
        let keep = self.drop_behind;
        let base = active.base_offset;
        let from = dropped.from(base);
        let res = tokio::task::spawn_blocking(move || -> std::io::Result<Option<u64>> {
            for f in &rolled {
                f.sync_data()?;
            }
            active.file.sync_data()?;
            if keep == 0 {
                return Ok(None);
            }
            // Synced, so clean: what lies behind the window leaves the page cache.
            for f in &rolled {
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                drop_quietly(f, 0, len);
            }
            Ok(
                page_cache::behind_window(from, active.size, keep).map(|(start, end)| {
                    drop_quietly(&active.file, start, end - start);
                    end
                }),
            )
        })
        .await;
        let failed = match res {
            Ok(Ok(done)) => {
                if let Some(upto) = done {
                    *dropped = Dropped {
                        base: Some(base),
                        upto,
                    };
                }
                None
            }
            Ok(Err(source)) => Some(source),
            Err(join) => Some(std::io::Error::other(join.to_string())),
        };
        if let Some(source) = failed {
            // Keep the rolled segments pending so the next sync covers them again.
            self.log.lock().restore_rolled_files(pending);
            return Err(StorageError::Io { path, source });
        }
        self.synced_offset.fetch_max(upto, Ordering::AcqRel);
        self.unsynced_records.store(0, Ordering::Release);
        self.last_sync_ms.store(now_ms(), Ordering::Release);
        Ok(())
    }

    /// Counts appended records for flush.messages; returns true when a sync is due.
    pub fn note_appended(&self, records: i64, flush_messages: i64) -> bool {
        let n = self.unsynced_records.fetch_add(records, Ordering::AcqRel) + records;
        n >= flush_messages
    }

    /// For the background sync: how long ago the last sync was, when records below `end`
    /// are not yet on disk (None: everything is synced).
    pub fn unsynced_for(&self, end: i64) -> Option<i64> {
        (self.synced_offset.load(Ordering::Acquire) < end)
            .then(|| now_ms() - self.last_sync_ms.load(Ordering::Acquire))
    }
}

pub struct Topic {
    pub name: String,
    pub id: uuid::Uuid,
    pub partitions: Vec<Arc<Partition>>,
    /// Topic-level overrides only.
    pub configs: BTreeMap<String, String>,
    /// Traffic counters, carried over when the topic value is replaced.
    pub metrics: Arc<crate::metrics::TopicMetrics>,
}

impl Topic {
    /// The partition with this index, None when out of range (or negative).
    pub fn partition(&self, index: i32) -> Option<Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.get(i).cloned())
    }

    pub fn is_internal(&self) -> bool {
        self.name.starts_with("__")
    }
}

pub struct Broker {
    pub config: BrokerConfig,
    pub cluster_id: String,
    pub meta: Arc<MetaStore>,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    ids: RwLock<HashMap<uuid::Uuid, String>>,
    groups: parking_lot::Mutex<Option<Arc<GroupCoordinator>>>,
    data_tx: watch::Sender<u64>,
    admin: tokio::sync::Mutex<()>,
    pub started: Instant,
    /// Request counters and latencies (per-topic counters live on each `Topic`).
    pub metrics: crate::metrics::BrokerMetrics,
    /// The request memory pool (`queued.max.request.bytes`): bytes of requests read and not yet
    /// answered; None when unbounded.
    pub request_pool: Option<Arc<tokio::sync::Semaphore>>,
}

/// Kafka's topic name rule: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
pub fn validate_topic_name(name: &str) -> Result<(), TopicError> {
    if name.is_empty() {
        return Err(TopicError::InvalidName(
            "Topic name is illegal, it can't be empty".into(),
        ));
    }
    if name == "." || name == ".." {
        return Err(TopicError::InvalidName(
            "Topic name cannot be \".\" or \"..\"".into(),
        ));
    }
    if name.len() > 249 {
        return Err(TopicError::InvalidName(format!(
            "Topic name is illegal, it can't be longer than 249 characters, topic name: {name}"
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Err(TopicError::InvalidName(format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        )));
    }
    Ok(())
}

struct Lookup(std::sync::Weak<Broker>);
impl TopicLookup for Lookup {
    fn partition_count(&self, topic: &str) -> Option<i32> {
        self.0
            .upgrade()?
            .topic(topic)
            .map(|t| t.partitions.len() as i32)
    }
}

impl Broker {
    /// Opens the data directory: metadata store, then every topic's partition logs.
    pub fn open(config: BrokerConfig) -> Result<Arc<Broker>, StorageError> {
        let dir = config.log_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| StorageError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let meta = Arc::new(MetaStore::open(
            &dir.join("__metadata"),
            config.metadata_cache_bytes,
        )?);
        let cluster_id = meta.cluster_id(config.cluster_id.as_deref())?;
        if let Some(want) = &config.cluster_id {
            if want != &cluster_id {
                tracing::warn!(configured = %want, stored = %cluster_id, "cluster.id differs from the id stored in the data directory; keeping the stored id");
            }
        }
        let (data_tx, _) = watch::channel(0u64);
        let request_pool = config
            .queued_max_request_bytes
            .map(|n| Arc::new(tokio::sync::Semaphore::new(n.min(u32::MAX as usize))));
        let broker = Arc::new(Broker {
            request_pool,
            config,
            cluster_id,
            meta: meta.clone(),
            topics: RwLock::new(BTreeMap::new()),
            ids: RwLock::new(HashMap::new()),
            groups: parking_lot::Mutex::new(None),
            data_tx,
            admin: tokio::sync::Mutex::new(()),
            started: Instant::now(),
            metrics: crate::metrics::BrokerMetrics::default(),
        });
        for rec in meta.topics()? {
            let topic = broker.open_topic(&rec)?;
            broker.ids.write().insert(rec.id, rec.name.clone());
            broker
                .topics
                .write()
                .insert(rec.name.clone(), Arc::new(topic));
        }
        let gc = GroupCoordinator::new(
            meta,
            Arc::new(Lookup(Arc::downgrade(&broker))),
            GroupConfig {
                initial_rebalance_delay_ms: broker.config.group_initial_rebalance_delay_ms,
                min_session_timeout_ms: broker.config.group_min_session_timeout_ms,
                max_session_timeout_ms: broker.config.group_max_session_timeout_ms,
                max_group_size: broker.config.group_max_size,
            },
        );
        *broker.groups.lock() = Some(gc);
        Ok(broker)
    }

    pub fn groups(&self) -> Arc<GroupCoordinator> {
        // Set once in open(); a missing coordinator is a programming error caught by tests.
        self.groups
            .lock()
            .clone()
            .expect("group coordinator initialised in Broker::open")
    }

    fn partition_dir(&self, topic: &str, p: i32) -> PathBuf {
        self.config.log_dir.join(format!("{topic}-{p}"))
    }

    /// Every topic config's effective value: override, broker default, or Kafka's default.
    pub fn effective_topic_configs(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        TOPIC_CONFIGS
            .iter()
            .map(|d| {
                let v = overrides
                    .get(d.name)
                    .cloned()
                    .or_else(|| self.dynamic_broker_default(d.name))
                    .or_else(|| self.config.topic_default(d.name))
                    .unwrap_or_else(|| d.default.to_string());
                (d.name.to_string(), v)
            })
            .collect()
    }

    fn dynamic_broker_default(&self, topic_key: &str) -> Option<String> {
        let syn = topic_config_def(topic_key)?.broker_synonym?;
        self.meta.broker_configs().ok()?.get(syn).cloned()
    }

    pub fn log_config(&self, overrides: &BTreeMap<String, String>) -> LogConfig {
        LogConfig::from_effective(&self.effective_topic_configs(overrides))
    }

    fn open_topic(&self, rec: &TopicRecord) -> Result<Topic, StorageError> {
        let cfg = self.log_config(&rec.configs);
        let mut partitions = Vec::with_capacity(rec.partitions as usize);
        for p in 0..rec.partitions as i32 {
            partitions.push(Arc::new(self.open_partition(rec, p, cfg.clone())?));
        }
        Ok(Topic {
            name: rec.name.clone(),
            id: rec.id,
            partitions,
            configs: rec.configs.clone(),
            metrics: Default::default(),
        })
    }

    fn open_partition(
        &self,
        rec: &TopicRecord,
        p: i32,
        cfg: LogConfig,
    ) -> Result<Partition, StorageError> {
        let start = self.meta.log_start_offset(&rec.id, p)?;
        let snap = self.meta.producer_snapshot(&rec.id, p)?;
        let log = PartitionLog::open(
            &self.partition_dir(&rec.name, p),
            cfg,
            start,
            snap,
            now_ms(),
        )?;
        Ok(Partition::new(
            &rec.name,
            rec.id,
            p,
            log,
            self.config.log_drop_behind_bytes,
        ))
    }

    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.read().get(name).cloned()
    }

    pub fn topic_by_id(&self, id: &uuid::Uuid) -> Option<Arc<Topic>> {
        let name = self.ids.read().get(id).cloned()?;
        self.topic(&name)
    }

    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.topics.read().values().cloned().collect()
    }

    pub fn partition(&self, topic: &str, p: i32) -> Option<Arc<Partition>> {
        self.topic(topic)?.partition(p)
    }

    pub fn validate_topic_configs(
        &self,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), TopicError> {
        for (k, v) in configs {
            let def = topic_config_def(k).ok_or_else(|| {
                TopicError::InvalidConfig(format!("Unknown topic config name: {k}"))
            })?;
            validate_value(def, v).map_err(TopicError::InvalidConfig)?;
        }
        Ok(())
    }

    /// Creates a topic. `partitions`/`rf` of -1 take the broker defaults.
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        rf: i16,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<Arc<Topic>, TopicError> {
        validate_topic_name(name)?;
        let partitions = if partitions == -1 {
            self.config.num_partitions
        } else {
            partitions
        };
        if partitions <= 0 {
            return Err(TopicError::InvalidPartitions(
                "Number of partitions must be larger than 0.".into(),
            ));
        }
        if partitions > 100_000 {
            return Err(TopicError::InvalidPartitions(format!(
                "Number of partitions {partitions} is too large (at most 100000)."
            )));
        }
        if rf != -1 && rf != 1 {
            if rf <= 0 {
                return Err(TopicError::InvalidReplicationFactor(
                    "Replication factor must be larger than 0.".into(),
                ));
            }
            return Err(TopicError::InvalidReplicationFactor(format!(
                "Unable to replicate the partition {rf} time(s): The target replication factor of {rf} cannot be reached because only 1 broker(s) are registered."
            )));
        }
        self.validate_topic_configs(&configs)?;
        let _g = self.admin.lock().await;
        if let Some(t) = self.topic(name) {
            if validate_only {
                return Err(TopicError::Exists(name.into()));
            }
            let _ = t;
            return Err(TopicError::Exists(name.into()));
        }
        let rec = TopicRecord {
            name: name.to_string(),
            id: uuid::Uuid::new_v4(),
            partitions: partitions as u32,
            configs,
        };
        if validate_only {
            return Ok(Arc::new(Topic {
                name: rec.name,
                id: rec.id,
                partitions: vec![],
                configs: rec.configs,
                metrics: Default::default(),
            }));
        }
        let topic = Arc::new(self.open_topic(&rec)?);
        self.meta.put_topic(&rec)?;
        self.ids.write().insert(rec.id, rec.name.clone());
        self.topics.write().insert(rec.name.clone(), topic.clone());
        tracing::info!(topic = name, partitions, id = %rec.id, "created topic");
        Ok(topic)
    }

    /// Auto-creation on metadata or produce, when auto.create.topics.enable allows it.
    pub async fn auto_create(&self, name: &str) -> Option<Arc<Topic>> {
        if !self.config.auto_create_topics || validate_topic_name(name).is_err() {
            return None;
        }
        match self
            .create_topic(name, -1, -1, BTreeMap::new(), false)
            .await
        {
            Ok(t) => Some(t),
            Err(TopicError::Exists(_)) => self.topic(name),
            Err(e) => {
                tracing::warn!(topic = name, error = %e, "auto-creating topic failed");
                None
            }
        }
    }

    pub async fn delete_topic(&self, name: &str) -> Result<uuid::Uuid, TopicError> {
        if !self.config.delete_topic_enable {
            return Err(TopicError::DeletionDisabled);
        }
        let _g = self.admin.lock().await;
        let topic = self
            .topic(name)
            .ok_or_else(|| TopicError::Unknown(name.into()))?;
        self.meta.delete_topic(name, topic.id)?;
        self.topics.write().remove(name);
        self.ids.write().remove(&topic.id);
        self.meta.delete_topic_offsets(name)?;
        self.groups().on_topic_deleted(name);
        for p in &topic.partitions {
            p.log.lock().delete_all()?;
        }
        tracing::info!(topic = name, "deleted topic");
        Ok(topic.id)
    }

    pub async fn create_partitions(
        &self,
        name: &str,
        count: i32,
        validate_only: bool,
    ) -> Result<(), TopicError> {
        let _g = self.admin.lock().await;
        let topic = self
            .topic(name)
            .ok_or_else(|| TopicError::Unknown(name.into()))?;
        let current = topic.partitions.len() as i32;
        if count <= current {
            return Err(TopicError::InvalidPartitions(format!(
                "Topic currently has {current} partitions, which is higher than the requested {count}."
            )));
        }
        if count > 100_000 {
            return Err(TopicError::InvalidPartitions(format!(
                "Number of partitions {count} is too large (at most 100000)."
            )));
        }
        if validate_only {
            return Ok(());
        }
        let rec = TopicRecord {
            name: name.into(),
            id: topic.id,
            partitions: count as u32,
            configs: topic.configs.clone(),
        };
        let cfg = self.log_config(&topic.configs);
        let mut partitions = topic.partitions.clone();
        for p in current..count {
            partitions.push(Arc::new(self.open_partition(&rec, p, cfg.clone())?));
        }
        self.meta.put_topic(&rec)?;
        let t = Arc::new(Topic {
            name: name.into(),
            id: topic.id,
            partitions,
            configs: topic.configs.clone(),
            metrics: topic.metrics.clone(),
        });
        self.topics.write().insert(name.into(), t);
        Ok(())
    }

    /// Replaces a topic's overrides (already validated) and applies them to its logs.
    pub async fn set_topic_configs(
        &self,
        name: &str,
        configs: BTreeMap<String, String>,
    ) -> Result<(), TopicError> {
        let _g = self.admin.lock().await;
        let topic = self
            .topic(name)
            .ok_or_else(|| TopicError::Unknown(name.into()))?;
        let rec = TopicRecord {
            name: name.into(),
            id: topic.id,
            partitions: topic.partitions.len() as u32,
            configs: configs.clone(),
        };
        self.meta.put_topic(&rec)?;
        let cfg = self.log_config(&configs);
        for p in &topic.partitions {
            p.log.lock().set_config(cfg.clone());
        }
        let t = Arc::new(Topic {
            name: name.into(),
            id: topic.id,
            partitions: topic.partitions.clone(),
            configs,
            metrics: topic.metrics.clone(),
        });
        self.topics.write().insert(name.into(), t);
        Ok(())
    }

    /// Re-applies effective configs to every log (after a dynamic broker default changed).
    pub fn refresh_log_configs(&self) {
        for t in self.topics() {
            let cfg = self.log_config(&t.configs);
            for p in &t.partitions {
                p.log.lock().set_config(cfg.clone());
            }
        }
    }

    /// Wakes long-polling fetches after an append.
    pub fn notify_append(&self) {
        self.data_tx.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn subscribe_appends(&self) -> watch::Receiver<u64> {
        self.data_tx.subscribe()
    }

    /// Persists producer-state snapshots after segment rolls.
    pub fn after_append(&self, p: &Partition, log: &mut PartitionLog) {
        if log.take_rolled() {
            let upto = log.next_offset();
            // Flushed at once: compaction may remove the batches this snapshot replaces, so
            // a crash must not fall back to an older snapshot.
            let stored = self
                .meta
                .put_producer_snapshot(&p.topic_id, p.index, upto, log.producers())
                .and_then(|_| self.meta.flush());
            if let Err(e) = stored {
                tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "could not store producer state snapshot");
            }
            // retention.bytes is also applied at each roll, so disk stays near the limit between
            // the periodic checks even under a fast producer.
            if log.config().retention_bytes >= 0 {
                let before = log.log_start_offset();
                match log.apply_retention(now_ms()) {
                    Ok(n) if n > 0 && log.log_start_offset() != before => {
                        let _ = self.meta.set_log_start_offset(
                            &p.topic_id,
                            p.index,
                            log.log_start_offset(),
                        );
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "retention at roll failed")
                    }
                }
            }
        }
    }

    /// Applies retention to every partition (called every log.retention.check.interval.ms).
    pub fn apply_retention(&self) {
        let now = now_ms();
        for t in self.topics() {
            for p in &t.partitions {
                let mut log = p.log.lock();
                let before = log.log_start_offset();
                match log.apply_retention(now) {
                    Ok(n) if n > 0 => {
                        tracing::info!(topic = %p.topic, partition = p.index, segments = n, log_start_offset = log.log_start_offset(), "retention deleted segments");
                        if log.log_start_offset() != before {
                            let _ = self.meta.set_log_start_offset(
                                &p.topic_id,
                                p.index,
                                log.log_start_offset(),
                            );
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "retention failed")
                    }
                }
            }
        }
    }

    /// Background sync: syncs segments rolled since the last sync, and partitions whose
    /// unsynced data is older than flush.ms or `sluice.log.sync.interval.ms`, whichever is
    /// shorter.
    pub async fn flush_due(&self) {
        for t in self.topics() {
            for p in &t.partitions {
                let (flush_ms, rolled_pending, end) = {
                    let log = p.log.lock();
                    (
                        log.config().flush_ms,
                        log.has_rolled_files(),
                        log.next_offset(),
                    )
                };
                let every = self
                    .config
                    .log_sync_interval_ms
                    .map_or(flush_ms, |n| n.min(flush_ms));
                let due = rolled_pending || p.unsynced_for(end).is_some_and(|age| age >= every);
                if due {
                    if let Err(e) = p.sync_to(end).await {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "background sync failed");
                    }
                }
            }
        }
    }

    /// Whether an acks=all append to a log with this config is answered only after its
    /// fdatasync (`sluice.log.sync.on.ack`, unless the topic sets flush.messages / flush.ms).
    pub fn syncs_on_ack(&self, cfg: &LogConfig) -> bool {
        self.config.log_sync_on_ack && !cfg.interval_flush()
    }

    /// One log-cleaner pass over every compacted partition. The heavy work runs on a blocking
    /// thread without the partition lock; only the final swap takes it.
    pub async fn compact_once(&self) {
        // A HashMap entry costs about 48 bytes with its overhead.
        let max_entries = (self.config.cleaner_dedupe_buffer_bytes / 48).max(1024) as usize;
        for t in self.topics() {
            for p in &t.partitions {
                let Some(plan) = p.log.lock().compaction_plan(now_ms(), max_entries) else {
                    continue;
                };
                let res =
                    tokio::task::spawn_blocking(move || sluice_storage::compaction::run(&plan))
                        .await;
                let cleaned = match res {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "compaction failed");
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "compaction task failed");
                        continue;
                    }
                };
                let installed = p.log.lock().install_compacted(cleaned);
                match installed {
                    Ok(s) => tracing::info!(
                        topic = %p.topic, partition = p.index, segments = s.segments,
                        records_before = s.records_before, records_after = s.records_after,
                        bytes_before = s.bytes_before, bytes_after = s.bytes_after, "compacted"
                    ),
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "installing compacted segments failed")
                    }
                }
            }
        }
    }

    /// Flushes logs and metadata; called at shutdown.
    pub fn shutdown(&self) {
        self.groups().shutdown();
        for t in self.topics() {
            for p in &t.partitions {
                let mut log = p.log.lock();
                if let Err(e) = log.sync() {
                    tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "sync at shutdown failed");
                }
                let upto = log.next_offset();
                let _ =
                    self.meta
                        .put_producer_snapshot(&p.topic_id, p.index, upto, log.producers());
            }
        }
        if let Err(e) = self.meta.flush() {
            tracing::warn!(error = %e, "metadata flush at shutdown failed");
        }
    }
}
