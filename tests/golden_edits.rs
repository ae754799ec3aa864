//! Golden tests of the format-preserving YAML layer (`src/yaml`): one input,
//! one operation, the exact expected output. Expected outputs were written by
//! hand from the design (yaml-engine.md §8.4, §8.6, §8.7): new keys at the end
//! of their mapping, new items copying their siblings' dash column and item
//! offset, compact lists by default, YAML-1.1-ambiguous strings quoted, CRLF,
//! BOM and a missing final newline kept, comments left in place.
//!
//! Tests named `bug_*` pin engine bugs found while writing these tests: they
//! assert the correct (design) output and fail until the engine is fixed.

use inject_otel_python::yaml::{self, Doc, EditError, Editor, NodeId, ParseLimits};
use serde_json::{Value, json};

const LIMITS: ParseLimits = ParseLimits {
    max_depth: 256,
    max_alias_expansion: 1_000_000,
};

/// Parses `src`, runs `edit` on an `Editor`, applies the patches.
fn edit(src: &str, edit: impl FnOnce(&Doc, &mut Editor) -> Result<(), EditError>) -> String {
    let doc = Doc::parse(src, LIMITS).expect("input parses");
    let mut editor = Editor::new(&doc);
    edit(&doc, &mut editor).expect("edit accepted");
    let patches = editor.into_patches().expect("patches do not overlap");
    yaml::apply(src, &patches)
}

fn root(doc: &Doc) -> NodeId {
    doc.documents()[0]
}

/// Follows a path of keys and list indices (`"2"`) from the root.
fn at(doc: &Doc, path: &[&str]) -> NodeId {
    let mut node = root(doc);
    for step in path {
        node = match step.parse::<usize>() {
            Ok(i) => doc.items(node)[i],
            Err(_) => doc
                .get(node, step)
                .unwrap_or_else(|| panic!("no key {step}")),
        };
    }
    node
}

fn append(src: &str, path: &[&str], items: &[Value]) -> String {
    edit(src, |d, e| e.append_items(at(d, path), items))
}

fn insert(src: &str, path: &[&str], key: &str, value: Value) -> String {
    edit(src, |d, e| e.insert_entry(at(d, path), key, &value))
}

fn fill(src: &str, path: &[&str], value: Value) -> String {
    edit(src, |d, e| e.fill_null(at(d, path), &value))
}

fn set(src: &str, path: &[&str], value: &str) -> String {
    edit(src, |d, e| e.set_scalar(at(d, path), value))
}

fn remove_items(src: &str, path: &[&str], indices: &[usize]) -> String {
    edit(src, |d, e| e.remove_items(at(d, path), indices))
}

fn remove_keys(src: &str, path: &[&str], keys: &[&str]) -> String {
    edit(src, |d, e| e.remove_entries(at(d, path), keys))
}

/// An output must also read back as what it was meant to say.
fn reads_as(text: &str, expected: Value) {
    let doc = Doc::parse(text, LIMITS).expect("output parses");
    assert_eq!(doc.to_value(root(&doc)).expect("a value"), expected);
}

// ------------------------------------------------------- append_items

#[test]
fn append_to_compact_block_list() {
    let src = "\
spec:
  env:
  - name: A
    value: a
  image: x
";
    let out = append(
        src,
        &["spec", "env"],
        &[json!({"name": "B", "value": "4317"})],
    );
    assert_eq!(
        out,
        "\
spec:
  env:
  - name: A
    value: a
  - name: B
    value: \"4317\"
  image: x
"
    );
}

#[test]
fn append_to_wide_block_list() {
    let src = "\
env:
  - name: A
    value: a
other: 1
";
    let out = append(src, &["env"], &[json!({"name": "B", "value": "yes"})]);
    assert_eq!(
        out,
        "\
env:
  - name: A
    value: a
  - name: B
    value: \"yes\"
other: 1
"
    );
}

#[test]
fn append_copies_item_offset() {
    let src = "\
env:
-   name: A
    value: a
";
    let out = append(src, &["env"], &[json!({"name": "B", "value": "b"})]);
    assert_eq!(
        out,
        "\
env:
-   name: A
    value: a
-   name: B
    value: b
"
    );
}

#[test]
fn append_after_deeper_trailing_comment_but_before_shallower_one() {
    // Comments deeper than the dashes belong to the list; a comment at the
    // dash column belongs to what follows.
    let src = "\
c:
  env:
  - name: A
      # about A
  # about image
  image: x
";
    let out = append(src, &["c", "env"], &[json!({"name": "B"})]);
    assert_eq!(
        out,
        "\
c:
  env:
  - name: A
      # about A
  - name: B
  # about image
  image: x
"
    );
}

#[test]
fn append_quotes_ambiguous_strings() {
    let src = "l:\n- x\n";
    let items: Vec<Value> = [
        "true",
        "yes",
        "on",
        "0644",
        "4317",
        "1e3",
        "null",
        "~",
        "a: b",
        "x #y",
        "\tlead",
        "2001-12-14",
        "1:20",
        "",
        "-",
        "plain text",
        "héllo 日本 🚀",
    ]
    .iter()
    .map(|s| json!(s))
    .collect();
    let out = append(src, &["l"], &items);
    assert_eq!(
        out,
        r#"l:
- x
- "true"
- "yes"
- "on"
- "0644"
- "4317"
- "1e3"
- "null"
- "~"
- "a: b"
- "x #y"
- "\tlead"
- "2001-12-14"
- "1:20"
- ""
- "-"
- plain text
- héllo 日本 🚀
"#
    );
}

#[test]
fn append_multi_line_strings_as_literal_blocks() {
    let src = "l:\n  - x\n";
    let out = append(src, &["l"], &[json!("a\nb\n"), json!("c\nd")]);
    assert_eq!(
        out,
        "l:\n  - x\n  - |\n    a\n    b\n  - |-\n    c\n    d\n"
    );
    reads_as(&out, json!({"l": ["x", "a\nb\n", "c\nd"]}));
}

#[test]
fn append_to_flow_list_keeps_trailing_comment() {
    let src = "args: [--port, \"8080\"] # ports\n";
    let out = append(src, &["args"], &[json!("--verbose"), json!("on")]);
    assert_eq!(out, "args: [--port, \"8080\", --verbose, \"on\"] # ports\n");
}

#[test]
fn append_to_empty_flow_list() {
    let src = "spec:\n  volumes: []\n";
    let out = append(
        src,
        &["spec", "volumes"],
        &[json!({"name": "data", "emptyDir": {}})],
    );
    assert_eq!(out, "spec:\n  volumes: [{name: data, emptyDir: {}}]\n");
}

#[test]
fn append_to_multi_line_flow_list() {
    let src = "\
args: [
    a,
    b
  ]
";
    let out = append(src, &["args"], &[json!("c d")]);
    assert_eq!(
        out,
        "\
args: [
    a,
    b,
    c d
  ]
"
    );
}

#[test]
fn append_in_json_document_writes_pretty_json() {
    let src = r#"{
  "items": [
    {"name": "a"}
  ],
  "n": 1
}
"#;
    let out = append(src, &["items"], &[json!({"name": "b", "on": "yes"})]);
    assert_eq!(
        out,
        r#"{
  "items": [
    {"name": "a"},
    {
      "name": "b",
      "on": "yes"
    }
  ],
  "n": 1
}
"#
    );
}

#[test]
fn append_keeps_crlf() {
    let out = append("env:\r\n- a\r\n", &["env"], &[json!("b"), json!("x\ny")]);
    assert_eq!(out, "env:\r\n- a\r\n- b\r\n- |-\r\n  x\r\n  y\r\n");
}

#[test]
fn append_keeps_missing_final_newline() {
    let out = append("env:\n- a", &["env"], &[json!("b")]);
    assert_eq!(out, "env:\n- a\n- b");
}

#[test]
fn append_keeps_bom() {
    let out = append("\u{feff}env:\n  - a\n", &["env"], &[json!("b")]);
    assert_eq!(out, "\u{feff}env:\n  - a\n  - b\n");
}

#[test]
fn append_after_keep_chomped_block_keeps_its_blank_lines() {
    let src = "\
a:
  s: |+
    x

b: 1
";
    // `y` is a YAML 1.1 boolean: quoted.
    let out = insert(src, &["a"], "t", json!("y"));
    assert_eq!(
        out,
        "\
a:
  s: |+
    x

  t: \"y\"
b: 1
"
    );
    reads_as(&out, json!({"a": {"s": "x\n\n", "t": "y"}, "b": 1}));
}

// ------------------------------------------------------- insert_entry

#[test]
fn insert_key_at_end_of_block_mapping_before_shallow_comment() {
    let src = "\
containers:
- name: app
  image: python:3.12 # pinned
  # head comment of the next item
- name: other
";
    let out = insert(
        src,
        &["containers", "0"],
        "volumeMounts",
        json!([{"name": "data", "mountPath": "/data"}]),
    );
    assert_eq!(
        out,
        "\
containers:
- name: app
  image: python:3.12 # pinned
  volumeMounts:
  - name: data
    mountPath: /data
  # head comment of the next item
- name: other
"
    );
}

#[test]
fn insert_key_copies_wide_lists_and_indentation_step() {
    let src = "\
spec:
    containers:
        - name: app
          image: x
    restartPolicy: Always
";
    let out = insert(
        src,
        &["spec", "containers", "0"],
        "env",
        json!([{"name": "A", "value": "1"}]),
    );
    assert_eq!(
        out,
        "\
spec:
    containers:
        - name: app
          image: x
          env:
              - name: A
                value: \"1\"
    restartPolicy: Always
"
    );
}

#[test]
fn insert_key_quotes_ambiguous_key_and_value() {
    let out = insert("m:\n  a: 1\n", &["m"], "on", json!("no"));
    assert_eq!(out, "m:\n  a: 1\n  \"on\": \"no\"\n");
}

#[test]
fn insert_key_into_flow_mapping() {
    let out = insert(
        "labels: {app: web} # l\n",
        &["labels"],
        "tier",
        json!("yes"),
    );
    assert_eq!(out, "labels: {app: web, tier: \"yes\"} # l\n");
}

#[test]
fn insert_key_into_empty_flow_mapping() {
    let out = insert("annotations: {}\n", &["annotations"], "a: b", json!("x"));
    assert_eq!(out, "annotations: {\"a: b\": x}\n");
}

#[test]
fn insert_key_into_json_document() {
    let src = "{\n  \"a\": 1,\n  \"n\": {\"k\": \"v\"}\n}\n";
    let out = insert(src, &[], "x", json!(["a"]));
    assert_eq!(
        out,
        "{\n  \"a\": 1,\n  \"n\": {\"k\": \"v\"},\n  \"x\": [\n    \"a\"\n  ]\n}\n"
    );
    let out = insert(src, &["n"], "on", json!(true));
    assert_eq!(
        out,
        "{\n  \"a\": 1,\n  \"n\": {\"k\": \"v\", \"on\": true}\n}\n"
    );
}

#[test]
fn insert_existing_key_is_refused() {
    let doc = Doc::parse("m:\n  a: 1\n", LIMITS).expect("parses");
    let mut editor = Editor::new(&doc);
    let m = at(&doc, &["m"]);
    assert!(matches!(
        editor.insert_entry(m, "a", &json!(2)),
        Err(EditError::Unsupported { .. })
    ));
}

// ---------------------------------------------------------- fill_null

#[test]
fn fill_empty_null_with_list() {
    let src = "c:\n  env:\n  image: x\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A", "value": "on"}]));
    assert_eq!(
        out,
        "c:\n  env:\n  - name: A\n    value: \"on\"\n  image: x\n"
    );
}

#[test]
fn fill_empty_null_with_trailing_comment() {
    let src = "c:\n  env: # none yet\n  image: x\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A"}]));
    assert_eq!(out, "c:\n  env: # none yet\n  - name: A\n  image: x\n");
}

#[test]
fn fill_tilde_null() {
    let src = "c:\n  env: ~\n  image: x\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A"}]));
    assert_eq!(out, "c:\n  env:\n  - name: A\n  image: x\n");
}

#[test]
fn fill_tilde_null_with_trailing_comment() {
    let src = "c:\n  env: ~ # none yet\n  image: x\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A"}]));
    assert_eq!(out, "c:\n  env: # none yet\n  - name: A\n  image: x\n");
}

#[test]
fn fill_null_word() {
    let src = "c:\n  env: null\n  image: x\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A"}]));
    assert_eq!(out, "c:\n  env:\n  - name: A\n  image: x\n");
}

#[test]
fn fill_null_word_with_trailing_comment_and_wide_sibling() {
    let src = "c:\n  ports:\n    - 80\n  env: null   # later\n";
    let out = fill(src, &["c", "env"], json!([{"name": "A"}]));
    assert_eq!(
        out,
        "c:\n  ports:\n    - 80\n  env:   # later\n    - name: A\n"
    );
}

#[test]
fn fill_null_with_scalar_keeps_comment() {
    assert_eq!(
        fill("image: ~ # todo\n", &["image"], json!("x")),
        "image: x # todo\n"
    );
    assert_eq!(
        fill("image: # todo\n", &["image"], json!("x")),
        "image: x # todo\n"
    );
    assert_eq!(
        fill("image:\n", &["image"], json!("0644")),
        "image: \"0644\"\n"
    );
    assert_eq!(fill("image: null\n", &["image"], json!([])), "image: []\n");
}

#[test]
fn fill_null_with_mapping() {
    let src = "c:\n    resources: # none\n    name: x\n";
    let out = fill(src, &["c", "resources"], json!({"limits": {"cpu": "500m"}}));
    assert_eq!(
        out,
        "c:\n    resources: # none\n        limits:\n            cpu: 500m\n    name: x\n"
    );
}

#[test]
fn fill_null_in_flow_mapping_and_json() {
    assert_eq!(
        fill("m: {a: ~, b: 1}\n", &["m", "a"], json!([1])),
        "m: {a: [1], b: 1}\n"
    );
    assert_eq!(
        fill("{\"env\": null}\n", &["env"], json!([{"name": "A"}])),
        "{\"env\": [{\"name\": \"A\"}]}\n"
    );
}

#[test]
fn fill_null_keeps_crlf() {
    let out = fill(
        "c:\r\n  env: ~\r\n  image: x\r\n",
        &["c", "env"],
        json!([{"name": "A"}]),
    );
    assert_eq!(out, "c:\r\n  env:\r\n  - name: A\r\n  image: x\r\n");
}

#[test]
fn fill_non_null_is_refused() {
    let doc = Doc::parse("a: 1\n", LIMITS).expect("parses");
    let mut editor = Editor::new(&doc);
    assert!(editor.fill_null(at(&doc, &["a"]), &json!(2)).is_err());
}

// --------------------------------------------------------- set_scalar

#[test]
fn set_plain_scalar_keeps_comment() {
    assert_eq!(
        set("image: python:3.11 # pin\n", &["image"], "python:3.12"),
        "image: python:3.12 # pin\n"
    );
}

#[test]
fn set_plain_scalar_quotes_when_needed() {
    assert_eq!(set("value: info\n", &["value"], "yes"), "value: \"yes\"\n");
    assert_eq!(
        set("value: info\n", &["value"], "a\nb"),
        "value: \"a\\nb\"\n"
    );
}

#[test]
fn set_single_quoted_scalar() {
    assert_eq!(
        set("value: 'info' # quiet\n", &["value"], "it's"),
        "value: 'it''s' # quiet\n"
    );
    // A line break cannot be single-quoted on one line: double quotes.
    assert_eq!(
        set("value: 'info'\n", &["value"], "a\nb"),
        "value: \"a\\nb\"\n"
    );
}

#[test]
fn set_double_quoted_scalar() {
    assert_eq!(
        set(
            "value: \"info\" # keep quiet in prod\n",
            &["value"],
            "debug"
        ),
        "value: \"debug\" # keep quiet in prod\n"
    );
    assert_eq!(
        set("value: \"info\"\n", &["value"], "é\t\"x\""),
        "value: \"é\\t\\\"x\\\"\"\n"
    );
}

#[test]
fn set_literal_block_scalar() {
    let src = "script: |\n  echo a\n  echo b\nnext: 1\n";
    assert_eq!(
        set(src, &["script"], "echo c\n"),
        "script: |\n  echo c\nnext: 1\n"
    );
    assert_eq!(
        set(src, &["script"], "x\ny"),
        "script: |-\n  x\n  y\nnext: 1\n"
    );
    assert_eq!(
        set(src, &["script"], "one line"),
        "script: \"one line\"\nnext: 1\n"
    );
}

#[test]
fn set_scalar_in_flow_collection() {
    assert_eq!(
        set("l: {a: b, c: d}\n", &["l", "a"], "x, y"),
        "l: {a: \"x, y\", c: d}\n"
    );
    assert_eq!(set("l: [a, b]\n", &["l", "1"], "c"), "l: [a, c]\n");
}

#[test]
fn set_scalar_in_json_document() {
    assert_eq!(set("{\"a\": \"b\"}", &["a"], "c"), "{\"a\": \"c\"}");
}

#[test]
fn set_scalar_twice_with_same_value_changes_nothing() {
    let src = "a: 'x' # c\nb: |\n  l1\n  l2\nc: plain\n";
    let once = set(src, &["a"], "it's");
    assert_eq!(set(&once, &["a"], "it's"), once);
    let once = set(src, &["b"], "m1\nm2\n");
    assert_eq!(once, "a: 'x' # c\nb: |\n  m1\n  m2\nc: plain\n");
    assert_eq!(set(&once, &["b"], "m1\nm2\n"), once);
    let once = set(src, &["c"], "on");
    assert_eq!(set(&once, &["c"], "on"), once);
}

// ------------------------------------------------------------- remove

#[test]
fn remove_middle_item_with_its_head_comment() {
    let src = "\
env:
- name: A
  value: a
# about B
- name: B
  value: b
- name: C
";
    assert_eq!(
        remove_items(src, &["env"], &[1]),
        "\
env:
- name: A
  value: a
- name: C
"
    );
}

#[test]
fn remove_last_item_leaves_empty_flow_list() {
    let src = "c:\n  env:\n    - name: A\n      value: a\n  image: x\n";
    assert_eq!(
        remove_items(src, &["c", "env"], &[0]),
        "c:\n  env: []\n  image: x\n"
    );
}

#[test]
fn remove_key() {
    let src = "c:\n  name: a\n  args: [x]   # extra\n  image: b\n";
    assert_eq!(
        remove_keys(src, &["c"], &["args"]),
        "c:\n  name: a\n  image: b\n"
    );
}

#[test]
fn remove_key_with_block_value_and_comments() {
    let src = "\
c:
  name: a
  # the env
  env:
  - name: A
    # deeper comment
  image: b
";
    assert_eq!(
        remove_keys(src, &["c"], &["env"]),
        "c:\n  name: a\n  image: b\n"
    );
}

#[test]
fn remove_first_key_of_list_item() {
    let src = "l:\n- name: a\n  image: b\n";
    assert_eq!(remove_keys(src, &["l", "0"], &["name"]), "l:\n- image: b\n");
}

#[test]
fn remove_absent_key_changes_nothing() {
    let src = "c:\n  name: a\n";
    assert_eq!(remove_keys(src, &["c"], &["args"]), src);
}

#[test]
fn remove_from_flow_list() {
    assert_eq!(
        remove_items("args: [a, b, c]\n", &["args"], &[1]),
        "args: [a, c]\n"
    );
    assert_eq!(
        remove_items("args: [a, b, c]\n", &["args"], &[0]),
        "args: [b, c]\n"
    );
    assert_eq!(
        remove_items("args: [a, b, c]\n", &["args"], &[2]),
        "args: [a, b]\n"
    );
    assert_eq!(
        remove_items("args: [a, b]\n", &["args"], &[0, 1]),
        "args: []\n"
    );
}

#[test]
fn remove_from_flow_mapping() {
    assert_eq!(
        remove_keys("m: {a: 1, b: 2}\n", &["m"], &["a"]),
        "m: {b: 2}\n"
    );
    assert_eq!(remove_keys("m: {a: 1}\n", &["m"], &["a"]), "m: {}\n");
}

#[test]
fn remove_from_json_list() {
    let src = "{\n  \"l\": [\n    1,\n    2\n  ]\n}\n";
    assert_eq!(
        remove_items(src, &["l"], &[1]),
        "{\n  \"l\": [\n    1\n  ]\n}\n"
    );
    assert_eq!(
        remove_items(src, &["l"], &[0]),
        "{\n  \"l\": [\n    2\n  ]\n}\n"
    );
}

#[test]
fn remove_keeps_crlf() {
    let src = "env:\r\n- a\r\n- b\r\nx: 1\r\n";
    assert_eq!(remove_items(src, &["env"], &[0]), "env:\r\n- b\r\nx: 1\r\n");
}

// ----------------------------------------------------- engine bugs

/// ENGINE BUG: removing every item of a block list in a CRLF file eats the
/// `\r` of the key line: `a: []` ends with a bare LF.
#[test]
fn bug_remove_all_items_keeps_crlf() {
    let src = "a:\r\n  - x\r\nb: 1\r\n";
    assert_eq!(remove_items(src, &["a"], &[0]), "a: []\r\nb: 1\r\n");
}

/// ENGINE BUG: removing an item takes the comment lines above it, and a
/// line of the previous item's literal block that starts with `#` is taken
/// for one: the previous value loses its last line.
#[test]
fn bug_remove_item_keeps_hash_line_of_previous_block_scalar() {
    let src = "l:\n- a: |-\n    x\n    #\n- b\n";
    let out = remove_items(src, &["l"], &[1]);
    assert_eq!(out, "l:\n- a: |-\n    x\n    #\n");
    reads_as(&out, json!({"l": [{"a": "x\n#"}]}));
}

/// ENGINE BUG: `plain_is_safe("a -", flow = true)` is true, so `a -` is
/// written plain in flow context, but saphyr-parser 0.3.4 (the engine's own
/// parser) refuses `[a -]` ("plain scalar cannot start with '-' followed by
/// ,[]{}"): the next run cannot read the output.
#[test]
fn bug_flow_plain_ending_in_dash_is_quoted() {
    let out = append("l: [x]\n", &["l"], &[json!("a -")]);
    assert_eq!(out, "l: [x, \"a -\"]\n");
    reads_as(&out, json!({"l": ["x", "a -"]}));
}

/// ENGINE BUG: a literal block whose last line holds only spaces deeper
/// than its indentation (value `"a\n "`, which the engine itself writes as
/// a `|-` block) ends, for `Doc`, at its last non-blank line; an insertion
/// after it lands inside the scalar and changes both values.
#[test]
fn bug_append_after_literal_block_ending_in_spaces_line() {
    let src = "l:\n- |-\n  a\n   \n";
    let doc = Doc::parse(src, LIMITS).expect("parses");
    assert_eq!(
        doc.to_value(root(&doc)).expect("a value"),
        json!({"l": ["a\n "]})
    );
    let out = append(src, &["l"], &[json!("b")]);
    assert_eq!(out, "l:\n- |-\n  a\n   \n- b\n");
    reads_as(&out, json!({"l": ["a\n ", "b"]}));
}

/// ENGINE BUG: removing the last line of a text without a final newline
/// leaves the previous line's break at the end: the file gains a final
/// newline.
#[test]
fn bug_remove_last_key_keeps_missing_final_newline() {
    assert_eq!(remove_keys("a: 1\nb: 2", &[], &["b"]), "a: 1");
}

/// ENGINE BUG: the range of a flow collection followed by a comment on its
/// line runs to the end of the comment (saphyr span not repaired), so
/// emptying it cuts into the comment: `e: [1] # c` becomes `e: [c`. When
/// the cut splits a multi-byte character, `yaml::apply` silently returns an
/// empty string (`String::from_utf8(..).unwrap_or_default()`).
#[test]
fn bug_remove_all_from_flow_list_with_trailing_comment() {
    assert_eq!(remove_items("e: [1] # c\n", &["e"], &[0]), "e: [] # c\n");
    assert_eq!(
        remove_keys("m: {a: 1} # c\n", &["m"], &["a"]),
        "m: {} # c\n"
    );
    assert_eq!(remove_items("e: [1] # 🚀\n", &["e"], &[0]), "e: [] # 🚀\n");
}

#[test]
fn bug_flow_collection_range_excludes_trailing_comment() {
    let src = "e: [ {a: 1} ] # key: value\n";
    let doc = Doc::parse(src, LIMITS).expect("parses");
    let (start, end) = doc.range(at(&doc, &["e"]));
    assert_eq!(&src[start..end], "[ {a: 1} ]");
}

/// ENGINE BUG: removing two adjacent entries with a comment line between
/// them that is deeper than their keys: the first removal takes the comment
/// as its trailing comment, the second as its head comment, and the patches
/// overlap (`EditError::Overlap`), in one `remove_entries` call as in two.
#[test]
fn bug_remove_adjacent_entries_around_deeper_comment() {
    let src = "m:\n  a: 1\n    # c\n  b: 2\n  c: 3\n";
    assert_eq!(remove_keys(src, &["m"], &["a", "b"]), "m:\n  c: 3\n");
}

/// ENGINE BUG: set_scalar on a block scalar replaces its header line too, so
/// a comment after `|` is lost (set_scalar promises comments stay).
#[test]
fn bug_set_literal_block_keeps_header_comment() {
    let src = "script: |- # run\n  a\n  b\nnext: 1\n";
    assert_eq!(
        set(src, &["script"], "x\ny"),
        "script: |- # run\n  x\n  y\nnext: 1\n"
    );
}

/// ENGINE BUG: insertions at the same offset are written in recording order.
/// Adding `volumes` to a pod spec and then appending to the env list of its
/// last container (both end at the same byte) puts the env item after the
/// new `volumes` key, where it reads as a volume (or breaks the YAML). The
/// output must not depend on the order the edits were recorded in.
#[test]
fn bug_same_offset_inserts_independent_of_recording_order() {
    let src = "\
spec:
  containers:
  - name: a
    env:
    - name: A
";
    let expected = "\
spec:
  containers:
  - name: a
    env:
    - name: A
    - name: B
  volumes:
  - name: v
";
    let deepest_first = edit(src, |d, e| {
        e.append_items(
            at(d, &["spec", "containers", "0", "env"]),
            &[json!({"name": "B"})],
        )?;
        e.insert_entry(at(d, &["spec"]), "volumes", &json!([{"name": "v"}]))
    });
    assert_eq!(deepest_first, expected);
    let outer_first = edit(src, |d, e| {
        e.insert_entry(at(d, &["spec"]), "volumes", &json!([{"name": "v"}]))?;
        e.append_items(
            at(d, &["spec", "containers", "0", "env"]),
            &[json!({"name": "B"})],
        )
    });
    assert_eq!(outer_first, expected);
}

/// ENGINE BUG: an insertion and a removal starting at the same byte are
/// refused as overlapping when the removal was recorded first (appending
/// to `env` and removing the key right after it).
#[test]
fn bug_insert_and_removal_at_same_offset_do_not_overlap() {
    let src = "c:\n  env:\n  - name: A\n  ports: [80]\n";
    let expected = "c:\n  env:\n  - name: A\n  - name: B\n";
    let insert_first = edit(src, |d, e| {
        e.append_items(at(d, &["c", "env"]), &[json!({"name": "B"})])?;
        e.remove_entries(at(d, &["c"]), &["ports"])
    });
    assert_eq!(insert_first, expected);
    let remove_first = edit(src, |d, e| {
        e.remove_entries(at(d, &["c"]), &["ports"])?;
        e.append_items(at(d, &["c", "env"]), &[json!({"name": "B"})])
    });
    assert_eq!(remove_first, expected);
}

/// ENGINE BUG: a keep-chomped `|+` block's range ends at the start of the
/// next line; when set_scalar writes the new value in double quotes (no
/// line break in it, or more than one at its end) that line break is lost
/// and the next key is glued to the value: `a: "x"b: 1` (invalid YAML).
#[test]
fn bug_set_keep_chomped_block_to_quoted_value() {
    let src = "a: |+\n  keep\n\nb: 1\n";
    assert_eq!(set(src, &["a"], "x"), "a: \"x\"\nb: 1\n");
    assert_eq!(set(src, &["a"], "x\n"), "a: |\n  x\nb: 1\n");
}
