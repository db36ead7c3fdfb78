//! bpfbox facade.
