//! The engine under the real `kpt` (1.0.0-beta.56): `kpt fn eval --exec`
//! and `kpt fn render` with a Kptfile `exec:` mutator, driving the
//! test-only `edit-probe` example (tests/probe/edit_probe.rs).
//!
//! kpt rewrites every file itself (it re-serialises the items it reads and
//! restores comments, key order and list indentation; see
//! docs/yaml-engine.md §8.2), so the files are first run through `cat` as a
//! no-op function. That output is the baseline: a probe run must write the
//! baseline plus exactly the lines the probe adds, and nothing else.
//!
//! `kpt` and `git` must be on PATH: the test fails (it does not skip)
//! without them.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

const DEPLOY: &str = include_str!("fixtures/kpt/deploy.yaml");
const STORE: &str = include_str!("fixtures/kpt/store.yaml");

/// The separator before the Service in `store.yaml`.
const SERVICE_SEPARATOR: &str = "\n---\n";

/// Lines the probe must add, each block right after the one baseline line
/// equal to `after` (which must occur exactly once in that file).
struct Insert {
    after: &'static str,
    lines: &'static [&'static str],
}

/// `deploy.yaml` uses wide lists: the first container has no `env` and no
/// `volumeMounts` (both new keys at the end of the container), and the pod
/// has no `volumes` (a new key at the end of the pod spec, after the last
/// container).
const DEPLOY_INSERTS: &[Insert] = &[
    Insert {
        after: "              memory: 256Mi",
        lines: &[
            "          env:",
            "            - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "              value: http://otel-collector:4318",
            "            - name: PROBE_PORT",
            "              value: \"4317\"",
            "          volumeMounts:",
            "            - name: probe",
            "              mountPath: /probe",
        ],
    },
    Insert {
        after: "              value: \"sidecar\"",
        lines: &[
            "      volumes:",
            "        - name: probe",
            "          emptyDir: {}",
        ],
    },
];

/// `store.yaml` uses compact lists and already has `env`, `volumeMounts`
/// and `volumes`: the probe appends to each.
const STORE_INSERTS: &[Insert] = &[
    Insert {
        after: "          value: 'on'",
        lines: &[
            "        - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "          value: http://otel-collector:4318",
            "        - name: PROBE_PORT",
            "          value: \"4317\"",
        ],
    },
    Insert {
        after: "          mountPath: /var/lib/store",
        lines: &["        - name: probe", "          mountPath: /probe"],
    },
    Insert {
        after: "        emptyDir: {}",
        lines: &["      - name: probe", "        emptyDir: {}"],
    },
];

const INFO_WEB: &str = "[info] apps/v1/Deployment/shop/web: probe: edited the first container";
const INFO_STORE: &str = "[info] apps/v1/StatefulSet/shop/store: probe: edited the first container";
const ERROR_WEB: &str = "[error] apps/v1/Deployment/shop/web spec.template.spec.containers[0]: \
                         probe: failing on purpose";
const ERROR_STORE: &str = "[error] apps/v1/StatefulSet/shop/store \
                           spec.template.spec.containers[0]: probe: failing on purpose";

/// Files of the package (relative path → content), `.git` excluded.
type Files = BTreeMap<String, String>;

#[test]
fn kpt_writes_the_baseline_plus_exactly_the_probe_edits() {
    let kpt = Kpt::find();
    let probe = probe_path();
    let tmp = tempfile::tempdir().expect("create a temp dir");
    let pkg = tmp.path().join("pkg");
    fs::create_dir(&pkg).expect("create the package dir");
    fs::write(pkg.join("Kptfile"), kptfile(&probe, None)).expect("write Kptfile");
    fs::write(pkg.join("deploy.yaml"), DEPLOY).expect("write deploy.yaml");
    fs::write(pkg.join("store.yaml"), STORE).expect("write store.yaml");
    let git = Git::init(&pkg);
    let original = read_package(&pkg);

    // Baseline: kpt with a no-op function.
    let out = kpt.run(tmp.path(), &["fn", "eval", path_str(&pkg), "--exec", "cat"]);
    assert_success(&out, "kpt fn eval --exec cat (baseline)");
    let noise = git.run(&["diff"]);
    if noise.trim().is_empty() {
        eprintln!("kpt baseline (cat) changed nothing");
    } else {
        eprintln!("kpt baseline noise (cat), compared against below:\n{noise}");
    }
    assert_eq!(
        git.run(&["status", "--porcelain", "--untracked-files=all"])
            .lines()
            .filter(|l| l.starts_with("??"))
            .count(),
        0,
        "the no-op run created files"
    );
    let baseline = read_package(&pkg);
    git.reset_hard("HEAD");

    // The Service is never touched, by kpt itself or by the probe.
    let service = service_of(&original["store.yaml"]);
    assert_eq!(
        service_of(&baseline["store.yaml"]),
        service,
        "kpt itself changed the Service (pick a kpt-clean fixture)"
    );

    let probe_arg = shell_quote(path_str(&probe));
    let eval: &[&str] = &["fn", "eval", path_str(&pkg), "--exec", &probe_arg];
    let render: &[&str] = &["fn", "render", path_str(&pkg), "--allow-exec"];
    let mut written = Vec::new();
    for (label, args) in [("kpt fn eval --exec", eval), ("kpt fn render", render)] {
        let out = kpt.run(tmp.path(), args);
        let text = assert_success(&out, label);
        for line in [INFO_WEB, INFO_STORE] {
            assert!(
                text.contains(line),
                "{label}: no `{line}` in kpt's output:\n{text}"
            );
        }

        let files = read_package(&pkg);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            baseline.keys().collect::<Vec<_>>(),
            "{label}: the set of files changed"
        );
        assert_eq!(
            files["Kptfile"], baseline["Kptfile"],
            "{label}: Kptfile changed"
        );
        assert_only_inserts(
            label,
            "deploy.yaml",
            &baseline["deploy.yaml"],
            &files["deploy.yaml"],
            DEPLOY_INSERTS,
        );
        assert_only_inserts(
            label,
            "store.yaml",
            &baseline["store.yaml"],
            &files["store.yaml"],
            STORE_INSERTS,
        );
        assert_eq!(
            service_of(&files["store.yaml"]),
            service,
            "{label}: the Service is not byte-identical"
        );

        // A second run over the first run's output changes nothing.
        git.commit_all(&format!("after {label}"));
        let again = kpt.run(tmp.path(), args);
        let text = assert_success(&again, &format!("{label} (second run)"));
        assert!(
            !text.contains("edited the first container"),
            "{label}: the second run edited again:\n{text}"
        );
        let diff = git.run(&["diff", "HEAD"]);
        assert!(
            diff.is_empty(),
            "{label}: the second run is not a no-op:\n{diff}"
        );
        let status = git.run(&["status", "--porcelain", "--untracked-files=all"]);
        assert!(
            status.is_empty(),
            "{label}: the second run left files:\n{status}"
        );

        written.push(files);
        git.reset_hard("HEAD~1");
        assert_eq!(read_package(&pkg), original, "reset to the original commit");
    }
    assert_eq!(
        written[0], written[1],
        "kpt fn eval and kpt fn render wrote different files"
    );
}

#[test]
fn kpt_reports_error_results_and_leaves_files_alone() {
    let kpt = Kpt::find();
    let probe = probe_path();
    let tmp = tempfile::tempdir().expect("create a temp dir");
    let pkg = tmp.path().join("pkg");
    fs::create_dir(&pkg).expect("create the package dir");
    // The render case reads `fail` from the Kptfile's configMap.
    fs::write(pkg.join("Kptfile"), kptfile(&probe, Some("fail: \"true\""))).expect("write Kptfile");
    fs::write(pkg.join("deploy.yaml"), DEPLOY).expect("write deploy.yaml");
    fs::write(pkg.join("store.yaml"), STORE).expect("write store.yaml");
    let git = Git::init(&pkg);
    let original = read_package(&pkg);

    let probe_arg = shell_quote(path_str(&probe));
    let eval_results = tmp.path().join("eval-results");
    let render_results = tmp.path().join("render-results");
    let cases: [(&str, Vec<&str>, &Path); 2] = [
        (
            "kpt fn eval --exec … -- fail=true",
            vec![
                "fn",
                "eval",
                path_str(&pkg),
                "--exec",
                &probe_arg,
                "--results-dir",
                path_str(&eval_results),
                "--",
                "fail=true",
            ],
            &eval_results,
        ),
        (
            "kpt fn render (configMap fail: \"true\")",
            vec![
                "fn",
                "render",
                path_str(&pkg),
                "--allow-exec",
                "--results-dir",
                path_str(&render_results),
            ],
            &render_results,
        ),
    ];
    for (label, args, results_dir) in cases {
        let out = kpt.run(tmp.path(), &args);
        let text = combined(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{label}: exit status {}:\n{text}",
            out.status
        );
        let status = git.run(&["status", "--porcelain", "--untracked-files=all"]);
        assert!(
            status.is_empty(),
            "{label}: files changed on failure:\n{status}"
        );
        assert_eq!(
            read_package(&pkg),
            original,
            "{label}: files changed on failure"
        );

        // kpt's display: the results, then the function's stderr summary
        // (quoted line by line), then the exit code.
        let results_file = results_dir.join("results.yaml");
        for needle in [
            format!("[FAIL] \"{}\"", path_str(&probe)),
            format!("    {ERROR_WEB}\n"),
            format!("    {ERROR_STORE}\n"),
            "  Stderr:\n".to_owned(),
            "\"inject-otel-python: 2 errors, 0 warnings\"".to_owned(),
            format!("\"  {ERROR_WEB} (deploy.yaml)\""),
            format!("\"  {ERROR_STORE} (store.yaml)\""),
            "  Exit code: 1\n".to_owned(),
            format!("For complete results, see {}", path_str(&results_file)),
        ] {
            assert!(
                text.contains(&needle),
                "{label}: no `{needle}` in kpt's output:\n{text}"
            );
        }
        assert!(
            !text.contains("edited the first container"),
            "{label}: edits reported:\n{text}"
        );

        let yaml = fs::read_to_string(&results_file)
            .unwrap_or_else(|e| panic!("{label}: read {}: {e}", results_file.display()));
        let list: Value = serde_saphyr::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{label}: results.yaml is not YAML ({e}):\n{yaml}"));
        let context = format!("{label}: results.yaml:\n{yaml}");
        assert_eq!(list["kind"], "FunctionResultList", "{context}");
        assert_eq!(list["exitCode"], 1, "{context}");
        let items = list["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items; {context}"));
        assert_eq!(items.len(), 1, "{context}");
        let item = &items[0];
        assert_eq!(item["exec"], path_str(&probe), "{context}");
        assert_eq!(item["exitCode"], 1, "{context}");
        let stderr = item["stderr"]
            .as_str()
            .unwrap_or_else(|| panic!("no stderr; {context}"));
        assert!(
            stderr.starts_with("inject-otel-python: 2 errors, 0 warnings\n"),
            "{context}"
        );
        let results = item["results"]
            .as_array()
            .unwrap_or_else(|| panic!("no results; {context}"));
        let expected = [
            ("Deployment", "web", "deploy.yaml"),
            ("StatefulSet", "store", "store.yaml"),
        ];
        assert_eq!(results.len(), expected.len(), "{context}");
        for (result, (kind, name, file)) in results.iter().zip(expected) {
            assert_eq!(result["severity"], "error", "{context}");
            assert_eq!(result["message"], "probe: failing on purpose", "{context}");
            assert_eq!(result["resourceRef"]["apiVersion"], "apps/v1", "{context}");
            assert_eq!(result["resourceRef"]["kind"], kind, "{context}");
            assert_eq!(result["resourceRef"]["name"], name, "{context}");
            assert_eq!(result["resourceRef"]["namespace"], "shop", "{context}");
            assert_eq!(
                result["field"]["path"], "spec.template.spec.containers[0]",
                "{context}"
            );
            assert_eq!(result["file"]["path"], file, "{context}");
            assert_eq!(result["tags"]["check"], "probe", "{context}");
        }
    }
}

/// The Kptfile, with the probe as its one mutator.
fn kptfile(probe: &Path, config_map: Option<&str>) -> String {
    let mut text = format!(
        "apiVersion: kpt.dev/v1\n\
         kind: Kptfile\n\
         metadata:\n\
        \x20 name: pkg\n\
        \x20 annotations:\n\
        \x20   config.kubernetes.io/local-config: \"true\"\n\
         info:\n\
        \x20 description: kpt integration fixture for inject-otel-python\n\
         pipeline:\n\
        \x20 mutators:\n\
        \x20   - exec: {}\n",
        shell_quote(path_str(probe))
    );
    if let Some(data) = config_map {
        text.push_str(&format!("      configMap:\n        {data}\n"));
    }
    text
}

/// Asserts that `actual` is `baseline` with exactly `inserts` added:
/// first that no baseline line is missing (the line diff removes
/// nothing), then that the result is exactly the expected text.
fn assert_only_inserts(label: &str, file: &str, baseline: &str, actual: &str, inserts: &[Insert]) {
    let base: Vec<&str> = baseline.split_inclusive('\n').collect();
    let got: Vec<&str> = actual.split_inclusive('\n').collect();
    // Greedy subsequence match: every baseline line must appear, in order.
    let mut rest = got.iter();
    let first_missing = base.iter().find(|&&line| !rest.any(|&g| g == line));
    assert!(
        first_missing.is_none(),
        "{label}: {file}: lines were removed or changed (first missing: {first_missing:?}):\n{}",
        line_diff(&base, &got)
    );

    let mut at: Vec<(usize, &Insert)> = inserts
        .iter()
        .map(|insert| {
            let hits: Vec<usize> = base
                .iter()
                .enumerate()
                .filter(|(_, line)| line.trim_end_matches(['\n', '\r']) == insert.after)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(
                hits.len(),
                1,
                "{label}: {file}: anchor `{}` must occur exactly once in the baseline:\n{baseline}",
                insert.after
            );
            (hits[0], insert)
        })
        .collect();
    at.sort_by_key(|&(i, _)| i);
    let mut expected = String::new();
    let mut next = at.iter().peekable();
    for (i, line) in base.iter().enumerate() {
        expected.push_str(line);
        while let Some((_, insert)) = next.next_if(|&&(j, _)| j == i) {
            for added in insert.lines {
                expected.push_str(added);
                expected.push('\n');
            }
        }
    }
    assert!(
        expected == actual,
        "{label}: {file}: the added lines differ from the expected ones.\n\
         expected → written:\n{}\nbaseline → written:\n{}",
        line_diff(&expected.split_inclusive('\n').collect::<Vec<_>>(), &got),
        line_diff(&base, &got)
    );
}

/// A plain LCS line diff (` `, `-`, `+` prefixes), for failure messages.
fn line_diff(a: &[&str], b: &[&str]) -> String {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    let mut push = |mark: char, line: &str| {
        out.push(mark);
        out.push_str(line.trim_end_matches(['\n', '\r']));
        out.push('\n');
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            push(' ', a[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            push('+', b[j]);
            j += 1;
        } else {
            push('-', a[i]);
            i += 1;
        }
    }
    out
}

/// The text of the `---`-separated Service document in `store.yaml`.
fn service_of(store: &str) -> &str {
    let (_, service) = store
        .split_once(SERVICE_SEPARATOR)
        .unwrap_or_else(|| panic!("no `---` before the Service in store.yaml:\n{store}"));
    assert!(
        service.contains("kind: Service\n"),
        "not the Service:\n{service}"
    );
    service
}

/// Every file of the package except `.git`, by relative path.
fn read_package(pkg: &Path) -> Files {
    fn walk(root: &Path, dir: &Path, files: &mut Files) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
                .path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                files.insert(rel, text);
            }
        }
    }
    let mut files = Files::new();
    walk(pkg, pkg, &mut files);
    files
}

/// `target/debug/examples/edit-probe`, next to the crate's binary.
fn probe_path() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_inject-otel-python"));
    let dir = bin
        .parent()
        .unwrap_or_else(|| panic!("no parent dir of {}", bin.display()));
    let probe = dir
        .join("examples")
        .join(format!("edit-probe{}", std::env::consts::EXE_SUFFIX));
    let built = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(probe_built) = built(&probe) else {
        panic!(
            "the edit-probe example is not built at {}: run `cargo build --examples` \
             (a plain `cargo test` builds it; `cargo test --test kpt` does not)",
            probe.display()
        );
    };
    // `cargo test --test kpt` rebuilds the binary but not the example: an
    // example linked well before the binary predates the current engine.
    if let Some(bin_built) = built(bin) {
        let lag = bin_built.duration_since(probe_built).unwrap_or_default();
        assert!(
            lag < Duration::from_secs(60),
            "{} is {}s older than {}: it was built from an older engine; \
             run `cargo build --examples` (or a plain `cargo test`)",
            probe.display(),
            lag.as_secs(),
            bin.display()
        );
    }
    probe
}

fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 path: {}", path.display()))
}

/// Quotes a path for kpt's shlex split of `--exec` and `exec:`.
fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// stdout followed by stderr (kpt prints its progress on stderr).
fn combined(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_success(out: &Output, label: &str) -> String {
    let text = combined(out);
    assert!(
        out.status.success(),
        "{label} failed ({}):\n{text}",
        out.status
    );
    assert!(
        text.contains("[PASS]"),
        "{label}: no [PASS] in kpt's output:\n{text}"
    );
    text
}

struct Kpt {
    version: String,
}

impl Kpt {
    /// Fails the test, clearly, when `kpt` is not on PATH.
    fn find() -> Kpt {
        match Command::new("kpt").arg("version").output() {
            Ok(out) if out.status.success() => Kpt {
                version: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            },
            Ok(out) => panic!("`kpt version` failed ({}):\n{}", out.status, combined(&out)),
            Err(e) if e.kind() == ErrorKind::NotFound => panic!(
                "`kpt` is not on PATH: these integration tests need the real kpt \
                 (1.0.0-beta.56, https://github.com/kptdev/kpt/releases); install it and re-run"
            ),
            Err(e) => panic!("cannot run `kpt`: {e}"),
        }
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new("kpt")
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap_or_else(|e| panic!("run kpt {} (kpt {}): {e}", args.join(" "), self.version))
    }
}

/// A throwaway git repository holding the package.
struct Git {
    dir: PathBuf,
}

impl Git {
    fn init(dir: &Path) -> Git {
        let git = Git {
            dir: dir.to_owned(),
        };
        git.run(&["init", "-q"]);
        git.run(&["config", "user.name", "kpt test"]);
        git.run(&["config", "user.email", "kpt-test@example.com"]);
        git.run(&["config", "commit.gpgsign", "false"]);
        git.run(&["config", "core.autocrlf", "false"]);
        git.commit_all("original");
        git
    }

    fn commit_all(&self, message: &str) {
        self.run(&["add", "-A"]);
        self.run(&[
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
        ]);
    }

    fn reset_hard(&self, rev: &str) {
        self.run(&["reset", "-q", "--hard", rev]);
        self.run(&["clean", "-q", "-fdx"]);
    }

    /// Runs git in the package; fails the test on error; returns stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap_or_else(|e| match e.kind() {
                ErrorKind::NotFound => panic!("`git` is not on PATH: these tests need git"),
                _ => panic!("run git {}: {e}", args.join(" ")),
            });
        assert!(
            out.status.success(),
            "git {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            combined(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
