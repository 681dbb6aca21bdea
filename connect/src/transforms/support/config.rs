//! Reading a transform's settings the way Kafka's `ConfigDef.parseType` does: strings are
//! trimmed, booleans are `true`/`false` in any case, lists split on `\s*,\s*`. Errors carry the
//! exact ConfigException wording and name the key (unprefixed; the chain adds `transforms.<a>.`).

use std::collections::HashMap;

use crate::transforms::TransformError;

/// A transform's raw settings with typed getters.
pub struct Props<'a> {
    map: &'a HashMap<String, String>,
}

impl<'a> Props<'a> {
    pub fn new(map: &'a HashMap<String, String>) -> Props<'a> {
        Props { map }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// STRING: trimmed value, None when absent.
    pub fn string(&self, key: &str) -> Option<String> {
        self.map.get(key).map(|v| v.trim().to_string())
    }

    pub fn string_or(&self, key: &str, default: &str) -> String {
        self.string(key).unwrap_or_else(|| default.to_string())
    }

    /// STRING with NO_DEFAULT_VALUE.
    pub fn required_string(&self, key: &str) -> Result<String, TransformError> {
        self.string(key)
            .ok_or_else(|| TransformError::Missing(key.to_string()))
    }

    /// STRING with NO_DEFAULT_VALUE and ConfigDef.NonEmptyString.
    pub fn required_non_empty_string(&self, key: &str) -> Result<String, TransformError> {
        let v = self.required_string(key)?;
        if v.is_empty() {
            return Err(config_error(key, &v, "String must be non-empty"));
        }
        Ok(v)
    }

    /// STRING restricted to one of `options` (ConfigDef.ValidString, case-sensitive).
    pub fn one_of(
        &self,
        key: &str,
        default: Option<&str>,
        options: &[&str],
    ) -> Result<String, TransformError> {
        let v = match (self.string(key), default) {
            (Some(v), _) => v,
            (None, Some(d)) => d.to_string(),
            (None, None) => return Err(TransformError::Missing(key.to_string())),
        };
        if !options.contains(&v.as_str()) {
            return Err(config_error(
                key,
                &v,
                &format!("String must be one of: {}", options.join(", ")),
            ));
        }
        Ok(v)
    }

    /// BOOLEAN with a default.
    pub fn boolean(&self, key: &str, default: bool) -> Result<bool, TransformError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(raw) => parse_bool(key, raw),
        }
    }

    /// INT with a null default.
    pub fn int_opt(&self, key: &str) -> Result<Option<i32>, TransformError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(raw) => parse_java_int(raw.trim())
                .map(Some)
                .ok_or_else(|| config_error(key, raw, "Not a number of type INT")),
        }
    }

    /// INT with a default.
    pub fn int_or(&self, key: &str, default: i32) -> Result<i32, TransformError> {
        Ok(self.int_opt(key)?.unwrap_or(default))
    }

    /// LIST: None when absent.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.map.get(key).map(|v| parse_list(v))
    }

    pub fn list_or_empty(&self, key: &str) -> Vec<String> {
        self.list(key).unwrap_or_default()
    }

    /// LIST with NO_DEFAULT_VALUE and NonEmptyListValidator.
    pub fn non_empty_list(&self, key: &str) -> Result<Vec<String>, TransformError> {
        let list = self
            .list(key)
            .ok_or_else(|| TransformError::Missing(key.to_string()))?;
        if list.is_empty() {
            return Err(config_error(key, &java_list(&list), "Empty list"));
        }
        Ok(list)
    }
}

pub fn config_error(key: &str, value: &str, message: &str) -> TransformError {
    TransformError::Config {
        key: key.to_string(),
        value: value.to_string(),
        message: message.to_string(),
    }
}

/// A ConfigException with only a message, attributed to `key`.
pub fn invalid(key: &str, message: impl Into<String>) -> TransformError {
    TransformError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

pub fn parse_bool(key: &str, raw: &str) -> Result<bool, TransformError> {
    let t = raw.trim();
    if t.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if t.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(config_error(
            key,
            raw,
            "Expected value to be either true or false",
        ))
    }
}

/// ConfigDef LIST parsing: trimmed, empty means [], else split on `\s*,\s*` keeping empties.
pub fn parse_list(raw: &str) -> Vec<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Vec::new();
    }
    t.split(',').map(|s| s.trim().to_string()).collect()
}

/// Java's `List.toString()`: `[a, b]`.
pub fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// Integer.parseInt: optional sign, ASCII digits only.
pub fn parse_java_int(s: &str) -> Option<i32> {
    parse_java_long(s).and_then(|v| i32::try_from(v).ok())
}

/// Long.parseLong: optional `+`/`-`, then at least one ASCII digit.
pub fn parse_java_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_like_configdef() {
        assert_eq!(parse_list(""), Vec::<String>::new());
        assert_eq!(parse_list("  "), Vec::<String>::new());
        assert_eq!(parse_list(" a , b,c "), vec!["a", "b", "c"]);
        assert_eq!(parse_list("a,,b"), vec!["a", "", "b"]);
        assert_eq!(parse_list("a,"), vec!["a", ""]);
    }

    #[test]
    fn booleans_and_ints() {
        assert_eq!(parse_bool("k", " TRUE "), Ok(true));
        assert_eq!(parse_bool("k", "False"), Ok(false));
        let e = parse_bool("k", "yes").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid value yes for configuration k: Expected value to be either true or false"
        );
        assert_eq!(parse_java_int("+12"), Some(12));
        assert_eq!(parse_java_int("1_000"), None);
        assert_eq!(parse_java_int("3000000000"), None);
        assert_eq!(parse_java_long("-"), None);
    }

    #[test]
    fn missing_and_empty_lists() {
        let mut m = HashMap::new();
        let p = Props::new(&m);
        assert_eq!(
            p.non_empty_list("fields").unwrap_err().to_string(),
            "Missing required configuration \"fields\" which has no default value."
        );
        m.insert("fields".to_string(), " ".to_string());
        let p = Props::new(&m);
        assert_eq!(
            p.non_empty_list("fields").unwrap_err().to_string(),
            "Invalid value [] for configuration fields: Empty list"
        );
    }
}
