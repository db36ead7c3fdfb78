//! The strongest check: every program of every object, linked with real
//! map fds, passes the running kernel's verifier. Maps are created from the
//! `MapSpec`s (with the object's sanitized BTF), data maps filled (and
//! `.rodata` frozen) and `.values` slots written, as libbpf would.
//! Listed `=> [kernel]`: reported as ignored where `bpf()` is unusable.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use bpfbox_object::{DataKind, MapInit, MapKind, MapSpec, Object, ProgramDef};

use crate::{load, LOADABLE};

const BPF_MAP_CREATE: i64 = 0;
const BPF_MAP_UPDATE_ELEM: i64 = 2;
const BPF_PROG_LOAD: i64 = 5;
const BPF_BTF_LOAD: i64 = 18;
const BPF_MAP_FREEZE: i64 = 22;

/// `union bpf_attr` as bytes; each command writes the fields it uses.
pub struct Attr([u64; 20]);

impl Attr {
    pub fn new() -> Self {
        Attr([0; 20])
    }
    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: [u64; 20] is plain bytes with no padding.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr() as *mut u8, 160) }
    }
    pub fn bytes_u32(&mut self, off: usize) -> u32 {
        u32::from_ne_bytes(self.bytes()[off..off + 4].try_into().unwrap())
    }
    pub fn u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.bytes()[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    pub fn u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.bytes()[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn name(&mut self, off: usize, s: &str) -> &mut Self {
        let n = s.len().min(15);
        self.bytes()[off..off + n].copy_from_slice(&s.as_bytes()[..n]);
        self
    }
    pub fn sys(&mut self, cmd: i64) -> Result<i32, std::io::Error> {
        // SAFETY: the attr buffer outlives the call; pointers inside it point
        // at live buffers owned by the caller.
        let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, self.0.as_mut_ptr(), 160u32) };
        if r < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(r as i32)
        }
    }
}

pub fn fd(raw: i32) -> OwnedFd {
    // SAFETY: raw is a fresh fd returned by bpf().
    unsafe { OwnedFd::from_raw_fd(raw) }
}

/// Why bpf() cannot be used here, if it cannot.
pub fn load_btf(raw: &[u8]) -> OwnedFd {
    let mut log = vec![0u8; 1 << 16];
    let mut a = Attr::new();
    a.u64(0, raw.as_ptr() as u64)
        .u64(8, log.as_mut_ptr() as u64)
        .u32(16, raw.len() as u32);
    a.u32(20, log.len() as u32).u32(24, 1);
    match a.sys(BPF_BTF_LOAD) {
        Ok(r) => fd(r),
        Err(e) => {
            let end = log.iter().position(|&c| c == 0).unwrap_or(0);
            panic!(
                "BPF_BTF_LOAD of btf_for_kernel() failed: {e}\n{}",
                String::from_utf8_lossy(&log[..end])
            )
        }
    }
}

fn create_map(m: &MapSpec, btf: Option<&OwnedFd>, inner: Option<&OwnedFd>) -> OwnedFd {
    let mut a = Attr::new();
    a.u32(0, m.map_type)
        .u32(4, m.key_size)
        .u32(8, m.value_size)
        .u32(12, m.max_entries);
    a.u32(16, m.map_flags)
        .u32(24, m.numa_node)
        .name(28, &m.kernel_name)
        .u64(64, m.map_extra);
    if let Some(i) = inner {
        a.u32(20, i.as_raw_fd() as u32);
    }
    if let (Some(b), true) = (btf, m.btf_value_type_id != 0) {
        a.u32(48, b.as_raw_fd() as u32)
            .u32(52, m.btf_key_type_id)
            .u32(56, m.btf_value_type_id);
    }
    match a.sys(BPF_MAP_CREATE) {
        Ok(r) => fd(r),
        Err(e) => panic!("BPF_MAP_CREATE '{}' failed: {e} ({m:?})", m.name),
    }
}

fn update(map: &OwnedFd, key: u32, value: &[u8]) -> Result<i32, std::io::Error> {
    let mut a = Attr::new();
    a.u32(0, map.as_raw_fd() as u32)
        .u64(8, &key as *const u32 as u64)
        .u64(16, value.as_ptr() as u64);
    a.sys(BPF_MAP_UPDATE_ELEM)
}

/// Creates every map of `o` the way libbpf does.
pub fn create_maps(o: &Object, btf: Option<&OwnedFd>) -> Vec<OwnedFd> {
    let mut fds: Vec<OwnedFd> = Vec::new();
    for m in &o.maps {
        let inner = m.inner.as_ref().map(|i| create_map(i, None, None));
        let f = create_map(m, btf, inner.as_ref());
        if let (MapKind::Data(dk), Some(data)) = (m.kind, &m.initial_data) {
            update(&f, 0, data).unwrap_or_else(|e| panic!("fill '{}': {e}", m.name));
            if dk == DataKind::Rodata {
                let mut a = Attr::new();
                a.u32(0, f.as_raw_fd() as u32);
                a.sys(BPF_MAP_FREEZE)
                    .unwrap_or_else(|e| panic!("freeze '{}': {e}", m.name));
            }
        }
        fds.push(f);
    }
    for (i, m) in o.maps.iter().enumerate() {
        for &(key, init) in &m.init_slots {
            if let MapInit::Map(t) = init {
                let v = fds[t].as_raw_fd().to_ne_bytes();
                update(&fds[i], key, &v)
                    .unwrap_or_else(|e| panic!("'{}'[{key}] = map {t}: {e}", m.name));
            }
        }
    }
    fds
}

pub fn prog_load(
    p: &ProgramDef,
    o: &Object,
    maps: &[OwnedFd],
    btf: Option<&OwnedFd>,
    log_level: u32,
) -> Result<OwnedFd, String> {
    let insns = p.link(|m| maps[m].as_raw_fd());
    let bytes = bpfbox_isa::slots_to_bytes(&insns);
    let license = std::ffi::CString::new(o.license.clone()).unwrap();
    let mut log = vec![0u8; if log_level > 0 { 1 << 22 } else { 0 }];
    let fi: Vec<u32> = p
        .func_info
        .iter()
        .flat_map(|f| [f.insn, f.type_id])
        .collect();
    let li: Vec<u32> = p
        .line_info
        .iter()
        .flat_map(|l| [l.insn, l.file_name_off, l.line_off, l.line_col])
        .collect();
    let mut a = Attr::new();
    a.u32(0, p.prog_type)
        .u32(4, insns.len() as u32)
        .u64(8, bytes.as_ptr() as u64)
        .u64(16, license.as_ptr() as u64);
    a.u32(24, log_level)
        .u32(28, log.len() as u32)
        .u64(32, log.as_mut_ptr() as u64);
    a.u32(40, o.kern_version.unwrap_or(0))
        .u32(44, p.prog_flags)
        .name(48, &p.name)
        .u32(68, p.expected_attach_type);
    if let Some(b) = btf {
        a.u32(72, b.as_raw_fd() as u32);
        a.u32(76, 8)
            .u64(80, fi.as_ptr() as u64)
            .u32(88, p.func_info.len() as u32);
        a.u32(92, 16)
            .u64(96, li.as_ptr() as u64)
            .u32(104, p.line_info.len() as u32);
    }
    match a.sys(BPF_PROG_LOAD) {
        Ok(r) => Ok(fd(r)),
        Err(e) => {
            let end = log.iter().position(|&c| c == 0).unwrap_or(0);
            let text = String::from_utf8_lossy(&log[..end]);
            let tail: Vec<&str> = text
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Err(format!("{e}\n{}", tail.join("\n")))
        }
    }
}

pub(crate) fn kernel_verifier_accepts_every_program() {
    let mut loaded = 0;
    for name in LOADABLE {
        let o = load(name);
        let btf_bytes = o
            .btf_for_kernel()
            .unwrap_or_else(|| panic!("{name}: no kernel BTF"));
        let btf = load_btf(&btf_bytes);
        let maps = create_maps(&o, Some(&btf));
        let mut prog_fds = Vec::new();
        for p in &o.programs {
            let f = prog_load(p, &o, &maps, Some(&btf), 0)
                .or_else(|_| prog_load(p, &o, &maps, Some(&btf), 1))
                .unwrap_or_else(|e| panic!("{name}/{} rejected by the kernel: {e}", p.name));
            prog_fds.push(f);
            loaded += 1;
        }
        // prog arrays get their `.values` programs once programs exist
        for (i, m) in o.maps.iter().enumerate() {
            for &(key, init) in &m.init_slots {
                if let MapInit::Program(pi) = init {
                    let v = prog_fds[pi].as_raw_fd().to_ne_bytes();
                    update(&maps[i], key, &v)
                        .unwrap_or_else(|e| panic!("{name}: '{}'[{key}] = prog: {e}", m.name));
                }
            }
        }
    }
    assert_eq!(loaded, 1 + 9 + 2 + 1 + 1 + 4 + 5 + 2);
}

pub(crate) fn kernel_accepts_programs_without_btf() {
    // the path an engine takes when it ignores BTF: plain maps, no func_info
    for name in ["xdp_globals.o", "skb_multi.o", "legacy_maps.o"] {
        let o = load(name);
        let maps = create_maps(&o, None);
        for p in &o.programs {
            prog_load(p, &o, &maps, None, 0)
                .or_else(|_| prog_load(p, &o, &maps, None, 1))
                .unwrap_or_else(|e| panic!("{name}/{} rejected without BTF: {e}", p.name));
        }
    }
}
