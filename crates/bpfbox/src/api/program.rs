//! Loaded programs: the untyped [`Program`] and one typed wrapper per
//! program type, with the results their hooks give.

use super::{EngineKind, Error};
use crate::engine::{Engine, RunInput, RunOutput};
use bpfbox_object::{Object, ProgramDef};
use bpfbox_progtype::ProgType;
use bpfbox_runtime::events::EventOutcome;
use serde_json::Value;

/// A program of any type, loaded with its object's maps on one engine.
pub struct Program {
    engine: Box<dyn Engine>,
    object: Object,
    def: ProgramDef,
    kind: EngineKind,
    /// Maps of attached tracers' objects, named `OBJECT:MAP`.
    attached_maps: Vec<bpfbox_object::MapSpec>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("name", &self.def.name)
            .field("type", &crate::objects::verdict_kind(&self.def))
            .field("engine", &self.kind)
            .finish()
    }
}

/// What the hook does with a return value, from the program type's table:
/// `XDP_DROP`, `TC_ACT_OK`, `keep 54 bytes`, `deny: EPERM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// r0 as the hook sees it (the low 32 bits).
    pub retval: u32,
    /// The value's name or meaning.
    pub name: String,
    /// Whether the hook drops the packet.
    pub drops: bool,
}

/// The results of one `BPF_PROG_TEST_RUN` of any program type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRunOutcome {
    /// The verdict on the return value.
    pub verdict: Verdict,
    /// The packet after the run (`data_out`).
    pub packet: Vec<u8>,
    /// The context after the run, when one was given.
    pub ctx: Option<Vec<u8>>,
    /// An error the run reported along with its results (`ENOSPC`).
    pub errno: Option<i32>,
    /// Lines `bpf_trace_printk` printed.
    pub trace: Vec<String>,
}

impl Program {
    pub(super) fn new(
        engine: Box<dyn Engine>,
        object: Object,
        def: ProgramDef,
        kind: EngineKind,
    ) -> Program {
        Program {
            engine,
            object,
            def,
            kind,
            attached_maps: Vec::new(),
        }
    }

    /// The program's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The program's type, `None` for a type this bpfbox does not know.
    pub fn prog_type(&self) -> Option<ProgType> {
        ProgType::from_id(self.def.prog_type)
    }

    /// The engine it runs on.
    pub fn engine_kind(&self) -> EngineKind {
        self.kind
    }

    /// The verdict the program type gives `retval`.
    pub fn verdict(&self, retval: u32) -> Verdict {
        Verdict {
            retval,
            name: crate::objects::verdict(&self.def, retval),
            drops: crate::objects::drops(&self.def, retval),
        }
    }

    /// Runs the program once on `packet` (`BPF_PROG_TEST_RUN`).
    pub fn test_run(&mut self, packet: &[u8]) -> Result<TestRunOutcome, Error> {
        self.test_run_with(&RunInput {
            data_in: packet.to_vec(),
            ..Default::default()
        })
    }

    /// Runs the program with every `BPF_PROG_TEST_RUN` input (context,
    /// repeat, flags).
    pub fn test_run_with(&mut self, input: &RunInput) -> Result<TestRunOutcome, Error> {
        let out: RunOutput = self
            .engine
            .test_run(input)
            .map_err(|e| Error::run(&self.def.name, "packet or context", e))?;
        Ok(TestRunOutcome {
            verdict: self.verdict(out.retval),
            packet: out.data_out,
            ctx: out.ctx_out,
            errno: out.errno,
            trace: out.trace,
        })
    }

    /// Runs an event-driven program on one event (a JSON object) or a
    /// sequence (a JSON array), as `bpfbox fire` does; `bpfbox types NAME`
    /// documents each type's event. Interpreter only: in the kernel these
    /// programs run at real attachments.
    pub fn fire(&mut self, events: &Value) -> Result<Vec<EventOutcome>, Error> {
        self.engine
            .fire(events)
            .map_err(|e| Error::run(&self.def.name, "event", e))
    }

    /// Attaches the fentry/fexit program `tracer` of this program's own
    /// object (`SEC("fentry/NAME")`, NAME this program's name) to this
    /// program: every later test run runs it before (fentry) or after
    /// (fexit) this program, with the kernel's context struct (`struct
    /// xdp_buff *`, `struct sk_buff *`) as its argument and, for fexit,
    /// the return value; the tracer shares the object's maps. libbpf's
    /// `bpf_program__set_attach_target(tracer, prog_fd, NAME)`. Interpreter
    /// only. `verify`: check the tracer with bpfbox's verifier first.
    pub fn attach_tracing(&mut self, tracer: &str, verify: bool) -> Result<(), Error> {
        let def = self.tracer_def(&self.object, tracer)?;
        let obj = self.object.clone();
        self.engine
            .attach_tracing(&obj, &def, &self.def, true, verify)
            .map_err(|e| Error::load(tracer, super::Verifier::Bpfbox, e))
    }

    /// [`Program::attach_tracing`] for a program of another object: its
    /// maps are created and listed as `OBJECT:MAP` (the object's name is
    /// its file name without `.o`).
    pub fn attach_tracing_from(
        &mut self,
        object: &Object,
        tracer: &str,
        verify: bool,
    ) -> Result<(), Error> {
        let def = self.tracer_def(object, tracer)?;
        self.engine
            .attach_tracing(object, &def, &self.def, false, verify)
            .map_err(|e| Error::load(tracer, super::Verifier::Bpfbox, e))?;
        for m in &object.maps {
            let mut m = m.clone();
            m.name = format!("{}:{}", object.name, m.name);
            if !self.attached_maps.iter().any(|a| a.name == m.name) {
                self.attached_maps.push(m);
            }
        }
        Ok(())
    }

    /// A map spec by name: the object's, or an attached tracer's.
    pub(super) fn map_spec(&self, name: &str) -> Option<&bpfbox_object::MapSpec> {
        self.object
            .maps
            .iter()
            .chain(&self.attached_maps)
            .find(|m| m.name == name)
    }

    /// Opens a perf buffer on every slot of every perf event array (libbpf's
    /// `perf_buffer__new`): from then on `bpf_perf_event_output` and
    /// `bpf_xdp_output` samples are kept; [`Program::perf_samples`] reads
    /// them.
    pub fn open_perf_buffers(&mut self) -> Result<(), Error> {
        self.engine
            .open_perf_buffers()
            .map_err(|e| Error::run(&self.def.name, "perf buffers", e))
    }

    /// The samples written to perf event array `map` since the last read,
    /// oldest first: each the sample's bytes zero-padded as the kernel
    /// stores them (its u32 size field plus data fill whole 8-byte words).
    /// Reading drains the object's queues, stacks and ring buffers too.
    pub fn perf_samples(&mut self, map: &str) -> Result<Vec<Vec<u8>>, Error> {
        let dump = self
            .engine
            .dump_maps()
            .into_iter()
            .find(|d| d.name == map)
            .ok_or_else(|| Error::NoMap(map.to_string()))?;
        Ok(dump.entries.into_iter().map(|(_, v)| v).collect())
    }

    fn tracer_def(&self, object: &Object, tracer: &str) -> Result<ProgramDef, Error> {
        object
            .programs
            .iter()
            .find(|p| p.name == tracer)
            .cloned()
            .ok_or_else(|| Error::NoProgram {
                name: tracer.to_string(),
                path: object.name.clone().into(),
                have: object
                    .programs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The object this program was loaded from (after the setup).
    pub fn object(&self) -> &Object {
        &self.object
    }

    pub(super) fn engine_mut(&mut self) -> &mut dyn Engine {
        &mut *self.engine
    }
}

/// A program type [`super::Bpfbox::program`] can hand out.
pub trait ProgramKind: Sized {
    /// The type it requires, `None` for any ([`Program`]).
    const PROG_TYPE: Option<ProgType>;
    /// Wraps a loaded program of that type.
    fn from_program(p: Program) -> Self;
    /// The program inside.
    fn program(&mut self) -> &mut Program;
}

impl ProgramKind for Program {
    const PROG_TYPE: Option<ProgType> = None;
    fn from_program(p: Program) -> Self {
        p
    }
    fn program(&mut self) -> &mut Program {
        self
    }
}

pub use bpfbox_progtype::types::sched_cls::TcAction;
pub use bpfbox_progtype::types::xdp::XdpAction;

/// One packet run of a typed packet program: its action, the packet
/// after the run and everything else the run reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketOutcome<A> {
    /// The hook's action.
    pub action: A,
    /// The packet after the run.
    pub packet: Vec<u8>,
    /// All results of the run.
    pub run: TestRunOutcome,
}

macro_rules! program_kind {
    ($(#[$doc:meta])* $name:ident, $ty:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Program);

        impl ProgramKind for $name {
            const PROG_TYPE: Option<ProgType> = Some(ProgType::$ty);
            fn from_program(p: Program) -> Self {
                $name(p)
            }
            fn program(&mut self) -> &mut Program {
                &mut self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = Program;
            fn deref(&self) -> &Program {
                &self.0
            }
        }

        impl std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Program {
                &mut self.0
            }
        }
    };
}

program_kind!(
    /// An XDP program (`SEC("xdp")`): [`Xdp::run`] gives an [`XdpAction`].
    Xdp, Xdp
);
program_kind!(
    /// A tc classifier (`SEC("tc")`): [`SchedCls::run`] gives a [`TcAction`].
    SchedCls, SchedCls
);
program_kind!(
    /// A tc action (`SEC("action")`): [`SchedAct::run`] gives a [`TcAction`].
    SchedAct, SchedAct
);
program_kind!(
    /// A socket filter: [`SocketFilter::run`] gives the bytes kept.
    SocketFilter, SocketFilter
);
program_kind!(
    /// A cgroup skb program: [`CgroupSkb::run`] gives whether it allows.
    CgroupSkb, CgroupSkb
);
program_kind!(
    /// An LWT input program.
    LwtIn, LwtIn
);
program_kind!(
    /// An LWT output program.
    LwtOut, LwtOut
);
program_kind!(
    /// An LWT xmit program.
    LwtXmit, LwtXmit
);
program_kind!(
    /// A flow dissector (test runs with [`Program::test_run`]).
    FlowDissector, FlowDissector
);
program_kind!(
    /// A raw tracepoint (test runs with a context, or [`Program::fire`]).
    RawTracepoint, RawTracepoint
);
program_kind!(
    /// A syscall program (test runs with a context).
    Syscall, Syscall
);
program_kind!(
    /// A cgroup device program: [`Program::fire`] on device accesses.
    CgroupDevice, CgroupDevice
);
program_kind!(
    /// A cgroup sock program: [`Program::fire`] on socket events.
    CgroupSock, CgroupSock
);
program_kind!(
    /// A cgroup sock_addr program: [`Program::fire`] on connect/bind/sendmsg.
    CgroupSockAddr, CgroupSockAddr
);
program_kind!(
    /// A cgroup sysctl program: [`Program::fire`] on sysctl accesses.
    CgroupSysctl, CgroupSysctl
);
program_kind!(
    /// A cgroup sockopt program: [`Program::fire`] on get/setsockopt.
    CgroupSockopt, CgroupSockopt
);
program_kind!(
    /// A sock_ops program: [`Program::fire`] on TCP callbacks.
    SockOps, SockOps
);
program_kind!(
    /// An sk_skb program: [`Program::fire`].
    SkSkb, SkSkb
);
program_kind!(
    /// An sk_msg program: [`Program::fire`].
    SkMsg, SkMsg
);
program_kind!(
    /// An sk_reuseport program: [`Program::fire`] on a reuseport group.
    SkReuseport, SkReuseport
);
program_kind!(
    /// An sk_lookup program: [`Program::fire`] or test runs.
    SkLookup, SkLookup
);
program_kind!(
    /// A kprobe program: [`Program::fire`] with registers.
    Kprobe, Kprobe
);
program_kind!(
    /// A tracepoint program: [`Program::fire`] with the record's fields.
    Tracepoint, Tracepoint
);
program_kind!(
    /// A perf event program: [`Program::fire`] with a sample.
    PerfEvent, PerfEvent
);

/// Gives a typed program a `run(packet)` whose action comes from `$action`,
/// a function of the return value declared in the program type's module
/// of bpfbox-progtype (beside the type's return-value table).
macro_rules! packet_program {
    ($(#[$doc:meta])* $name:ident => $ty:ty, $action:path) => {
        impl $name {
            $(#[$doc])*
            pub fn run(&mut self, packet: &[u8]) -> Result<PacketOutcome<$ty>, Error> {
                let run = self.0.test_run(packet)?;
                Ok(PacketOutcome {
                    action: $action(run.verdict.retval),
                    packet: run.packet.clone(),
                    run,
                })
            }
        }
    };
}

use bpfbox_progtype::types as ty;

packet_program!(
    /// Runs the program on one frame.
    Xdp => XdpAction, XdpAction::from_retval
);
packet_program!(
    /// Runs the program on one Ethernet frame.
    SchedCls => TcAction, TcAction::from_retval
);
packet_program!(
    /// Runs the program on one Ethernet frame.
    SchedAct => TcAction, TcAction::from_retval
);
packet_program!(
    /// Runs the filter on one frame: how many bytes of it the socket keeps
    /// (0 drops it).
    SocketFilter => u32, ty::socket_filter::bytes_kept
);
packet_program!(
    /// Runs the program on one packet: whether the cgroup lets it through.
    CgroupSkb => bool, ty::cgroup_skb::allows
);
