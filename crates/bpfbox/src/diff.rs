//! Comparing two engines' results: `bpfbox diff` and the tests that hold
//! bpfbox to the kernel.

use crate::engine::{MapDump, RunError, RunOutput};
use serde::Serialize;

/// One difference between the interpreter's and the kernel's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `packet N` or `map NAME`.
    pub at: String,
    /// What differs (`retval`, `data_out`, `value of key 01000000`).
    pub what: String,
    /// The interpreter's side.
    pub interp: String,
    /// The kernel's side.
    pub kernel: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Where two byte strings first differ, for a readable line.
fn bytes_diff(a: &[u8], b: &[u8]) -> (String, String) {
    let first = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |v: &[u8]| {
        let from = first.saturating_sub(4);
        let to = (first + 12).min(v.len());
        format!(
            "{} bytes, from offset {first}: …{}",
            v.len(),
            hex(&v[from.min(v.len())..to])
        )
    };
    (show(a), show(b))
}

/// Compares one run on both engines; appends differences to `out`.
pub fn compare(
    at: &str,
    a: &Result<RunOutput, RunError>,
    b: &Result<RunOutput, RunError>,
    out: &mut Vec<Difference>,
) {
    let mut push = |what: &str, i: String, k: String| {
        out.push(Difference {
            at: at.to_string(),
            what: what.to_string(),
            interp: i,
            kernel: k,
        })
    };
    match (a, b) {
        (Ok(x), Ok(y)) => {
            if x.retval != y.retval {
                push("retval", x.retval.to_string(), y.retval.to_string());
            }
            if x.errno != y.errno {
                push("errno", format!("{:?}", x.errno), format!("{:?}", y.errno));
            }
            if x.data_out != y.data_out {
                let (i, k) = bytes_diff(&x.data_out, &y.data_out);
                push("data_out", i, k);
            }
            if x.ctx_out != y.ctx_out {
                let e = Vec::new();
                let (i, k) = bytes_diff(
                    x.ctx_out.as_ref().unwrap_or(&e),
                    y.ctx_out.as_ref().unwrap_or(&e),
                );
                push("ctx_out", i, k);
            }
        }
        (Err(x), Err(y)) if x.errno == y.errno => {}
        (x, y) => {
            let s = |r: &Result<RunOutput, RunError>| match r {
                Ok(o) => format!("ran, retval {}", o.retval),
                Err(e) => format!("error: {e}"),
            };
            push("outcome", s(x), s(y));
        }
    }
}

/// Compares map dumps taken after the same runs on both engines.
pub fn compare_maps(a: &[MapDump], b: &[MapDump], out: &mut Vec<Difference>) {
    for (x, y) in a.iter().zip(b) {
        if x.note.is_some() || y.note.is_some() {
            continue;
        }
        let at = format!("map {}", x.name);
        if x.entries == y.entries {
            continue;
        }
        if x.entries.iter().chain(&y.entries).any(|e| e.0.is_empty()) {
            // queues and stacks: contents in pop order
            let list = |m: &MapDump| {
                m.entries
                    .iter()
                    .map(|e| hex(&e.1))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push(Difference {
                at,
                what: "contents (pop order)".into(),
                interp: list(x),
                kernel: list(y),
            });
            continue;
        }
        // Both lists are sorted by key: one merge, linear in their length.
        let (mut xs, mut ys) = (x.entries.iter().peekable(), y.entries.iter().peekable());
        loop {
            let order = match (xs.peek(), ys.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(a), Some(b)) => a.0.cmp(&b.0),
            };
            match order {
                std::cmp::Ordering::Equal => {
                    let ((k, v), (_, w)) = (xs.next().unwrap(), ys.next().unwrap());
                    if v != w {
                        out.push(Difference {
                            at: at.clone(),
                            what: format!("value of key {}", hex(k)),
                            interp: hex(v),
                            kernel: hex(w),
                        });
                    }
                }
                std::cmp::Ordering::Less => {
                    let (k, v) = xs.next().unwrap();
                    out.push(Difference {
                        at: at.clone(),
                        what: format!("key {}", hex(k)),
                        interp: format!("present, value {}", hex(v)),
                        kernel: "absent".into(),
                    });
                }
                std::cmp::Ordering::Greater => {
                    let (k, w) = ys.next().unwrap();
                    out.push(Difference {
                        at: at.clone(),
                        what: format!("key {}", hex(k)),
                        interp: "absent".into(),
                        kernel: format!("present, value {}", hex(w)),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(entries: &[(u8, u8)]) -> MapDump {
        MapDump {
            name: "m".into(),
            entries: entries.iter().map(|&(k, v)| (vec![k], vec![v])).collect(),
            note: None,
        }
    }

    #[test]
    fn sorted_dumps_merge_into_differences() {
        let mut out = Vec::new();
        let a = dump(&[(1, 1), (2, 2), (4, 4), (6, 6)]);
        let b = dump(&[(0, 0), (2, 9), (4, 4), (5, 5)]);
        compare_maps(std::slice::from_ref(&a), &[b], &mut out);
        let what: Vec<(&str, &str, &str)> = out
            .iter()
            .map(|d| (d.what.as_str(), d.interp.as_str(), d.kernel.as_str()))
            .collect();
        assert_eq!(
            what,
            [
                ("key 00", "absent", "present, value 00"),
                ("key 01", "present, value 01", "absent"),
                ("value of key 02", "02", "09"),
                ("key 05", "absent", "present, value 05"),
                ("key 06", "present, value 06", "absent"),
            ]
        );
        out.clear();
        compare_maps(std::slice::from_ref(&a), std::slice::from_ref(&a), &mut out);
        assert!(out.is_empty());
    }
}

/// The kernel's words in a bpfbox load refusal: the verifier's `(kernel:
/// "...")` note when there is one, else the text after the last `: ` (the
/// run side's refusals are the kernel's words already).
pub fn kernel_words(refusal: &str) -> &str {
    const NOTE: &str = "(kernel: \"";
    if let Some(i) = refusal.rfind(NOTE) {
        let rest = &refusal[i + NOTE.len()..];
        return rest.strip_suffix("\")").unwrap_or(rest);
    }
    refusal.rsplit(": ").next().unwrap_or(refusal)
}

/// Whether a bpfbox refusal and a kernel refusal are the same: bpfbox's
/// words for the kernel's reason appear in the kernel's error (its
/// verifier log summary).
pub fn same_refusal(bpfbox: &str, kernel: &str) -> bool {
    let w = kernel_words(bpfbox);
    !w.is_empty() && kernel.contains(w)
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    #[test]
    fn kernel_words_come_from_the_note_or_the_last_part() {
        let v = "verifier rejected `x`: insn 3: helper not available at a.c:5: `f();` \
                 (kernel: \"program of this type cannot use helper bpf_xdp_adjust_meta#54\")";
        assert_eq!(
            kernel_words(v),
            "program of this type cannot use helper bpf_xdp_adjust_meta#54"
        );
        let k = "kernel rejected `x`: BPF_PROG_LOAD: EINVAL (22): program of this type cannot use helper bpf_xdp_adjust_meta#54";
        assert!(same_refusal(v, k));
        assert!(!same_refusal(
            v,
            "kernel rejected `x`: BPF_PROG_LOAD: EACCES (13): R2 !read_ok"
        ));
        assert_eq!(kernel_words("a: b: c"), "c");
    }
}
