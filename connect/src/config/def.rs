//! A ConfigDef model as Kafka's org.apache.kafka.common.config.ConfigDef: typed keys with defaults,
//! importance, documentation, group, order, width, display name and validators. Parsing and
//! error messages follow ConfigDef.parseType / parseForValidate word for word (§0.1).

use std::collections::HashMap;
use std::fmt;

use super::ConfigMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn name(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

/// A parsed config value. Passwords never print their text.
#[derive(Clone, PartialEq)]
pub enum Parsed {
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(String),
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Parsed::Password(_) => f.write_str("Password([hidden])"),
            Parsed::Null => f.write_str("Null"),
            other => write!(f, "{}", other.render().unwrap_or_default()),
        }
    }
}

impl Parsed {
    /// ConfigDef.convertToString: how validation output and defaults render a value.
    pub fn render(&self) -> Option<String> {
        Some(match self {
            Parsed::Null => return None,
            Parsed::Boolean(b) => b.to_string(),
            Parsed::String(s) | Parsed::Class(s) => s.clone(),
            Parsed::Int(n) => n.to_string(),
            Parsed::Short(n) => n.to_string(),
            Parsed::Long(n) => n.to_string(),
            Parsed::Double(d) => java_double(*d),
            Parsed::List(items) => items.join(","),
            Parsed::Password(_) => "[hidden]".to_string(),
        })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Parsed::String(s) | Parsed::Class(s) | Parsed::Password(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Parsed::Int(n) => Some(*n as i64),
            Parsed::Short(n) => Some(*n as i64),
            Parsed::Long(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Parsed::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            Parsed::List(items) => Some(items),
            _ => None,
        }
    }
}

/// Java's Double.toString for the common cases (plain notation between 1e-3 and 1e7).
fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = d.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = format!("{d}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{d:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

/// Kafka's ConfigException, rendered exactly as Java renders it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// `Invalid value <v> for configuration <k>: <message>`.
    #[error("Invalid value {value} for configuration {key}: {message}")]
    Invalid {
        key: String,
        value: String,
        message: String,
    },
    #[error("Missing required configuration \"{0}\" which has no default value.")]
    Missing(String),
    /// A message that stands alone (ConfigException(String)).
    #[error("{message}")]
    Other { key: String, message: String },
}

impl ConfigError {
    pub fn invalid(key: &str, value: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }

    pub fn key(&self) -> &str {
        match self {
            ConfigError::Invalid { key, .. } | ConfigError::Other { key, .. } => key,
            ConfigError::Missing(key) => key,
        }
    }
}

/// A custom check: gets the key name and the parsed value.
pub type CheckFn = fn(&str, &Parsed) -> Result<(), ConfigError>;

#[derive(Clone)]
pub enum Validator {
    /// Range.atLeast.
    AtLeast(i64),
    /// Range.between.
    Between(i64, i64),
    /// ValidString.in (case sensitive).
    OneOf(&'static [&'static str]),
    /// CaseInsensitiveValidString.in.
    OneOfIgnoreCase(&'static [&'static str]),
    NonEmptyString,
    NonEmptyStringWithoutControlChars,
    /// A java.util.regex pattern (compiled with fancy-regex).
    Regex,
    Custom(CheckFn),
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validator::Custom(_) => f.write_str("Custom"),
            Validator::AtLeast(n) => write!(f, "AtLeast({n})"),
            Validator::Between(a, b) => write!(f, "Between({a},{b})"),
            Validator::OneOf(v) | Validator::OneOfIgnoreCase(v) => write!(f, "OneOf({v:?})"),
            Validator::NonEmptyString => f.write_str("NonEmptyString"),
            Validator::NonEmptyStringWithoutControlChars => {
                f.write_str("NonEmptyStringWithoutControlChars")
            }
            Validator::Regex => f.write_str("Regex"),
        }
    }
}

impl Validator {
    pub fn ensure_valid(&self, name: &str, value: &Parsed) -> Result<(), ConfigError> {
        let shown = value.render().unwrap_or_else(|| "null".to_string());
        match self {
            Validator::AtLeast(min) | Validator::Between(min, _) => {
                let Some(n) = value.as_i64() else {
                    return Ok(());
                };
                if n < *min {
                    let msg = if matches!(self, Validator::AtLeast(_)) {
                        format!("Value must be at least {min}")
                    } else {
                        format!("Value must be no less than {min}")
                    };
                    return Err(ConfigError::invalid(name, &shown, msg));
                }
                if let Validator::Between(_, max) = self {
                    if n > *max {
                        return Err(ConfigError::invalid(
                            name,
                            &shown,
                            format!("Value must be no more than {max}"),
                        ));
                    }
                }
                Ok(())
            }
            Validator::OneOf(allowed) => match value.as_str() {
                Some(s) if allowed.contains(&s) => Ok(()),
                _ => Err(ConfigError::invalid(
                    name,
                    &shown,
                    format!("String must be one of: {}", allowed.join(", ")),
                )),
            },
            Validator::OneOfIgnoreCase(allowed) => match value.as_str() {
                Some(s) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => Ok(()),
                _ => Err(ConfigError::invalid(
                    name,
                    &shown,
                    format!(
                        "String must be one of (case insensitive): {}",
                        allowed.join(", ")
                    ),
                )),
            },
            Validator::NonEmptyString => match value.as_str() {
                Some("") => Err(ConfigError::invalid(
                    name,
                    &shown,
                    "String must be non-empty",
                )),
                _ => Ok(()),
            },
            Validator::NonEmptyStringWithoutControlChars => match value.as_str() {
                Some("") => Err(ConfigError::invalid(
                    name,
                    &shown,
                    "String may not be empty",
                )),
                Some(s) => {
                    let controls: Vec<String> = s
                        .chars()
                        .filter(|c| c.is_control())
                        .map(|c| (c as u32).to_string())
                        .collect();
                    if controls.is_empty() {
                        Ok(())
                    } else {
                        Err(ConfigError::invalid(
                            name,
                            &shown,
                            format!(
                                "String may not contain control sequences but had the following ASCII chars: {}",
                                controls.join(", ")
                            ),
                        ))
                    }
                }
                None => Ok(()),
            },
            Validator::Regex => match value.as_str() {
                Some(s) => crate::runtime::topics::java_full_match_regex(s)
                    .map(|_| ())
                    .map_err(|e| ConfigError::invalid(name, s, e)),
                None => Ok(()),
            },
            Validator::Custom(f) => f(name, value),
        }
    }
}

/// A key's default: none (required), Java null, or a value given as its string form.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    Required,
    Null,
    Value(&'static str),
    Owned(String),
}

#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub kind: ConfigType,
    pub default: Default,
    pub validator: Option<Validator>,
    pub importance: Importance,
    pub documentation: String,
    pub group: Option<String>,
    pub order_in_group: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
}

impl ConfigKey {
    /// A key without group (order -1, width NONE, display name = name), as ConfigDef.define(name,
    /// type, default, importance, doc).
    pub fn new(
        name: &str,
        kind: ConfigType,
        default: Default,
        importance: Importance,
        doc: &str,
    ) -> ConfigKey {
        ConfigKey {
            name: name.to_string(),
            kind,
            default,
            validator: None,
            importance,
            documentation: doc.to_string(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            display_name: name.to_string(),
            dependents: Vec::new(),
        }
    }

    pub fn group(mut self, group: &str, order: i32, width: Width, display: &str) -> ConfigKey {
        self.group = Some(group.to_string());
        self.order_in_group = order;
        self.width = width;
        self.display_name = display.to_string();
        self
    }

    pub fn validator(mut self, v: Validator) -> ConfigKey {
        self.validator = Some(v);
        self
    }

    pub fn has_default(&self) -> bool {
        !matches!(self.default, Default::Required)
    }

    /// The default as a parsed value (None when required).
    pub fn default_parsed(&self) -> Option<Parsed> {
        match &self.default {
            Default::Required => None,
            Default::Null => Some(Parsed::Null),
            Default::Value(s) => parse_type(&self.name, s, self.kind).ok(),
            Default::Owned(s) => parse_type(&self.name, s, self.kind).ok(),
        }
    }

    /// ConfigDef.parseValue: the given value (or the default) parsed and validated.
    pub fn parse(&self, raw: Option<&str>) -> Result<Parsed, ConfigError> {
        let parsed = match raw {
            Some(s) => parse_type(&self.name, s, self.kind)?,
            None => match self.default_parsed() {
                Some(p) => p,
                None => return Err(ConfigError::Missing(self.name.clone())),
            },
        };
        if let Some(v) = &self.validator {
            v.ensure_valid(&self.name, &parsed)?;
        }
        Ok(parsed)
    }
}

/// ConfigDef.parseType for string input.
pub fn parse_type(name: &str, value: &str, kind: ConfigType) -> Result<Parsed, ConfigError> {
    let trimmed = value.trim();
    let not_number =
        || ConfigError::invalid(name, value, format!("Not a number of type {}", kind.name()));
    Ok(match kind {
        ConfigType::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") {
                Parsed::Boolean(true)
            } else if trimmed.eq_ignore_ascii_case("false") {
                Parsed::Boolean(false)
            } else {
                return Err(ConfigError::invalid(
                    name,
                    value,
                    "Expected value to be either true or false",
                ));
            }
        }
        ConfigType::String => Parsed::String(trimmed.to_string()),
        ConfigType::Password => Parsed::Password(trimmed.to_string()),
        ConfigType::Int => Parsed::Int(java_int(trimmed).ok_or_else(not_number)?),
        ConfigType::Short => Parsed::Short(java_int(trimmed).ok_or_else(not_number)?),
        ConfigType::Long => Parsed::Long(java_int(trimmed).ok_or_else(not_number)?),
        ConfigType::Double => Parsed::Double(java_double_parse(trimmed).ok_or_else(not_number)?),
        ConfigType::List => {
            if trimmed.is_empty() {
                Parsed::List(Vec::new())
            } else {
                Parsed::List(split_list(trimmed))
            }
        }
        ConfigType::Class => Parsed::Class(trimmed.to_string()),
    })
}

/// Integer.parseInt: optional sign, ASCII digits only.
fn java_int<T: std::str::FromStr>(s: &str) -> Option<T> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

fn java_double_parse(s: &str) -> Option<f64> {
    let s = s.trim_end_matches(['d', 'D', 'f', 'F']);
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if s
            .chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

/// Splits on `\s*,\s*` with Java's limit -1 semantics (empty items kept).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(|item| item.trim().to_string()).collect()
}

/// The result of validating one key (ConfigValue): the parsed value and error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<Parsed>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

impl ConfigValue {
    pub fn new(name: &str) -> ConfigValue {
        ConfigValue {
            name: name.to_string(),
            value: None,
            recommended_values: Vec::new(),
            errors: Vec::new(),
            visible: true,
        }
    }
}

/// An ordered set of keys (definition order is the order of validation output).
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    pub keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> ConfigDef {
        ConfigDef::default()
    }

    /// Adds a key; a later definition of the same name replaces the earlier one in place.
    pub fn define(mut self, key: ConfigKey) -> ConfigDef {
        self.add(key);
        self
    }

    pub fn add(&mut self, key: ConfigKey) {
        if let Some(existing) = self.keys.iter_mut().find(|k| k.name == key.name) {
            *existing = key;
        } else {
            self.keys.push(key);
        }
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Groups in first-appearance order.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for k in &self.keys {
            if let Some(g) = &k.group {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
        }
        groups
    }

    /// ConfigDef.validate: one ConfigValue per defined key, in definition order.
    pub fn validate(&self, props: &ConfigMap) -> Vec<ConfigValue> {
        self.keys
            .iter()
            .map(|key| {
                let mut cv = ConfigValue::new(&key.name);
                match key.parse(props.get(&key.name).map(String::as_str)) {
                    Ok(v) => cv.value = Some(v),
                    Err(e) => {
                        // A value that parses but fails its validator still shows as given.
                        if let Some(raw) = props.get(&key.name) {
                            cv.value = parse_type(&key.name, raw, key.kind).ok();
                        }
                        cv.errors.push(e.to_string());
                    }
                }
                cv
            })
            .collect()
    }

    /// AbstractConfig: parses every key, failing on the first error (used where a config must be
    /// valid, e.g. when a connector or task starts).
    pub fn parse(&self, props: &ConfigMap) -> Result<HashMap<String, Parsed>, ConfigError> {
        let mut out = HashMap::new();
        for key in &self.keys {
            out.insert(
                key.name.clone(),
                key.parse(props.get(&key.name).map(String::as_str))?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_java() {
        assert_eq!(
            parse_type("k", " 12 ", ConfigType::Int),
            Ok(Parsed::Int(12))
        );
        assert_eq!(
            parse_type("k", "1e3", ConfigType::Int)
                .unwrap_err()
                .to_string(),
            "Invalid value 1e3 for configuration k: Not a number of type INT"
        );
        assert_eq!(
            parse_type("k", "yes", ConfigType::Boolean)
                .unwrap_err()
                .to_string(),
            "Invalid value yes for configuration k: Expected value to be either true or false"
        );
        assert_eq!(
            parse_type("k", "TRUE", ConfigType::Boolean),
            Ok(Parsed::Boolean(true))
        );
        assert_eq!(
            parse_type("k", "a,,b, ", ConfigType::List),
            Ok(Parsed::List(vec![
                "a".into(),
                "".into(),
                "b".into(),
                "".into()
            ]))
        );
        assert_eq!(
            parse_type("k", "  ", ConfigType::List),
            Ok(Parsed::List(vec![]))
        );
        assert_eq!(
            Parsed::Password("x".into()).render().as_deref(),
            Some("[hidden]")
        );
        assert_eq!(
            format!("{:?}", Parsed::Password("secret".into())),
            "Password([hidden])"
        );
        assert_eq!(Parsed::Double(1.0).render().as_deref(), Some("1.0"));
        assert_eq!(Parsed::Double(1e10).render().as_deref(), Some("1.0E10"));
    }

    #[test]
    fn validators_and_missing() {
        let key = ConfigKey::new(
            "tasks.max",
            ConfigType::Int,
            Default::Value("1"),
            Importance::High,
            "",
        )
        .validator(Validator::AtLeast(1));
        assert_eq!(
            key.parse(Some("0")).unwrap_err().to_string(),
            "Invalid value 0 for configuration tasks.max: Value must be at least 1"
        );
        assert_eq!(key.parse(None), Ok(Parsed::Int(1)));
        let req = ConfigKey::new(
            "topic",
            ConfigType::String,
            Default::Required,
            Importance::High,
            "",
        );
        assert_eq!(
            req.parse(None).unwrap_err().to_string(),
            "Missing required configuration \"topic\" which has no default value."
        );
        let tol = ConfigKey::new(
            "errors.tolerance",
            ConfigType::String,
            Default::Value("none"),
            Importance::Medium,
            "",
        )
        .validator(Validator::OneOf(&["none", "all"]));
        assert_eq!(
            tol.parse(Some("some")).unwrap_err().to_string(),
            "Invalid value some for configuration errors.tolerance: String must be one of: none, all"
        );
    }
}
