//! Stack helpers and stack trace maps against the kernel on a real
//! attached tracepoint (tests/progs/events/trace/stacks.c): the program
//! runs in the kernel on `getppid()` of this thread and records the kernel
//! and user call chains it saw (`bpf_get_stack`) next to the results of
//! `bpf_get_stackid`/`bpf_get_stack` with every flag. The frames are
//! host-specific, so bpfbox replays that event with those chains (the
//! event JSON's `stack`) and must leave every result and every map equal:
//! stack ids (the kernel's jhash2 bucket), -EEXIST/REUSE/FAST_CMP on a
//! one-bucket map, skips, cut chains, build-id frames in their IP form.

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::events::fire_all;
use bpfbox_runtime::HostState;
use serde_json::json;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

fn obj() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/events/trace/stacks.o");
    bpfbox_object::load_file(p).unwrap()
}

fn idx(o: &bpfbox_object::Object, name: &str) -> usize {
    o.maps.iter().position(|m| m.name == name).unwrap()
}

/// (tid, tgid) of this thread.
fn ids() -> (u32, u32) {
    // SAFETY: plain syscalls without arguments.
    unsafe {
        (
            libc::syscall(libc::SYS_gettid) as u32,
            libc::getpid() as u32,
        )
    }
}

/// Every map's (key, value) pairs, in key order.
type Dump = Vec<Vec<(Vec<u8>, Vec<u8>)>>;

fn kernel_dump(maps: &[bpfbox_kernel::KernelMap]) -> Dump {
    maps.iter()
        .map(|m| {
            let mut e = m.entries().unwrap();
            e.sort();
            e
        })
        .collect()
}

fn bpfbox_dump(host: &HostState) -> Dump {
    host.maps
        .iter()
        .map(|m| {
            let mut e: Vec<_> = m.entries().collect();
            e.sort();
            e
        })
        .collect()
}

fn word(v: &[u8]) -> u64 {
    u64::from_ne_bytes(v[..8].try_into().unwrap())
}

/// The first `n_bytes / 8` frames of a recorded chain.
fn frames(v: &[u8], n_bytes: u64) -> Vec<String> {
    let n = if (n_bytes as i64) > 0 {
        n_bytes as usize / 8
    } else {
        0
    };
    v.chunks(8)
        .take(n)
        .map(|c| format!("{:#x}", word(c)))
        .collect()
}

pub(crate) fn stack_helpers_match_kernel_on_an_attached_tracepoint() {
    let o = obj();
    let (tid, tgid) = ids();
    let out = idx(&o, "out");
    let maps: Vec<_> = o
        .maps
        .iter()
        .map(|s| {
            let mut mc =
                bpfbox_kernel::MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries);
            mc.map_flags = s.map_flags;
            mc.create()
                .unwrap_or_else(|e| panic!("map {}: {e}", s.name))
        })
        .collect();
    maps[out]
        .update(&31u32.to_ne_bytes(), &u64::from(tid).to_ne_bytes(), 0)
        .unwrap();
    let def = o.program("tp_stacks").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let kp = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected tp_stacks: {e}"));
    crate::events_trace::with_tracepoint(&kp, "syscalls/sys_enter_getppid", || {
        // SAFETY: getppid has no arguments and no memory effects.
        unsafe { libc::syscall(libc::SYS_getppid) };
    });
    let kd = kernel_dump(&maps);
    let results: Vec<u64> = kd[out].iter().map(|(_, v)| word(v)).collect();
    assert!(
        results[0] as i64 > 0,
        "the kernel chain was taken: {results:?}"
    );
    let chains = &kd[idx(&o, "chains")];
    let event = json!({
        "tracepoint": "syscalls/sys_enter_getppid",
        "fields": {"__syscall_nr": libc::SYS_getppid},
        "task": {"pid": tid, "tgid": tgid},
        "stack": {
            "kernel": frames(&chains[0].1, results[0]),
            "user": frames(&chains[1].1, results[1]),
        },
    });
    let mut host = crate::running::host();
    host.nr_cpus = bpfbox_kernel::possible_cpus().unwrap_or(1) as u32;
    let prog = LoadedProgram::from_object(&mut host, &o, "tp_stacks").unwrap();
    host.maps[out]
        .update(&31u32.to_ne_bytes(), &u64::from(tid).to_ne_bytes(), 0)
        .unwrap();
    let r = fire_all(&prog, &mut host, &event).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r[0].retval, 1);
    let bd = bpfbox_dump(&host);
    let signed: Vec<i64> = results.iter().map(|&x| x as i64).collect();
    println!("kernel results: {signed:?}");
    // The flag cases the program covers must have their expected kinds.
    assert_eq!(signed[6], -17, "one-bucket map, other chain: EEXIST");
    assert_eq!(signed[7], -12, "REUSE_STACKID needs a free element: ENOMEM");
    assert_eq!(
        signed[10], -22,
        "BPF_F_USER_BUILD_ID is no get_stackid flag"
    );
    for (i, name) in o.maps.iter().map(|m| &m.name).enumerate() {
        assert_eq!(bd[i], kd[i], "map {name}");
    }
}
