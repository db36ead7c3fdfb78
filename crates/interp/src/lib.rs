//! bpfbox-interp (work in progress).
