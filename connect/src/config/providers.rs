//! Config providers and variable substitution (ConfigTransformer, §0.3): `${env:VAR}`,
//! `${file:path:key}`, `${directory:path:file}`. Unknown providers and missing keys leave the
//! text verbatim. Connector configs are stored raw and substituted only when used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ConfigMap;

pub const FILE_PROVIDER: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
pub const ENV_PROVIDER: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
pub const DIRECTORY_PROVIDER: &str =
    "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

#[derive(Debug, Clone)]
enum Provider {
    Env {
        allowlist: Option<fancy_regex::Regex>,
    },
    File {
        allowed_paths: Option<Vec<PathBuf>>,
    },
    Directory {
        allowed_paths: Option<Vec<PathBuf>>,
    },
}

/// The configured providers by name (`env`, `file`, `directory` unless the worker says otherwise).
#[derive(Debug, Clone)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl Default for ConfigProviders {
    /// All three providers under their usual names: Sluice enables them by default.
    fn default() -> Self {
        let mut providers = BTreeMap::new();
        providers.insert("env".to_string(), Provider::Env { allowlist: None });
        providers.insert(
            "file".to_string(),
            Provider::File {
                allowed_paths: None,
            },
        );
        providers.insert(
            "directory".to_string(),
            Provider::Directory {
                allowed_paths: None,
            },
        );
        ConfigProviders { providers }
    }
}

fn pattern() -> &'static fancy_regex::Regex {
    static RE: std::sync::OnceLock<fancy_regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        fancy_regex::Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")
            .unwrap_or_else(|_| unreachable!("constant pattern"))
    })
}

impl ConfigProviders {
    pub fn none() -> ConfigProviders {
        ConfigProviders {
            providers: BTreeMap::new(),
        }
    }

    /// From the worker's `config.providers`, `config.providers.<n>.class` and
    /// `config.providers.<n>.param.*` settings. `names` None = the default set.
    pub fn from_worker(
        names: Option<&[String]>,
        originals: &ConfigMap,
    ) -> Result<ConfigProviders, String> {
        let Some(names) = names else {
            return Ok(ConfigProviders::default());
        };
        let mut providers = BTreeMap::new();
        for name in names.iter().filter(|n| !n.is_empty()) {
            let class_key = format!("config.providers.{name}.class");
            let class = originals
                .get(&class_key)
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let param = |p: &str| {
                originals
                    .get(&format!("config.providers.{name}.param.{p}"))
                    .cloned()
            };
            let paths = param("allowed.paths").map(|s| {
                s.split(',')
                    .map(|p| PathBuf::from(p.trim()))
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect::<Vec<_>>()
            });
            let provider = match class.as_str() {
                FILE_PROVIDER | "FileConfigProvider" => Provider::File { allowed_paths: paths },
                DIRECTORY_PROVIDER | "DirectoryConfigProvider" => Provider::Directory { allowed_paths: paths },
                ENV_PROVIDER | "EnvVarConfigProvider" => {
                    let allowlist = match param("allowlist.pattern") {
                        Some(p) => Some(
                            fancy_regex::Regex::new(&format!("^(?:{p})$"))
                                .map_err(|e| format!("Invalid value {p} for configuration allowlist.pattern: {e}"))?,
                        ),
                        None => None,
                    };
                    Provider::Env { allowlist }
                }
                "" => return Err(format!("Missing required configuration \"{class_key}\" which has no default value.")),
                other => {
                    return Err(format!(
                        "Invalid value {other} for configuration {class_key}: Class {other} could not be found."
                    ))
                }
            };
            providers.insert(name.clone(), provider);
        }
        Ok(ConfigProviders { providers })
    }

    /// Substitutes every `${provider:[path:]key}` reference it can resolve.
    pub fn transform(&self, config: &ConfigMap) -> ConfigMap {
        config
            .iter()
            .map(|(k, v)| (k.clone(), self.transform_value(v)))
            .collect()
    }

    pub fn transform_value(&self, value: &str) -> String {
        if !value.contains("${") {
            return value.to_string();
        }
        let mut out = String::with_capacity(value.len());
        let mut last = 0;
        for caps in pattern().captures_iter(value).flatten() {
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&value[last..whole.start()]);
            let provider = caps.get(1).map(|m| m.as_str()).unwrap_or("");
            let path = caps.get(3).map(|m| m.as_str()).unwrap_or("");
            let key = caps.get(4).map(|m| m.as_str()).unwrap_or("");
            match self.lookup(provider, path, key) {
                Some(v) => out.push_str(&v),
                None => out.push_str(whole.as_str()),
            }
            last = whole.end();
        }
        out.push_str(&value[last..]);
        out
    }

    /// Whether a value holds a reference (ConfigTransformer's pattern matches).
    pub fn has_reference(value: &str) -> bool {
        value.contains("${") && pattern().is_match(value).unwrap_or(false)
    }

    /// reverseTransform: task config values whose connector-level raw value held a reference
    /// get the raw text back, so secrets are not stored or shown in task configs.
    pub fn reverse_transform(raw_connector: &ConfigMap, task: &ConfigMap) -> ConfigMap {
        task.iter()
            .map(|(k, v)| match raw_connector.get(k) {
                Some(raw) if Self::has_reference(raw) => (k.clone(), raw.clone()),
                _ => (k.clone(), v.clone()),
            })
            .collect()
    }

    fn lookup(&self, provider: &str, path: &str, key: &str) -> Option<String> {
        match self.providers.get(provider)? {
            Provider::Env { allowlist } => {
                if !path.is_empty() {
                    tracing::warn!(
                        "Path is not supported for EnvVarConfigProvider, invalid value '{path}'"
                    );
                    return None;
                }
                if let Some(re) = allowlist {
                    if !re.is_match(key).unwrap_or(false) {
                        return None;
                    }
                }
                std::env::var(key).ok()
            }
            Provider::File { allowed_paths } => {
                let path = allowed(Path::new(path), allowed_paths.as_deref())?;
                match super::properties::read_file(&path) {
                    Ok(props) => props.get(key).cloned(),
                    Err(e) => {
                        tracing::warn!(
                            "could not read config provider file {}: {e}",
                            path.display()
                        );
                        None
                    }
                }
            }
            Provider::Directory { allowed_paths } => {
                let dir = allowed(Path::new(path), allowed_paths.as_deref())?;
                if key.contains('/') || key == ".." {
                    return None;
                }
                let file = dir.join(key);
                let meta = std::fs::metadata(&file).ok()?;
                if !meta.is_file() {
                    return None;
                }
                std::fs::read_to_string(&file).ok()
            }
        }
    }
}

/// `allowed.paths`: the path must lie under one of them (after normalisation).
fn allowed(path: &Path, allowed_paths: Option<&[PathBuf]>) -> Option<PathBuf> {
    let Some(allowed) = allowed_paths else {
        return Some(path.to_path_buf());
    };
    let normalized = normalize(path);
    if allowed.iter().any(|a| normalized.starts_with(normalize(a))) {
        Some(normalized)
    } else {
        tracing::warn!("The path {} is not allowed to be accessed", path.display());
        None
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_env_file_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let props = dir.path().join("db.properties");
        std::fs::write(&props, "password=s3cret\nuser = admin\n").unwrap();
        std::fs::write(dir.path().join("token"), "tok\n").unwrap();
        std::env::set_var("SLUICE_TEST_PROVIDER_VAR", "from-env");
        let p = ConfigProviders::default();
        let cfg = map(&[
            ("a", "${env:SLUICE_TEST_PROVIDER_VAR}"),
            ("b", &format!("${{file:{}:password}}", props.display())),
            (
                "c",
                &format!("x-${{directory:{}:token}}-y", dir.path().display()),
            ),
            ("d", "${topic}"),
            ("e", "${vault:secret:key}"),
            ("f", &format!("${{file:{}:nope}}", props.display())),
            ("g", "${env:SLUICE_TEST_PROVIDER_MISSING}"),
        ]);
        let out = p.transform(&cfg);
        assert_eq!(out["a"], "from-env");
        assert_eq!(out["b"], "s3cret");
        assert_eq!(out["c"], "x-tok\n-y");
        assert_eq!(out["d"], "${topic}");
        assert_eq!(out["e"], "${vault:secret:key}");
        assert_eq!(out["f"], cfg["f"]);
        assert_eq!(out["g"], cfg["g"]);
    }

    #[test]
    fn worker_settings_and_reverse() {
        let originals = map(&[
            ("config.providers.env.class", ENV_PROVIDER),
            ("config.providers.env.param.allowlist.pattern", "DB_.*"),
        ]);
        let p = ConfigProviders::from_worker(Some(&["env".to_string()]), &originals).unwrap();
        std::env::set_var("DB_SLUICE_X", "1");
        std::env::set_var("NOT_DB_SLUICE_X", "2");
        assert_eq!(p.transform_value("${env:DB_SLUICE_X}"), "1");
        assert_eq!(
            p.transform_value("${env:NOT_DB_SLUICE_X}"),
            "${env:NOT_DB_SLUICE_X}"
        );
        assert_eq!(
            p.transform_value("${file:/etc/passwd:root}"),
            "${file:/etc/passwd:root}"
        );
        let bad = map(&[("config.providers.x.class", "com.Foo")]);
        assert!(ConfigProviders::from_worker(Some(&["x".to_string()]), &bad).is_err());

        let raw = map(&[("password", "${env:DB_SLUICE_X}"), ("user", "u")]);
        let task = map(&[("password", "1"), ("user", "u"), ("task.class", "T")]);
        let rev = ConfigProviders::reverse_transform(&raw, &task);
        assert_eq!(rev["password"], "${env:DB_SLUICE_X}");
        assert_eq!(rev["user"], "u");
    }
}
