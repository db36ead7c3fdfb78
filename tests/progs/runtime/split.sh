#!/bin/sh
# split.sh OBJ SECTION: writes OBJ-stem.PROG.bin for every function symbol in
# SECTION (offset and size from the symbol table).
set -e
obj=$1; sec=$2; stem=${obj%.o}
${OBJCOPY:-llvm-objcopy-19} -O binary --only-section="$sec" "$obj" "$stem.$sec.all"
${NM:-llvm-nm-19} --defined-only --print-size "$obj" | while read -r off size type name; do
	case "$type" in T|t) ;; *) continue ;; esac
	dd if="$stem.$sec.all" of="$stem.$name.bin" bs=1 skip=$((0x$off)) count=$((0x$size)) status=none
done
rm -f "$stem.$sec.all"
