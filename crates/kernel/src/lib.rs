//! bpfbox-kernel (work in progress).
