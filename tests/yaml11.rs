//! New strings must be read back as the same strings by YAML 1.1 readers
//! (kubectl's go-yaml v2; here PyYAML, another YAML 1.1 reader) and by YAML
//! 1.2 readers (serde-saphyr), in block and flow context, as keys and values.

use std::io::Write;
use std::process::{Command, Stdio};

use inject_otel_python::yaml::{Doc, Editor, ParseLimits, apply};
use serde_json::{Value, json};

const LIMITS: ParseLimits = ParseLimits {
    max_depth: 128,
    max_alias_expansion: 1_000_000,
};

/// Strings a careless emitter writes plain and a reader then types as
/// something else (or fails on).
const AWKWARD: &[&str] = &[
    "true",
    "True",
    "yes",
    "Yes",
    "YES",
    "no",
    "on",
    "On",
    "off",
    "y",
    "Y",
    "n",
    "N",
    "null",
    "Null",
    "~",
    "",
    "0644",
    "0777",
    "4317",
    "08",
    "1e3",
    "1_000",
    "0x1F",
    "0o755",
    "0b101",
    "+1",
    "-1",
    ".5",
    "5.",
    ".inf",
    "-.Inf",
    ".nan",
    "2001-12-14",
    "2001-12-14T21:59:43.10Z",
    "1:20",
    "=",
    "<<",
    "a: b",
    "a #b",
    "#x",
    "\tlead",
    " lead",
    "trail ",
    "- x",
    "-",
    "?",
    ":",
    "*a",
    "&a",
    "!t",
    "%x",
    "@x",
    "`x",
    "'q'",
    "\"q\"",
    "{x}",
    "[x]",
    "a, b",
    "|",
    ">",
    "multi\nline\n",
    "multi\nline",
    "\ttab first\nline",
    "keep\n\n",
    "é ü 日本 🎉",
    "\u{85}nel",
    "---",
    "...",
    "key:",
    "x\\y",
];

fn python() -> String {
    std::env::var("INJECT_OTEL_PYTHON_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("INJECT_OTEL_PYTHON_TEST_PYTHON is not set: run scripts/test.sh, which installs PyYAML in .venv")
    })
}

/// Reads YAML with PyYAML and returns it as JSON.
fn pyyaml(text: &str) -> Value {
    let mut child = Command::new(python())
        .args([
            "-c",
            "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin.read()), sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "PyYAML rejected:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn edited(input: &str, edit: impl FnOnce(&Doc<'_>, &mut Editor<'_, '_>)) -> String {
    let doc = Doc::parse(input, LIMITS).unwrap();
    let mut editor = Editor::new(&doc);
    edit(&doc, &mut editor);
    apply(input, &editor.into_patches().unwrap())
}

fn expected() -> Value {
    let values: Vec<Value> = AWKWARD.iter().map(|s| json!(s)).collect();
    let map: serde_json::Map<String, Value> = AWKWARD
        .iter()
        .enumerate()
        .map(|(i, s)| ((*s).to_string(), json!(i)))
        .collect();
    json!({"block": {"list": values, "map": map}, "flow": {"list": values, "map": map}})
}

#[test]
fn new_strings_read_back_unchanged_in_yaml_1_1_and_1_2() {
    let input =
        "block:\n  list:\n  - seed\n  map:\n    seed: 0\nflow:\n  list: [seed]\n  map: {seed: 0}\n";
    let output = edited(input, |doc, editor| {
        let root = doc.documents()[0];
        let values: Vec<Value> = AWKWARD.iter().map(|s| json!(s)).collect();
        for section in ["block", "flow"] {
            let list = doc.path(root, &[section, "list"]).unwrap();
            editor.append_items(list, &values).unwrap();
            let map = doc.path(root, &[section, "map"]).unwrap();
            for (i, key) in AWKWARD.iter().enumerate() {
                editor.insert_entry(map, key, &json!(i)).unwrap();
            }
        }
    });
    let mut want = expected();
    for section in ["block", "flow"] {
        want[section]["list"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!("seed"));
        let map = want[section]["map"].as_object_mut().unwrap();
        let mut with_seed = serde_json::Map::new();
        with_seed.insert("seed".into(), json!(0));
        with_seed.extend(std::mem::take(map));
        *map = with_seed;
    }
    assert_eq!(pyyaml(&output), want, "PyYAML (YAML 1.1) read:\n{output}");
    let saphyr: Value = serde_saphyr::from_str(&output).unwrap();
    assert_eq!(saphyr, want, "serde-saphyr (YAML 1.2) read:\n{output}");
    let doc = Doc::parse(&output, LIMITS).unwrap();
    assert_eq!(
        doc.to_value(doc.documents()[0]).unwrap(),
        want,
        "our own view read:\n{output}"
    );
}

#[test]
fn replaced_scalars_read_back_unchanged() {
    for style in ["plain", "'single'", "\"double\"", "|\n    literal\n"] {
        let input = format!("a:\n  v: {style}\n  w: [x]\n");
        for s in AWKWARD {
            let output = edited(&input, |doc, editor| {
                let v = doc.path(doc.documents()[0], &["a", "v"]).unwrap();
                editor.set_scalar(v, s).unwrap();
                let w = doc.path(doc.documents()[0], &["a", "w"]).unwrap();
                editor.set_scalar(doc.items(w)[0], s).unwrap();
            });
            let want = json!({"a": {"v": s, "w": [s]}});
            assert_eq!(pyyaml(&output), want, "PyYAML read:\n{output}");
            let saphyr: Value = serde_saphyr::from_str(&output).unwrap();
            assert_eq!(saphyr, want, "serde-saphyr read:\n{output}");
        }
    }
}
