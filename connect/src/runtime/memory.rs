//! The Connect side of the appliance's memory budget (`--memory-budget-mb`): one pool of bytes
//! shared by every task's buffers (a source connector's record queue, a sink's write buffer).
//! A buffer reserves bytes before it holds data and gives them back when the data leaves it; a
//! full pool makes the next reservation wait, so a burst slows the producer of data down
//! (back-pressure) instead of growing the process.
//!
//! One reservation never takes more than a quarter of the pool, so a single oversized record
//! cannot starve everything else, and the pool is never deadlocked by one large request. Each
//! task reserves through its own [`TaskPool`], which holds at most a quarter of the pool at a
//! time: a sink stalled on a slow Elasticsearch keeps at most that much, and the other
//! pipelines go on with the rest.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use sluice_broker::metrics::expo::{Exposition, Kind};

/// The pool when the binary sets none (unit tests, library use): 64 MiB, the Connect share of
/// the default 128 MB budget.
pub const DEFAULT_POOL_BYTES: usize = 64 << 20;

/// Smallest pool: below this a single ordinary record batch could not be buffered.
pub const MIN_POOL_BYTES: usize = 1 << 20;

pub struct MemoryPool {
    sem: Arc<Semaphore>,
    total: usize,
}

/// Bytes held in the pool (and in the task's share of it) until this is dropped.
#[derive(Debug, Default)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    task: Option<OwnedSemaphorePermit>,
}

fn merge_permit(into: &mut Option<OwnedSemaphorePermit>, other: Option<OwnedSemaphorePermit>) {
    match (into.as_mut(), other) {
        (Some(p), Some(o)) => p.merge(o),
        (None, o) => *into = o,
        (_, None) => {}
    }
}

impl Reservation {
    pub fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits())
    }

    /// Adds `other`'s bytes to this reservation (both are released together).
    pub fn merge(&mut self, mut other: Reservation) {
        merge_permit(&mut self.permit, other.permit.take());
        merge_permit(&mut self.task, other.task.take());
    }
}

/// One task's way into the pool: at most a quarter of it held at a time.
pub struct TaskPool {
    pool: &'static MemoryPool,
    share: Arc<Semaphore>,
}

impl TaskPool {
    /// A share of the process-wide pool.
    pub fn new() -> TaskPool {
        TaskPool::of(pool())
    }

    pub fn of(pool: &'static MemoryPool) -> TaskPool {
        TaskPool {
            pool,
            share: Arc::new(Semaphore::new(pool.total / 4)),
        }
    }

    pub fn pool(&self) -> &'static MemoryPool {
        self.pool
    }

    /// Waits until `bytes` (clamped to a quarter of the pool) fit in the task's share and in
    /// the pool, and holds them.
    pub async fn reserve(&self, bytes: usize) -> Reservation {
        let n = self.pool.clamp(bytes);
        let task = self.share.clone().acquire_many_owned(n).await.ok();
        let mut r = self.pool.reserve(bytes).await;
        r.task = task;
        r
    }

    /// Holds `bytes` if they fit now.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reservation> {
        let n = self.pool.clamp(bytes);
        let task = self.share.clone().try_acquire_many_owned(n).ok()?;
        let mut r = self.pool.try_reserve(bytes)?;
        r.task = Some(task);
        Some(r)
    }
}

impl Default for TaskPool {
    fn default() -> Self {
        TaskPool::new()
    }
}

impl MemoryPool {
    pub fn new(total_bytes: usize) -> MemoryPool {
        // Permits are counted in u32 by acquire_many; 4 GiB is far beyond any sensible budget.
        let total = total_bytes.clamp(MIN_POOL_BYTES, u32::MAX as usize);
        MemoryPool {
            sem: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub fn used(&self) -> usize {
        self.total.saturating_sub(self.sem.available_permits())
    }

    /// What one reservation of `bytes` takes: at least 1, at most a quarter of the pool.
    fn clamp(&self, bytes: usize) -> u32 {
        bytes.clamp(1, self.total / 4) as u32
    }

    /// Waits until `bytes` (clamped, see the module docs) are free and holds them.
    pub async fn reserve(&self, bytes: usize) -> Reservation {
        let n = self.clamp(bytes);
        match self.sem.clone().acquire_many_owned(n).await {
            Ok(p) => Reservation {
                permit: Some(p),
                task: None,
            },
            // The semaphore is never closed; an unbounded reservation is the safe answer.
            Err(_) => Reservation::default(),
        }
    }

    /// Holds `bytes` if they are free now.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reservation> {
        let n = self.clamp(bytes);
        self.sem
            .clone()
            .try_acquire_many_owned(n)
            .ok()
            .map(|p| Reservation {
                permit: Some(p),
                task: None,
            })
    }

    fn render(&self, e: &mut Exposition) {
        e.family(
            "sluice_connect_memory_pool_bytes",
            Kind::Gauge,
            "The Connect share of the memory budget: bytes that task buffers (source queues, sink write buffers) may hold together.",
        );
        e.sample_int("sluice_connect_memory_pool_bytes", &[], self.total as i64);
        e.family(
            "sluice_connect_memory_pool_used_bytes",
            Kind::Gauge,
            "Bytes task buffers hold now; at the pool size, new data waits (back-pressure).",
        );
        e.sample_int(
            "sluice_connect_memory_pool_used_bytes",
            &[],
            self.used() as i64,
        );
    }
}

static POOL: OnceLock<MemoryPool> = OnceLock::new();

/// Sets the process-wide pool; the first call wins (later calls return false). Call before any
/// task starts.
pub fn configure(total_bytes: usize) -> bool {
    POOL.set(MemoryPool::new(total_bytes)).is_ok()
}

/// The process-wide pool ([`DEFAULT_POOL_BYTES`] unless [`configure`]d).
pub fn pool() -> &'static MemoryPool {
    POOL.get_or_init(|| MemoryPool::new(DEFAULT_POOL_BYTES))
}

/// Publishes the pool's size and use on /metrics (called when the runtime starts).
pub fn register_metrics() {
    crate::runtime::metrics::global().add_collector("memory-pool", |e| pool().render(e));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn reservations_wait_for_released_bytes() {
        let pool = Arc::new(MemoryPool::new(MIN_POOL_BYTES));
        let quarter = MIN_POOL_BYTES / 4;
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(pool.reserve(quarter).await);
        }
        assert_eq!(pool.used(), MIN_POOL_BYTES);
        assert!(pool.try_reserve(1).is_none());
        let p = pool.clone();
        let waiter = tokio::spawn(async move { p.reserve(100).await.bytes() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "a full pool must make the reservation wait"
        );
        held.pop();
        assert_eq!(waiter.await.unwrap(), 100);
        drop(held);
        assert_eq!(pool.used(), 0);
    }

    #[tokio::test]
    async fn one_reservation_takes_at_most_a_quarter() {
        let pool = MemoryPool::new(4 << 20);
        let r = pool.reserve(100 << 20).await;
        assert_eq!(r.bytes(), 1 << 20);
        let mut r2 = pool.try_reserve(0).unwrap();
        assert_eq!(r2.bytes(), 1);
        r2.merge(r);
        assert_eq!(r2.bytes(), (1 << 20) + 1);
        assert_eq!(pool.used(), (1 << 20) + 1);
        drop(r2);
        assert_eq!(pool.used(), 0);
    }

    #[tokio::test]
    async fn a_task_holds_at_most_a_quarter_of_the_pool() {
        let pool: &'static MemoryPool = Box::leak(Box::new(MemoryPool::new(4 << 20)));
        let a = TaskPool::of(pool);
        let b = TaskPool::of(pool);
        let held = a.reserve(1 << 20).await;
        assert!(a.try_reserve(1).is_none(), "task a's share is used up");
        let other = b.try_reserve(1 << 20).expect("task b still has room");
        assert_eq!(pool.used(), 2 << 20);
        drop(held);
        assert!(a.try_reserve(1).is_some());
        drop(other);
    }

    #[test]
    fn pool_is_at_least_the_minimum() {
        assert_eq!(MemoryPool::new(10).total(), MIN_POOL_BYTES);
    }
}
