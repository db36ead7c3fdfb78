//! Integration tests of bpfbox-interp, one module per instruction class or
//! topic.

mod common;

mod alu;
mod atomic;
mod call;
mod fuzz;
mod jmp;
mod ldabs;
mod limits;
mod mem;
mod trace;
