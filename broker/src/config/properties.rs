//! Java-style `.properties` parsing and the bitnami-style `KAFKA_CFG_*` environment mapping.

use std::collections::BTreeMap;

/// Parses Java properties text: `key=value`, `key: value` or `key value`; `#`/`!` comments;
/// a trailing backslash continues the line.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        let backslashes = line.chars().rev().take_while(|c| *c == '\\').count();
        if backslashes % 2 == 1 {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        let sep = entry.find(['=', ':', ' ', '\t']);
        let (k, v) = match sep {
            Some(i) => {
                let rest = entry[i..].trim_start_matches([' ', '\t']);
                let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
                (&entry[..i], rest.trim_start())
            }
            None => (entry.as_str(), ""),
        };
        out.insert(unescape(k.trim()), unescape(v.trim_end()));
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Broker settings from the environment: `KAFKA_CFG_LOG_DIRS=/x` becomes `log.dirs=/x`;
/// `KAFKA_KRAFT_CLUSTER_ID` becomes `cluster.id`.
pub fn from_env<I: IntoIterator<Item = (String, String)>>(vars: I) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in vars {
        if let Some(name) = k.strip_prefix("KAFKA_CFG_") {
            out.insert(name.to_ascii_lowercase().replace('_', "."), v);
        } else if k == "KAFKA_KRAFT_CLUSTER_ID" || k == "KAFKA_CLUSTER_ID" {
            out.insert("cluster.id".to_string(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_forms() {
        let p = parse_properties("# c\n! c\na=1\nb : 2\nc 3\nd=x\\\n  y\ne=\n");
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "2");
        assert_eq!(p["c"], "3");
        assert_eq!(p["d"], "xy");
        assert_eq!(p["e"], "");
    }

    #[test]
    fn env_names() {
        let m = from_env(vec![
            ("KAFKA_CFG_LOG_DIRS".to_string(), "/d".to_string()),
            (
                "KAFKA_CFG_ADVERTISED_LISTENERS".to_string(),
                "PLAINTEXT://h:1".to_string(),
            ),
            ("KAFKA_KRAFT_CLUSTER_ID".to_string(), "abc".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ]);
        assert_eq!(m["log.dirs"], "/d");
        assert_eq!(m["advertised.listeners"], "PLAINTEXT://h:1");
        assert_eq!(m["cluster.id"], "abc");
        assert_eq!(m.len(), 3);
    }
}
