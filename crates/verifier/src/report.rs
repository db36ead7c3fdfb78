//! Turning the abstract interpreter's first refusal into a
//! [`Diagnostic`]: a message in words, the register and what it holds,
//! where it got that value, the branches taken on the way, one help line
//! and the kernel's own message.

use crate::absint::state::{Reg, Ty};
use crate::absint::Fail;
use crate::diag::{Code, Diagnostic, Label};
use crate::options::Options;

/// What a register holds, in words (`packet pointer + 14, packet known
/// good up to +14`).
pub(crate) fn human(r: &Reg, opts: &Options<'_>) -> String {
    let var = |r: &Reg| match r.s.value() {
        Some(0) => String::new(),
        Some(v) => format!(" + {}", v as i64),
        None => format!(" + a variable in [{}, {}]", r.s.smin, r.s.smax),
    };
    let off = |r: &Reg| {
        let mut s = if r.off != 0 {
            format!(" + {}", r.off)
        } else {
            String::new()
        };
        s.push_str(&var(r));
        s
    };
    match r.ty {
        Ty::NotInit => "not initialised".to_string(),
        Ty::Scalar => match r.s.value() {
            Some(v) => format!("the number {}", v as i64),
            None if r.s.smin == i64::MIN && r.s.smax == i64::MAX && r.s.umax == u64::MAX => {
                "an unbounded number".to_string()
            }
            None if r.s.smin >= 0 || r.s.umax <= i64::MAX as u64 => {
                format!("a number in [{}, {}]", r.s.umin, r.s.umax)
            }
            None => format!("a number in [{}, {}]", r.s.smin, r.s.smax),
        },
        Ty::Packet | Ty::PacketMeta => {
            let what = if r.ty == Ty::Packet {
                "packet pointer"
            } else {
                "packet metadata pointer"
            };
            let known = if r.range == 0 {
                "no bytes checked against data_end yet".to_string()
            } else {
                format!("packet known good up to +{}", r.range)
            };
            format!("{what}{}, {known}", off(r))
        }
        Ty::MapValue(m) => {
            let size = opts.maps.get(m as usize).map_or(0, |i| i.value_size);
            if r.null {
                "map value pointer or NULL (not checked against NULL yet)".to_string()
            } else {
                format!("map value pointer{} (value size {size})", off(r))
            }
        }
        Ty::Stack(_) => format!(
            "stack pointer fp{}",
            if r.off != 0 {
                format!("{}", r.off)
            } else {
                String::new()
            } + &var(r)
        ),
        Ty::Mem { size, .. } if r.null => format!(
            "{} of {size} bytes or NULL (not checked against NULL yet)",
            r.ty.describe()
        ),
        Ty::Mem { size, .. } => format!("{}{} ({size} bytes)", r.ty.describe(), off(r)),
        ty if r.null => format!("{} or NULL (not checked against NULL yet)", ty.describe()),
        ty => format!("{}{}", ty.describe(), off(r)),
    }
}

fn message(f: &Fail) -> String {
    let reg = f
        .reg
        .map(|r| format!("`r{r}`"))
        .unwrap_or_else(|| "a register".to_string());
    match f.code {
        Code::InvalidMemAccess if f.kernel.contains("_or_null") => {
            format!("{reg} may be NULL here")
        }
        Code::InvalidMemAccess => {
            format!("memory access through {reg}, which is not a valid pointer")
        }
        Code::PktAccess => "packet access outside the range checked against `data_end`".to_string(),
        Code::MemAccess => format!("access through {reg} outside the object it points to"),
        Code::CtxAccess => "context access not allowed for this program type".to_string(),
        Code::StackAccess => "stack access the verifier refuses".to_string(),
        Code::PtrArith => format!("pointer arithmetic on {reg} refused"),
        Code::HelperArg => format!("wrong helper argument {reg}"),
        Code::HelperUnavailable => "helper not available to this program type".to_string(),
        Code::GplOnly => "GPL-only helper called from a non-GPL program".to_string(),
        Code::RefLeak => "reference still held at `exit`".to_string(),
        Code::RefRelease => "release of something that is not a held reference".to_string(),
        Code::RetRange => "return value outside the range this program type allows".to_string(),
        Code::InfiniteLoop => "infinite loop".to_string(),
        Code::TooComplex => "program too complex to verify".to_string(),
        Code::StackDepth => "stack too deep across calls".to_string(),
        Code::SpinLock => "spin lock or timer misused".to_string(),
        Code::GlobalFuncArg => {
            "arguments a global function's signature does not accept".to_string()
        }
        Code::UninitReg => format!("use of uninitialised register {reg}"),
        Code::CallDepth => "bpf-to-bpf calls nest too deeply".to_string(),
        _ => f.kernel.clone(),
    }
}

fn default_help(f: &Fail) -> Option<String> {
    let r = f
        .reg
        .map(|r| format!("r{r}"))
        .unwrap_or_else(|| "the pointer".to_string());
    Some(match f.code {
        Code::InvalidMemAccess if f.kernel.contains("_or_null") => {
            format!("check `{r}` against NULL before using it: `if (!{r}) return 0;`")
        }
        Code::PktAccess => {
            "compare `data + <offset of the last byte read + 1>` against `data_end` before reading, e.g. `if (data + 14 > data_end) return XDP_DROP;`".to_string()
        }
        Code::MemAccess if f.kernel.contains("unbounded") || f.kernel.contains("negative") => {
            "bound the index on both sides before using it, e.g. `if (i >= N) return 0;` with an unsigned `i`".to_string()
        }
        Code::MemAccess => "keep the offset plus the access size within the object's size".to_string(),
        Code::PtrArith => "only add or subtract numbers to pointers, in 64-bit arithmetic, after NULL checks".to_string(),
        Code::RefRelease => "pass the pointer returned by the acquiring helper, unmodified, exactly once".to_string(),
        Code::StackAccess => "keep stack accesses inside the 512 bytes below r10, aligned to their size".to_string(),
        _ => return None,
    })
}

/// The diagnostic for `f`.
pub(crate) fn diagnostic(f: &Fail) -> Diagnostic {
    let label = match (&f.reg, &f.what) {
        (Some(r), Some(w)) => format!("`r{r}` = {w}"),
        _ => f.kernel.clone(),
    };
    let mut d = Diagnostic::error(f.code, message(f), Label::new(f.pc, label))
        .with_kernel(f.kernel.clone());
    if let (Some(def), Some(r)) = (f.def, f.reg) {
        if def != f.pc {
            d = d.with_related(Label::new(def, format!("`r{r}` got this value here")));
        }
    }
    if let Some(&(at, taken)) = f.branches.last() {
        if at != f.pc {
            let how = if taken {
                "this branch was taken"
            } else {
                "this branch was not taken"
            };
            d = d.with_related(Label::new(at, format!("on the path where {how}")));
        }
    }
    if let Some(h) = f.help.clone().or_else(|| default_help(f)) {
        d = d.with_help(h);
    }
    if let Some(extra) = &f.detail {
        d = d.with_related(Label::new(f.pc, format!("kernel: {extra}")));
    }
    d
}
