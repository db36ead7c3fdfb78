//! Where extern values come from when bpfbox loads an object: the setup
//! file's `"kconfig"` first, then the running kernel, as libbpf reads it:
//! `CONFIG_*` from `/boot/config-$(uname -r)` or `/proc/config.gz`,
//! `LINUX_KERNEL_VERSION` from `uname` (Ubuntu's `/proc/version_signature`
//! and Debian's version string first, as libbpf), `LINUX_HAS_BPF_COOKIE`
//! by loading a tracepoint program that calls `bpf_get_attach_cookie`,
//! `LINUX_HAS_SYSCALL_WRAPPER` when kprobes can be placed (kprobe PMU or
//! tracefs `kprobe_events`) and the arch's `__<arch>_sys_bpf` is in
//! `/proc/kallsyms` (libbpf places a kprobe on it), `__ksym` addresses from
//! `/proc/kallsyms` and typed ksyms and kfuncs from
//! `/sys/kernel/btf/vmlinux`. What none of them gives is 0 (see
//! [`bpfbox_object::externs`]).

use bpfbox_object::{Btf, ExternSource};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, OnceLock};

/// Extern values from overrides (a setup) and the running kernel.
#[derive(Debug, Default)]
pub struct HostExterns {
    overrides: BTreeMap<String, (String, String)>,
    /// Whether the running kernel is consulted at all.
    use_kernel: bool,
    config: OnceLock<Option<(HashMap<String, String>, String)>>,
    btf: OnceLock<Option<Arc<Btf>>>,
}

impl HostExterns {
    /// Values from the running kernel only.
    pub fn kernel() -> HostExterns {
        HostExterns {
            use_kernel: true,
            ..HostExterns::default()
        }
    }

    /// Values from `overrides` (name → (Kconfig value text, origin)),
    /// then from the running kernel when `use_kernel`.
    pub fn with(overrides: BTreeMap<String, (String, String)>, use_kernel: bool) -> HostExterns {
        HostExterns {
            overrides,
            use_kernel,
            ..HostExterns::default()
        }
    }

    fn config(&self) -> Option<&(HashMap<String, String>, String)> {
        self.config.get_or_init(read_kernel_config).as_ref()
    }
}

/// The running kernel's `.config` lines `CONFIG_X=value`, and the file.
fn read_kernel_config() -> Option<(HashMap<String, String>, String)> {
    let release = uname().map(|u| u.0).unwrap_or_default();
    let boot = format!("/boot/config-{release}");
    for path in [boot.as_str(), "/proc/config.gz"] {
        let Ok(f) = std::fs::File::open(path) else {
            continue;
        };
        let mut raw = Vec::new();
        // a kernel config is a few hundred KiB; bound what is read
        if f.take(64 << 20).read_to_end(&mut raw).is_err() {
            continue;
        }
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = String::new();
            let dec = flate2::read::GzDecoder::new(&raw[..]);
            if dec.take(256 << 20).read_to_string(&mut out).is_err() {
                continue;
            }
            out
        } else {
            String::from_utf8_lossy(&raw).into_owned()
        };
        let map = text
            .lines()
            .filter(|l| l.starts_with("CONFIG_"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        return Some((map, path.to_string()));
    }
    None
}

/// `uname`: release and version strings.
fn uname() -> Option<(String, String)> {
    // SAFETY: a zeroed utsname is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let field = |f: &[libc::c_char]| {
        let b: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&b).into_owned()
    };
    Some((field(&u.release), field(&u.version)))
}

/// `KERNEL_VERSION(a, b, c)` (c capped at 255).
fn kernel_version(a: u32, b: u32, c: u32) -> u32 {
    (a << 16) + (b << 8) + c.min(255)
}

fn three(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(|c: char| !c.is_ascii_digit());
    let a = it.next()?.parse().ok()?;
    let b = it.next()?.parse().ok()?;
    let c = it.next()?.parse().ok()?;
    Some((a, b, c))
}

/// libbpf `get_kernel_version`: Ubuntu's `/proc/version_signature`, then a
/// Debian version string, then the release.
pub fn linux_kernel_version() -> Option<u32> {
    if let Ok(sig) = std::fs::read_to_string("/proc/version_signature") {
        if let Some((a, b, c)) = sig.split_whitespace().nth(2).and_then(three) {
            return Some(kernel_version(a, b, c));
        }
    }
    let (release, version) = uname()?;
    if let Some(rest) = version.split_once("Debian ").map(|p| p.1) {
        if let Some((a, b, c)) = three(rest) {
            return Some(kernel_version(a, b, c));
        }
    }
    let (a, b, c) = three(&release)?;
    Some(kernel_version(a, b, c))
}

/// libbpf's `FEAT_BPF_COOKIE` probe: a tracepoint program calling
/// `bpf_get_attach_cookie` loads.
fn has_bpf_cookie() -> bool {
    use bpfbox_isa::RawInsn;
    let insns = [
        RawInsn::new(
            0x85,
            0,
            0,
            0,
            bpfbox_uapi::helper::id::GET_ATTACH_COOKIE as i32,
        ),
        RawInsn::new(0x95, 0, 0, 0, 0),
    ];
    bpfbox_kernel::ProgLoad::new(bpfbox_uapi::prog_type::TRACEPOINT, &insns)
        .license("GPL")
        .load()
        .is_ok()
}

/// The arch prefix of syscall wrappers (libbpf `arch_specific_syscall_pfx`).
fn syscall_prefix() -> Option<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Some("x64"),
        "x86" => Some("ia32"),
        "s390x" => Some("s390x"),
        "s390" => Some("s390"),
        "arm" => Some("arm"),
        "aarch64" => Some("arm64"),
        "mips" | "mips64" => Some("mips"),
        "riscv64" | "riscv32" => Some("riscv"),
        "powerpc" | "powerpc64" => Some("powerpc"),
        "loongarch64" => Some("loongarch"),
        _ => None,
    }
}

/// libbpf's `FEAT_SYSCALL_WRAPPER` probe is a kprobe on `__<arch>_sys_bpf`
/// (through the kprobe PMU, else a legacy tracefs kprobe event): 1 when
/// the kernel can place kprobes that way and has the wrapper symbol.
fn has_syscall_wrapper() -> bool {
    let Some(p) = syscall_prefix() else {
        return false;
    };
    let kprobes = std::path::Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
        || [
            "/sys/kernel/tracing/kprobe_events",
            "/sys/kernel/debug/tracing/kprobe_events",
        ]
        .iter()
        .any(|f| std::path::Path::new(f).exists());
    kprobes && kallsyms_lookup(&format!("__{p}_sys_bpf")).is_some()
}

/// Addresses of the `/proc/kallsyms` symbols in `names` (a data symbol
/// with an `.llvm.` suffix counts under its name, as libbpf).
fn kallsyms_lookup(name: &str) -> Option<u64> {
    let f = std::fs::File::open("/proc/kallsyms").ok()?;
    for line in BufReader::new(f).lines() {
        let Ok(line) = line else { break };
        let mut it = line.split_whitespace();
        let (Some(addr), Some(ty), Some(sym)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let base = match sym.find(".llvm.") {
            Some(i) if ty == "d" => &sym[..i],
            _ => sym,
        };
        if base == name {
            return u64::from_str_radix(addr, 16).ok();
        }
    }
    None
}

impl ExternSource for HostExterns {
    fn kconfig(&self, name: &str) -> Option<(String, String)> {
        if let Some(v) = self.overrides.get(name) {
            return Some(v.clone());
        }
        if !self.use_kernel {
            return None;
        }
        let b = |v: bool| if v { "1".to_string() } else { "0".to_string() };
        match name {
            "LINUX_KERNEL_VERSION" => {
                linux_kernel_version().map(|v| (v.to_string(), "uname".into()))
            }
            "LINUX_HAS_BPF_COOKIE" => Some((b(has_bpf_cookie()), "a probe of the kernel".into())),
            "LINUX_HAS_SYSCALL_WRAPPER" => {
                Some((b(has_syscall_wrapper()), "a probe of the kernel".into()))
            }
            _ => {
                let (map, path) = self.config()?;
                map.get(name).map(|v| (v.clone(), path.clone()))
            }
        }
    }

    fn kallsyms(&self, name: &str) -> Option<u64> {
        if !self.use_kernel {
            return None;
        }
        kallsyms_lookup(name)
    }

    fn kernel_btf(&self) -> Option<Arc<Btf>> {
        if !self.use_kernel {
            return None;
        }
        self.btf
            .get_or_init(|| {
                let raw = std::fs::read(bpfbox_object::co_re::VMLINUX_BTF).ok()?;
                Btf::parse(&raw).ok().map(Arc::new)
            })
            .clone()
    }
}

/// A setup's `"kconfig"` value as the right-hand side of a Kconfig line:
/// `true`/`false` → `y`/`n`, numbers as they are, `"y"`/`"n"`/`"m"` and
/// numeric strings as they are, other strings quoted.
pub fn kconfig_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Bool(b) => Some(if *b { "y" } else { "n" }.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => {
            let numeric = s.parse::<i64>().is_ok() || s.starts_with("0x");
            Some(if matches!(s.as_str(), "y" | "n" | "m") || numeric {
                s.clone()
            } else {
                format!("\"{s}\"")
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(kernel_version(6, 18, 300), (6 << 16) + (18 << 8) + 255);
        assert_eq!(three("6.18.44-fc-v1300"), Some((6, 18, 44)));
        assert_eq!(kconfig_text(&serde_json::json!(true)).unwrap(), "y");
        assert_eq!(kconfig_text(&serde_json::json!("m")).unwrap(), "m");
        assert_eq!(kconfig_text(&serde_json::json!("abc")).unwrap(), "\"abc\"");
        assert_eq!(kconfig_text(&serde_json::json!(250)).unwrap(), "250");
    }
}
