//! The per-instruction tracer.

use crate::common::*;
use bpfbox_interp::{Config, Helpers, Memory, Vm};
use std::sync::Mutex;

#[test]
fn tracer_sees_every_executed_instruction_with_registers() {
    let helpers = Helpers::<()>::new();
    let seen = Mutex::new(Vec::new());
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    vm.set_tracer(Some(Box::new(|pc, _insn, regs: &[u64]| {
        seen.lock().unwrap().push((pc, regs[0], regs.len()));
    })));
    let p = prog(vec![mov(0, 1), local(3), EXIT, add(0, 5), EXIT]);
    assert_eq!(vm.run(&p, [0; 5]), Ok(6));
    assert_eq!(vm.insns_executed(), 5);
    vm.set_tracer(None);
    assert_eq!(vm.run(&p, [0; 5]), Ok(6));
    drop(vm);
    assert_eq!(
        seen.into_inner().unwrap(),
        vec![(0, 0, 11), (1, 1, 11), (3, 1, 11), (4, 6, 11), (2, 6, 11)]
    );
}

#[test]
fn vm_is_send() {
    fn send<T: Send>(_: &T) {}
    let helpers = Helpers::<()>::new();
    let vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    send(&vm);
}
