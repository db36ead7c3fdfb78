//! Running a program over a stream of packets with bounded memory: what
//! one packet's run changed in the maps ([`map_changes`]) and a summary
//! that keeps counts, not packets ([`Tally`]).

use crate::engine::{MapDump, RunError, RunOutput};
use serde::Serialize;
use std::collections::BTreeMap;

/// Error lines a summary keeps (the rest are counted).
pub const KEEP_ERRORS: usize = 20;
/// Trace lines a summary keeps (the rest are counted).
pub const KEEP_TRACE: usize = 1000;
/// Distinct verdicts a summary counts separately (a program returning
/// packet-dependent values gets the rest under `other`).
pub const KEEP_VERDICTS: usize = 256;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One entry a run wrote, added or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapChange {
    /// The map's name.
    pub map: String,
    /// The key, hex.
    pub key: String,
    /// The value before the run, hex (`None`: the key was absent).
    pub before: Option<String>,
    /// The value after the run, hex (`None`: the key was deleted).
    pub after: Option<String>,
}

/// The entries that differ between two [`Engine::peek_maps`] results of
/// the same engine (maps with a note are skipped), in map order, then key
/// order.
///
/// [`Engine::peek_maps`]: crate::engine::Engine::peek_maps
pub fn map_changes(before: &[MapDump], after: &[MapDump]) -> Vec<MapChange> {
    map_changes_zeroed(before, after, |_| false)
}

/// [`map_changes`] where the maps `zero_default` names (arrays, whose
/// dumps leave out all-zero elements) read an element missing from one
/// side as zeros, not as absent.
pub fn map_changes_zeroed(
    before: &[MapDump],
    after: &[MapDump],
    zero_default: impl Fn(&str) -> bool,
) -> Vec<MapChange> {
    let mut out = Vec::new();
    for (b, a) in before.iter().zip(after) {
        if b.note.is_some() || a.note.is_some() || b.entries == a.entries {
            continue;
        }
        let zeroed = zero_default(&a.name);
        let (mut i, mut j) = (0, 0);
        let mut push = |key: &[u8], x: Option<&[u8]>, y: Option<&[u8]>| {
            let zeros = |v: Option<&[u8]>| zeroed.then(|| vec![0; v.map_or(0, <[u8]>::len)]);
            let x = x.map(<[u8]>::to_vec).or_else(|| zeros(y));
            let y = y.map(<[u8]>::to_vec).or_else(|| zeros(x.as_deref()));
            if x != y {
                out.push(MapChange {
                    map: a.name.clone(),
                    key: hex(key),
                    before: x.as_deref().map(hex),
                    after: y.as_deref().map(hex),
                });
            }
        };
        while i < b.entries.len() || j < a.entries.len() {
            let x = b.entries.get(i);
            let y = a.entries.get(j);
            match (x, y) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    push(&x.0, Some(&x.1), Some(&y.1));
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    push(&x.0, Some(&x.1), None);
                    i += 1;
                }
                (Some(x), None) => {
                    push(&x.0, Some(&x.1), None);
                    i += 1;
                }
                (_, Some(y)) => {
                    push(&y.0, None, Some(&y.1));
                    j += 1;
                }
                (None, None) => unreachable!("loop condition"),
            }
        }
    }
    out
}

/// A capture run's summary: counts and the first few errors and trace
/// lines, so memory does not grow with the number of packets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Packets run.
    pub packets: u64,
    /// Packets per verdict (`XDP_DROP`, `error`, ...).
    pub verdicts: BTreeMap<String, u64>,
    /// The first [`KEEP_ERRORS`] error lines.
    pub errors: Vec<String>,
    /// Errors in all.
    pub error_count: u64,
    /// The first [`KEEP_TRACE`] trace lines (all of them are printed with
    /// `--per-packet`).
    pub trace: Vec<String>,
    /// Trace lines in all.
    pub trace_count: u64,
}

impl Tally {
    /// Counts one packet's run, `verdict` naming its retval.
    pub fn add(
        &mut self,
        index: u64,
        len_in: usize,
        result: &Result<RunOutput, RunError>,
        verdict: impl FnOnce(u32) -> String,
    ) {
        self.packets += 1;
        let key = match result {
            Ok(out) => {
                for t in &out.trace {
                    if self.trace.len() < KEEP_TRACE {
                        self.trace.push(t.clone());
                    }
                }
                self.trace_count += out.trace.len() as u64;
                verdict(out.retval)
            }
            Err(e) => {
                if self.errors.len() < KEEP_ERRORS {
                    self.errors
                        .push(format!("packet {index} ({len_in} bytes): {e}"));
                }
                self.error_count += 1;
                "error".to_string()
            }
        };
        let key = if self.verdicts.len() >= KEEP_VERDICTS && !self.verdicts.contains_key(&key) {
            "other".to_string()
        } else {
            key
        };
        *self.verdicts.entry(key).or_insert(0) += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(name: &str, e: &[(u8, u8)]) -> MapDump {
        MapDump {
            name: name.into(),
            entries: e.iter().map(|(k, v)| (vec![*k], vec![*v])).collect(),
            note: None,
        }
    }

    #[test]
    fn changes_list_updates_inserts_and_deletes() {
        let b = [dump("m", &[(1, 1), (2, 2), (4, 4)])];
        let a = [dump("m", &[(1, 1), (2, 3), (3, 3)])];
        let c = map_changes(&b, &a);
        let s: Vec<_> = c
            .iter()
            .map(|c| format!("{} {:?} {:?}", c.key, c.before, c.after))
            .collect();
        assert_eq!(
            s,
            [
                "02 Some(\"02\") Some(\"03\")",
                "03 None Some(\"03\")",
                "04 Some(\"04\") None"
            ]
        );
        assert!(map_changes(&a, &a).is_empty());
        // an array: a missing element is a zero one
        let c = map_changes_zeroed(&b, &a, |_| true);
        assert_eq!(c[1].before.as_deref(), Some("00"));
        assert_eq!(c[2].after.as_deref(), Some("00"));
    }

    #[test]
    fn tally_keeps_counts_not_packets() {
        let mut t = Tally::default();
        for i in 0..10_000u64 {
            let r = if i % 2 == 0 {
                Ok(RunOutput {
                    retval: 1,
                    errno: None,
                    data_out: vec![0; 64],
                    ctx_out: None,
                    duration_ns: 0,
                    trace: vec!["x".into()],
                })
            } else {
                Err(RunError {
                    kind: crate::engine::RunErrorKind::BadInput,
                    errno: Some(bpfbox_uapi::errno::EINVAL),
                    message: "bad".into(),
                    ..Default::default()
                })
            };
            t.add(i + 1, 64, &r, |v| format!("v{v}"));
        }
        assert_eq!(t.packets, 10_000);
        assert_eq!(t.verdicts["v1"], 5000);
        assert_eq!(t.verdicts["error"], 5000);
        assert_eq!((t.errors.len(), t.error_count), (KEEP_ERRORS, 5000));
        assert_eq!((t.trace.len(), t.trace_count), (KEEP_TRACE, 5000));
    }
}
