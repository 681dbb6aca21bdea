//! FileStreamSourceConnector / FileStreamSourceTask: one task reads lines appended to `file`
//! (stdin when unset) and emits them to `topic`, source partition `{"filename":f}`, offset
//! `{"position":p}` = byte position after the line; a restarted task resumes there.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map as JsonMap};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;

use crate::config::def::{ConfigKey, ConfigType, Default, Importance, Validator};
use crate::config::{ConfigDef, ConfigMap};
use crate::connectors::{
    Connector, ConnectorContext, ConnectorError, SourceConnector, SourceRecord, SourceTask,
    SourceTaskContext,
};
use crate::data::{schemas, ConnectRecord, Value};

pub const FILE_CONFIG: &str = "file";
pub const TOPIC_CONFIG: &str = "topic";
pub const BATCH_SIZE_CONFIG: &str = "batch.size";
pub const FILENAME_FIELD: &str = "filename";
pub const POSITION_FIELD: &str = "position";

/// How long a poll waits when the file has nothing new (Kafka waits 1 s; shorter keeps latency low).
const IDLE_WAIT: Duration = Duration::from_millis(200);
const MISSING_FILE_WAIT: Duration = Duration::from_secs(1);

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(
            FILE_CONFIG,
            ConfigType::String,
            Default::Null,
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        ))
        .define(
            ConfigKey::new(TOPIC_CONFIG, ConfigType::String, Default::Required, Importance::High, "The topic to publish data to")
                .validator(Validator::NonEmptyString),
        )
        .define(ConfigKey::new(
            BATCH_SIZE_CONFIG,
            ConfigType::Int,
            Default::Value("2000"),
            Importance::Low,
            "The maximum number of records the source task can read from the file each time it is polled",
        ))
}

#[derive(Default)]
pub struct FileStreamSourceConnector {
    props: ConfigMap,
}

#[async_trait::async_trait]
impl Connector for FileStreamSourceConnector {
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

    /// Only one input stream makes sense: always one task, with the connector's config.
    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectorError> {
        Ok(vec![self.props.clone()])
    }
}

#[async_trait::async_trait]
impl SourceConnector for FileStreamSourceConnector {
    async fn alter_offsets(
        &self,
        _config: &ConfigMap,
        offsets: &[(
            JsonMap<String, serde_json::Value>,
            Option<JsonMap<String, serde_json::Value>>,
        )],
    ) -> Result<bool, ConnectorError> {
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let Some(position) = offset.get(POSITION_FIELD) else {
                return Err(ConnectorError::fatal(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(ConnectorError::fatal(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(ConnectorError::fatal(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if !partition.contains_key(FILENAME_FIELD) {
                return Err(ConnectorError::fatal(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

/// The file, or stdin read by a helper thread (tokio's stdin needs a feature the crate does
/// not enable; a thread is what tokio would use anyway).
enum Input {
    File(tokio::fs::File),
    Stdin(mpsc::Receiver<Vec<u8>>),
}

fn stdin_reader() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

#[derive(Default)]
pub struct FileStreamSourceTask {
    filename: Option<String>,
    topic: String,
    batch_size: usize,
    context: Option<SourceTaskContext>,
    input: Option<Input>,
    buffer: Vec<u8>,
    /// Byte position after the last emitted line (None for stdin).
    position: Option<i64>,
}

impl FileStreamSourceTask {
    fn partition(&self) -> Option<JsonMap<String, serde_json::Value>> {
        let f = self.filename.as_ref()?;
        let mut m = JsonMap::new();
        m.insert(FILENAME_FIELD.into(), json!(f));
        Some(m)
    }

    async fn open(&mut self) -> Result<bool, ConnectorError> {
        let Some(filename) = self.filename.clone() else {
            self.input = Some(Input::Stdin(stdin_reader()));
            return Ok(true);
        };
        let mut file = match tokio::fs::File::open(&filename).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!("Couldn't find file {filename} for FileStreamSourceTask, sleeping to wait for it to be created");
                return Ok(false);
            }
            Err(e) => {
                return Err(ConnectorError::fatal(format!(
                    "Error while trying to open file {filename}: {e}"
                )))
            }
        };
        let committed = match (&self.context, self.partition()) {
            (Some(ctx), Some(p)) => ctx.offsets.offset(&p),
            _ => None,
        };
        let mut position = 0;
        if let Some(offset) = committed {
            match offset.get(POSITION_FIELD).and_then(|v| v.as_i64()) {
                Some(p) if p >= 0 => position = p,
                _ => {
                    return Err(ConnectorError::fatal(
                        "Offset position is the incorrect type",
                    ))
                }
            }
            tracing::debug!("Found previous offset, trying to skip to file offset {position}");
            file.seek(std::io::SeekFrom::Start(position as u64))
                .await
                .map_err(|e| {
                    ConnectorError::fatal(format!(
                        "Error while trying to seek to previous offset in file {filename}: {e}"
                    ))
                })?;
        }
        self.position = Some(position);
        self.buffer.clear();
        self.input = Some(Input::File(file));
        Ok(true)
    }

    /// The next complete line in the buffer (terminator `\n`, `\r\n` or `\r` stripped). A `\r`
    /// at the very end waits for the next byte to know whether `\n` follows.
    fn extract_line(&mut self) -> Option<String> {
        let i = self
            .buffer
            .iter()
            .position(|b| *b == b'\n' || *b == b'\r')?;
        let consumed = if self.buffer[i] == b'\r' {
            match self.buffer.get(i + 1) {
                None => return None,
                Some(b'\n') => i + 2,
                Some(_) => i + 1,
            }
        } else {
            i + 1
        };
        let line = String::from_utf8_lossy(&self.buffer[..i]).into_owned();
        self.buffer.drain(..consumed);
        if let Some(p) = self.position.as_mut() {
            *p += consumed as i64;
        }
        Some(line)
    }

    fn record(&self, line: String) -> SourceRecord {
        let mut r = ConnectRecord::new(
            self.topic.clone(),
            None,
            Value::Null,
            Some(schemas::string()),
            Value::String(line),
        );
        r.timestamp = Some(now_ms());
        r.source_partition = self.partition();
        r.source_offset = self.position.map(|p| {
            let mut m = JsonMap::new();
            m.insert(POSITION_FIELD.into(), json!(p));
            m
        });
        r
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait::async_trait]
impl SourceTask for FileStreamSourceTask {
    async fn start(
        &mut self,
        config: &ConfigMap,
        context: SourceTaskContext,
    ) -> Result<(), ConnectorError> {
        let parsed = config_def().parse(config)?;
        self.filename = parsed
            .get(FILE_CONFIG)
            .and_then(|p| p.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        self.topic = parsed
            .get(TOPIC_CONFIG)
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_string();
        self.batch_size = parsed
            .get(BATCH_SIZE_CONFIG)
            .and_then(|p| p.as_i64())
            .unwrap_or(2000)
            .max(1) as usize;
        self.context = Some(context);
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectorError> {
        if self.input.is_none() && !self.open().await? {
            tokio::time::sleep(MISSING_FILE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            while let Some(line) = self.extract_line() {
                records.push(self.record(line));
                if records.len() >= self.batch_size {
                    return Ok(records);
                }
            }
            let n = match self.input.as_mut() {
                None => break,
                Some(Input::File(f)) => f.read(&mut chunk).await.map_err(|e| {
                    ConnectorError::fatal(format!(
                        "Error while reading from file {:?}: {e}",
                        self.filename
                    ))
                })?,
                // Bounded wait: stdin may stay silent and the task must stay responsive.
                Some(Input::Stdin(rx)) => match tokio::time::timeout(IDLE_WAIT, rx.recv()).await {
                    Ok(Some(bytes)) => {
                        self.buffer.extend_from_slice(&bytes);
                        bytes.len()
                    }
                    _ => 0,
                },
            };
            if n == 0 {
                break;
            }
            if matches!(self.input, Some(Input::File(_))) {
                self.buffer.extend_from_slice(&chunk[..n]);
            }
        }
        if records.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> Result<(), ConnectorError> {
        self.input = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::OffsetReader;
    use std::io::Write;

    struct Fixed(Option<JsonMap<String, serde_json::Value>>);
    impl OffsetReader for Fixed {
        fn offset(
            &self,
            _p: &JsonMap<String, serde_json::Value>,
        ) -> Option<JsonMap<String, serde_json::Value>> {
            self.0.clone()
        }
    }

    fn cfg(file: &std::path::Path) -> ConfigMap {
        let mut m = ConfigMap::new();
        m.insert("file".into(), file.display().to_string());
        m.insert("topic".into(), "lines".into());
        m
    }

    fn ctx(offset: Option<i64>) -> SourceTaskContext {
        SourceTaskContext {
            connector: "c".into(),
            task: 0,
            offsets: Arc::new(Fixed(offset.map(|p| {
                let mut m = JsonMap::new();
                m.insert("position".into(), json!(p));
                m
            }))),
            kafka: None,
        }
    }

    #[tokio::test]
    async fn reads_lines_and_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "one\r\ntwo\nthree\rfour").unwrap();
        let mut task = FileStreamSourceTask::default();
        task.start(&cfg(&path), ctx(None)).await.unwrap();
        let recs = task.poll().await.unwrap();
        let lines: Vec<_> = recs
            .iter()
            .map(|r| r.value.as_str().unwrap().to_string())
            .collect();
        assert_eq!(lines, vec!["one", "two", "three"]);
        let positions: Vec<_> = recs
            .iter()
            .map(|r| {
                r.source_offset.as_ref().unwrap()["position"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(positions, vec![5, 9, 15]);
        assert_eq!(
            recs[0].source_partition.as_ref().unwrap()["filename"],
            json!(path.display().to_string())
        );
        assert!(!recs[0].value_schema.as_ref().unwrap().optional);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"\n").unwrap();
        let recs = task.poll().await.unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].value.as_str(), Some("four"));
        assert_eq!(
            recs[0].source_offset.as_ref().unwrap()["position"],
            json!(20)
        );
    }

    #[tokio::test]
    async fn resumes_from_committed_offset_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\nb\nc\nd\n").unwrap();
        let mut task = FileStreamSourceTask::default();
        let mut c = cfg(&path);
        c.insert("batch.size".into(), "2".into());
        task.start(&c, ctx(Some(2))).await.unwrap();
        let recs = task.poll().await.unwrap();
        assert_eq!(
            recs.iter()
                .map(|r| r.value.as_str().unwrap())
                .collect::<Vec<_>>(),
            vec!["b", "c"]
        );
        let recs = task.poll().await.unwrap();
        assert_eq!(
            recs.iter()
                .map(|r| r.value.as_str().unwrap())
                .collect::<Vec<_>>(),
            vec!["d"]
        );
    }

    #[tokio::test]
    async fn alter_offsets_checks() {
        let c = FileStreamSourceConnector::default();
        let mut p = JsonMap::new();
        p.insert("filename".into(), json!("/x"));
        let mut o = JsonMap::new();
        o.insert("position".into(), json!(-1));
        let e = c
            .alter_offsets(&ConfigMap::new(), &[(p.clone(), Some(o))])
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "The value for the 'position' key in the offset should be a non-negative value"
        );
        assert!(c
            .alter_offsets(&ConfigMap::new(), &[(p, None)])
            .await
            .unwrap());
    }
}
