//! One loader, two engines: the kernel side. The same
//! [`bpfbox_object::Object`] the interpreter runs is loaded into the running
//! kernel: maps created (inner-map templates, initial global data, frozen
//! `.rodata`, map-in-map slots, prog array slots with their programs
//! loaded), the object's BTF loaded when the kernel
//! takes it, the program's map references patched with the new fds
//! (`ProgramDef::link`), and `BPF_PROG_LOAD` with func and line info.

use bpfbox_kernel::{InfoRecords, KernelBtf, KernelMap, KernelProg, MapCreate, ProgLoad};
use bpfbox_object::{MapInit, MapKind, MapSpec, Object, ProgramDef};
use std::os::fd::{AsRawFd, RawFd};

/// An object's maps and one program, live in the kernel.
pub struct KernelObject {
    /// Maps, by the object's map index.
    pub maps: Vec<KernelMap>,
    /// The loaded program.
    pub prog: KernelProg,
    /// Programs loaded for prog array `.values` slots.
    _slot_progs: Vec<KernelProg>,
    _btf: Option<KernelBtf>,
}

/// Loading into the kernel failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `bpf()` cannot be used here.
    #[error("kernel engine: {0}")]
    Unavailable(#[source] bpfbox_kernel::Unavailable),
    /// A `bpf()` call failed while doing `context`.
    #[error("{context}: {source}")]
    Kernel {
        /// What was being done (`creating map `m` in the kernel`).
        context: String,
        /// The kernel's error.
        #[source]
        source: bpfbox_kernel::Error,
    },
    /// A file operation (tracefs) failed while doing `context`.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (`opening .../trace_pipe`).
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Anything else, one line.
    #[error("{0}")]
    Other(String),
}

impl Error {
    fn kernel(context: String, source: bpfbox_kernel::Error) -> Error {
        Error::Kernel { context, source }
    }
}

/// Plain arrays of at least this many value bytes are created
/// `BPF_F_MMAPABLE` (see [`mmap_readable`]).
const MMAP_ARRAY_BYTES: u64 = 1 << 20;

/// Whether map `i` of `obj` is a big plain array that is no other map's
/// inner map: the kernel engine creates it with `BPF_F_MMAPABLE` added, so
/// that dumps and diffs read its values through a mapping at memory speed
/// instead of a copy per element. The flag changes nothing a program sees
/// (lookups, updates and the verifier's checks are those of any array;
/// libbpf sets it on every global data map) but the map's reported flags,
/// and map-in-map templates compare flags, hence the inner-map exclusion.
fn mmap_readable(obj: &Object, i: usize) -> bool {
    let spec = &obj.maps[i];
    let bytes = u64::from(spec.max_entries) * u64::from(spec.value_size.next_multiple_of(8));
    spec.map_type == bpfbox_kernel::consts::map_type::ARRAY
        && spec.map_flags & bpfbox_kernel::consts::map_flags::F_MMAPABLE == 0
        && bytes >= MMAP_ARRAY_BYTES
        && !obj.maps.iter().any(|m| {
            m.init_slots
                .iter()
                .any(|(_, init)| matches!(init, MapInit::Map(j) if *j == i))
        })
}

fn create_one(spec: &MapSpec, btf: Option<&KernelBtf>) -> Result<KernelMap, Error> {
    create_with(spec, btf, 0)
}

fn create_with(
    spec: &MapSpec,
    btf: Option<&KernelBtf>,
    extra_flags: u32,
) -> Result<KernelMap, Error> {
    let inner = match &spec.inner {
        Some(inner) => Some(create_one(inner, None)?),
        None => None,
    };
    let cpus = bpfbox_kernel::possible_cpus().unwrap_or(1) as u32;
    let mut mc = MapCreate::new(
        spec.map_type,
        spec.key_size,
        spec.value_size,
        bpfbox_runtime::link::effective_max_entries(spec, cpus),
    );
    mc.map_flags = spec.map_flags | extra_flags;
    mc.map_extra = spec.map_extra;
    mc.numa_node = spec.numa_node;
    mc.name = &spec.kernel_name;
    mc.inner_map_fd = inner.as_ref().map(|m| m.as_raw_fd());
    if let Some(b) = btf {
        if spec.btf_value_type_id != 0 {
            mc.btf_fd = Some(b.as_raw_fd());
            mc.btf_key_type_id = spec.btf_key_type_id;
            mc.btf_value_type_id = spec.btf_value_type_id;
        }
    }
    mc.create()
        .map_err(|e| Error::kernel(format!("creating map `{}` in the kernel", spec.name), e))
}

fn info_bytes<T>(items: &[T], f: impl Fn(&T) -> Vec<u32>) -> Vec<u8> {
    items
        .iter()
        .flat_map(|i| f(i).into_iter().flat_map(u32::to_le_bytes))
        .collect()
}

/// An object's maps live in the kernel, with the programs its prog arrays'
/// `.values` name and its BTF: everything a program of it needs to load.
struct KernelMaps {
    maps: Vec<KernelMap>,
    fds: Vec<RawFd>,
    slot_progs: Vec<KernelProg>,
    btf: Option<KernelBtf>,
}

impl KernelMaps {
    fn create(obj: &Object) -> Result<KernelMaps, Error> {
        bpfbox_kernel::availability().map_err(Error::Unavailable)?;
        if let Some(m) = crate::support::unloadable(obj).first() {
            return Err(Error::Other(format!(
                "extern {} (strong): not resolved",
                m.name
            )));
        }
        // BTF is optional: maps and programs without spin locks or global
        // functions load without it.
        let btf = obj
            .btf_for_kernel()
            .and_then(|b| bpfbox_kernel::load_btf(&b).ok());
        let mut maps = Vec::with_capacity(obj.maps.len());
        for (i, spec) in obj.maps.iter().enumerate() {
            let mmap = if mmap_readable(obj, i) {
                create_with(
                    spec,
                    btf.as_ref(),
                    bpfbox_kernel::consts::map_flags::F_MMAPABLE,
                )
                .ok()
            } else {
                None
            };
            let m = match mmap.map_or_else(|| create_one(spec, btf.as_ref()), Ok) {
                Ok(m) => m,
                Err(_) if btf.is_some() => create_one(spec, None)?,
                Err(e) => return Err(e),
            };
            maps.push(m);
        }
        for (spec, m) in obj.maps.iter().zip(&maps) {
            if let Some(d) = &spec.initial_data {
                m.update(&0u32.to_le_bytes(), d, 0)
                    .map_err(|e| Error::kernel(format!("initialising `{}`", spec.name), e))?;
            }
            if matches!(spec.kind, MapKind::Data(d) if d.frozen()) {
                m.freeze()
                    .map_err(|e| Error::kernel(format!("freezing `{}`", spec.name), e))?;
            }
            for (key, init) in &spec.init_slots {
                if let MapInit::Map(i) = init {
                    let fd = maps[*i].as_raw_fd() as u32;
                    m.update(&key.to_le_bytes(), &fd.to_le_bytes(), 0)
                        .map_err(|e| Error::kernel(format!("filling `{}`", spec.name), e))?;
                }
            }
        }
        let fds: Vec<RawFd> = maps.iter().map(|m| m.as_raw_fd()).collect();
        // Prog array `.values`: load each named program against the same
        // maps and put its fd in the slot, as libbpf does.
        let mut slot_progs = Vec::new();
        for (spec, m) in obj.maps.iter().zip(&maps) {
            for (key, init) in &spec.init_slots {
                if let MapInit::Program(p) = init {
                    let target = obj.programs.get(*p).ok_or_else(|| {
                        Error::Other(format!("`{}` slot {key}: unknown program {p}", spec.name))
                    })?;
                    let tp = load_prog(obj, target, &fds, btf.as_ref(), 0).map_err(|e| {
                        Error::kernel(format!("kernel rejected `{}`", target.name), e)
                    })?;
                    let fd = tp.as_raw_fd() as u32;
                    m.update(&key.to_le_bytes(), &fd.to_le_bytes(), 0)
                        .map_err(|e| Error::kernel(format!("filling `{}`", spec.name), e))?;
                    slot_progs.push(tp);
                }
            }
        }
        Ok(KernelMaps {
            maps,
            fds,
            slot_progs,
            btf,
        })
    }
}

impl KernelObject {
    /// Creates `obj`'s maps and loads program `def` into the kernel.
    pub fn load(obj: &Object, def: &ProgramDef) -> Result<KernelObject, Error> {
        let km = KernelMaps::create(obj)?;
        let prog = load_prog(obj, def, &km.fds, km.btf.as_ref(), 0).map_err(|e| {
            remember_log(&e);
            Error::kernel(format!("kernel rejected `{}`", def.name), e)
        })?;
        Ok(KernelObject {
            maps: km.maps,
            prog,
            _slot_progs: km.slot_progs,
            _btf: km.btf,
        })
    }
}

/// What the kernel's verifier said about one program: the load's outcome
/// and its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelVerdict {
    /// Whether `BPF_PROG_LOAD` succeeded.
    pub accepted: bool,
    /// The errno of a refused load.
    pub errno: Option<i32>,
    /// The verifier log at the requested level (on refusal at least level
    /// 1, as [`ProgLoad::load`] retries for a log).
    pub log: String,
}

/// Creates `obj`'s maps, loads program `def` with verifier log level
/// `log_level` (1: state trace, 4: statistics only, as `BPF_LOG_*`) and
/// unloads everything again. `Err` when the program could not be offered
/// to the verifier at all (the kernel is unavailable, a map could not be
/// created); a refusal by the verifier is an `Ok` verdict.
pub fn verdict(obj: &Object, def: &ProgramDef, log_level: u32) -> Result<KernelVerdict, Error> {
    let km = KernelMaps::create(obj)?;
    Ok(
        match load_prog(obj, def, &km.fds, km.btf.as_ref(), log_level) {
            Ok(p) => KernelVerdict {
                accepted: true,
                errno: None,
                log: p.log().to_string(),
            },
            Err(e) => KernelVerdict {
                accepted: false,
                errno: e.errno().map(|n| n.raw()),
                log: e.log().unwrap_or("").to_string(),
            },
        },
    )
}

/// `BPF_PROG_LOAD` of `def` with its map references patched to `fds`.
fn load_prog(
    obj: &Object,
    def: &ProgramDef,
    fds: &[RawFd],
    btf: Option<&KernelBtf>,
    log_level: u32,
) -> Result<KernelProg, bpfbox_kernel::Error> {
    let insns = def.link(|i| fds[i]);
    let func = info_bytes(&def.func_info, |f| vec![f.insn, f.type_id]);
    let line = info_bytes(&def.line_info, |l| {
        vec![l.insn, l.file_name_off, l.line_off, l.line_col]
    });
    let mut load = ProgLoad::new(def.prog_type, &insns)
        .expected_attach_type(def.expected_attach_type)
        .license(&obj.license)
        .name(&def.name)
        .prog_flags(def.prog_flags)
        .log_level(log_level);
    if let Some(b) = btf {
        load.prog_btf_fd = Some(b.as_raw_fd());
        if !func.is_empty() {
            load.func_info = Some(InfoRecords {
                rec_size: 8,
                data: &func,
            });
        }
        if !line.is_empty() {
            load.line_info = Some(InfoRecords {
                rec_size: 16,
                data: &line,
            });
        }
    }
    load.load()
}

thread_local! {
    static LAST_REJECTION_LOG: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// Remembers a refused load's verifier log for [`take_rejection_log`].
fn remember_log(e: &bpfbox_kernel::Error) {
    LAST_REJECTION_LOG.with(|l| *l.borrow_mut() = e.log().map(str::to_string));
}

/// The full verifier log of the last program [`KernelObject::load`]
/// refused on this thread (the error line gives only its cause line),
/// taken.
pub fn take_rejection_log() -> Option<String> {
    LAST_REJECTION_LOG.with(|l| l.borrow_mut().take())
}

/// The records committed to a kernel ring buffer map, in order, read
/// through its mmap()ed pages the way libbpf's consumer does (discarded
/// records skipped, stopping at a busy one) and consumed. `data_size` is
/// the map's `max_entries`.
pub fn ringbuf_records(map: &KernelMap, data_size: usize) -> Result<Vec<Vec<u8>>, Error> {
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let fd = map.as_raw_fd();
    let fail = |what: &str| {
        Error::Other(format!(
            "mmap of the ring buffer {what}: {}",
            std::io::Error::last_os_error()
        ))
    };
    // SAFETY: a ring buffer map fd maps its consumer page (read-write) at
    // offset 0 and its producer page plus the data area twice (read-only)
    // at one page; both mappings are unmapped before returning and only
    // accessed within their lengths.
    unsafe {
        let cons = libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        );
        if cons == libc::MAP_FAILED {
            return Err(fail("consumer page"));
        }
        let plen = page + 2 * data_size;
        let prod = libc::mmap(
            std::ptr::null_mut(),
            plen,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            page as libc::off_t,
        );
        if prod == libc::MAP_FAILED {
            libc::munmap(cons, page);
            return Err(fail("producer pages"));
        }
        let cons_pos = cons.cast::<u64>();
        let data = prod.cast::<u8>().add(page);
        let mask = data_size as u64 - 1;
        let mut out = Vec::new();
        let mut c = std::ptr::read_volatile(cons_pos);
        let p = std::ptr::read_volatile(prod.cast::<u64>());
        while c < p {
            let hdr = data.add((c & mask) as usize);
            let len = std::ptr::read_volatile(hdr.cast::<u32>());
            if len & (1 << 31) != 0 {
                break; // busy
            }
            let n = len & !(1 << 30);
            if len & (1 << 30) == 0 && (n as usize) < data_size {
                out.push(std::slice::from_raw_parts(hdr.add(8), n as usize).to_vec());
            }
            c += (u64::from(n) + 8 + 7) & !7;
            std::ptr::write_volatile(cons_pos, c);
        }
        libc::munmap(prod, plen);
        libc::munmap(cons, page);
        Ok(out)
    }
}

/// `PERF_TYPE_SOFTWARE`.
const PERF_TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_SW_BPF_OUTPUT`.
const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
/// `PERF_SAMPLE_RAW`.
const PERF_SAMPLE_RAW: u64 = 1 << 10;
/// `PERF_RECORD_SAMPLE`.
const PERF_RECORD_SAMPLE: u32 = 9;
/// `PERF_FLAG_FD_CLOEXEC`.
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
/// Data pages of each perf buffer (a power of two).
const PERF_DATA_PAGES: usize = 8;

/// One BPF-output perf event bound to a CPU with its mmap()ed ring, as
/// libbpf's perf buffer opens for each slot of a perf_event_array.
pub struct PerfBuffer {
    fd: std::os::fd::OwnedFd,
    base: *mut libc::c_void,
    len: usize,
    page: usize,
}

impl PerfBuffer {
    /// Opens the event on `cpu` and maps its ring.
    pub fn open(cpu: u32) -> Result<PerfBuffer, Error> {
        use std::os::fd::FromRawFd;
        let mut attr = [0u8; 128];
        attr[0..4].copy_from_slice(&PERF_TYPE_SOFTWARE.to_ne_bytes());
        attr[4..8].copy_from_slice(&128u32.to_ne_bytes());
        attr[8..16].copy_from_slice(&PERF_COUNT_SW_BPF_OUTPUT.to_ne_bytes());
        attr[16..24].copy_from_slice(&1u64.to_ne_bytes()); // sample_period
        attr[24..32].copy_from_slice(&PERF_SAMPLE_RAW.to_ne_bytes());
        attr[48..52].copy_from_slice(&1u32.to_ne_bytes()); // wakeup_events
                                                           // SAFETY: perf_event_open reads `attr` (128 bytes, size field 128).
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                attr.as_ptr(),
                -1 as libc::pid_t,
                cpu as libc::c_int,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(Error::Other(format!(
                "perf_event_open on CPU {cpu}: {}",
                std::io::Error::last_os_error()
            )));
        }
        // SAFETY: a new fd owned by nobody else.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) };
        // SAFETY: sysconf has no memory effects.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let len = page * (1 + PERF_DATA_PAGES);
        // SAFETY: maps the event's metadata page and data pages.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::Other(format!(
                "mmap of the perf buffer: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(PerfBuffer {
            fd,
            base,
            len,
            page,
        })
    }

    /// The event's fd (the value a perf_event_array slot takes).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Consumes the raw samples written since the last call, oldest
    /// first (each as the kernel stores it: padded so that the size field
    /// plus the data is a multiple of 8 bytes).
    pub fn take_samples(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let size = (self.len - self.page) as u64;
        // SAFETY: `perf_event_mmap_page` holds data_head at 1024 and
        // data_tail at 1032; records lie in the data pages after the
        // first page, wrapping at `size`. Every read stays in the mapping.
        unsafe {
            let meta = self.base.cast::<u8>();
            let head = std::ptr::read_volatile(meta.add(1024).cast::<u64>());
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            let mut tail = std::ptr::read_volatile(meta.add(1032).cast::<u64>());
            let data = meta.add(self.page);
            let read = |pos: u64, n: usize| -> Vec<u8> {
                (0..n as u64)
                    .map(|i| *data.add(((pos + i) % size) as usize))
                    .collect()
            };
            while tail < head {
                let h = read(tail, 8);
                let ty = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]);
                let rec = u64::from(u16::from_ne_bytes([h[6], h[7]]));
                if rec < 8 {
                    break;
                }
                if ty == PERF_RECORD_SAMPLE {
                    let s = read(tail + 8, 4);
                    let n = u32::from_ne_bytes([s[0], s[1], s[2], s[3]]) as usize;
                    out.push(read(tail + 12, n));
                }
                tail += rec;
            }
            std::ptr::write_volatile(meta.add(1032).cast::<u64>(), tail);
        }
        out
    }
}

// SAFETY: the mapping and the fd belong to this value alone; nothing else
// refers to them, so moving it to another thread is sound.
unsafe impl Send for PerfBuffer {}

impl Drop for PerfBuffer {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `open` mapped.
        unsafe {
            libc::munmap(self.base, self.len);
        }
    }
}

/// The kernel's `bpf_trace_printk` lines, captured in a tracefs instance of
/// its own (`TRACEFS/instances/bpfbox-PID-N`, removed on drop; tracefs is
/// mounted first when missing)
/// with the `bpf_trace/bpf_trace_printk` event enabled, so the global trace
/// buffer and other users are left alone.
///
/// Lines are read from the instance's `trace_pipe`, kept open without
/// blocking: a read consumes what is there and costs one syscall, where
/// reading and truncating `trace` after every run waited for an RCU grace
/// period each time (milliseconds per packet under load).
pub struct TraceCapture {
    dir: std::path::PathBuf,
    /// `trace_pipe`, closed before the instance is removed (an open file
    /// keeps the directory busy).
    pipe: Option<std::fs::File>,
    /// The start of a line a read ended in the middle of.
    partial: std::cell::RefCell<String>,
}

impl TraceCapture {
    /// Creates the instance and enables the event.
    pub fn new() -> Result<TraceCapture, Error> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let tracefs = bpfbox_kernel::mounts::tracefs().map_err(|e| Error::Other(e.to_string()))?;
        remove_stale_instances(&tracefs.join("instances"));
        let dir = tracefs.join(format!("instances/bpfbox-{}-{n}", std::process::id()));
        // A directory of this name left by an earlier process with this
        // pid (this process numbers its own) is stale: replace it.
        if std::fs::create_dir(&dir).is_err() {
            let _ = std::fs::remove_dir(&dir);
            std::fs::create_dir(&dir).map_err(|e| Error::Io {
                context: format!("creating {}", dir.display()),
                source: e,
            })?;
        }
        let remove = |e: Error| {
            let _ = std::fs::remove_dir(&dir);
            e
        };
        use std::os::unix::fs::OpenOptionsExt;
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("trace_pipe"))
            .map_err(|e| {
                remove(Error::Io {
                    context: format!("opening {}/trace_pipe", dir.display()),
                    source: e,
                })
            })?;
        let cap = TraceCapture {
            dir,
            pipe: Some(pipe),
            partial: Default::default(),
        };
        std::fs::write(
            cap.dir.join("events/bpf_trace/bpf_trace_printk/enable"),
            "1",
        )
        .map_err(|e| Error::Io {
            context: "enabling bpf_trace_printk".into(),
            source: e,
        })?;
        Ok(cap)
    }

    /// The messages the thread `tid` printed since the last call, oldest
    /// first, without the trace line prefix and trailing newline; the
    /// instance's buffer is cleared.
    pub fn take(&self, tid: i32) -> Vec<String> {
        use std::io::Read;
        let mut text = std::mem::take(&mut *self.partial.borrow_mut());
        let mut buf = [0u8; 16384];
        // until the pipe is empty (EAGAIN) or fails
        let Some(mut pipe) = self.pipe.as_ref() else {
            return Vec::new();
        };
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        if !text.is_empty() && !text.ends_with('\n') {
            let cut = text.rfind('\n').map_or(0, |i| i + 1);
            *self.partial.borrow_mut() = text.split_off(cut);
        }
        let tag = format!("-{tid} ");
        text.lines()
            .filter(|l| !l.starts_with('#') && l.contains(&tag))
            .filter_map(|l| l.split_once(" bpf_trace_printk: ").map(|(_, m)| m))
            .map(|m| m.trim_end_matches('\n').to_string())
            .collect()
    }
}

impl Drop for TraceCapture {
    fn drop(&mut self) {
        let _ = std::fs::write(
            self.dir.join("events/bpf_trace/bpf_trace_printk/enable"),
            "0",
        );
        drop(self.pipe.take());
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Removes the `bpfbox-PID-N` instances of processes that are gone (a
/// process that exits without dropping its capture leaves one behind).
fn remove_stale_instances(instances: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(instances) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("bpfbox-"))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir(e.path());
        }
    }
}
