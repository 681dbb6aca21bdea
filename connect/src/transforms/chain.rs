//! The transformation chain of a connector, built from its config the way Kafka's
//! `ConnectorConfig.transformationStages` does: `transforms` aliases in order, each with `type`,
//! its own settings, an optional `predicate` alias and `negate`. A stage that drops ends the chain.

use std::collections::{BTreeMap, HashMap};

use crate::data::ConnectRecord;
use crate::transforms::support::config::{
    config_error, invalid, java_list, parse_bool, parse_list,
};
use crate::transforms::{
    create_predicate, create_transformation, transformation_class, Predicate, TransformError,
    Transformation,
};

struct Stage {
    alias: String,
    class: String,
    transformation: Box<dyn Transformation>,
    predicate: Option<(Box<dyn Predicate>, bool)>,
}

/// An ordered list of configured transformations with their predicates.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
}

impl std::fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| (&s.alias, &s.class)))
            .finish()
    }
}

/// Parses an alias list (`transforms` / `predicates`), rejecting duplicates like Kafka.
fn aliases(config: &BTreeMap<String, String>, key: &str) -> Result<Vec<String>, TransformError> {
    let list = config.get(key).map(|v| parse_list(v)).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    if !list.iter().all(|a| seen.insert(a.as_str())) {
        return Err(config_error(
            key,
            &java_list(&list),
            "Duplicate alias provided.",
        ));
    }
    Ok(list)
}

/// The settings under `prefix`, prefix stripped, minus the chain's own keys.
fn sub_config(
    config: &BTreeMap<String, String>,
    prefix: &str,
    skip: &[&str],
) -> HashMap<String, String> {
    config
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .filter_map(|(k, v)| {
            let rest = &k[prefix.len()..];
            (!skip.contains(&rest)).then(|| (rest.to_string(), v.clone()))
        })
        .collect()
}

fn class_of(config: &BTreeMap<String, String>, key: &str) -> Result<String, TransformError> {
    config
        .get(key)
        .map(|v| v.trim().to_string())
        .ok_or_else(|| TransformError::Missing(key.to_string()))
}

fn build_predicate(
    config: &BTreeMap<String, String>,
    alias: &str,
) -> Result<Box<dyn Predicate>, TransformError> {
    let prefix = format!("predicates.{alias}.");
    let type_key = format!("{prefix}type");
    let class = class_of(config, &type_key)?;
    let mut predicate = create_predicate(&class).ok_or_else(|| {
        config_error(
            &type_key,
            &class,
            &format!("Class {class} could not be found."),
        )
    })?;
    predicate
        .configure(&sub_config(config, &prefix, &["type"]))
        .map_err(|e| e.with_key_prefix(&prefix))?;
    Ok(predicate)
}

impl TransformChain {
    /// Builds and configures every stage; errors name the full offending key
    /// (`transforms.route.regex`, `predicates.p.type`, ...).
    pub fn from_config(
        config: &BTreeMap<String, String>,
    ) -> Result<TransformChain, TransformError> {
        let transform_aliases = aliases(config, "transforms")?;
        let predicate_aliases = aliases(config, "predicates")?;
        // Kafka validates every declared predicate, used or not.
        for alias in &predicate_aliases {
            build_predicate(config, alias)?;
        }
        let mut stages = Vec::with_capacity(transform_aliases.len());
        for alias in transform_aliases {
            let prefix = format!("transforms.{alias}.");
            let type_key = format!("{prefix}type");
            let class = class_of(config, &type_key)?;
            let mut transformation = create_transformation(&class).ok_or_else(|| {
                config_error(
                    &type_key,
                    &class,
                    &format!("Class {class} could not be found."),
                )
            })?;
            let class = transformation_class(&class).map_or(class, str::to_string);
            let predicate_key = format!("{prefix}predicate");
            let negate_key = format!("{prefix}negate");
            let predicate_alias = config.get(&predicate_key).map(|v| v.trim().to_string());
            let negate = match config.get(&negate_key) {
                Some(raw) => {
                    if predicate_alias.is_none() {
                        return Err(invalid(
                            &negate_key,
                            format!(
                                "Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a predicate to be negated."
                            ),
                        ));
                    }
                    parse_bool(&negate_key, raw)?
                }
                None => false,
            };
            transformation
                .configure(&sub_config(
                    config,
                    &prefix,
                    &["type", "predicate", "negate"],
                ))
                .map_err(|e| e.with_key_prefix(&prefix))?;
            let predicate = match predicate_alias {
                None => None,
                Some(p) => {
                    if !predicate_aliases.contains(&p) {
                        return Err(config_error(
                            &predicate_key,
                            &p,
                            &format!("Unknown predicate '{p}': list it in 'predicates' and set 'predicates.{p}.type'"),
                        ));
                    }
                    Some((build_predicate(config, &p)?, negate))
                }
            };
            stages.push(Stage {
                alias,
                class,
                transformation,
                predicate,
            });
        }
        Ok(TransformChain { stages })
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// The aliases, in application order.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| s.alias.as_str())
    }

    /// The transformation class configured for `alias` (for error reports, which name the
    /// class as Kafka's `ProcessingContext` does).
    pub fn class_of(&self, alias: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|s| s.alias == alias)
            .map(|s| s.class.as_str())
    }

    /// Runs the record through every stage whose predicate (xor `negate`) holds. `Ok(None)`
    /// means a stage dropped it; an error carries the alias of the failing stage.
    pub fn apply(
        &self,
        record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, (String, TransformError)> {
        let mut record = record;
        for stage in &self.stages {
            let run = match &stage.predicate {
                None => true,
                Some((p, negate)) => *negate ^ p.test(&record),
            };
            if !run {
                continue;
            }
            match stage.transformation.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(e) => return Err((stage.alias.clone(), e)),
            }
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
