//! Verification cost, bpfbox against the kernel (issue 10, item 5).
//!
//! For every program of the test objects (`tests/progs/**.o`,
//! `examples/*.o`) and the large programs of `tests/progs/bench` (an XDP
//! load balancer, a firewall): bpfbox's verification time (median of
//! `--repeat` runs of the entry point `bpfbox verify` uses) against the
//! kernel's own numbers from its log at `BPF_LOG_STATS` (`verification
//! time N usec`, `processed N insns`), also a median over the repeats.
//!
//! ```text
//! cargo bench -p bpfbox --bench verify_cost                 # table
//! cargo bench -p bpfbox --bench verify_cost -- --repeat 21 lb
//! cargo bench -p bpfbox --bench verify_cost -- --all        # every program
//! ```
//!
//! Without root or `bpf()`, the kernel columns say why they are empty.
//! Columns: slots (`insns`), processed instructions and verification time
//! of the kernel (`k-`) and of bpfbox (`b-`; its count only when it
//! accepts), both verdicts (`b/k`) and the time ratio bpfbox/kernel.

use bpfbox_object::{Object, ProgramDef};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn objects() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "o") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&root().join("tests/progs"), &mut v);
    walk(&root().join("examples"), &mut v);
    v.sort();
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The kernel's statistics of one load at `BPF_LOG_STATS`.
struct KernelStats {
    accepted: bool,
    usec: u64,
    processed: u64,
}

fn number_after(log: &str, prefix: &str) -> Option<u64> {
    let i = log.find(prefix)? + prefix.len();
    log[i..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
}

fn kernel_stats(obj: &Object, def: &ProgramDef) -> Result<KernelStats, String> {
    let v = bpfbox::kobj::verdict(obj, def, 4).map_err(|e| e.to_string())?;
    Ok(KernelStats {
        accepted: v.accepted,
        usec: number_after(&v.log, "verification time ")
            .ok_or("no verification time in the log")?,
        processed: number_after(&v.log, "processed ").ok_or("no processed count in the log")?,
    })
}

/// bpfbox's verdict, processed-instruction count and time (µs) of one
/// run of the full verifier (what `bpfbox verify` runs).
fn bpfbox_once(obj: &Object, def: &ProgramDef) -> (bool, Option<u64>, f64) {
    let t = Instant::now();
    let r = match bpfbox_isa::decode(&def.insns) {
        Ok(insns) => bpfbox::engine::check_object(obj, def, &insns).ok(),
        Err(_) => None,
    };
    let us = t.elapsed().as_secs_f64() * 1e6;
    (r.is_some(), r.map(|v| v.processed), us)
}

struct Row {
    name: String,
    insns: usize,
    ours_ok: bool,
    ours_processed: Option<u64>,
    ours_us: f64,
    kernel: Result<(bool, f64, u64), String>,
}

fn measure(obj: &Object, def: &ProgramDef, repeat: usize, kernel: bool) -> Row {
    let mut ours = Vec::new();
    let (mut ok, mut processed) = (false, None);
    for _ in 0..repeat {
        let (a, p, us) = bpfbox_once(obj, def);
        (ok, processed) = (a, p);
        ours.push(us);
    }
    let kernel = if !kernel {
        Err("kernel unavailable".to_string())
    } else if def.attach_target().is_some() {
        Err("attaches by BTF id".to_string())
    } else {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..repeat {
            match kernel_stats(obj, def) {
                Ok(s) => {
                    times.push(s.usec as f64);
                    last = Some((s.accepted, s.processed));
                }
                Err(e) => {
                    last = None;
                    times.clear();
                    eprintln!("{}: {e}", def.name);
                    break;
                }
            }
        }
        match last {
            Some((a, p)) => Ok((a, median(times), p)),
            None => Err("not loaded".to_string()),
        }
    };
    Row {
        name: def.name.clone(),
        insns: def.insns.len(),
        ours_ok: ok,
        ours_processed: processed,
        ours_us: median(ours),
        kernel,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "refused"
    }
}

fn print_row(object: &str, r: &Row) {
    let (kv, kus, kp) = match &r.kernel {
        Ok((a, us, p)) => (verdict(*a).to_string(), format!("{us:.0}"), p.to_string()),
        Err(e) => (e.clone(), "-".into(), "-".into()),
    };
    let ratio = match &r.kernel {
        Ok((_, us, _)) if *us > 0.0 => format!("{:.2}", r.ours_us / us),
        _ => "-".into(),
    };
    println!(
        "{:<44} {:>6} {:>9} {:>10} {:>9} {:>10} {:>10} {:>7}",
        format!("{object}:{}", r.name),
        r.insns,
        kp,
        kus,
        r.ours_processed.map_or("-".to_string(), |p| p.to_string()),
        format!("{:.1}", r.ours_us),
        format!("{}/{}", verdict(r.ours_ok), kv),
        ratio,
    );
}

fn main() {
    let mut repeat = 5usize;
    let mut all = false;
    let mut filter = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| {
                        eprintln!("verify_cost: --repeat needs a positive number");
                        std::process::exit(2)
                    })
            }
            "--all" => all = true,
            "--bench" => {}
            s if s.starts_with('-') => {}
            s => filter = Some(s.to_string()),
        }
    }
    let kernel = match bpfbox::kernel::availability() {
        Ok(()) => true,
        Err(e) => {
            println!("kernel columns empty: {e}");
            false
        }
    };
    println!(
        "{:<44} {:>6} {:>9} {:>10} {:>9} {:>10} {:>10} {:>7}",
        "program", "insns", "k-proc", "k-usec", "b-proc", "b-usec", "b/k", "time b/k"
    );
    let mut rows: Vec<(String, Row)> = Vec::new();
    for path in objects() {
        let rel = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let Ok(obj) = bpfbox_object::load_file(&path) else {
            continue;
        };
        let short = rel
            .trim_start_matches("tests/progs/")
            .trim_end_matches(".o");
        for def in &obj.programs {
            let key = format!("{short}:{}", def.name);
            if filter.as_deref().is_some_and(|f| !key.contains(f)) {
                continue;
            }
            rows.push((short.to_string(), measure(&obj, def, repeat, kernel)));
        }
    }
    // Large programs and the heaviest test programs, one row each; the
    // rest in the totals unless --all.
    let processed = |r: &Row| r.kernel.as_ref().map_or(0, |k| k.2);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(processed(&rows[i].1)));
    for &i in &order {
        let (object, r) = &rows[i];
        if all || filter.is_some() || object.starts_with("bench/") || processed(r) >= 1000 {
            print_row(object, r);
        }
    }
    // Totals over the programs the kernel accepts (a refusal at the 1M
    // limit would dominate everything else).
    let (mut ours, mut kern, mut kproc, mut bproc, mut n) = (0.0, 0.0, 0u64, 0u64, 0);
    for (_, r) in &rows {
        if let (Ok((true, us, p)), Some(b)) = (&r.kernel, r.ours_processed) {
            ours += r.ours_us;
            kern += us;
            kproc += p;
            bproc += b;
            n += 1;
        }
    }
    println!(
        "TOTAL over the {n} programs both accept: kernel {kproc} insns processed in {kern:.0} \
         usec; bpfbox {bproc} insns in {ours:.0} usec (time ratio {:.2}); medians of {repeat} \
         runs each",
        if kern > 0.0 { ours / kern } else { f64::NAN }
    );
}
