//! Tokens of the pseudo-C syntax and a cursor over them.

use crate::error::{ErrorKind, KResult};

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Identifier-like: registers, keywords, type names, labels.
    Word(String),
    /// An unsigned decimal or `0x` number (signs are separate tokens).
    Num(String),
    /// Punctuation or an operator (`+=`, `s>>=`, `(`, ...).
    Sym(&'static str),
}

/// Operators, longest first so that matching is greedy.
const SYMS: &[&str] = &[
    "s>>=", "<<=", ">>=", "s>=", "s<=", "s/=", "s%=", "s>", "s<", "==", "!=", ">=", "<=", "+=",
    "-=", "*=", "/=", "%=", "|=", "&=", "^=", "(", ")", "[", "]", ",", ":", "*", "+", "-", "=",
    ">", "<", "&", "#",
];

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Splits one comment-free line into tokens.
pub(crate) fn tokenize(line: &str) -> KResult<Vec<Tok>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        // Signed operators start with `s`: check them before words.
        if let Some(s) = SYMS
            .iter()
            .find(|s| s.starts_with('s') && rest.starts_with(**s))
        {
            out.push(Tok::Sym(s));
            rest = &rest[s.len()..];
            continue;
        }
        if is_word_start(c) {
            let n = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
            out.push(Tok::Word(rest[..n].to_string()));
            rest = &rest[n..];
            continue;
        }
        if c.is_ascii_digit() {
            let n = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            out.push(Tok::Num(rest[..n].to_string()));
            rest = &rest[n..];
            continue;
        }
        match SYMS.iter().find(|s| rest.starts_with(**s)) {
            Some(s) => {
                out.push(Tok::Sym(s));
                rest = &rest[s.len()..];
            }
            None => return Err(ErrorKind::Syntax(format!("unexpected character `{c}`"))),
        }
    }
    Ok(out)
}

/// A cursor over a line's tokens.
pub(crate) struct Cur {
    toks: Vec<Tok>,
    pos: usize,
}

impl Cur {
    pub(crate) fn new(toks: Vec<Tok>) -> Self {
        Cur { toks, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub(crate) fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    pub(crate) fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// Consumes `sym` if it is next.
    pub(crate) fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the word `w` if it is next.
    pub(crate) fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Text of the rest of the line, for error messages.
    pub(crate) fn rest_text(&self) -> String {
        let mut s = String::new();
        for t in &self.toks[self.pos.min(self.toks.len())..] {
            if !s.is_empty() {
                s.push(' ');
            }
            match t {
                Tok::Word(w) | Tok::Num(w) => s.push_str(w),
                Tok::Sym(x) => s.push_str(x),
            }
        }
        s
    }

    /// Requires `sym` next.
    pub(crate) fn expect(&mut self, sym: &str) -> KResult<()> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{sym}`")))
        }
    }

    /// An error saying what was expected and what was found.
    pub(crate) fn unexpected(&self, what: &str) -> ErrorKind {
        match self.peek() {
            None => ErrorKind::Syntax(format!("expected {what} at end of line")),
            Some(_) => ErrorKind::Syntax(format!("expected {what}, found `{}`", self.rest_text())),
        }
    }

    /// Requires the end of the line.
    pub(crate) fn end(&self) -> KResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(ErrorKind::Syntax(format!(
                "unexpected `{}` at end of statement",
                self.rest_text()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = tokenize("if w1 s<= -0x3 goto +2").unwrap();
        assert_eq!(
            t,
            vec![
                Tok::Word("if".into()),
                Tok::Word("w1".into()),
                Tok::Sym("s<="),
                Tok::Sym("-"),
                Tok::Num("0x3".into()),
                Tok::Word("goto".into()),
                Tok::Sym("+"),
                Tok::Num("2".into()),
            ]
        );
        let t = tokenize("r2 = (s8)r1").unwrap();
        assert_eq!(t[3], Tok::Word("s8".into()));
        let t = tokenize("r1 s>>= 3").unwrap();
        assert_eq!(t[1], Tok::Sym("s>>="));
        assert!(tokenize("r1 = @").is_err());
    }
}
