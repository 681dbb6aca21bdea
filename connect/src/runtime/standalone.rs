//! Standalone mode (connect-standalone.sh worker.properties connector1.properties ...): connector
//! configs come from files (flat JSON, `{"name","config","initial_state"}` JSON, or Java
//! properties), statuses stay in memory and source offsets go to `offset.storage.file.filename`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::status::TargetState;
use super::{ConnectRuntime, Handle, Mode, RuntimeError};
use crate::config::{ConfigMap, WorkerConfig};
use crate::kafka::KafkaAccess;

/// One connector definition from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorFile {
    pub name: String,
    pub config: ConfigMap,
    pub initial_state: Option<TargetState>,
}

fn json_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a standalone connector file (JSON when it starts with `{`, else properties).
pub fn parse_connector_file(text: &str) -> Result<ConnectorFile, String> {
    if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let obj = v.as_object().ok_or("expected a JSON object")?;
        if let Some(cfg) = obj.get("config").and_then(|c| c.as_object()) {
            let mut config: ConfigMap = cfg
                .iter()
                .filter_map(|(k, v)| json_string(v).map(|s| (k.clone(), s)))
                .collect();
            let name = obj
                .get("name")
                .and_then(json_string)
                .or_else(|| config.get("name").cloned())
                .ok_or("Connector configuration must contain a name")?;
            let name = name.trim().to_string();
            match config.get("name") {
                Some(n) if n != &name => {
                    return Err(format!(
                        "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                    ))
                }
                _ => {
                    config.insert("name".into(), name.clone());
                }
            }
            let initial_state = match obj.get("initial_state").and_then(|s| s.as_str()) {
                Some(s) => Some(
                    TargetState::from_initial_state(s)
                        .ok_or_else(|| format!("Invalid initial state {s}"))?,
                ),
                None => None,
            };
            return Ok(ConnectorFile {
                name,
                config,
                initial_state,
            });
        }
        let config: ConfigMap = obj
            .iter()
            .filter_map(|(k, v)| json_string(v).map(|s| (k.clone(), s)))
            .collect();
        let name = config
            .get("name")
            .cloned()
            .ok_or("Connector configuration must contain a name")?;
        return Ok(ConnectorFile {
            name,
            config,
            initial_state: None,
        });
    }
    let config = crate::config::properties::parse(text);
    let name = config
        .get("name")
        .cloned()
        .ok_or("Connector configuration must contain a name")?;
    Ok(ConnectorFile {
        name,
        config,
        initial_state: None,
    })
}

pub fn read_connector_file(path: &Path) -> Result<ConnectorFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    parse_connector_file(&text)
}

/// Starts a standalone worker and creates the connectors of the given files; any failure is an
/// error (connect-standalone exits with code 3).
pub async fn run_standalone(
    config: WorkerConfig,
    kafka: Arc<dyn KafkaAccess>,
    connector_files: &[PathBuf],
) -> Result<Handle, RuntimeError> {
    let mut connectors = Vec::new();
    for f in connector_files {
        let c = read_connector_file(f).map_err(|message| RuntimeError::Connector {
            file: f.display().to_string(),
            message,
        })?;
        connectors.push((f, c));
    }
    let handle = ConnectRuntime::start_mode(config, kafka, Mode::Standalone).await?;
    for (f, c) in connectors {
        let r = handle
            .runtime()
            .herder
            .put_connector_config(&c.name, c.config, false, c.initial_state)
            .await;
        if let Err(e) = r {
            let err = RuntimeError::Connector {
                file: f.display().to_string(),
                message: e.to_string(),
            };
            handle.shutdown().await;
            return Err(err);
        }
        tracing::info!(connector = %c.name, "created connector from {}", f.display());
    }
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_file_shapes() {
        let flat = parse_connector_file(
            r#"{"name":"a","connector.class":"FileStreamSource","tasks.max":1}"#,
        )
        .unwrap();
        assert_eq!(flat.name, "a");
        assert_eq!(flat.config["tasks.max"], "1");
        let nested = parse_connector_file(
            r#"{"name":"b","config":{"connector.class":"X"},"initial_state":"paused","x":1}"#,
        )
        .unwrap();
        assert_eq!(nested.config["name"], "b");
        assert_eq!(nested.initial_state, Some(TargetState::Paused));
        let props =
            parse_connector_file("name=c\nconnector.class=FileStreamSink\ntopics=t\n").unwrap();
        assert_eq!(props.name, "c");
        assert!(parse_connector_file("connector.class=X\n").is_err());
        assert!(parse_connector_file(r#"{"name":"b","config":{"name":"z"}}"#).is_err());
    }
}
