//! org.apache.kafka.connect.transforms.RegexRouter: if the whole topic matches `regex`, the topic
//! becomes `Matcher.replaceFirst(replacement)`; otherwise the record passes untouched, silently.
//! The regex string is compiled exactly as given (no extra unescaping).

use std::collections::HashMap;

use crate::data::ConnectRecord;
use crate::transforms::support::config::{config_error, Props};
use crate::transforms::support::java_regex::JavaRegex;
use crate::transforms::support::record::not_configured;
use crate::transforms::{TransformError, Transformation};

pub const CLASS: &str = "org.apache.kafka.connect.transforms.RegexRouter";

#[derive(Debug, Default)]
pub struct RegexRouter {
    regex: Option<JavaRegex>,
    replacement: String,
}

impl RegexRouter {
    pub fn new() -> RegexRouter {
        RegexRouter::default()
    }
}

/// `RegexValidator`: `Invalid regex: <PatternSyntaxException message>`.
pub(crate) fn compile_config_regex(key: &str, value: &str) -> Result<JavaRegex, TransformError> {
    JavaRegex::compile(value).map_err(|e| config_error(key, value, &format!("Invalid regex: {e}")))
}

impl Transformation for RegexRouter {
    fn configure(&mut self, props: &HashMap<String, String>) -> Result<(), TransformError> {
        let p = Props::new(props);
        let regex = p.required_string("regex")?;
        let compiled = compile_config_regex("regex", &regex)?;
        self.replacement = p.required_string("replacement")?;
        self.regex = Some(compiled);
        Ok(())
    }

    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let regex = self
            .regex
            .as_ref()
            .ok_or_else(|| not_configured("RegexRouter"))?;
        match regex.replace_if_matches(&record.topic, &self.replacement) {
            None => Ok(Some(record)),
            Some(Ok(topic)) => {
                tracing::trace!(from = %record.topic, to = %topic, "rerouting record");
                record.topic = topic;
                Ok(Some(record))
            }
            // Java throws IndexOutOfBounds/IllegalArgument from replaceFirst for each record.
            Some(Err(e)) => Err(TransformError::Data(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    fn router(regex: &str, replacement: &str) -> RegexRouter {
        let mut r = RegexRouter::new();
        let props = HashMap::from([
            ("regex".to_string(), regex.to_string()),
            ("replacement".to_string(), replacement.to_string()),
        ]);
        r.configure(&props).unwrap();
        r
    }

    fn topic_after(r: &RegexRouter, topic: &str) -> String {
        let rec = ConnectRecord::new(topic, None, Value::Null, None, Value::Null);
        r.apply(rec).unwrap().unwrap().topic
    }

    #[test]
    fn debezium_style_group_replacement() {
        let r = router(r"([^.]+)\.([^.]+)\.([^.]+)", "$3");
        assert_eq!(
            topic_after(&r, "dbserver1.inventory.customers"),
            "customers"
        );
        let r = router(r"(.*)customers(.*)", "$1cust$2");
        assert_eq!(topic_after(&r, "db.customers.v1"), "db.cust.v1");
    }

    #[test]
    fn non_matching_topic_is_untouched() {
        let r = router(r"mysql_cdc\..*", "all");
        assert_eq!(topic_after(&r, "other.topic"), "other.topic");
        // Whole-topic match: a substring match is not enough.
        assert_eq!(topic_after(&r, "x.mysql_cdc.a"), "x.mysql_cdc.a");
        assert_eq!(topic_after(&r, "mysql_cdc.a"), "all");
    }

    #[test]
    fn doubled_backslashes_are_not_unescaped_again() {
        let r = router(r"mysql_cdc\\..*", "routed");
        assert_eq!(
            topic_after(&r, "mysql_cdc.inventory.customers"),
            "mysql_cdc.inventory.customers"
        );
    }

    #[test]
    fn bad_group_fails_per_record_not_at_config() {
        let r = router("(a)", "$2");
        let rec = ConnectRecord::new("a", None, Value::Null, None, Value::Null);
        assert_eq!(r.apply(rec), Err(TransformError::Data("No group 2".into())));
        // A non-matching topic never expands the replacement.
        assert_eq!(topic_after(&r, "b"), "b");
    }

    #[test]
    fn config_errors() {
        let mut r = RegexRouter::new();
        let e = r.configure(&HashMap::new()).unwrap_err();
        assert_eq!(e, TransformError::Missing("regex".into()));
        let props = HashMap::from([("regex".to_string(), "a(".to_string())]);
        let e = r.configure(&props).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("Invalid value a( for configuration regex: Invalid regex:"));
        let props = HashMap::from([("regex".to_string(), "a".to_string())]);
        assert_eq!(
            r.configure(&props).unwrap_err(),
            TransformError::Missing("replacement".into())
        );
        let unconfigured = RegexRouter::new();
        let rec = ConnectRecord::new("a", None, Value::Null, None, Value::Null);
        assert!(unconfigured.apply(rec).is_err());
    }
}
