//! Pseudo-C disassembly (as `llvm-objdump -d` and the verifier log print it).
