//! The classic consumer-group coordinator (Join/Sync/Heartbeat/LeaveGroup, offsets, group admin APIs)
//! as Kafka 3.9 answers them: membership in memory with one lock per group, JoinGroup/SyncGroup long
//! polls parked on oneshots, a sweeper firing deadlines, offsets in the MetaStore flushed before acks.

mod admin;
// group.rs is the group state machine; the name mirrors Kafka's GroupMetadata / group concept.
#[allow(clippy::module_inception)]
mod group;
mod member;
mod membership;
mod offsets;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use sluice_storage::MetaStore;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant, MissedTickBehavior};

use group::{Group, GroupState};

/// How often deadlines (session, rebalance, sync) are checked: their precision.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);
/// An Empty group nobody uses is forgotten after this long (its committed offsets stay in the store
/// and keep it visible as an Empty "consumer" group).
const IDLE_GROUP_RETENTION: Duration = Duration::from_secs(600);

/// Topic existence and size, as the broker's metadata knows them.
pub trait TopicLookup: Send + Sync + 'static {
    /// Number of partitions of a topic, None if it does not exist.
    fn partition_count(&self, topic: &str) -> Option<i32>;
}

/// Group coordinator settings (Kafka broker config names in the field docs).
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// `group.initial.rebalance.delay.ms`: how long a new group gathers members before its first
    /// rebalance completes (extended by this much per late joiner, up to the rebalance timeout).
    pub initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms`
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`
    pub max_session_timeout_ms: i32,
    /// `group.max.size`: members per group (also bounds outstanding MEMBER_ID_REQUIRED ids).
    pub max_group_size: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            initial_rebalance_delay_ms: 3000,
            min_session_timeout_ms: 6000,
            max_session_timeout_ms: 1_800_000,
            max_group_size: 1000,
        }
    }
}

/// The coordinator for every classic group on this broker.
pub struct GroupCoordinator {
    meta: Arc<MetaStore>,
    topics: Arc<dyn TopicLookup>,
    cfg: GroupConfig,
    groups: Mutex<HashMap<String, Arc<Mutex<Group>>>>,
    sweeper: Mutex<Option<JoinHandle<()>>>,
    sweeper_started: AtomicBool,
    shut_down: AtomicBool,
    clock: Clock,
}

/// Where "now" comes from: tokio's clock, or in tests a hand-advanced clock with no sweeper task
/// (the tests fire deadlines themselves, deterministically).
enum Clock {
    Tokio,
    #[cfg(test)]
    Manual(Mutex<Instant>),
}

impl GroupCoordinator {
    pub fn new(meta: Arc<MetaStore>, topics: Arc<dyn TopicLookup>, cfg: GroupConfig) -> Arc<Self> {
        let c = Self::with_clock(meta, topics, cfg, Clock::Tokio);
        c.ensure_sweeper();
        c
    }

    fn with_clock(
        meta: Arc<MetaStore>,
        topics: Arc<dyn TopicLookup>,
        cfg: GroupConfig,
        clock: Clock,
    ) -> Arc<Self> {
        Arc::new(GroupCoordinator {
            meta,
            topics,
            cfg,
            groups: Mutex::new(HashMap::new()),
            sweeper: Mutex::new(None),
            sweeper_started: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
            clock,
        })
    }

    /// A coordinator on a manual clock: nothing expires until `advance_clock` says time passed.
    #[cfg(test)]
    fn new_manual(
        meta: Arc<MetaStore>,
        topics: Arc<dyn TopicLookup>,
        cfg: GroupConfig,
    ) -> Arc<Self> {
        Self::with_clock(meta, topics, cfg, Clock::Manual(Mutex::new(Instant::now())))
    }

    /// Moves the manual clock on and fires whatever fell due, as the sweeper would.
    #[cfg(test)]
    fn advance_clock(&self, by: Duration) {
        if let Clock::Manual(t) = &self.clock {
            *t.lock() += by;
        }
        self.sweep(self.now());
    }

    fn now(&self) -> Instant {
        match &self.clock {
            Clock::Tokio => Instant::now(),
            #[cfg(test)]
            Clock::Manual(t) => *t.lock(),
        }
    }

    /// Starts the deadline sweeper once a tokio runtime is available (at construction, or at the
    /// first request when constructed outside one).
    fn ensure_sweeper(self: &Arc<Self>) {
        if self.sweeper_started.load(Ordering::Acquire) || self.is_shut_down() {
            return;
        }
        #[cfg(test)]
        if matches!(self.clock, Clock::Manual(_)) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut slot = self.sweeper.lock();
        if slot.is_some() || self.is_shut_down() {
            return;
        }
        let weak = Arc::downgrade(self);
        *slot = Some(handle.spawn(sweep_loop(weak)));
        self.sweeper_started.store(true, Ordering::Release);
    }

    fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    fn initial_delay(&self) -> Duration {
        Duration::from_millis(self.cfg.initial_rebalance_delay_ms)
    }

    fn get_group(&self, id: &str) -> Option<Arc<Mutex<Group>>> {
        self.groups.lock().get(id).cloned()
    }

    fn get_or_create_group(&self, id: &str) -> Arc<Mutex<Group>> {
        let delay = self.initial_delay();
        self.groups
            .lock()
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(Mutex::new(Group::new(id.to_string(), delay, self.now()))))
            .clone()
    }

    /// Fires due deadlines in every group and forgets long-idle empty groups.
    fn sweep(&self, now: Instant) {
        let groups: Vec<(String, Arc<Mutex<Group>>)> = self
            .groups
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut idle = Vec::new();
        for (id, g) in groups {
            let mut g = g.lock();
            g.tick(now);
            if g.idle_for(now, IDLE_GROUP_RETENTION) {
                idle.push(id);
            }
        }
        if idle.is_empty() {
            return;
        }
        let mut map = self.groups.lock();
        for id in idle {
            let forget = match map.get(&id) {
                Some(g) => {
                    let mut g = g.lock();
                    let forget = g.idle_for(now, IDLE_GROUP_RETENTION);
                    if forget {
                        g.state = GroupState::Dead;
                    }
                    forget
                }
                None => false,
            };
            if forget {
                map.remove(&id);
            }
        }
    }

    /// Called when a topic is deleted: drop its committed offsets from every group.
    pub fn on_topic_deleted(&self, topic: &str) {
        if let Err(e) = self.meta.delete_topic_offsets(topic) {
            tracing::error!(topic, error = %e, "could not delete the committed offsets of a deleted topic");
        }
    }

    /// Stop timers; called at shutdown. Parked JoinGroup/SyncGroup requests are answered with
    /// COORDINATOR_NOT_AVAILABLE so clients look for the coordinator again.
    pub fn shutdown(&self) {
        self.shut_down.store(true, Ordering::Release);
        if let Some(h) = self.sweeper.lock().take() {
            h.abort();
        }
        let groups: Vec<Arc<Mutex<Group>>> = self.groups.lock().values().cloned().collect();
        let error = kafka_protocol::error::ResponseError::CoordinatorNotAvailable.code();
        for g in groups {
            g.lock().fail_all_waiters(error);
        }
    }
}

impl Drop for GroupCoordinator {
    fn drop(&mut self) {
        if let Some(h) = self.sweeper.get_mut().take() {
            h.abort();
        }
    }
}

async fn sweep_loop(coordinator: Weak<GroupCoordinator>) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(c) = coordinator.upgrade() else {
            break;
        };
        if c.is_shut_down() {
            break;
        }
        c.sweep(c.now());
    }
}

fn sb(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn sb_owned(s: String) -> StrBytes {
    StrBytes::from_string(s)
}
