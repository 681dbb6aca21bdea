//! org.apache.kafka.connect.transforms.predicates.TopicNameMatches: true when the whole topic
//! matches the Java regex `pattern` (required, non-empty).

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::support::config::{config_error, Props};
use crate::transforms::support::java_regex::JavaRegex;
use crate::transforms::{Predicate, TransformError};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";

#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<JavaRegex>,
}

impl TopicNameMatches {
    pub fn new() -> TopicNameMatches {
        TopicNameMatches::default()
    }
}

impl Predicate for TopicNameMatches {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let pattern = Props::new(props).required_non_empty_string("pattern")?;
        let compiled = JavaRegex::compile(&pattern).map_err(|e| {
            config_error(
                "pattern",
                &pattern,
                &format!("entry must be a Java-compatible regular expression: {e}"),
            )
        })?;
        self.pattern = Some(compiled);
        Ok(())
    }

    fn test(&self, record: &ConnectRecord) -> bool {
        self.pattern
            .as_ref()
            .is_some_and(|p| p.matches(&record.topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    fn pred(pattern: &str) -> Result<TopicNameMatches, TransformError> {
        let mut p = TopicNameMatches::new();
        p.configure(&HashMap::from([(
            "pattern".to_string(),
            pattern.to_string(),
        )]))?;
        Ok(p)
    }

    fn rec(topic: &str) -> ConnectRecord {
        ConnectRecord::new(topic, None, Value::Null, None, Value::Null)
    }

    #[test]
    fn full_match_only() {
        let p = pred("my-prefix-.*").unwrap();
        assert!(p.test(&rec("my-prefix-topic")));
        assert!(!p.test(&rec("x-my-prefix-topic")));
        let p = pred("orders").unwrap();
        assert!(!p.test(&rec("orders2")));
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            pred("").unwrap_err().to_string(),
            "Invalid value  for configuration pattern: String must be non-empty"
        );
        assert!(pred("[")
            .unwrap_err()
            .to_string()
            .starts_with("Invalid value [ for configuration pattern: entry must be a Java-compatible regular expression: "));
        let mut p = TopicNameMatches::new();
        assert_eq!(
            p.configure(&HashMap::new()).unwrap_err(),
            TransformError::Missing("pattern".into())
        );
        assert!(!TopicNameMatches::new().test(&rec("a")));
    }
}
