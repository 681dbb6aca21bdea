//! Error handling for the converter and transformation stages (RetryWithToleranceOperator,
//! LogReporter, DeadLetterQueueReporter): each failure is logged if `errors.log.enable`, sent to
//! the dead letter queue (sinks) with the `__connect.errors.*` context headers, then either
//! tolerated (`errors.tolerance=all`: the record is skipped) or fails the task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::TaskId;
use crate::config::{connector::ErrorHandling, ErrorTolerance};
use crate::connectors::ErrantRecordReporter;
use crate::data::{ConnectRecord, KafkaOrigin};
use crate::kafka::{ConsumedRecord, KafkaAccess, ProduceRecord};
use crate::runtime::status::trace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    Transformation,
    TaskPut,
    TaskPoll,
    KafkaProduce,
    KafkaConsume,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::TaskPoll => "TASK_POLL",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
            Stage::KafkaConsume => "KAFKA_CONSUME",
        }
    }
}

/// One failed stage for one record.
#[derive(Debug, Clone)]
pub struct Failure {
    pub stage: Stage,
    /// The class executing the stage (converter or transformation).
    pub class: String,
    /// The Java exception class the error stands for.
    pub error_class: &'static str,
    pub message: String,
}

/// The record being processed: consumed from Kafka (sinks) or produced by a source task.
pub enum Origin<'a> {
    Consumed(&'a ConsumedRecord),
    Source(&'a ConnectRecord),
}

pub struct ErrorHandler {
    settings: ErrorHandling,
    id: TaskId,
    kafka: Arc<dyn KafkaAccess>,
    dlq_ready: AtomicBool,
    metrics: Option<Arc<crate::runtime::metrics::TaskMetrics>>,
}

pub const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";
pub const CONFIG_EXCEPTION: &str = "org.apache.kafka.common.config.ConfigException";

impl ErrorHandler {
    pub fn new(settings: ErrorHandling, id: TaskId, kafka: Arc<dyn KafkaAccess>) -> ErrorHandler {
        ErrorHandler {
            settings,
            id,
            kafka,
            dlq_ready: AtomicBool::new(false),
            metrics: None,
        }
    }

    /// Counts every handled failure in the task's `/metrics` errors by stage.
    pub fn with_metrics(mut self, m: Arc<crate::runtime::metrics::TaskMetrics>) -> ErrorHandler {
        self.metrics = Some(m);
        self
    }

    pub fn tolerates_all(&self) -> bool {
        self.settings.tolerance == ErrorTolerance::All
    }

    /// Reports a failure. Ok(()) when tolerated (skip the record); Err(trace) when the task
    /// must fail ("Tolerance exceeded in error handler").
    pub async fn handle(&self, failure: Failure, origin: Origin<'_>) -> Result<(), String> {
        if let Some(m) = &self.metrics {
            m.error(failure.stage);
        }
        if self.settings.log_enable {
            let record = match origin {
                Origin::Consumed(r) => format!(
                    ", where consumed record is {{topic='{}', partition={}, offset={}, timestamp={}, timestampType=CreateTime}}",
                    r.topic, r.partition, r.offset, r.timestamp
                ),
                Origin::Source(r) if self.settings.log_include_messages => format!(", where source record is = {r:?}"),
                Origin::Source(r) => format!(", where source record is = topic='{}'", r.topic),
            };
            tracing::error!(
                "Error encountered in task {}. Executing stage '{}' with class '{}'{}. {}: {}",
                self.id,
                failure.stage.as_str(),
                failure.class,
                record,
                failure.error_class,
                failure.message
            );
        }
        if let (Some(topic), Origin::Consumed(r)) = (&self.settings.dlq_topic, origin) {
            self.send_to_dlq(topic, r, &failure).await;
        }
        if self.tolerates_all() {
            return Ok(());
        }
        Err(trace(
            "org.apache.kafka.connect.errors.ConnectException",
            "Tolerance exceeded in error handler",
            Some((failure.error_class, &failure.message)),
        ))
    }

    async fn send_to_dlq(&self, topic: &str, r: &ConsumedRecord, f: &Failure) {
        if !self.dlq_ready.load(Ordering::Relaxed) {
            match self.kafka.ensure_topic(topic, 1, &[]).await {
                Ok(_) => self.dlq_ready.store(true, Ordering::Relaxed),
                Err(e) => {
                    tracing::error!("could not create dead letter queue topic {topic}: {e}");
                    return;
                }
            }
        }
        let mut headers = r.headers.clone();
        if self.settings.dlq_context_headers {
            let mut h = |k: &str, v: String| {
                headers.push((format!("__connect.errors.{k}"), Some(Bytes::from(v))))
            };
            h("topic", r.topic.clone());
            h("partition", r.partition.to_string());
            h("offset", r.offset.to_string());
            h("connector.name", self.id.connector.clone());
            h("task.id", self.id.task.to_string());
            h("stage", f.stage.as_str().to_string());
            h("class.name", f.class.clone());
            h("exception.class.name", f.error_class.to_string());
            h("exception.message", f.message.clone());
            h(
                "exception.stacktrace",
                trace(f.error_class, &f.message, None),
            );
        }
        let record = ProduceRecord {
            partition: None,
            key: r.key.clone(),
            value: r.value.clone(),
            headers,
            timestamp: Some(r.timestamp),
        };
        let mut delay = Duration::from_millis(100);
        for _ in 0..5 {
            match self.kafka.produce(topic, vec![record.clone()]).await {
                Ok(_) => return,
                Err(crate::kafka::KafkaError::Retriable(m)) => {
                    tracing::warn!("retrying dead letter queue write to {topic}: {m}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => {
                    tracing::error!("could not write to dead letter queue topic {topic}: {e}");
                    return;
                }
            }
        }
    }

    /// Whether a sink task gets an ErrantRecordReporter: a dead letter queue topic or error
    /// logging is configured (Kafka's `enableErrantRecordReporter`).
    pub fn reports_errant_records(&self) -> bool {
        self.settings.dlq_topic.is_some() || self.settings.log_enable
    }

    /// Backoff for retriable task failures: 300 ms doubling up to errors.retry.delay.max.ms.
    pub fn backoff(&self, attempt: u32) -> Duration {
        backoff(self.settings.retry_delay_max_ms, attempt)
    }

    pub fn retry_delay_max_ms(&self) -> i64 {
        self.settings.retry_delay_max_ms
    }
}

/// 300 ms doubling per attempt, at most `max_ms` (errors.retry.delay.max.ms).
pub fn backoff(max_ms: i64, attempt: u32) -> Duration {
    let max = max_ms.max(1) as u64;
    let ms = 300u64.saturating_mul(1u64 << attempt.min(16)).min(max);
    Duration::from_millis(ms)
}

/// The class Kafka names as executing the TASK_PUT stage of a reported record.
const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";

/// WorkerErrantRecordReporter: a record a sink task reports is read again from its consumed
/// position, so the dead letter queue gets the bytes exactly as consumed (Kafka keeps the
/// original ConsumerRecord for this) without the runtime holding every record in memory.
pub struct WorkerErrantRecordReporter {
    pub errors: Arc<ErrorHandler>,
}

impl WorkerErrantRecordReporter {
    async fn consumed(&self, origin: &KafkaOrigin) -> ConsumedRecord {
        let found = self
            .errors
            .kafka
            .fetch(
                &origin.topic,
                origin.partition,
                origin.offset,
                1 << 20,
                Duration::ZERO,
            )
            .await
            .ok()
            .and_then(|rs| rs.into_iter().find(|r| r.offset == origin.offset));
        found.unwrap_or_else(|| {
            tracing::warn!(
                "reported record {}-{} offset {} is no longer in the log; reporting it without key, value and headers",
                origin.topic,
                origin.partition,
                origin.offset
            );
            ConsumedRecord {
                topic: origin.topic.to_string(),
                partition: origin.partition,
                offset: origin.offset,
                timestamp: -1,
                key: None,
                value: None,
                headers: Vec::new(),
            }
        })
    }
}

#[async_trait::async_trait]
impl ErrantRecordReporter for WorkerErrantRecordReporter {
    async fn report(
        &self,
        origin: &KafkaOrigin,
        error_class: &'static str,
        message: &str,
    ) -> Result<(), String> {
        let record = self.consumed(origin).await;
        let failure = Failure {
            stage: Stage::TaskPut,
            class: SINK_TASK_CLASS.to_string(),
            error_class,
            message: message.to_string(),
        };
        self.errors.handle(failure, Origin::Consumed(&record)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::tests::fake_kafka::MemoryKafka;

    fn handler(kafka: Arc<MemoryKafka>, tolerance: ErrorTolerance) -> Arc<ErrorHandler> {
        let settings = ErrorHandling {
            retry_timeout_ms: 0,
            retry_delay_max_ms: 60_000,
            tolerance,
            log_enable: false,
            log_include_messages: false,
            dlq_topic: Some("dlq".into()),
            dlq_replication_factor: 1,
            dlq_context_headers: true,
        };
        let id = TaskId {
            connector: "es".into(),
            task: 0,
        };
        Arc::new(ErrorHandler::new(settings, id, kafka))
    }

    fn origin(offset: i64) -> KafkaOrigin {
        KafkaOrigin {
            topic: Arc::from("in"),
            partition: 0,
            offset,
        }
    }

    #[tokio::test]
    async fn reported_records_reach_the_dead_letter_queue_as_consumed() {
        let kafka = Arc::new(MemoryKafka::new());
        kafka.create("in", 1);
        let rec = |v: &'static [u8]| ProduceRecord {
            partition: Some(0),
            key: Some(Bytes::from_static(b"k")),
            value: Some(Bytes::from_static(v)),
            headers: vec![("h".into(), Some(Bytes::from_static(b"1")))],
            timestamp: Some(1_700_000_000_000),
        };
        kafka
            .produce("in", vec![rec(b"first"), rec(b"second")])
            .await
            .unwrap();
        let reporter = WorkerErrantRecordReporter {
            errors: handler(kafka.clone(), ErrorTolerance::All),
        };
        reporter
            .report(&origin(1), "x.ReportingException", "Indexing failed: bad")
            .await
            .unwrap();
        let dlq = kafka.records("dlq");
        assert_eq!(dlq.len(), 1);
        assert_eq!(dlq[0].value.as_deref(), Some(&b"second"[..]));
        assert_eq!(dlq[0].key.as_deref(), Some(&b"k"[..]));
        assert_eq!(dlq[0].timestamp, 1_700_000_000_000);
        let header = |k: &str| -> String {
            dlq[0]
                .headers
                .iter()
                .find(|(hk, _)| hk == k)
                .and_then(|(_, v)| v.as_ref().map(|v| String::from_utf8_lossy(v).into_owned()))
                .unwrap_or_default()
        };
        assert_eq!(header("h"), "1");
        assert_eq!(header("__connect.errors.offset"), "1");
        assert_eq!(header("__connect.errors.stage"), "TASK_PUT");
        assert_eq!(
            header("__connect.errors.class.name"),
            "org.apache.kafka.connect.sink.SinkTask"
        );
        assert_eq!(
            header("__connect.errors.exception.class.name"),
            "x.ReportingException"
        );
        assert_eq!(
            header("__connect.errors.exception.message"),
            "Indexing failed: bad"
        );

        // A record gone from the log is still reported, without its bytes.
        reporter.report(&origin(9), "x.E", "gone").await.unwrap();
        let dlq = kafka.records("dlq");
        assert_eq!(dlq.len(), 2);
        assert_eq!(dlq[1].value, None);

        // errors.tolerance=none: reported, then the task must fail.
        let strict = WorkerErrantRecordReporter {
            errors: handler(kafka.clone(), ErrorTolerance::None),
        };
        let e = strict.report(&origin(0), "x.E", "bad").await.unwrap_err();
        assert!(e.contains("Tolerance exceeded in error handler"), "{e}");
        assert_eq!(kafka.records("dlq").len(), 3);
    }
}
