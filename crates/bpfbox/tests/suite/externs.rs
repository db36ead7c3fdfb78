//! `__kconfig` and `__ksym` externs: resolved as the system libbpf
//! resolves them (same maps, same `.kconfig` contents, same relocated
//! instructions), set from a setup file on both engines, and what bpfbox
//! cannot run named by `prog list` and `verify` before anything runs.

use super::{kernel_usable, root};
use bpfbox::engine::{self, Engine, InterpEngine, KernelEngine, RunInput};
use bpfbox::setup::{self, Setup};
use bpfbox_isa::RawInsn;
use std::path::{Path, PathBuf};
use std::process::Command;

fn obj(name: &str) -> PathBuf {
    root().join("tests/progs/setup").join(name)
}

struct LibbpfDump {
    /// (name, type, key, value, max_entries, flags, fd)
    maps: Vec<(String, u32, u32, u32, u32, u32, i32)>,
    kconfig: Option<Vec<u8>>,
    progs: Vec<(String, Vec<RawInsn>)>,
}

fn harness() -> Result<PathBuf, String> {
    bpfbox_testkit::build_libbpf_program(
        &root().join("crates/bpfbox/tests/libbpf_externs.c"),
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
}

fn libbpf(h: &Path, o: &Path) -> Result<LibbpfDump, String> {
    let out = Command::new(h).arg(o).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut d = LibbpfDump {
        maps: Vec::new(),
        kconfig: None,
        progs: Vec::new(),
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let w: Vec<&str> = line.split(' ').collect();
        let n = |i: usize| w[i].parse::<i64>().unwrap();
        match w[0] {
            "MAP" => d.maps.push((
                w[1].to_string(),
                n(2) as u32,
                n(3) as u32,
                n(4) as u32,
                n(5) as u32,
                n(6) as u32,
                n(7) as i32,
            )),
            "KCONFIG" => d.kconfig = setup::value::parse_hex(w.get(1).copied().unwrap_or("")),
            "PROG" => d.progs.push((w[1].to_string(), Vec::new())),
            "I" => d.progs.last_mut().unwrap().1.push(RawInsn::new(
                n(1) as u8,
                n(2) as u8,
                n(3) as u8,
                n(4) as i16,
                n(5) as i32,
            )),
            _ => panic!("bad harness line {line}"),
        }
    }
    Ok(d)
}

pub(crate) fn externs_resolve_as_the_system_libbpf_resolves_them() {
    let h = harness().unwrap_or_else(|why| panic!("{why}"));
    for name in ["externs.o", "ksyms.o"] {
        let d = libbpf(&h, &obj(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let o = bpfbox::objects::load(&obj(name)).unwrap();
        let ours: Vec<_> = o
            .maps
            .iter()
            .map(|m| {
                (
                    m.kernel_name.clone(),
                    m.map_type,
                    m.key_size,
                    m.value_size,
                    m.max_entries,
                    m.map_flags,
                )
            })
            .collect();
        let theirs: Vec<_> = d
            .maps
            .iter()
            .map(|m| (m.0.clone(), m.1, m.2, m.3, m.4, m.5))
            .collect();
        assert_eq!(ours, theirs, "{name}: maps");
        let kc = o.maps.iter().find(|m| m.name == ".kconfig");
        assert_eq!(
            kc.and_then(|m| m.initial_data.clone()),
            d.kconfig,
            "{name}: .kconfig contents ({:#?})",
            o.externs
        );
        for (p, (lname, linsns)) in o.programs.iter().zip(&d.progs) {
            assert_eq!(&p.name, lname);
            let mut mine = p.link(|m| d.maps[m].6);
            // libbpf < 1.2 leaves an unresolved weak kfunc call as a kfunc
            // call of id 0; 1.2 and later poison it as bpfbox does
            for (a, b) in mine.iter_mut().zip(linsns) {
                let poisoned = a.code == 0x85
                    && a.src == 0
                    && a.imm >= bpfbox_object::externs::POISON_CALL_KFUNC_BASE;
                if poisoned && b.code == 0x85 && b.src == 2 && b.imm == 0 {
                    *a = *b;
                }
            }
            assert_eq!(&mine, linsns, "{name}/{}: relocated instructions", p.name);
        }
    }
}

fn run_on(e: &mut dyn Engine) -> u32 {
    let data = std::fs::read(root().join("examples/lb/other.bin")).unwrap();
    e.test_run(&RunInput {
        data_in: data,
        ..Default::default()
    })
    .unwrap()
    .retval
}

pub(crate) fn kconfig_values_from_a_setup_drive_both_engines() {
    let s = Setup::from_json(
        r#"{"kconfig": {"CONFIG_HZ": 100, "CONFIG_TLS": "m", "CONFIG_BPFBOX_CHAR": "y",
            "CONFIG_DEFAULT_HOSTNAME": "box", "LINUX_KERNEL_VERSION": 328704, "CONFIG_BPF_JIT": false}}"#,
        "kc.json",
    )
    .unwrap();
    let (o, _) = setup::load_object(&obj("externs.o"), Some(&s)).unwrap();
    let def = o.program("kconfig_prog").unwrap();
    let mut i = InterpEngine::new(&o, def, engine::host_like_kernel()).unwrap();
    assert_eq!(run_on(&mut i), 1, "CONFIG_HZ 100: XDP_DROP");
    let seen = i
        .dump_maps()
        .into_iter()
        .find(|m| m.name == "seen")
        .unwrap();
    let v = &seen.entries[0].1;
    let u32_at = |o: usize| u32::from_le_bytes(v[o..o + 4].try_into().unwrap());
    assert_eq!(
        (u32_at(0), u32_at(4), u32_at(12)),
        (328704, 100, 2),
        "version, hz, tls=m"
    );
    assert_eq!((v[18], v[19]), (0, b'y'), "jit n, char y");
    assert_eq!(&v[20..24], b"box\0");
    // writes to the frozen .kconfig map are refused, as in the kernel
    let kc = o.maps.iter().find(|m| m.name == ".kconfig").unwrap();
    let zeros = vec![0u8; kc.value_size as usize];
    let ie = i
        .update_map(".kconfig", &0u32.to_le_bytes(), &zeros)
        .unwrap_err();
    assert_eq!(ie.errno, Some(1), "{}", ie.message);
    if kernel_usable("kconfig_values_from_a_setup_drive_both_engines (kernel part)") {
        engine::pin_to_cpu0();
        let mut k = KernelEngine::new(&o, def).unwrap();
        assert_eq!(run_on(&mut k), 1);
        let mut d = Vec::new();
        bpfbox::diff::compare_maps(&i.dump_maps(), &k.dump_maps(), &mut d);
        assert!(d.is_empty(), "{d:#?}");
        let ke = k
            .update_map(".kconfig", &0u32.to_le_bytes(), &zeros)
            .unwrap_err();
        assert_eq!(ke.errno, ie.errno);
    }
    // a value of the wrong kind names the setup file and the extern
    let bad = Setup::from_json(r#"{"kconfig": {"CONFIG_BPF_JIT": "m"}}"#, "bad.json").unwrap();
    let e = setup::load_object(&obj("externs.o"), Some(&bad)).unwrap_err();
    assert!(
        e.contains("bad.json: kconfig.CONFIG_BPF_JIT")
            && e.contains("implies tristate or char type"),
        "{e}"
    );
}

pub(crate) fn typeless_ksyms_agree_and_kfuncs_run_on_the_kernel_only() {
    let (o, _) = setup::load_object(&obj("ksyms.o"), None).unwrap();
    let def = o.program("typeless").unwrap();
    let mut i = InterpEngine::new(&o, def, engine::host_like_kernel()).unwrap();
    let ri = run_on(&mut i);
    let kf = o.program("kfunc").unwrap();
    let resolved = o.externs.iter().any(|e| {
        e.name == "bpf_dynptr_from_xdp"
            && matches!(e.resolution, bpfbox_object::Resolution::KernelBtfId(_))
    });
    if resolved {
        let err = InterpEngine::new(&o, kf, engine::host_like_kernel())
            .err()
            .unwrap();
        assert!(
            err.message.contains("kfunc bpf_dynptr_from_xdp"),
            "{}",
            err.message
        );
    }
    engine::pin_to_cpu0();
    let mut k = KernelEngine::new(&o, def).unwrap();
    assert_eq!(run_on(&mut k), ri);
    let mut d = Vec::new();
    bpfbox::diff::compare_maps(&i.dump_maps(), &k.dump_maps(), &mut d);
    assert!(d.is_empty(), "{d:#?}");
    if resolved {
        let mut k = KernelEngine::new(&o, kf).unwrap();
        assert_eq!(
            run_on(&mut k),
            2,
            "the kfunc ran, the poisoned weak call was skipped"
        );
    }
}

fn bpfbox(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfbox")
}

pub(crate) fn prog_list_and_verify_name_what_bpfbox_does_not_run() {
    let o = bpfbox(&["prog", "list", "tests/progs/setup/unsupported.o", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<String> = v["unsupported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} {}",
                m["what"].as_str().unwrap(),
                m["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        names.contains(&"helper bpf_user_ringbuf_drain#209".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"map type user_ringbuf (map `from_user`)".to_string()),
        "{names:?}"
    );
    let o = bpfbox(&["verify", "tests/progs/setup/unsupported.o"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "the verifier accepts it: {out}");
    assert!(
        out.contains("drain: not supported by bpfbox: helper bpf_user_ringbuf_drain#209"),
        "{out}"
    );
    let o = bpfbox(&[
        "run",
        "tests/progs/setup/unsupported.o",
        "--data-in",
        "examples/lb/other.bin",
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("bpf_user_ringbuf_drain") && e.contains("user_ringbuf"),
        "{e}"
    );
    // externs: listed with their values
    let o = bpfbox(&["prog", "list", "tests/progs/setup/externs.o"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("LINUX_KERNEL_VERSION (kconfig int) = "),
        "{out}"
    );
    assert!(
        out.contains("CONFIG_BPFBOX_NEVER_SET (kconfig int, weak) = 0"),
        "{out}"
    );
    // a typed ksym or kfunc resolved in the kernel's BTF is named
    // kfuncs and typed ksyms resolve against the kernel's BTF
    let o = bpfbox(&["verify", "tests/progs/setup/ksym_typed.o"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("typed ksym bpf_prog_active"), "{out}");
    let o = bpfbox(&["prog", "list", "tests/progs/setup/ksyms.o"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("kfunc bpf_dynptr_from_xdp (needed by kfunc)"),
        "{out}"
    );
}
