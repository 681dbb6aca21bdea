//! The Prometheus text exposition format, version 0.0.4
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/>): `# HELP` and `# TYPE` once per
//! family, then one `name{label="value"} number` line per sample. Label values escape `\`, `"` and
//! newlines; HELP text escapes `\` and newlines. Histograms are written as cumulative `_bucket`
//! lines ending with `le="+Inf"`, then `_sum` and `_count`.
//!
//! [`Histogram`] is a fixed-bucket histogram of atomics: observing is three relaxed `fetch_add`s,
//! no lock and no allocation.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The content type of a scrape answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Turns any string into a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), replacing other
/// characters with `_`.
pub fn sanitize_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, '_');
    }
    s
}

/// A number as Prometheus reads it (`+Inf`, `-Inf`, `NaN`, integers without a fraction).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Builds one scrape answer. Write each family's samples right after its [`Exposition::family`]
/// call (Prometheus requires a family's lines to be contiguous).
#[derive(Default)]
pub struct Exposition {
    out: String,
    families: std::collections::HashSet<String>,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// Writes `# HELP` and `# TYPE` for a family (once; later calls for the same name are ignored).
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        if !self.families.insert(name.to_string()) {
            return;
        }
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        escape_help(help, &mut self.out);
        self.out.push_str("\n# TYPE ");
        self.out.push_str(name);
        self.out.push(' ');
        self.out.push_str(kind.as_str());
        self.out.push('\n');
    }

    fn labels(&mut self, labels: &[(&str, &str)]) {
        if labels.is_empty() {
            return;
        }
        self.out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_label(v, &mut self.out);
            self.out.push('"');
        }
        self.out.push('}');
    }

    /// One sample line: `name{labels} value`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        self.labels(labels);
        self.out.push(' ');
        self.out.push_str(&format_value(value));
        self.out.push('\n');
    }

    /// An integer sample (counters, most gauges): no float rounding.
    pub fn sample_int(&mut self, name: &str, labels: &[(&str, &str)], value: i64) {
        self.out.push_str(name);
        self.labels(labels);
        let _ = writeln!(self.out, " {value}");
    }

    /// A histogram's `_bucket` (cumulative), `_sum` and `_count` lines.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &HistogramSnapshot) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        for (i, count) in h.counts.iter().enumerate() {
            cumulative += count;
            let le = match h.bounds.get(i) {
                Some(b) => format_value(*b),
                None => "+Inf".to_string(),
            };
            let mut with_le: Vec<(&str, &str)> = labels.to_vec();
            with_le.push(("le", &le));
            self.sample_int(&bucket, &with_le, cumulative as i64);
        }
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample_int(&format!("{name}_count"), labels, h.count as i64);
    }

    pub fn as_str(&self) -> &str {
        &self.out
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Request latency bucket upper bounds, in seconds (100 µs to 10 s).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// A fixed-bucket histogram of durations, kept in microseconds. Buckets are stored per bucket
/// (not cumulative) and summed when rendered.
pub struct Histogram {
    bounds_us: Vec<u64>,
    bounds: &'static [f64],
    /// One more than `bounds`: the last is the +Inf bucket.
    counts: Vec<AtomicU64>,
    sum_us: AtomicU64,
}

/// A consistent-enough copy of a histogram for rendering.
pub struct HistogramSnapshot {
    pub bounds: &'static [f64],
    /// Per bucket, not cumulative; one more than `bounds`.
    pub counts: Vec<u64>,
    /// In seconds.
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    /// `bounds` are upper bounds in seconds, ascending.
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds_us: bounds.iter().map(|b| (b * 1e6).round() as u64).collect(),
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_us: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: std::time::Duration) {
        self.observe_us(d.as_micros().min(u64::MAX as u128) as u64);
    }

    pub fn observe_us(&self, us: u64) {
        let i = self.bounds_us.partition_point(|b| *b < us);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// Observations so far (the buckets' total).
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        HistogramSnapshot {
            bounds: self.bounds,
            // The count is the buckets' total so that +Inf always equals _count.
            count: counts.iter().sum(),
            counts,
            sum: self.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut e = Exposition::new();
        e.family("t_total", Kind::Counter, "help with \\ and\nnewline");
        e.sample_int("t_total", &[("a", "x\"y\\z\nw"), ("b", "plain")], 3);
        assert_eq!(
            e.finish(),
            "# HELP t_total help with \\\\ and\\nnewline\n# TYPE t_total counter\n\
             t_total{a=\"x\\\"y\\\\z\\nw\",b=\"plain\"} 3\n"
        );
    }

    #[test]
    fn family_header_is_written_once() {
        let mut e = Exposition::new();
        e.family("g", Kind::Gauge, "a gauge");
        e.sample_int("g", &[("k", "1")], 1);
        e.family("g", Kind::Gauge, "a gauge");
        e.sample_int("g", &[("k", "2")], 2);
        let s = e.finish();
        assert_eq!(s.matches("# TYPE g gauge").count(), 1);
        assert!(s.ends_with("g{k=\"1\"} 1\ng{k=\"2\"} 2\n"), "{s}");
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        static B: &[f64] = &[0.001, 0.01, 0.1];
        let h = Histogram::new(B);
        h.observe_us(500); // <= 1 ms
        h.observe_us(1000); // == 1 ms: le is inclusive
        h.observe_us(5000); // <= 10 ms
        h.observe_us(2_000_000); // +Inf
        let mut e = Exposition::new();
        e.family("lat_seconds", Kind::Histogram, "latency");
        e.histogram("lat_seconds", &[("request", "Fetch")], &h.snapshot());
        let s = e.finish();
        let lines: Vec<&str> = s.lines().skip(2).collect();
        assert_eq!(
            lines,
            vec![
                "lat_seconds_bucket{request=\"Fetch\",le=\"0.001\"} 2",
                "lat_seconds_bucket{request=\"Fetch\",le=\"0.01\"} 3",
                "lat_seconds_bucket{request=\"Fetch\",le=\"0.1\"} 3",
                "lat_seconds_bucket{request=\"Fetch\",le=\"+Inf\"} 4",
                "lat_seconds_sum{request=\"Fetch\"} 2.0065",
                "lat_seconds_count{request=\"Fetch\"} 4",
            ]
        );
    }

    #[test]
    fn values_and_names_format_as_prometheus_reads_them() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(sanitize_name("mysql.rows-done"), "mysql_rows_done");
        assert_eq!(sanitize_name("9lives"), "_9lives");
    }
}
