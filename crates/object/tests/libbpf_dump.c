// SPDX-License-Identifier: MIT OR Apache-2.0
/* Differential-test helper: opens and loads an object with the system
 * libbpf, then prints its maps, the final (relocated) instructions of each
 * program and the BTF it handed to the kernel, in a line format that
 * tests/libbpf.rs parses.
 */
#include <stdio.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const struct btf *btf;
	int idx = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open failed\n");
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	bpf_object__for_each_map(map, obj) {
		printf("MAP %d %s %u %u %u %u %u %d\n", idx++, bpf_map__name(map), bpf_map__type(map),
		       bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map),
		       bpf_map__map_flags(map), bpf_map__fd(map));
	}
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t i, n = bpf_program__insn_cnt(prog);

		printf("PROG %s %s %u %u %d %zu\n", bpf_program__name(prog),
		       bpf_program__section_name(prog), bpf_program__type(prog),
		       bpf_program__expected_attach_type(prog), bpf_program__autoload(prog), n);
		for (i = 0; i < n; i++)
			printf("I %u %u %u %d %d\n", insn[i].code, insn[i].dst_reg, insn[i].src_reg,
			       insn[i].off, insn[i].imm);
	}
	btf = bpf_object__btf(obj);
	if (btf) {
		__u32 size, i;
		const unsigned char *raw = btf__raw_data(btf, &size);

		printf("BTF ");
		for (i = 0; i < size; i++)
			printf("%02x", raw[i]);
		printf("\n");
	}
	return 0;
}
