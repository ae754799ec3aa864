//! A random-format YAML (and JSON) writer for property tests: renders a
//! `serde_json::Value` as text with random formatting choices per collection
//! and per scalar, so that the text reads back as exactly that value.
//!
//! Choices: indentation 2/3/4 per mapping, compact or wide lists, item offset
//! (`- a` / `-   a`), flow or block collections (flow only where the key is
//! leaf-ish, e.g. labels or args), single- and multi-line flow collections,
//! plain / 'single' / "double" (with optional `\u` escapes) / literal `|`
//! and `|-` scalars, plain and quoted scalars folded over several lines,
//! comment lines (at the entry column, at column 0, or deeper), trailing
//! comments, blank lines, `- # comment` item heads, a `---` marker, CRLF,
//! a UTF-8 BOM and a missing final newline; or the whole document as pretty
//! JSON.
//!
//! The writer is conservative: a scalar is written plain only when every
//! YAML 1.1 and 1.2 reader reads it back as the same string, and comment
//! lines never sit where they would become block scalar content.

use serde_json::{Map, Value};

/// SplitMix64: small, deterministic, good enough for format choices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_5EED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// File-level conventions of a rendered text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFormat {
    pub crlf: bool,
    pub bom: bool,
    pub final_newline: bool,
    pub json: bool,
}

/// Renders `value` (the root mapping) with formatting chosen from `seed`.
pub fn render(value: &Value, seed: u64) -> (String, FileFormat) {
    let mut rng = Rng::new(seed);
    let format = FileFormat {
        crlf: rng.chance(15),
        bom: rng.chance(10),
        final_newline: !rng.chance(10),
        json: rng.chance(10),
    };
    let body = if format.json {
        let step = 2 + rng.below(3);
        let mut out = String::new();
        json_value(&mut rng, &mut out, value, 0, step);
        out.push('\n');
        out
    } else {
        let mut w = YamlWriter {
            rng: &mut rng,
            out: String::new(),
            open_scalar: false,
        };
        w.document(value);
        w.out
    };
    (finish(body, format), format)
}

/// Applies the file conventions to text written with `\n` line breaks and a
/// final newline.
fn finish(body: String, format: FileFormat) -> String {
    let mut text = body;
    if !format.final_newline {
        while text.ends_with('\n') {
            text.pop();
        }
    }
    if format.crlf {
        text = text.replace('\n', "\r\n");
    }
    if format.bom {
        text.insert(0, '\u{feff}');
    }
    text
}

// ---------------------------------------------------------------- scalars

/// Characters no reader should see unescaped.
fn is_special_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Conservative: true only for strings every YAML 1.1 and 1.2 reader reads
/// back as this same string when written plain.
pub fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '/') || s.trim() != s {
        return false;
    }
    let lower = s.to_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    ) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return false;
    }
    if flow && (s.contains([',', '[', ']', '{', '}', ':']) || s.ends_with(" -")) {
        // saphyr-parser 0.3.4 refuses a plain `a -` before `]` / `}`.
        return false;
    }
    !s.chars().any(is_special_char)
}

/// A double-quoted scalar; `escape_non_ascii` writes non-ASCII characters as
/// `\uXXXX` / `\UXXXXXXXX`.
fn double_quote(s: &str, escape_non_ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_special_char(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if escape_non_ascii && !c.is_ascii() => {
                if (c as u32) <= 0xFFFF {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_ok(s: &str) -> bool {
    !s.chars().any(|c| c != '\t' && is_special_char(c))
}

fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// True when `s` can be a `|` / `|-` literal block with auto-detected
/// indentation: several lines, the first not empty, no line starting with a
/// space or tab, at most one trailing line break, nothing unprintable.
fn literal_ok(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.contains('\n')
        && !body.ends_with('\n')
        && !body.starts_with('\n')
        && !s
            .chars()
            .any(|c| c != '\n' && c != '\t' && is_special_char(c))
        && body
            .split('\n')
            .all(|l| !l.starts_with([' ', '\t']) && !l.ends_with([' ', '\t']))
}

/// True when a quoted or plain scalar can be folded over several lines at
/// its spaces: single spaces between words, no tabs or line breaks.
fn foldable(s: &str) -> bool {
    s.contains(' ')
        && !s.contains("  ")
        && s.trim() == s
        && !s.contains(['\t', '\n', '\r'])
        // A continuation line must not look like a comment, a list item or
        // a document marker.
        && s.split(' ').all(|w| {
            w.chars()
                .next()
                .is_some_and(char::is_alphanumeric)
        })
}

/// Splits a rendered one-line scalar at some of its spaces onto continuation
/// lines at column `col`. Every space of `text` is a space of the value.
fn fold(rng: &mut Rng, text: &str, col: usize) -> String {
    let mut out = String::new();
    let mut first = true;
    for word in text.split(' ') {
        if !first {
            if rng.chance(50) {
                out.push('\n');
                out.push_str(&" ".repeat(col));
            } else {
                out.push(' ');
            }
        }
        first = false;
        out.push_str(word);
    }
    out
}

/// A string scalar in flow context (one line, or folded when `fold_col`).
fn flow_string(rng: &mut Rng, s: &str) -> String {
    let mut styles: Vec<u8> = vec![2];
    if plain_ok(s, true) {
        styles.extend([0, 0, 0]);
    }
    if single_ok(s) && !s.contains('\n') {
        styles.push(1);
    }
    match *rng.pick(&styles) {
        0 => s.to_string(),
        1 => single_quote(s),
        _ => double_quote(s, rng.chance(20)),
    }
}

fn trailing_comment(rng: &mut Rng) -> String {
    const COMMENTS: &[&str] = &[
        "# note",
        "# ünïcödé 日本 🚀",
        "#: tricky: value # nested",
        "# - not an item",
        "#",
        "# key: value",
    ];
    let gap = if rng.chance(20) { "   " } else { " " };
    format!("{gap}{}", rng.pick(COMMENTS))
}

// ------------------------------------------------------------ YAML writer

struct YamlWriter<'r> {
    rng: &'r mut Rng,
    out: String,
    /// The last line written ends a block or multi-line scalar, so a comment
    /// line deeper than the current entries could be read as its content.
    open_scalar: bool,
}

/// Keys whose values may be written in flow style.
fn flow_key(key: &str) -> bool {
    matches!(
        key,
        "labels"
            | "annotations"
            | "matchLabels"
            | "selector"
            | "args"
            | "command"
            | "env"
            | "volumes"
            | "ports"
            | "configMap"
            | "emptyDir"
            | "volumeMounts"
    )
}

impl YamlWriter<'_> {
    fn line(&mut self, col: usize, text: &str) {
        self.out.push_str(&" ".repeat(col));
        self.out.push_str(text);
        self.out.push('\n');
        self.open_scalar = false;
    }

    fn document(&mut self, root: &Value) {
        if self.rng.chance(15) {
            self.line(0, "# A ResourceList — généré 🚀");
        }
        if self.rng.chance(15) {
            let marker = if self.rng.chance(50) {
                "--- # start"
            } else {
                "---"
            };
            self.line(0, marker);
        }
        let Value::Object(map) = root else {
            panic!("the root must be a mapping");
        };
        self.block_map(map, 0, None);
        if self.rng.chance(10) || (self.open_scalar && self.rng.chance(50)) {
            self.line(0, "# end of list");
        }
        if self.open_scalar {
            // A block scalar at the very end of a text without a final line
            // break would lose its last line break; end with a comment.
            self.line(0, "# eof");
        }
    }

    /// Comment and blank lines before an entry at column `col`.
    fn gap(&mut self, col: usize) {
        if self.rng.chance(8) {
            self.out.push('\n');
        }
        if self.rng.chance(12) {
            let c = match self.rng.below(4) {
                0 => 0,
                1 if !self.open_scalar => col + 2,
                _ => col,
            };
            let text = *self.rng.pick(&["# comment", "# コメント: ok", "#- x", "#"]);
            self.line(c, text);
        }
    }

    /// A block mapping with its keys at `col`. When `head` is given, the first
    /// entry continues that line (`- ` of a list item).
    fn block_map(&mut self, map: &Map<String, Value>, col: usize, mut head: Option<String>) {
        for (key, value) in map {
            let prefix = match head.take() {
                Some(h) => h,
                None => {
                    self.gap(col);
                    " ".repeat(col)
                }
            };
            let key_text = self.key(key);
            self.entry(&prefix, &key_text, key, value, col);
        }
    }

    fn key(&mut self, key: &str) -> String {
        if plain_ok(key, false) && !self.rng.chance(10) {
            key.to_string()
        } else if single_ok(key) && !key.contains('\n') && self.rng.chance(50) {
            single_quote(key)
        } else {
            double_quote(key, false)
        }
    }

    /// One `key: value` entry whose line starts with `prefix` (indentation or
    /// a list item's dash) and whose key sits at column `col`.
    fn entry(&mut self, prefix: &str, key_text: &str, key: &str, value: &Value, col: usize) {
        let head = format!("{prefix}{key_text}:");
        match value {
            Value::Object(m) if !m.is_empty() => {
                if flow_key(key) && self.rng.chance(35) {
                    self.flow_entry(&head, value, col);
                } else {
                    self.push_head(&head);
                    let step = 2 + self.rng.below(3);
                    self.block_map(m, col + step, None);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                if flow_key(key) && self.rng.chance(35) {
                    self.flow_entry(&head, value, col);
                } else {
                    self.push_head(&head);
                    let dash = if self.rng.chance(50) {
                        col
                    } else {
                        col + 2 + self.rng.below(3)
                    };
                    self.block_seq(a, dash);
                }
            }
            _ => {
                let step = 2 + self.rng.below(3);
                self.scalar_after(&head, value, col + step, false);
            }
        }
    }

    /// The line of a key whose block collection follows on the next lines.
    fn push_head(&mut self, head: &str) {
        let comment = if self.rng.chance(15) {
            trailing_comment(self.rng)
        } else {
            String::new()
        };
        self.out.push_str(head);
        self.out.push_str(&comment);
        self.out.push('\n');
        self.open_scalar = false;
    }

    /// `head` (ending in `:` or `-`), a space and a scalar (or an empty
    /// collection, or a null); continuation lines go to column `cont`.
    fn scalar_after(&mut self, head: &str, value: &Value, cont: usize, item: bool) {
        let comment = if self.rng.chance(15) {
            trailing_comment(self.rng)
        } else {
            String::new()
        };
        let text = match value {
            Value::Null => {
                let forms: &[&str] = if item {
                    &["~", "null"]
                } else {
                    &["", "~", "null", "Null"]
                };
                let form = *self.rng.pick(forms);
                if form.is_empty() {
                    self.out.push_str(head);
                    self.out.push_str(&comment);
                    self.out.push('\n');
                    self.open_scalar = false;
                    return;
                }
                form.to_string()
            }
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) => "[]".to_string(),
            Value::Object(_) => "{}".to_string(),
            Value::String(s) => {
                let mut styles: Vec<u8> = vec![2];
                if plain_ok(s, false) {
                    styles.extend([0, 0, 0]);
                }
                if single_ok(s) && !s.contains('\n') {
                    styles.push(1);
                }
                if literal_ok(s) {
                    styles.extend([3, 3]);
                }
                let style = *self.rng.pick(&styles);
                if style == 3 {
                    let chomp = if s.ends_with('\n') { "" } else { "-" };
                    self.out.push_str(&format!("{head} |{chomp}{comment}\n"));
                    let body = s.strip_suffix('\n').unwrap_or(s);
                    for l in body.split('\n') {
                        if l.is_empty() {
                            self.out.push('\n');
                        } else {
                            self.out.push_str(&" ".repeat(cont));
                            self.out.push_str(l);
                            self.out.push('\n');
                        }
                    }
                    self.open_scalar = true;
                    return;
                }
                let one = match style {
                    0 => s.clone(),
                    1 => single_quote(s),
                    _ => double_quote(s, self.rng.chance(20)),
                };
                if foldable(s) && self.rng.chance(20) {
                    let folded = fold(self.rng, &one, cont);
                    let multi = folded.contains('\n');
                    self.out.push_str(&format!("{head} {folded}{comment}\n"));
                    self.open_scalar = multi;
                    return;
                }
                one
            }
        };
        self.out.push_str(&format!("{head} {text}{comment}\n"));
        self.open_scalar = false;
    }

    /// A block sequence with its dashes at `dash`.
    fn block_seq(&mut self, items: &[Value], dash: usize) {
        let offset = if self.rng.chance(25) { 3 } else { 1 };
        let content = dash + 1 + offset;
        for item in items {
            self.gap(dash);
            let lead = format!("{}-{}", " ".repeat(dash), " ".repeat(offset));
            match item {
                Value::Object(m) if !m.is_empty() => {
                    if self.rng.chance(8) {
                        // kyaml's `- # comment` head.
                        self.line(dash, "- # item comment");
                        self.block_map(m, content, None);
                    } else {
                        self.block_map(m, content, Some(lead));
                    }
                }
                Value::Array(a) if !a.is_empty() => {
                    self.out.push_str(&format!("{}-\n", " ".repeat(dash)));
                    self.block_seq(a, content);
                }
                _ => {
                    let head = format!("{}-", " ".repeat(dash));
                    let head = format!("{head}{}", " ".repeat(offset - 1));
                    self.scalar_after(&head, item, content, true);
                }
            }
        }
    }

    /// `head` (`key:`) followed by a flow collection, on one line or one
    /// element per line.
    fn flow_entry(&mut self, head: &str, value: &Value, col: usize) {
        let comment = if self.rng.chance(15) {
            trailing_comment(self.rng)
        } else {
            String::new()
        };
        let multiline = self.rng.chance(25);
        if !multiline {
            let text = flow_value(self.rng, value);
            self.out.push_str(&format!("{head} {text}{comment}\n"));
            self.open_scalar = false;
            return;
        }
        let inner = col + 2 + self.rng.below(3);
        let (open, close, elems): (char, char, Vec<String>) = match value {
            Value::Array(a) => (
                '[',
                ']',
                a.iter().map(|v| flow_value(self.rng, v)).collect(),
            ),
            Value::Object(m) => (
                '{',
                '}',
                m.iter()
                    .map(|(k, v)| {
                        format!("{}: {}", flow_string(self.rng, k), flow_value(self.rng, v))
                    })
                    .collect(),
            ),
            _ => unreachable!("flow_entry takes collections"),
        };
        self.out.push_str(&format!("{head} {open}\n"));
        let n = elems.len();
        for (i, e) in elems.into_iter().enumerate() {
            let comma = if i + 1 < n { "," } else { "" };
            self.out
                .push_str(&format!("{}{e}{comma}\n", " ".repeat(inner)));
        }
        self.out
            .push_str(&format!("{}{close}{comment}\n", " ".repeat(inner)));
        self.open_scalar = false;
    }
}

/// A value in YAML flow style on one line.
fn flow_value(rng: &mut Rng, value: &Value) -> String {
    match value {
        Value::Null => rng.pick(&["~", "null"]).to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => flow_string(rng, s),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|v| flow_value(rng, v)).collect();
            let sep = if rng.chance(20) { "," } else { ", " };
            if parts.is_empty() {
                "[]".into()
            } else if rng.chance(20) {
                format!("[ {} ]", parts.join(sep))
            } else {
                format!("[{}]", parts.join(sep))
            }
        }
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_string(rng, k), flow_value(rng, v)))
                .collect();
            if parts.is_empty() {
                "{}".into()
            } else if rng.chance(20) {
                format!("{{ {} }}", parts.join(", "))
            } else {
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
}

// ------------------------------------------------------------ JSON writer

/// A JSON string; characters YAML does not accept raw (C1 controls, BOM,
/// line and paragraph separators) are escaped too.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_special_char(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_leaf(value: &Value) -> bool {
    match value {
        Value::Array(a) => a.iter().all(|v| !v.is_array() && !v.is_object()),
        Value::Object(m) => m.values().all(|v| !v.is_array() && !v.is_object()),
        _ => true,
    }
}

/// Pretty JSON at `col`, nested by `step`; leaf collections sometimes inline.
fn json_value(rng: &mut Rng, out: &mut String, value: &Value, col: usize, step: usize) {
    match value {
        Value::Array(a) if !a.is_empty() && (!is_leaf(value) || !rng.chance(40)) => {
            out.push_str("[\n");
            for (i, v) in a.iter().enumerate() {
                out.push_str(&" ".repeat(col + step));
                json_value(rng, out, v, col + step, step);
                if i + 1 < a.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(col));
            out.push(']');
        }
        Value::Object(m) if !m.is_empty() && (!is_leaf(value) || !rng.chance(40)) => {
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                out.push_str(&" ".repeat(col + step));
                out.push_str(&json_string(k));
                out.push_str(": ");
                json_value(rng, out, v, col + step, step);
                if i + 1 < m.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(col));
            out.push('}');
        }
        Value::String(s) => out.push_str(&json_string(s)),
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}
