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
use crate::data::ConnectRecord;
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

    /// Backoff for retriable task failures: 300 ms doubling up to errors.retry.delay.max.ms.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let max = self.settings.retry_delay_max_ms.max(1) as u64;
        let ms = 300u64.saturating_mul(1u64 << attempt.min(16)).min(max);
        Duration::from_millis(ms)
    }
}
