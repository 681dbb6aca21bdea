//! FileStreamSinkConnector / FileStreamSinkTask: appends `String.valueOf(record.value())` plus a
//! newline per record to `file` (stdout when unset) and flushes when offsets are committed.
//! Any number of tasks, all appending to the same file.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use crate::config::def::{ConfigKey, ConfigType, Default, Importance};
use crate::config::{ConfigDef, ConfigMap};
use crate::connectors::{
    Connector, ConnectorContext, ConnectorError, SinkConnector, SinkRecord, SinkTask,
    SinkTaskContext, TopicPartition,
};

pub const FILE_CONFIG: &str = "file";

pub fn config_def() -> ConfigDef {
    ConfigDef::new().define(ConfigKey::new(
        FILE_CONFIG,
        ConfigType::String,
        Default::Null,
        Importance::High,
        "Destination filename. If not specified, the standard output will be used",
    ))
}

#[derive(Default)]
pub struct FileStreamSinkConnector {
    props: ConfigMap,
}

#[async_trait::async_trait]
impl Connector for FileStreamSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(
        &mut self,
        config: &ConfigMap,
        _ctx: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectorError> {
        config_def().parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectorError> {
        Ok(vec![self.props.clone(); max_tasks.max(1)])
    }
}

#[async_trait::async_trait]
impl SinkConnector for FileStreamSinkConnector {
    /// Offsets live only in the consumer group, so any alteration is fine.
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectorError> {
        Ok(true)
    }
}

enum Output {
    File(tokio::io::BufWriter<tokio::fs::File>),
    /// Small blocking writes to stdout (tokio's stdout needs a feature the crate does not enable).
    Stdout,
}

#[derive(Default)]
pub struct FileStreamSinkTask {
    filename: Option<String>,
    output: Option<Output>,
}

impl FileStreamSinkTask {
    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self.output.as_mut() {
            Some(Output::File(w)) => w.write_all(bytes).await,
            Some(Output::Stdout) => std::io::Write::write_all(&mut std::io::stdout().lock(), bytes),
            None => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl SinkTask for FileStreamSinkTask {
    async fn start(
        &mut self,
        config: &ConfigMap,
        _ctx: SinkTaskContext,
    ) -> Result<(), ConnectorError> {
        let parsed = config_def().parse(config)?;
        self.filename = parsed
            .get(FILE_CONFIG)
            .and_then(|p| p.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        self.output = Some(match &self.filename {
            None => Output::Stdout,
            Some(f) => {
                let file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(f)
                    .await
                    .map_err(|e| {
                        ConnectorError::fatal(format!(
                            "Couldn't find or create file '{f}' for FileStreamSinkTask: {e}"
                        ))
                    })?;
                Output::File(tokio::io::BufWriter::new(file))
            }
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectorError> {
        let mut text = String::new();
        for r in records {
            text.push_str(&crate::converters::string::java_to_string(
                r.value_schema.as_deref(),
                &r.value,
            ));
            text.push('\n');
        }
        self.write(text.as_bytes()).await.map_err(|e| {
            ConnectorError::fatal(format!("Could not write to {:?}: {e}", self.filename))
        })
    }

    async fn flush(
        &mut self,
        _offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<(), ConnectorError> {
        let r = match self.output.as_mut() {
            Some(Output::File(w)) => w.flush().await,
            Some(Output::Stdout) => std::io::Write::flush(&mut std::io::stdout().lock()),
            None => Ok(()),
        };
        r.map_err(|e| ConnectorError::fatal(format!("Could not flush {:?}: {e}", self.filename)))
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        self.flush(&BTreeMap::new()).await?;
        self.output = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{schemas, ConnectRecord, Value};

    #[tokio::test]
    async fn writes_values_as_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut cfg = ConfigMap::new();
        cfg.insert("file".into(), path.display().to_string());
        let mut task = FileStreamSinkTask::default();
        task.start(
            &cfg,
            SinkTaskContext {
                connector: "s".into(),
                task: 0,
                reporter: None,
            },
        )
        .await
        .unwrap();
        let recs = vec![
            ConnectRecord::new(
                "t",
                None,
                Value::Null,
                Some(schemas::string()),
                Value::String("hello".into()),
            ),
            ConnectRecord::new("t", None, Value::Null, None, Value::Null),
            ConnectRecord::new("t", None, Value::Null, None, Value::Int64(42)),
        ];
        task.put(&recs).await.unwrap();
        task.flush(&BTreeMap::new()).await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\nnull\n42\n");
    }
}
