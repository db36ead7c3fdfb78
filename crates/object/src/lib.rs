//! bpfbox-object (work in progress).
