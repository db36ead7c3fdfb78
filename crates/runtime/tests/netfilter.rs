//! NETFILTER programs through BPF_PROG_TEST_RUN on both engines
//! (tests/progs/netfilter): the hook state the program sees, the kernel's
//! checks of data and ctx, repeat, and the map state the runs leave.

use crate::events_sock::{kload, map_index};
use bpfbox_runtime::{HostState, LoadedProgram, TestRunInput};
use std::path::PathBuf;

/// retval, ENOSPC-style errno, data_size_out, ctx_size_out; or the errno
/// of a refused run.
type Outcome = Result<(u32, Option<i32>, u32, u32), i32>;

fn object() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/netfilter/netfilter.o");
    bpfbox_object::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn kernel_run(k: &crate::events_sock::KObj, input: &TestRunInput) -> Outcome {
    let t = bpfbox_kernel::TestRun {
        data_in: (!input.data_in.is_empty()).then_some(&input.data_in[..]),
        data_size_out: input.data_size_out.unwrap_or(0),
        ctx_in: input.ctx_in.as_deref(),
        ctx_size_out: input.ctx_size_out.unwrap_or(0),
        repeat: input.repeat,
        flags: input.flags,
        cpu: input.cpu,
        batch_size: input.batch_size,
    };
    match k.prog.test_run(&t) {
        Ok(o) => Ok((
            o.retval,
            o.errno.map(|e| e.raw()),
            o.data_size_out,
            o.ctx_size_out,
        )),
        Err(e) => Err(e.errno().map_or(-1, |e| e.raw())),
    }
}

fn bpfbox_run(prog: &LoadedProgram, host: &mut HostState, input: &TestRunInput) -> Outcome {
    match bpfbox_runtime::test_run(prog, host, input) {
        Ok(o) => Ok((o.retval, o.errno, o.data_size_out, o.ctx_size_out)),
        Err(e) => Err(e.errno),
    }
}

fn frame(ethertype: u16, len: usize) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.resize(len, 0x45);
    f
}

/// A `struct nf_hook_state` for ctx_in: hook, pf, then zero pointers.
fn state(hook: u8, pf: u8) -> Vec<u8> {
    let mut s = vec![0u8; 48];
    s[0] = hook;
    s[1] = pf;
    s
}

fn cases() -> Vec<(String, TestRunInput)> {
    let mut v = Vec::new();
    let mut add = |what: String, i: TestRunInput| v.push((what, i));
    let data = |d: Vec<u8>| TestRunInput {
        data_in: d,
        ..Default::default()
    };
    let with_ctx = |d: Vec<u8>, c: Vec<u8>| TestRunInput {
        data_in: d,
        ctx_in: Some(c),
        ..Default::default()
    };
    add("no ctx, bare IPv4 header".into(), data(vec![0x45; 20]));
    add("no ctx, 19 bytes".into(), data(vec![0x45; 19]));
    add("no data".into(), data(vec![]));
    add("3712 bytes".into(), data(vec![0x45; 3712]));
    add("3713 bytes".into(), data(vec![0x45; 3713]));
    for hook in [0u8, 1, 2, 3, 4, 5, 200] {
        add(
            format!("IPv4 frame at hook {hook}"),
            with_ctx(frame(0x0800, 34), state(hook, 2)),
        );
        add(
            format!("IPv6 frame at hook {hook}"),
            with_ctx(frame(0x86dd, 54), state(hook, 10)),
        );
        add(
            format!("short IPv4 frame at hook {hook}"),
            with_ctx(frame(0x0800, 33), state(hook, 2)),
        );
        add(
            format!("short IPv6 frame at hook {hook}"),
            with_ctx(frame(0x86dd, 53), state(hook, 10)),
        );
        add(
            format!("IPv6 frame, IPv4 pf, hook {hook}"),
            with_ctx(frame(0x86dd, 60), state(hook, 2)),
        );
        add(
            format!("IPv4 frame, IPv6 pf, hook {hook}"),
            with_ctx(frame(0x0800, 60), state(hook, 10)),
        );
        add(
            format!("ARP frame at hook {hook}"),
            with_ctx(frame(0x0806, 60), state(hook, 2)),
        );
        add(
            format!("802.3 frame at hook {hook}"),
            with_ctx(frame(0x0100, 60), state(hook, 2)),
        );
    }
    for pf in [0u8, 1, 3, 7, 12] {
        add(
            format!("pf {pf}"),
            with_ctx(frame(0x0800, 40), state(1, pf)),
        );
    }
    for byte in [2usize, 7, 8, 16, 23, 24, 32, 40, 47] {
        let mut s = state(1, 2);
        s[byte] = 1;
        add(
            format!("ctx byte {byte} set"),
            with_ctx(frame(0x0800, 40), s),
        );
    }
    add("short ctx".into(), with_ctx(frame(0x0800, 40), vec![0, 2]));
    add(
        "one-byte ctx (pf 0)".into(),
        with_ctx(frame(0x0800, 40), vec![1]),
    );
    let mut long = state(0, 2);
    long.resize(64, 0);
    add(
        "ctx with a zero tail".into(),
        with_ctx(frame(0x0800, 40), long.clone()),
    );
    long[60] = 1;
    add(
        "ctx with a non-zero tail".into(),
        with_ctx(frame(0x0800, 40), long),
    );
    add(
        "ctx_out only".into(),
        TestRunInput {
            data_in: vec![0x45; 20],
            ctx_size_out: Some(48),
            ..Default::default()
        },
    );
    add(
        "ctx_in and ctx_out".into(),
        TestRunInput {
            data_in: frame(0x0800, 40),
            ctx_in: Some(state(4, 2)),
            ctx_size_out: Some(48),
            ..Default::default()
        },
    );
    add(
        "data_out hint".into(),
        TestRunInput {
            data_in: vec![0x45; 20],
            data_size_out: Some(8),
            ..Default::default()
        },
    );
    for (what, flags, cpu, batch) in [
        ("flags", 1, 0, 0),
        ("cpu", 0, 1, 0),
        ("batch_size", 0, 0, 4),
    ] {
        add(
            format!("{what} set"),
            TestRunInput {
                data_in: vec![0x45; 20],
                flags,
                cpu,
                batch_size: batch,
                ..Default::default()
            },
        );
    }
    add(
        "repeat 5 at FORWARD".into(),
        TestRunInput {
            data_in: frame(0x0800, 40),
            ctx_in: Some(state(2, 2)),
            repeat: 5,
            ..Default::default()
        },
    );
    v
}

pub(crate) fn netfilter_test_runs_match_the_kernel() {
    let obj = object();
    for name in ["nf_accept", "nf_policy"] {
        let k = kload(&obj, name);
        let mut host = HostState::default();
        let prog = LoadedProgram::from_object(&mut host, &obj, name).unwrap();
        let mut refused = 0;
        for (what, input) in cases() {
            let b = bpfbox_run(&prog, &mut host, &input);
            let kr = kernel_run(&k, &input);
            assert_eq!(b, kr, "{name}, {what}: bpfbox (left) vs kernel (right)");
            refused += usize::from(kr.is_err());
        }
        // the cases exercise both sides of the rules
        assert!(refused > 10 && refused < cases().len() - 10, "{refused}");
        let runs = map_index(&obj, "runs");
        for key in 0u32..8 {
            let kv = k.maps[runs].lookup(&key.to_le_bytes()).unwrap();
            let bv = host.maps[runs].lookup(&key.to_le_bytes()).ok();
            assert_eq!(
                bv, kv,
                "{name}: runs[{key}] bpfbox (left) vs kernel (right)"
            );
        }
    }
}
