//! Prints the running kernel's verifier log for one program of an object:
//! `klog OBJ PROG [LOG_LEVEL]` (1: state trace, 2: every instruction,
//! 4: statistics), as a probe while comparing bpfbox's verifier.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, prog, rest @ ..] = &args[..] else {
        eprintln!("usage: klog OBJ PROG [LOG_LEVEL]");
        std::process::exit(2);
    };
    let level = rest.first().and_then(|l| l.parse().ok()).unwrap_or(1);
    let obj = match bpfbox_object::load_file(std::path::Path::new(path)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let Some(def) = obj.programs.iter().find(|p| p.name == *prog) else {
        eprintln!("{path}: no program {prog}");
        std::process::exit(1);
    };
    match bpfbox::kobj::verdict(&obj, def, level) {
        Ok(v) => println!("accepted={} errno={:?}\n{}", v.accepted, v.errno, v.log),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
