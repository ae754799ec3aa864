//! What a plain scalar means, and when a string must be quoted.
//!
//! kubectl, client-go and Helm read YAML 1.1 (go-yaml v2 through
//! sigs.k8s.io/yaml); kpt and kustomize read YAML 1.2 (go-yaml v3). One rule
//! table serves both directions: the read-only view types plain scalars as
//! kubectl does, and the renderer quotes every string that either family
//! could read as something else.

/// The type a YAML 1.1 reader gives a plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Resolves a plain scalar the way go-yaml v2 does (with `_` digit
/// separators, `0x`/`0o`/`0b` prefixes and leading-zero octal).
pub fn resolve_plain(s: &str) -> Plain {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Plain::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Plain::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Plain::Str;
    }
    if let Some(i) = parse_int(&s.replace('_', "")) {
        return Plain::Int(i);
    }
    if let Some(f) = is_float(s)
        .then(|| s.replace('_', "").parse::<f64>().ok())
        .flatten()
    {
        return Plain::Float(f);
    }
    Plain::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`,
/// a leading `0` for octal, or decimal.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// go-yaml v2's float pattern: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
/// (with `_` separators allowed in the digits).
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
        *i > start
    };
    let int_part = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac = digits(&mut i);
        if !int_part && !frac {
            return false;
        }
    } else if !int_part {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// True when `s` looks like a YAML 1.1 timestamp (`2001-12-14`, ...).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// True for YAML 1.1 base-60 numbers such as `1:20` or `-3:25:45.5`.
fn is_sexagesimal(s: &str) -> bool {
    let body = s.trim_start_matches(['-', '+']);
    body.contains(':')
        && body.split(':').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        })
}

/// True when `s` can be written as a plain scalar and still be read back as
/// the same string by YAML 1.1 and YAML 1.2 readers. `flow` adds the flow
/// indicators that end a plain scalar inside `[...]` or `{...}`.
pub fn plain_is_safe(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if resolve_plain(s) != Plain::Str
        || is_timestamp(s)
        || is_sexagesimal(s)
        || s == "="
        || s == "<<"
    {
        return false;
    }
    if first.is_whitespace() || s.ends_with([' ', '\t']) {
        return false;
    }
    let second = s[first.len_utf8()..].chars().next();
    match first {
        '-' | '?' | ':' if second.is_none_or(|c| c == ' ' || (flow && ",[]{}".contains(c))) => {
            return false;
        }
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => return false,
        _ => {}
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if flow
        && (s.contains([',', '[', ']', '{', '}']) || s.ends_with(['-', '?']) || s.contains(" -"))
    {
        // A `-` or `?` before a flow indicator or the end is read as an
        // indicator inside `[...]` and `{...}`.
        return false;
    }
    if s == "---" || s == "..." {
        return false;
    }
    s.chars().all(|c| {
        !c.is_control() && c != '\u{feff}' && c != '\u{85}' && c != '\u{2028}' && c != '\u{2029}'
    })
}

/// A double-quoted scalar with JSON-compatible escapes; readable by YAML 1.1,
/// YAML 1.2 and JSON readers alike.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}') => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A single-quoted scalar, when `s` can be one without changing meaning
/// (single line, printable).
pub fn single_quoted(s: &str) -> Option<String> {
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        || s.starts_with(' ')
        || s.ends_with(' ')
    {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

/// A string as a YAML scalar: plain when safe; single-quoted when it holds
/// double quotes (JSON in an annotation reads better so); else
/// double-quoted.
pub fn yaml_string(s: &str, flow: bool) -> String {
    if plain_is_safe(s, flow) {
        return s.to_string();
    }
    if let Some(single) = (s.contains('"') && !s.contains('\''))
        .then(|| single_quoted(s))
        .flatten()
    {
        return single;
    }
    double_quoted(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_yaml_1_1() {
        assert_eq!(resolve_plain("yes"), Plain::Bool(true));
        assert_eq!(resolve_plain("Off"), Plain::Bool(false));
        assert_eq!(resolve_plain("0644"), Plain::Int(420));
        assert_eq!(resolve_plain("0x1F"), Plain::Int(31));
        assert_eq!(resolve_plain("1_000"), Plain::Int(1000));
        assert_eq!(resolve_plain("08"), Plain::Float(8.0));
        assert_eq!(resolve_plain("1e3"), Plain::Float(1000.0));
        assert_eq!(resolve_plain("~"), Plain::Null);
        assert_eq!(resolve_plain("500m"), Plain::Str);
        assert_eq!(resolve_plain("1.4.2"), Plain::Str);
        assert_eq!(resolve_plain("-c"), Plain::Str);
    }

    #[test]
    fn quotes_what_a_reader_could_misread() {
        for s in [
            "true",
            "yes",
            "on",
            "Y",
            "n",
            "0644",
            "4317",
            "1e3",
            "null",
            "~",
            "",
            "a: b",
            "a #b",
            "\tx",
            " x",
            "x ",
            "- x",
            "-",
            "2001-12-14",
            "1:20",
            "<<",
            "=",
            "*a",
            "&a",
            "!t",
            "@x",
            "`x",
            "'x",
            "\"x",
            "{x",
            "[x",
            "#x",
            "|",
            ">",
            "%x",
            ".inf",
            "0o755",
            "0b101",
            "+1",
            ".5",
            "key:",
            "a\nb",
            "---",
        ] {
            assert!(!plain_is_safe(s, false), "{s:?} must be quoted");
        }
        for s in [
            "http/protobuf",
            "otlp",
            "/otel-auto-instrumentation-python",
            "500m",
            "64Mi",
            "-c",
            "a:b",
            "k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)",
            "python:3.12-alpine",
            "1.4.2",
            "héllo wörld",
        ] {
            assert!(plain_is_safe(s, false), "{s:?} can stay plain");
        }
        assert!(!plain_is_safe("a,b", true));
        assert!(!plain_is_safe("a -", true));
        assert!(plain_is_safe("a-b", true));
        assert!(plain_is_safe("a,b", false));
    }

    #[test]
    fn double_quotes_escape_controls() {
        assert_eq!(
            double_quoted("a\"b\\c\n\t\u{1}"),
            "\"a\\\"b\\\\c\\n\\t\\u0001\""
        );
    }
}
