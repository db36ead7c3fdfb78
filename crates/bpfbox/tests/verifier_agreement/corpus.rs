//! Every program of the test objects, the kernel's verdict against
//! bpfbox's, with a table per rule class.

use crate::expect::{self, Entry};
use crate::kmsg;
use bpfbox_object::{Object, ProgramDef};
use bpfbox_verifier::Diagnostic;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the rule corpus lives, relative to the repository root.
pub const CORPUS_DIR: &str = "tests/progs/verifier";

/// Every `.o` under `tests/progs` (recursively) and `examples/`, sorted,
/// relative to the repository root.
pub fn objects() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "o") {
                out.push(p);
            }
        }
    }
    let root = crate::root();
    let mut v = Vec::new();
    walk(&root.join("tests/progs"), &mut v);
    walk(&root.join("examples"), &mut v);
    let mut rel: Vec<String> = v
        .iter()
        .filter_map(|p| p.strip_prefix(&root).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    rel.sort();
    rel
}

/// The rule class of a program: for the corpus, its file name up to the
/// first `-`; for other objects, "objects".
pub fn class_of(object: &str) -> String {
    match object.strip_prefix(CORPUS_DIR) {
        Some(rest) => {
            let stem = Path::new(rest)
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned());
            stem.split('-').next().unwrap_or("").to_string()
        }
        None => "objects".to_string(),
    }
}

/// What the program's name promises: `ok_*` accepted, `bad_*` refused
/// (corpus only).
pub fn promise(object: &str, prog: &str) -> Option<bool> {
    if !object.starts_with(CORPUS_DIR) {
        return None;
    }
    if prog.starts_with("ok_") {
        Some(true)
    } else if prog.starts_with("bad_") {
        Some(false)
    } else {
        None
    }
}

/// The kernel's verdict.
#[derive(Debug, Clone)]
pub enum Kernel {
    /// Loaded.
    Accepted,
    /// Refused by the verifier, with its error line and the instruction
    /// it stopped at (when the log says).
    Refused(String, Option<usize>),
    /// Not offered to the verifier, and why.
    Skipped(String),
}

/// The kernel's verdict on `def` (log level 1: the error line).
pub fn kernel(obj: &Object, def: &ProgramDef) -> Kernel {
    if let Some(t) = def.attach_target() {
        return Kernel::Skipped(format!(
            "attaches by BTF id ({t}); this loader does not resolve it"
        ));
    }
    match bpfbox::kobj::verdict(obj, def, 1) {
        Err(e) => Kernel::Skipped(e.to_string()),
        Ok(v) if v.accepted => Kernel::Accepted,
        Ok(v) if v.log.trim().is_empty() => Kernel::Skipped(format!(
            "refused before verification (errno {})",
            v.errno.unwrap_or(0)
        )),
        Ok(v) => Kernel::Refused(kmsg::error_line(&v.log), kmsg::error_insn(&v.log)),
    }
}

/// bpfbox's verdict on `def`, through the entry point `bpfbox verify`
/// uses, modelling the running kernel (its profile: the helpers it
/// offers), as `bpfbox verify --kernel running` does.
pub fn ours(obj: &Object, def: &ProgramDef) -> Result<(), Vec<Diagnostic>> {
    let insns = match bpfbox_isa::decode(&def.insns) {
        Ok(i) => i,
        Err(e) => {
            return Err(vec![Diagnostic::error(
                bpfbox_verifier::Code::Malformed,
                e.to_string(),
                bpfbox_verifier::Label::new(0, "here"),
            )])
        }
    };
    let kernel = bpfbox_kernel::running_profile().expect("the running kernel's profile");
    bpfbox::engine::check_object_on(obj, def, &insns, kernel).map(|_| ())
}

/// One program's comparison.
pub struct Outcome {
    /// `object:program`.
    pub key: String,
    /// Rule class.
    pub class: String,
    /// What the name promises.
    pub promise: Option<bool>,
    /// The kernel's verdict.
    pub kernel: Kernel,
    /// bpfbox's verdict: `None` accepted, else the first error's class
    /// and message.
    pub ours: Option<(String, String)>,
    /// The instruction of bpfbox's first error.
    pub ours_at: Option<usize>,
}

impl Outcome {
    /// The disagreement, as an expectation entry.
    pub fn entries(&self) -> Vec<Entry> {
        let mut v = Vec::new();
        let k = |e: &str| Entry {
            status: "",
            key: self.key.clone(),
            detail: e.to_string(),
            comment: String::new(),
        };
        match (&self.kernel, &self.ours) {
            (Kernel::Skipped(_), _) => {}
            (Kernel::Accepted, None) => {}
            (Kernel::Refused(line, _), None) => v.push(Entry {
                status: "gap",
                detail: format!("kernel={}", kmsg::classify(line)),
                comment: format!("KNOWN GAP; kernel: {line}"),
                ..k("")
            }),
            (Kernel::Accepted, Some((class, msg))) => v.push(Entry {
                status: "strict",
                detail: format!("bpfbox={class}"),
                comment: format!("bpfbox: {msg}"),
                ..k("")
            }),
            (Kernel::Refused(line, _), Some((class, msg))) => {
                let kc = kmsg::classify(line);
                if !kmsg::same_class(line, class) {
                    v.push(Entry {
                        status: "class",
                        detail: format!("kernel={kc} bpfbox={class}"),
                        comment: format!("kernel: {line} | bpfbox: {msg}"),
                        ..k("")
                    });
                }
            }
        }
        let accepted = match &self.kernel {
            Kernel::Accepted => Some(true),
            Kernel::Refused(..) => Some(false),
            Kernel::Skipped(_) => None,
        };
        if let (Some(p), Some(a)) = (self.promise, accepted) {
            if p != a {
                let line = match &self.kernel {
                    Kernel::Refused(l, _) => l.as_str(),
                    _ => "",
                };
                v.push(Entry {
                    status: "name",
                    detail: format!("kernel={}", if a { "accepts" } else { "refuses" }),
                    comment: format!("this kernel; {line}"),
                    ..k("")
                });
            }
        }
        v
    }

    /// Whether both refuse for the same class of reason but at different
    /// instructions (counted, not listed: the kernel stops at the first
    /// error on the path it explores first, bpfbox's order may differ).
    pub fn elsewhere(&self) -> bool {
        match (&self.kernel, self.ours_at) {
            (Kernel::Refused(_, Some(k)), Some(o)) => self.agreed() && *k != o,
            _ => false,
        }
    }

    pub fn agreed(&self) -> bool {
        match (&self.kernel, &self.ours) {
            (Kernel::Accepted, None) => true,
            (Kernel::Refused(line, _), Some((c, _))) => kmsg::same_class(line, c),
            _ => false,
        }
    }
}

/// Compares every program of every object.
pub fn evaluate() -> Vec<Outcome> {
    let mut out = Vec::new();
    for rel in objects() {
        let path = crate::root().join(&rel);
        let obj = match bpfbox_object::load_file(&path) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{rel}: not an object bpfbox loads: {e}");
                continue;
            }
        };
        for def in &obj.programs {
            let kernel = kernel(&obj, def);
            let kline = match &kernel {
                Kernel::Refused(l, _) => Some(l.as_str()),
                _ => None,
            };
            let verdict = ours(&obj, def);
            let ours_at = verdict.as_ref().err().map(|d| d[0].primary.insn);
            let ours = verdict.err().map(|d| {
                let first = &d[0];
                let msg = match &first.kernel {
                    Some(k) => format!("{} (kernel: {k})", first.message),
                    None => first.message.clone(),
                };
                (kmsg::classify_against(first, kline), msg)
            });
            out.push(Outcome {
                key: format!("{rel}:{}", def.name),
                class: class_of(&rel),
                promise: promise(&rel, &def.name),
                kernel,
                ours,
                ours_at,
            });
        }
    }
    out
}

const HEADER: &str = "\
Known disagreements between bpfbox's verifier and the running kernel on the
test objects (written by crates/bpfbox/tests/verifier_agreement/corpus.rs).
gap:    the kernel refuses, bpfbox accepts (KNOWN GAP: bpfbox must never do
        this; the list may only shrink)
strict: the kernel accepts, bpfbox refuses
class:  both refuse, the first errors are of different classes
name:   the kernel's verdict is not the one the ok_/bad_ name promises
Measured on the kernel of the machine that blessed it; regenerate with
BPFBOX_BLESS=1 cargo test -p bpfbox --test verifier_agreement";

pub(crate) fn corpus_agrees_with_the_kernel() {
    let outcomes = evaluate();
    let filter = std::env::var("VC_SHOW").ok();
    // Per class: programs, agreed, gaps, strict, class mismatches, skipped,
    // same class at another instruction.
    let mut table: BTreeMap<String, [usize; 7]> = BTreeMap::new();
    let mut entries = Vec::new();
    for o in &outcomes {
        let row = table.entry(o.class.clone()).or_default();
        row[0] += 1;
        if matches!(o.kernel, Kernel::Skipped(_)) {
            row[5] += 1;
        } else if o.agreed() {
            row[1] += 1;
        }
        row[6] += usize::from(o.elsewhere());
        let es = o.entries();
        for e in &es {
            match e.status {
                "gap" => row[2] += 1,
                "strict" => row[3] += 1,
                "class" => row[4] += 1,
                _ => {}
            }
        }
        if filter.as_deref().is_some_and(|f| o.key.contains(f)) {
            eprintln!("{}: kernel {:?}; bpfbox {:?}", o.key, o.kernel, o.ours);
        }
        entries.extend(es);
    }
    eprintln!(
        "\n{:<22} {:>8} {:>7} {:>5} {:>7} {:>7} {:>8} {:>6}",
        "class", "programs", "agreed", "gaps", "strict", "class≠", "skipped", "at≠"
    );
    let mut total = [0usize; 7];
    for (class, r) in &table {
        eprintln!(
            "{class:<22} {:>8} {:>7} {:>5} {:>7} {:>7} {:>8} {:>6}",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        );
        for (t, x) in total.iter_mut().zip(r) {
            *t += x;
        }
    }
    eprintln!(
        "{:<22} {:>8} {:>7} {:>5} {:>7} {:>7} {:>8} {:>6}",
        "TOTAL", total[0], total[1], total[2], total[3], total[4], total[5], total[6]
    );
    eprintln!("(at≠: both refuse for the same class of reason, at different instructions)");
    eprintln!(
        "\n*** KNOWN GAPS (bpfbox accepts what the kernel refuses): {} ***\n",
        total[2]
    );
    for o in &outcomes {
        if let Kernel::Skipped(why) = &o.kernel {
            eprintln!("skipped {}: {why}", o.key);
        }
    }
    for e in &entries {
        eprintln!("{:<7} {} {}  # {}", e.status, e.key, e.detail, e.comment);
    }
    let path = crate::root().join(CORPUS_DIR).join("expected.txt");
    if let Err(m) = expect::check(&path, HEADER, &entries) {
        panic!("{m}");
    }
}
