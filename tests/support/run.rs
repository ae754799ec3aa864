//! Running the real binaries in tests.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_inject-otel-python"))
}

/// The engine with the test probe's edits (`tests/support/probe.rs`).
pub fn probe() -> PathBuf {
    let dir = bin().parent().map(PathBuf::from).unwrap_or_default();
    let path = dir.join("examples").join("edit-probe");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --examples`",
        path.display()
    );
    path
}

/// Runs `exe` with `args`, feeding `stdin`; fails the test if it runs longer
/// than `limit` (a hang is a defect, whatever the input).
pub fn run_with(
    exe: &PathBuf,
    args: &[&str],
    envs: &[(&str, &str)],
    stdin: &[u8],
    limit: Duration,
) -> Run {
    let mut child = Command::new(exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The function may stop reading early (input too large): ignore EPIPE.
        let _ = input.write_all(&data);
    });
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{} did not finish within {limit:?}", exe.display());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    let out = std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_ne!(run.code, Some(101), "panic:\n{}", run.stderr);
    assert!(run.code.is_some(), "killed by a signal:\n{}", run.stderr);
    run
}

pub fn run(exe: &PathBuf, stdin: &str) -> Run {
    run_with(exe, &[], &[], stdin.as_bytes(), Duration::from_secs(60))
}
