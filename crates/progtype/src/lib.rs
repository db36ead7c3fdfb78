//! bpfbox-progtype (work in progress).
