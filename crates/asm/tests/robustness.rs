//! Malformed input never panics: every sequence of up to three fragments
//! from a list of statement pieces either assembles or returns an error.

use bpfbox_asm::{assemble, assemble_as, Syntax};

const PIECES: &[&str] = &[
    "r1",
    "w1",
    "%r1",
    "%r99",
    "=",
    "+=",
    "s>>=",
    "*(u32 *)",
    "(r1 + 0x8000)",
    "(",
    ")",
    "[",
    "]",
    "[%r1+4]",
    "skb[",
    "goto",
    "+1",
    "-0x8000",
    "0xffffffffffffffffff",
    "ll",
    "lock",
    "fetch",
    "call",
    "local",
    "pc",
    "#",
    ",",
    ":",
    "<x>",
    "exit",
    "lddw",
    "ja",
    "-",
    "be16",
    "(s8)",
    "atomic_fetch_add(",
    "cmpxchg_64(",
    "ld_pseudo",
    "if",
    "mov32",
    "0:",
    "(18)",
    "\u{e9}",
];

pub(crate) fn fragments_never_panic() {
    let mut n = 0;
    for a in PIECES {
        for b in PIECES {
            for c in PIECES {
                let line = format!("{a} {b} {c}");
                let _ = assemble(&line);
                let _ = assemble_as(&line, Syntax::PseudoC);
                let _ = assemble_as(&line, Syntax::Conformance);
                let glued = format!("{a}{b}{c}");
                let _ = assemble(&glued);
                n += 1;
            }
        }
    }
    assert_eq!(n, PIECES.len().pow(3));
}
