//! The engine driven by a small edit of its own (see tests/support/probe.rs),
//! built as an executable for the kpt and kustomize tests.

#[path = "../support/probe.rs"]
mod probe;

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let code = inject_otel_python::cli::run(
        &args,
        &|name| std::env::var(name).ok(),
        &mut io::stdin().lock(),
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
        &probe::EditProbe,
    );
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
