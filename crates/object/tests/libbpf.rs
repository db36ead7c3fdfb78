//! Differential test against the system libbpf: the same object opened and
//! loaded by libbpf (tests/libbpf_dump.c) must give the same map list, the
//! same final instructions per program (ours linked with libbpf's map fds)
//! and the same BTF bytes as `btf_for_kernel`. Skipped, with the reason
//! printed, when a C compiler or libbpf is missing or loading fails for
//! lack of privileges.

use std::path::PathBuf;
use std::process::Command;

use bpfbox_isa::RawInsn;

use crate::{load, prog_path};

struct Dump {
    /// (name, type, key, value, max_entries, flags, fd)
    maps: Vec<(String, u32, u32, u32, u32, u32, i32)>,
    /// (name, section, type, expected_attach_type, autoload, insns)
    progs: Vec<(String, String, u32, u32, bool, Vec<RawInsn>)>,
    btf: Option<Vec<u8>>,
}

fn build_harness() -> Result<PathBuf, String> {
    bpfbox_testkit::build_libbpf_program(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/libbpf_dump.c"),
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
}

fn run(harness: &PathBuf, obj: &str) -> Result<Dump, String> {
    let out = Command::new(harness)
        .arg(prog_path(obj))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "libbpf failed on {obj}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let mut d = Dump {
        maps: Vec::new(),
        progs: Vec::new(),
        btf: None,
    };
    for line in text.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        let n = |i: usize| w[i].parse::<i64>().unwrap();
        match w[0] {
            "MAP" => d.maps.push((
                w[2].to_string(),
                n(3) as u32,
                n(4) as u32,
                n(5) as u32,
                n(6) as u32,
                n(7) as u32,
                n(8) as i32,
            )),
            "PROG" => d.progs.push((
                w[1].to_string(),
                w[2].to_string(),
                n(3) as u32,
                n(4) as u32,
                n(5) != 0,
                Vec::new(),
            )),
            "I" => d.progs.last_mut().unwrap().5.push(RawInsn::new(
                n(1) as u8,
                n(2) as u8,
                n(3) as u8,
                n(4) as i16,
                n(5) as i32,
            )),
            "BTF" => {
                let hex = w[1].as_bytes();
                d.btf = Some(
                    hex.chunks(2)
                        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                        .collect(),
                );
            }
            _ => panic!("bad harness line {line}"),
        }
    }
    Ok(d)
}

pub(crate) fn same_result_as_libbpf() {
    let harness = build_harness().unwrap_or_else(|why| panic!("{why}"));
    // legacy_maps.o: libbpf >= 1.0 refuses the legacy `maps` section
    for name in [
        "xdp_globals.o",
        "skb_multi.o",
        "map_in_map.o",
        "loop.o",
        "global_func.o",
        // CO-RE: both relocate against /sys/kernel/btf/vmlinux
        "core_reloc.o",
        "core_more.o",
    ] {
        let d = run(&harness, name).unwrap_or_else(|why| panic!("{why}"));
        let o = load(name);
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
        assert_eq!(o.programs.len(), d.progs.len(), "{name}: programs");
        for (p, (lname, lsec, ltype, leat, lauto, linsns)) in o.programs.iter().zip(&d.progs) {
            assert_eq!(
                (
                    &p.name,
                    &p.section,
                    p.prog_type,
                    p.expected_attach_type,
                    p.autoload
                ),
                (lname, lsec, *ltype, *leat, *lauto)
            );
            if !p.autoload {
                // libbpf neither relocates nor loads these
                continue;
            }
            let mine = p.link(|m| d.maps[m].6);
            assert_eq!(mine.len(), linsns.len(), "{name}/{}: length", p.name);
            for (i, (a, b)) in mine.iter().zip(linsns).enumerate() {
                assert_eq!(a, b, "{name}/{}: insn {i}", p.name);
            }
        }
        assert_eq!(o.btf_for_kernel(), d.btf, "{name}: kernel BTF");
    }
}
