//! Connect metrics for Prometheus (`GET /metrics` on the REST listeners) and readiness
//! (`GET /ready`).
//!
//! Three sources make up a scrape:
//!
//! 1. **Task counters** ([`TaskMetrics`]), one set per running task, updated by the worker loops
//!    with relaxed atomics: records polled and written, errors by stage, the time of the last
//!    successful offset commit. Task and connector states are read from the status store when
//!    scraped.
//! 2. **Connector gauges**, a process-wide registry any connector can publish to, with no
//!    access to the runtime needed:
//!
//!    ```
//!    use std::sync::atomic::Ordering;
//!    use sluice_connect::runtime::metrics;
//!
//!    metrics::describe("sluice_connect_mysql_snapshot_rows_done", "Rows snapshotted so far, per table.");
//!    let done = metrics::gauge(
//!        "sluice_connect_mysql_snapshot_rows_done",
//!        &[("connector", "inventory"), ("table", "inventory.customers")],
//!    );
//!    done.fetch_add(500, Ordering::Relaxed); // or .store(n, ...)
//!    // Keep `done` (an Arc<AtomicI64>) while the series should exist: once every clone is
//!    // dropped, the series disappears from the next scrape.
//!    ```
//!
//!    Calling [`gauge`] again with the same name and labels returns the same atomic. Names are
//!    sanitized to `[a-zA-Z0-9_:]`; use the `sluice_connect_<plugin>_` prefix and put the
//!    connector name in a `connector` label (a task's [`crate::connectors::SourceTaskContext`]
//!    carries it in `connector` and `task`). Planned: the MySQL source's
//!    `sluice_connect_mysql_snapshot_rows_done` / `_rows_total{connector,table}` and
//!    `sluice_connect_mysql_source_lag_ms{connector}` (binlog event time to now).
//! 3. **Collectors** registered by the embedding binary ([`Registry::add_collector`]): the
//!    appliance adds the in-process broker's metrics, so one scrape of port 8083 covers both.
//!
//! Readiness: `/ready` answers 200 once the runtime has replayed its internal topics and started
//! the stored connectors, and no *readiness hold* ([`Registry::hold_ready`]) is pending (the
//! appliance holds readiness while it applies `--connectors-dir`); 503 with a JSON reason
//! otherwise, and while shutting down.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use sluice_broker::metrics::expo::{sanitize_name, Exposition, Kind};

use super::status::State;
use super::worker::errors::Stage;
use super::worker::TaskId;
use super::Shared;

/// Error stages counted per task: the error handler's stages plus failed offset commits.
const ERROR_STAGES: [&str; 9] = [
    "KEY_CONVERTER",
    "VALUE_CONVERTER",
    "HEADER_CONVERTER",
    "TRANSFORMATION",
    "TASK_PUT",
    "TASK_POLL",
    "KAFKA_PRODUCE",
    "KAFKA_CONSUME",
    "OFFSET_COMMIT",
];

fn stage_index(s: Stage) -> usize {
    match s {
        Stage::KeyConverter => 0,
        Stage::ValueConverter => 1,
        Stage::HeaderConverter => 2,
        Stage::Transformation => 3,
        Stage::TaskPut => 4,
        Stage::TaskPoll => 5,
        Stage::KafkaProduce => 6,
        Stage::KafkaConsume => 7,
    }
}

fn now_ms() -> i64 {
    super::worker::now_ms()
}

/// One task's counters.
pub struct TaskMetrics {
    /// "source" or "sink".
    pub kind: &'static str,
    /// Source: records returned by poll(). Sink: records consumed from Kafka.
    pub polled: AtomicU64,
    /// Source: records acknowledged by Kafka. Sink: records handed to put() successfully.
    pub written: AtomicU64,
    errors: [AtomicU64; ERROR_STAGES.len()],
    /// Wall-clock ms of the last successful offset commit (the task's start until the first).
    last_commit_ms: AtomicI64,
}

impl TaskMetrics {
    pub fn new(kind: &'static str) -> TaskMetrics {
        TaskMetrics {
            kind,
            polled: AtomicU64::new(0),
            written: AtomicU64::new(0),
            errors: Default::default(),
            last_commit_ms: AtomicI64::new(now_ms()),
        }
    }

    pub fn polled(&self, n: usize) {
        self.polled.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn written(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn error(&self, stage: Stage) {
        self.errors[stage_index(stage)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn commit_failed(&self) {
        self.errors[ERROR_STAGES.len() - 1].fetch_add(1, Ordering::Relaxed);
    }

    /// An offset commit succeeded (or there was nothing new to commit).
    pub fn committed(&self) {
        self.last_commit_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn errors(&self, stage: &str) -> u64 {
        ERROR_STAGES
            .iter()
            .position(|s| *s == stage)
            .map(|i| self.errors[i].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    pub fn commit_age_ms(&self) -> i64 {
        (now_ms() - self.last_commit_ms.load(Ordering::Relaxed)).max(0)
    }
}

/// The task counters of one runtime (in [`Shared`]).
#[derive(Default)]
pub struct TaskMetricsSet {
    tasks: Mutex<BTreeMap<TaskId, Arc<TaskMetrics>>>,
}

impl TaskMetricsSet {
    /// Fresh counters for a (re)started task.
    pub fn register(&self, id: &TaskId, kind: &'static str) -> Arc<TaskMetrics> {
        let m = Arc::new(TaskMetrics::new(kind));
        self.tasks.lock().insert(id.clone(), m.clone());
        m
    }

    /// Forgets tasks of connectors that no longer exist.
    fn retain_connectors(&self, names: &[String]) {
        self.tasks
            .lock()
            .retain(|id, _| names.contains(&id.connector));
    }

    fn snapshot(&self) -> Vec<(TaskId, Arc<TaskMetrics>)> {
        self.tasks
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

type Labels = Vec<(String, String)>;
type Collector = Arc<dyn Fn(&mut Exposition) + Send + Sync>;

struct Family {
    help: String,
    series: BTreeMap<Labels, Arc<AtomicI64>>,
}

/// Connector gauges, collectors and readiness holds. [`global`] is the process-wide one.
#[derive(Default)]
pub struct Registry {
    gauges: Mutex<BTreeMap<String, Family>>,
    collectors: Mutex<Vec<(String, Collector)>>,
    holds: Mutex<BTreeMap<String, String>>,
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::default);

/// The process-wide registry.
pub fn global() -> &'static Registry {
    &GLOBAL
}

/// A gauge in the global registry (see the module docs).
pub fn gauge(name: &str, labels: &[(&str, &str)]) -> Arc<AtomicI64> {
    global().gauge(name, labels)
}

/// Sets the HELP text of a global gauge family.
pub fn describe(name: &str, help: &str) {
    global().describe(name, help)
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The gauge `name{labels}`, created at 0 on first use. The series lives while any clone of
    /// the returned Arc does.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Arc<AtomicI64> {
        let name = sanitize_name(name);
        let key: Labels = labels
            .iter()
            .map(|(k, v)| (sanitize_name(k), v.to_string()))
            .collect();
        let mut g = self.gauges.lock();
        let fam = g.entry(name).or_insert_with(|| Family {
            help: String::new(),
            series: BTreeMap::new(),
        });
        fam.series
            .entry(key)
            .or_insert_with(|| Arc::new(AtomicI64::new(0)))
            .clone()
    }

    pub fn describe(&self, name: &str, help: &str) {
        let mut g = self.gauges.lock();
        let fam = g.entry(sanitize_name(name)).or_insert_with(|| Family {
            help: String::new(),
            series: BTreeMap::new(),
        });
        fam.help = help.to_string();
    }

    /// Adds (or replaces, by `key`) a function that writes more families into every scrape.
    pub fn add_collector(&self, key: &str, f: impl Fn(&mut Exposition) + Send + Sync + 'static) {
        let mut c = self.collectors.lock();
        c.retain(|(k, _)| k != key);
        c.push((key.to_string(), Arc::new(f)));
    }

    pub fn remove_collector(&self, key: &str) {
        self.collectors.lock().retain(|(k, _)| k != key);
    }

    /// Keeps `/ready` at 503 with `reason` until [`Registry::release_ready`] with the same key.
    pub fn hold_ready(&self, key: &str, reason: &str) {
        self.holds
            .lock()
            .insert(key.to_string(), reason.to_string());
    }

    pub fn release_ready(&self, key: &str) {
        self.holds.lock().remove(key);
    }

    /// The first pending hold's reason, if any.
    pub fn not_ready(&self) -> Option<String> {
        self.holds.lock().values().next().cloned()
    }

    /// Writes the gauges (dropping series nobody holds any more) and runs the collectors.
    pub fn render(&self, e: &mut Exposition) {
        {
            let mut g = self.gauges.lock();
            for fam in g.values_mut() {
                fam.series.retain(|_, v| Arc::strong_count(v) > 1);
            }
            g.retain(|_, f| !f.series.is_empty() || !f.help.is_empty());
            for (name, fam) in g.iter() {
                if fam.series.is_empty() {
                    continue;
                }
                let help = if fam.help.is_empty() {
                    "Connector gauge."
                } else {
                    &fam.help
                };
                e.family(name, Kind::Gauge, help);
                for (labels, v) in &fam.series {
                    let l: Vec<(&str, &str)> = labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    e.sample_int(name, &l, v.load(Ordering::Relaxed));
                }
            }
        }
        let collectors: Vec<Collector> = self
            .collectors
            .lock()
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        for c in collectors {
            c(e);
        }
    }
}

const TASK_STATES: [State; 6] = [
    State::Unassigned,
    State::Running,
    State::Paused,
    State::Failed,
    State::Restarting,
    State::Stopped,
];

/// Task counters and connector/task states of one runtime.
pub fn render_runtime(shared: &Shared, e: &mut Exposition) {
    let names = shared.configs.names();
    shared.task_metrics.retain_connectors(&names);
    let tasks = shared.task_metrics.snapshot();
    let ids: Vec<(String, String, &'static str)> = tasks
        .iter()
        .map(|(id, m)| (id.connector.clone(), id.task.to_string(), m.kind))
        .collect();
    let lbl = |i: usize| -> [(&str, &str); 3] {
        [
            ("connector", ids[i].0.as_str()),
            ("task", ids[i].1.as_str()),
            ("type", ids[i].2),
        ]
    };
    type Sample = fn(&TaskMetrics) -> i64;
    let per_task: [(&str, Kind, &str, Sample); 3] = [
        (
            "sluice_connect_task_records_polled_total",
            Kind::Counter,
            "Source: records returned by the task's poll(). Sink: records consumed from Kafka.",
            |m| m.polled.load(Ordering::Relaxed) as i64,
        ),
        (
            "sluice_connect_task_records_written_total",
            Kind::Counter,
            "Source: records acknowledged by Kafka. Sink: records put() to the external system.",
            |m| m.written.load(Ordering::Relaxed) as i64,
        ),
        (
            "sluice_connect_task_offset_commit_age_ms",
            Kind::Gauge,
            "Milliseconds since the task's last successful offset commit (since its start before the first).",
            |m| m.commit_age_ms(),
        ),
    ];
    for (name, kind, help, sample) in per_task {
        e.family(name, kind, help);
        for (i, (_, m)) in tasks.iter().enumerate() {
            e.sample_int(name, &lbl(i), sample(m));
        }
    }
    e.family(
        "sluice_connect_task_errors_total",
        Kind::Counter,
        "Errors by stage (converters, transformations, poll/put, Kafka produce/consume, offset commit), tolerated or not.",
    );
    for (i, (_, m)) in tasks.iter().enumerate() {
        for (s, stage) in ERROR_STAGES.iter().enumerate() {
            let [c, t, k] = lbl(i);
            e.sample_int(
                "sluice_connect_task_errors_total",
                &[c, t, k, ("stage", stage)],
                m.errors[s].load(Ordering::Relaxed) as i64,
            );
        }
    }
    e.family(
        "sluice_connect_connector_state",
        Kind::Gauge,
        "1 for the connector's current state, 0 for the others.",
    );
    for n in &names {
        let st = shared.statuses.connector(n).map(|s| s.state);
        for s in TASK_STATES {
            e.sample_int(
                "sluice_connect_connector_state",
                &[("connector", n), ("state", s.as_str())],
                (st == Some(s)) as i64,
            );
        }
    }
    e.family(
        "sluice_connect_task_state",
        Kind::Gauge,
        "1 for the task's current state, 0 for the others.",
    );
    for n in &names {
        for (task, status) in shared.statuses.tasks(n) {
            let t = task.to_string();
            for s in TASK_STATES {
                e.sample_int(
                    "sluice_connect_task_state",
                    &[("connector", n), ("task", &t), ("state", s.as_str())],
                    (status.state == s) as i64,
                );
            }
        }
    }
}

/// The whole `/metrics` answer for a runtime: its tasks, the global registry's gauges and
/// collectors (the broker's metrics in the appliance), and the process.
pub fn scrape(shared: &Shared) -> String {
    let mut e = Exposition::new();
    render_runtime(shared, &mut e);
    global().render(&mut e);
    sluice_broker::metrics::render_process(&mut e);
    e.finish()
}

/// `Ok(())` when ready, else (status, reason) for the 503 body.
pub fn readiness(shared: &Shared) -> Result<(), (&'static str, String)> {
    if shared.is_shutting_down() {
        return Err(("stopping", "Connect is shutting down".into()));
    }
    if !shared.is_ready() {
        return Err((
            "starting",
            "Connect is reading its internal topics and starting connectors".into(),
        ));
    }
    if let Some(reason) = global().not_ready() {
        return Err(("starting", reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_share_atomics_and_vanish_when_dropped() {
        let r = Registry::new();
        r.describe("sluice_connect_test_rows", "Rows.");
        let a = r.gauge(
            "sluice_connect_test_rows",
            &[("connector", "c"), ("table", "t\"1")],
        );
        let again = r.gauge(
            "sluice_connect_test_rows",
            &[("connector", "c"), ("table", "t\"1")],
        );
        assert!(Arc::ptr_eq(&a, &again));
        a.store(42, Ordering::Relaxed);
        let b = r.gauge("sluice_connect_test.lag-ms", &[("connector", "c")]);
        b.store(-1, Ordering::Relaxed);
        let mut e = Exposition::new();
        r.render(&mut e);
        let s = e.finish();
        assert!(s.contains("# HELP sluice_connect_test_rows Rows.\n"), "{s}");
        assert!(
            s.contains("sluice_connect_test_rows{connector=\"c\",table=\"t\\\"1\"} 42\n"),
            "{s}"
        );
        assert!(
            s.contains("sluice_connect_test_lag_ms{connector=\"c\"} -1\n"),
            "{s}"
        );
        drop(a);
        drop(again);
        let mut e = Exposition::new();
        r.render(&mut e);
        let s = e.finish();
        assert!(!s.contains("sluice_connect_test_rows"), "{s}");
        assert!(s.contains("sluice_connect_test_lag_ms"), "{s}");
    }

    #[test]
    fn collectors_and_holds() {
        let r = Registry::new();
        r.add_collector("x", |e: &mut Exposition| {
            e.family("x_total", Kind::Counter, "x");
            e.sample_int("x_total", &[], 7);
        });
        r.add_collector("x", |e: &mut Exposition| {
            e.family("x_total", Kind::Counter, "x");
            e.sample_int("x_total", &[], 8);
        });
        let mut e = Exposition::new();
        r.render(&mut e);
        assert!(e.finish().ends_with("x_total 8\n"));
        assert_eq!(r.not_ready(), None);
        r.hold_ready("dir", "applying connector files");
        assert_eq!(r.not_ready().as_deref(), Some("applying connector files"));
        r.release_ready("dir");
        assert_eq!(r.not_ready(), None);
    }

    #[test]
    fn task_counters() {
        let m = TaskMetrics::new("sink");
        m.polled(3);
        m.written(2);
        m.error(Stage::ValueConverter);
        m.commit_failed();
        assert_eq!(m.errors("VALUE_CONVERTER"), 1);
        assert_eq!(m.errors("OFFSET_COMMIT"), 1);
        assert_eq!(m.errors("KEY_CONVERTER"), 0);
        assert!(m.commit_age_ms() < 60_000);
    }
}
