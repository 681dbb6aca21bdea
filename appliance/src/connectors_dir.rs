//! Connectors declared in files: every `*.json` in a directory (Kafka Connect's POST body
//! `{"name":..,"config":{..}}` or a flat config with a `name`) is created or updated at start, so a
//! `docker run` needs no curl script. `${env:VAR}` placeholders stay in the stored config and are
//! resolved by the runtime's config providers, as with the REST API.

use std::path::Path;

use anyhow::{bail, Context};
use sluice_connect::config::ConfigMap;
use sluice_connect::runtime::Herder;

fn as_string(key: &str, v: &serde_json::Value, file: &Path) -> anyhow::Result<String> {
    Ok(match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        other => bail!(
            "{}: config value of {key} must be a string, number or boolean, not {other}",
            file.display()
        ),
    })
}

/// Parses one connector file into (name, config).
pub fn parse(file: &Path, text: &str) -> anyhow::Result<(String, ConfigMap)> {
    let v: serde_json::Value = serde_json::from_str(text)
        .with_context(|| format!("{}: not valid JSON", file.display()))?;
    let Some(obj) = v.as_object() else {
        bail!("{}: expected a JSON object", file.display())
    };
    let (name, cfg_obj) = match obj.get("config") {
        Some(serde_json::Value::Object(c)) => (
            obj.get("name").and_then(|n| n.as_str()).map(str::to_string),
            c,
        ),
        Some(_) => bail!("{}: \"config\" must be an object", file.display()),
        None => (
            obj.get("name").and_then(|n| n.as_str()).map(str::to_string),
            obj,
        ),
    };
    let mut config = ConfigMap::new();
    for (k, v) in cfg_obj {
        config.insert(k.clone(), as_string(k, v, file)?);
    }
    let name = name
        .or_else(|| config.get("name").cloned())
        .or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default()
        .trim()
        .to_string();
    if name.is_empty() {
        bail!("{}: the connector has no name", file.display());
    }
    config.insert("name".to_string(), name.clone());
    Ok((name, config))
}

/// Creates or updates every connector declared in `dir`; unchanged ones are left running.
pub async fn apply(herder: &Herder, dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot read the connectors directory {} (--connectors-dir)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    for f in files {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        let (name, config) = parse(&f, &text)?;
        if herder.connector_config(&name).ok().as_ref() == Some(&config) {
            tracing::info!(connector = %name, file = %f.display(), "connector unchanged");
            continue;
        }
        let (created, _) = herder
            .put_connector_config(&name, config, true, None)
            .await
            .map_err(|e| anyhow::anyhow!("{}: connector {name}: {e}", f.display()))?;
        tracing::info!(connector = %name, file = %f.display(), created, "connector declared in a file applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_and_coercion() {
        let p = Path::new("/x/es-sink.json");
        let (n, c) = parse(p, r#"{"name":"a","config":{"connector.class":"FileStreamSource","tasks.max":1,"file":"${env:IN}"}}"#).unwrap();
        assert_eq!(n, "a");
        assert_eq!(c["tasks.max"], "1");
        assert_eq!(c["file"], "${env:IN}");
        assert_eq!(c["name"], "a");
        let (n, _) = parse(p, r#"{"connector.class":"FileStreamSource"}"#).unwrap();
        assert_eq!(n, "es-sink");
        assert!(parse(p, "{")
            .unwrap_err()
            .to_string()
            .contains("es-sink.json"));
        assert!(parse(p, r#"{"config":{"a":[1]}}"#)
            .unwrap_err()
            .to_string()
            .contains("config value of a"));
    }
}
