//! Rendering new values as text: block YAML at a given column, flow YAML, or
//! JSON, with quoting no YAML 1.1 or 1.2 reader can misread.

use std::borrow::Borrow;

use serde_json::{Map, Value};

use super::scalar::{double_quoted, yaml_string};

/// How new block content is laid out, copied from its surroundings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Indentation step of nested mappings.
    pub step: usize,
    /// Extra indentation of a list's dashes under its key: 0 for compact
    /// (`key:\n- a`), `step` for wide (`key:\n  - a`).
    pub seq_indent: usize,
    /// Columns from a dash to its item's content (`- a` is 2, `-   a` is 4).
    pub item_offset: usize,
    pub newline: &'static str,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            step: 2,
            seq_indent: 0,
            item_offset: 2,
            newline: "\n",
        }
    }
}

/// Text format of a flow collection being edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowFormat {
    Yaml,
    Json,
}

/// Block mapping entries, one `key: value` per line at column `col`. Every
/// line ends with a newline.
pub fn block_entries(map: &Map<String, Value>, col: usize, layout: &Layout) -> String {
    let mut out = String::new();
    for (key, value) in map {
        push_indent(&mut out, col);
        push_entry(&mut out, key, value, col, layout);
    }
    out
}

/// Block sequence items, with their dashes at column `col`. Every line ends
/// with a newline.
pub fn block_items(items: &[Value], col: usize, layout: &Layout) -> String {
    let mut out = String::new();
    push_block_items(&mut out, items, col, layout);
    out
}

/// [`block_items`] appended to `out`, rendering each item as the iterator
/// yields it (a long list need not exist as values all at once).
pub fn push_block_items<I>(out: &mut String, items: I, col: usize, layout: &Layout)
where
    I: IntoIterator,
    I::Item: Borrow<Value>,
{
    for item in items {
        push_indent(out, col);
        push_item(out, item.borrow(), col, layout);
    }
}

/// `key:` at column `col` followed by the block list of `items` (which
/// must not be empty: an empty list is written `key: []` by
/// [`block_entries`]). Every line ends with a newline.
pub fn push_block_list_entry<I>(out: &mut String, key: &str, items: I, col: usize, layout: &Layout)
where
    I: IntoIterator,
    I::Item: Borrow<Value>,
{
    push_indent(out, col);
    out.push_str(&yaml_string(key, false));
    out.push(':');
    out.push_str(layout.newline);
    push_block_items(out, items, col + layout.seq_indent, layout);
}

/// What follows `key:` for a value whose key sits at column `key_col`:
/// ` scalar`, ` []`, ` {}`, or a newline and indented block lines. The result
/// ends with a newline.
pub fn after_key(value: &Value, key_col: usize, layout: &Layout) -> String {
    let mut out = String::new();
    push_after_key(&mut out, value, key_col, layout);
    out
}

fn push_entry(out: &mut String, key: &str, value: &Value, col: usize, layout: &Layout) {
    out.push_str(&yaml_string(key, false));
    out.push(':');
    push_after_key(out, value, col, layout);
}

fn push_after_key(out: &mut String, value: &Value, col: usize, layout: &Layout) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push_str(layout.newline);
            out.push_str(&block_entries(m, col + layout.step, layout));
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str(layout.newline);
            push_block_items(out, a, col + layout.seq_indent, layout);
        }
        _ => {
            out.push(' ');
            push_block_scalar_or_flow(out, value, col + layout.step, layout);
            out.push_str(layout.newline);
        }
    }
}

fn push_item(out: &mut String, item: &Value, dash_col: usize, layout: &Layout) {
    out.push('-');
    out.push_str(&" ".repeat(layout.item_offset.saturating_sub(1).max(1)));
    let content_col = dash_col + layout.item_offset.max(2);
    match item {
        Value::Object(m) if !m.is_empty() => {
            let mut first = true;
            for (key, value) in m {
                if !first {
                    push_indent(out, content_col);
                }
                first = false;
                push_entry(out, key, value, content_col, layout);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let mut first = true;
            for inner in a {
                if !first {
                    push_indent(out, content_col);
                }
                first = false;
                push_item(out, inner, content_col, layout);
            }
        }
        _ => {
            push_block_scalar_or_flow(out, item, content_col, layout);
            out.push_str(layout.newline);
        }
    }
}

/// A scalar (or empty collection) on the current line; multi-line strings
/// become literal blocks indented at `content_col`.
fn push_block_scalar_or_flow(out: &mut String, value: &Value, content_col: usize, layout: &Layout) {
    if let Some(block) = value
        .as_str()
        .and_then(|s| literal_block(s, content_col, layout.newline))
    {
        out.push_str(&block);
        return;
    }
    match value {
        Value::String(s) => out.push_str(&yaml_string(s, false)),
        other => out.push_str(&flow(other, FlowFormat::Yaml)),
    }
}

/// A multi-line string as a `|` literal block (header, then content lines at
/// `col`, without a final line break), when that keeps its exact value and
/// every YAML reader (go-yaml included) accepts it. Strings ending in more
/// than one line break are not written as keep-chomped (`|+`) blocks: blank
/// lines that happen to follow the insertion point would join the value.
pub fn literal_block(s: &str, col: usize, newline: &str) -> Option<String> {
    if !s.contains('\n') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let lines: Vec<&str> = body.split('\n').collect();
    let first_content = lines.iter().find(|l| !l.is_empty())?;
    let unsafe_line = |l: &&str| {
        l.starts_with('\t')
            || l.chars().any(|c| {
                (c.is_control() && c != '\t')
                    || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}')
            })
    };
    if first_content.starts_with(' ') || lines.iter().any(unsafe_line) || body.is_empty() {
        return None;
    }
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => return None,
    };
    let mut out = format!("|{chomp}");
    for line in &lines {
        out.push_str(newline);
        if !line.is_empty() {
            push_indent(&mut out, col);
            out.push_str(line);
        }
    }
    Some(out)
}

/// A value on one line, in YAML flow style or JSON.
pub fn flow(value: &Value, format: FlowFormat) -> String {
    let mut out = String::new();
    push_flow(&mut out, value, format);
    out
}

fn push_flow(out: &mut String, value: &Value, format: FlowFormat) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&flow_string(s, format)),
        Value::Array(items) => push_flow_items(out, items, format),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&flow_string(k, format));
                out.push_str(": ");
                push_flow(out, v, format);
            }
            out.push('}');
        }
    }
}

/// A list in flow style or JSON (`[a, b]`), rendering each item as the
/// iterator yields it.
pub fn push_flow_items<I>(out: &mut String, items: I, format: FlowFormat)
where
    I: IntoIterator,
    I::Item: Borrow<Value>,
{
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_flow(out, item.borrow(), format);
    }
    out.push(']');
}

/// A string (key or value) in flow style or JSON.
pub fn flow_string(s: &str, format: FlowFormat) -> String {
    match format {
        FlowFormat::Json => double_quoted(s),
        FlowFormat::Yaml => yaml_string(s, true),
    }
}

/// A `key: value` pair in flow style or JSON.
pub fn flow_entry(key: &str, value: &Value, format: FlowFormat) -> String {
    format!("{}: {}", flow_string(key, format), flow(value, format))
}

/// A value as pretty, multi-line flow text whose nested lines are indented
/// from column `col` by `step` (the layout of pretty-printed JSON).
pub fn pretty_flow(
    value: &Value,
    col: usize,
    step: usize,
    format: FlowFormat,
    newline: &str,
) -> String {
    let mut out = String::new();
    push_pretty(&mut out, value, col, step, format, newline);
    out
}

fn push_pretty(
    out: &mut String,
    value: &Value,
    col: usize,
    step: usize,
    format: FlowFormat,
    nl: &str,
) {
    let (open, close, len) = match value {
        Value::Array(a) if !a.is_empty() => ('[', ']', a.len()),
        Value::Object(m) if !m.is_empty() => ('{', '}', m.len()),
        _ => return push_flow(out, value, format),
    };
    out.push(open);
    let inner = col + step;
    let emit = |out: &mut String, i: usize, key: Option<&str>, v: &Value| {
        out.push_str(nl);
        push_indent(out, inner);
        if let Some(k) = key {
            out.push_str(&flow_string(k, format));
            out.push_str(": ");
        }
        push_pretty(out, v, inner, step, format, nl);
        if i + 1 < len {
            out.push(',');
        }
    };
    match value {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| emit(out, i, None, v)),
        Value::Object(m) => m
            .iter()
            .enumerate()
            .for_each(|(i, (k, v))| emit(out, i, Some(k), v)),
        _ => {}
    }
    out.push_str(nl);
    push_indent(out, col);
    out.push(close);
}

fn push_indent(out: &mut String, col: usize) {
    out.extend(std::iter::repeat_n(' ', col));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_compact_and_wide_lists() {
        let v = json!({"env": [{"name": "A", "value": "4317"}], "on": "yes"});
        let Value::Object(m) = &v else { unreachable!() };
        let compact = block_entries(m, 2, &Layout::default());
        assert_eq!(
            compact,
            "  env:\n  - name: A\n    value: \"4317\"\n  \"on\": \"yes\"\n"
        );
        let wide = Layout {
            seq_indent: 2,
            ..Layout::default()
        };
        assert_eq!(
            block_entries(m, 0, &wide),
            "env:\n  - name: A\n    value: \"4317\"\n\"on\": \"yes\"\n"
        );
    }

    #[test]
    fn renders_literal_blocks_with_chomping() {
        assert_eq!(
            literal_block("a\nb\n", 4, "\n").as_deref(),
            Some("|\n    a\n    b")
        );
        assert_eq!(
            literal_block("a\nb", 2, "\n").as_deref(),
            Some("|-\n  a\n  b")
        );
        assert_eq!(literal_block("a\n\n", 2, "\n"), None);
        assert_eq!(literal_block("\tx\ny", 2, "\n"), None);
        assert_eq!(literal_block(" x\ny", 2, "\n"), None);
    }

    #[test]
    fn renders_json_flow_and_pretty() {
        let v = json!({"name": "A", "n": 1, "l": [true, null]});
        assert_eq!(
            flow(&v, FlowFormat::Json),
            r#"{"name": "A", "n": 1, "l": [true, null]}"#
        );
        assert_eq!(
            flow(&v, FlowFormat::Yaml),
            "{name: A, \"n\": 1, l: [true, null]}"
        );
        assert_eq!(
            pretty_flow(&json!({"a": [1]}), 2, 2, FlowFormat::Json, "\n"),
            "{\n    \"a\": [\n      1\n    ]\n  }"
        );
    }
}
