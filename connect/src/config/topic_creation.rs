//! Topic creation by source connectors (KIP-158): with the worker's `topic.creation.enable`
//! (true by default) and any `topic.creation.*` key on a source connector, a topic the task
//! writes to that does not exist yet is created with the settings of the first group of
//! `topic.creation.groups` whose `include` patterns match it (and `exclude` ones do not), else
//! of the `default` group: `replication.factor`, `partitions` (both required for `default`, -1
//! for the broker's default) and any other key as a topic config (`cleanup.policy`,
//! `compression.type`, `retention.ms`, ...).

use super::def::{split_list, ConfigType, Default, Importance, Parsed, Validator, Width};
use super::{ConfigDef, ConfigError, ConfigKey, ConfigMap};
use crate::runtime::topics::java_full_match_regex;

pub const PREFIX: &str = "topic.creation.";
pub const GROUPS: &str = "topic.creation.groups";
const DEFAULT_GROUP: &str = "default";
const OWN_KEYS: &[&str] = &["include", "exclude", "replication.factor", "partitions"];

fn minus_one_or_positive(name: &str, v: &Parsed) -> Result<(), ConfigError> {
    match v.as_i64() {
        Some(n) if n != -1 && n < 1 => Err(ConfigError::invalid(
            name,
            &n.to_string(),
            "Value must be -1 or at least 1",
        )),
        _ => Ok(()),
    }
}

fn regexes(name: &str, v: &Parsed) -> Result<(), ConfigError> {
    for p in v.as_list().unwrap_or_default() {
        if let Err(e) = java_full_match_regex(p) {
            return Err(ConfigError::invalid(
                name,
                p,
                format!("Not a valid regular expression: {e}"),
            ));
        }
    }
    Ok(())
}

/// Whether a source connector's config asks for topic creation (any `topic.creation.*` key).
pub fn used(props: &ConfigMap) -> bool {
    props.keys().any(|k| k.starts_with(PREFIX))
}

fn aliases(props: &ConfigMap) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in props
        .get(GROUPS)
        .map(|v| split_list(v.trim()))
        .unwrap_or_default()
    {
        if !a.is_empty() && a != DEFAULT_GROUP && !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// SourceConnectorConfig.enrich: the `default` group's keys (replication factor and partitions
/// required) and each configured group's, so validation reports them per field.
pub fn enrich(def: &mut ConfigDef, props: &ConfigMap) {
    if !used(props) {
        return;
    }
    let mut groups = vec![DEFAULT_GROUP.to_string()];
    groups.extend(aliases(props));
    for g in groups {
        let is_default = g == DEFAULT_GROUP;
        let key = |k: &str| format!("{PREFIX}{g}.{k}");
        let (include, count) = if is_default {
            (Default::Value(".*"), Default::Required)
        } else {
            (Default::Value(""), Default::Value("-1"))
        };
        let mut order = 0;
        let mut next = || {
            order += 1;
            order
        };
        def.add(
            ConfigKey::new(
                &key("include"),
                ConfigType::List,
                include,
                Importance::Low,
                "Regular expressions of the topic names this group's settings apply to.",
            )
            .validator(Validator::Custom(regexes))
            .group(
                &g,
                next(),
                Width::Long,
                &format!("Inclusion Topic Pattern for {g}"),
            ),
        );
        def.add(
            ConfigKey::new(
                &key("exclude"),
                ConfigType::List,
                Default::Value(""),
                Importance::Low,
                "Regular expressions of the topic names excluded from this group (exclusion wins).",
            )
            .validator(Validator::Custom(regexes))
            .group(
                &g,
                next(),
                Width::Long,
                &format!("Exclusion Topic Pattern for {g}"),
            ),
        );
        for (k, what) in [
            ("replication.factor", "Replication Factor"),
            ("partitions", "Partition Count"),
        ] {
            def.add(
                ConfigKey::new(
                    &key(k),
                    ConfigType::Int,
                    count.clone(),
                    Importance::Low,
                    "For new topics created for this connector; -1 uses the broker's default. Required for the default group; other groups get the default group's value.",
                )
                .validator(Validator::Custom(minus_one_or_positive))
                .group(&g, next(), Width::Long, &format!("{what} for Topics in {g}")),
            );
        }
    }
}

/// One group's settings.
#[derive(Debug, Clone)]
pub struct TopicCreationGroup {
    pub name: String,
    include: Vec<fancy_regex::Regex>,
    exclude: Vec<fancy_regex::Regex>,
    pub replication_factor: i16,
    pub partitions: i32,
    pub configs: Vec<(String, String)>,
}

impl TopicCreationGroup {
    fn matches(&self, topic: &str) -> bool {
        let any = |rs: &[fancy_regex::Regex]| rs.iter().any(|r| r.is_match(topic).unwrap_or(false));
        any(&self.include) && !any(&self.exclude)
    }
}

/// A source connector's topic creation settings: configured groups in order, then `default`.
#[derive(Debug, Clone)]
pub struct TopicCreation {
    groups: Vec<TopicCreationGroup>,
    default: TopicCreationGroup,
}

impl TopicCreation {
    /// None when the connector does not use topic creation (or the worker disabled it). The
    /// config was validated with the connector; Err names the key when it is not usable.
    pub fn from_connector(
        props: &ConfigMap,
        worker_enabled: bool,
    ) -> Result<Option<TopicCreation>, String> {
        if !worker_enabled || !used(props) {
            return Ok(None);
        }
        // Parsed and validated by the same definitions validation reports from.
        let mut def = ConfigDef::new();
        enrich(&mut def, props);
        let parsed = def.parse(props).map_err(|e| e.to_string())?;
        let int = |k: &str| parsed.get(k).and_then(Parsed::as_i64).unwrap_or(-1) as i32;
        let patterns = |k: &str| -> Vec<fancy_regex::Regex> {
            let list = parsed.get(k).and_then(Parsed::as_list).unwrap_or_default();
            // Each pattern compiled in validation already.
            list.iter()
                .filter(|p| !p.is_empty())
                .filter_map(|p| java_full_match_regex(p).ok())
                .collect()
        };
        let group = |g: &str, fallback: Option<&TopicCreationGroup>| {
            let prefix = format!("{PREFIX}{g}.");
            let configs = props
                .iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(&prefix)?;
                    (!OWN_KEYS.contains(&rest)).then(|| (rest.to_string(), v.trim().to_string()))
                })
                .collect();
            // Other groups take the default group's counts when they set none.
            let count = |k: &str, of_default: i32| {
                let key = format!("{prefix}{k}");
                match fallback {
                    Some(_) if !props.contains_key(&key) => of_default,
                    _ => int(&key),
                }
            };
            TopicCreationGroup {
                name: g.to_string(),
                include: patterns(&format!("{prefix}include")),
                exclude: patterns(&format!("{prefix}exclude")),
                replication_factor: count(
                    "replication.factor",
                    fallback.map_or(-1, |d| d.replication_factor as i32),
                ) as i16,
                partitions: count("partitions", fallback.map_or(-1, |d| d.partitions)),
                configs,
            }
        };
        let default = group(DEFAULT_GROUP, None);
        let groups = aliases(props)
            .iter()
            .map(|a| group(a, Some(&default)))
            .collect();
        Ok(Some(TopicCreation { groups, default }))
    }

    /// The first configured group that matches the topic, else the default group.
    pub fn group_for(&self, topic: &str) -> &TopicCreationGroup {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .unwrap_or(&self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::tests::map as cfg;

    #[test]
    fn groups_in_order_then_default() {
        let props = cfg(&[
            ("topic.creation.groups", "compacted, big"),
            ("topic.creation.default.replication.factor", "1"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.compression.type", "lz4"),
            (
                "topic.creation.compacted.include",
                "mysql\\..*, schema-changes.*",
            ),
            ("topic.creation.compacted.exclude", "mysql\\.skip"),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.big.include", ".*"),
            ("topic.creation.big.partitions", "6"),
        ]);
        let tc = TopicCreation::from_connector(&props, true)
            .unwrap()
            .unwrap();
        let g = tc.group_for("mysql.inventory");
        assert_eq!(g.name, "compacted");
        assert_eq!(
            g.configs,
            vec![("cleanup.policy".to_string(), "compact".to_string())]
        );
        assert_eq!(
            (g.replication_factor, g.partitions),
            (1, 1),
            "defaults from the default group"
        );
        assert_eq!(tc.group_for("mysql.skip").name, "big");
        assert_eq!(tc.group_for("other").partitions, 6);
        assert!(TopicCreation::from_connector(&props, false)
            .unwrap()
            .is_none());
        assert!(TopicCreation::from_connector(&cfg(&[]), true)
            .unwrap()
            .is_none());
        let only_default = cfg(&[
            ("topic.creation.default.replication.factor", "-1"),
            ("topic.creation.default.partitions", "3"),
        ]);
        let tc = TopicCreation::from_connector(&only_default, true)
            .unwrap()
            .unwrap();
        assert_eq!(tc.group_for("x").name, "default");
        assert_eq!(tc.group_for("x").partitions, 3);
    }

    #[test]
    fn validation_requires_the_default_group() {
        let props = cfg(&[
            ("topic.creation.default.partitions", "0"),
            ("topic.creation.groups", "g"),
            ("topic.creation.g.include", "(unclosed"),
        ]);
        let mut def = ConfigDef::new();
        enrich(&mut def, &props);
        let values = def.validate(&props);
        let errors: Vec<String> = values.iter().flat_map(|v| v.errors.clone()).collect();
        assert!(
            errors.contains(&"Missing required configuration \"topic.creation.default.replication.factor\" which has no default value.".to_string()),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"Invalid value 0 for configuration topic.creation.default.partitions: Value must be -1 or at least 1".to_string()),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("topic.creation.g.include") && e.contains("regular expression")), "{errors:?}");
        assert!(TopicCreation::from_connector(&props, true).is_err());
    }
}
