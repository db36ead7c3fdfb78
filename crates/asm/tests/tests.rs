//! Integration tests of bpfbox-asm: byte-exact encodings per instruction
//! class, clang-19's assembler as the oracle for the pseudo-C syntax, and
//! disassemble/reassemble round trips.

mod clang_oracle;
mod pseudo_classes;
mod robustness;
mod roundtrip;
mod verifier_log;
