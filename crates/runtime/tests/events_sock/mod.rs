//! Socket program types against the kernel on this machine: sock_ops
//! programs attached to a test cgroup see real loopback TCP connections and
//! bpfbox replays the callbacks the kernel made (same records, same
//! decisions); sk_reuseport programs pick the receiving socket of real
//! SO_REUSEPORT UDP and TCP groups; sk_msg and sk_skb programs attached to a
//! sockmap change and route real traffic; flow_dissector and sk_lookup go
//! through BPF_PROG_TEST_RUN on both. Skipped, with the reason printed, when
//! bpf() or cgroup v2 is unusable.

pub(crate) mod examples;
pub(crate) mod psock;
pub(crate) mod reuseport;
pub(crate) mod robust;
pub(crate) mod sock_ops;
pub(crate) mod testrun;

use bpfbox_kernel::{KernelMap, KernelProg, MapCreate, ProgLoad};
use bpfbox_object::Object;

use serde_json::Value;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

pub(crate) fn object(name: &str) -> Object {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/events/sock")
        .join(name);
    bpfbox_object::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An object's maps and one program in the kernel (no BTF needed).
pub(crate) struct KObj {
    pub(crate) maps: Vec<KernelMap>,
    pub(crate) prog: KernelProg,
}

pub(crate) fn kload(obj: &Object, name: &str) -> KObj {
    let def = obj.program(name).unwrap();
    let maps: Vec<KernelMap> = obj
        .maps
        .iter()
        .map(|s| {
            let mut mc = MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries);
            mc.map_flags = s.map_flags;
            mc.create()
                .unwrap_or_else(|e| panic!("creating map {}: {e}", s.name))
        })
        .collect();
    let fds: Vec<i32> = maps.iter().map(|m| m.as_raw_fd()).collect();
    let insns = def.link(|i| fds[i]);
    let prog = ProgLoad::new(def.prog_type, &insns)
        .expected_attach_type(def.expected_attach_type)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected {name}: {e}"));
    KObj { maps, prog }
}

pub(crate) fn map_index(obj: &Object, name: &str) -> usize {
    obj.maps.iter().position(|m| m.name == name).unwrap()
}

pub(crate) fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// Runs `script` with python3 in cgroup `cg` (moved there before exec)
/// and parses the JSON it prints.
pub(crate) fn python_in_cgroup(cg: &bpfbox_kernel::TestCgroup, script: &str) -> Option<Value> {
    use std::os::unix::process::CommandExt;
    let procs = std::ffi::CString::new(
        cg.path()
            .join("cgroup.procs")
            .to_string_lossy()
            .into_owned(),
    )
    .unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c").arg(script);
    // SAFETY: only async-signal-safe calls (open, write, close) between
    // fork and exec; the path was allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let r = libc::write(fd, b"0\n".as_ptr().cast(), 2);
            libc::close(fd);
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            panic!("cannot run python3: {e}");
        }
    };
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}
