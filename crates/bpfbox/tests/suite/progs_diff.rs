//! Every packet program of every test object runs on bpfbox and in the
//! kernel over the generated packets: retval, errno, data_out, ctx_out and
//! the maps afterwards must be identical (what `bpfbox diff` checks).

use super::{kernel_usable, packets, root};
use bpfbox::diff::{compare, compare_maps};
use bpfbox::engine::{self, Engine, InterpEngine, KernelEngine, RunInput};
use std::path::PathBuf;

fn objects() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [
        "tests/progs",
        "tests/progs/runtime",
        "tests/progs/coverage",
        "examples",
    ] {
        let Ok(rd) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "o") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

fn has_runner(prog_type: u32) -> bool {
    bpfbox_progtype::ProgType::from_id(prog_type)
        .and_then(bpfbox_runtime::drivers::runner_for)
        .is_some()
}

#[test]
fn every_packet_program_matches_the_kernel() {
    if !kernel_usable("progs_diff") {
        return;
    }
    engine::pin_to_cpu0();
    let pkts = packets::all();
    let (mut programs, mut runs) = (0, 0);
    let mut problems = Vec::new();
    for path in objects() {
        let Ok(obj) = bpfbox_object::load_file(&path) else {
            continue; // objects that must be refused are tested in bpfbox-object
        };
        for def in &obj.programs {
            if !has_runner(def.prog_type) || !def.autoload {
                continue;
            }
            let at = format!(
                "{}:{}",
                path.file_name().unwrap().to_string_lossy(),
                def.name
            );
            let mut interp = match InterpEngine::new(&obj, def, engine::host_like_kernel()) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("{at}: bpfbox cannot load: {e}"));
                    continue;
                }
            };
            let mut kernel = match KernelEngine::new(&obj, def) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("{at}: kernel cannot load: {e}"));
                    continue;
                }
            };
            programs += 1;
            let mut diffs = Vec::new();
            for (name, data) in &pkts {
                let input = RunInput {
                    data_in: data.clone(),
                    repeat: 1,
                    ..Default::default()
                };
                let a = interp.test_run(&input);
                let b = kernel.test_run(&input);
                compare(&format!("{at} packet {name}"), &a, &b, &mut diffs);
                runs += 1;
            }
            compare_maps(&interp.dump_maps(), &kernel.dump_maps(), &mut diffs);
            for d in diffs {
                problems.push(format!(
                    "{}: {}: interp {} / kernel {}",
                    d.at, d.what, d.interp, d.kernel
                ));
            }
        }
    }
    eprintln!(
        "progs_diff: {programs} programs, {runs} runs, {} problems",
        problems.len()
    );
    for p in &problems {
        eprintln!("  {p}");
    }
    assert!(
        programs >= 20,
        "expected the test objects' packet programs, found {programs}"
    );
    assert!(problems.is_empty(), "{} differences", problems.len());
}
