//! bpfbox-asm (work in progress).
