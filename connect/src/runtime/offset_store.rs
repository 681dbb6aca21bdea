//! Source offsets (OffsetBackingStore): key `["<connector>",{partition}]`, value the offset map,
//! tombstone = removed. Kept in the offsets topic (distributed) or a local file (standalone; a
//! JSON file, since Kafka's Java-serialized format cannot be shared anyway), replayed at start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::{Map as JsonMap, Value as Json};

use super::topics::InternalTopic;
use crate::connectors::OffsetReader;
use crate::kafka::KafkaError;

pub type JsonObject = JsonMap<String, Json>;

#[derive(Debug, thiserror::Error)]
pub enum OffsetStoreError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error("could not write offsets file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// connector → canonical partition text → (partition, offset).
type Offsets = BTreeMap<String, BTreeMap<String, (JsonObject, JsonObject)>>;

pub struct OffsetStore {
    /// Distributed: the offsets topic (set once at start).
    topic: std::sync::OnceLock<InternalTopic>,
    /// Standalone: the offsets file.
    file: Option<PathBuf>,
    data: Mutex<Offsets>,
    /// Serializes file rewrites.
    file_lock: tokio::sync::Mutex<()>,
}

/// JSON text with object keys sorted, so equal maps compare equal whatever their order.
pub fn canonical(v: &Json) -> String {
    fn sort(v: &Json) -> Json {
        match v {
            Json::Object(m) => {
                let sorted: BTreeMap<&String, Json> = m.iter().map(|(k, v)| (k, sort(v))).collect();
                Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Json::Array(a) => Json::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

fn key_bytes(connector: &str, partition: &JsonObject) -> Vec<u8> {
    serde_json::to_vec(&Json::Array(vec![
        Json::String(connector.to_string()),
        Json::Object(partition.clone()),
    ]))
    .unwrap_or_default()
}

fn parse_key(bytes: &[u8]) -> Option<(String, JsonObject)> {
    let v: Json = serde_json::from_slice(bytes).ok()?;
    let arr = v.as_array()?;
    let name = arr.first()?.as_str()?.to_string();
    let partition = arr.get(1)?.as_object()?.clone();
    Some((name, partition))
}

impl OffsetStore {
    pub fn file(path: PathBuf) -> OffsetStore {
        Self::with(Some(path))
    }

    /// In memory until [`OffsetStore::attach`] gives it the offsets topic.
    pub fn memory() -> OffsetStore {
        Self::with(None)
    }

    pub fn attach(&self, topic: InternalTopic) {
        let _ = self.topic.set(topic);
    }

    fn with(file: Option<PathBuf>) -> OffsetStore {
        OffsetStore {
            topic: std::sync::OnceLock::new(),
            file,
            data: Mutex::new(Offsets::new()),
            file_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn apply(
        data: &mut Offsets,
        connector: &str,
        partition: JsonObject,
        offset: Option<JsonObject>,
    ) {
        let key = canonical(&Json::Object(partition.clone()));
        let entry = data.entry(connector.to_string()).or_default();
        match offset {
            Some(o) => {
                entry.insert(key, (partition, o));
            }
            None => {
                entry.remove(&key);
            }
        }
    }

    /// Writes offsets (None = tombstone) and makes them visible to readers.
    pub async fn write(
        &self,
        connector: &str,
        entries: Vec<(JsonObject, Option<JsonObject>)>,
    ) -> Result<(), OffsetStoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        if let Some(topic) = self.topic.get() {
            let records = entries
                .iter()
                .map(|(p, o)| {
                    (
                        key_bytes(connector, p),
                        o.as_ref()
                            .map(|o| serde_json::to_vec(o).unwrap_or_default()),
                    )
                })
                .collect();
            topic.write_all(records).await?;
        }
        {
            let mut data = self.data.lock();
            for (p, o) in entries {
                Self::apply(&mut data, connector, p, o);
            }
        }
        if let Some(path) = &self.file {
            self.save_file(path).await?;
        }
        Ok(())
    }

    async fn save_file(&self, path: &PathBuf) -> Result<(), OffsetStoreError> {
        let _guard = self.file_lock.lock().await;
        let entries: Vec<Json> = {
            let data = self.data.lock();
            data.iter()
                .flat_map(|(c, m)| {
                    m.values()
                        .map(move |(p, o)| serde_json::json!({"key": [c, p], "value": o}))
                })
                .collect()
        };
        let text = serde_json::to_vec_pretty(&serde_json::json!({ "offsets": entries }))
            .unwrap_or_default();
        let tmp = path.with_extension("tmp");
        let io = |source| OffsetStoreError::Io {
            path: path.clone(),
            source,
        };
        tokio::fs::write(&tmp, text).await.map_err(io)?;
        tokio::fs::rename(&tmp, path).await.map_err(io)?;
        Ok(())
    }

    pub fn get(&self, connector: &str, partition: &JsonObject) -> Option<JsonObject> {
        let key = canonical(&Json::Object(partition.clone()));
        self.data
            .lock()
            .get(connector)?
            .get(&key)
            .map(|(_, o)| o.clone())
    }

    /// Every (partition, offset) of a connector.
    pub fn all(&self, connector: &str) -> Vec<(JsonObject, JsonObject)> {
        self.data
            .lock()
            .get(connector)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub async fn replay(&self) -> Result<(), OffsetStoreError> {
        if let Some(topic) = self.topic.get() {
            let records = topic.read_all().await?;
            let mut data = self.data.lock();
            for r in records {
                let Some((name, partition)) = r.key.as_deref().and_then(parse_key) else {
                    continue;
                };
                let offset = r
                    .value
                    .as_deref()
                    .and_then(|v| serde_json::from_slice::<Json>(v).ok())
                    .and_then(|v| v.as_object().cloned());
                Self::apply(&mut data, &name, partition, offset);
            }
        }
        if let Some(path) = &self.file {
            let bytes = match tokio::fs::read(path).await {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(source) => {
                    return Err(OffsetStoreError::Io {
                        path: path.clone(),
                        source,
                    })
                }
            };
            let Ok(doc) = serde_json::from_slice::<Json>(&bytes) else {
                tracing::warn!("ignoring unreadable offsets file {}", path.display());
                return Ok(());
            };
            let mut data = self.data.lock();
            for e in doc
                .get("offsets")
                .and_then(|o| o.as_array())
                .into_iter()
                .flatten()
            {
                let key = e.get("key").map(|k| k.to_string()).unwrap_or_default();
                let Some((name, partition)) = parse_key(key.as_bytes()) else {
                    continue;
                };
                let offset = e.get("value").and_then(|v| v.as_object()).cloned();
                Self::apply(&mut data, &name, partition, offset);
            }
        }
        Ok(())
    }
}

/// A task's view of its connector's committed offsets.
pub struct StoreOffsetReader {
    pub store: Arc<OffsetStore>,
    pub connector: String,
}

impl OffsetReader for StoreOffsetReader {
    fn offset(&self, partition: &JsonObject) -> Option<JsonObject> {
        self.store.get(&self.connector, partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[tokio::test]
    async fn file_backend_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        let store = OffsetStore::file(path.clone());
        let p = obj(json!({"filename": "/a", "x": 1}));
        store
            .write("c", vec![(p.clone(), Some(obj(json!({"position": 5}))))])
            .await
            .unwrap();
        let reopened = OffsetStore::file(path);
        reopened.replay().await.unwrap();
        let reordered = obj(json!({"x": 1, "filename": "/a"}));
        assert_eq!(
            reopened.get("c", &reordered),
            Some(obj(json!({"position": 5})))
        );
        reopened.write("c", vec![(p.clone(), None)]).await.unwrap();
        assert!(reopened.all("c").is_empty());
    }

    #[test]
    fn key_format() {
        let p = obj(json!({"filename": "/data/in.txt"}));
        assert_eq!(
            String::from_utf8(key_bytes("src", &p)).unwrap(),
            r#"["src",{"filename":"/data/in.txt"}]"#
        );
        assert_eq!(
            parse_key(br#"["src",{"filename":"/data/in.txt"}]"#),
            Some(("src".to_string(), p))
        );
    }
}
