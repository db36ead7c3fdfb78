//! CO-RE relocations: the `.BTF.ext` `bpf_core_relo` records resolved
//! against a target BTF and patched into the instructions, as libbpf's
//! relo_core.c (`bpf_core_parse_spec`, `bpf_core_spec_match`,
//! `bpf_core_calc_relo`, `bpf_core_patch_insn`) and libbpf.c
//! (`bpf_core_add_cands`) do.
//!
//! Not done (documented difference): candidates are searched in one target
//! BTF only (libbpf falls back to kernel-module BTFs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bpfbox_isa::RawInsn;

use crate::btf::{Btf, CoreRelo};

mod calc;
mod spec;

use crate::error::{Error, ErrorKind};
use calc::{calc, patch, Res};
use spec::{kind_compat, parse_spec, spec_match, tkind};

/// The kernel's BTF, the default CO-RE target when readable.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The `imm` of the `call` libbpf writes over an instruction whose
/// relocation cannot be resolved (the verifier then reports
/// "invalid func unknown#195896080").
pub const POISON_CALL_IMM: i32 = 0x0bad_2310;

/// `enum bpf_core_relo_kind`.
#[allow(missing_docs)]
pub mod relo_kind {
    pub const FIELD_BYTE_OFFSET: u32 = 0;
    pub const FIELD_BYTE_SIZE: u32 = 1;
    pub const FIELD_EXISTS: u32 = 2;
    pub const FIELD_SIGNED: u32 = 3;
    pub const FIELD_LSHIFT_U64: u32 = 4;
    pub const FIELD_RSHIFT_U64: u32 = 5;
    pub const TYPE_ID_LOCAL: u32 = 6;
    pub const TYPE_ID_TARGET: u32 = 7;
    pub const TYPE_EXISTS: u32 = 8;
    pub const TYPE_SIZE: u32 = 9;
    pub const ENUMVAL_EXISTS: u32 = 10;
    pub const ENUMVAL_VALUE: u32 = 11;
    pub const TYPE_MATCHES: u32 = 12;
}
use relo_kind as rk;

/// Which BTF CO-RE relocations are resolved against.
#[derive(Debug, Clone, Default)]
pub enum CoreTarget {
    /// [`VMLINUX_BTF`] when it can be read and parsed, else the object's own
    /// BTF. The default.
    #[default]
    Auto,
    /// [`VMLINUX_BTF`]; loading fails when it cannot be read.
    Vmlinux,
    /// The object's own (local) BTF: every relocation resolves to the value
    /// clang compiled in (poisoned/absent ones aside). Right for running
    /// on bpfbox's interpreter, which has no kernel structs of its own.
    Local,
    /// A BTF file (raw `.BTF` format, like `/sys/kernel/btf/vmlinux`).
    Path(PathBuf),
    /// An already parsed BTF.
    Btf(Box<Btf>),
}

/// Options for [`crate::load_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Target BTF of CO-RE relocations.
    pub core_target: CoreTarget,
    /// Values of `__kconfig` and `__ksym` externs; `None`: every kconfig
    /// extern is 0 and ksyms are unresolved.
    pub externs: Option<std::sync::Arc<dyn crate::externs::ExternSource>>,
}

/// What one CO-RE relocation did (kept in [`crate::Object::core_relos`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreReloResult {
    /// ELF section of the instruction.
    pub section: String,
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// [`relo_kind`] number.
    pub kind: u32,
    /// Name of the local root type.
    pub local_type: String,
    /// The access string ("0:1").
    pub access: String,
    /// The value computed from the local BTF (what clang emitted).
    pub orig_val: u64,
    /// The relocated value written into the instruction.
    pub new_val: u64,
    /// The instruction was replaced by `call 0xbad2310` (no target match).
    pub poisoned: bool,
}

/// Human name of a relocation kind.
pub fn relo_kind_name(k: u32) -> &'static str {
    match k {
        rk::FIELD_BYTE_OFFSET => "byte_off",
        rk::FIELD_BYTE_SIZE => "byte_sz",
        rk::FIELD_EXISTS => "field_exists",
        rk::FIELD_SIGNED => "signed",
        rk::FIELD_LSHIFT_U64 => "lshift_u64",
        rk::FIELD_RSHIFT_U64 => "rshift_u64",
        rk::TYPE_ID_LOCAL => "local_type_id",
        rk::TYPE_ID_TARGET => "target_type_id",
        rk::TYPE_EXISTS => "type_exists",
        rk::TYPE_SIZE => "type_size",
        rk::ENUMVAL_EXISTS => "enumval_exists",
        rk::ENUMVAL_VALUE => "enumval_value",
        rk::TYPE_MATCHES => "type_matches",
        _ => "unknown",
    }
}

fn is_field(k: u32) -> bool {
    k <= rk::FIELD_RSHIFT_U64
}
fn is_enumval(k: u32) -> bool {
    k == rk::ENUMVAL_EXISTS || k == rk::ENUMVAL_VALUE
}

/// The "essential" name: `name` without a `___flavour` suffix (libbpf
/// `bpf_core_essential_name_len`).
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() >= 5 {
        for i in (0..=b.len() - 5).rev() {
            if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
                return &name[..i + 1];
            }
        }
    }
    name
}

/// A target BTF with its types indexed by essential name.
#[derive(Debug)]
pub(crate) struct Target {
    btf: Arc<Btf>,
    by_name: HashMap<String, Vec<u32>>,
    /// The object's own BTF: each relocation's target is its local type
    /// itself (no candidate search, so flavours of one type never make a
    /// relocation ambiguous).
    identity: bool,
}

impl Target {
    fn new(btf: Arc<Btf>) -> Target {
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for (id, t) in btf.types() {
            let name = btf.str_at(t.name_off).unwrap_or("");
            if !name.is_empty() {
                by_name
                    .entry(essential_name(name).to_string())
                    .or_default()
                    .push(id);
            }
        }
        Target {
            btf,
            by_name,
            identity: false,
        }
    }
}

fn read_btf(p: &Path) -> Result<Btf, Error> {
    use std::io::Read;
    let fail = |e: String| {
        Error::new(
            ErrorKind::Io,
            format!("CO-RE target BTF {}: {e}", p.display()),
        )
    };
    // bounded as object files are (a vmlinux BTF is a few MB)
    let max = crate::MAX_OBJECT_FILE;
    let mut b = Vec::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(max + 1).read_to_end(&mut b))
        .map_err(|e| fail(e.to_string()))?;
    if b.len() as u64 > max {
        return Err(fail(format!("larger than the limit of {max} bytes")));
    }
    Btf::parse(&b)
}

/// The kernel's BTF, read and indexed once per process.
pub(crate) fn vmlinux() -> Result<Arc<Target>, Error> {
    static VMLINUX: OnceLock<Result<Arc<Target>, Error>> = OnceLock::new();
    VMLINUX
        .get_or_init(|| {
            read_btf(Path::new(VMLINUX_BTF)).map(|b| Arc::new(Target::new(Arc::new(b))))
        })
        .clone()
}

/// The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read once per
/// process; an error when it is not readable.
pub fn kernel_btf() -> Result<Arc<Btf>, Error> {
    vmlinux().map(|t| t.btf.clone())
}

/// Resolves the target choice to an indexed BTF and a description.
pub(crate) fn resolve_target(t: &CoreTarget, local: &Btf) -> Result<(Arc<Target>, String), Error> {
    let local_target = || {
        Arc::new(Target {
            btf: Arc::new(local.clone()),
            by_name: HashMap::new(),
            identity: true,
        })
    };
    Ok(match t {
        CoreTarget::Auto => match vmlinux() {
            Ok(v) => (v, VMLINUX_BTF.to_string()),
            Err(_) => (local_target(), "local".to_string()),
        },
        CoreTarget::Vmlinux => (vmlinux()?, VMLINUX_BTF.to_string()),
        CoreTarget::Local => (local_target(), "local".to_string()),
        CoreTarget::Path(p) => (
            Arc::new(Target::new(Arc::new(read_btf(p)?))),
            p.display().to_string(),
        ),
        CoreTarget::Btf(b) => (
            Arc::new(Target::new(Arc::new((**b).clone()))),
            "custom".to_string(),
        ),
    })
}

/// Applies all CO-RE relocations of `sec` (records `recs`) to its slots,
/// resolving them in `target`, and appends what was done to `out`.
pub(crate) fn apply(
    local: &Btf,
    target: &Target,
    sec: &str,
    recs: &[CoreRelo],
    insns: &mut [RawInsn],
    out: &mut Vec<CoreReloResult>,
) -> Result<(), Error> {
    let t = &*target.btf;
    for (n, r) in recs.iter().enumerate() {
        let access = local.str_at(r.access_str_off).unwrap_or("").to_string();
        let lname = local.type_name(r.type_id).to_string();
        let fail = |m: String| {
            Error::new(
                ErrorKind::Relocation,
                format!(
                    "CO-RE relocation #{n} in '{sec}' (insn byte {}, {} of '{lname}' access '{access}'): {m}",
                    r.insn_off,
                    relo_kind_name(r.kind)
                ),
            )
        };
        let i = (r.insn_off / 8) as usize;
        if r.insn_off % 8 != 0 || i >= insns.len() {
            return Err(fail("instruction offset out of range".into()));
        }
        let lspec = parse_spec(local, r.type_id, &access, r.kind).map_err(fail)?;
        let res = if r.kind == rk::TYPE_ID_LOCAL || target.identity {
            let mut res = calc(local, &lspec, local, Some(&lspec), r.kind).map_err(fail)?;
            res.new = res.orig;
            if r.kind == rk::TYPE_ID_LOCAL {
                // ids may change when objects are linked: never checked
                res.validate = false;
            }
            res
        } else {
            if lname.is_empty() {
                return Err(fail("anonymous root type".into()));
            }
            let lkind = tkind(local, r.type_id);
            let ids = target
                .by_name
                .get(essential_name(&lname))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied()
                .filter(|&id| kind_compat(tkind(t, id), lkind));
            let mut chosen: Option<(Res, u64)> = None;
            for cid in ids {
                let Some(ts) = spec_match(local, &lspec, t, cid, r.kind).map_err(fail)? else {
                    continue;
                };
                let res = calc(local, &lspec, t, Some(&ts), r.kind).map_err(fail)?;
                if let Some((c, bits)) = &chosen {
                    if is_field(r.kind) && *bits != ts.bit_offset {
                        return Err(fail(format!(
                            "field offset ambiguity: bit {} != {}",
                            ts.bit_offset, bits
                        )));
                    }
                    if c.new != res.new || c.poison != res.poison {
                        return Err(fail(format!(
                            "ambiguous: candidates give {} and {}",
                            c.new, res.new
                        )));
                    }
                } else {
                    chosen = Some((res, ts.bit_offset));
                }
            }
            match chosen {
                Some((c, _)) => c,
                None => calc(local, &lspec, t, None, r.kind).map_err(fail)?,
            }
        };
        let was_mem = matches!(insns[i].code & 7, 1..=3);
        patch(insns, i, &res).map_err(fail)?;
        out.push(CoreReloResult {
            section: sec.to_string(),
            insn_off: r.insn_off,
            kind: r.kind,
            local_type: lname,
            access,
            orig_val: res.orig,
            new_val: res.new,
            poisoned: res.poison || (res.fail_memsz && was_mem),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names() {
        assert_eq!(essential_name("iphdr___mine"), "iphdr");
        assert_eq!(essential_name("iphdr"), "iphdr");
        assert_eq!(essential_name("a___b___c"), "a___b");
        assert_eq!(essential_name("____x"), "____x");
        assert_eq!(essential_name("x____y"), "x____y");
    }
}
