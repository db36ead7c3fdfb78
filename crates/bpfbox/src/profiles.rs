//! Choosing the kernel bpfbox models: `--kernel running|PROFILE.json`.
//!
//! The built-in model is upstream Linux 6.18 with every BPF option on
//! ([`Profile::builtin`]); `running` measures the running kernel
//! ([`bpfbox_kernel::running_profile`], once per process); any other value
//! is a profile file written by `bpfbox probe --json`.

use bpfbox_progtype::Profile;
use std::path::Path;
use std::sync::Arc;

/// Which kernel to model, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelChoice {
    /// The built-in model (upstream 6.18, every BPF option on).
    Builtin,
    /// The running kernel, probed.
    Running,
    /// A profile file.
    File(std::path::PathBuf),
}

impl std::str::FromStr for KernelChoice {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "builtin" | "model" => KernelChoice::Builtin,
            "running" => KernelChoice::Running,
            path => KernelChoice::File(path.into()),
        })
    }
}

impl KernelChoice {
    /// The profile this choice names. Errors are one line: the file and
    /// the cause, or why the running kernel cannot be probed.
    pub fn profile(&self) -> anyhow::Result<Arc<Profile>> {
        match self {
            KernelChoice::Builtin => Ok(Profile::builtin_shared()),
            KernelChoice::Running => running(),
            KernelChoice::File(p) => load(p),
        }
    }
}

/// The running kernel's profile.
pub fn running() -> anyhow::Result<Arc<Profile>> {
    let p = bpfbox_kernel::running_profile()
        .map_err(|e| anyhow::anyhow!("cannot probe the running kernel: {e}"))?;
    Ok(Arc::new(p.clone()))
}

/// Reads a profile file.
pub fn load(path: &Path) -> anyhow::Result<Arc<Profile>> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if meta.len() > 16 << 20 {
        anyhow::bail!(
            "{name}: too large for a kernel profile ({} bytes)",
            meta.len()
        );
    }
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(Arc::new(Profile::from_json(&name, &text)?))
}
