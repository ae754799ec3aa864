//! The command line: flags, limits, and the one write to stdout.

use std::ffi::OsString;
use std::io::{Read, Write};

use crate::krm::{self, Function, InputError, Limits};

const HELP: &str = include_str!("help.txt");

/// Environment variables that set the limits (flags win over them).
pub const ENV_MAX_INPUT_BYTES: &str = "INJECT_OTEL_PYTHON_MAX_INPUT_BYTES";
pub const ENV_MAX_DEPTH: &str = "INJECT_OTEL_PYTHON_MAX_DEPTH";

/// Exit code for a bad command line.
const USAGE: i32 = 2;

enum Command {
    Help,
    Version,
    Schema,
    Run(Limits),
}

/// Runs the function as a process would: arguments, environment lookups,
/// stdin, stdout, stderr. Returns the exit code.
pub fn run(
    args: &[OsString],
    env: &dyn Fn(&str) -> Option<String>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    function: &dyn Function,
) -> i32 {
    let command = match parse_args(args, env) {
        Ok(c) => c,
        Err(message) => {
            let _ = writeln!(
                stderr,
                "inject-otel-python: {message}\nRun with --help for usage."
            );
            return USAGE;
        }
    };
    let limits = match command {
        Command::Help => return write_or_fail(stdout, stderr, HELP.as_bytes()),
        Command::Version => {
            let v = format!("inject-otel-python {}\n", env!("CARGO_PKG_VERSION"));
            return write_or_fail(stdout, stderr, v.as_bytes());
        }
        Command::Schema => {
            return write_or_fail(stdout, stderr, crate::config::schema_json().as_bytes());
        }
        Command::Run(limits) => limits,
    };
    let fail = |stderr: &mut dyn Write, e: InputError| {
        let _ = writeln!(stderr, "inject-otel-python: error: {e}");
        1
    };
    let src = match krm::read_input(&mut ReadAdapter(stdin), limits.max_input_bytes) {
        Ok(src) => src,
        Err(e) => return fail(stderr, e),
    };
    let outcome = match krm::process(&src, &limits, function) {
        Ok(o) => o,
        Err(e) => return fail(stderr, e),
    };
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, stdout);
    if let Err(e) = outcome
        .write_to(&mut buffered)
        .and_then(|()| buffered.flush())
    {
        return fail(stderr, InputError::Io(e));
    }
    let _ = stderr.write_all(outcome.stderr().as_bytes());
    outcome.exit_code()
}

struct ReadAdapter<'r>(&'r mut dyn Read);

impl Read for ReadAdapter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

fn write_or_fail(stdout: &mut dyn Write, stderr: &mut dyn Write, bytes: &[u8]) -> i32 {
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(stderr, "inject-otel-python: error: cannot write: {e}");
            1
        }
    }
}

fn parse_args(args: &[OsString], env: &dyn Fn(&str) -> Option<String>) -> Result<Command, String> {
    let mut limits = Limits::default();
    if let Some(v) = env(ENV_MAX_INPUT_BYTES) {
        limits.max_input_bytes =
            parse_size(&v).map_err(|e| format!("{ENV_MAX_INPUT_BYTES}: {e}"))?;
    }
    if let Some(v) = env(ENV_MAX_DEPTH) {
        limits.max_depth = parse_count(&v).map_err(|e| format!("{ENV_MAX_DEPTH}: {e}"))?;
    }
    let mut iter = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| iter.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "schema" => return Ok(Command::Schema),
            "-V" | "--version" => return Ok(Command::Version),
            "--max-input-bytes" => {
                limits.max_input_bytes = parse_size(&value("--max-input-bytes")?)?;
            }
            "--max-depth" => limits.max_depth = parse_count(&value("--max-depth")?)?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(limits))
}

/// A byte count: `1048576`, `64Ki`, `256Mi`, `1Gi`.
fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let factor: usize = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        _ => return Err(format!("{s:?} is not a size (use bytes, or Ki, Mi, Gi)")),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (use bytes, or Ki, Mi, Gi)"))?;
    n.checked_mul(factor)
        .filter(|&n| n > 0 && n < u32::MAX as usize)
        .ok_or_else(|| format!("{s:?} is out of range (1 byte to 4 GiB)"))
}

fn parse_count(s: &str) -> Result<usize, String> {
    s.parse()
        .ok()
        .filter(|&n: &usize| (1..=1000).contains(&n))
        .ok_or_else(|| format!("{s:?} is not a depth between 1 and 1000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("64Ki"), Ok(65536));
        assert_eq!(parse_size("256Mi"), Ok(256 << 20));
        assert!(parse_size("12MB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("5Gi").is_err());
    }
}
