//! Reads bytes into a [`Node`] the way JsonConverter's Jackson `ObjectMapper.readTree` does:
//! strict JSON plus leading zeros, numbers kept exact (int/long/big-integer/decimal), the first
//! root value only (trailing content ignored), Jackson's default nesting/number/string limits.

use indexmap::IndexMap;
use num_bigint::BigInt;

use super::node::{Node, Number};
use crate::converters::java;

/// Jackson 2.16 allows 1000 levels; Sluice stops at 256 so that converting the parsed tree
/// (several recursive passes) always fits a 2 MiB thread stack, even in debug builds.
const MAX_DEPTH: usize = 256;
const MAX_NUMBER_LEN: usize = 1000;
const MAX_STRING_LEN: usize = 20_000_000;

/// Parses the first JSON value in `input`; `Ok(None)` is Jackson's MissingNode (no content).
pub fn parse(input: &[u8]) -> Result<Option<Node>, String> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut p = Parser { input, pos: 0 };
    p.skip_ws();
    if p.pos >= input.len() {
        return Ok(None);
    }
    let node = p.value(0, true)?;
    Ok(Some(node))
}

fn too_deep(depth: usize) -> String {
    format!("Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH})")
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expecting: &str) -> String {
        match self.peek() {
            None => format!(
                "Unexpected end-of-input: expected {expecting} at byte {}",
                self.pos
            ),
            Some(b) => format!(
                "Unexpected character ('{}' (code {b})): expected {expecting} at byte {}",
                char::from(b).escape_default(),
                self.pos
            ),
        }
    }

    fn value(&mut self, depth: usize, root: bool) -> Result<Node, String> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::Text(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                if root && !matches!(self.peek(), None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    return Err(self.unexpected("space separating root-level values"));
                }
                Ok(Node::Number(n))
            }
            _ => Err(self.unexpected("a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        }
    }

    fn literal(&mut self, word: &str, node: Node) -> Result<Node, String> {
        let end = self.pos + word.len();
        let matches = self.input.get(self.pos..end) == Some(word.as_bytes());
        let next_is_ident = self
            .input
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b >= 0x80);
        if !matches || next_is_ident {
            let tail: String = self.input[self.pos..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'$')
                .take(256)
                .map(|b| char::from(*b))
                .collect();
            return Err(format!("Unrecognized token '{tail}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at byte {}", self.pos));
        }
        self.pos = end;
        Ok(node)
    }

    fn object(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(too_deep(depth));
        }
        self.pos += 1;
        let mut map = IndexMap::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("double-quote to start field name"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("a colon to separate field name and value"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth, false)?;
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object(map));
                }
                _ => return Err(self.unexpected("comma to separate Object entries")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(too_deep(depth));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth, false)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(self.unexpected("comma to separate Array entries")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.unexpected("hex-digit for character escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.unexpected("hex-digit"))?;
        let v = u32::from_str_radix(text, 16)
            .map_err(|_| format!("Unexpected character in \\u escape at byte {}", self.pos))?;
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.input[run_start..self.pos]);
            if out.len() > MAX_STRING_LEN {
                return Err(format!(
                    "String value length exceeds the maximum allowed ({MAX_STRING_LEN})"
                ));
            }
            match self.peek() {
                None => return Err(self.unexpected("closing quote for a string value")),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.unexpected("escaped character"))?;
                    self.pos += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        other => {
                            return Err(format!(
                                "Unrecognized character escape '{}' (code {other}) at byte {}",
                                char::from(other).escape_default(),
                                self.pos - 1
                            ))
                        }
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(b) => {
                    return Err(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {b})): has to be escaped using backslash to be included in string value at byte {}",
                        self.pos
                    ))
                }
            }
        }
        String::from_utf8(out).map_err(|e| format!("Invalid UTF-8 in string value: {e}"))
    }

    /// `\uXXXX`, combining a surrogate pair; a lone surrogate (legal in Java strings, not in
    /// Rust's) becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi)
            && self.input.get(self.pos..self.pos + 2) == Some(b"\\u".as_slice())
        {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn number(&mut self) -> Result<Number, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == int_start {
            return Err(self.unexpected("digit for a number"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            let frac_start = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == frac_start {
                return Err(self.unexpected("Decimal point to be followed by a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            let exp_start = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == exp_start {
                return Err(self.unexpected("Exponent indicator not followed by a digit"));
            }
        }
        if self.pos - start > MAX_NUMBER_LEN {
            return Err(format!(
                "Number value length ({}) exceeds the maximum allowed ({MAX_NUMBER_LEN})",
                self.pos - start
            ));
        }
        let text = std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| "Invalid number".to_string())?;
        if integral {
            let negative = text.starts_with('-');
            let digits = text.trim_start_matches('-').trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            let signed = if negative {
                format!("-{digits}")
            } else {
                digits.to_string()
            };
            if let Ok(v) = signed.parse::<i32>() {
                return Ok(Number::Int(v));
            }
            if let Ok(v) = signed.parse::<i64>() {
                return Ok(Number::Long(v));
            }
            return signed
                .parse::<BigInt>()
                .map(Number::BigInt)
                .map_err(|e| format!("Invalid number {text}: {e}"));
        }
        java::parse_big_decimal(text)
            .map(Number::Decimal)
            .ok_or_else(|| format!("Invalid numeric value: {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Option<Node>, String> {
        parse(s.as_bytes())
    }

    #[test]
    fn numbers_keep_jackson_kinds() {
        assert_eq!(p("7").unwrap(), Some(Node::Number(Number::Int(7))));
        assert_eq!(p("007").unwrap(), Some(Node::Number(Number::Int(7))));
        assert_eq!(p("-0").unwrap(), Some(Node::Number(Number::Int(0))));
        assert_eq!(
            p("3000000000").unwrap(),
            Some(Node::Number(Number::Long(3_000_000_000)))
        );
        assert!(matches!(
            p("99999999999999999999").unwrap(),
            Some(Node::Number(Number::BigInt(_)))
        ));
        assert!(matches!(
            p("1.50").unwrap(),
            Some(Node::Number(Number::Decimal(_)))
        ));
        assert!(matches!(
            p("1e2").unwrap(),
            Some(Node::Number(Number::Decimal(_)))
        ));
    }

    #[test]
    fn root_rules() {
        assert_eq!(p("").unwrap(), None);
        assert_eq!(p("  \n").unwrap(), None);
        assert_eq!(
            p("{\"a\":1} trailing garbage")
                .unwrap()
                .map(|n| n.node_type()),
            Some("OBJECT")
        );
        assert!(p("123abc").is_err());
        assert!(p("truex").is_err());
        assert!(p("1.").is_err());
        assert!(p(".5").is_err());
        assert!(p("+1").is_err());
        assert!(p("NaN").is_err());
        assert!(p("[1,]").is_err());
        assert!(p("{\"a\":1,}").is_err());
        assert!(p("\"a\u{1}\"").is_err());
        assert!(p("\"\\x\"").is_err());
        assert!(p("[").is_err());
        assert!(p("\"abc").is_err());
        assert!(parse(b"\"\xff\"").is_err());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(p(&deep)
            .unwrap_err()
            .starts_with("Document nesting depth (257)"));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(p(&ok).is_ok());
    }

    #[test]
    fn strings_and_duplicates() {
        let n = p(r#"{"a":"x\u00e9\ud83d\ude00\n","b":1,"a":2}"#)
            .unwrap()
            .unwrap();
        let Node::Object(map) = n else {
            panic!("object")
        };
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map["a"], Node::Number(Number::Int(2)));
        let s = p(r#""x\u00e9\ud83d\ude00\n\/""#).unwrap().unwrap();
        assert_eq!(s, Node::Text("xé😀\n/".to_string()));
    }
}
