//! Hostile input: a clear message and a non-zero exit, never a panic (exit
//! 101), a hang, or output that loses items.

mod support;

use std::time::Duration;

use support::run::{Run, bin, run_with};

const LIMIT: Duration = Duration::from_secs(20);

fn feed(input: &[u8]) -> Run {
    run_with(&bin(), &[], &[], input, LIMIT)
}

/// The run failed cleanly: exit 1, nothing on stdout, the message on stderr.
fn assert_refused(out: &Run, message: &str) {
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "", "no partial output");
    assert!(
        out.stderr.contains(message),
        "expected {message:?} in {:?}",
        out.stderr
    );
}

#[test]
fn malformed_yaml_reports_line_and_column() {
    let out =
        feed(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: [1, 2\n");
    assert_refused(&out, "the input is not valid YAML: line 5, column 1:");
    let out = feed(b"kind: ResourceList\nitems:\n  - a: b\n   c: d\n");
    assert_refused(&out, "the input is not valid YAML: line 4, column");
    let out = feed(b"kind: ResourceList\nitems:\n- key:\tvalue\n");
    assert_refused(&out, "the input is not valid YAML: line 3");
}

#[test]
fn refuses_what_is_not_a_resource_list() {
    for (input, message) in [
        ("", "not a ResourceList: the input is empty"),
        (
            "# only a comment\n",
            "not a ResourceList: the input is empty",
        ),
        (
            "just a string\n",
            "not a ResourceList: the document is not a mapping",
        ),
        (
            "- a\n- b\n",
            "not a ResourceList: the document is not a mapping",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
            "kind is \"Deployment\"",
        ),
        (
            "apiVersion: v1\nitems: []\n",
            "not a ResourceList: it has no kind",
        ),
        (
            "kind: ResourceList\n",
            "it has neither items nor functionConfig",
        ),
        ("kind: ResourceList\nitems: {a: b}\n", "items is not a list"),
        (
            "kind: ResourceList\nitems:\n- just a string\n",
            "items[0] is not an object",
        ),
        (
            "kind: ResourceList\nitems: []\nfunctionConfig: [a]\n",
            "functionConfig is not an object",
        ),
        (
            "kind: ResourceList\nitems: []\n---\nkind: ResourceList\nitems: []\n",
            "holds 2 YAML documents",
        ),
    ] {
        assert_refused(&feed(input.as_bytes()), message);
    }
}

#[test]
fn refuses_invalid_utf8_with_its_position() {
    let out = feed(b"kind: ResourceList\nitems:\n- name: caf\xe9\n");
    assert_refused(
        &out,
        "the input is not valid UTF-8 (line 3, column 12, byte 37)",
    );
}

#[test]
fn refuses_duplicate_keys() {
    let out =
        feed(b"kind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  kind: Secret\n");
    assert_refused(&out, "line 5, column 3: duplicate mapping key \"kind\"");
    // Quoting does not make a key different.
    let out = feed(b"kind: ResourceList\nitems:\n- {a: 1, \"a\": 2}\n");
    assert_refused(&out, "duplicate mapping key \"a\"");
    // Large mappings use a hash set; the rule is the same.
    let mut big = String::from("kind: ResourceList\nitems:\n- data:\n");
    for i in 0..100 {
        big.push_str(&format!("    k{i}: v\n"));
    }
    big.push_str("    k42: again\n");
    assert_refused(&feed(big.as_bytes()), "duplicate mapping key \"k42\"");
}

#[test]
fn refuses_alias_bombs_quickly() {
    let mut bomb = String::from(
        "kind: ResourceList\nitems: []\nfunctionConfig:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let out = feed(bomb.as_bytes());
    assert_refused(
        &out,
        "aliases expand to more than 1000000 nodes (an alias bomb?)",
    );
}

#[test]
fn refuses_nesting_deeper_than_the_limit() {
    let deep_flow = format!(
        "kind: ResourceList\nitems: []\nfunctionConfig: {{a: {}{}}}\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    // The parser's own flow-level guard may fire before ours; either way the
    // message says where.
    let out = feed(deep_flow.as_bytes());
    assert_refused(&out, "the input is not valid YAML: line 3, column ");
    assert!(
        out.stderr.contains("nesting deeper than 128 levels")
            || out.stderr.contains("recursion limit exceeded")
    );

    let mut block = String::from("kind: ResourceList\nitems: []\nfunctionConfig:\n");
    for depth in 1..=140 {
        block.push_str(&" ".repeat(depth * 2));
        block.push_str("k:\n");
    }
    assert_refused(&feed(block.as_bytes()), "nesting deeper than 128 levels");
}

#[test]
fn depth_limit_is_settable_by_flag_and_environment() {
    // Six levels: the list, items, the item, a, b, c.
    let input = b"kind: ResourceList\nitems:\n- {a: {b: {c: {}}}}\n";
    let ok = run_with(&bin(), &["--max-depth", "6"], &[], input, LIMIT);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    let out = run_with(&bin(), &["--max-depth=5"], &[], input, LIMIT);
    assert_refused(&out, "nesting deeper than 5 levels");
    let out = run_with(
        &bin(),
        &[],
        &[("INJECT_OTEL_PYTHON_MAX_DEPTH", "5")],
        input,
        LIMIT,
    );
    assert_refused(&out, "nesting deeper than 5 levels");
    let out = run_with(&bin(), &["--max-depth", "0"], &[], input, LIMIT);
    assert_eq!(out.code, Some(2));
}

#[test]
fn input_size_limit_is_enforced_and_settable() {
    let mut input = String::from(
        "kind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: big}\n  data:\n    big: ",
    );
    input.push_str(&"x".repeat(2000));
    input.push('\n');
    let out = run_with(
        &bin(),
        &["--max-input-bytes", "1Ki"],
        &[],
        input.as_bytes(),
        LIMIT,
    );
    assert_refused(&out, "the input is larger than the limit of 1024 bytes");
    let out = run_with(
        &bin(),
        &[],
        &[("INJECT_OTEL_PYTHON_MAX_INPUT_BYTES", "1024")],
        input.as_bytes(),
        LIMIT,
    );
    assert_refused(&out, "the input is larger than the limit of 1024 bytes");
    let out = run_with(
        &bin(),
        &["--max-input-bytes", "4Ki"],
        &[],
        input.as_bytes(),
        LIMIT,
    );
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stdout, input);
}

#[test]
fn huge_scalars_pass_through() {
    let mut input = String::from(
        "kind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: big}\n  data:\n    blob: |\n",
    );
    for i in 0..200_000 {
        input.push_str(&format!("      line {i} of a large literal block\n"));
    }
    let out = feed(input.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, input);
}

#[test]
fn bare_carriage_returns_are_refused() {
    let out = feed(b"kind: ResourceList\ritems: []\n");
    assert_refused(&out, "carriage return without line feed");
}

#[test]
fn complex_and_alias_keys_are_refused() {
    assert_refused(
        &feed(b"kind: ResourceList\nitems: []\nfunctionConfig:\n  ? [a, b]\n  : c\n"),
        "a collection as a mapping key is not supported",
    );
    assert_refused(
        &feed(b"kind: ResourceList\nitems: []\nfunctionConfig:\n  x: &k key\n  *k : v\n"),
        "an alias as a mapping key is not supported",
    );
}
