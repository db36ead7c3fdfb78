//! Agreement probe: for every program of the given objects, bpfbox's
//! verifier verdict next to the running kernel's (loading the program).
//! Prints one line per program; `MISMATCH` lines first-class.
use bpfbox::engine;
use bpfbox::kobj::KernelObject;

fn main() {
    let (mut agree, mut ours_only, mut kernel_only) = (0, 0, 0);
    for path in std::env::args().skip(1) {
        let obj = match bpfbox_object::load_file(std::path::Path::new(&path)) {
            Ok(o) => o,
            Err(e) => {
                println!("SKIP {path}: {e}");
                continue;
            }
        };
        for def in &obj.programs {
            let insns = match bpfbox_isa::decode(&def.insns) {
                Ok(i) => i,
                Err(e) => {
                    println!("SKIP {path}:{} decode {e}", def.name);
                    continue;
                }
            };
            let ours = engine::check_object(&obj, def, &insns);
            let kern = KernelObject::load(&obj, def);
            let k_ok = kern.is_ok();
            let o_ok = ours.is_ok();
            let tag = match (o_ok, k_ok) {
                (true, true) | (false, false) => {
                    agree += 1;
                    "ok"
                }
                (false, true) => {
                    ours_only += 1;
                    "FALSE-REFUSE"
                }
                (true, false) => {
                    kernel_only += 1;
                    "FALSE-ACCEPT"
                }
            };
            let od = ours
                .as_ref()
                .err()
                .map(|d| {
                    format!(
                        "insn {} {:?}: {}",
                        d[0].primary.insn, d[0].kernel, d[0].message
                    )
                })
                .unwrap_or_default();
            let kd = kern
                .as_ref()
                .err()
                .map(|e| {
                    e.to_string()
                        .lines()
                        .rfind(|l| !l.starts_with("processed") && !l.trim().is_empty())
                        .unwrap_or("")
                        .to_string()
                })
                .unwrap_or_default();
            println!("{tag:13} {path}:{} | ours: {od} | kernel: {kd}", def.name);
        }
    }
    println!("agree {agree} false-refuse {ours_only} false-accept {kernel_only}");
}
