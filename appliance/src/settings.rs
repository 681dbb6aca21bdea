//! Merges the configuration sources into one typed broker config and reports problems once,
//! at start, naming the setting.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use sluice_broker::config::properties::{from_env, parse_properties};
use sluice_broker::BrokerConfig;

pub fn broker_config(
    file: Option<&Path>,
    overrides: &[String],
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<BrokerConfig> {
    let mut set: BTreeMap<String, String> = BTreeMap::new();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read config file {}", f.display()))?;
        set.extend(parse_properties(&text));
    }
    set.extend(from_env(env));
    for o in overrides {
        let Some((k, v)) = o.split_once('=') else {
            bail!("--override {o}: expected key=value, e.g. --override log.dirs=/var/lib/sluice");
        };
        set.insert(k.trim().to_string(), v.to_string());
    }
    let (cfg, warnings) =
        BrokerConfig::from_map(set).map_err(|e| anyhow::anyhow!("invalid setting {e}"))?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}
