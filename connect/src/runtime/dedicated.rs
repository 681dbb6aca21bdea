//! A future on an OS thread of its own (a current-thread tokio runtime).
//!
//! A CDC connector's reader and the Connect worker that drains its queue hand records to each
//! other through a channel. On the shared runtime each wake-up puts the other task in the
//! waking worker's LIFO slot, which other workers cannot steal, so the two mostly ran one after
//! the other on one core. On a thread of its own the reader decodes the next events while the
//! worker converts and writes the previous ones (Debezium's binlog client has its own thread
//! too).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// A running dedicated task. Dropping it detaches the task (it runs until its future ends);
/// [`DedicatedTask::abort`] drops the future at its next await point.
pub struct DedicatedTask {
    finished: Arc<AtomicBool>,
    cancel: Arc<Notify>,
}

impl DedicatedTask {
    /// Starts `fut` on a new thread named `name`.
    pub fn spawn<F>(name: &str, fut: F) -> std::io::Result<DedicatedTask>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let finished = Arc::new(AtomicBool::new(false));
        let cancel = Arc::new(Notify::new());
        let (done, stop) = (finished.clone(), cancel.clone());
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                rt.block_on(async move {
                    tokio::select! {
                        _ = fut => {}
                        _ = stop.notified() => {}
                    }
                });
                // Tasks the future spawned end with the runtime.
                drop(rt);
                done.store(true, Ordering::Release);
            })?;
        Ok(DedicatedTask { finished, cancel })
    }

    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Cancels the future: it is dropped at its next await point.
    pub fn abort(&self) {
        // notify_one keeps a permit, so a future not yet waiting still sees it.
        self.cancel.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn wait_finished(t: &DedicatedTask) -> bool {
        for _ in 0..200 {
            if t.is_finished() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn runs_on_its_own_thread_until_the_future_ends() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let t = DedicatedTask::spawn("dedicated-test", async move {
            let name = std::thread::current().name().map(str::to_string);
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = tx.send(name);
        })
        .unwrap();
        assert_eq!(rx.await.unwrap().as_deref(), Some("dedicated-test"));
        assert!(wait_finished(&t).await);
    }

    #[tokio::test]
    async fn abort_drops_a_pending_future() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let t = DedicatedTask::spawn("dedicated-abort", async move {
            std::future::pending::<()>().await;
            drop(tx);
        })
        .unwrap();
        assert!(!t.is_finished());
        t.abort();
        assert!(wait_finished(&t).await);
        // The future was dropped, and with it the sender.
        assert!(rx.await.is_err());
    }
}
