//! `bpf_get_ns_current_pid_tgid` against the kernel: a raw tracepoint
//! program (tests/progs/events/trace/pidns.c) test-run by this thread with
//! its own pid namespace's dev/inode, a wrong inode, a dev over 32 bits
//! and a short buffer; bpfbox runs it with this thread as its task and
//! must return the same values and leave the same map.

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::{test_run, TestRunInput};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

fn obj() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/events/trace/pidns.o");
    bpfbox_object::load_file(p).unwrap()
}

fn words(m: &bpfbox_maps::Map) -> Vec<u64> {
    (0u32..8)
        .map(|k| u64::from_ne_bytes(m.lookup(&k.to_ne_bytes()).unwrap()[..8].try_into().unwrap()))
        .collect()
}

pub(crate) fn ns_pid_tgid_matches_the_kernel() {
    let ns = std::fs::metadata("/proc/thread-self/ns/pid").expect("stat of the pid namespace");
    let (dev, ino) = (ns.dev(), ns.ino());
    let ctx: Vec<u8> = [dev, ino].iter().flat_map(|w| w.to_ne_bytes()).collect();
    let o = obj();
    // the kernel, run by this thread
    let maps: Vec<_> = o
        .maps
        .iter()
        .map(|s| {
            bpfbox_kernel::MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries)
                .create()
                .unwrap()
        })
        .collect();
    let def = o.program("rtp_pidns").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let kp = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected rtp_pidns: {e}"));
    let t = bpfbox_kernel::TestRun {
        ctx_in: Some(&ctx),
        ..Default::default()
    };
    assert_eq!(kp.test_run(&t).unwrap().retval, 0);
    let kout: Vec<u64> = (0u32..8)
        .map(|k| {
            let v = maps[0].lookup(&k.to_ne_bytes()).unwrap().unwrap();
            u64::from_ne_bytes(v[..8].try_into().unwrap())
        })
        .collect();
    // bpfbox, with this thread as its task
    let mut host = crate::running::host();
    // SAFETY: plain syscalls without arguments.
    let (tid, pid) = unsafe {
        (
            libc::syscall(libc::SYS_gettid) as u32,
            libc::getpid() as u32,
        )
    };
    host.task.pid = tid;
    host.task.tgid = pid;
    host.task.pidns = (dev, ino);
    let prog = LoadedProgram::from_object(&mut host, &o, "rtp_pidns").unwrap();
    let input = TestRunInput {
        ctx_in: Some(ctx.clone()),
        ..Default::default()
    };
    assert_eq!(test_run(&prog, &mut host, &input).unwrap().retval, 0);
    let bout = words(&host.maps[0]);
    assert_eq!(kout[0], 0, "the kernel matched its own namespace");
    assert_eq!(kout[1], u64::from(pid) << 32 | u64::from(tid));
    assert_eq!(
        bout, kout,
        "results and pidns_info words (bpfbox vs kernel)"
    );
}
