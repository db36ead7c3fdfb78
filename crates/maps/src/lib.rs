//! bpfbox-maps (work in progress).
