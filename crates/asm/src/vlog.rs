//! Kernel verifier logs (`log_level` 2) list instructions in the order the
//! verifier walked them, with repeats (`6: (85) call pc+16`, then the
//! callee's `23: ...`, then `7: ...`). This puts such a listing back into
//! slot order so it can be assembled.

use crate::error::{Error, ErrorKind};
use std::collections::BTreeMap;

/// `N: (xx) ...` → `(N, xx)`.
fn insn_prefix(line: &str) -> Option<(usize, u8)> {
    let (n, rest) = line.trim_start().split_once(": (")?;
    let idx = n.parse().ok()?;
    let (op, _) = rest.split_once(')')?;
    if op.len() != 2 {
        return None;
    }
    Some((idx, u8::from_str_radix(op, 16).ok()?))
}

/// The lines to assemble, as `(1-based line number, text)`. For a verifier
/// log whose instruction indices repeat or go backwards, only the
/// instruction lines are kept, each index once, in slot order; any other
/// text is returned line by line unchanged.
pub(crate) fn in_slot_order(text: &str) -> Result<Vec<(usize, &str)>, Error> {
    let all: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let mut last = None;
    let mut reordered = false;
    for (_, l) in &all {
        if let Some((idx, _)) = insn_prefix(l) {
            if last.is_some_and(|p| idx <= p) {
                reordered = true;
                break;
            }
            last = Some(idx);
        }
    }
    if !reordered {
        return Ok(all);
    }
    let mut by_index: BTreeMap<usize, (usize, &str, u8)> = BTreeMap::new();
    for (n, l) in &all {
        if let Some((idx, op)) = insn_prefix(l) {
            by_index.entry(idx).or_insert((*n, *l, op));
        }
    }
    // Every slot must be listed (the second half of `lddw` never is).
    let mut want = 0;
    for (idx, (n, _, op)) in &by_index {
        if *idx != want {
            return Err(Error::new(
                *n,
                ErrorKind::Syntax(format!(
                    "verifier log has no instruction {want} (never reached?)"
                )),
            ));
        }
        want = idx.saturating_add(if *op == 0x18 { 2 } else { 1 });
    }
    Ok(by_index.into_values().map(|(n, l, _)| (n, l)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_walk_order() {
        let log = "0: (b7) r0 = 0\n1: (85) call pc+1\n3: (95) exit\nfrom 1 to 3\n2: (95) exit\n3: (95) exit";
        let lines: Vec<usize> = in_slot_order(log)
            .unwrap()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(lines, vec![1, 2, 5, 3]);
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(in_slot_order("a\nb").unwrap(), vec![(1, "a"), (2, "b")]);
    }

    #[test]
    fn huge_indices_do_not_overflow() {
        let log = "18446744073709551615: (18) r1 = 0x1\n0: (95) exit";
        assert!(in_slot_order(log).is_err());
    }

    #[test]
    fn gaps_are_refused() {
        let log = "0: (18) r1 = 0x1\n3: (95) exit\n0: (18) r1 = 0x1";
        assert!(in_slot_order(log).is_err());
    }
}
