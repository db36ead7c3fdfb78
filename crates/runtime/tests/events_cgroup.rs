//! The cgroup program types (tests/progs/events/cgroup) against the
//! kernel: each program is attached for real to a fresh cgroup v2
//! (`bpfbox_kernel::TestCgroup`), a forked child moved into it performs
//! the syscalls, and bpfbox must decide what the kernel decided for the
//! same accesses fired as events:
//!
//! * CGROUP_DEVICE: open()/mknod() of char and block devices → errno;
//! * CGROUP_SOCK_ADDR connect4: the rewrite 127.0.0.2:47010 →
//!   127.0.0.1:47011 (where the connection landed, by getpeername), a
//!   denied port (EPERM) and an untouched one;
//! * CGROUP_SOCK sock_create: a denied raw socket, the mark and priority
//!   a UDP socket gets;
//! * CGROUP_SYSCTL: a denied write and a write replaced with
//!   bpf_sysctl_set_new_value (kernel/domainname in a private UTS
//!   namespace), read back;
//! * CGROUP_SOCKOPT: SO_MARK rewritten on its way in, an option handled
//!   by the program alone (optlen -1) and reported by getsockopt, a
//!   denied option.
//!
//! Skipped with a printed reason when not root, bpf() is unusable or
//! cgroup v2 is not mounted. The bpfbox-only tests below them cover the
//! rest of each hook's rules.

use bpfbox_kernel::{KernelProg, ProgLoad, TestCgroup};
use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::events::{fire_all, EventOutcome};
use bpfbox_runtime::HostState;
use serde_json::{json, Value};
use std::ffi::CString;
use std::path::PathBuf;

fn obj(name: &str) -> bpfbox_object::Object {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/events/cgroup")
        .join(format!("{name}.o"));
    bpfbox_object::load_file(p).unwrap()
}

fn bpfbox_prog(o: &bpfbox_object::Object, prog: &str) -> (LoadedProgram, HostState) {
    let mut host = crate::running::host();
    let p = LoadedProgram::from_object(&mut host, o, prog).unwrap();
    (p, host)
}

fn fire(o: &bpfbox_object::Object, prog: &str, events: Value) -> Vec<EventOutcome> {
    let (p, mut host) = bpfbox_prog(o, prog);
    fire_all(&p, &mut host, &events).unwrap()
}

/// A fresh test cgroup to attach to (the harness runs this only where
/// the kernel can be used).
fn test_cgroup() -> TestCgroup {
    TestCgroup::new().unwrap_or_else(|e| panic!("test cgroup: {e}"))
}

/// Loads a program of the object (no maps, no relocations) into the
/// kernel and attaches it to `cg` at its expected attach type.
fn attach(cg: &TestCgroup, o: &bpfbox_object::Object, prog: &str) -> KernelProg {
    let def = o.program(prog).unwrap();
    let kp = ProgLoad::new(def.prog_type, &def.insns)
        .expected_attach_type(def.expected_attach_type)
        .license("GPL")
        .log_level(1)
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected {prog}: {e}"));
    bpfbox_kernel::prog_attach(cg.fd(), &kp, def.expected_attach_type, 0)
        .unwrap_or_else(|e| panic!("attach {prog}: {e}"));
    kp
}

/// Forks a child, moves it into `cg`, runs `f` there and returns the
/// values it produced. `f` must only make system calls (no allocation:
/// the parent is multi-threaded).
fn in_cgroup<const N: usize>(cg: &TestCgroup, f: impl FnOnce() -> [i64; N]) -> [i64; N] {
    let mut go = [0i32; 2];
    let mut res = [0i32; 2];
    // SAFETY: plain pipe/fork/read/write/waitpid on fds we own; the child
    // only runs `f` (system calls) and exits with _exit.
    unsafe {
        assert_eq!(libc::pipe(go.as_mut_ptr()), 0);
        assert_eq!(libc::pipe(res.as_mut_ptr()), 0);
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let mut b = 0u8;
            libc::read(go[0], (&mut b as *mut u8).cast(), 1);
            let out = f();
            libc::write(res[1], out.as_ptr().cast(), std::mem::size_of_val(&out));
            libc::_exit(0);
        }
        cg.add_process(pid as u32).unwrap();
        libc::write(go[1], b"x".as_ptr().cast(), 1);
        let mut out = [0i64; N];
        let want = std::mem::size_of_val(&out);
        let got = libc::read(res[0], out.as_mut_ptr().cast(), want);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        for fd in [go[0], go[1], res[0], res[1]] {
            libc::close(fd);
        }
        assert_eq!(got as usize, want, "child did not report");
        out
    }
}

fn errno() -> i64 {
    i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// The errno a bpfbox action means for the syscall: 0 for an allow.
fn action_errno(action: &str) -> i64 {
    if action.starts_with("allow") || action.starts_with("bypass") {
        return 0;
    }
    let name = action
        .split_once(": ")
        .map(|(_, r)| r.split_whitespace().next().unwrap_or(""))
        .unwrap_or("");
    match name {
        "EPERM" => 1,
        "EACCES" => 13,
        "EFAULT" => 14,
        "EINVAL" => 22,
        "EOPNOTSUPP" => 95,
        other => panic!("unexpected action `{action}` ({other})"),
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

pub(crate) mod dev_sysctl;
pub(crate) mod sock_addr;
pub(crate) mod sock_sockopt;

// -------------------------------------------------------------- examples

/// Every shipped example event runs on the test program of its hook.
pub(crate) fn example_events_fire() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/events");
    for (file, object, prog, actions) in [
        (
            "cgroup_device.json",
            "dev",
            "dev_policy",
            &[
                "allow",
                "allow",
                "deny: EPERM",
                "deny: EACCES",
                "allow",
                "deny: EPERM",
            ][..],
        ),
        (
            "cgroup_sock_addr_connect4.json",
            "sock_addr",
            "connect4",
            &[
                "allow: connect to 127.0.0.1:47011",
                "deny: EPERM",
                "allow: connect to 10.1.2.3:443",
            ][..],
        ),
        (
            "cgroup_sock_addr_bind4.json",
            "sock_addr",
            "bind4",
            &[
                "allow: bind to 0.0.0.0:8080",
                "allow: bind to 127.0.0.1:81 (no CAP_NET_BIND_SERVICE check)",
                "deny: EPERM",
            ][..],
        ),
        (
            "cgroup_sock_addr_sendmsg4.json",
            "sock_addr",
            "sendmsg4",
            &["allow: send to 127.0.0.1:47021"][..],
        ),
        (
            "cgroup_sock.json",
            "sock",
            "sock_create",
            &["allow", "allow", "deny: EPERM"][..],
        ),
        (
            "cgroup_sysctl.json",
            "sysctl",
            "sysctl_policy",
            &["allow", "allow", "deny: EPERM", "allow"][..],
        ),
        (
            "cgroup_sockopt_setsockopt.json",
            "sockopt",
            "set_opt",
            &[
                "allow",
                "bypass: setsockopt() returns 0 without the kernel's handler",
                "deny: EPERM",
                "allow",
            ][..],
        ),
        (
            "cgroup_sockopt_getsockopt.json",
            "sockopt",
            "get_opt",
            &["allow", "allow"][..],
        ),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let events: Value = serde_json::from_str(&text).unwrap();
        let got: Vec<String> = fire(&obj(object), prog, events)
            .into_iter()
            .map(|o| o.action)
            .collect();
        assert_eq!(got, actions, "{file}");
    }
}

/// Wrong shapes are one-line errors naming the cause, for every driver.
pub(crate) fn malformed_events_are_one_clear_line() {
    let cases: &[(&str, &str, Value)] = &[
        ("dev", "dev_policy", json!("read")),
        (
            "dev",
            "dev_policy",
            json!({"access": "read", "type": "char", "major": 1}),
        ),
        (
            "dev",
            "dev_policy",
            json!({"access": "read", "type": "char", "major": "x", "minor": 1}),
        ),
        (
            "dev",
            "dev_policy",
            json!({"access": 2, "type": "char", "major": 1, "minor": 1}),
        ),
        (
            "dev",
            "dev_policy",
            json!({"access": "read", "type": "char", "major": 1, "minor": 1, "pid": 3}),
        ),
        (
            "dev",
            "dev_policy",
            json!({"access": "read", "type": "char", "major": 1, "minor": 1, "task": 3}),
        ),
        ("sock", "sock_create", json!({"family": "ipx"})),
        ("sock", "sock_create", json!({"mark": -1})),
        ("sock", "post_bind4", json!({"src_ip": "1.2.3"})),
        ("sock_addr", "connect4", json!({"ip": "::1"})),
        ("sock_addr", "connect4", json!({"ip": 5})),
        ("sock_addr", "connect4", json!({"port": "http"})),
        ("sock_addr", "connect4", json!({"sockopts": {"level": 1}})),
        (
            "sock_addr",
            "connect4",
            json!({"sockopts": [{"level": 1, "optname": 36}]}),
        ),
        (
            "sock_addr",
            "recvmsg4",
            json!({"ip": "1.1.1.1", "msg_src_ip": "1.1.1.1"}),
        ),
        ("sysctl", "sysctl_policy", json!({"current": "1"})),
        ("sysctl", "sysctl_policy", json!({"name": 7})),
        (
            "sysctl",
            "sysctl_policy",
            json!({"name": "a", "new_value": 1}),
        ),
        ("sockopt", "set_opt", json!({"level": "SOL_SOCKET"})),
        (
            "sockopt",
            "set_opt",
            json!({"level": 1, "optname": 36, "optval": [1, 2]}),
        ),
        (
            "sockopt",
            "set_opt",
            json!({"level": 1, "optname": 36, "retval": -1}),
        ),
        (
            "sockopt",
            "get_opt",
            json!({"level": 1, "optname": 36, "retval": 5}),
        ),
        (
            "sockopt",
            "get_opt",
            json!({"level": 1, "optname": 36, "sk": []}),
        ),
    ];
    for (object, prog, ev) in cases {
        let (p, mut host) = bpfbox_prog(&obj(object), prog);
        let e = fire_all(&p, &mut host, ev).expect_err(&format!("{prog} accepted {ev}"));
        let msg = e.to_string();
        assert!(
            !msg.is_empty() && !msg.contains('\n'),
            "{prog} {ev}: {msg:?}"
        );
    }
}
