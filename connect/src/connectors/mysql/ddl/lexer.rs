//! Tokenizer for MySQL / MariaDB DDL text, as Debezium's ANTLR lexer sees it: comments (including
//! `/*! ... */` version comments, which Debezium's grammar hides) are dropped, every token keeps its
//! byte span so statement texts and literals can be quoted exactly as written.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// Unquoted identifier or keyword (also `_utf8mb4`-style charset introducers).
    Word(String),
    /// Backtick-quoted identifier, unescaped.
    QuotedId(String),
    /// `'...'` or `"..."`; the raw text (with quotes) is the token span.
    Str,
    /// Numeric literal (`12`, `0.00`, `1e3`, `0x1F`).
    Number,
    /// `X'0F'` / `x'0f'`.
    HexStr,
    /// `B'101'` / `b'101'`.
    BitStr,
    /// `N'...'`.
    NationalStr,
    /// Any other character (`(`, `)`, `,`, `;`, `=`, `.`, `@`, `-`, ...).
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

impl Token {
    /// True for an unquoted word equal to `kw` (ASCII case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

/// A lexing failure: what and where (byte offset).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LexError {
    pub message: String,
    pub offset: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Splits `sql` into tokens. Never panics; unterminated strings, quoted identifiers and block
/// comments are errors.
pub(super) fn tokenize(sql: &str) -> Result<Vec<Token>, LexError> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        // Whitespace.
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments: `# ...`, `-- ...` (Debezium's lexer does not require a space after `--`),
        // `/* ... */` including `/*! ... */` and `/*M! ... */`.
        if c == b'#' || (c == b'-' && bytes.get(i + 1) == Some(&b'-')) {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            match sql[i + 2..].find("*/") {
                Some(end) => {
                    i = i + 2 + end + 2;
                    continue;
                }
                None => {
                    return Err(LexError {
                        message: "unterminated /* comment".to_string(),
                        offset: i,
                    })
                }
            }
        }
        let start = i;
        // Strings.
        if c == b'\'' || c == b'"' {
            let end = scan_quoted(bytes, i, c, true).ok_or_else(|| LexError {
                message: "unterminated string literal".to_string(),
                offset: start,
            })?;
            out.push(Token {
                tok: Tok::Str,
                span: start..end,
            });
            i = end;
            continue;
        }
        if c == b'`' {
            let end = scan_quoted(bytes, i, b'`', false).ok_or_else(|| LexError {
                message: "unterminated `quoted` identifier".to_string(),
                offset: start,
            })?;
            let inner = &sql[start + 1..end - 1];
            out.push(Token {
                tok: Tok::QuotedId(inner.replace("``", "`")),
                span: start..end,
            });
            i = end;
            continue;
        }
        // Numbers (an identifier may start with digits: `1st_col`).
        if c.is_ascii_digit() {
            let end = scan_number(sql, i);
            let next = sql[end..].chars().next();
            if next.is_some_and(is_ident_char) {
                let wend = scan_word(sql, i);
                out.push(Token {
                    tok: Tok::Word(sql[i..wend].to_string()),
                    span: i..wend,
                });
                i = wend;
            } else {
                out.push(Token {
                    tok: Tok::Number,
                    span: i..end,
                });
                i = end;
            }
            continue;
        }
        let ch = sql[i..].chars().next().unwrap_or('\0');
        if is_ident_char(ch) {
            let end = scan_word(sql, i);
            let word = &sql[i..end];
            // X'..', B'..', N'..' literals.
            if end - i == 1 && bytes.get(end) == Some(&b'\'') {
                let kind = match word {
                    "x" | "X" => Some(Tok::HexStr),
                    "b" | "B" => Some(Tok::BitStr),
                    "n" | "N" => Some(Tok::NationalStr),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let send = scan_quoted(bytes, end, b'\'', true).ok_or_else(|| LexError {
                        message: "unterminated string literal".to_string(),
                        offset: start,
                    })?;
                    out.push(Token {
                        tok: kind,
                        span: start..send,
                    });
                    i = send;
                    continue;
                }
            }
            out.push(Token {
                tok: Tok::Word(word.to_string()),
                span: i..end,
            });
            i = end;
            continue;
        }
        let len = ch.len_utf8().max(1);
        out.push(Token {
            tok: Tok::Punct(ch),
            span: i..i + len,
        });
        i += len;
    }
    Ok(out)
}

/// End (exclusive) of the quoted token starting at `start`; doubled quotes escape, and in
/// strings a backslash escapes the next byte.
fn scan_quoted(bytes: &[u8], start: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if backslash && b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn scan_word(sql: &str, start: usize) -> usize {
    let mut end = start;
    for (off, ch) in sql[start..].char_indices() {
        if !is_ident_char(ch) {
            return start + off;
        }
        end = start + off + ch.len_utf8();
    }
    end
}

fn scan_number(sql: &str, start: usize) -> usize {
    let b = sql.as_bytes();
    let mut i = start;
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        i += 2;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        return i;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    i
}

/// Splits a token list into statements at top-level `;`. A routine, trigger or event definition
/// (its body may hold `;`) takes the rest of the text. Empty statements are dropped. Returns
/// token index ranges.
pub(super) fn split_statements(tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth: i32 = 0;
    let mut i = 0;
    while i < tokens.len() {
        if i == start && defines_compound_body(&tokens[i..]) {
            out.push(start..tokens.len());
            return out;
        }
        match &tokens[i].tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = (depth - 1).max(0),
            Tok::Punct(';') if depth == 0 => {
                if i > start {
                    out.push(start..i);
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < tokens.len() {
        out.push(start..tokens.len());
    }
    out
}

/// `CREATE|ALTER [OR REPLACE] [DEFINER = ...] ... {PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE}`.
fn defines_compound_body(tokens: &[Token]) -> bool {
    let Some(first) = tokens.first() else {
        return false;
    };
    if !(first.is_kw("CREATE") || first.is_kw("ALTER")) {
        return false;
    }
    for t in tokens.iter().skip(1).take(16) {
        if let Tok::Word(w) = &t.tok {
            let w = w.to_ascii_uppercase();
            match w.as_str() {
                "PROCEDURE" | "FUNCTION" | "TRIGGER" | "EVENT" | "PACKAGE" => return true,
                "TABLE" | "DATABASE" | "SCHEMA" | "INDEX" | "VIEW" | "USER" | "ROLE" | "SERVER"
                | "TABLESPACE" | "SEQUENCE" => return false,
                _ => {}
            }
        }
    }
    false
}
