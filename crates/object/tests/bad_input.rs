//! Malformed or unsupported input gives a clean error, never a panic.

use bpfbox_object::{load, load_file, ErrorKind};
use object::read::elf::ElfFile64;
use object::{Object as _, ObjectSection as _};

use crate::prog_path;

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(prog_path(name)).unwrap()
}

/// File offset of section `name`.
fn section_offset(data: &[u8], name: &str) -> usize {
    let f = ElfFile64::<object::Endianness>::parse(data).unwrap();
    let s = f
        .section_by_name(name)
        .unwrap_or_else(|| panic!("no section {name}"));
    s.file_range().unwrap().0 as usize
}

/// A tiny deterministic generator (xorshift), so failures reproduce.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

pub(crate) fn every_truncation_is_an_error() {
    // clang puts the section header table last, so every strict prefix
    // loses part of it and must be refused (and never panic)
    for name in crate::LOADABLE {
        let full = bytes(name);
        for n in 0..full.len() {
            let e = load(&full[..n]).expect_err(&format!("{name} cut at {n} loaded"));
            assert_eq!(e.kind(), ErrorKind::Elf, "{name} cut at {n}: {e}");
        }
    }
}

pub(crate) fn corrupted_bytes_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let iters: usize = std::env::var("BPFBOX_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    for name in crate::LOADABLE {
        let full = bytes(name);
        for _ in 0..iters {
            let mut b = full.clone();
            for _ in 0..1 + xorshift(&mut seed) % 8 {
                let at = (xorshift(&mut seed) % b.len() as u64) as usize;
                if xorshift(&mut seed) % 2 == 0 {
                    b[at] = xorshift(&mut seed) as u8;
                } else {
                    // an aligned word set to a boundary value: sizes,
                    // offsets, counts and indices overflowing
                    const EDGE: [u64; 6] = [0, 1, 0x7fff_ffff, 0xffff_ffff, 1 << 63, u64::MAX];
                    let at = at & !7;
                    let v = EDGE[(xorshift(&mut seed) % 6) as usize].to_le_bytes();
                    let n = if xorshift(&mut seed) % 2 == 0 { 4 } else { 8 };
                    let end = (at + n).min(b.len());
                    b[at..end].copy_from_slice(&v[..end - at]);
                }
            }
            let _ = load(&b);
        }
    }
}

pub(crate) fn random_bytes_and_foreign_elf() {
    let mut seed = 42u64;
    let junk: Vec<u8> = (0..4096).map(|_| xorshift(&mut seed) as u8).collect();
    assert_eq!(load(&junk).unwrap_err().kind(), ErrorKind::Elf);
    let mut elfish = junk.clone();
    elfish[..4].copy_from_slice(b"\x7fELF");
    elfish[4] = 2;
    assert_eq!(load(&elfish).unwrap_err().kind(), ErrorKind::Elf);
    assert!(load(&[]).is_err());

    let e = load_file("/bin/true").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Elf);
    let msg = e.to_string();
    assert!(
        msg.starts_with("/bin/true: ") && msg.contains("not an eBPF object"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));

    let e = load_file("/nonexistent/x.o").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(
        e.to_string().starts_with("/nonexistent/x.o: cannot read"),
        "{e}"
    );
}

pub(crate) fn unknown_code_section_is_named() {
    // rename section "xdp" to "xdq" in the section-name string table
    let mut b = bytes("xdp_globals.o");
    let strtab = section_offset(&b, ".strtab");
    let pos = b[strtab..]
        .windows(5)
        .position(|w| w == b"\0xdp\0")
        .map(|p| strtab + p + 1);
    let pos = pos.or_else(|| {
        b[strtab..]
            .windows(8)
            .position(|w| w == b".relxdp\0")
            .map(|p| strtab + p + 4)
    });
    let pos = pos.expect("section name xdp");
    b[pos + 2] = b'q';
    let e = load(&b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Section);
    assert!(e.to_string().contains("'xdq'"), "{e}");
}

pub(crate) fn unknown_relocation_type_is_named() {
    let mut b = bytes("xdp_globals.o");
    let rel = section_offset(&b, ".relxdp");
    b[rel + 8] = 77; // r_info low byte = type
    let e = load(&b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Relocation);
    assert!(
        e.to_string().contains("unknown relocation type 77") && e.to_string().contains("'xdp'"),
        "{e}"
    );
}

pub(crate) fn unknown_map_type_is_named() {
    let mut b = bytes("legacy_maps.o");
    let maps = section_offset(&b, "maps");
    b[maps..maps + 4].copy_from_slice(&99u32.to_le_bytes());
    let e = load(&b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Map);
    assert!(
        e.to_string()
            .contains("map 'legacy_hash': unknown map type 99"),
        "{e}"
    );
}

pub(crate) fn an_unresolved_kfunc_is_listed_and_its_call_poisoned_as_libbpf_does() {
    // no extern source: nothing resolves, nothing fails to load
    let obj = load_file(prog_path("extern_kfunc.o")).unwrap();
    assert_eq!(obj.externs.len(), 1);
    let e = &obj.externs[0];
    assert_eq!(e.name, "bpf_kfunc_call_test1");
    assert_eq!(e.kind, bpfbox_object::ExternKind::Kfunc);
    assert!(matches!(
        e.resolution,
        bpfbox_object::Resolution::Unresolved(_)
    ));
    let p = &obj.programs[0];
    let poisoned = p.insns.iter().any(|i| {
        i.code == 0x85 && i.src == 0 && i.imm == bpfbox_object::externs::POISON_CALL_KFUNC_BASE
    });
    assert!(poisoned, "{:?}", p.insns);
}
