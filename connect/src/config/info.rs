//! The validation entities of the REST API (ConfigInfos, ConfigInfo, ConfigKeyInfo,
//! ConfigValueInfo) with Jackson's field order, and how a ConfigDef plus validated values become
//! them (AbstractHerder.generateResult).

use serde::Serialize;

use super::def::{ConfigDef, ConfigKey, ConfigValue};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
    pub order: i32,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(key: &ConfigKey) -> ConfigKeyInfo {
        ConfigKeyInfo {
            name: key.name.clone(),
            kind: key.kind.name().to_string(),
            required: !key.has_default(),
            default_value: key.default_parsed().and_then(|p| p.render()),
            importance: key.importance.name().to_string(),
            documentation: key.documentation.clone(),
            group: key.group.clone(),
            width: key.width.name().to_string(),
            display_name: key.display_name.clone(),
            dependents: key.dependents.clone(),
            order: key.order_in_group,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl From<&ConfigValue> for ConfigValueInfo {
    fn from(v: &ConfigValue) -> ConfigValueInfo {
        ConfigValueInfo {
            name: v.name.clone(),
            value: v.value.as_ref().and_then(|p| p.render()),
            recommended_values: v.recommended_values.clone(),
            errors: v.errors.clone(),
            visible: v.visible,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigInfo {
    pub definition: Option<ConfigKeyInfo>,
    pub value: ConfigValueInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// generateResult: pairs each validated value with its key's definition (None for values
    /// whose key the definition does not know).
    pub fn generate(
        name: &str,
        def: &ConfigDef,
        values: &[ConfigValue],
        groups: Vec<String>,
    ) -> ConfigInfos {
        let configs: Vec<ConfigInfo> = values
            .iter()
            .map(|v| ConfigInfo {
                definition: def.key(&v.name).map(ConfigKeyInfo::from),
                value: ConfigValueInfo::from(v),
            })
            .collect();
        let error_count = values.iter().map(|v| v.errors.len()).sum();
        ConfigInfos {
            name: name.to_string(),
            error_count,
            groups,
            configs,
        }
    }

    /// mergeConfigInfos: framework results first, then the connector's.
    pub fn merge(name: &str, parts: Vec<ConfigInfos>) -> ConfigInfos {
        let mut out = ConfigInfos {
            name: name.to_string(),
            error_count: 0,
            groups: Vec::new(),
            configs: Vec::new(),
        };
        for part in parts {
            out.error_count += part.error_count;
            for g in part.groups {
                if !out.groups.contains(&g) {
                    out.groups.push(g);
                }
            }
            out.configs.extend(part.configs);
        }
        out
    }

    /// Every error message, in output order (for the 400 "Connector configuration is invalid").
    pub fn error_messages(&self) -> Vec<String> {
        self.configs
            .iter()
            .flat_map(|c| c.value.errors.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::def::*;
    use super::*;

    #[test]
    fn key_info_field_order() {
        let key = ConfigKey::new(
            "connector.class",
            ConfigType::String,
            Default::Required,
            Importance::High,
            "doc",
        )
        .group("Common", 2, Width::Long, "Connector class");
        let json = serde_json::to_string(&ConfigKeyInfo::from(&key)).unwrap();
        assert_eq!(
            json,
            r#"{"name":"connector.class","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"doc","group":"Common","width":"LONG","display_name":"Connector class","dependents":[],"order":2}"#
        );
    }

    #[test]
    fn password_values_hidden() {
        let def = ConfigDef::new().define(ConfigKey::new(
            "connection.password",
            ConfigType::Password,
            Default::Null,
            Importance::High,
            "",
        ));
        let mut props = super::super::ConfigMap::new();
        props.insert("connection.password".into(), "s3cret".into());
        let values = def.validate(&props);
        let infos = ConfigInfos::generate("x", &def, &values, def.groups());
        let json = serde_json::to_string(&infos).unwrap();
        assert!(json.contains(r#""value":"[hidden]""#), "{json}");
        assert!(!json.contains("s3cret"));
    }
}
