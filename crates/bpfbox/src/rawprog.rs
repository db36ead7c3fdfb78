//! Raw programs (no ELF): loading from `.s` or bytecode files, running them
//! on a flat memory block in either engine (what `bpfbox exec` and the
//! bpf_conformance suite do), and disassembling them.

use bpfbox_interp::{Config, Memory, Program, RegionKind, Vm};
use bpfbox_isa::{Insn, RawInsn, Src, Width};
use std::path::Path;
use std::sync::Arc;

/// Errors of this module: one line, naming the file where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: {cause}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// An ELF object given where raw bytecode is expected.
    #[error("{path}: an ELF object, not raw bytecode: use `bpfbox run` to run its programs")]
    ElfObject {
        /// File.
        path: String,
    },
    /// Raw bytecode whose length is not a multiple of 8.
    #[error("{path}: {len} bytes is not a multiple of 8 (raw bytecode is 8-byte little-endian instructions)")]
    NotMultipleOf8 {
        /// File.
        path: String,
        /// Its length.
        len: usize,
    },
    /// Assembly failed.
    #[error("{path}: {cause}")]
    Asm {
        /// File.
        path: String,
        /// Cause.
        cause: bpfbox_asm::Error,
    },
    /// The bytecode does not decode.
    #[error(transparent)]
    Decode(#[from] bpfbox_isa::DecodeError),
    /// The verifier refused the program (first diagnostic, rendered on one
    /// line; all of them in `diagnostics`).
    #[error("verifier: {}", .0.first().map(one_line).unwrap_or_default())]
    Rejected(Vec<bpfbox_verifier::Diagnostic>),
    /// The interpreter stopped with a trap.
    #[error("{0}")]
    Trap(bpfbox_interp::Trap),
    /// The kernel engine failed (unusable, verifier rejection, test run).
    #[error("kernel: {0}")]
    Kernel(String),
    /// The file could not be read or is too big (the message names it).
    #[error("{0}")]
    Input(String),
}

/// Whether a path names assembly text rather than raw bytecode.
pub fn is_asm_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("s" | "S" | "asm")
    )
}

/// Reads a program: assembly (either syntax) for `.s`/`.S`/`.asm`, raw
/// little-endian bytecode otherwise.
pub fn load_program_file(path: &Path) -> Result<Vec<RawInsn>, Error> {
    let p = path.display().to_string();
    let max = if is_asm_path(path) {
        crate::input::MAX_TEXT
    } else {
        crate::input::MAX_BYTECODE
    };
    let bytes = crate::input::read_bounded(path, "program", max)
        .map_err(|e| Error::Input(e.to_string()))?;
    if bytes.starts_with(b"\x7fELF") {
        return Err(Error::ElfObject { path: p });
    }
    if is_asm_path(path) {
        let text = String::from_utf8_lossy(&bytes);
        return bpfbox_asm::assemble(&text).map_err(|cause| Error::Asm { path: p, cause });
    }
    bpfbox_isa::slots_from_bytes(&bytes).ok_or(Error::NotMultipleOf8 {
        path: p,
        len: bytes.len(),
    })
}

/// Result of running a raw program in the interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecOutcome {
    /// r0 at exit.
    pub r0: u64,
    /// Instructions executed.
    pub insns_executed: u64,
}

/// One diagnostic as one line: `insn N: message (kernel: "...")`.
fn one_line(d: &bpfbox_verifier::Diagnostic) -> String {
    let kernel = d
        .kernel
        .as_ref()
        .map(|k| format!(" (kernel: \"{k}\")"))
        .unwrap_or_default();
    format!("insn {}: {}{kernel}", d.primary.insn, d.message)
}

/// Checks a raw program the way `bpfbox exec` runs it: r1 and r2 set at
/// entry (the bpf_conformance convention, which also allows `callx` and
/// out-of-range shift immediates).
pub fn verify_exec(slots: &[RawInsn]) -> Result<Vec<Insn>, Error> {
    let insns = bpfbox_isa::decode(slots)?;
    bpfbox_verifier::check(&insns, &bpfbox_verifier::Options::conformance())
        .map_err(Error::Rejected)?;
    Ok(insns)
}

/// Runs a raw program in the interpreter with r1 = address of a copy of
/// `mem` (0 when empty) and r2 = its length, with the bpf_conformance
/// helper set (helper 5 "unwind"). With `verify`, the verifier checks it
/// first ([`verify_exec`]); without, the interpreter alone keeps it safe.
pub fn exec_interp(
    slots: &[RawInsn],
    mut mem: Vec<u8>,
    insn_limit: Option<u64>,
    verify: bool,
) -> Result<ExecOutcome, Error> {
    let prog = if verify {
        Arc::new(Program::new(verify_exec(slots)?).map_err(Error::Decode)?)
    } else {
        Arc::new(Program::from_raw(slots)?)
    };
    let helpers = bpfbox_interp::conformance_helpers();
    let len = mem.len() as u64;
    let mut memory = Memory::new();
    let r1 = if mem.is_empty() {
        0
    } else {
        memory.add(&mut mem, RegionKind::Mem).1
    };
    let mut config = Config::default();
    if let Some(l) = insn_limit {
        config.insn_limit = l;
    }
    let mut vm = Vm::new(memory, (), &helpers, config);
    let r0 = vm.run(&prog, [r1, len, 0, 0, 0]).map_err(Error::Trap)?;
    Ok(ExecOutcome {
        r0,
        insns_executed: vm.insns_executed(),
    })
}

/// The prologue that gives a raw program the `exec` calling convention in
/// the kernel: the program runs as XDP over `mem` (padded to the 14-byte
/// minimum frame), r1 = data, r2 = the unpadded length.
fn kernel_prologue(len: usize) -> Vec<Insn> {
    use bpfbox_isa::{AluOp, Size};
    let mov = |dst, imm| Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst,
        src: Src::Imm(imm),
    };
    if len == 0 {
        return vec![mov(1, 0), mov(2, 0)];
    }
    vec![
        // r1 = ctx->data (xdp_md offset 0)
        Insn::Load {
            size: Size::W,
            signed: false,
            dst: 1,
            src: 1,
            off: 0,
        },
        mov(2, len as i32),
    ]
}

/// Runs a raw program in the running kernel (as XDP under
/// BPF_PROG_TEST_RUN, with a prologue that loads r1 and r2); returns the 32-bit retval.
/// The kernel verifier must accept the program: programs that touch memory
/// without packet bounds checks are rejected, and the error carries the
/// verifier log.
pub fn exec_kernel(slots: &[RawInsn], mem: &[u8]) -> Result<u64, Error> {
    let prologue = bpfbox_isa::encode(&kernel_prologue(mem.len()))
        .map_err(|e| Error::Kernel(e.to_string()))?;
    let mut prog = prologue;
    prog.extend_from_slice(slots);
    let mut data = mem.to_vec();
    if data.len() < 14 {
        data.resize(14, 0);
    }
    bpfbox_kernel::availability().map_err(|e| Error::Kernel(e.to_string()))?;
    let loaded = bpfbox_kernel::ProgLoad::new(bpfbox_kernel::consts::prog_type::XDP, &prog)
        .load()
        .map_err(|e| Error::Kernel(e.to_string()))?;
    let out = loaded
        .test_run(&bpfbox_kernel::TestRun {
            data_in: Some(&data),
            ..Default::default()
        })
        .map_err(|e| Error::Kernel(e.to_string()))?;
    Ok(out.retval as u64)
}

/// Disassembles raw slots: `(slot index, text)` per instruction.
pub fn disassemble(slots: &[RawInsn]) -> Result<Vec<(usize, String)>, Error> {
    let insns = bpfbox_isa::decode(slots)?;
    Ok(insns
        .iter()
        .enumerate()
        .filter(|(_, i)| **i != Insn::LdImm64Hi)
        .map(|(pc, i)| (pc, bpfbox_isa::disasm::disasm_insn(i, pc)))
        .collect())
}
