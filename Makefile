# Repository-level convenience targets.

.PHONY: progs
# Rebuild the committed eBPF test objects (needs clang-19 and libbpf-dev).
progs:
	$(MAKE) -C tests/progs progs
	$(MAKE) -C tests/progs/coverage progs
	$(MAKE) -C tests/progs/bigmaps progs
	$(MAKE) -C tests/progs/helpers progs
	$(MAKE) -C tests/progs/verify
	$(MAKE) -C examples/port-filter
	$(MAKE) -C tests/progs/capture
	$(MAKE) -C tests/progs/verifier progs
	$(MAKE) -C tests/progs/inputs
	$(MAKE) -C tests/progs/library
	$(MAKE) -C tests/progs/bench progs
	$(MAKE) -C tests/progs/netfilter
	$(MAKE) -C tests/progs/lwt_seg6local
	$(MAKE) -C tests/progs/fentry
