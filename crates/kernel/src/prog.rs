//! Loading programs (`BPF_PROG_LOAD`) and reading back what the kernel made
//! of them (`BPF_OBJ_GET_INFO_BY_FD`).

use crate::error::{Error, ErrorKind};
use crate::sys::{self, cmd, ProgInfoRaw, ProgLoadAttr};
use bpfbox_isa::RawInsn;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// Size of the log buffer used when a load fails without a log and is
/// retried to fetch one; grown when the kernel reports a larger true size.
const RETRY_LOG_SIZE: u32 = 1 << 20;
/// Largest log buffer the kernel accepts (`UINT_MAX >> 2`,
/// `bpf_vlog_init` in kernel/bpf/log.c).
const MAX_LOG_SIZE: u32 = u32::MAX >> 2;

/// `.BTF.ext` records handed to `BPF_PROG_LOAD` (`func_info` or
/// `line_info`): `data` holds `data.len() / rec_size` records.
#[derive(Debug, Clone, Copy)]
pub struct InfoRecords<'a> {
    /// Size of one record (8 for `bpf_func_info`, 16 for `bpf_line_info`).
    pub rec_size: u32,
    /// The records, back to back.
    pub data: &'a [u8],
}

/// Everything `BPF_PROG_LOAD` takes. Build with [`ProgLoad::new`] and
/// override fields (they are public) before calling [`ProgLoad::load`].
#[derive(Debug, Clone)]
pub struct ProgLoad<'a> {
    /// `enum bpf_prog_type` (see [`crate::consts::prog_type`]).
    pub prog_type: u32,
    /// `enum bpf_attach_type`; 0 for most types.
    pub expected_attach_type: u32,
    /// The instructions.
    pub insns: &'a [RawInsn],
    /// License string; "GPL" by default (gpl-only helpers need it).
    pub license: &'a str,
    /// Object name; the kernel keeps 15 bytes (longer names are truncated
    /// here as libbpf does) and accepts only `[A-Za-z0-9_.]`.
    pub name: &'a str,
    /// Verifier log level for the first attempt (0 = no log; 1, 2 and
    /// 4 = stats bits as in the uapi).
    pub log_level: u32,
    /// Initial log buffer size when `log_level` is non-zero (grown
    /// automatically when the kernel reports truncation).
    pub log_size: u32,
    /// `BPF_F_*` program flags (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`, ...).
    pub prog_flags: u32,
    /// Map (and BTF module) fds referenced by `BPF_PSEUDO_MAP_IDX` loads and
    /// kfunc calls.
    pub fd_array: Option<&'a [RawFd]>,
    /// BTF object with the types `func_info`/`line_info` refer to.
    pub prog_btf_fd: Option<RawFd>,
    /// `bpf_func_info` records (needs `prog_btf_fd`).
    pub func_info: Option<InfoRecords<'a>>,
    /// `bpf_line_info` records (needs `prog_btf_fd`).
    pub line_info: Option<InfoRecords<'a>>,
    /// `kern_version` (only checked for old kprobe loads).
    pub kern_version: u32,
    /// BTF id of the attach target (tracing, LSM, EXT, struct_ops).
    pub attach_btf_id: u32,
    /// `attach_btf_obj_fd` (module BTF) or `attach_prog_fd` (EXT target).
    pub attach_fd: Option<RawFd>,
    /// `prog_ifindex` for device-bound programs.
    pub prog_ifindex: u32,
}

impl<'a> ProgLoad<'a> {
    /// A load of `insns` as `prog_type` with license "GPL", no name, no
    /// log and everything else zero.
    pub fn new(prog_type: u32, insns: &'a [RawInsn]) -> Self {
        ProgLoad {
            prog_type,
            expected_attach_type: 0,
            insns,
            license: "GPL",
            name: "",
            log_level: 0,
            log_size: RETRY_LOG_SIZE,
            prog_flags: 0,
            fd_array: None,
            prog_btf_fd: None,
            func_info: None,
            line_info: None,
            kern_version: 0,
            attach_btf_id: 0,
            attach_fd: None,
            prog_ifindex: 0,
        }
    }

    /// Sets the expected attach type.
    pub fn expected_attach_type(mut self, t: u32) -> Self {
        self.expected_attach_type = t;
        self
    }

    /// Sets the object name.
    pub fn name(mut self, name: &'a str) -> Self {
        self.name = name;
        self
    }

    /// Sets the license.
    pub fn license(mut self, license: &'a str) -> Self {
        self.license = license;
        self
    }

    /// Sets the log level of the first attempt.
    pub fn log_level(mut self, level: u32) -> Self {
        self.log_level = level;
        self
    }

    /// Sets the program flags.
    pub fn prog_flags(mut self, flags: u32) -> Self {
        self.prog_flags = flags;
        self
    }

    /// Sets the fd array.
    pub fn fd_array(mut self, fds: &'a [RawFd]) -> Self {
        self.fd_array = Some(fds);
        self
    }

    /// Loads the program.
    ///
    /// On failure the error has kind [`ErrorKind::Rejected`], the errno and
    /// the verifier log: when the first attempt asked for no log, the load
    /// is retried once with log level 1 so the log is always there (it can
    /// still be empty when the kernel fails before verifying, e.g. EPERM).
    /// When the kernel reports that the log did not fit (ENOSPC with a
    /// larger `log_true_size`), the load is repeated with a big enough
    /// buffer.
    pub fn load(&self) -> Result<KernelProg, Error> {
        const OP: &str = "BPF_PROG_LOAD";
        crate::avail::require()?;
        let license = CString::new(self.license)
            .map_err(|_| Error::invalid(OP, "license contains a NUL byte"))?;
        let insn_bytes = bpfbox_isa::slots_to_bytes(self.insns);
        let insn_cnt = u32::try_from(self.insns.len())
            .map_err(|_| Error::invalid(OP, "too many instructions"))?;
        let records = |r: Option<InfoRecords<'_>>| -> Result<(u32, u64, u32), Error> {
            match r {
                None => Ok((0, 0, 0)),
                Some(r) if r.rec_size == 0 || r.data.len() % r.rec_size as usize != 0 => Err(
                    Error::invalid(OP, "BTF info length is not a multiple of its record size"),
                ),
                Some(r) => Ok((
                    r.rec_size,
                    sys::slice_ptr(r.data),
                    (r.data.len() / r.rec_size as usize) as u32,
                )),
            }
        };
        let (fi_size, fi_ptr, fi_cnt) = records(self.func_info)?;
        let (li_size, li_ptr, li_cnt) = records(self.line_info)?;
        let fd_array = self.fd_array.unwrap_or(&[]);

        let attempt = |level: u32, size: u32| {
            let mut log = vec![0u8; if level == 0 { 0 } else { size as usize }];
            let log_buf = sys::out_ptr(&mut log);
            let mut a = ProgLoadAttr {
                prog_type: self.prog_type,
                insn_cnt,
                insns: sys::slice_ptr(&insn_bytes),
                license: sys::ptr(license.as_ptr()),
                log_level: level,
                log_size: log.len() as u32,
                log_buf,
                kern_version: self.kern_version,
                prog_flags: self.prog_flags,
                prog_name: sys::obj_name(self.name),
                prog_ifindex: self.prog_ifindex,
                expected_attach_type: self.expected_attach_type,
                prog_btf_fd: self.prog_btf_fd.map_or(0, |f| f as u32),
                func_info_rec_size: fi_size,
                func_info: fi_ptr,
                func_info_cnt: fi_cnt,
                line_info_rec_size: li_size,
                line_info: li_ptr,
                line_info_cnt: li_cnt,
                attach_btf_id: self.attach_btf_id,
                attach_fd: self.attach_fd.map_or(0, |f| f as u32),
                fd_array: sys::slice_ptr(fd_array),
                ..Default::default()
            };
            // SAFETY: every pointer refers to a live buffer of the length
            // given next to it (insns, license NUL-terminated, log, records,
            // fd_array); the kernel only writes into `log`.
            let r = unsafe { sys::bpf_fd(cmd::PROG_LOAD, &mut a) };
            (r, log_text(&log), a.log_true_size)
        };

        let mut level = self.log_level;
        let mut size = self.log_size.clamp(256, MAX_LOG_SIZE);
        let mut retried_for_log = false;
        loop {
            let (r, log, true_size) = attempt(level, size);
            match r {
                Ok(fd) => return Ok(KernelProg { fd, log }),
                Err(e) if level != 0 && e.0 == libc::ENOSPC && true_size > size => {
                    if size == MAX_LOG_SIZE {
                        return Err(Error::rejected(ErrorKind::Rejected, OP, e, log));
                    }
                    size = true_size.saturating_add(1).min(MAX_LOG_SIZE);
                }
                Err(_) if level == 0 && !retried_for_log => {
                    // The retry's errno is reported; it is the same unless
                    // the log itself is the problem.
                    retried_for_log = true;
                    level = 1;
                }
                Err(e) => return Err(Error::rejected(ErrorKind::Rejected, OP, e, log)),
            }
        }
    }
}

/// The text of a NUL-terminated log buffer.
pub(crate) fn log_text(buf: &[u8]) -> String {
    sys::name_from(buf)
}

/// A loaded program; the fd is closed on drop.
#[derive(Debug)]
pub struct KernelProg {
    fd: OwnedFd,
    log: String,
}

/// What `BPF_OBJ_GET_INFO_BY_FD` reports about a program.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgInfo {
    /// `enum bpf_prog_type`.
    pub prog_type: u32,
    /// Kernel-wide program id.
    pub id: u32,
    /// The program tag (hash of the instructions).
    pub tag: [u8; 8],
    /// Bytes of JITed machine code (0 when not JITed).
    pub jited_prog_len: u32,
    /// Bytes of the kernel's rewritten ("xlated") instructions.
    pub xlated_prog_len: u32,
    /// The name as the kernel stored it.
    pub name: String,
    /// Whether the license is GPL-compatible.
    pub gpl_compatible: bool,
    /// Instructions the verifier processed.
    pub verified_insns: u32,
    /// BTF object id (0 without BTF).
    pub btf_id: u32,
    /// Number of func_info records kept.
    pub nr_func_info: u32,
    /// Number of line_info records kept.
    pub nr_line_info: u32,
    /// Total run time in ns (only counted with `kernel.bpf_stats_enabled`).
    pub run_time_ns: u64,
    /// Run count (same condition).
    pub run_cnt: u64,
}

impl KernelProg {
    /// The program's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The verifier log of the successful load (empty unless a log level
    /// was requested).
    pub fn log(&self) -> &str {
        &self.log
    }

    fn raw_info(&self, info: &mut ProgInfoRaw) -> Result<(), Error> {
        let mut a = sys::InfoAttr {
            bpf_fd: self.fd.as_raw_fd() as u32,
            info_len: std::mem::size_of::<ProgInfoRaw>() as u32,
            info: sys::ptr(info as *mut ProgInfoRaw),
        };
        // SAFETY: `info` is a live, writable ProgInfoRaw of `info_len`
        // bytes; output buffers inside it were set by the caller to live
        // buffers of the advertised sizes (or left null).
        unsafe { sys::bpf(cmd::OBJ_GET_INFO_BY_FD, &mut a) }
            .map(|_| ())
            .map_err(|e| Error::sys("BPF_OBJ_GET_INFO_BY_FD", e))
    }

    /// Reads the program's info.
    pub fn info(&self) -> Result<ProgInfo, Error> {
        let mut r = ProgInfoRaw::default();
        self.raw_info(&mut r)?;
        Ok(ProgInfo {
            prog_type: r.prog_type,
            id: r.id,
            tag: r.tag,
            jited_prog_len: r.jited_prog_len,
            xlated_prog_len: r.xlated_prog_len,
            name: sys::name_from(&r.name),
            gpl_compatible: r.flags & 1 != 0,
            verified_insns: r.verified_insns,
            btf_id: r.btf_id,
            nr_func_info: r.nr_func_info,
            nr_line_info: r.nr_line_info,
            run_time_ns: r.run_time_ns,
            run_cnt: r.run_cnt,
        })
    }

    /// The instructions after the verifier's rewrites (what the JIT
    /// compiled). Kernel addresses in them are hidden unless the caller has
    /// CAP_SYS_ADMIN and `kptr_restrict` allows it.
    pub fn xlated_insns(&self) -> Result<Vec<RawInsn>, Error> {
        let len = self.info()?.xlated_prog_len;
        let mut buf = vec![0u8; len as usize];
        let mut r = ProgInfoRaw {
            xlated_prog_len: len,
            xlated_prog_insns: sys::out_ptr(&mut buf),
            ..Default::default()
        };
        self.raw_info(&mut r)?;
        let got = (r.xlated_prog_len.min(len) as usize) / bpfbox_isa::INSN_SIZE;
        buf.truncate(got * bpfbox_isa::INSN_SIZE);
        bpfbox_isa::slots_from_bytes(&buf)
            .ok_or_else(|| Error::invalid("BPF_OBJ_GET_INFO_BY_FD", "xlated length"))
    }
}

impl AsFd for KernelProg {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for KernelProg {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
