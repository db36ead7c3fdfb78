//! Integration tests of bpfbox-isa.

mod disasm_fixtures;
mod objdump_sweep;
