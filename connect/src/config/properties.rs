//! Java `.properties` parsing (java.util.Properties.load): comments, `=`/`:`/whitespace
//! separators, backslash escapes and continuation lines (§0.4). Used for worker files, standalone
//! connector files and the FileConfigProvider.

use std::path::Path;

use super::ConfigMap;

/// Parses properties text; a key given twice keeps its last value (at its first position).
pub fn parse(text: &str) -> ConfigMap {
    let mut out = ConfigMap::new();
    for line in logical_lines(text) {
        let (key, value) = split_key_value(&line);
        out.insert(unescape(&key), unescape(&value));
    }
    out
}

pub fn read_file(path: &Path) -> std::io::Result<ConfigMap> {
    let bytes = std::fs::read(path)?;
    Ok(parse(&String::from_utf8_lossy(&bytes)))
}

/// Joins continuation lines, drops comments and blank lines. Escapes are kept for the splitter.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current: Option<String> = None;
    let normalized = text.replace("\r\n", "\n");
    for raw in normalized.split(['\n', '\r']) {
        let piece = raw.trim_start_matches([' ', '\t', '\x0c']);
        let continuing = current.is_some();
        if !continuing && (piece.is_empty() || piece.starts_with('#') || piece.starts_with('!')) {
            continue;
        }
        let trailing = piece.chars().rev().take_while(|c| *c == '\\').count();
        let (body, continues) = if trailing % 2 == 1 {
            (&piece[..piece.len() - 1], true)
        } else {
            (piece, false)
        };
        let mut acc = current.take().unwrap_or_default();
        acc.push_str(body);
        if continues {
            current = Some(acc);
        } else {
            lines.push(acc);
        }
    }
    if let Some(acc) = current {
        lines.push(acc);
    }
    lines
}

/// Key ends at the first unescaped `=`, `:` or whitespace; then whitespace, one optional
/// separator and whitespace are skipped.
fn split_key_value(line: &str) -> (String, String) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut key_end = chars.len();
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '=' | ':' | ' ' | '\t' | '\x0c' => {
                key_end = i;
                break;
            }
            _ => i += 1,
        }
    }
    let key: String = chars[..key_end.min(chars.len())].iter().collect();
    let mut j = key_end;
    while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
        j += 1;
    }
    if j < chars.len() && matches!(chars[j], '=' | ':') {
        j += 1;
        while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\x0c') {
            j += 1;
        }
    }
    let value: String = chars[j.min(chars.len())..].iter().collect();
    (key, value)
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => out.push(ch),
                    _ => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_properties_syntax() {
        let text =
            "# comment\n! also\nbootstrap.servers=localhost:9092\nkey : value with spaces  \n\
                    spaced   value\nmulti=a,\\\n    b\npath=C:\\\\dir\\tx\nuni=\\u0041\\q\nempty\n";
        let p = parse(text);
        assert_eq!(p.get("bootstrap.servers").unwrap(), "localhost:9092");
        assert_eq!(p.get("key").unwrap(), "value with spaces  ");
        assert_eq!(p.get("spaced").unwrap(), "value");
        assert_eq!(p.get("multi").unwrap(), "a,b");
        assert_eq!(p.get("path").unwrap(), "C:\\dir\tx");
        assert_eq!(p.get("uni").unwrap(), "Aq");
        assert_eq!(p.get("empty").unwrap(), "");
        assert_eq!(p.len(), 7);
    }
}
