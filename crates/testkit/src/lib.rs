//! The test harness of bpfbox's own test binaries (dev-only, not
//! published).
//!
//! Many of bpfbox's tests compare it with the running kernel, and some need
//! clang, llvm or the shared reference files beside the repository. A test
//! that cannot run here must not count as passed, so each test binary is
//! built with `harness = false` and lists its tests, with what each needs:
//!
//! ```text
//! bpfbox_testkit::main! {
//!     alu::adds_wrap,
//!     kernel_compare::xdp_programs => [kernel],
//!     objdump::sweep => [clang, kernel],
//!     speed::vs_kernel => [kernel, manual],
//! }
//! ```
//!
//! Needs are probed once, before any test runs ([`Need::check`]). A test
//! whose need is missing is reported by the runner as `ignored`, and the
//! reasons are printed once per need. When the `CI` environment variable is
//! set on a root machine where `bpf()` works, a missing need is a failure
//! instead: CI must not go green by skipping. Tests marked `manual` (long
//! benchmarks) run only with `--ignored`, like `#[ignore]`.
//!
//! The binary's last line says how many kernel comparisons (tests needing
//! the kernel) ran and how many were skipped; the same numbers are appended
//! to `target/tmp/kernel-comparisons.log` so `.ci/run` can total them.
//!
//! Because the list is the binary's only entry point, a test function left
//! out of it is dead code, which `cargo clippy -- -D warnings` refuses.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Trial};

/// Something a test needs from the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    /// `bpf()` usable (root or CAP_BPF), with tracefs, bpffs and cgroup v2
    /// mounted (the kernel engine mounts them when root).
    Kernel,
    /// clang-19 and libbpf's headers, to build BPF C sources.
    Clang,
    /// llvm-19's tools (`llvm-objdump-19`, `llvm-mc-19`).
    Llvm,
    /// `../shared` beside the repository (the conformance suite, spec).
    Shared,
    /// The running kernel's BTF, `/sys/kernel/btf/vmlinux`, readable
    /// (`CONFIG_DEBUG_INFO_BTF`).
    Btf,
    /// `bpftool` (apt-get install bpftool).
    Bpftool,
    /// Not a machine need: a long benchmark, run only with `--ignored`.
    Manual,
}

impl Need {
    /// The need's name as written in [`main!`] lists.
    pub fn name(self) -> &'static str {
        match self {
            Need::Kernel => "kernel",
            Need::Clang => "clang",
            Need::Llvm => "llvm",
            Need::Shared => "shared",
            Need::Btf => "btf",
            Need::Bpftool => "bpftool",
            Need::Manual => "manual",
        }
    }

    /// `Err(reason)` when the need is missing here. Probed once per process.
    pub fn check(self) -> Result<(), String> {
        static KERNEL: OnceLock<Result<(), String>> = OnceLock::new();
        static CLANG: OnceLock<Result<(), String>> = OnceLock::new();
        static LLVM: OnceLock<Result<(), String>> = OnceLock::new();
        static SHARED: OnceLock<Result<(), String>> = OnceLock::new();
        static BTF: OnceLock<Result<(), String>> = OnceLock::new();
        static BPFTOOL: OnceLock<Result<(), String>> = OnceLock::new();
        match self {
            Need::Kernel => KERNEL.get_or_init(probe_kernel).clone(),
            Need::Clang => CLANG.get_or_init(probe_clang).clone(),
            Need::Llvm => LLVM
                .get_or_init(|| {
                    probe_command("llvm-objdump-19", "llvm-19 (apt-get install llvm-19)")
                })
                .clone(),
            Need::Shared => SHARED.get_or_init(probe_shared).clone(),
            Need::Bpftool => BPFTOOL
                .get_or_init(|| probe_command("bpftool", "bpftool (apt-get install bpftool)"))
                .clone(),
            Need::Btf => BTF
                .get_or_init(|| {
                    std::fs::File::open(VMLINUX_BTF).map(drop).map_err(|e| {
                        format!("{VMLINUX_BTF}: {e} (kernel without CONFIG_DEBUG_INFO_BTF?)")
                    })
                })
                .clone(),
            Need::Manual => Err("a long benchmark: run with --ignored".to_string()),
        }
    }
}

/// The running kernel's BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

fn probe_kernel() -> Result<(), String> {
    bpfbox_kernel::availability().map_err(|u| u.to_string())?;
    for (what, r) in [
        ("tracefs", bpfbox_kernel::mounts::tracefs().map(drop)),
        ("bpffs", bpfbox_kernel::mounts::bpffs().map(drop)),
        ("cgroup v2", bpfbox_kernel::mounts::cgroup2().map(drop)),
    ] {
        r.map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn probe_command(cmd: &str, install: &str) -> Result<(), String> {
    match std::process::Command::new(cmd).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("{cmd} --version failed ({})", o.status)),
        Err(e) => Err(format!("{cmd}: {e}; install {install}")),
    }
}

fn probe_clang() -> Result<(), String> {
    probe_command("clang-19", "clang-19 (apt-get install clang-19)")?;
    if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() {
        return Err("libbpf headers missing (apt-get install libbpf-dev)".to_string());
    }
    Ok(())
}

fn probe_shared() -> Result<(), String> {
    let dir = shared_dir();
    if dir.is_dir() {
        Ok(())
    } else {
        Err(format!("{} is absent", dir.display()))
    }
}

/// Builds a small C program linked with the system libbpf (tests that
/// compare bpfbox's loader with libbpf's): `cc -O1 -o OUT_DIR/NAME SRC
/// -lbpf`, where NAME is the source's file stem. Tests calling this need
/// `clang` (which checks for libbpf-dev).
pub fn build_libbpf_program(src: &Path, out_dir: &Path) -> Result<std::path::PathBuf, String> {
    let name = src
        .file_stem()
        .ok_or_else(|| format!("{}: no file name", src.display()))?;
    let out = out_dir.join(name);
    let o = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&out)
        .arg(src)
        .arg("-lbpf")
        .output()
        .map_err(|e| format!("no C compiler: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "cannot build the libbpf harness {}: {}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(out)
}

/// The repository root (two levels above a crate's manifest directory).
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `../shared` beside the repository.
pub fn shared_dir() -> std::path::PathBuf {
    repo_root().join("../shared")
}

/// One test of a binary: its name, body and needs. Made by [`main!`].
pub struct Case {
    /// The test's path inside the binary (`module::function`).
    pub name: &'static str,
    /// The body; it panics on failure, like a `#[test]` function.
    pub run: fn(),
    /// What it needs from the machine.
    pub needs: &'static [Need],
}

/// Whether a missing need must fail instead of skipping: `CI` is set and
/// this is a root machine where `bpf()` works.
fn strict() -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    ci && is_root() && Need::Kernel.check().is_ok()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Runs `cases` with libtest's command line; called by [`main!`].
/// `binary` names the test binary in the summary line and `tmpdir` is
/// cargo's `CARGO_TARGET_TMPDIR` when known.
pub fn run(binary: &str, tmpdir: Option<&str>, cases: Vec<Case>) -> ExitCode {
    let args = Arguments::from_args();
    let strict = strict();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut skipped_kernel = 0usize;
    let mut reasons: Vec<(Need, String, usize)> = Vec::new();
    let mut trials = Vec::with_capacity(cases.len());
    for case in cases {
        let kernel = case.needs.contains(&Need::Kernel);
        let missing = case
            .needs
            .iter()
            .filter(|n| **n != Need::Manual)
            .find_map(|n| n.check().err().map(|why| (*n, why)));
        let manual = case.needs.contains(&Need::Manual);
        let kind = case
            .needs
            .iter()
            .filter(|n| **n != Need::Manual)
            .map(|n| n.name())
            .collect::<Vec<_>>()
            .join("+");
        let body = case.run;
        // stringify! may space the path's separators.
        let name: String = case.name.split_whitespace().collect();
        let trial = match missing {
            Some((need, why)) if strict => Trial::test(name.clone(), move || {
                Err(format!(
                    "needs {}: {why} (CI is set on a root machine with bpf(): a skip is a failure)",
                    need.name()
                )
                .into())
            }),
            Some((need, why)) => {
                if kernel && !manual {
                    skipped_kernel += 1;
                }
                match reasons.iter_mut().find(|(n, _, _)| *n == need) {
                    Some(r) => r.2 += 1,
                    None => reasons.push((need, why, 1)),
                }
                Trial::test(name.clone(), || Ok(())).with_ignored_flag(true)
            }
            None => {
                let ran = ran.clone();
                Trial::test(name.clone(), move || {
                    if kernel {
                        ran.fetch_add(1, Ordering::Relaxed);
                    }
                    body();
                    Ok(())
                })
                .with_ignored_flag(manual)
            }
        };
        trials.push(if kind.is_empty() {
            trial
        } else {
            trial.with_kind(kind)
        });
    }
    for (need, why, n) in &reasons {
        eprintln!(
            "skipping {n} test{} needing {}: {why}",
            if *n == 1 { "" } else { "s" },
            need.name()
        );
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let ran = ran.load(Ordering::Relaxed);
    if !args.list {
        println!("kernel comparisons: {ran} ran, {skipped_kernel} skipped ({binary})");
        if let Some(dir) = tmpdir {
            let _ = std::fs::create_dir_all(dir);
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(Path::new(dir).join("kernel-comparisons.log"))
            {
                let _ = writeln!(f, "{binary} {ran} {skipped_kernel}");
            }
        }
    }
    conclusion.exit_code()
}

/// A [`Need`] from its name in a [`main!`] list.
#[doc(hidden)]
#[macro_export]
macro_rules! need {
    (kernel) => {
        $crate::Need::Kernel
    };
    (clang) => {
        $crate::Need::Clang
    };
    (llvm) => {
        $crate::Need::Llvm
    };
    (shared) => {
        $crate::Need::Shared
    };
    (btf) => {
        $crate::Need::Btf
    };
    (bpftool) => {
        $crate::Need::Bpftool
    };
    (manual) => {
        $crate::Need::Manual
    };
}

/// The `main` of a test binary: its tests, each with what it needs (see
/// the crate docs).
#[macro_export]
macro_rules! main {
    ($($path:path $(=> [$($need:ident),* $(,)?])?),* $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            $crate::run(
                concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_CRATE_NAME")),
                option_env!("CARGO_TARGET_TMPDIR"),
                vec![$(
                    $crate::Case {
                        name: {
                            const S: &str = stringify!($path);
                            S
                        },
                        run: $path,
                        needs: &[$($($crate::need!($need)),*)?],
                    }
                ),*],
            )
        }
    };
}
