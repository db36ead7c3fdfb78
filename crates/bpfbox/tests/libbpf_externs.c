// SPDX-License-Identifier: MIT OR Apache-2.0
/* Test helper: opens and loads an object with the system libbpf and prints
 * its maps, the initial value of its `.kconfig` map and the relocated
 * instructions of each program, for tests/suite/externs.rs.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;

	if (argc != 2)
		return 2;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "libbpf could not load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_map(map, obj) {
		size_t sz = 0, i;
		const unsigned char *v;

		printf("MAP %s %u %u %u %u %u %d\n", bpf_map__name(map), bpf_map__type(map),
		       bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map),
		       bpf_map__map_flags(map), bpf_map__fd(map));
		if (!strstr(bpf_map__name(map), ".kconfig"))
			continue;
		v = bpf_map__initial_value(map, &sz);
		printf("KCONFIG ");
		for (i = 0; v && i < sz; i++)
			printf("%02x", v[i]);
		printf("\n");
	}
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t i, n = bpf_program__insn_cnt(prog);

		printf("PROG %s\n", bpf_program__name(prog));
		for (i = 0; i < n; i++)
			printf("I %u %u %u %d %d\n", insn[i].code, insn[i].dst_reg, insn[i].src_reg,
			       insn[i].off, insn[i].imm);
	}
	bpf_object__close(obj);
	return 0;
}
