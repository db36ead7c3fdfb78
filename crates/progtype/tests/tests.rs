//! Integration tests of bpfbox-progtype.
//!
//! `kernel_access`: the context access tables against the running kernel.
//! For every loadable program type / expected attach type, every naturally
//! aligned (offset, size) load and register store of the context is loaded
//! with raw `bpf(BPF_PROG_LOAD)` and the verifier's verdict is compared with
//! `check_access`. Needs root (CAP_BPF/CAP_SYS_ADMIN); otherwise the test
//! reports the skip and passes.

pub(crate) mod kernel_access {
    use bpfbox_progtype::spec::ExpectedAttach;
    use bpfbox_progtype::{AttachType, ProgType, ProgTypeSpec, ALL};

    const BPF_PROG_LOAD: libc::c_long = 5;
    const BPF_F_SLEEPABLE: u32 = 1 << 4;

    pub(crate) fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
        (code as u64)
            | ((dst as u64 & 0xf) << 8)
            | ((src as u64 & 0xf) << 12)
            | ((off as u16 as u64) << 16)
            | ((imm as u32 as u64) << 32)
    }

    fn size_bits(size: u32) -> u8 {
        match size {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            _ => 0x18,
        }
    }

    /// `r0 = *(size *)(r1 + off)` or `r2 = 0; *(size *)(r1 + off) = r2`,
    /// then `r0 = 1; exit`.
    fn program(off: i16, size: u32, write: bool) -> Vec<u64> {
        let mut p = Vec::new();
        if write {
            p.push(insn(0xb7, 2, 0, 0, 0));
            p.push(insn(0x63 | size_bits(size), 1, 2, off, 0));
        } else {
            p.push(insn(0x61 | size_bits(size), 0, 1, off, 0));
        }
        p.push(insn(0xb7, 0, 0, 0, 1));
        p.push(insn(0x95, 0, 0, 0, 0));
        p
    }

    /// Load; Ok(()) if accepted, Err(errno) otherwise.
    fn load(ty: u32, eat: u32, flags: u32, prog: &[u64]) -> Result<(), i32> {
        load_log(ty, eat, flags, prog, None)
    }

    /// Load with an optional verifier log buffer.
    pub(crate) fn load_log(
        ty: u32,
        eat: u32,
        flags: u32,
        prog: &[u64],
        log: Option<(&mut [u8], u32)>,
    ) -> Result<(), i32> {
        load_lic(ty, eat, flags, prog, log, b"GPL\0")
    }

    /// Load with a log buffer and a NUL-terminated license string.
    pub(crate) fn load_lic(
        ty: u32,
        eat: u32,
        flags: u32,
        prog: &[u64],
        log: Option<(&mut [u8], u32)>,
        license: &[u8],
    ) -> Result<(), i32> {
        let fd = load_fd(ty, eat, flags, prog, log, license)?;
        // SAFETY: fd was just returned by the kernel and is ours.
        unsafe { libc::close(fd) };
        Ok(())
    }

    /// Load and keep the program fd (the caller closes it).
    pub(crate) fn load_fd(
        ty: u32,
        eat: u32,
        flags: u32,
        prog: &[u64],
        log: Option<(&mut [u8], u32)>,
        license: &[u8],
    ) -> Result<i32, i32> {
        let mut attr = [0u8; 128];
        if let Some((log, level)) = log {
            attr[24..28].copy_from_slice(&level.to_ne_bytes());
            attr[28..32].copy_from_slice(&(log.len() as u32).to_ne_bytes());
            attr[32..40].copy_from_slice(&(log.as_mut_ptr() as u64).to_ne_bytes());
        }
        attr[0..4].copy_from_slice(&ty.to_ne_bytes());
        attr[4..8].copy_from_slice(&(prog.len() as u32).to_ne_bytes());
        attr[8..16].copy_from_slice(&(prog.as_ptr() as u64).to_ne_bytes());
        attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_ne_bytes());
        attr[44..48].copy_from_slice(&flags.to_ne_bytes());
        attr[68..72].copy_from_slice(&eat.to_ne_bytes());
        // SAFETY: attr is a valid, initialised bpf_attr prefix that lives
        // for the call; the pointers inside point to live buffers.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_PROG_LOAD,
                attr.as_ptr(),
                attr.len() as libc::c_uint,
            )
        };
        if fd >= 0 {
            Ok(fd as i32)
        } else {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    }

    /// Expected attach types to try for a spec: those its SEC names use,
    /// plus 0 where the kernel accepts it.
    fn raw_attach_values(s: &ProgTypeSpec) -> Vec<u32> {
        let mut v: Vec<u32> = Vec::new();
        if !matches!(s.attach.expected, ExpectedAttach::OneOf { zero: None, .. }) {
            v.push(0);
        }
        for d in s.sec_names {
            if let Some(a) = d.attach {
                v.push(a.id());
            }
        }
        if let ExpectedAttach::OneOf { allowed, .. } = s.attach.expected {
            v.extend(allowed.iter().map(|a| a.id()));
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Offsets to try: every byte offset (so misaligned ones too) of small
    /// contexts plus a little beyond, the start and end of large ones, and
    /// a few negative ones; the instruction offset is an s16.
    fn offsets(s: &ProgTypeSpec, size: u32) -> Vec<i64> {
        let limit = (s.ctx.size as i64).min(i16::MAX as i64 + 1);
        let mut v: Vec<i64> = vec![-8, -4, -3];
        if limit <= 512 {
            v.extend(0..limit + 8);
        } else {
            v.extend((0..256).step_by(size as usize));
            v.extend((limit - 64..limit + 8).step_by(size as usize));
        }
        v.retain(|o| (i16::MIN as i64..=i16::MAX as i64).contains(o));
        v
    }

    /// Program types that cannot be loaded without BTF targets or config
    /// options missing on the reference VM.
    pub(crate) const SKIP: [ProgType; 5] = [
        ProgType::Tracing,
        ProgType::Lsm,
        ProgType::Ext,
        ProgType::StructOps,
        ProgType::LircMode2,
    ];

    /// (spec, raw expected_attach_type, effective attach, prog_flags).
    pub(crate) type Config = (&'static ProgTypeSpec, u32, Option<AttachType>, u32);

    /// Every loadable configuration (the tests calling this are listed
    /// `=> [kernel]`).
    pub(crate) fn loadable_configs() -> Vec<Config> {
        let trivial = [insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)];
        if let Err(e) = load(ProgType::SocketFilter.id(), 0, 0, &trivial) {
            panic!("cannot load BPF programs here (errno {e})");
        }
        let mut v = Vec::new();
        for s in ALL.iter().copied().filter(|s| !SKIP.contains(&s.ty)) {
            let flags = if s.ty == ProgType::Syscall {
                BPF_F_SLEEPABLE
            } else {
                0
            };
            for raw in raw_attach_values(s) {
                if let Ok(a) = s.normalize_attach(raw) {
                    v.push((s, raw, a, flags));
                }
            }
        }
        v
    }

    pub(crate) fn expected_attach_validation_matches_the_kernel() {
        let _ = loadable_configs();
        let trivial = [insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)];
        let mut mismatches = Vec::new();
        for s in ALL.iter().filter(|s| !SKIP.contains(&s.ty)) {
            let flags = if s.ty == ProgType::Syscall {
                BPF_F_SLEEPABLE
            } else {
                0
            };
            for raw in 0..60 {
                let kernel = load(s.id(), raw, flags, &trivial).is_ok();
                let model = s.normalize_attach(raw).is_ok();
                if kernel != model {
                    mismatches.push(format!(
                        "{} eat={raw}: kernel {kernel}, model {model}",
                        s.name
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    pub(crate) fn access_tables_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        let mut checked = 0usize;
        for (s, raw, attach, flags) in configs {
            {
                for size in [1u32, 2, 4, 8] {
                    for off in offsets(s, size) {
                        for write in [false, true] {
                            let kernel =
                                load(s.id(), raw, flags, &program(off as i16, size, write));
                            let model = s.check_access(attach, off, size, write);
                            checked += 1;
                            if kernel.is_ok() != model.is_ok() {
                                mismatches.push(format!(
                                    "{} eat={raw} {} off={off} size={size}: kernel {:?}, model {:?}",
                                    s.name,
                                    if write { "store" } else { "load" },
                                    kernel,
                                    model.map(|a| a.field)
                                ));
                            }
                        }
                    }
                }
            }
        }
        eprintln!("checked {checked} accesses against the kernel");
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_helpers_and_returns {
    use super::kernel_access::{insn, load_log, loadable_configs};
    use bpfbox_kernel::probe::UNAVAILABLE;
    use bpfbox_progtype::helpers::HELPER_COUNT;

    /// Every helper id in every loadable configuration, measured here with
    /// this test's own loader: the running kernel's profile
    /// (`bpfbox_kernel::running_profile`, what `--kernel running` uses)
    /// must give the same answer, and the built-in model (upstream 6.18,
    /// every BPF option on) must offer at least what the kernel offers.
    pub(crate) fn helper_availability_matches_the_kernel() {
        let configs = loadable_configs();
        let running = bpfbox_kernel::running_profile().expect("running profile");
        let mut mismatches = Vec::new();
        let mut missing_here = 0usize;
        let mut log = vec![0u8; 64 * 1024];
        for (s, raw, attach, flags) in configs {
            for id in 1..HELPER_COUNT {
                let prog = [
                    insn(0x85, 0, 0, 0, id as i32),
                    insn(0xb7, 0, 0, 0, 1),
                    insn(0x95, 0, 0, 0, 0),
                ];
                log.iter_mut().for_each(|b| *b = 0);
                let r = load_log(s.id(), raw, flags, &prog, Some((&mut log, 1)));
                let text = String::from_utf8_lossy(&log);
                let kernel = r.is_ok() || !UNAVAILABLE.iter().any(|m| text.contains(m));
                let profile = running.helper_allowed(s.ty, raw, id);
                let model = s.helper_allowed(attach, id);
                let name = bpfbox_progtype::helper_name(id).unwrap_or("?");
                if kernel != profile {
                    mismatches.push(format!(
                        "{} eat={raw} helper {id} ({name}): kernel {kernel}, running profile {profile}",
                        s.name
                    ));
                }
                if kernel && !model {
                    mismatches.push(format!(
                        "{} eat={raw} helper {id} ({name}): the kernel offers it, the built-in model does not",
                        s.name
                    ));
                }
                missing_here += usize::from(model && !kernel);
            }
        }
        eprintln!(
            "{missing_here} (type, attach, helper) the built-in model offers are missing here"
        );
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    pub(crate) fn return_ranges_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        for (s, raw, attach, flags) in configs {
            for k in [-4096i32, -1, 0, 1, 2, 3, 4, 7, i32::MAX] {
                let prog = [insn(0xb7, 0, 0, 0, k), insn(0x95, 0, 0, 0, 0)];
                let kernel = load_log(s.id(), raw, flags, &prog, None).is_ok();
                let model = s.ret.check(attach, k as i64, k as i64).is_ok();
                if kernel != model {
                    mismatches.push(format!(
                        "{} eat={raw} r0={k}: kernel {kernel}, model {model}",
                        s.name
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_reg_kinds {
    use super::kernel_access::{insn, load_log, loadable_configs};
    use bpfbox_progtype::RegKind;

    /// The register type the verifier log shows for R0 after instruction 0.
    fn kind_from_log(log: &str) -> Option<RegKind> {
        let line = log.lines().find(|l| l.starts_with("0: ("))?;
        let state = line.split("; ").nth(1)?;
        let r0 = state
            .split_whitespace()
            .find(|t| t.starts_with("R0=") || t.starts_with("R0_w="))?;
        let v = &r0[r0.find('=')? + 1..];
        let kinds = [
            ("pkt_end(", RegKind::PtrToPacketEnd),
            ("pkt_meta(", RegKind::PtrToPacketMeta),
            ("pkt(", RegKind::PtrToPacket),
            ("sock_common_or_null(", RegKind::PtrToSockCommonOrNull),
            ("sock_or_null(", RegKind::PtrToSocketOrNull),
            ("sock(", RegKind::PtrToSocket),
            ("flow_keys(", RegKind::PtrToFlowKeys),
            ("tp_buffer(", RegKind::PtrToTpBuffer),
            ("trusted_ptr_", RegKind::PtrToBtfId),
            ("ptr_", RegKind::PtrToBtfId),
            ("scalar(", RegKind::Scalar),
        ];
        if v.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Some(RegKind::Scalar);
        }
        kinds
            .iter()
            .find(|(p, _)| v.starts_with(p))
            .map(|(_, k)| *k)
    }

    fn size_bits(size: u32) -> u8 {
        match size {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            _ => 0x18,
        }
    }

    pub(crate) fn load_results_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        let mut log = vec![0u8; 64 * 1024];
        let mut checked = 0usize;
        for (s, raw, attach, flags) in configs {
            let limit = s.ctx.size.min(256) as i64;
            for size in [1u32, 2, 4, 8] {
                for off in (0..limit).step_by(size as usize) {
                    let Ok(acc) = s.check_access(attach, off, size, false) else {
                        continue;
                    };
                    if acc.narrow {
                        continue;
                    }
                    let prog = [
                        insn(0x61 | size_bits(size), 0, 1, off as i16, 0),
                        insn(0xb7, 0, 0, 0, 1),
                        insn(0x95, 0, 0, 0, 0),
                    ];
                    log.iter_mut().for_each(|b| *b = 0);
                    // log_level 2: the state after every instruction
                    let _ = load_log(s.id(), raw, flags, &prog, Some((&mut log, 2)));
                    let text = String::from_utf8_lossy(&log);
                    let kernel = kind_from_log(&text);
                    let model = if acc.result == RegKind::FromBtf {
                        continue;
                    } else {
                        acc.result
                    };
                    checked += 1;
                    if kernel != Some(model) {
                        mismatches.push(format!(
                            "{} eat={raw} off={off} size={size} ({}): kernel {kernel:?}, model {model:?}",
                            s.name, acc.field
                        ));
                    }
                }
            }
        }
        eprintln!("checked {checked} load results against the kernel");
        assert!(checked > 1000, "only {checked} loads checked");
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_protos {
    use super::kernel_access::{insn, load_lic, loadable_configs};
    use bpfbox_progtype::helpers::{ArgType, PROTOS};

    /// For every prototype: `gpl_only` (a non-GPL program is refused with
    /// "cannot call GPL-restricted function") and whether the helper takes
    /// two or more arguments (R1 holds the context at entry, R2 is
    /// uninitialised: "R2 !read_ok").
    pub(crate) fn gpl_only_and_argument_presence_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        let mut checked = 0usize;
        let mut log = vec![0u8; 64 * 1024];
        // configurations where the running kernel offers the helper (the
        // built-in model may offer it in more)
        let running = bpfbox_kernel::running_profile().expect("running profile");
        for p in PROTOS {
            let Some(&(s, raw, _, flags)) = configs
                .iter()
                .find(|(s, raw, _, _)| running.helper_allowed(s.ty, *raw, p.id))
            else {
                continue;
            };
            let prog = [
                insn(0x85, 0, 0, 0, p.id as i32),
                insn(0xb7, 0, 0, 0, 1),
                insn(0x95, 0, 0, 0, 0),
            ];
            let mut run = |license: &[u8]| {
                log.iter_mut().for_each(|b| *b = 0);
                let r = load_lic(s.id(), raw, flags, &prog, Some((&mut log, 1)), license);
                (r.is_ok(), String::from_utf8_lossy(&log).into_owned())
            };
            let (_, text) = run(b"MIT\0");
            let kernel_gpl = text.contains("GPL-restricted");
            let (ok, text) = run(b"GPL\0");
            let kernel_args = !ok && text.contains("R2 !read_ok");
            checked += 1;
            if kernel_gpl != p.gpl_only {
                mismatches.push(format!(
                    "{}: gpl_only kernel {kernel_gpl}, model {}",
                    p.name(),
                    p.gpl_only
                ));
            }
            // R1 holds the context: the R2 check is only reached when the
            // first argument accepts it.
            let first_takes_ctx = matches!(p.args[0], ArgType::PtrToCtx | ArgType::Anything);
            if first_takes_ctx && kernel_args != (p.nargs() >= 2) {
                mismatches.push(format!(
                    "{}: two or more args: kernel {kernel_args}, model nargs {}",
                    p.name(),
                    p.nargs()
                ));
            }
        }
        eprintln!("checked {checked} prototypes against the kernel");
        assert!(checked > 100, "only {checked} prototypes checked");
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_pointees {
    use super::kernel_access::{insn, load_log, loadable_configs};

    fn size_bits(size: u32) -> u8 {
        match size {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            _ => 0x18,
        }
    }

    /// Loads and stores at every byte offset through every context pointer
    /// that has a pointee table (`struct bpf_sock` via PTR_TO_SOCKET /
    /// PTR_TO_SOCK_COMMON, `struct bpf_flow_keys`).
    pub(crate) fn pointer_accesses_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        let mut checked = 0usize;
        let mut accepted = 0usize;
        for (s, raw, attach, flags) in configs {
            for f in s.ctx.fields {
                let Ok(acc) = s.check_access(attach, f.offset as i64, 8, false) else {
                    continue;
                };
                let Some(p) = s.pointee(acc.result) else {
                    continue;
                };
                for size in [1u32, 2, 4, 8] {
                    for off in -2..p.layout.size as i64 + 8 {
                        for write in [false, true] {
                            let mem = if write {
                                insn(0x63 | size_bits(size), 2, 3, off as i16, 0)
                            } else {
                                insn(0x61 | size_bits(size), 0, 2, off as i16, 0)
                            };
                            let prog = [
                                insn(0xb7, 3, 0, 0, 0),
                                insn(0x79, 2, 1, f.offset as i16, 0),
                                insn(0x15, 2, 0, 1, 0),
                                mem,
                                insn(0xb7, 0, 0, 0, 1),
                                insn(0x95, 0, 0, 0, 0),
                            ];
                            let kernel = load_log(s.id(), raw, flags, &prog, None).is_ok();
                            let model = p.check(attach, off, size, write).is_ok();
                            checked += 1;
                            accepted += kernel as usize;
                            if kernel != model {
                                mismatches.push(format!(
                                    "{} eat={raw} {}->{off} size={size} write={write}: \
                                     kernel {kernel}, model {model}",
                                    s.name, f.name
                                ));
                            }
                        }
                    }
                }
            }
        }
        eprintln!("checked {checked} pointer accesses against the kernel, {accepted} accepted");
        assert!(
            checked > 1000 && accepted > 500,
            "only {checked}/{accepted} checked"
        );
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_packet {
    use super::kernel_access::{insn, load_log, loadable_configs};
    use bpfbox_progtype::RegKind;

    /// `ld_abs` and direct packet read/write flags of every loadable
    /// configuration against the kernel.
    pub(crate) fn ld_abs_and_direct_packet_access_match_the_kernel() {
        let configs = loadable_configs();
        let mut mismatches = Vec::new();
        let mut seen = [0usize; 2];
        for (s, raw, attach, flags) in configs {
            // r6 = r1; r0 = *(u8 *)skb[0]; r0 = 1; exit
            let ld_abs = [
                insn(0xbf, 6, 1, 0, 0),
                insn(0x30, 0, 0, 0, 0),
                insn(0xb7, 0, 0, 0, 1),
                insn(0x95, 0, 0, 0, 0),
            ];
            let kernel = load_log(s.id(), raw, flags, &ld_abs, None).is_ok();
            if kernel != s.ld_abs {
                mismatches.push(format!("{} eat={raw}: ld_abs kernel {kernel}", s.name));
            }
            let find = |kind: RegKind| {
                s.ctx.fields.iter().find_map(|f| {
                    let a = s
                        .check_access(attach, f.offset as i64, f.size as u32, false)
                        .ok()?;
                    (a.result == kind).then_some((f.offset as i16, f.size))
                })
            };
            let (Some((data, dsz)), Some((end, esz))) =
                (find(RegKind::PtrToPacket), find(RegKind::PtrToPacketEnd))
            else {
                if s.packet.read {
                    mismatches.push(format!("{} eat={raw}: no packet pointers", s.name));
                }
                continue;
            };
            let ld = |sz: u16| if sz == 8 { 0x79 } else { 0x61 };
            for write in [false, true] {
                let access = if write {
                    insn(0x73, 2, 5, 0, 0) // *(u8 *)(r2 + 0) = r5
                } else {
                    insn(0x71, 0, 2, 0, 0) // r0 = *(u8 *)(r2 + 0)
                };
                let prog = [
                    insn(0xb7, 5, 0, 0, 0),
                    insn(ld(dsz), 2, 1, data, 0),
                    insn(ld(esz), 3, 1, end, 0),
                    insn(0xbf, 4, 2, 0, 0),
                    insn(0x07, 4, 0, 0, 1),
                    insn(0x2d, 4, 3, 1, 0), // if r4 > r3 goto +1
                    access,
                    insn(0xb7, 0, 0, 0, 1),
                    insn(0x95, 0, 0, 0, 0),
                ];
                let kernel = load_log(s.id(), raw, flags, &prog, None).is_ok();
                let model = if write { s.packet.write } else { s.packet.read };
                seen[kernel as usize] += 1;
                if kernel != model {
                    mismatches.push(format!(
                        "{} eat={raw}: packet {} kernel {kernel}, model {model}",
                        s.name,
                        if write { "write" } else { "read" }
                    ));
                }
            }
        }
        assert!(seen[0] > 5 && seen[1] > 5, "verdicts seen: {seen:?}");
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

pub(crate) mod kernel_test_run {
    use super::kernel_access::{insn, load_fd, loadable_configs};
    use bpfbox_progtype::TestRunSupport;

    const BPF_PROG_TEST_RUN: libc::c_long = 10;

    /// Types without a test_run op answer ENOTSUPP (524) before looking at
    /// any input; the others answer something else (EINVAL for missing
    /// input, or success).
    pub(crate) fn test_run_presence_matches_the_kernel() {
        let configs = loadable_configs();
        let prog = [insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)];
        let mut mismatches = Vec::new();
        for (s, raw, attach, flags) in configs {
            let Ok(fd) = load_fd(s.id(), raw, flags, &prog, None, b"GPL\0") else {
                mismatches.push(format!("{} eat={raw}: does not load", s.name));
                continue;
            };
            let mut attr = [0u8; 80];
            attr[0..4].copy_from_slice(&(fd as u32).to_ne_bytes());
            // SAFETY: attr is a valid bpf_attr prefix for BPF_PROG_TEST_RUN
            // with no buffers.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_bpf,
                    BPF_PROG_TEST_RUN,
                    attr.as_ptr(),
                    attr.len() as libc::c_uint,
                )
            };
            let errno = if r < 0 {
                std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
            } else {
                0
            };
            // SAFETY: fd is ours.
            unsafe { libc::close(fd) };
            let model = s.test_run.for_attach(attach);
            let kernel_has_op = errno != 524;
            let model_has_op = !matches!(model, TestRunSupport::NotSupported { .. });
            if kernel_has_op != model_has_op {
                mismatches.push(format!(
                    "{} eat={raw}: kernel errno {errno}, model {model:?}",
                    s.name
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

bpfbox_testkit::main! {
    kernel_access::expected_attach_validation_matches_the_kernel => [kernel],
    kernel_access::access_tables_match_the_kernel => [kernel],
    kernel_helpers_and_returns::helper_availability_matches_the_kernel => [kernel],
    kernel_helpers_and_returns::return_ranges_match_the_kernel => [kernel],
    kernel_reg_kinds::load_results_match_the_kernel => [kernel],
    kernel_protos::gpl_only_and_argument_presence_match_the_kernel => [kernel],
    kernel_pointees::pointer_accesses_match_the_kernel => [kernel],
    kernel_packet::ld_abs_and_direct_packet_access_match_the_kernel => [kernel],
    kernel_test_run::test_run_presence_matches_the_kernel => [kernel],
}
