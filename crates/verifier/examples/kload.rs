//! Probe: assemble pseudo-C from stdin, load it into the running kernel
//! (program type id from argv[1], default socket filter) and print the
//! verifier log. Used to ask the kernel how it treats a snippet.
use std::io::Read;

fn main() {
    let ty: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).unwrap();
    let raw = match bpfbox_asm::assemble(&text.replace(';', "\n")) {
        Ok(r) => r,
        Err(e) => return eprintln!("assemble: {e}"),
    };
    match bpfbox_kernel::ProgLoad::new(ty, &raw).log_level(2).load() {
        Ok(_) => println!("ACCEPTED"),
        Err(e) => println!("REFUSED\n{}", e.log().unwrap_or("")),
    }
}
