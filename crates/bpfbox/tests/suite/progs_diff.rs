//! Every packet program of every test object runs on bpfbox and in the
//! kernel over the generated packets: retval, errno, data_out, ctx_out and
//! the maps afterwards must be identical (what `bpfbox diff` checks); each
//! packet runs twice, without and with a context ([`inputs_for`]).
//! Programs that call `bpf_fib_lookup` run the kernel side inside the
//! [`super::fibnet`] namespace and bpfbox with the same network. Redirect
//! maps get one target from user space first ([`preset`]), so
//! `bpf_redirect_map` takes both its paths. Perf event arrays get perf
//! buffers, and `bpf_trace_printk` lines of the coverage objects are
//! compared (read from a tracefs instance of the kernel engine's own).

use super::fibnet::TestNet;
use super::{packets, root};
use bpfbox::diff::{compare, compare_maps};
use bpfbox::engine::{
    self, Engine, InterpEngine, KernelEngine, MapDump, RunError, RunInput, RunOutput,
};
use bpfbox_isa::Insn;
use bpfbox_object::{Object, ProgramDef};
use bpfbox_uapi::map_type;
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

/// `BPF_FUNC_fib_lookup`.
const FIB_LOOKUP: i32 = bpfbox_uapi::helper::id::FIB_LOOKUP as i32;
/// `BPF_FUNC_trace_printk`.
const TRACE_PRINTK: i32 = bpfbox_uapi::helper::id::TRACE_PRINTK as i32;

fn calls(def: &ProgramDef, id: i32) -> bool {
    bpfbox_isa::decode(&def.insns).is_ok_and(|v| {
        v.iter()
            .any(|i| matches!(i, Insn::Call { helper } if *helper == id))
    })
}

type Runs = Vec<Result<RunOutput, RunError>>;

/// `BPF_PROG_TYPE_XDP`.
const XDP: u32 = bpfbox_uapi::prog_type::XDP;

/// Every packet as is, then again with a context (`ctx_in`): for XDP 8
/// bytes of metadata in front of the frame and the loopback device as
/// ingress; for skb types the `__sk_buff` fields the kernel's test run
/// takes (mark, priority, ifindex, cb, tstamp). The second round compares
/// `ctx_out` too.
fn inputs_for(prog_type: u32, pkts: &[(String, Vec<u8>)]) -> (Vec<String>, Vec<RunInput>) {
    let mut names = Vec::new();
    let mut inputs = Vec::new();
    for (name, data) in pkts {
        names.push(name.clone());
        inputs.push(RunInput {
            data_in: data.clone(),
            repeat: 1,
            ..Default::default()
        });
    }
    for (name, data) in pkts {
        let ctx = if prog_type == XDP {
            let mut c = vec![0u8; 24];
            c[0..4].copy_from_slice(&8u32.to_le_bytes()); // data
            c[4..8].copy_from_slice(&(data.len() as u32).to_le_bytes()); // data_end
            c[12..16].copy_from_slice(&1u32.to_le_bytes()); // ingress_ifindex
            c
        } else {
            let mut c = vec![0u8; 192];
            c[8..12].copy_from_slice(&0x55u32.to_le_bytes()); // mark
            c[32..36].copy_from_slice(&6u32.to_le_bytes()); // priority
            c[40..44].copy_from_slice(&1u32.to_le_bytes()); // ifindex
            for (i, v) in (48..68).step_by(4).zip(1u32..) {
                c[i..i + 4].copy_from_slice(&(v * 0x0101_0101).to_le_bytes()); // cb
            }
            c[152..160].copy_from_slice(&12_345u64.to_le_bytes()); // tstamp
            c
        };
        let mut data_in = data.clone();
        if prog_type == XDP {
            // metadata first: data_in holds meta + frame
            let mut d = vec![0xa5u8; 8];
            d.extend_from_slice(data);
            data_in = d;
            let end = data_in.len() as u32;
            let mut c = ctx;
            c[4..8].copy_from_slice(&end.to_le_bytes());
            names.push(format!("{name}+ctx"));
            inputs.push(RunInput {
                data_in,
                ctx_in: Some(c),
                repeat: 1,
                ..Default::default()
            });
            continue;
        }
        names.push(format!("{name}+ctx"));
        inputs.push(RunInput {
            data_in,
            ctx_in: Some(ctx),
            repeat: 1,
            ..Default::default()
        });
    }
    (names, inputs)
}

/// devmap and devmap_hash: key 1 -> lo (ifindex 1); cpumap: CPU 0 with a
/// queue of 64 (xskmap slots need AF_XDP sockets and stay empty); perf
/// event arrays get a perf buffer per CPU unless named `*_unopened`.
fn preset(e: &mut dyn Engine, obj: &Object) -> Result<(), RunError> {
    e.open_perf_buffers()?;
    for m in &obj.maps {
        let (key, first) = match m.map_type {
            map_type::DEVMAP | map_type::DEVMAP_HASH => (1u32, 1u32),
            map_type::CPUMAP => (0, 64),
            _ => continue,
        };
        let mut value = first.to_ne_bytes().to_vec();
        value.resize(m.value_size as usize, 0);
        e.update_map(&m.name, &key.to_ne_bytes(), &value)?;
    }
    Ok(())
}

fn run_all(e: &mut dyn Engine, inputs: &[RunInput]) -> (Runs, Vec<MapDump>) {
    let runs = inputs.iter().map(|i| e.test_run(i)).collect();
    (runs, e.dump_maps())
}

fn kernel_side(
    obj: &Object,
    def: &ProgramDef,
    inputs: &[RunInput],
    trace: bool,
) -> Result<(Runs, Vec<MapDump>), RunError> {
    let mut k = KernelEngine::new(obj, def)?;
    if trace {
        k.capture_trace()?;
    }
    preset(&mut k, obj)?;
    Ok(run_all(&mut k, inputs))
}

pub(crate) fn every_packet_program_matches_the_kernel() {
    engine::pin_to_cpu0();
    let pkts = packets::all();
    let mut net: Option<TestNet> = None;
    let (mut programs, mut runs, mut refused) = (0, 0, 0);
    let running = std::sync::Arc::new(
        bpfbox_kernel::running_profile()
            .expect("the running kernel's profile")
            .clone(),
    );
    let mut problems = Vec::new();
    for path in objects() {
        let Ok(obj) = bpfbox_object::load_file(&path) else {
            continue; // objects that must be refused are tested in bpfbox-object
        };
        if let Some(m) = bpfbox::support::unloadable(&obj).first() {
            // libbpf refuses such an object; the extern tests cover it
            eprintln!("progs_diff: {} not compared here: {m}", path.display());
            continue;
        }
        for def in &obj.programs {
            if !has_runner(def.prog_type) || !def.autoload {
                continue;
            }
            let at = format!(
                "{}:{}",
                path.file_name().unwrap().to_string_lossy(),
                def.name
            );
            let (names, inputs) = inputs_for(def.prog_type, &pkts);
            let fib = calls(def, FIB_LOOKUP);
            // trace_printk lines are compared for the coverage objects
            // (others print clock readings, which differ by design)
            let trace =
                calls(def, TRACE_PRINTK) && path.parent().is_some_and(|p| p.ends_with("coverage"));
            if fib && net.is_none() {
                match TestNet::new() {
                    Ok(n) => net = Some(n),
                    Err(e) => {
                        problems.push(format!("{at}: cannot build the fib namespace: {e}"));
                        continue;
                    }
                }
            }
            let mut host = match (&net, fib) {
                (Some(n), true) => n.host(engine::host_like_kernel()),
                _ => engine::host_like_kernel(),
            };
            // bpfbox models the running kernel: what it refuses, bpfbox
            // refuses too, in its words
            host.kernel = running.clone();
            let interp = InterpEngine::new(&obj, def, host);
            let kernel = match (&net, fib) {
                (Some(n), true) => n
                    .run(|| kernel_side(&obj, def, &inputs, trace))
                    .unwrap_or_else(|e| {
                        Err(RunError {
                            kind: bpfbox::engine::RunErrorKind::Other,
                            errno: None,
                            message: e,
                            ..Default::default()
                        })
                    }),
                _ => kernel_side(&obj, def, &inputs, trace),
            };
            let (mut interp, (kruns, kmaps)) = match (interp, kernel) {
                (Ok(i), Ok(k)) => (i, k),
                (Err(i), Err(k)) if bpfbox::diff::same_refusal(&i.message, &k.message) => {
                    refused += 1;
                    continue;
                }
                (Err(i), Err(k)) => {
                    problems.push(format!(
                        "{at}: refused for different reasons: bpfbox {i} / kernel {k}"
                    ));
                    continue;
                }
                (Err(e), Ok(_)) => {
                    problems.push(format!("{at}: bpfbox cannot load: {e}"));
                    continue;
                }
                (Ok(_), Err(e)) => {
                    problems.push(format!("{at}: kernel cannot load: {e}"));
                    continue;
                }
            };
            programs += 1;
            if let Err(e) = preset(&mut interp, &obj) {
                problems.push(format!("{at}: bpfbox map preset: {e}"));
                continue;
            }
            let (iruns, imaps) = run_all(&mut interp, &inputs);
            let mut diffs = Vec::new();
            for ((name, a), b) in names.iter().zip(&iruns).zip(&kruns) {
                compare(&format!("{at} packet {name}"), a, b, &mut diffs);
                if let (Ok(x), Ok(y), true) = (a, b, trace) {
                    if x.trace != y.trace {
                        problems.push(format!(
                            "{at} packet {name}: trace_printk: interp {:?} / kernel {:?}",
                            x.trace, y.trace
                        ));
                    }
                }
                runs += 1;
            }
            compare_maps(&imaps, &kmaps, &mut diffs);
            for d in diffs {
                problems.push(format!(
                    "{}: {}: interp {} / kernel {}",
                    d.at, d.what, d.interp, d.kernel
                ));
            }
        }
    }
    eprintln!(
        "progs_diff: {programs} programs, {runs} runs, {refused} refused by both, {} problems",
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
