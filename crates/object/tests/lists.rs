//! Program and map lists, relocations and debug info of each object.

use bpfbox_isa::raw::op;
use bpfbox_isa::{decode, Insn, LdImm64};
use bpfbox_object::{DataKind, MapInit, MapKind, MapRef, Object, ProgramDef};
use bpfbox_uapi::{attach_type as at, prog_type as pt};

use crate::{load, LOADABLE};

fn progs(o: &Object) -> Vec<(&str, &str, u32, u32)> {
    o.programs
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.section.as_str(),
                p.prog_type,
                p.expected_attach_type,
            )
        })
        .collect()
}

/// (name, kind, type, key, value, max_entries, flags)
fn maps(o: &Object) -> Vec<(&str, MapKind, u32, u32, u32, u32, u32)> {
    o.maps
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.kind,
                m.map_type,
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags,
            )
        })
        .collect()
}

/// The slot a bpf-to-bpf call or callback address at `at` points to.
fn call_target(p: &ProgramDef, at: usize) -> usize {
    (at as i64 + i64::from(p.insns[at].imm) + 1) as usize
}

fn func_start(p: &ProgramDef, name: &str) -> usize {
    p.func_info
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no func_info {name}"))
        .insn as usize
}

const RO: u32 = 0x80; // BPF_F_RDONLY_PROG
const MMAP: u32 = 0x400; // BPF_F_MMAPABLE

pub(crate) fn every_object_decodes_placeholder_and_linked() {
    for name in LOADABLE {
        let o = load(name);
        assert!(!o.programs.is_empty(), "{name}");
        for p in &o.programs {
            let d = decode(&p.insns).unwrap_or_else(|e| panic!("{name}/{}: {e:?}", p.name));
            for &(slot, r) in &p.map_refs {
                let want = match r {
                    MapRef::Map(m) => LdImm64::MapIdx(m as i32),
                    MapRef::MapValue { map, off } => LdImm64::MapIdxValue {
                        idx: map as i32,
                        off,
                    },
                };
                assert!(
                    matches!(d[slot], Insn::LdImm64 { value, .. } if value == want),
                    "{name}/{} slot {slot}",
                    p.name
                );
            }
            let linked = p.link(|m| 100 + m as i32);
            let d = decode(&linked).unwrap();
            for &(slot, r) in &p.map_refs {
                let want = match r {
                    MapRef::Map(m) => LdImm64::MapFd(100 + m as i32),
                    MapRef::MapValue { map, off } => LdImm64::MapValue {
                        fd: 100 + map as i32,
                        off,
                    },
                };
                assert!(
                    matches!(d[slot], Insn::LdImm64 { value, .. } if value == want),
                    "{name}/{} slot {slot}",
                    p.name
                );
            }
            // no placeholders left after linking
            assert!(!linked.iter().any(|i| i.code == 0x18
                && (i.src == op::PSEUDO_MAP_IDX || i.src == op::PSEUDO_MAP_IDX_VALUE)));
            // func_info starts at 0 and line_info is sorted and in range
            assert_eq!(
                p.func_info.first().map(|f| f.insn),
                Some(0),
                "{name}/{}",
                p.name
            );
            assert!(p.line_info.windows(2).all(|w| w[0].insn <= w[1].insn));
            assert!(p
                .line_info
                .iter()
                .all(|l| (l.insn as usize) < p.insns.len()));
        }
    }
}

pub(crate) fn xdp_globals() {
    let o = load("xdp_globals.o");
    assert_eq!(o.license, "GPL");
    assert_eq!(o.name, "xdp_globals");
    assert_eq!(o.kern_version, None);
    assert_eq!(o.programs[0].attach_target(), None);
    assert_eq!(progs(&o), [("xdp_count", "xdp", pt::XDP, at::XDP)]);
    let rodata = MapKind::Data(DataKind::Rodata);
    let data = MapKind::Data(DataKind::Data);
    assert_eq!(
        maps(&o),
        [
            // libbpf order: by offset in .maps, where clang put `pairs` first
            ("pairs", MapKind::Btf, 2, 4, 16, 4, 0),
            ("counts", MapKind::Btf, 1, 4, 8, 64, 0),
            ("scratch", MapKind::Btf, 6, 4, 8, 1, 0),
            (".rodata", rodata, 2, 4, 16, 1, RO | MMAP),
            (".data", data, 2, 4, 8, 1, MMAP),
            (".data.custom", data, 2, 4, 4, 1, MMAP),
            (".bss", MapKind::Data(DataKind::Bss), 2, 4, 16, 1, MMAP),
        ]
    );
    let m = |n: &str| o.map_index(n).unwrap();
    assert_eq!(o.maps[m(".rodata")].kernel_name, "xdp_glob.rodata");
    assert_eq!(o.maps[m(".data.custom")].kernel_name, ".data.custom");
    // .rodata: limit = 1000 at 0, magic at 8
    let ro = o.maps[m(".rodata")].initial_data.clone().unwrap();
    assert_eq!(&ro[0..4], &1000u32.to_le_bytes());
    assert_eq!(&ro[8..16], &0x1122334455667788u64.to_le_bytes());
    assert_eq!(
        o.maps[m(".data")].initial_data.as_deref(),
        Some(&7u64.to_le_bytes()[..])
    );
    assert_eq!(
        o.maps[m(".bss")].initial_data.as_deref(),
        Some(&[0u8; 16][..])
    );
    assert_eq!(
        o.maps[m(".data.custom")].initial_data.as_deref(),
        Some(&42u32.to_le_bytes()[..])
    );
    // BTF ids: counts' key is __u32, the .rodata map's value is its DATASEC
    let btf = o.btf.as_ref().unwrap();
    assert_eq!(btf.type_name(o.maps[m("counts")].btf_key_type_id), "__u32");
    assert_eq!(btf.type_name(o.maps[m("pairs")].btf_value_type_id), "pair");
    assert_eq!(
        btf.type_name(o.maps[m(".rodata")].btf_value_type_id),
        ".rodata"
    );

    let p = &o.programs[0];
    let mut refs: Vec<MapRef> = p.map_refs.iter().map(|&(_, r)| r).collect();
    refs.sort_by_key(|r| format!("{r:?}"));
    refs.dedup();
    let v = |map: usize, off: u32| MapRef::MapValue { map, off };
    let mut want = vec![
        MapRef::Map(m("counts")),
        MapRef::Map(m("pairs")),
        v(m(".rodata"), 0),
        v(m(".rodata"), 8),
        v(m(".data"), 0),
        v(m(".data.custom"), 0),
        v(m(".bss"), 0),
        v(m(".bss"), 8),
    ];
    want.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(refs, want);
    // the static sub-program is appended and the call points at it
    assert_eq!(
        p.func_info
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["xdp_count", "bump"]
    );
    let bump = func_start(p, "bump");
    let calls: Vec<usize> = (0..p.insns.len())
        .filter(|&i| p.insns[i].code == 0x85 && p.insns[i].src == 1)
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(call_target(p, calls[0]), bump);
    // line info: file, line text
    let l = p
        .line_info
        .iter()
        .find(|l| l.text.contains("hits += 1"))
        .expect("line of `hits += 1`");
    assert!(l.file.ends_with("xdp_globals.c"));
    assert_eq!(l.line, 57);
    assert!(l.col > 0);
    assert_eq!(
        p.line_for(p.insns.len() - 1).map(|l| l.file.as_str()),
        Some(l.file.as_str())
    );
}

pub(crate) fn skb_multi() {
    let o = load("skb_multi.o");
    // libbpf order: ELF section index, then offset inside the section
    let want = [
        ("tc_prog", "tc", pt::SCHED_CLS, 0),
        ("tc_second", "tc", pt::SCHED_CLS, 0),
        ("cls_prog", "classifier", pt::SCHED_CLS, 0),
        ("sock_prog", "socket", pt::SOCKET_FILTER, 0),
        (
            "cg_ingress",
            "cgroup_skb/ingress",
            pt::CGROUP_SKB,
            at::CGROUP_INET_INGRESS,
        ),
        (
            "cg_egress",
            "cgroup_skb/egress",
            pt::CGROUP_SKB,
            at::CGROUP_INET_EGRESS,
        ),
        ("lwt_in_prog", "lwt_in", pt::LWT_IN, 0),
        ("lwt_out_prog", "lwt_out", pt::LWT_OUT, 0),
        ("lwt_xmit_prog", "lwt_xmit", pt::LWT_XMIT, 0),
    ];
    assert_eq!(progs(&o), want);
    assert_eq!(
        maps(&o),
        [
            ("events", MapKind::Btf, 27, 0, 0, 4096, 0),
            ("by_proto", MapKind::Btf, 5, 4, 8, 16, 0),
            ("lru", MapKind::Btf, 9, 8, 4, 128, 0),
        ]
    );
    // note_len calls account: both appended, in depth-first order
    let cls = o.program("cls_prog").unwrap();
    let names: Vec<&str> = cls.func_info.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["cls_prog", "note_len", "account"]);
    let (nl, acc) = (func_start(cls, "note_len"), func_start(cls, "account"));
    let calls: Vec<usize> = (0..cls.insns.len())
        .filter(|&i| cls.insns[i].code == 0x85 && cls.insns[i].src == 1)
        .collect();
    assert_eq!(
        calls
            .iter()
            .map(|&c| call_target(cls, c))
            .collect::<Vec<_>>(),
        [nl, acc]
    );
    assert!(
        calls[1] >= nl && calls[1] < acc,
        "second call is inside note_len"
    );
    // programs that do not call note_len do not carry it
    let tc2 = o.program("tc_second").unwrap();
    assert_eq!(tc2.func_info.len(), 1);
    assert!(tc2.map_refs.is_empty());
    let tc = o.program("tc_prog").unwrap();
    assert_eq!(
        tc.map_refs[0].1,
        MapRef::Map(o.map_index("events").unwrap())
    );
}

pub(crate) fn map_in_map() {
    let o = load("map_in_map.o");
    assert_eq!(
        progs(&o),
        [
            ("tail_target", "tc", pt::SCHED_CLS, 0),
            ("entry", "tc", pt::SCHED_CLS, 0)
        ]
    );
    assert_eq!(
        maps(&o),
        [
            ("inner_a", MapKind::Btf, 2, 4, 4, 2, 0),
            ("inner_b", MapKind::Btf, 2, 4, 4, 2, 0),
            ("outer", MapKind::Btf, 12, 4, 4, 4, 0),
            ("jumps", MapKind::Btf, 3, 4, 4, 3, 0),
            ("outer_hash", MapKind::Btf, 13, 4, 4, 8, 0),
        ]
    );
    let outer = &o.maps[2];
    let inner = outer.inner.as_ref().unwrap();
    assert_eq!(
        (
            inner.map_type,
            inner.key_size,
            inner.value_size,
            inner.max_entries
        ),
        (2, 4, 4, 2)
    );
    assert_eq!(
        outer.init_slots,
        [(0, MapInit::Map(0)), (2, MapInit::Map(1))]
    );
    let hinner = o.maps[4].inner.as_ref().unwrap();
    assert_eq!(
        (
            hinner.map_type,
            hinner.key_size,
            hinner.value_size,
            hinner.max_entries
        ),
        (1, 4, 8, 16)
    );
    assert!(o.maps[4].init_slots.is_empty());
    assert_eq!(o.maps[3].init_slots, [(1, MapInit::Program(0))]);
    assert!(o.maps[3].inner.is_none());
}

pub(crate) fn legacy_maps() {
    let o = load("legacy_maps.o");
    assert_eq!(o.license, "Dual BSD/GPL");
    assert_eq!(o.kern_version, Some(0x060000));
    assert_eq!(
        progs(&o),
        [("legacy_filter", "socket", pt::SOCKET_FILTER, 0)]
    );
    assert_eq!(
        maps(&o),
        [
            ("legacy_hash", MapKind::Legacy, 1, 4, 8, 32, 0),
            ("legacy_array", MapKind::Legacy, 2, 4, 4, 8, 0)
        ]
    );
    let refs: Vec<MapRef> = o.programs[0].map_refs.iter().map(|&(_, r)| r).collect();
    assert_eq!(refs, [MapRef::Map(0), MapRef::Map(0), MapRef::Map(1)]);
}

pub(crate) fn bpf_loop_callback() {
    let o = load("loop.o");
    let rodata = MapKind::Data(DataKind::Rodata);
    assert_eq!(
        maps(&o),
        [
            (".rodata", rodata, 2, 4, 4, 1, RO | MMAP),
            (".rodata.cst16", rodata, 2, 4, 16, 1, RO),
            (".rodata.str1.1", rodata, 2, 4, 14, 1, RO),
        ]
    );
    let p = &o.programs[0];
    assert_eq!(
        p.func_info
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["xdp_loop", "add_one", "square"]
    );
    // the callback address: lddw with BPF_PSEUDO_FUNC pointing at add_one
    let d = decode(&p.insns).unwrap();
    let funcs: Vec<usize> = d
        .iter()
        .filter_map(|i| {
            if let Insn::LdImm64 {
                value: LdImm64::Func(t),
                ..
            } = i
            {
                Some(*t)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(funcs, [func_start(p, "add_one")]);
    // add_one -> square: a relocation-less call inside .text, re-pointed
    let sq = func_start(p, "square");
    let calls: Vec<usize> = (0..p.insns.len())
        .filter(|&i| p.insns[i].code == 0x85 && p.insns[i].src == 1)
        .collect();
    assert_eq!(
        calls.iter().map(|&c| call_target(p, c)).collect::<Vec<_>>(),
        [sq]
    );
    // "done" string: .rodata.str1.1 value at offset 9 ("sum %llu\0" comes first)
    let str_map = o.map_index(".rodata.str1.1").unwrap();
    assert!(p.map_refs.iter().any(|&(_, r)| r
        == MapRef::MapValue {
            map: str_map,
            off: 9
        }));
    let data = o.maps[str_map].initial_data.as_ref().unwrap();
    assert_eq!(&data[9..14], b"done\0");
    // .rodata `step` referenced from the callback (appended code)
    assert!(p
        .map_refs
        .iter()
        .any(|&(slot, r)| r == MapRef::MapValue { map: 0, off: 0 }
            && slot > func_start(p, "add_one")));
}

pub(crate) fn global_function_and_flagged_sections() {
    let o = load("global_func.o");
    assert_eq!(
        progs(&o),
        [
            ("xdp_frags_prog", "xdp.frags", pt::XDP, at::XDP),
            ("devmap_prog", "xdp/devmap", pt::XDP, at::XDP_DEVMAP),
            (
                "verdict_prog",
                "sk_skb/stream_verdict",
                pt::SK_SKB,
                at::SK_SKB_STREAM_VERDICT
            ),
            ("lazy_prog", "socket", pt::SOCKET_FILTER, 0),
        ]
    );
    let autoload: Vec<bool> = o.programs.iter().map(|p| p.autoload).collect();
    assert_eq!(autoload, [true, true, true, false]);
    // hidden global sub-program: global FUNC in .BTF, static in the kernel's copy
    use bpfbox_object::btf::{kind, FUNC_GLOBAL};
    let btf = o.btf.as_ref().unwrap();
    let kbtf = bpfbox_object::Btf::parse(&o.btf_for_kernel().unwrap()).unwrap();
    let hid = btf.find("hidden_sub", kind::FUNC).unwrap();
    assert_eq!(btf.type_by_id(hid).unwrap().vlen, FUNC_GLOBAL);
    assert_eq!(kbtf.type_by_id(hid).unwrap().vlen, 0);
    let gadd = btf.find("global_add", kind::FUNC).unwrap();
    assert_eq!(kbtf.type_by_id(gadd).unwrap().vlen, FUNC_GLOBAL);
    assert!(o.maps.is_empty());
    let xdp = &o.programs[0];
    assert_eq!(xdp.prog_flags, bpfbox_uapi::prog_flags::F_XDP_HAS_FRAGS);
    assert_eq!(xdp.sec_def.pattern, "xdp.frags");
    assert_eq!(o.programs[1].prog_flags, 0);
    // call relocated against the global symbol itself (imm = -1 in the ELF)
    for p in &o.programs[..2] {
        let g = func_start(p, "global_add");
        let calls: Vec<usize> = (0..p.insns.len())
            .filter(|&i| p.insns[i].code == 0x85 && p.insns[i].src == 1)
            .collect();
        assert_eq!(
            calls.iter().map(|&c| call_target(p, c)).collect::<Vec<_>>(),
            [g],
            "{}",
            p.name
        );
    }
    assert_eq!(o.programs[2].func_info.len(), 2);
    assert_eq!(o.programs[3].func_info.len(), 1);
}

pub(crate) fn btf_attach_targets() {
    let o = load("tracing.o");
    assert_eq!(
        progs(&o),
        [
            (
                "on_unlink",
                "fentry/do_unlinkat",
                pt::TRACING,
                at::TRACE_FENTRY
            ),
            (
                "on_switch",
                "tp_btf/sched_switch",
                pt::TRACING,
                at::TRACE_RAW_TP
            ),
            ("on_open", "lsm.s/file_open", pt::LSM, at::LSM_MAC),
        ]
    );
    let targets: Vec<Option<&str>> = o.programs.iter().map(|p| p.attach_target()).collect();
    assert_eq!(
        targets,
        [Some("do_unlinkat"), Some("sched_switch"), Some("file_open")]
    );
    let flags: Vec<u32> = o.programs.iter().map(|p| p.prog_flags).collect();
    assert_eq!(flags, [0, 0, bpfbox_uapi::prog_flags::F_SLEEPABLE]);
}
