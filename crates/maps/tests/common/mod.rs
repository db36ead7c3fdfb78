//! Raw `bpf(2)` access shared by the kernel comparison tests: minimal
//! `#[repr(C)]` prefixes of `union bpf_attr`, a map handle, program loading
//! and `BPF_PROG_TEST_RUN`.
#![allow(dead_code)]

use bpfbox_maps::{MapConfig, MapDef, MapError};

pub const BPF_MAP_CREATE: i32 = 0;
pub const BPF_MAP_LOOKUP_ELEM: i32 = 1;
pub const BPF_MAP_UPDATE_ELEM: i32 = 2;
pub const BPF_MAP_DELETE_ELEM: i32 = 3;
pub const BPF_MAP_GET_NEXT_KEY: i32 = 4;
pub const BPF_MAP_LOOKUP_AND_DELETE_ELEM: i32 = 21;
pub const BPF_MAP_FREEZE: i32 = 22;

/// The `BPF_MAP_CREATE` part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    numa_node: u32,
    map_name: [u8; 16],
    map_ifindex: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    map_extra: u64,
}

/// The `BPF_MAP_*_ELEM` part of `union bpf_attr` (`value` is `next_key` for
/// `BPF_MAP_GET_NEXT_KEY`).
#[repr(C)]
#[derive(Default)]
struct ElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

pub fn sys_bpf<T>(cmd: i32, attr: &mut T) -> Result<i32, i32> {
    // SAFETY: attr is a live repr(C) bpf_attr prefix of the given size.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T as *mut libc::c_void,
            std::mem::size_of::<T>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r as i32)
    }
}

/// A kernel map fd (closed on drop) with its key and syscall value sizes.
pub struct KMap {
    pub fd: i32,
    pub key_size: usize,
    pub value_size: usize,
}

impl Drop for KMap {
    fn drop(&mut self) {
        // SAFETY: fd is owned by this KMap.
        unsafe { libc::close(self.fd) };
    }
}

pub fn kcreate(def: &MapDef, inner_fd: Option<i32>, ncpus: usize) -> Result<KMap, i32> {
    let mut a = MapCreateAttr {
        map_type: def.map_type.id(),
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        inner_map_fd: inner_fd.unwrap_or(0) as u32,
        map_extra: def.map_extra,
        ..Default::default()
    };
    let n = def.name.len().min(15);
    a.map_name[..n].copy_from_slice(&def.name.as_bytes()[..n]);
    let fd = sys_bpf(BPF_MAP_CREATE, &mut a)?;
    let vs = if def.map_type.is_percpu() {
        ((def.value_size as usize + 7) & !7) * ncpus
    } else {
        def.value_size as usize
    };
    Ok(KMap {
        fd,
        key_size: def.key_size as usize,
        value_size: vs,
    })
}

pub fn ptr(b: &[u8]) -> u64 {
    if b.is_empty() {
        0
    } else {
        b.as_ptr() as u64
    }
}

impl KMap {
    pub fn elem(&self, cmd: i32, key: Option<&[u8]>, value: u64, flags: u64) -> Result<(), i32> {
        let mut a = ElemAttr {
            map_fd: self.fd as u32,
            key: key.map(ptr).unwrap_or(0),
            value,
            flags,
            ..Default::default()
        };
        sys_bpf(cmd, &mut a).map(|_| ())
    }

    pub fn lookup(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, i32> {
        let mut v = vec![0u8; self.value_size.max(1)];
        let k = (self.key_size > 0).then_some(key);
        self.elem(BPF_MAP_LOOKUP_ELEM, k, v.as_mut_ptr() as u64, flags)?;
        v.truncate(self.value_size);
        Ok(v)
    }

    /// Bloom filter lookup: the value is an input.
    pub fn lookup_value(&self, value: &[u8]) -> Result<(), i32> {
        let mut v = value.to_vec();
        self.elem(BPF_MAP_LOOKUP_ELEM, None, v.as_mut_ptr() as u64, 0)
    }

    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), i32> {
        let k = (self.key_size > 0).then_some(key);
        self.elem(BPF_MAP_UPDATE_ELEM, k, ptr(value), flags)
    }

    pub fn delete(&self, key: &[u8]) -> Result<(), i32> {
        let k = (self.key_size > 0).then_some(key);
        self.elem(BPF_MAP_DELETE_ELEM, k, 0, 0)
    }

    pub fn next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, i32> {
        let mut n = vec![0u8; self.key_size.max(1)];
        self.elem(BPF_MAP_GET_NEXT_KEY, key, n.as_mut_ptr() as u64, 0)?;
        n.truncate(self.key_size);
        Ok(n)
    }

    pub fn lookup_and_delete(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, i32> {
        let mut v = vec![0u8; self.value_size.max(1)];
        let k = (self.key_size > 0).then_some(key);
        self.elem(
            BPF_MAP_LOOKUP_AND_DELETE_ELEM,
            k,
            v.as_mut_ptr() as u64,
            flags,
        )?;
        v.truncate(self.value_size);
        Ok(v)
    }

    pub fn freeze(&self) -> Result<(), i32> {
        let mut fd = self.fd as u32;
        sys_bpf(BPF_MAP_FREEZE, &mut fd).map(|_| ())
    }

    pub fn dump(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        while let Ok(k) = self.next_key(cur.as_deref()) {
            out.push(k.clone());
            cur = Some(k);
            if out.len() > 100_000 {
                break;
            }
        }
        out
    }
}

/// Possible CPUs, as the kernel sizes per-CPU values.
pub fn possible_cpus() -> u32 {
    let s = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    let mut n = 0;
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => n += b.parse::<u32>().unwrap() - a.parse::<u32>().unwrap() + 1,
            None => n += 1,
        }
    }
    n.max(1)
}

/// Creates every definition with `kernel` and with bpfbox; one line per
/// definition whose errno (0 = created) differs.
pub fn create_mismatches<T>(
    defs: &[MapDef],
    kernel: impl Fn(&MapDef) -> Result<T, i32>,
) -> Vec<String> {
    defs.iter()
        .filter_map(|d| {
            let k = kernel(d).map(|_| 0).unwrap_or_else(|e| e);
            let o = bpfbox_maps::Map::new(d.clone(), cfg())
                .map(|_| 0)
                .unwrap_or_else(|e| e.errno());
            (k != o).then(|| format!("{d:?}: kernel {k}, bpfbox {o}"))
        })
        .collect()
}

pub fn ours<T>(r: Result<T, MapError>) -> Result<T, i32> {
    r.map_err(|e| e.errno())
}

pub fn cfg() -> MapConfig {
    MapConfig {
        ncpus: possible_cpus(),
        current_cpu: 0,
    }
}

pub const BPF_PROG_LOAD: i32 = 5;
pub const BPF_PROG_TEST_RUN: i32 = 10;
pub const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;

/// The `BPF_PROG_LOAD` part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

/// The `BPF_PROG_TEST_RUN` part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
}

/// Encode one instruction slot.
pub fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    u64::from(code)
        | (u64::from(dst & 0xf) << 8)
        | (u64::from(src & 0xf) << 12)
        | (u64::from(off as u16) << 16)
        | (u64::from(imm as u32) << 32)
}

/// Load a socket filter; returns its fd or the errno and verifier log.
pub fn load_prog(prog: &[u64]) -> Result<i32, String> {
    let license = b"GPL\0";
    let mut log = vec![0u8; 1 << 16];
    let mut a = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_SOCKET_FILTER,
        insn_cnt: prog.len() as u32,
        insns: prog.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr() as u64,
        ..Default::default()
    };
    sys_bpf(BPF_PROG_LOAD, &mut a).map_err(|e| {
        let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
        format!("load errno {e}: {}", String::from_utf8_lossy(&log[..end]))
    })
}

/// Load a socket filter and run it once on a 64-byte packet; returns R0
/// (`Err` with the load errno and verifier log on rejection).
pub fn load_and_run(prog: &[u64]) -> Result<u32, String> {
    let fd = load_prog(prog)?;
    let data = [0u8; 64];
    let mut t = TestRunAttr {
        prog_fd: fd as u32,
        data_size_in: data.len() as u32,
        data_in: data.as_ptr() as u64,
        repeat: 1,
        ..Default::default()
    };
    let r = sys_bpf(BPF_PROG_TEST_RUN, &mut t);
    // SAFETY: fd is the program just loaded.
    unsafe { libc::close(fd) };
    r.map_err(|e| format!("test_run errno {e}"))?;
    Ok(t.retval)
}

/// Pin the calling thread to CPU 0 so per-CPU helper effects land in slot 0.
pub fn pin_cpu0() -> bool {
    // SAFETY: plain libc calls on a zeroed cpu_set_t.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}
