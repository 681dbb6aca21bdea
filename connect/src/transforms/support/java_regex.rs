//! `java.util.regex` semantics over `fancy-regex`: `Matcher.matches()` is a whole-string match,
//! `replaceFirst` replaces the first `find()` match, and replacement strings follow Java's
//! `appendReplacement` rules (`$1`, `${name}`, `\$`), errors included.

use fancy_regex::{Captures, Regex};

/// A compiled Java pattern.
#[derive(Debug, Clone)]
pub struct JavaRegex {
    source: String,
    find: Regex,
    whole: Regex,
    group_count: usize,
    names: Vec<(String, usize)>,
}

impl JavaRegex {
    /// Pattern.compile; the error text stands in for PatternSyntaxException's message.
    pub fn compile(pattern: &str) -> Result<JavaRegex, String> {
        let translated = translate(pattern)?;
        let find = Regex::new(&translated).map_err(|e| e.to_string())?;
        let whole = Regex::new(&format!("\\A(?:{translated})\\z")).map_err(|e| e.to_string())?;
        let group_count = find.captures_len().saturating_sub(1);
        let names = find
            .capture_names()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (n.to_string(), i)))
            .collect();
        Ok(JavaRegex {
            source: pattern.to_string(),
            find,
            whole,
            group_count,
            names,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Matcher.matches(): the whole input must match. A backtracking-limit overrun counts as
    /// no match.
    pub fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text).unwrap_or(false)
    }

    /// `if (m.matches()) m.replaceFirst(replacement)`: None when the input does not match.
    pub fn replace_if_matches(
        &self,
        text: &str,
        replacement: &str,
    ) -> Option<Result<String, String>> {
        if !self.matches(text) {
            return None;
        }
        // replaceFirst resets the matcher and uses find(), which may stop short of the end.
        let caps = match self.find.captures(text) {
            Ok(Some(c)) => c,
            _ => return Some(Ok(text.to_string())),
        };
        let Some(m) = caps.get(0) else {
            return Some(Ok(text.to_string()));
        };
        let (start, end) = (m.start(), m.end());
        Some(self.expand(&caps, replacement).map(|expanded| {
            let mut out = String::with_capacity(text.len() + expanded.len());
            out.push_str(&text[..start]);
            out.push_str(&expanded);
            out.push_str(&text[end..]);
            out
        }))
    }

    /// Matcher.appendExpandedReplacement.
    fn expand(&self, caps: &Captures<'_, str>, replacement: &str) -> Result<String, String> {
        let mut out = String::new();
        let chars: Vec<char> = replacement.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                i += 1;
                match chars.get(i) {
                    Some(escaped) => out.push(*escaped),
                    None => return Err("character to be escaped is missing".to_string()),
                }
                i += 1;
            } else if c == '$' {
                i += 1;
                let Some(&next) = chars.get(i) else {
                    return Err("Illegal group reference: group index is missing".to_string());
                };
                let group = if next == '{' {
                    i += 1;
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    if i == start {
                        return Err("named capturing group has 0 length name".to_string());
                    }
                    if chars.get(i) != Some(&'}') {
                        return Err("named capturing group is missing trailing '}'".to_string());
                    }
                    let name: String = chars[start..i].iter().collect();
                    i += 1;
                    if name.starts_with(|c: char| c.is_ascii_digit()) {
                        return Err("capturing group name {".to_string()
                            + &name
                            + "} starts with digit character");
                    }
                    match self.names.iter().find(|(n, _)| *n == name) {
                        Some((_, idx)) => *idx,
                        None => return Err(format!("No group with name {{{name}}}")),
                    }
                } else {
                    let Some(first) = next.to_digit(10) else {
                        return Err("Illegal group reference".to_string());
                    };
                    let mut num = first as usize;
                    if num > self.group_count {
                        return Err(format!("No group {num}"));
                    }
                    i += 1;
                    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                        let candidate = num * 10 + d as usize;
                        if candidate > self.group_count {
                            break;
                        }
                        num = candidate;
                        i += 1;
                    }
                    num
                };
                if let Some(m) = caps.get(group) {
                    out.push_str(m.as_str());
                }
            } else {
                out.push(c);
                i += 1;
            }
        }
        Ok(out)
    }
}

/// Rewrites the Java-only constructs fancy-regex lacks: `\Q...\E` quoting.
fn translate(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let Some(next) = after.chars().next() else {
            return Err(format!(
                "Unexpected internal error near index {}\n{pattern}",
                pattern.len()
            ));
        };
        if next == 'Q' {
            let body = &after[1..];
            let (quoted, tail) = match body.find("\\E") {
                Some(end) => (&body[..end], &body[end + 2..]),
                None => (body, ""),
            };
            out.push_str(&fancy_regex::escape(quoted));
            rest = tail;
        } else {
            out.push('\\');
            out.push(next);
            rest = &after[next.len_utf8()..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(re: &str, topic: &str, repl: &str) -> Option<Result<String, String>> {
        JavaRegex::compile(re)
            .unwrap()
            .replace_if_matches(topic, repl)
    }

    #[test]
    fn whole_string_match_only() {
        let re = JavaRegex::compile("ab").unwrap();
        assert!(re.matches("ab"));
        assert!(!re.matches("xab"));
        assert!(!re.matches("abx"));
        assert!(JavaRegex::compile("a|ab").unwrap().matches("ab"));
    }

    #[test]
    fn java_replacement_syntax() {
        let re = r"([^.]+)\.([^.]+)\.([^.]+)";
        assert_eq!(
            route(re, "db.inv.customers", "$3"),
            Some(Ok("customers".into()))
        );
        assert_eq!(
            route(re, "db.inv.customers", "$1_$2"),
            Some(Ok("db_inv".into()))
        );
        // $10 with three groups is group 1 followed by "0".
        assert_eq!(route(re, "a.b.c", "$10"), Some(Ok("a0".into())));
        assert_eq!(route(re, "a.b.c", r"\$1"), Some(Ok("$1".into())));
        // Further digits are taken while the group number stays <= groupCount.
        let eleven = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)";
        assert_eq!(route(eleven, "abcdefghijk", "$11"), Some(Ok("k".into())));
        assert_eq!(route(eleven, "abcdefghijk", "$12"), Some(Ok("a2".into())));
        assert_eq!(
            route("(?<db>[^.]+)\\.(?<t>.+)", "x.y", "${t}-${db}"),
            Some(Ok("y-x".into()))
        );
        assert_eq!(route(re, "nodots", "$1"), None);
    }

    #[test]
    fn replacement_errors_are_java_messages() {
        assert_eq!(route("(a)", "a", "$2"), Some(Err("No group 2".into())));
        assert_eq!(
            route("(a)", "a", "$x"),
            Some(Err("Illegal group reference".into()))
        );
        assert_eq!(
            route("(a)", "a", "x$"),
            Some(Err("Illegal group reference: group index is missing".into()))
        );
        assert_eq!(
            route("(a)", "a", "${zz}"),
            Some(Err("No group with name {zz}".into()))
        );
        assert_eq!(
            route("(a)", "a", "a\\"),
            Some(Err("character to be escaped is missing".into()))
        );
    }

    #[test]
    fn replace_first_uses_find_not_the_whole_match() {
        // matches() succeeds via the second alternative, but find() stops at "a".
        assert_eq!(route("a|ab", "ab", "X"), Some(Ok("Xb".into())));
    }

    #[test]
    fn quoting_lookaround_and_backrefs() {
        assert!(JavaRegex::compile(r"\Qa.b\E").unwrap().matches("a.b"));
        assert!(!JavaRegex::compile(r"\Qa.b\E").unwrap().matches("axb"));
        assert!(JavaRegex::compile(r"(?!tmp)[a-z]+")
            .unwrap()
            .matches("orders"));
        assert!(!JavaRegex::compile(r"(?!tmp)[a-z]+")
            .unwrap()
            .matches("tmpx"));
        assert!(JavaRegex::compile(r"(a)\1").unwrap().matches("aa"));
        assert!(JavaRegex::compile("(").is_err());
        assert!(JavaRegex::compile("abc\\").is_err());
    }

    #[test]
    fn the_double_backslash_seed_config_never_matches() {
        // JSON "mysql_cdc\\\\..*" decodes to mysql_cdc\\..* : a literal backslash.
        let re = JavaRegex::compile(r"mysql_cdc\\..*").unwrap();
        assert!(!re.matches("mysql_cdc.inventory.customers"));
        let re = JavaRegex::compile(r"mysql_cdc\..*").unwrap();
        assert!(re.matches("mysql_cdc.inventory.customers"));
    }
}
