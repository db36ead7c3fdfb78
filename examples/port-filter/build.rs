//! Builds bpf/port_filter.c with clang-19 when it is installed, else uses
//! the committed object, so the tests run on machines without clang.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("port_filter.o");
    let src = dir.join("bpf/port_filter.c");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=bpf/port_filter.o");
    let arch = std::env::consts::ARCH;
    let built = Command::new("clang-19")
        .args(["-O2", "-g", "-target", "bpf"])
        .arg(format!("-I/usr/include/{arch}-linux-gnu"))
        .arg(format!("-fdebug-prefix-map={}=.", dir.display()))
        .arg("-c")
        .arg("bpf/port_filter.c")
        .current_dir(&dir)
        .arg("-o")
        .arg(&out)
        .status();
    match built {
        Ok(s) if s.success() => println!("cargo:rustc-env=PORT_FILTER_BUILT=clang-19"),
        _ => {
            std::fs::copy(dir.join("bpf/port_filter.o"), &out).expect("the committed object");
            println!("cargo:rustc-env=PORT_FILTER_BUILT=committed");
        }
    }
    println!("cargo:rustc-env=PORT_FILTER_OBJ={}", out.display());
}
