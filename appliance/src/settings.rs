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

/// The worker config of `sluice connect`: like the default mode's, but bootstrap.servers must be
/// given (worker file, CONNECT_BOOTSTRAP_SERVERS or BOOTSTRAP_SERVERS), since there is no
/// embedded broker to fall back on.
pub fn external_connect_config(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<sluice_connect::config::WorkerConfig> {
    let props = match file {
        Some(p) => sluice_connect::config::properties::read_file(p)
            .with_context(|| format!("cannot read worker config {}", p.display()))?,
        None => Default::default(),
    };
    let cfg = sluice_connect::config::WorkerConfig::from_sources(props, env)
        .map_err(|e| anyhow::anyhow!("invalid Connect worker setting {e}"))?;
    let given = cfg
        .originals
        .get("bootstrap.servers")
        .is_some_and(|v| !v.trim().is_empty());
    if !given || cfg.bootstrap_servers.iter().all(|s| s.trim().is_empty()) {
        bail!("bootstrap.servers is required by `sluice connect`: set BOOTSTRAP_SERVERS=host:9092 (or CONNECT_BOOTSTRAP_SERVERS, or bootstrap.servers in --connect-config)");
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn connect_requires_bootstrap_servers() {
        let e = external_connect_config(None, env(&[])).unwrap_err();
        assert!(e.to_string().contains("bootstrap.servers"), "{e}");
        let e = external_connect_config(None, env(&[("BOOTSTRAP_SERVERS", " ")])).unwrap_err();
        assert!(e.to_string().contains("bootstrap.servers"), "{e}");
    }

    #[test]
    fn connect_takes_debezium_and_connect_names() {
        let c = external_connect_config(None, env(&[("BOOTSTRAP_SERVERS", "k1:9092,k2:9092")]))
            .unwrap();
        assert_eq!(c.bootstrap_servers, vec!["k1:9092", "k2:9092"]);
        let c = external_connect_config(None, env(&[("CONNECT_BOOTSTRAP_SERVERS", "k3:9093")]))
            .unwrap();
        assert_eq!(c.bootstrap_servers, vec!["k3:9093"]);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("worker.properties");
        std::fs::write(&f, "bootstrap.servers=k4:9094\ngroup.id=g\n").unwrap();
        let c = external_connect_config(Some(&f), env(&[])).unwrap();
        assert_eq!(c.bootstrap_servers, vec!["k4:9094"]);
        assert_eq!(c.group_id, "g");
    }
}
