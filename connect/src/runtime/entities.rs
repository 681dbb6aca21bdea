//! The REST entities the herder answers with (org.apache.kafka.connect.runtime.rest.entities),
//! fields in Jackson's order: creator parameters first, then other getters.

use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value as Json};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: JsonMap<String, Json>,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorState {
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskState {
    pub id: u32,
    pub state: String,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: JsonMap<String, Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginInfo {
    #[serde(rename = "class")]
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffset {
    pub partition: Option<JsonMap<String, Json>>,
    pub offset: Option<JsonMap<String, Json>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    pub offsets: Option<Vec<ConnectorOffset>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerStatus {
    pub status: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_omitted_when_absent() {
        let t = TaskState {
            id: 0,
            state: "RUNNING".into(),
            worker_id: "h:8083".into(),
            trace: None,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"id":0,"state":"RUNNING","worker_id":"h:8083"}"#
        );
        let p = PluginInfo {
            class: "x.Y".into(),
            kind: "sink".into(),
            version: None,
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"class":"x.Y","type":"sink"}"#
        );
    }
}
