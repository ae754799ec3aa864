#![deny(clippy::unwrap_used, clippy::expect_used)]

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
        &inject_otel_python::function::Injector,
    );
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
