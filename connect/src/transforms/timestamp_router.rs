//! org.apache.kafka.connect.transforms.TimestampRouter: topic becomes `topic.format` with
//! `${topic}` and then `${timestamp}` replaced literally, the timestamp rendered with the
//! SimpleDateFormat `timestamp.format` in UTC. A record without a timestamp is an error.

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::support::config::{config_error, Props};
use crate::transforms::support::date_format::SimpleDateFormat;
use crate::transforms::support::record::not_configured;
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.TimestampRouter";

#[derive(Debug, Default)]
pub struct TimestampRouter {
    topic_format: String,
    timestamp_format: Option<SimpleDateFormat>,
}

impl TimestampRouter {
    pub fn new() -> TimestampRouter {
        TimestampRouter::default()
    }
}

impl Transformation for TimestampRouter {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let topic_format = p.string_or("topic.format", "${topic}-${timestamp}");
        let pattern = p.string_or("timestamp.format", "yyyyMMdd");
        // Java builds the SimpleDateFormat lazily and fails per record; failing early is kinder.
        let format = SimpleDateFormat::new(&pattern)
            .map_err(|e| config_error("timestamp.format", &pattern, &e))?;
        self.topic_format = topic_format;
        self.timestamp_format = Some(format);
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let format = self
            .timestamp_format
            .as_ref()
            .ok_or_else(|| not_configured("TimestampRouter"))?;
        let Some(ts) = record.timestamp else {
            return Err(TransformError::Data(format!(
                "Timestamp missing on record: {}",
                describe(&record)
            )));
        };
        let formatted = format.format(ts);
        let topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &formatted);
        record.topic = topic;
        Ok(Some(record))
    }
}

/// A short stand-in for Java's `SourceRecord.toString()` in the error message.
fn describe(record: &ConnectRecord) -> String {
    format!(
        "ConnectRecord{{topic='{}', kafkaPartition={}, timestamp=null}}",
        record.topic,
        record
            .kafka_partition
            .map_or_else(|| "null".to_string(), |p| p.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    fn router(props: &[(&str, &str)]) -> TimestampRouter {
        let mut r = TimestampRouter::new();
        let map = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        r.configure(&map).unwrap();
        r
    }

    fn rec(ts: Option<i64>) -> ConnectRecord {
        let mut r = ConnectRecord::new("orders", None, Value::Null, None, Value::Null);
        r.timestamp = ts;
        r
    }

    #[test]
    fn default_format() {
        let r = router(&[]);
        let out = r.apply(rec(Some(1_705_314_645_123))).unwrap().unwrap();
        assert_eq!(out.topic, "orders-20240115");
    }

    #[test]
    fn custom_formats_replace_every_occurrence() {
        let r = router(&[
            ("topic.format", "${topic}_${timestamp}_${topic}"),
            ("timestamp.format", "yyyy-MM-dd'T'HH"),
        ]);
        let out = r.apply(rec(Some(1_705_314_645_123))).unwrap().unwrap();
        assert_eq!(out.topic, "orders_2024-01-15T10_orders");
    }

    #[test]
    fn missing_timestamp_is_a_data_error() {
        let r = router(&[]);
        let e = r.apply(rec(None)).unwrap_err();
        assert!(e.to_string().starts_with("Timestamp missing on record: "));
    }

    #[test]
    fn bad_pattern_is_rejected() {
        let mut r = TimestampRouter::new();
        let map = HashMap::from([("timestamp.format".to_string(), "yyyyqq".to_string())]);
        let e = r.configure(&map).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value yyyyqq for configuration timestamp.format: Illegal pattern character 'q'"
        );
    }
}
