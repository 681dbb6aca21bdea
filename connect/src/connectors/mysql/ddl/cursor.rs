//! Token cursor shared by the statement parsers: keyword / punctuation matching, identifiers,
//! balanced skipping of clauses Debezium ignores, and error messages quoting the text.

use super::lexer::{Tok, Token};
use super::parser::ObjName;

pub(super) type PResult<T> = Result<T, String>;

/// Strips one pair of matching quotes (`'`, `"` or backtick), like Debezium's `withoutQuotes`.
pub(super) fn without_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'\'' | b'"' | b'`') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

pub(super) struct Cursor<'a> {
    pub(super) sql: &'a str,
    pub(super) toks: &'a [Token],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(sql: &'a str, toks: &'a [Token]) -> Cursor<'a> {
        Cursor { sql, toks, pos: 0 }
    }

    pub(super) fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<&'a Token> {
        self.toks.get(self.pos + n)
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub(super) fn bump(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn is_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    pub(super) fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        self.peek_at(n).is_some_and(|t| t.is_kw(kw))
    }

    pub(super) fn is_any_kw(&self, kws: &[&str]) -> bool {
        kws.iter().any(|k| self.is_kw(k))
    }

    pub(super) fn is_punct(&self, c: char) -> bool {
        self.peek().is_some_and(|t| t.is_punct(c))
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Eats the whole keyword sequence, or nothing.
    pub(super) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        if kws.iter().enumerate().all(|(i, k)| self.is_kw_at(i, k)) {
            self.pos += kws.len();
            true
        } else {
            false
        }
    }

    pub(super) fn eat_punct(&mut self, c: char) -> bool {
        if self.is_punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected {kw}")))
        }
    }

    pub(super) fn expect_punct(&mut self, c: char) -> PResult<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected `{c}`")))
        }
    }

    pub(super) fn raw(&self, t: &Token) -> &'a str {
        self.sql.get(t.span.clone()).unwrap_or("")
    }

    /// Source text from token `from` (inclusive) to token `to` (exclusive).
    pub(super) fn text(&self, from: usize, to: usize) -> &'a str {
        if from >= to || to > self.toks.len() {
            return "";
        }
        let start = self.toks[from].span.start;
        let end = self.toks[to - 1].span.end;
        self.sql.get(start..end).unwrap_or("")
    }

    /// Concatenation of the token texts without whitespace (ANTLR's `getText()`).
    pub(super) fn joined(&self, from: usize, to: usize) -> String {
        self.toks
            .get(from..to)
            .unwrap_or(&[])
            .iter()
            .map(|t| self.raw(t))
            .collect()
    }

    pub(super) fn unexpected(&self, what: &str) -> String {
        match self.peek() {
            Some(t) => {
                let rest = self.sql.get(t.span.start..).unwrap_or("");
                let near: String = rest.chars().take(40).collect();
                format!("{what} near `{near}`")
            }
            None => format!("{what} at end of statement"),
        }
    }

    /// An identifier: unquoted word or backtick-quoted.
    pub(super) fn ident(&mut self) -> PResult<String> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            Some(Tok::QuotedId(q)) => {
                let q = q.clone();
                self.pos += 1;
                Ok(q)
            }
            _ => Err(self.unexpected("expected an identifier")),
        }
    }

    /// An identifier or a string literal (charset names, key parts), quotes removed.
    pub(super) fn ident_or_string(&mut self) -> PResult<String> {
        if let Some(t) = self.peek() {
            if t.tok == Tok::Str {
                self.pos += 1;
                return Ok(without_quotes(self.raw(t)).to_string());
            }
        }
        self.ident()
    }

    /// `name` or `db.name`. A dotted column reference `t.col` keeps the last part.
    pub(super) fn obj_name(&mut self) -> PResult<ObjName> {
        let first = self.ident()?;
        if self.is_punct('.') && self.peek_at(1).is_some_and(|t| is_identifier(&t.tok)) {
            self.pos += 1;
            let second = self.ident()?;
            return Ok(ObjName {
                db: Some(first),
                name: second,
            });
        }
        Ok(ObjName {
            db: None,
            name: first,
        })
    }

    pub(super) fn column_name(&mut self) -> PResult<String> {
        let mut name = self.ident()?;
        while self.is_punct('.') && self.peek_at(1).is_some_and(|t| is_identifier(&t.tok)) {
            self.pos += 1;
            name = self.ident()?;
        }
        Ok(name)
    }

    /// Skips a balanced `( ... )` group starting at the current `(`.
    pub(super) fn skip_group(&mut self) -> PResult<()> {
        self.expect_punct('(')?;
        let mut depth = 1;
        while let Some(t) = self.bump() {
            match t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".to_string())
    }

    /// Skips tokens up to (not including) the next top-level `,`, or to the end.
    pub(super) fn skip_to_comma(&mut self) -> PResult<()> {
        while let Some(t) = self.peek() {
            match t.tok {
                Tok::Punct(',') => return Ok(()),
                Tok::Punct('(') => self.skip_group()?,
                Tok::Punct(')') => return Err(self.unexpected("unbalanced `)`")),
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    pub(super) fn skip_to_end(&mut self) {
        self.pos = self.toks.len();
    }

    pub(super) fn expect_end(&self) -> PResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.unexpected("unexpected text"))
        }
    }

    /// An integer literal (lengths, scales).
    pub(super) fn integer(&mut self) -> PResult<String> {
        match self.peek() {
            Some(t) if t.tok == Tok::Number => {
                self.pos += 1;
                Ok(self.raw(t).to_string())
            }
            _ => Err(self.unexpected("expected a number")),
        }
    }
}

pub(super) fn is_identifier(t: &Tok) -> bool {
    matches!(t, Tok::Word(_) | Tok::QuotedId(_))
}
