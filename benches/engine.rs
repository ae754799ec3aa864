//! Throughput of the engine on generated ResourceLists of 1,000 and 10,000
//! workloads (see benches/support/gen.rs): the parse-only floor (saphyr
//! events, then our tree build), pass-through, and an edit of every
//! workload (the edit probe of tests/support/probe.rs), each written out.
//!
//! `cargo bench --bench engine` runs the divan benchmarks (add
//! `-- --sort location` to list them in the order below); divan's
//! throughput row is MB/s of input. Under `cargo test --benches` each runs
//! once on a hundredth of the workloads. The same binary has modes of its
//! own, used by scripts/bench.sh to measure whole processes (wall time, peak
//! RSS):
//!
//! ```text
//! engine --generate N OUT        write a list of N workloads to OUT (- for
//!                                stdout), checked through the engine; a
//!                                summary and any warning go to stderr
//! engine --floor MODE < input    read stdin as the binary does, then:
//!                                read (nothing more), saphyr (iterate the
//!                                parser's events), doc (Doc::parse)
//! engine --run FUNCTION < input  run as the binary does (cli::run, stdin to
//!                                stdout) with FUNCTION: passthrough or edit
//! engine --phases < input        time each step of a run in-process
//! ```

#[path = "support/gen.rs"]
mod generator;
#[path = "../tests/support/probe.rs"]
mod probe;

use std::error::Error;
use std::ffi::OsString;
use std::fs;
use std::hint::black_box;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use divan::Bencher;
use divan::counter::BytesCount;
use inject_otel_python::Passthrough;
use inject_otel_python::krm::{
    self, Function, InputError, Limits, Outcome, ResourceList, Results, Severity,
};
use inject_otel_python::yaml::{Doc, Editor, ParseError, ParseLimits, write_patched};
use saphyr_parser::{Parser, ScanError};
use serde_json::{Value, json};

type BoxError = Box<dyn Error>;

const SIZES: [usize; 2] = [1_000, 10_000];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench -- ARGS` appends `--bench`; our modes ignore it.
    let ours: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let result = match ours.as_slice() {
        ["--generate", n, out] => generate(n, out),
        ["--floor", mode] => floor(mode),
        ["--run", which] => run_cli(which),
        ["--phases"] => phases(),
        [first, ..] if matches!(*first, "--generate" | "--floor" | "--run" | "--phases") => {
            Err("usage: engine --generate N OUT | --floor read|saphyr|doc \
             | --run passthrough|edit | --phases"
                .into())
        }
        _ => {
            // divan runs each bench once, as a test, without `--bench`
            // (`cargo test --benches`): a hundredth of the input does.
            let test = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
            TEST_MODE.store(test, Ordering::Relaxed);
            divan::main();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------
// The work being measured, shared by the divan benches and the modes.

fn parse_limits() -> ParseLimits {
    let limits = Limits::default();
    ParseLimits {
        max_depth: limits.max_depth,
        max_alias_expansion: limits.max_alias_expansion,
    }
}

/// The parser alone: every event, nothing kept. Returns the event count.
fn saphyr_events(src: &str) -> Result<usize, ScanError> {
    let mut parser = Parser::new_from_str(src);
    let mut events = 0;
    while let Some(event) = parser.next_event() {
        black_box(event?);
        events += 1;
    }
    Ok(events)
}

/// Our tree build on top of the parser. Returns the node count.
fn doc_parse(src: &str) -> Result<usize, ParseError> {
    Doc::parse(src, parse_limits()).map(|doc| doc.node_count())
}

/// What the binary does between reading stdin and exiting: process, then
/// write the output (here to a sink). Returns the number of results.
fn run(src: &str, function: &dyn Function) -> Result<usize, InputError> {
    let outcome = krm::process(src, &Limits::default(), function)?;
    outcome.write_to(&mut io::sink())?;
    Ok(outcome.results.len())
}

/// Checks that a generated list goes through the engine as expected:
/// pass-through leaves it unchanged, the probe edits every workload with a
/// pod template and its output parses again.
fn check(src: &str, n_workloads: usize) -> Result<(), BoxError> {
    let outcome = krm::process(src, &Limits::default(), &Passthrough)?;
    if !outcome.is_unchanged() || outcome.exit_code() != 0 {
        return Err("pass-through changed the generated list".into());
    }
    let outcome = krm::process(src, &Limits::default(), &probe::EditProbe)?;
    let edited = count(&outcome, Severity::Info);
    let expected = generator::editable_workloads(n_workloads);
    if outcome.exit_code() != 0 || edited != expected {
        return Err(format!(
            "the probe edited {edited} workloads of {expected} (exit code {}):\n{}",
            outcome.exit_code(),
            outcome.stderr()
        )
        .into());
    }
    let output = outcome.output();
    let before = doc_parse(src)?;
    let after = doc_parse(&output)?;
    if after <= before {
        return Err("the edited list has no more nodes than the input".into());
    }
    Ok(())
}

/// Reads the input and the probe's output with serde-saphyr (an
/// independent YAML reader) and checks that every item of the output is the
/// input item with exactly the probe's additions.
fn oracle_check(src: &str) -> Result<(), BoxError> {
    let outcome = krm::process(src, &Limits::default(), &probe::EditProbe)?;
    // Our own input: no budget (the default one stops at 250,000 nodes).
    let read = |text: &str| {
        serde_saphyr::from_str_with_options::<Value>(text, serde_saphyr::options! { budget: None })
    };
    let before = read(src)?;
    let after = read(&outcome.output())?;
    let (Some(items), Some(edited)) = (before["items"].as_array(), after["items"].as_array())
    else {
        return Err("no items".into());
    };
    if items.len() != edited.len() {
        return Err(format!("{} items became {}", items.len(), edited.len()).into());
    }
    let (mut wrong, mut first) = (0, None);
    for (i, (item, got)) in items.iter().zip(edited).enumerate() {
        let mut want = item.clone();
        // What the probe adds: to the first container of a pod template
        // at spec.template.spec (not a CronJob's), two env vars and a
        // mount, and a volume to the pod.
        if let Some(pod) = want
            .pointer_mut("/spec/template/spec")
            .filter(|pod| pod["containers"].is_array())
        {
            let container = &mut pod["containers"][0];
            push(
                &mut container["env"],
                json!({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector:4318"}),
            );
            push(
                &mut container["env"],
                json!({"name": "PROBE_PORT", "value": "4317"}),
            );
            push(
                &mut container["volumeMounts"],
                json!({"name": "probe", "mountPath": "/probe"}),
            );
            push(
                &mut pod["volumes"],
                json!({"name": "probe", "emptyDir": {}}),
            );
        }
        if *got != want {
            wrong += 1;
            if first.is_none() {
                let name = item["metadata"]["name"].as_str().unwrap_or("?");
                let at = first_difference(&want, got, String::new());
                first = Some(format!("items[{i}] ({name}), at {at}"));
            }
        }
    }
    match first {
        None => Ok(()),
        Some(first) => Err(format!(
            "{wrong} of {} items are not the input plus the probe's additions; first: {first}",
            items.len()
        )
        .into()),
    }
}

/// Where two JSON values first differ, with both sides there.
fn first_difference(want: &Value, got: &Value, path: String) -> String {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return first_difference(v, w, format!("{path}.{k}")),
                    None => break,
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                if v != w {
                    return first_difference(v, w, format!("{path}[{i}]"));
                }
            }
        }
        _ => {}
    }
    format!("{path}: want {want}, got {got}")
}

/// Appends to a JSON list, making it when missing.
fn push(list: &mut Value, value: Value) {
    match list {
        Value::Array(items) => items.push(value),
        other => *other = Value::Array(vec![value]),
    }
}

fn count(outcome: &Outcome<'_>, severity: Severity) -> usize {
    outcome
        .results
        .iter()
        .filter(|r| r.severity == severity)
        .count()
}

// ---------------------------------------------------------------------------
// divan benchmarks.

/// True when divan runs the benches as tests.
static TEST_MODE: AtomicBool = AtomicBool::new(false);

/// The generated, checked input of `n` workloads (a hundredth of that in
/// test mode), built once per process.
fn input(n: usize) -> &'static str {
    static SMALL: OnceLock<Result<String, String>> = OnceLock::new();
    static LARGE: OnceLock<Result<String, String>> = OnceLock::new();
    let cell = if n == SIZES[0] { &SMALL } else { &LARGE };
    let built = cell.get_or_init(|| {
        let n = if TEST_MODE.load(Ordering::Relaxed) {
            n / 100
        } else {
            n
        };
        let src = generator::resource_list(n);
        check(&src, n)
            .map(|()| src)
            .map_err(|e| format!("the generated list of {n} workloads: {e}"))
    });
    match built {
        Ok(src) => src,
        Err(e) => {
            // A generator or engine bug: no figure would mean anything.
            eprintln!("engine: {e}");
            std::process::exit(1);
        }
    }
}

fn bench_on<T>(bencher: Bencher<'_, '_>, n: usize, work: impl Fn(&str) -> T + Sync) {
    let src = input(n);
    bencher
        .counter(BytesCount::of_str(src))
        .bench(|| work(black_box(src)));
}

/// Parse-only floor: saphyr-parser events, nothing kept.
#[divan::bench(args = SIZES, sample_count = 10)]
fn parse_events(bencher: Bencher<'_, '_>, n: usize) {
    bench_on(bencher, n, saphyr_events);
}

/// Parse-only floor of the engine: the node tree with repaired ranges.
#[divan::bench(args = SIZES, sample_count = 10)]
fn parse_doc(bencher: Bencher<'_, '_>, n: usize) {
    bench_on(bencher, n, doc_parse);
}

/// `process` with no edits, written to a sink.
#[divan::bench(args = SIZES, sample_count = 10)]
fn passthrough(bencher: Bencher<'_, '_>, n: usize) {
    bench_on(bencher, n, |src| run(src, &Passthrough));
}

/// `process` editing every workload, written to a sink.
#[divan::bench(args = SIZES, sample_count = 10)]
fn edit_all(bencher: Bencher<'_, '_>, n: usize) {
    bench_on(bencher, n, |src| run(src, &probe::EditProbe));
}

// ---------------------------------------------------------------------------
// Modes for scripts/bench.sh.

/// `--generate N OUT`: writes a checked list of N workloads.
fn generate(n: &str, out: &str) -> Result<(), BoxError> {
    let n: usize = n
        .replace('_', "")
        .parse()
        .map_err(|e| format!("N must be a count of workloads: {e}"))?;
    let src = generator::resource_list(n);
    check(&src, n).map_err(|e| format!("the generated list of {n} workloads: {e}"))?;
    // The edit's output checked against an independent reader; a mismatch
    // is an engine defect to report, not a reason to withhold the figures.
    if let Err(e) = oracle_check(&src) {
        eprintln!("engine: warning: the edited {n}-workload list is wrong: {e}");
    }
    // For scripts: what the list holds, on stderr.
    eprintln!(
        "workloads={n} editable={} bytes={}",
        generator::editable_workloads(n),
        src.len()
    );
    if out == "-" {
        let mut stdout = io::stdout().lock();
        stdout.write_all(src.as_bytes())?;
        stdout.flush()?;
    } else {
        fs::write(out, &src)?;
    }
    Ok(())
}

fn read_stdin() -> Result<String, InputError> {
    krm::read_input(&mut io::stdin().lock(), Limits::default().max_input_bytes)
}

/// `--floor MODE`: reads stdin as the binary does, then parses only.
fn floor(mode: &str) -> Result<(), BoxError> {
    let src = read_stdin()?;
    let units = match mode {
        "read" => src.len(),
        "saphyr" => saphyr_events(&src)?,
        "doc" => doc_parse(&src)?,
        other => return Err(format!("unknown floor {other:?} (read, saphyr, doc)").into()),
    };
    black_box(units);
    Ok(())
}

/// `--run FUNCTION`: what the binary does (`cli::run`, stdin to stdout),
/// with pass-through or the edit probe, whichever function `main.rs` runs.
fn run_cli(which: &str) -> Result<(), BoxError> {
    let function: &dyn Function = match which {
        "passthrough" => &Passthrough,
        "edit" => &probe::EditProbe,
        other => return Err(format!("unknown function {other:?} (passthrough, edit)").into()),
    };
    let code = inject_otel_python::cli::run(
        &[OsString::from("engine")],
        &|name| std::env::var(name).ok(),
        &mut io::stdin().lock(),
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
        function,
    );
    match code {
        0 => Ok(()),
        code => Err(format!("the run exited with {code}").into()),
    }
}

/// `--phases`: times each phase of a run on stdin, in-process: the steps
/// of `krm::process` one by one (edit all), then the whole runs. Best of 3.
fn phases() -> Result<(), BoxError> {
    let t = Instant::now();
    let src = read_stdin()?;
    let read = t.elapsed();
    let mut steps = [Duration::MAX; 8];
    let mut stats = (0, 0, 0, 0);
    for _ in 0..3 {
        let mut lap = Instant::now();
        let mut time = |i: usize, steps: &mut [Duration; 8]| {
            steps[i] = steps[i].min(lap.elapsed());
            lap = Instant::now();
        };
        let events = saphyr_events(&src)?;
        time(0, &mut steps);
        let doc = Doc::parse(&src, parse_limits())?;
        time(1, &mut steps);
        let list = ResourceList::from_doc(&doc)?;
        time(2, &mut steps);
        let mut editor = Editor::new(&doc);
        let mut results = Results::default();
        probe::EditProbe.run(&list, &mut editor, &mut results);
        time(3, &mut steps);
        let patches = editor.into_patches()?;
        time(4, &mut steps);
        write_patched(&src, &patches, &mut io::sink())?;
        time(5, &mut steps);
        stats = (events, doc.node_count(), doc.line_count(), patches.len());
        drop((list, patches, results));
        drop(doc);
        time(6, &mut steps);
        run(&src, &Passthrough)?;
        time(7, &mut steps);
    }
    let mut edit_total = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        run(&src, &probe::EditProbe)?;
        edit_total = edit_total.min(t.elapsed());
    }
    let (events, nodes, lines, patches) = stats;
    let mb = src.len() as f64 / 1e6;
    println!(
        "input {mb:.2} MB: {lines} lines, {events} parser events, {nodes} nodes \
         ({:.1} bytes of input per node), {patches} patches",
        src.len() as f64 / nodes.max(1) as f64
    );
    println!("{:<36} {:>9} {:>9}", "phase (best of 3)", "ms", "MB/s");
    let names = [
        "parse floor: saphyr events",
        "Doc::parse",
        "ResourceList::from_doc",
        "EditProbe::run (plan the edits)",
        "Editor::into_patches",
        "write_patched (to a sink)",
        "drop the Doc",
        "total: pass-through + write",
    ];
    let rows = std::iter::once(("read stdin (first run only)", read))
        .chain(names.into_iter().zip(steps))
        .chain(std::iter::once(("total: edit all + write", edit_total)));
    for (name, d) in rows {
        let s = d.as_secs_f64();
        println!("{name:<36} {:>9.1} {:>9.1}", s * 1e3, mb / s);
    }
    Ok(())
}
