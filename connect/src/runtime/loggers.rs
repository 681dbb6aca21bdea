//! Logger levels for /admin/loggers (Loggers): kept in memory by namespace. The binary can
//! register a listener to apply changes to its tracing filter.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::entities::LoggerLevel;

/// Called with (namespace, level) after a change.
pub type LevelListener = Arc<dyn Fn(&str, &str) + Send + Sync>;

pub const LEVELS: &[&str] = &[
    "OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL",
];

pub struct Loggers {
    levels: Mutex<BTreeMap<String, LoggerLevel>>,
    listener: Mutex<Option<LevelListener>>,
}

impl Loggers {
    pub fn new(root_level: &str) -> Loggers {
        let mut levels = BTreeMap::new();
        levels.insert(
            "root".to_string(),
            LoggerLevel {
                level: root_level.to_string(),
                last_modified: None,
            },
        );
        Loggers {
            levels: Mutex::new(levels),
            listener: Mutex::new(None),
        }
    }

    pub fn set_listener(&self, listener: LevelListener) {
        *self.listener.lock() = Some(listener);
    }

    /// Every logger with an explicit level (root first).
    pub fn all(&self) -> Vec<(String, LoggerLevel)> {
        let levels = self.levels.lock();
        let mut out: Vec<(String, LoggerLevel)> = Vec::new();
        if let Some(root) = levels.get("root") {
            out.push(("root".to_string(), root.clone()));
        }
        out.extend(
            levels
                .iter()
                .filter(|(k, _)| *k != "root")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        out
    }

    pub fn level(&self, name: &str) -> Option<LoggerLevel> {
        self.levels.lock().get(name).cloned()
    }

    /// Normalises a level name (case-insensitive); None when invalid.
    pub fn parse_level(level: &str) -> Option<&'static str> {
        let upper = level.trim().to_ascii_uppercase();
        LEVELS.iter().copied().find(|l| *l == upper)
    }

    /// Sets a namespace and all its known descendants; returns the affected names, sorted.
    pub fn set(&self, namespace: &str, level: &'static str, now_ms: i64) -> Vec<String> {
        let mut affected = Vec::new();
        {
            let mut levels = self.levels.lock();
            let prefix = format!("{namespace}.");
            for (name, l) in levels.iter_mut() {
                if namespace == "root" || name.starts_with(&prefix) {
                    l.level = level.to_string();
                    l.last_modified = Some(now_ms);
                    affected.push(name.clone());
                }
            }
            if !levels.contains_key(namespace) {
                levels.insert(
                    namespace.to_string(),
                    LoggerLevel {
                        level: level.to_string(),
                        last_modified: Some(now_ms),
                    },
                );
                affected.push(namespace.to_string());
            }
        }
        affected.sort();
        affected.dedup();
        if let Some(l) = self.listener.lock().clone() {
            l(namespace, level);
        }
        affected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_list() {
        let l = Loggers::new("INFO");
        assert_eq!(Loggers::parse_level("debug"), Some("DEBUG"));
        assert_eq!(Loggers::parse_level("loud"), None);
        assert_eq!(l.set("org.foo.bar", "DEBUG", 5), vec!["org.foo.bar"]);
        assert_eq!(l.set("org.foo", "WARN", 6), vec!["org.foo", "org.foo.bar"]);
        let names: Vec<String> = l.all().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["root", "org.foo", "org.foo.bar"]);
        assert_eq!(l.level("root").unwrap().last_modified, None);
    }
}
