//! Tracing program types against the kernel (tests/progs/events/trace).
//!
//! * RAW_TRACEPOINT and SYSCALL: BPF_PROG_TEST_RUN on both engines with
//!   the same inputs (retval or errno; SYSCALL also the ctx written back;
//!   the probe_read_user*, probe_read_kernel* and task helpers by map
//!   contents, reading this process's own memory, which bpfbox gets as
//!   its memory image).
//! * TRACEPOINT: programs attached for real (perf_event_open) to
//!   syscalls/sys_enter_openat, raw_syscalls/sys_enter (an array field),
//!   sched/sched_switch and sched/sched_process_exec (a __data_loc
//!   string) of this thread; the
//!   map contents they leave must equal what bpfbox leaves for the same
//!   event laid out from the shipped format file.
//! * KPROBE: no kprobe PMU here (CONFIG_KPROBES=n); the program is
//!   attached as a uprobe to a function of this test binary instead and
//!   the hit is replayed in bpfbox with the registers the kernel saw; the
//!   verifier checks the ctx offsets (every pt_regs slot loads, offset 168
//!   does not).
//! * PERF_EVENT: attached to a cpu-clock software event of this thread;
//!   the last sample (period, addr, ip, perf_prog_read_value) replayed in
//!   bpfbox leaves the same map.
//!
//! Tests with kernel parts are listed `=> [kernel]` in tests.rs: the
//! harness reports them as ignored, with the reason, when bpf() is unusable.

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::events::traceenv::{MemRegion, TracingState};
use bpfbox_runtime::events::{fire_all, EventError};
use bpfbox_runtime::{test_run, HostState, TestRunInput};
use serde_json::json;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

fn obj() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/events/trace/trace.o");
    bpfbox_object::load_file(p).unwrap()
}

const STR_FILL: u8 = 0xaa;

/// Indices of the `out` and `strs` maps in the object (and in a fresh
/// bpfbox host, which creates them in object order).
fn map_idx(o: &bpfbox_object::Object) -> (usize, usize) {
    let i = |n: &str| o.maps.iter().position(|m| m.name == n).unwrap();
    (i("out"), i("strs"))
}

/// The object's maps in the kernel (strs pre-filled with 0xaa).
fn kernel_maps(o: &bpfbox_object::Object) -> Vec<bpfbox_kernel::KernelMap> {
    o.maps
        .iter()
        .map(|spec| {
            let mut mc = bpfbox_kernel::MapCreate::new(
                spec.map_type,
                spec.key_size,
                spec.value_size,
                spec.max_entries,
            );
            mc.map_flags = spec.map_flags;
            let m = mc
                .create()
                .unwrap_or_else(|e| panic!("map {}: {e}", spec.name));
            if spec.name == "strs" {
                for k in 0u32..4 {
                    m.update(&k.to_le_bytes(), &[STR_FILL; 64], 0).unwrap();
                }
            }
            m
        })
        .collect()
}

fn kernel_load(
    o: &bpfbox_object::Object,
    maps: &[bpfbox_kernel::KernelMap],
    name: &str,
) -> Result<bpfbox_kernel::KernelProg, bpfbox_kernel::Error> {
    let def = o.program(name).unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let flags = if def.prog_type == 31 { 16 } else { 0 };
    bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .expected_attach_type(def.expected_attach_type)
        .prog_flags(flags)
        .load()
}

/// (out[0..32], strs[0..4]) of the kernel.
fn kernel_dump(maps: &[bpfbox_kernel::KernelMap]) -> (Vec<u64>, Vec<Vec<u8>>) {
    let (oi, si) = map_idx(&obj());
    let out = (0u32..32)
        .map(|k| {
            let v = maps[oi].lookup(&k.to_le_bytes()).unwrap().unwrap();
            u64::from_le_bytes(v[..8].try_into().unwrap())
        })
        .collect();
    let strs = (0u32..4)
        .map(|k| maps[si].lookup(&k.to_le_bytes()).unwrap().unwrap())
        .collect();
    (out, strs)
}

/// A bpfbox host with the object's program `name` (strs pre-filled).
fn bpfbox_prog(o: &bpfbox_object::Object, name: &str) -> (HostState, LoadedProgram) {
    let mut host = crate::running::host();
    host.nr_cpus = bpfbox_kernel::possible_cpus().unwrap_or(1) as u32;
    let prog = LoadedProgram::from_object(&mut host, o, name).unwrap();
    let (_, si) = map_idx(o);
    for k in 0u32..4 {
        host.maps[si]
            .update(&k.to_le_bytes(), &[STR_FILL; 64], 0)
            .unwrap();
    }
    (host, prog)
}

fn bpfbox_dump(host: &HostState) -> (Vec<u64>, Vec<Vec<u8>>) {
    let (oi, si) = map_idx(&obj());
    let out = (0u32..32)
        .map(|k| {
            let v = host.maps[oi].lookup(&k.to_le_bytes()).unwrap();
            u64::from_le_bytes(v[..8].try_into().unwrap())
        })
        .collect();
    let strs = (0u32..4)
        .map(|k| host.maps[si].lookup(&k.to_le_bytes()).unwrap())
        .collect();
    (out, strs)
}

fn words(args: &[u64]) -> Vec<u8> {
    args.iter().flat_map(|a| a.to_le_bytes()).collect()
}

type Outcome = Result<(u32, Option<Vec<u8>>), i32>;

fn run_b(host: &mut HostState, prog: &LoadedProgram, input: &TestRunInput) -> Outcome {
    test_run(prog, host, input)
        .map(|o| (o.retval, o.ctx_out))
        .map_err(|e| e.errno)
}

/// The kernel's test run; for SYSCALL the ctx the kernel copies back into
/// `ctx_in` is returned like bpfbox's `ctx_out`.
fn run_k(prog: &bpfbox_kernel::KernelProg, input: &TestRunInput, copy_back: bool) -> Outcome {
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
    match prog.test_run(&t) {
        // SYSCALL programs write their context back into ctx_in.
        Ok(o) => Ok((
            o.retval,
            (copy_back && !o.ctx_in_after.is_empty()).then_some(o.ctx_in_after),
        )),
        Err(e) => Err(e.errno().map_or(-1, |e| e.raw())),
    }
}

fn ctx(bytes: Vec<u8>) -> TestRunInput {
    TestRunInput {
        ctx_in: Some(bytes),
        ..Default::default()
    }
}

pub(crate) fn raw_tp_test_runs_match_kernel() {
    let o = obj();
    let ncpu = bpfbox_kernel::possible_cpus().unwrap_or(1) as u32;
    let cases: Vec<(&str, TestRunInput)> = vec![
        ("rtp_sum", ctx(words(&[5, 7]))),
        ("rtp_sum", ctx(words(&[u64::MAX, 1 << 40]))),
        ("rtp_sum", ctx(words(&[5]))),
        ("rtp_sum", ctx(words(&[1; 12]))),
        ("rtp_sum", ctx(words(&[1; 13]))),
        ("rtp_sum", TestRunInput::default()),
        (
            "rtp_sum",
            TestRunInput {
                repeat: 2,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                cpu: 1,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                flags: 1,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                flags: 1,
                cpu: ncpu - 1,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                flags: 1,
                cpu: ncpu,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                ctx_size_out: Some(16),
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                data_in: vec![0; 64],
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                data_size_out: Some(64),
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_high",
            ctx(words(&[
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0x1234_5678_9abc_def0,
            ])),
        ),
        ("rtp_high", ctx(words(&[9; 11]))),
        (
            "rtp_sum",
            TestRunInput {
                flags: 2,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                flags: 3,
                ..ctx(words(&[1, 2]))
            },
        ),
        (
            "rtp_sum",
            TestRunInput {
                batch_size: 1,
                ..ctx(words(&[1, 2]))
            },
        ),
        ("rtp_sum", ctx(words(&[1, 2, 3]))),
        ("rtp_sum", ctx(vec![1; 17])),
        ("rtp_sum", ctx(vec![1; 15])),
        ("rtp_task", TestRunInput::default()),
    ];
    let mut bb = Vec::new();
    for (name, input) in &cases {
        let (mut host, prog) = bpfbox_prog(&o, name);
        bb.push(run_b(&mut host, &prog, input));
    }
    assert_eq!(bb[0], Ok((26, None)));
    assert_eq!(bb[2], Err(22), "ctx_size_in below the highest byte read");
    let maps = kernel_maps(&o);
    for (i, (name, input)) in cases.iter().enumerate() {
        let kp = kernel_load(&o, &maps, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let k = run_k(&kp, input, false);
        assert_eq!(bb[i], k, "case {i} ({name}, {input:?})");
    }
}

pub(crate) fn syscall_test_runs_match_kernel() {
    let o = obj();
    let blob = |a: u64, b: u64, c: u32, d: u32, extra: usize| {
        let mut v = Vec::new();
        v.extend_from_slice(&a.to_le_bytes());
        v.extend_from_slice(&b.to_le_bytes());
        v.extend_from_slice(&c.to_le_bytes());
        v.extend_from_slice(&d.to_le_bytes());
        v.extend(std::iter::repeat_n(0x5a, extra));
        v
    };
    let cases: Vec<TestRunInput> = vec![
        ctx(blob(10, 0, 3, 0, 0)),
        ctx(blob(u64::MAX, 9, 0xffff_ff00, 7, 8)),
        ctx(blob(1, 2, 3, 4, 0)[..16].to_vec()),
        ctx(blob(1, 2, 3, 4, 0)[..20].to_vec()),
        TestRunInput::default(),
        TestRunInput {
            flags: 1,
            ..ctx(blob(1, 2, 3, 4, 0))
        },
        TestRunInput {
            repeat: 1,
            ..ctx(blob(1, 2, 3, 4, 0))
        },
        TestRunInput {
            ctx_size_out: Some(24),
            ..ctx(blob(1, 2, 3, 4, 0))
        },
        TestRunInput {
            cpu: 1,
            ..ctx(blob(1, 2, 3, 4, 0))
        },
        ctx(vec![0; 65535]),
        ctx(vec![0; 65536]),
    ];
    let mut bb = Vec::new();
    for input in &cases {
        let (mut host, prog) = bpfbox_prog(&o, "sys_prog");
        bb.push(run_b(&mut host, &prog, input));
    }
    assert_eq!(bb[0], Ok((13, Some(blob(10, 31, 3, 0xfc, 0)))));
    let maps = kernel_maps(&o);
    let kp = kernel_load(&o, &maps, "sys_prog").unwrap();
    for (i, input) in cases.iter().enumerate() {
        let k = run_k(&kp, input, true);
        assert_eq!(bb[i], k, "case {i}");
    }
}

/// One readable page followed by an inaccessible one.
struct Page {
    addr: u64,
}

impl Page {
    fn new() -> Page {
        // SAFETY: an anonymous private mapping of two pages; the second is
        // made inaccessible.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                8192,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            assert_eq!(
                libc::mprotect(p.cast::<u8>().add(4096).cast(), 4096, libc::PROT_NONE),
                0
            );
            Page { addr: p as u64 }
        }
    }

    fn write(&self, off: usize, b: &[u8]) {
        assert!(off + b.len() <= 4096);
        // SAFETY: inside the readable page.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), (self.addr as *mut u8).add(off), b.len())
        };
    }

    fn bytes(&self) -> Vec<u8> {
        // SAFETY: the readable page.
        unsafe { std::slice::from_raw_parts(self.addr as *const u8, 4096).to_vec() }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, 8192) };
    }
}

/// This thread's identity as bpfbox's task.
fn this_task() -> bpfbox_runtime::host::Task {
    // SAFETY: plain syscalls without arguments.
    let (tid, pid, uid, gid) = unsafe {
        (
            libc::syscall(libc::SYS_gettid) as u32,
            libc::getpid() as u32,
            libc::getuid(),
            libc::getgid(),
        )
    };
    let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    bpfbox_runtime::host::Task {
        pid: tid,
        tgid: pid,
        uid,
        gid,
        comm: comm.trim_end_matches('\n').to_string(),
        ..Default::default()
    }
}

pub(crate) fn probe_read_and_task_helpers_match_kernel() {
    let o = obj();
    // a user string with bytes after its NUL (the word-at-a-time copy
    // zeroes them in the destination), 16 raw bytes, an unmapped address
    let mut s = b"hello, bpfbox tracing!\0XYZWVUT".to_vec();
    s.extend_from_slice(&[0u8; 16]);
    let raw: Vec<u8> = (0x11u8..0x21).chain([0u8; 8]).collect();
    // pages followed by inaccessible ones: one ends in "0123456789ab\0",
    // the other in "NO-NUL.." without a NUL
    let page = Page::new();
    page.write(4096 - 13, b"0123456789ab\0");
    let page2 = Page::new();
    page2.write(4096 - 8, b"NO-NUL..");
    let args = [
        s.as_ptr() as u64,
        raw.as_ptr() as u64,
        0x1000,
        page.addr + 4096 - 13,
        page2.addr + 4096 - 8,
    ];
    let image = vec![
        MemRegion {
            addr: args[0],
            bytes: s.clone(),
        },
        MemRegion {
            addr: args[1],
            bytes: raw.clone(),
        },
        MemRegion {
            addr: page.addr,
            bytes: page.bytes(),
        },
        MemRegion {
            addr: page2.addr,
            bytes: page2.bytes(),
        },
    ];
    let run_bpfbox = |name: &str| {
        let (mut host, prog) = bpfbox_prog(&o, name);
        host.task = this_task();
        host.event.set(TracingState {
            memory: image.clone(),
            ..TracingState::default()
        });
        let r = run_b(&mut host, &prog, &ctx(words(&args)));
        (r, bpfbox_dump(&host))
    };
    let (probe_r, probe_b) = run_bpfbox("rtp_probe");
    let (task_r, task_b) = run_bpfbox("rtp_task");
    assert_eq!(probe_r, Ok((1, None)));
    assert_eq!(probe_b.0[0], 23, "strlen + NUL");
    assert_eq!(
        probe_b.0[4] as i64, -34,
        "probe_read_kernel of a user address: ERANGE"
    );
    // the word holding the NUL is written whole (bytes after the NUL as 0)
    assert_eq!(&probe_b.1[0][..26], b"hello, bpfbox tracing!\0\0\xaa\xaa");
    assert_eq!(task_r, Ok((2, None)));
    assert_eq!(
        probe_b.0[12], 13,
        "word copy faulted, bytes finished the string"
    );
    assert_eq!(
        probe_b.0[13] as i64, -14,
        "no NUL before the inaccessible page"
    );
    for (name, br, bd) in [
        ("rtp_probe", probe_r, probe_b),
        ("rtp_task", task_r, task_b),
    ] {
        let maps = kernel_maps(&o);
        let kp = kernel_load(&o, &maps, name).unwrap();
        let kr = run_k(&kp, &ctx(words(&args)), false);
        let kd = kernel_dump(&maps);
        assert_eq!(br, kr, "{name} retval");
        assert_eq!(bd.0, kd.0, "{name} out map");
        for i in 0..4 {
            assert_eq!(bd.1[i], kd.1[i], "{name} strs[{i}]");
        }
    }
    std::hint::black_box((&s, &raw));
}

/// Attaches `prog` to tracepoint `sys/event` for this thread, runs `f`,
/// detaches. None (with a printed reason) when tracefs or perf events are
/// unavailable.
pub(crate) fn with_tracepoint(prog: &bpfbox_kernel::KernelProg, tp: &str, f: impl FnOnce()) {
    let tracefs = bpfbox_kernel::mounts::tracefs().expect("tracefs");
    let id_path = format!("{}/events/{tp}/id", tracefs.display());
    let id: u64 = std::fs::read_to_string(&id_path)
        .unwrap_or_else(|e| panic!("{id_path}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{id_path}: {e}"));
    // struct perf_event_attr, PERF_ATTR_SIZE_VER5 (112 bytes)
    let mut attr = [0u8; 112];
    attr[0..4].copy_from_slice(&2u32.to_le_bytes()); // PERF_TYPE_TRACEPOINT
    attr[4..8].copy_from_slice(&112u32.to_le_bytes());
    attr[8..16].copy_from_slice(&id.to_le_bytes());
    attr[16..24].copy_from_slice(&1u64.to_le_bytes()); // sample_period
                                                       // SAFETY: perf_event_open with a valid attr buffer; pid 0 = this
                                                       // thread, cpu -1 = any, no group.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr.as_ptr(),
            0,
            -1,
            -1,
            8u64, // PERF_FLAG_FD_CLOEXEC
        )
    } as i32;
    assert!(
        fd >= 0,
        "perf_event_open: {}",
        std::io::Error::last_os_error()
    );
    const SET_BPF: libc::c_ulong = 0x4004_2408;
    const ENABLE: libc::c_ulong = 0x2400;
    const DISABLE: libc::c_ulong = 0x2401;
    // SAFETY: ioctls on the perf fd just opened.
    unsafe {
        assert_eq!(libc::ioctl(fd, SET_BPF, prog.fd().as_raw_fd()), 0);
        assert_eq!(libc::ioctl(fd, ENABLE, 0), 0);
    }
    f();
    // SAFETY: as above; the fd is ours to close.
    unsafe {
        libc::ioctl(fd, DISABLE, 0);
        libc::close(fd);
    }
}

pub(crate) fn tracepoint_openat_matches_kernel() {
    let o = obj();
    let mut path = b"/tmp/bpfbox-trace-no-such-file\0".to_vec();
    path.extend_from_slice(&[0u8; 16]);
    let flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64;
    let mode = 0o640u64;
    let fields = |dfd: u64| {
        json!({"tracepoint": "syscalls/sys_enter_openat",
               "fields": {"__syscall_nr": 257, "dfd": dfd, "filename": path.as_ptr() as u64,
                          "flags": flags, "mode": mode},
               "memory": [{"addr": path.as_ptr() as u64, "bytes": hex(&path)}]})
    };
    let fire_b = |dfd: u64| {
        let (mut host, prog) = bpfbox_prog(&o, "tp_openat");
        let oi = map_idx(&o).0;
        host.maps[oi]
            .update(&7u32.to_le_bytes(), &0u64.to_le_bytes(), 0)
            .unwrap();
        let tid = u64::from(this_task().pid);
        host.maps[oi]
            .update(&31u32.to_le_bytes(), &tid.to_le_bytes(), 0)
            .unwrap();
        let mut ev = fields(dfd);
        let t = this_task();
        ev["task"] = json!({"pid": t.pid, "tgid": t.tgid, "comm": t.comm});
        let r = fire_all(&prog, &mut host, &ev).unwrap();
        (r, bpfbox_dump(&host))
    };
    let dfd = libc::AT_FDCWD as u32 as u64;
    let (r, d) = fire_b(dfd);
    assert_eq!(r[0].retval, 1);
    assert_eq!(d.0[..5], [257, dfd, flags, mode, 31]);
    let maps = kernel_maps(&o);
    set_target(&o, &maps);
    let kp = kernel_load(&o, &maps, "tp_openat").unwrap();
    with_tracepoint(&kp, "syscalls/sys_enter_openat", || {
        // SAFETY: a NUL-terminated path; the result (ENOENT) is ignored.
        unsafe {
            // the raw syscall passes `mode` even without O_CREAT
            libc::syscall(libc::SYS_openat, libc::AT_FDCWD, path.as_ptr(), flags, mode)
        };
    });
    let kd = kernel_dump(&maps);
    assert_eq!(kd.0[7], 1, "one openat of this thread was traced");
    assert_eq!(kd.0[1] as i32, libc::AT_FDCWD);
    // the same event in bpfbox with the kernel's dfd word
    let (_, bd) = fire_b(kd.0[1]);
    assert_eq!(bd.0, kd.0, "out map");
    assert_eq!(bd.1[0], kd.1[0], "filename");
    std::hint::black_box(&path);
}

/// Tells the attached programs which thread to record (out[31]).
fn set_target(o: &bpfbox_object::Object, maps: &[bpfbox_kernel::KernelMap]) {
    let tid = u64::from(this_task().pid);
    maps[map_idx(o).0]
        .update(&31u32.to_le_bytes(), &tid.to_le_bytes(), 0)
        .unwrap();
}

pub(crate) fn tracepoint_array_field_matches_kernel() {
    let o = obj();
    let args = [11u64, 22, 33, 44, 55, 66];
    let (mut host, prog) = bpfbox_prog(&o, "tp_sys_enter");
    let t = this_task();
    host.maps[map_idx(&o).0]
        .update(&31u32.to_le_bytes(), &u64::from(t.pid).to_le_bytes(), 0)
        .unwrap();
    let ev = json!({"tracepoint": "raw_syscalls/sys_enter", "task": {"pid": t.pid, "tgid": t.tgid},
                    "fields": {"id": 110, "args": args}});
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(r[0].retval, 1);
    let bd = bpfbox_dump(&host);
    assert_eq!(bd.0[..7], [110, 11, 22, 33, 44, 55, 66]);
    let maps = kernel_maps(&o);
    set_target(&o, &maps);
    let kp = kernel_load(&o, &maps, "tp_sys_enter").unwrap();
    with_tracepoint(&kp, "raw_syscalls/sys_enter", || {
        // SAFETY: getppid ignores its (extra) arguments.
        unsafe {
            libc::syscall(
                libc::SYS_getppid,
                args[0],
                args[1],
                args[2],
                args[3],
                args[4],
                args[5],
            )
        };
    });
    assert_eq!(kernel_dump(&maps).0, bd.0);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn comm_bytes(c: &str) -> [u8; 16] {
    let mut b = [0u8; 16];
    let n = c.len().min(15);
    b[..n].copy_from_slice(&c.as_bytes()[..n]);
    b
}

pub(crate) fn tracepoint_sched_switch_matches_kernel() {
    let o = obj();
    let maps = kernel_maps(&o);
    set_target(&o, &maps);
    let kp = kernel_load(&o, &maps, "tp_switch").unwrap();
    with_tracepoint(&kp, "sched/sched_switch", || {
        std::thread::sleep(std::time::Duration::from_millis(20));
    });
    let kd = kernel_dump(&maps);
    let t = this_task();
    // what the kernel recorded about this thread, checked independently
    assert_eq!(kd.0[0] as u32, t.pid, "prev_pid");
    assert_eq!(kd.0[1], 120, "prev_prio of a nice-0 thread");
    let cb = comm_bytes(&t.comm);
    assert_eq!(kd.0[3].to_le_bytes(), cb[..8], "prev_comm");
    assert_eq!(kd.0[4].to_le_bytes(), cb[8..], "prev_comm");
    // the same event in bpfbox (next_* and prev_state as the kernel saw them)
    let mut next = [0u8; 16];
    next[..8].copy_from_slice(&kd.0[8].to_le_bytes());
    next[8..].copy_from_slice(&kd.0[9].to_le_bytes());
    let next_comm: String = next
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let ev = json!({"tracepoint": "sched/sched_switch",
        "task": {"pid": t.pid, "tgid": t.tgid, "comm": t.comm},
        "fields": {"prev_comm": t.comm, "prev_pid": t.pid, "prev_prio": 120,
                   "prev_state": kd.0[2], "next_comm": next_comm,
                   "next_pid": kd.0[5] as u32, "next_prio": kd.0[6] as u32}});
    let (mut host, prog) = bpfbox_prog(&o, "tp_switch");
    let tid = u64::from(t.pid);
    host.maps[map_idx(&o).0]
        .update(&31u32.to_le_bytes(), &tid.to_le_bytes(), 0)
        .unwrap();
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(r[0].retval, 0);
    assert_eq!(r[0].action, "discard: no perf sample for this hit");
    assert_eq!(bpfbox_dump(&host).0, kd.0);
}

pub(crate) fn tracepoint_data_loc_string_matches_kernel() {
    let o = obj();
    let fire_b = |pid: u32| {
        let (mut host, prog) = bpfbox_prog(&o, "tp_exec");
        let ev = json!({"tracepoint": "sched/sched_process_exec", "task": {"pid": pid},
                        "fields": {"filename": "/bin/true", "pid": pid, "old_pid": pid}});
        let r = fire_all(&prog, &mut host, &ev).unwrap();
        (r, bpfbox_dump(&host))
    };
    let (r, d) = fire_b(77);
    assert_eq!(r[0].retval, 1);
    assert_eq!(r[0].effects["record_size"], 20 + 10);
    assert_eq!(d.0[..7], [10, 10, 1, 1, 20, 5, 0]);
    assert_eq!(&d.1[0][32..37], b"/bin\0", "kernel_str truncated at 5");
    assert_eq!(&d.1[0][..11], b"/bin/true\0\xaa");
    let maps = kernel_maps(&o);
    let kp = kernel_load(&o, &maps, "tp_exec").unwrap();
    let mut child = 0;
    // the program sees every task's exec; it records only /bin/true
    with_tracepoint(&kp, "sched/sched_process_exec", || {
        let mut c = std::process::Command::new("/bin/true").spawn().unwrap();
        child = c.id();
        c.wait().unwrap();
    });
    let kd = kernel_dump(&maps);
    let (_, bd) = fire_b(child);
    assert_eq!(bd.0, kd.0, "out map");
    assert_eq!(bd.1[0], kd.1[0], "filename");
}

pub(crate) fn kprobe_pt_regs_offsets_and_event() {
    let o = obj();
    {
        let maps = kernel_maps(&o);
        kernel_load(&o, &maps, "kp_regs").expect("every pt_regs slot is readable");
        kernel_load(&o, &maps, "kp_narrow").expect("narrow loads inside pt_regs");
        let e = kernel_load(&o, &maps, "kp_beyond").expect_err("offset 168 is past pt_regs");
        assert!(
            e.log()
                .unwrap_or("")
                .contains("invalid bpf_context access off=168"),
            "{e}"
        );
        let maps = kernel_maps(&o);
        kernel_load(&o, &maps, "pe_sample").expect("perf_event ctx offsets");
    }
    let names = bpfbox_runtime::events::kprobe::PT_REGS;
    let mut regs = serde_json::Map::new();
    for (i, (n, _)) in names.iter().enumerate() {
        regs.insert(n.to_string(), json!(0x1000 + i as u64));
    }
    regs.insert("ip".into(), json!("0xffffffff81234567"));
    let ev = json!({"regs": regs, "args": [42, "0xffff888000001000", "0xffff888000002000"],
                    "memory": [{"addr": "0xffff888000001000", "string": "/etc/hostname"},
                               {"addr": "0xffff888000002000", "bytes": "0807060504030201"}],
                    "cookie": 99});
    let (mut host, prog) = bpfbox_prog(&o, "kp_regs");
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(r[0].retval, 1, "PARM1 == 42");
    let d = bpfbox_dump(&host);
    for (i, (n, _)) in names.iter().enumerate() {
        let want = match *n {
            "di" => 42,
            "si" => 0xffff_8880_0000_1000,
            "dx" => 0xffff_8880_0000_2000,
            "ip" => 0xffff_ffff_8123_4567,
            _ => 0x1000 + i as u64,
        };
        assert_eq!(d.0[i], want, "pt_regs slot {i} ({n})");
    }
    assert_eq!(d.0[21], 0xffff_ffff_8123_4567, "get_func_ip = ip");
    assert_eq!(d.0[22], 99, "cookie");
    assert_eq!(d.0[23], 14, "probe_read_kernel_str");
    assert_eq!((d.0[24], d.0[25]), (0, 0x0102_0304_0506_0708));
    assert_eq!(&d.1[0][..14], b"/etc/hostname\0");
    assert_eq!(r[0].effects["ringbuf"][0]["data"], "2a00000000000000");
    // an unmapped pointer: -EFAULT and the destination zeroed
    let ev = json!({"args": [1, "0xffff888000009000", "0xffff888000009000"]});
    let (mut host, prog) = bpfbox_prog(&o, "kp_regs");
    fire_all(&prog, &mut host, &ev).unwrap();
    let d = bpfbox_dump(&host);
    assert_eq!((d.0[23] as i64, d.0[24] as i64), (-14, -14));
    assert!(d.1[0].iter().all(|&b| b == 0));
}

/// The function the uprobe test probes.
#[no_mangle]
#[inline(never)]
pub extern "C" fn bpfbox_uprobe_target(a: u64, s: *const u8, c: u64) -> u64 {
    std::hint::black_box(a ^ c ^ s as u64)
}

/// File offset of `addr` in this executable (from /proc/self/maps).
fn exe_offset(addr: u64) -> Option<(String, u64)> {
    let exe = std::fs::read_link("/proc/self/exe").ok()?;
    let exe = exe.to_str()?.to_string();
    for line in std::fs::read_to_string("/proc/self/maps").ok()?.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || f[5] != exe {
            continue;
        }
        let (lo, hi) = f[0].split_once('-')?;
        let (lo, hi) = (
            u64::from_str_radix(lo, 16).ok()?,
            u64::from_str_radix(hi, 16).ok()?,
        );
        if (lo..hi).contains(&addr) {
            let off = u64::from_str_radix(f[2], 16).ok()?;
            return Some((exe, addr - lo + off));
        }
    }
    None
}

/// Attaches `prog` as a uprobe at `off` of `path` for this thread.
fn with_uprobe(prog: &bpfbox_kernel::KernelProg, path: &str, off: u64, f: impl FnOnce()) {
    let ty: u32 = std::fs::read_to_string("/sys/bus/event_source/devices/uprobe/type")
        .unwrap_or_else(|e| panic!("no uprobe PMU: {e}"))
        .trim()
        .parse()
        .expect("uprobe PMU type");
    let cpath = std::ffi::CString::new(path).expect("no NUL in the path");
    let mut attr = [0u8; 112];
    attr[0..4].copy_from_slice(&ty.to_le_bytes());
    attr[4..8].copy_from_slice(&112u32.to_le_bytes());
    attr[16..24].copy_from_slice(&1u64.to_le_bytes()); // sample_period
    attr[56..64].copy_from_slice(&(cpath.as_ptr() as u64).to_le_bytes()); // uprobe_path
    attr[64..72].copy_from_slice(&off.to_le_bytes()); // probe_offset
                                                      // SAFETY: perf_event_open with a valid attr; pid 0 = this thread.
    let fd =
        unsafe { libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), 0, -1, -1, 8u64) } as i32;
    if fd < 0 {
        panic!("perf_event_open: {}", std::io::Error::last_os_error());
    }
    // SAFETY: ioctls on the perf fd just opened, then close it.
    unsafe {
        assert_eq!(libc::ioctl(fd, 0x4004_2408, prog.fd().as_raw_fd()), 0);
        assert_eq!(libc::ioctl(fd, 0x2400, 0), 0);
    }
    f();
    // SAFETY: as above.
    unsafe {
        libc::ioctl(fd, 0x2401, 0);
        libc::close(fd);
    }
}

pub(crate) fn kprobe_program_as_uprobe_matches_kernel() {
    let o = obj();
    let mut s = b"uprobe says hi\0".to_vec();
    s.extend_from_slice(&[0u8; 16]);
    let (a, c) = (0x1122_3344_5566_7788u64, 42u64);
    let target = bpfbox_uprobe_target as *const () as usize as u64;
    let Some((exe, off)) = exe_offset(target) else {
        panic!("test function not in a file mapping");
    };
    let maps = kernel_maps(&o);
    set_target(&o, &maps);
    let kp = kernel_load(&o, &maps, "up_args").unwrap();
    let call: extern "C" fn(u64, *const u8, u64) -> u64 =
        std::hint::black_box(bpfbox_uprobe_target);
    with_uprobe(&kp, &exe, off, || {
        call(a, s.as_ptr(), c);
    });
    let kd = kernel_dump(&maps);
    // what the kernel saw, checked independently
    assert_eq!(
        (kd.0[14], kd.0[13], kd.0[12]),
        (a, s.as_ptr() as u64, c),
        "di si dx"
    );
    assert_eq!(kd.0[16], target, "ip at the probed function");
    assert_eq!(kd.0[21], target, "bpf_get_func_ip of a uprobe");
    assert_eq!(kd.0[23], 15, "probe_read_user_str");
    assert_eq!(kd.0[24] as i64, -34, "probe_read_kernel of a user address");
    // the same hit as a bpfbox event: every register as the kernel saw it
    let mut regs = serde_json::Map::new();
    for (i, (n, _)) in bpfbox_runtime::events::kprobe::PT_REGS.iter().enumerate() {
        regs.insert(n.to_string(), json!(kd.0[i]));
    }
    let t = this_task();
    let ev = json!({"regs": regs, "task": {"pid": t.pid, "tgid": t.tgid, "comm": t.comm},
                    "memory": [{"addr": s.as_ptr() as u64, "bytes": hex(&s)}]});
    let (mut host, prog) = bpfbox_prog(&o, "up_args");
    host.maps[map_idx(&o).0]
        .update(&31u32.to_le_bytes(), &u64::from(t.pid).to_le_bytes(), 0)
        .unwrap();
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(r[0].retval, 1);
    let bd = bpfbox_dump(&host);
    assert_eq!(bd.0, kd.0, "out map");
    assert_eq!(bd.1[..2], kd.1[..2], "strs");
    std::hint::black_box(&s);
}

pub(crate) fn perf_event_cpu_clock_sample_matches_kernel() {
    let o = obj();
    let maps = kernel_maps(&o);
    let kp = kernel_load(&o, &maps, "pe_sample").unwrap();
    // PERF_TYPE_SOFTWARE / PERF_COUNT_SW_CPU_CLOCK every 100 us of this thread
    let mut attr = [0u8; 112];
    attr[0..4].copy_from_slice(&1u32.to_le_bytes());
    attr[4..8].copy_from_slice(&112u32.to_le_bytes());
    attr[16..24].copy_from_slice(&100_000u64.to_le_bytes());
    // SAFETY: perf_event_open with a valid attr; pid 0 = this thread.
    let fd =
        unsafe { libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), 0, -1, -1, 8u64) } as i32;
    if fd < 0 {
        panic!("perf_event_open: {}", std::io::Error::last_os_error());
    }
    // SAFETY: ioctls on the perf fd just opened.
    unsafe {
        assert_eq!(libc::ioctl(fd, 0x4004_2408, kp.fd().as_raw_fd()), 0);
        assert_eq!(libc::ioctl(fd, 0x2400, 0), 0);
    }
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while start.elapsed() < std::time::Duration::from_millis(30) {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    // SAFETY: as above.
    unsafe {
        libc::ioctl(fd, 0x2401, 0);
        libc::close(fd);
    }
    let kd = kernel_dump(&maps);
    assert_eq!(kd.0[0], 100_000, "sample_period");
    assert_eq!(kd.0[3], 0, "perf_prog_read_value");
    assert!(kd.0[4] > 0 && kd.0[2] != 0, "counter and ip recorded");
    let ev = json!({"regs": {"ip": kd.0[2]}, "sample_period": 100_000, "addr": kd.0[1],
                    "read_value": {"counter": kd.0[4], "running": kd.0[5]}});
    let (mut host, prog) = bpfbox_prog(&o, "pe_sample");
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(r[0].retval, 1);
    assert_eq!(bpfbox_dump(&host).0, kd.0);
}

pub(crate) fn perf_and_ringbuf_output_are_reported() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "tp_output");
    let ev = json!([{"tracepoint": "sched/sched_switch", "cpu": 0,
                     "fields": {"next_pid": 7, "next_prio": 120, "prev_state": 2}},
                    {"tracepoint": "sched/sched_switch", "fields": {"next_pid": 8}}]);
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!(
        r[0].effects["perf_event_output"],
        json!([{"map": "events", "cpu": 0, "index": 0, "data": "0700000078000000"}])
    );
    assert_eq!(
        r[0].effects["ringbuf"],
        json!([{"map": "rb", "data": "0200000000000000"}])
    );
    assert_eq!(
        r[1].effects["perf_event_output"][0]["data"], "0800000000000000",
        "records are reported once, with their event"
    );
    assert_eq!(r[1].effects["ringbuf"].as_array().map(Vec::len), Some(1));
    let d = bpfbox_dump(&host);
    assert_eq!(d.0[0], 0);
    assert_eq!(d.0[1] as i64, -7, "slot 5 beyond the CPUs: E2BIG");
    assert_eq!(d.0[2], 0);
}

pub(crate) fn send_signal_matches_kernel() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "rtp_signal");
    let r = fire_all(&prog, &mut host, &json!({})).unwrap();
    assert_eq!(
        r[0].effects["signals"],
        json!([{"signal": 23, "to": "thread"}, {"signal": 23, "to": "process"}])
    );
    let bd = bpfbox_dump(&host);
    assert_eq!(
        bd.0[..4].iter().map(|&v| v as i64).collect::<Vec<_>>(),
        [0, -22, 0, 0]
    );
    let (mut host, prog) = bpfbox_prog(&o, "rtp_signal");
    let r = fire_all(&prog, &mut host, &json!({"task": {"pid": 1}})).unwrap();
    assert!(r[0].effects.get("signals").is_none());
    assert!(
        bpfbox_dump(&host).0[..4].iter().all(|&v| v as i64 == -1),
        "never to init"
    );
    let maps = kernel_maps(&o);
    let kp = kernel_load(&o, &maps, "rtp_signal").unwrap();
    // SIGURG's default action is to ignore it
    run_k(&kp, &TestRunInput::default(), false).unwrap();
    assert_eq!(kernel_dump(&maps).0, bd.0);
}

pub(crate) fn perf_event_read_matches_kernel() {
    let o = obj();
    // an empty perf_event_array (a test run opens no perf events)
    let (mut host, prog) = bpfbox_prog(&o, "rtp_counters");
    run_b(&mut host, &prog, &TestRunInput::default()).unwrap();
    let bd = bpfbox_dump(&host);
    let errs: Vec<i64> = bd.0[..7].iter().map(|&v| v as i64).collect();
    assert_eq!(errs, [-2, -7, -22, -2, 0, -22, -2]);
    // an event: every slot open, slot i bound to CPU i
    let (mut host, prog) = bpfbox_prog(&o, "rtp_counters");
    let ev = json!({"cpu": 0, "counters": {"0": {"counter": 10, "enabled": 20, "running": 30}}});
    fire_all(&prog, &mut host, &ev).unwrap();
    let got: Vec<i64> = bpfbox_dump(&host).0[..7]
        .iter()
        .map(|&v| v as i64)
        .collect();
    let other_cpu = if host.nr_cpus > 1 { -22 } else { -2 };
    assert_eq!(got, [10, -7, -22, 0, 60, -22, other_cpu]);
    let maps = kernel_maps(&o);
    let kp = kernel_load(&o, &maps, "rtp_counters").unwrap();
    run_k(&kp, &TestRunInput::default(), false).unwrap();
    assert_eq!(kernel_dump(&maps).0, bd.0);
}

pub(crate) fn get_stack_without_call_chains() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "kp_stack");
    fire_all(&prog, &mut host, &json!({})).unwrap();
    let d = bpfbox_dump(&host);
    let got: Vec<i64> = d.0[..5].iter().map(|&v| v as i64).collect();
    // no call chain: -EFAULT; bad flags, a size that is not a whole number
    // of entries, a build id without BPF_F_USER_STACK: -EINVAL
    assert_eq!(got, [-14, -22, -22, -22, -14]);
    assert!(d.1[0].iter().all(|&b| b == 0), "the buffer is zeroed");
    {
        let maps = kernel_maps(&o);
        kernel_load(&o, &maps, "kp_stack").expect("the kernel loads it");
    }
}

pub(crate) fn perf_event_sample() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "pe_sample");
    let ev = json!([{"regs": {"ip": "0xffffffff81100000"}, "sample_period": 100000, "addr": 7,
                     "read_value": {"counter": 5, "enabled": 6, "running": 8}},
                    {"sample_period": 10}]);
    let r = fire_all(&prog, &mut host, &ev).unwrap();
    assert_eq!((r[0].retval, r[1].retval), (1, 0));
    assert_eq!(r[1].action, "drop the sample (no perf record)");
    let d = bpfbox_dump(&host);
    assert_eq!(d.0[..6], [10, 0, 0, 0, 0, 0], "the second event");
    let (mut host, prog) = bpfbox_prog(&o, "pe_sample");
    fire_all(&prog, &mut host, &ev[0]).unwrap();
    assert_eq!(
        bpfbox_dump(&host).0[..6],
        [100000, 7, 0xffff_ffff_8110_0000, 0, 5, 8]
    );
}

pub(crate) fn raw_tracepoint_and_syscall_events() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "rtp_sum");
    let r = fire_all(&prog, &mut host, &json!({"args": [1, 2]})).unwrap();
    assert_eq!(
        (r[0].retval, r[0].action.as_str()),
        (7, "return value ignored (raw tracepoint)")
    );
    let e = fire_all(&prog, &mut host, &json!({"args": [1]})).unwrap_err();
    assert!(e.to_string().contains("reads args[1]"), "{e}");
    let (mut host, prog) = bpfbox_prog(&o, "sys_prog");
    let r = fire_all(
        &prog,
        &mut host,
        &json!({"ctx": "0a00000000000000 0000000000000000 03000000 00000000"}),
    )
    .unwrap();
    assert_eq!(r[0].retval, 13);
    assert_eq!(
        r[0].effects["ctx_out"],
        "0a000000000000001f0000000000000003000000fc000000"
    );
    assert!(fire_all(&prog, &mut host, &json!({"ctx": "00"})).is_err());
}

pub(crate) fn raw_tracepoint_writable_buffer() {
    let o = obj();
    let (mut host, prog) = bpfbox_prog(&o, "rtp_writable");
    let r = fire_all(
        &prog,
        &mut host,
        &json!({"args": [0, 5], "buffer": "0a00000000000000"}),
    )
    .unwrap();
    assert_eq!(r[0].effects["buffer"], "0a00000019000000");
    let e = fire_all(&prog, &mut host, &json!({"args": [0, 5], "buffer": "0a00"})).unwrap_err();
    assert!(e.to_string().contains("trapped"), "{e}");
    let (mut host, prog) = bpfbox_prog(&o, "rtp_sum");
    let e = fire_all(&prog, &mut host, &json!({"args": [0, 5], "buffer": "00"})).unwrap_err();
    assert!(e.to_string().contains("RAW_TRACEPOINT_WRITABLE"), "{e}");
    {
        let maps = kernel_maps(&o);
        kernel_load(&o, &maps, "rtp_writable").expect("the kernel loads the writable program");
    }
}

pub(crate) fn every_format_file_of_the_running_kernel_parses() {
    use bpfbox_runtime::events::tracefs::{FieldKind, Format};
    let tracefs = bpfbox_kernel::mounts::tracefs().expect("tracefs");
    let systems = std::fs::read_dir(tracefs.join("events")).expect("tracefs events");
    let mut n = 0;
    for sys in systems.flatten() {
        let Ok(events) = std::fs::read_dir(sys.path()) else {
            continue;
        };
        for ev in events.flatten() {
            let Ok(text) = std::fs::read_to_string(ev.path().join("format")) else {
                continue;
            };
            let f = Format::parse(&text).unwrap_or_else(|e| panic!("{:?}: {e}", ev.path()));
            // a string in every char array / __data_loc, 1 in every scalar
            let mut vals = serde_json::Map::new();
            for fl in &f.fields {
                let v = match fl.kind {
                    FieldKind::Scalar => json!(1),
                    FieldKind::Array { chars: true, .. }
                    | FieldKind::DataLoc { chars: true, .. } => {
                        json!("x")
                    }
                    FieldKind::Array { .. } | FieldKind::DataLoc { .. } => json!([1]),
                };
                vals.insert(fl.name.clone(), v);
            }
            let rec = f
                .layout(&vals, 1)
                .unwrap_or_else(|e| panic!("{:?}: {e}", ev.path()));
            assert!(rec.len() >= f.fixed_size());
            n += 1;
        }
    }
    assert!(n > 100, "{n} formats");
}

pub(crate) fn bad_events_name_the_cause() {
    let o = obj();
    let cases: &[(&str, serde_json::Value, &str)] = &[
        (
            "kp_regs",
            json!({"regs": {"xmm0": 1}}),
            "unknown register `xmm0`",
        ),
        ("kp_regs", json!({"regz": {}}), "unknown key `regz`"),
        (
            "kp_regs",
            json!([1]),
            "event 0: a kprobe event must be a JSON object",
        ),
        ("kp_regs", json!({"args": ["zz"]}), "args[0]"),
        ("tp_switch", json!({"fields": {}}), "needs \"tracepoint\""),
        (
            "tp_switch",
            json!({"tracepoint": "sched/sched_switch", "fields": {"pid": 1}}),
            "no field `pid`",
        ),
        (
            "pe_sample",
            json!({"read_value": {"count": 1}}),
            "unknown key `count`",
        ),
        ("rtp_sum", json!({"args": "1"}), "must be a list"),
    ];
    for (name, ev, want) in cases {
        let (mut host, prog) = bpfbox_prog(&o, name);
        let e: EventError = fire_all(&prog, &mut host, ev).unwrap_err();
        assert!(
            matches!(&e, EventError::InSequence { .. } | EventError::BadEvent(_)),
            "{e:?}"
        );
        assert!(e.to_string().contains(want), "{name} {ev}: {e}");
    }
}

pub(crate) fn example_events_run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/events");
    let o = obj();
    for (file, prog) in [
        ("kprobe.json", "kp_regs"),
        ("tracepoint_sched_switch.json", "tp_switch"),
        ("raw_tracepoint.json", "rtp_sum"),
        ("perf_event.json", "pe_sample"),
        ("syscall.json", "sys_prog"),
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (mut host, p) = bpfbox_prog(&o, prog);
        fire_all(&p, &mut host, &ev).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}
