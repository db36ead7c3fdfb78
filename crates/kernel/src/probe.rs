//! Measuring the running kernel's [`Profile`] (what `bpftool feature
//! probe` does, with the verifier's verdict read correctly).
//!
//! For every program type whose programs load without a BTF target, and
//! every effective expected attach type of it, each helper id is tried in a
//! three-instruction program (`call ID; r0 = 1; exit`). The helper counts
//! as missing exactly when the verifier log names it unavailable
//! ([`UNAVAILABLE`]: "program of this type cannot use helper", "unknown
//! func", "invalid func" and the verifier's other per-type refusals);
//! any other refusal (an argument of the wrong type, `R2 !read_ok`) means
//! the verifier found the helper and went on to check its arguments.
//! bpftool instead takes any load error other than a few strings as
//! "available", which is how it lists `bpf_xdp_adjust_meta` on kernels
//! that refuse it.
//!
//! Map types are measured by creating a small map of each type (types
//! that need BTF to create are copied from the built-in model, marked
//! `measured: false`); XDP live-frame test runs by running a trivial XDP
//! program with `BPF_F_TEST_XDP_LIVE_FRAMES`.
//!
//! [`running_profile`] measures once per process (about 14 000 tiny loads
//! split over two threads, 0.2 s on the reference VM) and caches the result.

use crate::consts::{map_flags, map_type, prog_flags, test_flags};
use crate::error::Error;
use crate::sys::{self, cmd, ProgLoadAttr};
use crate::{MapCreate, ProgLoad, TestRun};
use bpfbox_isa::RawInsn;
use bpfbox_progtype::helpers::HelperAvail;
use bpfbox_progtype::profile::{
    attach_configs, group_helpers, Facts, KernelInfo, MapTypeProfile, ProgTypeProfile,
    MAP_TYPE_NAMES,
};
use bpfbox_progtype::spec::ExpectedAttach;
use bpfbox_progtype::{AttachType, Profile, ProgType, ProgTypeSpec, ALL};
use std::sync::OnceLock;

/// Verifier messages meaning "this program (type, attach type, flags) may
/// not call this helper": `get_func_proto` returned NULL or a per-type
/// rule refused the call before its arguments were looked at.
pub const UNAVAILABLE: &[&str] = &[
    "program of this type cannot use helper",
    "unknown func",
    "invalid func",
    "not supported for program type",
    "supported only for fentry/fexit/fmod_ret programs",
    "helper call is not allowed in probe",
    "helper call might sleep in a non-sleepable prog",
];

/// The running kernel's profile, measured on first use and cached for the
/// process.
pub fn running_profile() -> Result<&'static Profile, Error> {
    static P: OnceLock<Result<Profile, Error>> = OnceLock::new();
    P.get_or_init(probe).as_ref().map_err(Clone::clone)
}

/// Measures the running kernel's profile (uncached; see
/// [`running_profile`]).
pub fn probe() -> Result<Profile, Error> {
    crate::avail::require()?;
    let (release, machine) = uname();
    let builtin = Profile::builtin();
    let specs: Vec<&'static ProgTypeSpec> = ALL.to_vec();
    // Two workers: the machine this runs on is usually shared.
    let half = specs.len() / 2;
    let (a, b) = specs.split_at(half);
    let (mut types, rest) = std::thread::scope(|s| {
        let h = s.spawn(|| a.iter().map(|s| probe_type(s, builtin)).collect::<Vec<_>>());
        let rest: Vec<_> = b.iter().map(|s| probe_type(s, builtin)).collect();
        (h.join().unwrap_or_default(), rest)
    });
    types.extend(rest);
    Ok(Profile::new(
        KernelInfo {
            source: "probed".to_string(),
            release,
            machine,
        },
        types,
        probe_map_types(),
        Facts {
            xdp_live_frames_errno: probe_xdp_live_frames(),
            nr_cpu_ids: crate::map::nr_cpu_ids().ok(),
            ..Facts::default()
        },
    ))
}

fn uname() -> (String, String) {
    // SAFETY: utsname is plain old data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return (String::new(), String::new());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&u.release), field(&u.machine))
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> RawInsn {
    RawInsn::new(code, dst, src, off, imm)
}

/// `BPF_PROG_LOAD` with a small log, without [`ProgLoad`]'s retries (the
/// probe loads thousands of programs). Ok(()) when loaded (the fd is
/// closed), Err(log) otherwise.
fn try_load(
    ty: u32,
    eat: u32,
    flags: u32,
    insns: &[RawInsn],
    log: &mut [u8],
) -> Result<(), String> {
    let bytes = bpfbox_isa::slots_to_bytes(insns);
    let license = c"GPL";
    log.iter_mut().for_each(|b| *b = 0);
    let mut a = ProgLoadAttr {
        prog_type: ty,
        insn_cnt: insns.len() as u32,
        insns: sys::slice_ptr(&bytes),
        license: sys::ptr(license.as_ptr()),
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: sys::out_ptr(log),
        prog_flags: flags,
        expected_attach_type: eat,
        ..Default::default()
    };
    // SAFETY: insns, license and log are live buffers of the given sizes;
    // the kernel writes only into `log`.
    match unsafe { sys::bpf_fd(cmd::PROG_LOAD, &mut a) } {
        Ok(_fd) => Ok(()),
        Err(e) => {
            let text = crate::prog::log_text(log);
            Err(if text.is_empty() {
                format!("errno {}", e.0)
            } else {
                text
            })
        }
    }
}

fn load_flags(s: &ProgTypeSpec) -> u32 {
    if s.ty == ProgType::Syscall {
        prog_flags::F_SLEEPABLE
    } else {
        0
    }
}

/// Whether programs of the type are loaded against a target (a BTF id, a
/// struct_ops member, or for EXT the program it replaces), which a probe
/// without BTF cannot name.
fn needs_btf_target(s: &ProgTypeSpec) -> bool {
    matches!(
        s.attach.expected,
        ExpectedAttach::WithBtfTarget { .. } | ExpectedAttach::MemberIndex
    ) || matches!(s.helpers, HelperAvail::InheritTarget)
}

fn probe_type(s: &'static ProgTypeSpec, builtin: &Profile) -> ProgTypeProfile {
    if needs_btf_target(s) {
        let mut t = builtin
            .prog_types
            .iter()
            .find(|t| t.id == s.id())
            .cloned()
            .unwrap_or_else(|| ProgTypeProfile {
                name: s.name.to_string(),
                id: s.id(),
                loadable: true,
                measured: false,
                helpers: Vec::new(),
            });
        t.measured = false;
        return t;
    }
    let flags = load_flags(s);
    let trivial = [insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)];
    let mut log = vec![0u8; 4096];
    let configs: Vec<(u32, Option<AttachType>)> = attach_configs(s)
        .into_iter()
        .filter(|&(raw, _)| try_load(s.id(), raw, flags, &trivial, &mut log).is_ok())
        .collect();
    let per: Vec<(Option<AttachType>, Vec<u32>)> = configs
        .iter()
        .map(|&(raw, a)| (a, probe_helpers(s.id(), raw, flags, &mut log)))
        .collect();
    ProgTypeProfile {
        name: s.name.to_string(),
        id: s.id(),
        loadable: !configs.is_empty(),
        measured: true,
        helpers: group_helpers(&per),
    }
}

/// Helper ids the verifier offers to (type, raw attach, flags).
fn probe_helpers(ty: u32, eat: u32, flags: u32, log: &mut [u8]) -> Vec<u32> {
    (1..bpfbox_progtype::helpers::HELPER_COUNT)
        .filter(|&id| {
            let prog = [
                insn(0x85, 0, 0, 0, id as i32),
                insn(0xb7, 0, 0, 0, 1),
                insn(0x95, 0, 0, 0, 0),
            ];
            match try_load(ty, eat, flags, &prog, log) {
                Ok(()) => true,
                Err(text) => !UNAVAILABLE.iter().any(|m| text.contains(m)),
            }
        })
        .collect()
}

/// (key size, value size, max entries, flags) that create a map of the
/// type without BTF, or None when the type needs BTF (or an inner map).
fn map_params(t: u32) -> Option<(u32, u32, u32, u32)> {
    use map_type as m;
    Some(match t {
        m::STACK_TRACE => (4, 8, 1, 0),
        m::LPM_TRIE => (8, 4, 1, map_flags::F_NO_PREALLOC),
        m::CGROUP_STORAGE | m::PERCPU_CGROUP_STORAGE => (16, 8, 0, 0),
        m::QUEUE | m::STACK | m::BLOOM_FILTER => (0, 4, 1, 0),
        m::RINGBUF | m::USER_RINGBUF => (0, 0, 4096, 0),
        m::ARENA => (0, 0, 1, map_flags::F_MMAPABLE),
        m::ARRAY_OF_MAPS
        | m::HASH_OF_MAPS
        | m::SK_STORAGE
        | m::INODE_STORAGE
        | m::TASK_STORAGE
        | m::CGRP_STORAGE
        | m::STRUCT_OPS => return None,
        _ => (4, 4, 1, 0),
    })
}

fn probe_map_types() -> Vec<MapTypeProfile> {
    (1..MAP_TYPE_NAMES.len() as u32)
        .map(|id| {
            let name = MAP_TYPE_NAMES[id as usize].to_string();
            match map_params(id) {
                Some((k, v, n, flags)) => {
                    let mut c = MapCreate::new(id, k, v, n);
                    c.map_flags = flags;
                    MapTypeProfile {
                        name,
                        id,
                        available: c.create().is_ok(),
                        measured: true,
                    }
                }
                None => MapTypeProfile {
                    name,
                    id,
                    available: true,
                    measured: false,
                },
            }
        })
        .collect()
}

/// errno of a live-frames XDP test run of `return XDP_PASS`, None when it
/// runs.
fn probe_xdp_live_frames() -> Option<i32> {
    let prog = [insn(0xb7, 0, 0, 0, 2), insn(0x95, 0, 0, 0, 0)];
    let p = ProgLoad::new(ProgType::Xdp.id(), &prog).load().ok()?;
    let frame = [0u8; 64];
    let run = TestRun {
        data_in: Some(&frame),
        repeat: 1,
        flags: test_flags::F_TEST_XDP_LIVE_FRAMES,
        ..Default::default()
    };
    p.test_run(&run)
        .err()
        .and_then(|e| e.errno().map(|e| e.raw()))
}
