//! Random programs of `bpfbox_kernel::fuzzgen` (which the kernel accepts)
//! with one unsafe mutation each, kernel against bpfbox: stack accesses
//! moved out of the stack, a stack access through a clobbered (scalar)
//! base register, context reads and writes at random offsets and sizes, a
//! map value used without its NULL check, a checked map value read at
//! random offsets, XDP packet reads at random offsets after a random
//! `data_end` check (sometimes from a variable offset), map lookups with
//! random kinds of map and key arguments, and stack stores through a copy
//! of `r10` changed by a random ALU operation. The seed is fixed,
//! so every run checks the same cases.

use crate::corpus::{self, Kernel, Outcome};
use crate::expect::{self, Entry};
use crate::kmsg;
use bpfbox_isa::{Insn, LdImm64, Size, Src, Width};
use bpfbox_kernel::fuzzgen::{random_program, Rng};
use bpfbox_object::{MapRef, Object, ProgramDef};
use std::collections::BTreeMap;

/// Cases per run.
const CASES: u64 = 5000;

const MUTATIONS: [&str; 10] = [
    "none",
    "pkt_offset",
    "helper_args",
    "fp_arith",
    "stack_oob",
    "clobbered_base",
    "ctx_read",
    "ctx_write",
    "map_no_null_check",
    "map_value_offset",
];

const SIZES: [Size; 4] = [Size::B, Size::H, Size::W, Size::DW];

fn shift_targets(prog: &mut [Insn], by: usize) {
    for i in prog.iter_mut() {
        match i {
            Insn::Ja { target, .. }
            | Insn::Jmp { target, .. }
            | Insn::MayGoto { target }
            | Insn::CallLocal { target } => *target += by,
            _ => {}
        }
    }
}

/// Slots of the stack accesses (`r10`-based loads, stores, atomics).
fn stack_accesses(prog: &[Insn]) -> Vec<usize> {
    prog.iter()
        .enumerate()
        .filter(|(_, i)| {
            matches!(
                i,
                Insn::Load { src: 10, .. }
                    | Insn::Store { dst: 10, .. }
                    | Insn::Atomic { dst: 10, .. }
            )
        })
        .map(|(n, _)| n)
        .collect()
}

fn set_base(i: &mut Insn, base: Option<u8>, offset: Option<i16>) {
    match i {
        Insn::Load { src: b, off, .. }
        | Insn::Store { dst: b, off, .. }
        | Insn::Atomic { dst: b, off, .. } => {
            if let Some(x) = base {
                *b = x;
            }
            if let Some(o) = offset {
                *off = o;
            }
        }
        _ => {}
    }
}

/// `*(u32 *)(r10 - 4) = 0; r2 = r10 - 4; r1 = map; call lookup` (the
/// map is the template's map 0: key u32, value u64).
fn lookup_prefix() -> Vec<Insn> {
    vec![
        Insn::Store {
            size: Size::W,
            dst: 10,
            off: -4,
            src: Src::Imm(0),
        },
        Insn::Alu {
            width: Width::W64,
            op: bpfbox_isa::AluOp::Mov,
            dst: 2,
            src: Src::Reg(10),
        },
        Insn::Alu {
            width: Width::W64,
            op: bpfbox_isa::AluOp::Add,
            dst: 2,
            src: Src::Imm(-4),
        },
        Insn::LdImm64 {
            dst: 1,
            value: LdImm64::MapIdx(0),
        },
        Insn::LdImm64Hi,
        Insn::Call { helper: 1 },
    ]
}

/// Pseudo-C (`;`-separated) as decoded instructions, jump targets
/// counted from slot `at`.
fn asm(text: &str, at: usize) -> Vec<Insn> {
    let text = text.replace(';', "\n");
    let raw = bpfbox::asm::assemble(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut insns = bpfbox_isa::decode(&raw).unwrap_or_else(|e| panic!("{text}: {e}"));
    shift_targets(&mut insns, at);
    insns
}

/// Case `case`: its mutation and program.
pub fn case(case: u64) -> (&'static str, Vec<Insn>) {
    let mut rng = Rng::new(0x7e57_0000 + case);
    let mutation = MUTATIONS[(case % MUTATIONS.len() as u64) as usize];
    let mut body = random_program(case, 8 + rng.below(40));
    let mut prefix = Vec::new();
    match mutation {
        "stack_oob" => {
            let at = stack_accesses(&body);
            let pick = at[rng.below(at.len())];
            let off = [-520, -1024, 0, 8, 512, -516][rng.below(6)];
            set_base(&mut body[pick], None, Some(off));
        }
        "clobbered_base" => {
            let at = stack_accesses(&body);
            let pick = at[rng.below(at.len())];
            set_base(&mut body[pick], Some(rng.below(10) as u8), None);
        }
        "ctx_read" => prefix.push(Insn::Load {
            size: SIZES[rng.below(4)],
            signed: false,
            dst: 2,
            src: 1,
            off: rng.below(200) as i16,
        }),
        "ctx_write" => prefix.push(Insn::Store {
            size: SIZES[rng.below(4)],
            dst: 1,
            off: rng.below(200) as i16,
            src: Src::Imm(0),
        }),
        "map_no_null_check" => {
            prefix = lookup_prefix();
            prefix.push(Insn::Load {
                size: SIZES[rng.below(4)],
                signed: false,
                dst: 2,
                src: 0,
                off: 0,
            });
        }
        "helper_args" => {
            let key = [
                "*(u32 *)(r10 - 4) = 0; r2 = r10; r2 += -4",
                "r2 = r10; r2 += -4",
                "r2 = r10; r2 += -2",
                "r2 = 0",
                "r2 = r1",
                "r2 = r10; r2 += -600",
            ][rng.below(6)];
            prefix = asm(key, 0);
            match rng.below(10) {
                0 => prefix.extend(asm("r1 = r10", prefix.len())),
                1 => prefix.extend(asm("r1 = 0", prefix.len())),
                _ => prefix.extend(lookup_prefix()[3..5].iter().copied()),
            }
            prefix.push(Insn::Call { helper: 1 });
            let tail = asm(
                "if r0 == 0 goto +1; r3 = *(u64 *)(r0 + 0); r3 = 0",
                prefix.len(),
            );
            prefix.extend(tail);
        }
        "fp_arith" => {
            let op = [
                "r9 += -8",
                "r9 += -512",
                "r9 += -520",
                "r9 -= 16",
                "r9 &= -8",
                "r9 |= 0",
                "r9 *= 1",
                "w9 += -8",
                "r2 = 24; r9 -= r2",
                "r2 = *(u32 *)(r1 + 0); r2 &= 63; r9 -= r2",
                "r2 = *(u32 *)(r1 + 0); r9 -= r2",
            ][rng.below(11)];
            let off = ["+ 0", "- 8", "+ 8", "- 4", "- 16"][rng.below(5)];
            let text = format!("r9 = r10; {op}; *(u64 *)(r9 {off}) = 0");
            prefix = asm(&text, 0);
        }
        "pkt_offset" => {
            let mov = |dst, src| Insn::Alu {
                width: Width::W64,
                op: bpfbox_isa::AluOp::Mov,
                dst,
                src: Src::Reg(src),
            };
            let ctx_word = |dst, off| Insn::Load {
                size: Size::W,
                signed: false,
                dst,
                src: 1,
                off,
            };
            prefix.push(ctx_word(2, 0)); // data
            prefix.push(ctx_word(3, 4)); // data_end
            if rng.chance(30) {
                prefix.push(ctx_word(5, 12)); // ingress_ifindex
                prefix.push(Insn::Alu {
                    width: Width::W64,
                    op: bpfbox_isa::AluOp::And,
                    dst: 5,
                    src: Src::Imm([7, 15, 255][rng.below(3)]),
                });
                prefix.push(Insn::Alu {
                    width: Width::W64,
                    op: bpfbox_isa::AluOp::Add,
                    dst: 2,
                    src: Src::Reg(5),
                });
            }
            prefix.push(mov(4, 2));
            prefix.push(Insn::Alu {
                width: Width::W64,
                op: bpfbox_isa::AluOp::Add,
                dst: 4,
                src: Src::Imm(rng.below(40) as i32),
            });
            let n = prefix.len();
            prefix.push(Insn::Jmp {
                width: Width::W64,
                cond: bpfbox_isa::Cond::Gt,
                dst: 4,
                src: Src::Reg(3),
                target: n + 2,
            });
            prefix.push(Insn::Load {
                size: SIZES[rng.below(4)],
                signed: false,
                dst: 5,
                src: 2,
                off: rng.below(44) as i16 - 4,
            });
        }
        "map_value_offset" => {
            prefix = lookup_prefix();
            let n = prefix.len();
            prefix.push(Insn::Jmp {
                width: Width::W64,
                cond: bpfbox_isa::Cond::Eq,
                dst: 0,
                src: Src::Imm(0),
                target: n + 2,
            });
            prefix.push(Insn::Load {
                size: SIZES[rng.below(4)],
                signed: false,
                dst: 2,
                src: 0,
                off: [0, 2, 4, 6, 7, 8, -1, -8][rng.below(8)],
            });
        }
        _ => {}
    }
    shift_targets(&mut body, prefix.len());
    prefix.extend(body);
    (mutation, prefix)
}

/// The templates: corpus objects whose maps and program type the cases
/// use. `null.o` (socket filter; map 0 is a hash map, key u32, value
/// u64) for every mutation but `pkt_offset`, which runs as XDP (`pkt.o`).
fn template(name: &str) -> (Object, ProgramDef) {
    let path = crate::root().join(corpus::CORPUS_DIR).join(name);
    let obj = bpfbox_object::load_file(&path).expect("template loads");
    let def = obj.programs[0].clone();
    (obj, def)
}

fn templates() -> [(Object, ProgramDef); 2] {
    let socket = template("null.o");
    assert_eq!(socket.0.maps[0].name, "hash", "null.o's first map");
    let xdp = template("pkt.o");
    assert_eq!(xdp.1.prog_type, 6, "pkt.o's first program is XDP");
    [socket, xdp]
}

/// The template a mutation runs with.
fn template_for<'t>(t: &'t [(Object, ProgramDef); 2], mutation: &str) -> &'t (Object, ProgramDef) {
    &t[usize::from(mutation == "pkt_offset")]
}

fn definition(shape: &ProgramDef, insns: &[Insn]) -> ProgramDef {
    let mut def = shape.clone();
    def.insns = bpfbox_isa::encode(insns).expect("encodes");
    def.map_refs = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            matches!(
                i,
                Insn::LdImm64 {
                    value: LdImm64::MapIdx(_),
                    ..
                }
            )
        })
        .map(|(n, _)| (n, MapRef::Map(0)))
        .collect();
    def.func_info.clear();
    def.line_info.clear();
    def
}

/// `1 2 3 7 9 10` as `1-3 7 9-10`.
fn ranges(cases: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cases.len() {
        let mut j = i;
        while j + 1 < cases.len() && cases[j + 1] == cases[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            cases[i].to_string()
        } else {
            format!("{}-{}", cases[i], cases[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// The expectation file's header; the case numbering follows
/// [`MUTATIONS`] (case `n` of mutation `m` is random case `len * n + m`).
fn header() -> String {
    let len = MUTATIONS.len();
    format!(
        "\
Known disagreements between bpfbox's verifier and the running kernel on
random programs (crates/bpfbox/tests/verifier_agreement/fuzz.rs: fuzzgen
programs with one unsafe mutation each; fixed seed). One line per status,
mutation and error class, with the case numbers within the mutation: there
are {len} mutations, case n of the m-th (from 0, in the order of MUTATIONS)
is random case {len}n+m (VC_CASE={len}n+m prints it). Statuses as in
expected.txt.
Regenerate with BPFBOX_BLESS=1 cargo test -p bpfbox --test verifier_agreement"
    )
}

pub(crate) fn random_mutations_agree_with_the_kernel() {
    let templates = templates();
    // VC_CASE=n prints case n's program and the kernel's log.
    if let Some(n) = std::env::var("VC_CASE").ok().and_then(|v| v.parse().ok()) {
        let (m, insns) = case(n);
        let (obj, shape) = template_for(&templates, m);
        let def = definition(shape, &insns);
        let v = bpfbox::kobj::verdict(obj, &def, 1).expect("loads");
        eprintln!("{m}\n{}\n{}", bpfbox_isa::disasm::disasm(&insns), v.log);
    }
    // VC_CASES=FROM..TO checks those cases instead, to look for gaps
    // beyond the fixed ones: any gap fails, the expectation file is not
    // compared.
    let range = std::env::var("VC_CASES").ok().map(|v| {
        v.split_once("..")
            .and_then(|(a, b)| Some(a.parse::<u64>().ok()?..b.parse::<u64>().ok()?))
            .expect("VC_CASES=FROM..TO")
    });
    // Per mutation: cases, kernel accepts, agreed, gaps, strict, class≠.
    let mut table: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
    let mut groups: BTreeMap<(&'static str, &str, String), (Vec<u64>, String)> = BTreeMap::new();
    for n in range.clone().unwrap_or(0..CASES) {
        let (mutation, insns) = case(n);
        let (obj, shape) = template_for(&templates, mutation);
        let def = definition(shape, &insns);
        let kernel = corpus::kernel(obj, &def);
        if let Kernel::Skipped(why) = &kernel {
            panic!("case {n}: the kernel did not verify it: {why}");
        }
        let kline = match &kernel {
            Kernel::Refused(l, _) => Some(l.as_str()),
            _ => None,
        };
        let verdict = corpus::ours(obj, &def);
        let ours_at = verdict.as_ref().err().map(|d| d[0].primary.insn);
        let ours = verdict
            .err()
            .map(|d| (kmsg::classify_against(&d[0], kline), d[0].message.clone()));
        let o = Outcome {
            key: format!("fuzz:{mutation}"),
            class: mutation.to_string(),
            promise: None,
            kernel,
            ours,
            ours_at,
        };
        let row = table.entry(mutation).or_default();
        row[0] += 1;
        row[1] += usize::from(matches!(o.kernel, Kernel::Accepted));
        row[2] += usize::from(o.agreed());
        for e in o.entries() {
            match e.status {
                "gap" => row[3] += 1,
                "strict" => row[4] += 1,
                _ => row[5] += 1,
            }
            let g = groups
                .entry((e.status, mutation, e.detail.clone()))
                .or_insert_with(|| (Vec::new(), e.comment.clone()));
            // Numbered within the mutation, so runs of cases compress.
            g.0.push(n / MUTATIONS.len() as u64);
        }
    }
    eprintln!(
        "\n{:<20} {:>6} {:>8} {:>7} {:>5} {:>7} {:>7}",
        "mutation", "cases", "k-accept", "agreed", "gaps", "strict", "class≠"
    );
    let mut total = [0usize; 6];
    for (m, r) in &table {
        eprintln!(
            "{m:<20} {:>6} {:>8} {:>7} {:>5} {:>7} {:>7}",
            r[0], r[1], r[2], r[3], r[4], r[5]
        );
        for (t, x) in total.iter_mut().zip(r) {
            *t += x;
        }
    }
    eprintln!(
        "{:<20} {:>6} {:>8} {:>7} {:>5} {:>7} {:>7}",
        "TOTAL", total[0], total[1], total[2], total[3], total[4], total[5]
    );
    eprintln!(
        "\n*** KNOWN GAPS on random programs (bpfbox accepts what the kernel refuses): {} of {} ***\n",
        total[3], total[0]
    );
    assert!(
        table.get("none").is_some_and(|r| r[1] == r[0]),
        "unmutated fuzzgen programs must load: {:?}",
        table.get("none")
    );
    let entries: Vec<Entry> = groups
        .into_iter()
        .map(|((status, mutation, detail), (cases, comment))| Entry {
            status,
            key: format!("fuzz:{mutation}"),
            detail: format!("{detail} cases={}", ranges(&cases)),
            comment: format!("{} cases, e.g. {comment}", cases.len()),
        })
        .collect();
    for e in &entries {
        eprintln!("{:<7} {} {}", e.status, e.key, e.detail);
    }
    if range.is_some() {
        assert_eq!(total[3], 0, "bpfbox accepts programs the kernel refuses");
        return;
    }
    let path = crate::root()
        .join(corpus::CORPUS_DIR)
        .join("expected-fuzz.txt");
    if let Err(m) = expect::check(&path, &header(), &entries) {
        panic!("{m}");
    }
}

pub(crate) fn cases_are_deterministic_and_mutated() {
    for n in 0..70 {
        let (m, p) = case(n);
        assert_eq!(case(n), (m, p.clone()));
        let raw = bpfbox_isa::encode(&p).expect("encodes");
        assert_eq!(bpfbox_isa::decode(&raw).expect("decodes"), p);
        if m == "stack_oob" {
            let moved = p.iter().any(|i| {
                matches!(i, Insn::Load { src: 10, off, .. } | Insn::Store { dst: 10, off, .. }
                    | Insn::Atomic { dst: 10, off, .. } if !(-512..-4).contains(off))
            });
            assert!(moved, "case {n}: no stack access moved out");
        }
    }
    assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3,7,9-10");
}
