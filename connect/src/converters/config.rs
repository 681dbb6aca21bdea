//! Converter settings parsed the way Kafka's ConfigDef parses them (values trimmed, booleans
//! case-insensitive), with Kafka's ConfigException wording naming the offending key.

use std::collections::HashMap;

use super::ConverterError;

fn config_err(key: &str, value: &str, message: &str) -> ConverterError {
    ConverterError::Config {
        key: key.to_string(),
        value: value.to_string(),
        message: message.to_string(),
    }
}

/// A BOOLEAN setting: `true`/`false` in any case, surrounding whitespace ignored.
pub fn bool_setting(
    configs: &HashMap<String, String>,
    key: &str,
    default: bool,
) -> Result<bool, ConverterError> {
    let Some(raw) = configs.get(key) else {
        return Ok(default);
    };
    let v = raw.trim();
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(config_err(
            key,
            v,
            "Expected value to be either true or false",
        ))
    }
}

/// An INT setting (`Integer.parseInt` of the trimmed value).
pub fn int_setting(
    configs: &HashMap<String, String>,
    key: &str,
    default: i32,
) -> Result<i32, ConverterError> {
    let Some(raw) = configs.get(key) else {
        return Ok(default);
    };
    let v = raw.trim();
    v.parse()
        .map_err(|_| config_err(key, v, "Not a number of type INT"))
}

/// A STRING setting, trimmed.
pub fn string_setting<'a>(
    configs: &'a HashMap<String, String>,
    key: &str,
    default: &'a str,
) -> &'a str {
    configs.get(key).map_or(default, |v| v.trim())
}

/// A STRING setting restricted to `allowed` (case-insensitive), as
/// `ConfigDef.CaseInsensitiveValidString`; returns the allowed spelling.
pub fn choice_setting(
    configs: &HashMap<String, String>,
    key: &str,
    default: &'static str,
    allowed: &[&'static str],
) -> Result<&'static str, ConverterError> {
    let v = string_setting(configs, key, default);
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(v))
        .copied()
        .ok_or_else(|| {
            config_err(
                key,
                v,
                &format!(
                    "String must be one of (case insensitive): {}",
                    allowed.join(", ")
                ),
            )
        })
}
