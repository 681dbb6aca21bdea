//! The internal schema history topic (`schema.history.internal.kafka.topic`, debezium.md §4.2):
//! one pretty-printed JSON record per DDL, written before any event that depends on it and
//! replayed at start to rebuild the table model as of the restart offset. Records written by
//! Debezium itself are read too, so a user can move without a new snapshot.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map as JsonMap, Value as Json};

use crate::kafka::{KafkaAccess, ProduceRecord};

use super::ddl;
use super::model::{TableChange, Tables};
use super::offsets::{at_or_before, BinlogOffset};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("schema history topic '{topic}': {message}")]
    Kafka { topic: String, message: String },
    #[error("schema history record at offset {offset} of '{topic}' is not valid: {message}")]
    Corrupt {
        topic: String,
        offset: i64,
        message: String,
    },
}

pub struct SchemaHistory {
    kafka: Arc<dyn KafkaAccess>,
    topic: String,
}

/// One history record (the fields Sluice needs back).
pub struct HistoryRecord<'a> {
    pub partition: &'a JsonMap<String, Json>,
    pub position: &'a JsonMap<String, Json>,
    pub ts_ms: i64,
    pub database: &'a str,
    pub ddl: &'a str,
    pub changes: &'a [TableChange],
}

impl SchemaHistory {
    pub fn new(kafka: Arc<dyn KafkaAccess>, topic: &str) -> SchemaHistory {
        SchemaHistory {
            kafka,
            topic: topic.to_string(),
        }
    }

    fn err(&self, m: impl ToString) -> HistoryError {
        HistoryError::Kafka {
            topic: self.topic.clone(),
            message: m.to_string(),
        }
    }

    /// Creates the topic as Debezium does: one partition, infinite retention, delete policy.
    pub async fn ensure_topic(&self) -> Result<(), HistoryError> {
        self.kafka
            .ensure_topic(
                &self.topic,
                1,
                &[
                    ("cleanup.policy".into(), "delete".into()),
                    ("retention.ms".into(), i64::MAX.to_string()),
                    ("retention.bytes".into(), "-1".into()),
                ],
            )
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Whether the topic holds any record.
    pub async fn exists_with_data(&self) -> Result<bool, HistoryError> {
        match self.kafka.partition_count(&self.topic).await {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(false),
            Err(e) => return Err(self.err(e)),
        }
        let offsets = self
            .kafka
            .offsets(&self.topic)
            .await
            .map_err(|e| self.err(e))?;
        Ok(offsets.iter().any(|p| p.latest > p.earliest))
    }

    /// Appends one record (key null, partition 0), durably, before the events it explains.
    pub async fn record(&self, rec: &HistoryRecord<'_>) -> Result<(), HistoryError> {
        let text = render_record(rec);
        self.kafka
            .produce(
                &self.topic,
                vec![ProduceRecord {
                    partition: Some(0),
                    key: None,
                    value: Some(Bytes::from(text)),
                    headers: Vec::new(),
                    timestamp: None,
                }],
            )
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Replays every record of this connector (`source` == partition) at or before `upto`,
    /// rebuilding `tables`. Returns how many records were applied.
    pub async fn recover(
        &self,
        partition: &JsonMap<String, Json>,
        upto: &BinlogOffset,
        tables: &mut Tables,
    ) -> Result<usize, HistoryError> {
        let offsets = self
            .kafka
            .offsets(&self.topic)
            .await
            .map_err(|e| self.err(e))?;
        let Some(p0) = offsets.iter().find(|p| p.partition == 0) else {
            return Ok(0);
        };
        let mut next = p0.earliest;
        let mut applied = 0;
        while next < p0.latest {
            let batch = self
                .kafka
                .fetch(&self.topic, 0, next, 1 << 20, Duration::from_millis(100))
                .await
                .map_err(|e| self.err(e))?;
            if batch.is_empty() {
                break;
            }
            for rec in batch {
                next = rec.offset + 1;
                let Some(value) = rec.value else { continue };
                let corrupt = |m: String| HistoryError::Corrupt {
                    topic: self.topic.clone(),
                    offset: rec.offset,
                    message: m,
                };
                let json: Json =
                    serde_json::from_slice(&value).map_err(|e| corrupt(e.to_string()))?;
                if json.get("source").and_then(Json::as_object) != Some(partition) {
                    continue;
                }
                let position = json
                    .get("position")
                    .and_then(Json::as_object)
                    .ok_or_else(|| corrupt("no 'position'".into()))?;
                let recorded = BinlogOffset::from_json(position).map_err(corrupt)?;
                if !at_or_before(&recorded, upto) {
                    continue;
                }
                let changes = json
                    .get("tableChanges")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                if changes.is_empty() {
                    // Debezium re-parses the DDL when a record carries no table changes.
                    let db = json.get("databaseName").and_then(Json::as_str);
                    if let Some(ddl_text) = json.get("ddl").and_then(Json::as_str) {
                        if let Err(e) = tables.apply_ddl(ddl_text, db.filter(|d| !d.is_empty())) {
                            tracing::warn!(
                                "schema history: could not re-apply DDL at offset {}: {e}",
                                rec.offset
                            );
                        }
                    }
                } else {
                    for change in &changes {
                        ddl::apply_history_table_change(tables, change)
                            .map_err(|e| corrupt(e.to_string()))?;
                    }
                }
                applied += 1;
            }
        }
        Ok(applied)
    }
}

/// The record as Debezium writes it: `source, position, ts_ms, databaseName, ddl,
/// tableChanges`, pretty-printed the way Jackson's default pretty printer does.
pub fn render_record(rec: &HistoryRecord<'_>) -> String {
    let mut m = JsonMap::new();
    m.insert("source".into(), Json::Object(rec.partition.clone()));
    m.insert("position".into(), Json::Object(rec.position.clone()));
    m.insert("ts_ms".into(), Json::from(rec.ts_ms));
    m.insert(
        "databaseName".into(),
        Json::String(rec.database.to_string()),
    );
    m.insert("ddl".into(), Json::String(rec.ddl.to_string()));
    m.insert(
        "tableChanges".into(),
        Json::Array(
            rec.changes
                .iter()
                .map(ddl::table_change_to_history_json)
                .collect(),
        ),
    );
    let mut out = String::new();
    jackson_pretty(&Json::Object(m), 0, &mut out);
    out
}

/// Jackson's DefaultPrettyPrinter: objects on new lines indented two spaces per object level,
/// `"k" : v`, arrays inline as `[ a, b ]`, empty containers `{ }` / `[ ]`.
pub fn jackson_pretty(v: &Json, depth: usize, out: &mut String) {
    match v {
        Json::Object(m) if m.is_empty() => out.push_str("{ }"),
        Json::Object(m) => {
            out.push('{');
            let mut first = true;
            for (k, val) in m {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push('\n');
                out.push_str(&"  ".repeat(depth + 1));
                out.push_str(&Json::String(k.clone()).to_string());
                out.push_str(" : ");
                jackson_pretty(val, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
        Json::Array(a) if a.is_empty() => out.push_str("[ ]"),
        Json::Array(a) => {
            out.push_str("[ ");
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                jackson_pretty(val, depth, out);
            }
            out.push_str(" ]");
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_printing_matches_jackson() {
        let v: Json = serde_json::from_str(
            r#"{"source":{"server":"dbserver1"},"position":{"file":"f","pos":4},"tableChanges":[{"type":"CREATE","table":{"primaryKeyColumnNames":["id"],"attributes":[]}}],"empty":{}}"#,
        )
        .unwrap();
        let mut out = String::new();
        jackson_pretty(&v, 0, &mut out);
        assert_eq!(
            out,
            "{\n  \"source\" : {\n    \"server\" : \"dbserver1\"\n  },\n  \"position\" : {\n    \"file\" : \"f\",\n    \"pos\" : 4\n  },\n  \"tableChanges\" : [ {\n    \"type\" : \"CREATE\",\n    \"table\" : {\n      \"primaryKeyColumnNames\" : [ \"id\" ],\n      \"attributes\" : [ ]\n    }\n  } ],\n  \"empty\" : { }\n}"
        );
    }
}
