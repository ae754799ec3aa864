//! The KRM function envelope: read a ResourceList once, let a [`Function`]
//! decide and plan its edits, then write the edited list (or, when any error
//! result exists, the unchanged items) with the results, once.

mod resource_list;
mod results;

use std::io::{self, Read, Write};

use crate::yaml::{Doc, EditError, Editor, ParseError, ParseLimits, Patch, write_patched};

pub use resource_list::{Envelope, EnvelopeError, Item, ResourceList};
pub use results::{Field, FileRef, KrmResult, ResourceRef, Results, Severity, stderr_summary};

/// What a KRM function does with a ResourceList: read it, record edits in
/// the editor and findings in the results. Any error result discards every
/// edit.
pub trait Function {
    fn run(&self, list: &ResourceList<'_, '_>, editor: &mut Editor<'_, '_>, results: &mut Results);
}

/// Guards against hostile input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_input_bytes: usize,
    /// Deepest nesting of YAML collections accepted.
    pub max_depth: usize,
    /// Most nodes that YAML aliases may stand for, summed over all aliases.
    pub max_alias_expansion: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 256 * 1024 * 1024,
            max_depth: 128,
            max_alias_expansion: 1_000_000,
        }
    }
}

/// Input that cannot be processed at all: there is no ResourceList to write
/// results into, so the message goes to stderr and nothing to stdout.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read the input: {0}")]
    Io(#[from] io::Error),
    #[error("the input is larger than the limit of {limit} bytes (see --max-input-bytes)")]
    TooLarge { limit: usize },
    #[error("the input is not valid UTF-8 (line {line}, column {column}, byte {offset})")]
    InvalidUtf8 {
        offset: usize,
        line: usize,
        column: usize,
    },
    #[error("the input is not valid YAML: {0}")]
    Yaml(#[from] ParseError),
    #[error("the input is {0}")]
    Envelope(#[from] EnvelopeError),
}

/// Reads the whole input, refusing more than `limit` bytes or invalid UTF-8.
pub fn read_input(reader: &mut impl Read, limit: usize) -> Result<String, InputError> {
    // Read through a small buffer rather than `read_to_end`: a reader that
    // is only `Read` (as `cli::run`'s stdin is) makes `read_to_end` zero the
    // spare capacity it reads into, and the doubling buffer's spare
    // capacity is up to half the input: resident memory for nothing.
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if bytes.len() + n > limit {
            return Err(InputError::TooLarge { limit });
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = &bytes[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        InputError::InvalidUtf8 {
            offset,
            line,
            column,
        }
    })
}

/// The processed ResourceList, ready to be written.
#[derive(Debug)]
pub struct Outcome<'a> {
    src: &'a str,
    patches: Vec<Patch>,
    pub results: Vec<KrmResult>,
}

impl Outcome<'_> {
    /// 1 when any error result exists, else 0.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.results.iter().any(|r| r.severity == Severity::Error))
    }

    /// The human summary of errors and warnings for stderr.
    pub fn stderr(&self) -> String {
        stderr_summary(&self.results)
    }

    /// True when the output equals the input byte for byte.
    pub fn is_unchanged(&self) -> bool {
        self.patches.is_empty()
    }

    /// Writes the output ResourceList.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        write_patched(self.src, &self.patches, out)
    }

    /// The output ResourceList as a string.
    pub fn output(&self) -> String {
        crate::yaml::apply(self.src, &self.patches)
    }
}

/// Parses `src` as a ResourceList, runs `function` on it and plans the
/// output. Items are left unchanged when any error result exists.
pub fn process<'a>(
    src: &'a str,
    limits: &Limits,
    function: &dyn Function,
) -> Result<Outcome<'a>, InputError> {
    let doc = Doc::parse(
        src,
        ParseLimits {
            max_depth: limits.max_depth,
            max_alias_expansion: limits.max_alias_expansion,
        },
    )?;
    let list = ResourceList::from_doc(&doc)?;
    let mut editor = Editor::new(&doc);
    let mut results = Results::default();
    function.run(&list, &mut editor, &mut results);
    if results.has_errors() {
        editor.truncate(0);
    }
    let mut results = results.sorted();
    let patches = match plan_output(&list, editor, &results) {
        Ok(patches) => patches,
        Err(e) => {
            // Conflicting edits are a defect of the function; never write a
            // half-edited list: report it and keep the items as they were.
            results.insert(
                0,
                KrmResult::new(Severity::Error, format!("internal error: {e}")),
            );
            plan_output(&list, Editor::new(&doc), &results).map_err(|e| {
                EnvelopeError(format!("a list whose results cannot be written: {e}"))
            })?
        }
    };
    Ok(Outcome {
        src,
        patches,
        results,
    })
}

/// The function's edits plus the results, as sorted, checked patches.
fn plan_output(
    list: &ResourceList<'_, '_>,
    mut editor: Editor<'_, '_>,
    results: &[KrmResult],
) -> Result<Vec<Patch>, EditError> {
    if list.envelope == Envelope::ResourceList && !results.is_empty() {
        add_results(list, &mut editor, results)?;
    }
    editor.into_patches()
}

/// Writes results into the envelope: appended to an existing `results`
/// list (earlier functions' results stay), or as a new key at the end.
/// Each result becomes a value only while it is rendered: thousands of
/// results are held as their text, not as values.
fn add_results(
    list: &ResourceList<'_, '_>,
    editor: &mut Editor<'_, '_>,
    results: &[KrmResult],
) -> Result<(), EditError> {
    let doc = list.doc;
    match doc.get(list.root, "results") {
        Some(node) if !doc.is_null(node) && doc.kind(node) != crate::yaml::Kind::Seq => {
            Err(EditError::Unsupported {
                node,
                path: "results".into(),
                message: "results is not a list".into(),
            })
        }
        _ => editor.append_to_list_from(
            list.root,
            "results",
            results.iter().map(KrmResult::to_value),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};

    use serde_json::{Value, json};

    use super::{InputError, read_input};
    use crate::yaml::{Doc, Editor, ParseLimits, apply};

    /// A reader that hands out a few bytes at a time and is interrupted
    /// now and then.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 += 1;
            if self.1.is_multiple_of(3) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.0.len().min(buf.len()).min(5);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn input_is_read_up_to_the_limit() {
        let text = "kind: ResourceList\nitems: []\n";
        let read = |limit| read_input(&mut Trickle(text.as_bytes(), 0), limit);
        assert_eq!(read(text.len()).unwrap(), text);
        assert!(
            matches!(read(text.len() - 1), Err(InputError::TooLarge { limit }) if limit == text.len() - 1)
        );
        let big = "x".repeat(200_000);
        assert_eq!(read_input(&mut big.as_bytes(), big.len()).unwrap(), big);
    }

    /// Appending from an iterator writes what appending the collected
    /// values writes, whatever shape the list is in.
    #[test]
    fn results_render_lazily_as_they_would_at_once() {
        let limits = ParseLimits {
            max_depth: 64,
            max_alias_expansion: 100,
        };
        let values = || {
            (0..3).map(|i| {
                json!({"message": format!("m{i}\nsecond line"), "severity": "info",
                       "tags": {"n": i.to_string()}, "list": [1, {"a": "yes"}]})
            })
        };
        let cases = [
            "kind: ResourceList\nitems: []\n",
            "kind: ResourceList\nitems:\n  - a: 1\n",
            "kind: ResourceList\nitems: []\nresults:\n",
            "kind: ResourceList\nitems: []\nresults: ~ # none yet\nfunctionConfig: {}\n",
            "kind: ResourceList\nitems: []\nresults: null\r\n",
            "kind: ResourceList\nresults:\n- message: earlier\n  severity: info\n# after\n",
            "kind: ResourceList\nresults:\n  -   message: earlier\n",
            "kind: ResourceList\nresults: []\n",
            "kind: ResourceList\nresults: [{message: earlier}]\n",
            "kind: ResourceList\nresults: [\n  {message: earlier}\n]\n",
            "{\"kind\": \"ResourceList\", \"items\": []}\n",
            "{\"kind\": \"ResourceList\", \"results\": null}\n",
            "{\n  \"kind\": \"ResourceList\",\n  \"results\": [\n    {\"message\": \"x\"}\n  ]\n}\n",
            "{kind: ResourceList, results: }\n",
        ];
        for src in cases {
            let doc = Doc::parse(src, limits).unwrap();
            let root = doc.documents()[0];
            let mut at_once = Editor::new(&doc);
            let collected: Vec<Value> = values().collect();
            at_once.append_to_list(root, "results", &collected).unwrap();
            let mut lazily = Editor::new(&doc);
            lazily
                .append_to_list_from(root, "results", values())
                .unwrap();
            let want = apply(src, &at_once.into_patches().unwrap());
            let got = apply(src, &lazily.into_patches().unwrap());
            assert_eq!(got, want, "{src}");
            Doc::parse(&got, limits).unwrap();
        }
    }
}
