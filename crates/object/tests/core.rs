//! CO-RE relocations of tests/progs/core_reloc.o against the local BTF and
//! against the running kernel's BTF (tests needing
//! /sys/kernel/btf/vmlinux or bpf() are listed so in tests.rs).

use std::os::fd::{AsRawFd, OwnedFd};

use bpfbox_isa::RawInsn;
use bpfbox_object::btf::{kind, Extra};
use bpfbox_object::co_re::{
    relo_kind as rk, CoreTarget, LoadOptions, POISON_CALL_IMM, VMLINUX_BTF,
};
use bpfbox_object::{load_file_with, Btf, Object, ProgramDef};
use object::{Object as _, ObjectSymbol as _};

use crate::kernel::{create_maps, load_btf, prog_load, Attr};
use crate::prog_path;

fn load_target(t: CoreTarget) -> Object {
    load_file_with(
        prog_path("core_reloc.o"),
        &LoadOptions {
            core_target: t,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The running kernel's BTF (tests calling this are listed `=> [btf]`).
fn vmlinux() -> Btf {
    let b = std::fs::read(VMLINUX_BTF).unwrap_or_else(|e| panic!("{VMLINUX_BTF}: {e}"));
    Btf::parse(&b).expect("vmlinux BTF parses")
}

/// The slots of section `xdp` and the slot where function `f` starts.
fn raw_func(f: &str) -> (Vec<RawInsn>, usize) {
    let bytes = std::fs::read(prog_path("core_reloc.o")).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let sym = elf.symbols().find(|s| s.name() == Ok(f)).unwrap();
    let sec = elf.section_by_name_bytes(b"xdp").unwrap();
    let data = object::ObjectSection::data(&sec).unwrap();
    let slots = bpfbox_isa::slots_from_bytes(data).unwrap();
    (slots, sym.address() as usize / 8)
}

/// Byte offset of member `name` of struct `id`, looking through anonymous
/// members (kernel structs group saddr/daddr in an anonymous union).
fn member_off(btf: &Btf, id: u32, name: &str) -> Option<u32> {
    let t = btf.type_by_id(btf.skip_mods_and_typedefs(id))?;
    let Extra::Members(ms) = &t.extra else {
        return None;
    };
    for m in ms {
        let n = btf.str_at(m.name_off).unwrap_or("");
        if n == name {
            return Some(m.bit_offset / 8);
        }
        if n.is_empty() {
            if let Some(o) = member_off(btf, m.type_id, name) {
                return Some(m.bit_offset / 8 + o);
            }
        }
    }
    None
}

fn prog<'a>(o: &'a Object, name: &str) -> &'a ProgramDef {
    o.program(name).unwrap()
}

pub(crate) fn local_target_keeps_the_compiled_instructions() {
    let o = load_target(CoreTarget::Local);
    assert_eq!(o.core_target.as_deref(), Some("local"));
    assert_eq!(o.core_relos.len(), 29);
    assert_eq!(o.programs.len(), 5);
    for r in &o.core_relos {
        assert_eq!(r.orig_val, r.new_val, "{r:?}");
        assert!(!r.poisoned, "{r:?}");
    }
    for f in ["core_prog", "core_iphdr", "core_types", "core_bitfield"] {
        let (slots, start) = raw_func(f);
        let p = prog(&o, f);
        assert_eq!(p.insns[..], slots[start..start + p.insns.len()], "{f}");
    }
}

pub(crate) fn reordered_fields_get_the_kernels_offsets() {
    let vm = vmlinux();
    let o = load_target(CoreTarget::Vmlinux);
    assert_eq!(o.core_target.as_deref(), Some(VMLINUX_BTF));
    let iphdr = vm
        .find("iphdr", kind::STRUCT)
        .expect("struct iphdr in vmlinux");
    let off = |n| member_off(&vm, iphdr, n).unwrap();
    assert_eq!((off("saddr"), off("daddr")), (12, 16));
    // local field order of struct iphdr___mine
    let fields = ["daddr", "saddr", "protocol", "ttl", "tot_len"];
    let (raw, start) = raw_func("core_iphdr");
    let p = prog(&o, "core_iphdr");
    let mut seen = 0;
    for r in o
        .core_relos
        .iter()
        .filter(|r| r.local_type == "iphdr___mine" && r.kind == rk::FIELD_BYTE_OFFSET)
    {
        let slot = r.insn_off as usize / 8;
        if r.section != "xdp" || !(start..start + p.insns.len()).contains(&slot) {
            continue;
        }
        let i = &p.insns[slot - start];
        let idx: usize = r.access.strip_prefix("0:").unwrap().parse().unwrap();
        let want = off(fields[idx]);
        assert_eq!(r.new_val, u64::from(want), "{r:?}");
        assert_eq!(i.off as u32, want, "{r:?}");
        assert_eq!(raw[slot].off as u32, r.orig_val as u32);
        assert_eq!(i.code, raw[slot].code, "{r:?}: sizes are the same");
        seen += 1;
    }
    assert_eq!(seen, 5);
    // no_such_field: the read is poisoned like libbpf (dead code once
    // field_exists() is relocated to 0)
    let r = o
        .core_relos
        .iter()
        .find(|r| r.section == "?xdp" && r.kind == rk::FIELD_BYTE_OFFSET)
        .unwrap();
    assert!(r.poisoned && r.access == "0:5", "{r:?}");
    let i = prog(&o, "core_poison").insns[r.insn_off as usize / 8];
    assert_eq!((i.code, i.imm), (0x85, POISON_CALL_IMM));
    // field_exists(no_such_field) became 0
    let fe: Vec<_> = o
        .core_relos
        .iter()
        .filter(|r| r.kind == rk::FIELD_EXISTS)
        .collect();
    assert_eq!(fe.len(), 2);
    assert!(fe.iter().all(|r| r.orig_val == 1 && r.new_val == 0));
}

/// What core_types returns, computed from the target BTF.
fn expected_types(btf: &Btf, iphdr: &str, action: &str, pass: &str, missing: bool) -> u32 {
    let ip = btf.find(iphdr, kind::STRUCT).unwrap();
    let size = btf.resolve_size(ip).unwrap();
    let daddr = member_off(btf, ip, "daddr").unwrap();
    let e = btf.find(action, kind::ENUM).unwrap();
    let Extra::Enumerators(vals) = &btf.type_by_id(e).unwrap().extra else {
        panic!()
    };
    let pass_val = vals
        .iter()
        .find(|(n, _)| btf.str_at(*n) == Some(pass))
        .unwrap()
        .1 as u32;
    let present = u32::from(!missing);
    1 + present * 2
        + size * 4
        + 2 * 1000
        + present * 10000
        + pass_val * 100000
        + present * 1000000
        + daddr * 10000000
}

fn test_run(p: &OwnedFd, data: &[u8]) -> u32 {
    let mut out = vec![0u8; data.len() + 256];
    let mut a = Attr::new();
    a.u32(0, p.as_raw_fd() as u32)
        .u32(8, data.len() as u32)
        .u32(12, out.len() as u32)
        .u64(16, data.as_ptr() as u64)
        .u64(24, out.as_mut_ptr() as u64)
        .u32(32, 1);
    a.sys(10).expect("BPF_PROG_TEST_RUN");
    a.bytes_u32(4)
}

/// An Ethernet + IPv4 packet with distinctive header bytes.
fn packet() -> Vec<u8> {
    let mut p = vec![0u8; 14 + 20 + 8];
    p[12] = 0x08;
    p[14] = 0x45; // version 4, ihl 5
    p[15] = 0x10;
    p[16..18].copy_from_slice(&42u16.to_be_bytes());
    p[22] = 63; // ttl
    p[23] = 17; // udp
    p[26..30].copy_from_slice(&[10, 1, 2, 3]);
    p[30..34].copy_from_slice(&[192, 168, 7, 9]);
    p
}

pub(crate) fn kernel_runs_the_relocated_programs() {
    let vm = vmlinux();
    let o = load_target(CoreTarget::Vmlinux);
    let btf = load_btf(&o.btf_for_kernel().unwrap());
    let maps = create_maps(&o, Some(&btf));
    let fd = |name: &str| {
        prog_load(prog(&o, name), &o, &maps, Some(&btf), 1)
            .unwrap_or_else(|e| panic!("{name} rejected: {e}"))
    };
    let pkt = packet();
    // core_iphdr, computed here from the kernel's layout of the packet
    let u32_at = |o: usize| u32::from_le_bytes(pkt[14 + o..18 + o].try_into().unwrap());
    let iphdr = vm.find("iphdr", kind::STRUCT).unwrap();
    let off = |n| member_off(&vm, iphdr, n).unwrap() as usize;
    let mut r = u32_at(off("saddr")) ^ (u32_at(off("daddr")) >> 1);
    r = r.wrapping_add(u32::from(pkt[14 + off("protocol")]) * 3 + u32::from(pkt[14 + off("ttl")]));
    r ^= u32::from(u16::from_le_bytes(
        pkt[14 + off("tot_len")..16 + off("tot_len")]
            .try_into()
            .unwrap(),
    ));
    assert_eq!(test_run(&fd("core_iphdr"), &pkt), r & 3);
    // core_types: kernel sizes, kernel enum value, missing things are 0
    let want = expected_types(&vm, "iphdr", "xdp_action", "XDP_PASS", true);
    assert_eq!(test_run(&fd("core_types"), &pkt), want);
    // core_bitfield: version * 16 + ihl of the real header
    assert_eq!(test_run(&fd("core_bitfield"), &pkt), 0x45);
    assert_eq!(test_run(&fd("core_prog"), &pkt), 2);
    // the poisoned read is dead code: the kernel accepts and skips it
    assert_eq!(test_run(&fd("core_poison"), &pkt), 2);
}

pub(crate) fn local_target_values_are_the_local_types() {
    let o = load_target(CoreTarget::Local);
    let btf = o.btf.as_ref().unwrap();
    let want = expected_types(
        btf,
        "iphdr___mine",
        "xdp_action___mine",
        "XDP_PASS___mine",
        false,
    );
    // the program folds constants: the relocated immediates sum to `want`
    let mut v: Vec<_> = o.core_relos.iter().map(|r| (r.kind, r.new_val)).collect();
    v.sort();
    assert_eq!(want, 1 + 2 + 16 * 4 + 2000 + 10000 + 200 * 100000 + 1000000);
    assert!(v.contains(&(rk::TYPE_SIZE, 16)));
    assert!(v.contains(&(rk::ENUMVAL_VALUE, 200)));
}

pub(crate) fn bitfield_relocations_follow_the_kernel_layout() {
    vmlinux();
    let o = load_target(CoreTarget::Vmlinux);
    let get = |kind, access: &str| {
        o.core_relos
            .iter()
            .find(|r| r.local_type == "iphdr___bf" && r.kind == kind && r.access == access)
            .map(|r| (r.orig_val, r.new_val))
            .unwrap()
    };
    // local: version:4 then ihl:4; kernel: ihl:4 then version:4
    assert_eq!(get(rk::FIELD_LSHIFT_U64, "0:0"), (60, 56)); // version
    assert_eq!(get(rk::FIELD_LSHIFT_U64, "0:1"), (56, 60)); // ihl
    assert_eq!(get(rk::FIELD_RSHIFT_U64, "0:0"), (60, 60));
    assert_eq!(get(rk::FIELD_BYTE_SIZE, "0:0"), (1, 1));
    assert_eq!(get(rk::FIELD_SIGNED, "0:0"), (0, 0));
}

pub(crate) fn unreadable_target_file_is_an_io_error() {
    let e = load_file_with(
        prog_path("core_reloc.o"),
        &LoadOptions {
            core_target: CoreTarget::Path("/nonexistent/vmlinux".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), bpfbox_object::ErrorKind::Io);
    assert!(e.to_string().contains("CO-RE target BTF"), "{e}");
}

pub(crate) fn objects_without_core_relos_report_no_target() {
    let o = crate::load("xdp_globals.o");
    assert!(o.core_target.is_none() && o.core_relos.is_empty());
}

pub(crate) fn flavours_of_one_type_in_a_searched_target_are_ambiguous() {
    // the object's BTF as an ordinary target (candidate search by essential
    // name, as libbpf): iphdr___mine and iphdr___bf both match "iphdr" with
    // different sizes, which libbpf refuses as ambiguous
    let btf = load_target(CoreTarget::Local).btf.unwrap();
    let e = load_file_with(
        prog_path("core_reloc.o"),
        &LoadOptions {
            core_target: CoreTarget::Btf(Box::new(btf)),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), bpfbox_object::ErrorKind::Relocation);
    assert!(e.to_string().contains("ambiguous"), "{e}");
    assert!(e.to_string().contains("type_size of 'iphdr___mine'"), "{e}");
}

pub(crate) fn load_size_follows_the_target_field_size() {
    vmlinux();
    let o = load_file_with(
        prog_path("core_more.o"),
        &LoadOptions {
            core_target: CoreTarget::Vmlinux,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = prog(&o, "core_sizes");
    let r = o
        .core_relos
        .iter()
        .find(|r| r.local_type == "iphdr___sz" && r.access == "0:1")
        .unwrap();
    let i = p.insns[r.insn_off as usize / 8];
    // local `__u64 saddr` at 8, the kernel's `__be32 saddr` at 12
    assert_eq!((r.orig_val, r.new_val), (8, 12));
    assert_eq!((i.code, i.off), (0x61, 12), "ldxdw became ldxw");
    // h_source[3]: array element access "0:1:3", kernel h_source at 6
    let r = o
        .core_relos
        .iter()
        .find(|r| r.local_type == "ethhdr___arr" && r.access == "0:1:3")
        .unwrap();
    assert_eq!((r.orig_val, r.new_val), (5, 9));
}

pub(crate) fn a_target_without_the_types_gives_zero_or_poison_by_kind() {
    // xdp_globals.o's BTF has none of the local types: type-based and
    // *_EXISTS relocations become 0, the others poison their instruction
    let other = crate::load("xdp_globals.o").btf.unwrap();
    for t in ["iphdr", "iphdr___mine", "xdp_action", "task_struct"] {
        assert!(other.find(t, kind::STRUCT).is_none() && other.find(t, kind::ENUM).is_none());
    }
    let o = load_target(CoreTarget::Btf(Box::new(other)));
    assert_eq!(o.core_target.as_deref(), Some("custom"));
    assert_eq!(o.core_relos.len(), 29);
    for r in &o.core_relos {
        if r.local_type == "xdp_md___core" {
            // struct xdp_md is there (the programs' context type)
            assert!(!r.poisoned && r.new_val == r.orig_val, "{r:?}");
            continue;
        }
        let zero = matches!(
            r.kind,
            rk::FIELD_EXISTS
                | rk::ENUMVAL_EXISTS
                | rk::TYPE_EXISTS
                | rk::TYPE_SIZE
                | rk::TYPE_ID_TARGET
                | rk::TYPE_MATCHES
        );
        if zero {
            assert!(!r.poisoned && r.new_val == 0, "{r:?}");
        } else {
            assert!(r.poisoned, "{r:?}");
        }
    }
    // a poisoned lddw (enum value) is poisoned in both slots
    let r = o
        .core_relos
        .iter()
        .find(|r| r.kind == rk::ENUMVAL_VALUE)
        .unwrap();
    let p = prog(&o, "core_types");
    let (_, start) = raw_func("core_types");
    let at = r.insn_off as usize / 8 - start;
    for i in [p.insns[at], p.insns[at + 1]] {
        assert_eq!((i.code, i.imm), (0x85, POISON_CALL_IMM));
    }
}

pub(crate) fn auto_prefers_the_kernels_btf_and_falls_back_to_local() {
    let o = load_target(CoreTarget::Auto);
    let want = if std::fs::read(VMLINUX_BTF).is_ok() {
        VMLINUX_BTF
    } else {
        "local"
    };
    assert_eq!(o.core_target.as_deref(), Some(want));
    // the plain loaders use Auto
    let plain = crate::load("core_reloc.o");
    assert_eq!(plain.core_target.as_deref(), Some(want));
    assert_eq!(plain.core_relos, o.core_relos);
}
