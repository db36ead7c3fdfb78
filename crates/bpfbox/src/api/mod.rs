//! The library API for users' own tests: load an object, prepare it as a
//! control plane would, take a typed program, run packets or fire events,
//! read and write maps by name, on bpfbox's interpreter or on the running
//! kernel with the same calls.
//!
//! ```
//! use bpfbox::{Bpfbox, Xdp, XdpAction};
//!
//! # fn main() -> Result<(), bpfbox::Error> {
//! let obj = Bpfbox::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/xdp_filter.o"))?;
//! let mut xdp: Xdp = obj.program("xdp_filter")?;
//! // an ARP frame: the filter passes what is not IPv4/IPv6
//! let mut arp = vec![0xff; 12];
//! arp.extend_from_slice(&[0x08, 0x06]);
//! arp.resize(60, 0);
//! let out = xdp.run(&arp)?;
//! assert_eq!(out.action, XdpAction::Pass);
//! assert_eq!(out.packet, arp);
//! # Ok(())
//! # }
//! ```
//!
//! Each [`Program`] taken from a [`Bpfbox`] is one load of the object with
//! that program: its own maps, prepared by the [`Setup`] given to the
//! loader (sizes, entries, `.rodata` variables, prog-array slots). Maps
//! are read and written through the program that owns them
//! ([`Program::hash_map`], [`Program::array`], ...), with key and value
//! types checked against the map's sizes.
//!
//! The same calls drive the kernel: [`Bpfbox::engine`] with
//! [`EngineKind::Kernel`] (root or `CAP_BPF` needed), so a test can assert
//! that both engines agree:
//!
//! ```no_run
//! # use bpfbox::{Bpfbox, EngineKind, Xdp};
//! # fn main() -> Result<(), bpfbox::Error> {
//! # let pkt = vec![0u8; 60];
//! let path = "examples/xdp_filter.o";
//! let mut ours: Xdp = Bpfbox::load_file(path)?.program("xdp_filter")?;
//! let mut kernel: Xdp = Bpfbox::load_file(path)?
//!     .engine(EngineKind::Kernel)
//!     .program("xdp_filter")?;
//! assert_eq!(ours.run(&pkt)?, kernel.run(&pkt)?);
//! # Ok(())
//! # }
//! ```

mod error;
mod maps;
mod program;

pub use error::{Error, Verifier};
pub use maps::{Array, HashMap, MapHandle, Pod, RingBuf};
pub use program::{
    CgroupDevice, CgroupSkb, CgroupSock, CgroupSockAddr, CgroupSockopt, CgroupSysctl,
    FlowDissector, Kprobe, LwtIn, LwtOut, LwtXmit, PacketOutcome, PerfEvent, Program, ProgramKind,
    RawTracepoint, SchedAct, SchedCls, SkLookup, SkMsg, SkReuseport, SkSkb, SockOps, SocketFilter,
    Syscall, TcAction, TestRunOutcome, Tracepoint, Verdict, Xdp, XdpAction,
};

pub use crate::setup::Setup;
pub use bpfbox_runtime::events::EventOutcome;

use crate::engine::{Engine, InterpEngine, KernelEngine};
use bpfbox_object::{Object, ProgramDef};
use std::path::{Path, PathBuf};

/// Which engine runs the programs a [`Bpfbox`] hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// bpfbox's interpreter: no privileges needed, deterministic.
    #[default]
    Interp,
    /// The running kernel through `bpf()` (`BPF_PROG_TEST_RUN`).
    Kernel,
}

/// A clang-built BPF object, loaded and ready to hand out programs.
///
/// Options are set with the builder methods before taking programs:
/// [`engine`](Bpfbox::engine), [`setup`](Bpfbox::setup),
/// [`seed`](Bpfbox::seed), [`verify`](Bpfbox::verify).
#[derive(Debug, Clone)]
pub struct Bpfbox {
    path: PathBuf,
    engine: EngineKind,
    setup: Option<Setup>,
    seed: Option<u64>,
    verify: bool,
    /// The kernel the interpreter models (None: the built-in model).
    kernel: Option<std::sync::Arc<bpfbox_progtype::Profile>>,
    /// The object as loaded without a setup (for listing programs).
    object: Object,
}

impl Bpfbox {
    /// Loads the object at `path` (ELF, BTF, CO-RE relocations, as libbpf
    /// does). Errors name the file and the cause.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Bpfbox, Error> {
        let path = path.as_ref().to_path_buf();
        let object = bpfbox_object::load_file(&path).map_err(|e| Error::Object {
            path: path.clone(),
            source: Box::new(e),
        })?;
        Ok(Bpfbox {
            path,
            engine: EngineKind::Interp,
            setup: None,
            seed: None,
            verify: true,
            kernel: None,
            object,
        })
    }

    /// Runs the programs on `engine` (default: the interpreter).
    pub fn engine(mut self, engine: EngineKind) -> Bpfbox {
        self.engine = engine;
        self
    }

    /// Prepares each load as a control plane would: map sizes and
    /// entries, global variables, prog-array slots (see [`Setup`]).
    pub fn setup(mut self, setup: Setup) -> Bpfbox {
        self.setup = Some(setup);
        self
    }

    /// Seeds the interpreter's clocks, PRNG and CPU id (deterministic by
    /// default; this picks another deterministic sequence).
    pub fn seed(mut self, seed: u64) -> Bpfbox {
        self.seed = Some(seed);
        self
    }

    /// Models the kernel `profile` describes (default: the built-in
    /// upstream 6.18 model): programs that kernel refuses (a helper it does
    /// not offer to the type, ...) are refused with its words. See
    /// [`crate::profiles`] and `bpfbox probe`.
    pub fn kernel(mut self, profile: std::sync::Arc<bpfbox_progtype::Profile>) -> Bpfbox {
        self.kernel = Some(profile);
        self
    }

    /// Whether programs are checked by bpfbox's verifier before they run
    /// (default `true`; the interpreter checks every access at run time
    /// either way).
    pub fn verify(mut self, verify: bool) -> Bpfbox {
        self.verify = verify;
        self
    }

    /// The object file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the object's programs, in section order.
    pub fn program_names(&self) -> Vec<&str> {
        self.object
            .programs
            .iter()
            .map(|p| p.name.as_str())
            .collect()
    }

    /// The names of the object's maps.
    pub fn map_names(&self) -> Vec<&str> {
        self.object.maps.iter().map(|m| m.name.as_str()).collect()
    }

    /// Loads program `name` with the object's maps on the chosen engine,
    /// typed as `P` ([`Xdp`], [`SchedCls`], ... or [`Program`] for any
    /// type). Errors: no such program, a program of another type, the
    /// verifier's refusal, the setup, the kernel being unavailable.
    pub fn program<P: ProgramKind>(&self, name: &str) -> Result<P, Error> {
        let (obj, prepared) = match &self.setup {
            Some(s) => {
                // `__kconfig` values of the setup are given at load time
                let mut obj = if s.kconfig.is_empty() {
                    self.object.clone()
                } else {
                    let externs = s.externs().map_err(|e| Error::Setup(Box::new(e)))?;
                    let opts = bpfbox_object::LoadOptions {
                        externs: Some(std::sync::Arc::new(externs)),
                        ..Default::default()
                    };
                    bpfbox_object::load_file_with(&self.path, &opts).map_err(|e| Error::Object {
                        path: self.path.clone(),
                        source: Box::new(e),
                    })?
                };
                let p = s.apply(&mut obj).map_err(|e| Error::Setup(Box::new(e)))?;
                (obj, Some(p))
            }
            None => (self.object.clone(), None),
        };
        let def = obj
            .programs
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| Error::NoProgram {
                name: name.to_string(),
                path: self.path.clone(),
                have: self.program_names().join(", "),
            })?;
        check_kind::<P>(&def)?;
        if let Some(message) = crate::support::attached_only_refusal(&def) {
            return Err(Error::Load {
                program: name.to_string(),
                message,
                cause: None,
            });
        }
        if self.verify {
            // the full verifier, once, for the kernel modelled (both engines)
            let profile = self
                .kernel
                .as_deref()
                .unwrap_or(bpfbox_progtype::Profile::builtin());
            crate::engine::verify_object_on(&obj, &def, profile)
                .map_err(|e| Error::load(name, Verifier::Bpfbox, e))?;
        }
        let mut engine = self.start(&obj, &def)?;
        if let Some(p) = prepared {
            let ncpus = bpfbox_kernel::possible_cpus().map_or(1, |n| n as u32);
            p.fill(&mut *engine, ncpus)
                .map_err(|e| Error::Setup(Box::new(e)))?;
        }
        Ok(P::from_program(Program::new(engine, obj, def, self.engine)))
    }

    fn start(&self, obj: &Object, def: &ProgramDef) -> Result<Box<dyn Engine>, Error> {
        let verifier = match self.engine {
            EngineKind::Interp => Verifier::Bpfbox,
            EngineKind::Kernel => Verifier::Kernel,
        };
        let run_err = |e: crate::engine::RunError| Error::load(&def.name, verifier, e);
        Ok(match self.engine {
            EngineKind::Interp => {
                let mut host = crate::engine::host_like_kernel();
                if let Some(seed) = self.seed {
                    host.prng = bpfbox_runtime::host::Prng::new(seed);
                }
                if let Some(k) = &self.kernel {
                    host.kernel = k.clone();
                }
                // the verifier ran in `program` when asked
                Box::new(InterpEngine::new_unverified(obj, def, host).map_err(run_err)?)
            }
            EngineKind::Kernel => {
                bpfbox_kernel::availability().map_err(|u| Error::KernelUnavailable {
                    reason: u.to_string(),
                })?;
                let mut k = KernelEngine::new(obj, def).map_err(run_err)?;
                k.capture_trace().map_err(run_err)?;
                Box::new(k)
            }
        })
    }
}

/// Refuses a program whose type is not `P`'s.
fn check_kind<P: ProgramKind>(def: &ProgramDef) -> Result<(), Error> {
    match P::PROG_TYPE {
        Some(want) if want.id() != def.prog_type => Err(Error::WrongType {
            program: def.name.clone(),
            actual: crate::objects::verdict_kind(def),
            wanted: want.spec().name,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
