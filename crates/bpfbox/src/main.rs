//! The `bpfbox` command-line tool: a thin layer over the `bpfbox` library.
//! Each command builds a report; `cli::output` renders it as text or JSON.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
