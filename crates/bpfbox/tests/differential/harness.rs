//! Running one program in both engines and collecting differences.

use crate::{CTX_LEN, ETH_HLEN};
use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Trap, Vm};
use bpfbox_isa::disasm::disasm;
use bpfbox_isa::Insn;
use bpfbox_kernel::consts::prog_type;
use bpfbox_kernel::{KernelProg, ProgLoad, TestRun};
use std::sync::Arc;

/// What the interpreter produced for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InterpOut {
    pub(crate) r0: u64,
    pub(crate) executed: u64,
}

/// Runs `prog` in the interpreter the way the kernel's SOCKET_FILTER test
/// run does: `r1` = a zeroed 192-byte context, the packet in a region and
/// the LD_ABS window starting after the Ethernet header.
pub(crate) fn interp_run(prog: &Arc<Program>, packet: &[u8]) -> Result<InterpOut, Trap> {
    let mut pkt = packet.to_vec();
    let mut ctx = [0u8; CTX_LEN];
    let helpers = Helpers::<()>::new();
    let mut mem = Memory::new();
    let (_, ctx_addr) = mem.add(&mut ctx, RegionKind::Ctx);
    let pkt_len = pkt.len() as u64;
    let (_, data) = mem.add(&mut pkt, RegionKind::Packet);
    let mut vm = Vm::new(mem, (), &helpers, Config::default());
    let eth = (ETH_HLEN as u64).min(pkt_len);
    vm.set_ld_abs_source(data + eth, pkt_len - eth);
    vm.set_ld_abs_headers(data, data + eth);
    let r0 = vm.run(prog, [ctx_addr, 0, 0, 0, 0])?;
    Ok(InterpOut {
        r0,
        executed: vm.insns_executed(),
    })
}

/// A program loaded into the kernel and prepared for the interpreter.
pub(crate) struct Both {
    pub(crate) insns: Vec<Insn>,
    pub(crate) kernel: KernelProg,
    pub(crate) interp: Arc<Program>,
}

impl Both {
    /// Loads `insns` as a SOCKET_FILTER; panics with the verifier log when
    /// the kernel refuses it (every program here is meant to pass).
    pub(crate) fn load(what: &str, insns: Vec<Insn>) -> Both {
        Both::load_with_flags(what, insns, 0)
    }

    /// [`Both::load`] with `BPF_F_*` program flags for the kernel.
    pub(crate) fn load_with_flags(what: &str, insns: Vec<Insn>, flags: u32) -> Both {
        let raw = bpfbox_isa::encode(&insns).unwrap_or_else(|e| panic!("{what}: encode: {e}"));
        let kernel = ProgLoad::new(prog_type::SOCKET_FILTER, &raw)
            .name("bpfbox_diff")
            .prog_flags(flags)
            .load()
            .unwrap_or_else(|e| {
                panic!(
                    "{what}: kernel rejected the program: {e}\n{}\n{}",
                    e.log().unwrap_or(""),
                    disasm(&insns)
                )
            });
        let interp =
            Arc::new(Program::new(insns.clone()).unwrap_or_else(|e| panic!("{what}: interp: {e}")));
        Both {
            insns,
            kernel,
            interp,
        }
    }

    pub(crate) fn kernel_run(&self, packet: &[u8]) -> u32 {
        let out = self
            .kernel
            .test_run(&TestRun {
                data_in: Some(packet),
                repeat: 1,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("test run: {e}"));
        out.retval
    }

    /// Runs on `packet` in both engines; a difference is recorded in
    /// `diffs` with everything needed to reproduce it.
    pub(crate) fn check(&self, what: &str, packet: &[u8], diffs: &mut Diffs) {
        let k = self.kernel_run(packet);
        let i = interp_run(&self.interp, packet);
        diffs.runs += 1;
        match i {
            Ok(o) if o.r0 as u32 == k => diffs.executed += o.executed,
            _ => diffs.push(format!(
                "{what}: packet {}: kernel {k:#x}, interpreter {}\n{}",
                hex(packet),
                match i {
                    Ok(o) => format!("{:#x} (r0 = {:#x})", o.r0 as u32, o.r0),
                    Err(t) => format!("trap {t}"),
                },
                disasm(&self.insns)
            )),
        }
    }
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Differences found by a test, reported together at its end.
#[derive(Default)]
pub(crate) struct Diffs {
    list: Vec<String>,
    runs: u64,
    executed: u64,
}

impl Diffs {
    pub(crate) fn push(&mut self, d: String) {
        if self.list.len() < 20 {
            eprintln!("DIFFERENCE {d}");
        }
        self.list.push(d);
    }

    pub(crate) fn finish(self, what: &str) {
        eprintln!(
            "{what}: {} runs, {} instructions executed, {} differences",
            self.runs,
            self.executed,
            self.list.len()
        );
        assert!(
            self.list.is_empty(),
            "{what}: {} differences between the kernel and the interpreter; first:\n{}",
            self.list.len(),
            self.list[0]
        );
    }
}
