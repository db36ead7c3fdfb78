//! In a `harness = false` test binary a `#[test]` attribute silently never
//! runs: every test must be listed in the binary's `bpfbox_testkit::main!`.
//! This test walks the module tree of every such binary of the workspace
//! and fails on any `#[test]` left in it.

use std::path::{Path, PathBuf};

/// `(crate dir, test root file)` of every `harness = false` `[[test]]`.
fn harness_false_roots(root: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(toml) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        for block in toml.split("[[test]]").skip(1) {
            let block = block.split("\n[").next().unwrap_or("");
            if !block.contains("harness = false") {
                continue;
            }
            let path = block
                .lines()
                .find_map(|l| l.trim().strip_prefix("path = "))
                .map(|p| p.trim_matches('"'))
                .expect("[[test]] with a path");
            roots.push(dir.join(path));
        }
    }
    roots
}

/// The files of the module tree under `file` (`mod x;` declarations).
fn module_files(file: &Path, is_root: bool, out: &mut Vec<PathBuf>) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    out.push(file.to_path_buf());
    let name = file.file_stem().unwrap().to_string_lossy();
    let dir = if is_root || name == "mod" || name == "main" {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    for line in text.lines() {
        let l = line.trim();
        let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
        let l = l.strip_prefix("pub ").unwrap_or(l);
        let Some(m) = l.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')) else {
            continue;
        };
        for cand in [dir.join(format!("{m}.rs")), dir.join(m).join("mod.rs")] {
            if cand.exists() {
                module_files(&cand, false, out);
                break;
            }
        }
    }
}

#[test]
fn no_test_attribute_in_harness_false_binaries() {
    let root = bpfbox_testkit::repo_root();
    let roots = harness_false_roots(root);
    assert!(roots.len() >= 10, "found only {roots:?}");
    let mut bad = Vec::new();
    for r in &roots {
        let mut files = Vec::new();
        module_files(r, true, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[test]") {
                    bad.push(format!("{}:{}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "#[test] in harness = false binaries never runs; list these in main! instead:\n{}",
        bad.join("\n")
    );
}
